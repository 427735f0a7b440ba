"""java17 functions on the real server: handlers compiled here with javac against Swiftlet's
aws-lambda-java-core API (runtimes/java/classes), deployed with boto3 and run by Swiftlet's Java
runtime client (runtimes/java), as AWS's Java 17 runtime runs them.

RequestHandler with a Map and with POJOs, RequestStreamHandler, the Class::method form, function
errors, a class that is not there, a constructor that throws, the function's log group and the
JSON log format, jars in the code's lib/ and in a layer's java/lib. runtimes/java/build.sh must
have been run (scripts/setup does).
"""

import base64
import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from swiftlet_testing import REPO_ROOT, SANDBOX_MODE, invoke_json, layer_versions, unique_name, wait_for

pytestmark = pytest.mark.timeout(120)
needs_sandbox = pytest.mark.skipif(SANDBOX_MODE == "none", reason="SWIFTLET_SANDBOX=none: no /opt without a sandbox")

RUNTIME = "java17"
RUNTIME_CLASSES = REPO_ROOT / "runtimes/java/classes"
JAVAC = shutil.which("javac") or "/usr/bin/javac"
PARSING_ERROR = "An error occurred during JSON parsing"

IMPORTS = """
import com.amazonaws.services.lambda.runtime.*;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import java.io.*;
import java.util.*;
"""

SOURCES = {
    "example/Hello.java": """
public class Hello implements RequestHandler<Map<String, Object>, String> {
    @Override
    public String handleRequest(Map<String, Object> event, Context context) {
        if (event.containsKey("fail")) {
            throw new IllegalStateException("asked to fail: " + event.get("fail"));
        }
        return "hello " + event.get("name") + " from " + context.getFunctionName() + " ("
            + context.getMemoryLimitInMB() + " MB, " + context.getAwsRequestId() + ")";
    }
}
""",
    "example/Order.java": """
public class Order {
    private String id;
    private List<Item> items;
    public String getId() { return id; }
    public void setId(String id) { this.id = id; }
    public List<Item> getItems() { return items; }
    public void setItems(List<Item> items) { this.items = items; }
}
""",
    "example/Item.java": "public class Item { public String sku; public int quantity; }\n",
    "example/Receipt.java": """
public class Receipt {
    public String orderId;
    public int units;
    public String note;
    public List<String> skus = new ArrayList<>();
}
""",
    "example/OrderHandler.java": """
public class OrderHandler implements RequestHandler<Order, Receipt> {
    @Override
    public Receipt handleRequest(Order order, Context context) {
        Receipt receipt = new Receipt();
        receipt.orderId = order.getId();
        for (Item item : order.getItems()) {
            receipt.units += item.quantity;
            receipt.skus.add(item.sku);
        }
        return receipt;
    }
}
""",
    "example/Upper.java": """
public class Upper implements RequestStreamHandler {
    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        output.write(new String(input.readAllBytes(), "UTF-8").toUpperCase().getBytes("UTF-8"));
    }
}
""",
    "example/Plain.java": "public class Plain { public String handleRequest(String s) { return s; } }\n",
    "example/Methods.java": """
public class Methods {
    public String greet(String name, Context context) { return "hi " + name + " via " + context.getFunctionName(); }
    public static int twice(int n) { return 2 * n; }
}
""",
    "example/Boom.java": """
public class Boom implements RequestHandler<Object, String> {
    public Boom() { throw new IllegalStateException("no config"); }
    @Override
    public String handleRequest(Object event, Context context) { return "never"; }
}
""",
    "example/Logs.java": """
public class Logs implements RequestHandler<String, String> {
    @Override
    public String handleRequest(String marker, Context context) {
        System.out.println("stdout " + marker);
        System.out.println("split " + marker + "\\nacross lines");
        context.getLogger().log("one " + marker + "\\nrecord");
        context.getLogger().log("info " + marker);
        context.getLogger().log("warn " + marker, LogLevel.WARN);
        return marker;
    }
}
""",
}

DEPENDENCY = {"dep/Greeter.java": "public class Greeter { public static String greet(String who) "
                                  "{ return \"greetings, \" + who + \", from dep.jar\"; } }\n"}
USES_DEPENDENCY = {"example/UsesDep.java": """
public class UsesDep implements RequestHandler<String, String> {
    @Override
    public String handleRequest(String who, Context context) { return dep.Greeter.greet(who); }
}
"""}


def compile_java(sources, output, classpath=()):
    """Compiles {path: class body} (the package comes from the path) into `output`; returns the
    class files as {path in a zip: bytes}."""
    source_dir = output.parent / f"{output.name}-src"
    paths = []
    for relative, body in sources.items():
        path = source_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        package = Path(relative).parent.as_posix().replace("/", ".")
        path.write_text(f"package {package};\n{IMPORTS}\n{body}")
        paths.append(str(path))
    classpath = os.pathsep.join([str(RUNTIME_CLASSES), *map(str, classpath)])
    subprocess.run([JAVAC, "--release", "17", "-nowarn", "-cp", classpath, "-d", str(output), *paths], check=True)
    return {path.relative_to(output).as_posix(): path.read_bytes() for path in sorted(output.rglob("*.class"))}


def jar(classes):
    """A jar of {path: bytes}: a zip (no manifest is needed on a class path)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in classes.items():
            archive.writestr(path, data)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The example handlers' class files, the dependency's, and the handler that uses it."""
    if not (RUNTIME_CLASSES / "swiftlet/runtime/Main.class").exists():
        pytest.fail("runtimes/java/classes is missing: run `bash runtimes/java/build.sh` (scripts/setup does)")
    root = tmp_path_factory.mktemp("java")
    dependency = compile_java(DEPENDENCY, root / "dep")
    return {
        "classes": compile_java(SOURCES, root / "classes"),
        "dependency": dependency,
        "uses_dependency": compile_java(USES_DEPENDENCY, root / "uses", classpath=[root / "dep"]),
    }


@pytest.fixture
def make_java_function(make_function, built):
    """make_java_function(handler, files=None, **create_args): a java17 function, MemorySize 512
    and Timeout 30, whose zip holds the example classes at its root unless `files` says otherwise."""

    def make(handler, files=None, **create_args):
        create_args.setdefault("MemorySize", 512)
        create_args.setdefault("Timeout", 30)
        files = built["classes"] if files is None else files
        return make_function(files=files, handler=handler, runtime=RUNTIME, **create_args)

    return make


@pytest.fixture
def layer(lambda_client):
    """layer(files) publishes a java17 layer version and returns its ARN; deleted afterwards."""
    yield from layer_versions(lambda_client, "javalayer", RUNTIME)


def raw_invoke(lambda_client, name, payload, **kwargs):
    """Invokes with `payload` bytes; returns (response, payload bytes)."""
    response = lambda_client.invoke(FunctionName=name, Payload=payload, **kwargs)
    return response, response["Payload"].read()


def group_messages(logs_client, group):
    try:
        return [event["message"] for event in logs_client.filter_log_events(logGroupName=group)["events"]]
    except logs_client.exceptions.ResourceNotFoundException:
        return []


def wait_for_report(logs_client, group, marker="REPORT "):
    return wait_for(lambda: [m for m in group_messages(logs_client, group) if marker in m]
                    and group_messages(logs_client, group), message=f"{marker.strip()} in {group}")


# --- Handlers -----------------------------------------------------------------------------


def test_request_handler_receives_the_event_as_a_map(lambda_client, make_java_function):
    name, created = make_java_function("example.Hello")

    response, result = invoke_json(lambda_client, name, {"name": "duke"})

    assert created["Runtime"] == RUNTIME
    assert "FunctionError" not in response, result
    request_id = response["ResponseMetadata"]["RequestId"]
    assert result == f"hello duke from {name} (512 MB, {request_id})"


def test_an_event_that_is_not_an_object_fails_a_map_handler(lambda_client, make_java_function):
    name, _ = make_java_function("example.Hello")

    response, payload = invoke_json(lambda_client, name, ["not", "an", "object"])

    assert response["FunctionError"] == "Unhandled"
    assert payload == {"errorMessage": PARSING_ERROR, "errorType": "java.lang.RuntimeException", "stackTrace": []}


def test_pojos_are_read_from_the_event_and_written_as_the_result(lambda_client, make_java_function):
    name, _ = make_java_function("example.OrderHandler")
    event = {"id": "o-7", "ignored": True, "items": [{"sku": "a", "quantity": 2}, {"sku": "b", "quantity": "3"}]}

    response, payload = raw_invoke(lambda_client, name, json.dumps(event).encode())

    assert "FunctionError" not in response, payload
    # Jackson's rules, as on AWS: declaration order, the null `note` left out, compact output.
    assert payload == b'{"orderId":"o-7","units":5,"skus":["a","b"]}'


def test_a_pojo_event_of_the_wrong_type_is_a_json_parsing_error(lambda_client, make_java_function):
    name, _ = make_java_function("example.OrderHandler")

    response, payload = invoke_json(lambda_client, name, {"id": "o-8", "items": [{"quantity": "many"}]})

    assert response["FunctionError"] == "Unhandled"
    assert payload["errorMessage"] == PARSING_ERROR


def test_a_request_stream_handler_reads_and_writes_bytes(lambda_client, make_java_function):
    name, _ = make_java_function("example.Upper")

    response, payload = raw_invoke(lambda_client, name, b'{"shout": "quietly"}')

    assert "FunctionError" not in response, payload
    assert payload == b'{"SHOUT": "QUIETLY"}'


def test_a_class_without_a_handler_interface_fails_every_invoke(lambda_client, make_java_function):
    name, _ = make_java_function("example.Plain")

    response, payload = invoke_json(lambda_client, name, "text")

    assert response["FunctionError"] == "Unhandled"
    assert payload == {"errorMessage": "Class does not implement an appropriate handler interface: example.Plain"}


@pytest.mark.parametrize("handler, event, expected", [
    ("example.Methods::greet", "ada", "hi ada via {name}"),
    ("example.Methods::twice", 21, 42),
])
def test_class_method_handlers_are_called(lambda_client, make_java_function, handler, event, expected):
    name, _ = make_java_function(handler)

    response, result = invoke_json(lambda_client, name, event)

    assert "FunctionError" not in response, result
    assert result == (expected.format(name=name) if isinstance(expected, str) else expected)


def test_a_method_that_is_not_there_fails_every_invoke(lambda_client, make_java_function):
    name, _ = make_java_function("example.Methods::absent")

    response, payload = invoke_json(lambda_client, name, "ada")

    assert response["FunctionError"] == "Unhandled"
    assert payload == {"errorMessage": "No public method named absent with appropriate method signature found "
                                       "on class example.Methods"}


# --- Errors -------------------------------------------------------------------------------


def test_a_handler_exception_is_an_unhandled_error_and_the_environment_lives_on(lambda_client, make_java_function):
    name, _ = make_java_function("example.Hello")

    response, payload = invoke_json(lambda_client, name, {"fail": "now"}, LogType="Tail")

    assert response["FunctionError"] == "Unhandled"
    assert list(payload) == ["errorMessage", "errorType", "stackTrace"]
    assert payload["errorMessage"] == "asked to fail: now"
    assert payload["errorType"] == "java.lang.IllegalStateException"
    assert re.fullmatch(r"example\.Hello\.handleRequest\(Hello\.java:\d+\)", payload["stackTrace"][0])
    assert not any("swiftlet" in frame for frame in payload["stackTrace"])
    log = base64.b64decode(response["LogResult"]).decode()
    assert "asked to fail: now: java.lang.IllegalStateException" in log
    # The twin: the same environment answers the next event.
    response, result = invoke_json(lambda_client, name, {"name": "again"})
    assert "FunctionError" not in response, result
    assert result.startswith("hello again")


def test_a_class_that_is_not_there_fails_every_invoke(lambda_client, make_java_function):
    name, _ = make_java_function("example.Nowhere")

    for _ in range(2):
        response, payload = invoke_json(lambda_client, name, {})
        assert response["FunctionError"] == "Unhandled"
        assert payload == {"errorMessage": "Class not found: example.Nowhere",
                           "errorType": "java.lang.ClassNotFoundException"}


def test_a_constructor_that_throws_is_an_init_error(lambda_client, make_java_function):
    name, _ = make_java_function("example.Boom")

    for _ in range(2):
        response, payload = invoke_json(lambda_client, name, {})
        assert response["FunctionError"] == "Unhandled"
        assert payload == {"errorMessage": "no config", "errorType": "java.lang.IllegalStateException"}


# --- Logs ---------------------------------------------------------------------------------


def test_output_and_logger_records_reach_the_functions_log_group(lambda_client, logs_client, make_java_function):
    name, _ = make_java_function("example.Logs")
    marker = unique_name("m").replace("-", "")

    response, result = invoke_json(lambda_client, name, marker)

    assert result == marker
    request_id = response["ResponseMetadata"]["RequestId"]
    lines = wait_for_report(logs_client, f"/aws/lambda/{name}")
    mine = [line.rstrip("\n") for line in lines if marker in line or line.startswith("across lines")]
    # System.out: a line is an event. LambdaLogger: a call is an event, whatever its lines.
    assert mine == [f"stdout {marker}", f"split {marker}", "across lines", f"one {marker}\rrecord",
                    f"info {marker}", f"[WARN] warn {marker}"]
    assert any(line.startswith(f"START RequestId: {request_id}") for line in lines)


def test_json_log_format_drops_records_below_the_application_level(lambda_client, logs_client, make_java_function):
    group = f"/custom/{unique_name('javajson')}"
    name, _ = make_java_function("example.Logs", LoggingConfig={
        "LogFormat": "JSON", "LogGroup": group, "ApplicationLogLevel": "WARN", "SystemLogLevel": "INFO"})
    marker = unique_name("m").replace("-", "")

    request_id = lambda_client.invoke(FunctionName=name, Payload=json.dumps(marker))["ResponseMetadata"]["RequestId"]

    lines = wait_for_report(logs_client, group, marker="platform.report")
    records = [json.loads(line) for line in lines if line.startswith('{"timestamp"') and marker in line]
    assert [(record["level"], record["message"]) for record in records] == [("WARN", f"warn {marker}")]
    assert records[0]["AWSRequestId"] == request_id
    assert not any(f"info {marker}" in line for line in lines)


# --- Jars and layers ----------------------------------------------------------------------


def test_a_handler_in_lib_jar_is_found(lambda_client, make_java_function, built):
    name, _ = make_java_function("example.Upper", files={"lib/handler.jar": jar(built["classes"])})

    response, payload = raw_invoke(lambda_client, name, b'"from a jar"')

    assert "FunctionError" not in response, payload
    assert payload == b'"FROM A JAR"'


def test_a_jar_outside_lib_is_not_on_the_class_path(lambda_client, make_java_function, built):
    name, _ = make_java_function("example.Upper", files={"handler.jar": jar(built["classes"])})

    response, payload = invoke_json(lambda_client, name, "from a jar")

    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "java.lang.ClassNotFoundException"


@needs_sandbox
def test_a_layers_java_lib_jar_is_on_the_class_path(lambda_client, make_java_function, layer, built):
    arn = layer({"java/lib/dep.jar": jar(built["dependency"])})
    name, _ = make_java_function("example.UsesDep", files=built["uses_dependency"], Layers=[arn])

    response, result = invoke_json(lambda_client, name, "swiftlet")

    assert "FunctionError" not in response, result
    assert result == "greetings, swiftlet, from dep.jar"


@needs_sandbox
def test_a_layer_jar_outside_java_lib_is_not_on_the_class_path(lambda_client, make_java_function, layer, built):
    arn = layer({"java/dep.jar": jar(built["dependency"])})
    name, _ = make_java_function("example.UsesDep", files=built["uses_dependency"], Layers=[arn])

    response, payload = invoke_json(lambda_client, name, "swiftlet")

    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "java.lang.NoClassDefFoundError"
    assert payload["errorMessage"] == "dep/Greeter"
