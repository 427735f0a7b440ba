"""The java17 runtime client, run through its bootstrap against a fake Runtime API.

The fake, shared with the other runtimes' tests (runtimes/fake_runtime_api.py, see conftest.py),
serves queued events on GET /invocation/next over keep-alive HTTP/1.1 and records every post with
a snapshot of the runtime's standard output at that moment, so the tests see what the runtime
client sends, in what order, and what it logged first, without the Swift server. The handlers are
compiled once, with javac, against the runtime's own classes: runtimes/java/build.sh must have
been run.
"""

import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(90)

RUNTIME_DIR = Path(__file__).resolve().parent.parent
CLASSES = RUNTIME_DIR / "classes"
JAVAC = shutil.which("javac") or "/usr/bin/javac"
API = "/2018-06-01/runtime"
WAIT_SECONDS = 20
TRACE_ID = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"

if not (CLASSES / "swiftlet/runtime/Main.class").exists():
    pytest.skip("runtimes/java/classes is missing: run runtimes/java/build.sh", allow_module_level=True)

# --- Handlers, compiled once for the module -------------------------------------------------

IMPORTS = """
import com.amazonaws.services.lambda.runtime.*;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import java.io.*;
import java.util.*;
"""

SOURCES = {
    "example/Echo.java": """
public class Echo implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    static int constructed;
    private int calls;

    public Echo() { constructed++; }

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        calls++;
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("echo", event);
        result.put("constructed", constructed);
        result.put("calls", calls);
        return result;
    }
}
""",
    "example/Probe.java": """
public class Probe implements RequestHandler<Object, Map<String, Object>> {
    @Override
    public Map<String, Object> handleRequest(Object event, Context context) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("eventType", event == null ? null : event.getClass().getName());
        r.put("requestId", context.getAwsRequestId());
        r.put("functionName", context.getFunctionName());
        r.put("functionVersion", context.getFunctionVersion());
        r.put("arn", context.getInvokedFunctionArn());
        r.put("memory", context.getMemoryLimitInMB());
        r.put("group", context.getLogGroupName());
        r.put("stream", context.getLogStreamName());
        r.put("remaining", context.getRemainingTimeInMillis());
        r.put("identity", context.getIdentity() == null ? null
            : context.getIdentity().getIdentityId() + "/" + context.getIdentity().getIdentityPoolId());
        ClientContext client = context.getClientContext();
        r.put("client", client == null ? null
            : client.getClient().getAppTitle() + "|" + client.getCustom() + "|" + client.getEnvironment());
        r.put("trace", System.getProperty("com.amazonaws.xray.traceHeader"));
        r.put("sameLogger", context.getLogger() == LambdaRuntime.getLogger());
        r.put("executionEnv", System.getenv("AWS_EXECUTION_ENV"));
        r.put("wrapped", System.getenv("WRAPPED_BY"));
        r.put("negativeDnsTtl", java.security.Security.getProperty("networkaddress.cache.negative.ttl"));
        r.put("jvmArguments", java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
        r.put("collectors", java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
            .map(b -> b.getName()).toArray());
        return r;
    }
}
""",
    "example/Order.java": """
public class Order {
    private String id;
    private int quantity;
    private List<Item> items;
    private Status status;
    public String getId() { return id; }
    public void setId(String id) { this.id = id; }
    public int getQuantity() { return quantity; }
    public void setQuantity(int quantity) { this.quantity = quantity; }
    public List<Item> getItems() { return items; }
    public void setItems(List<Item> items) { this.items = items; }
    public Status getStatus() { return status; }
    public void setStatus(Status status) { this.status = status; }
}
""",
    "example/Item.java": "public class Item { public String sku; public double price; }\n",
    "example/Status.java": "public enum Status { NEW, SHIPPED }\n",
    "example/Receipt.java": """
public class Receipt {
    private final String orderId;
    private final double total;
    private final String note;
    public Receipt(String orderId, double total, String note) {
        this.orderId = orderId; this.total = total; this.note = note;
    }
    public String getOrderId() { return orderId; }
    public double getTotal() { return total; }
    public String getNote() { return note; }
    public String getURL() { return "https://example.com/" + orderId; }
    public boolean isPaid() { return true; }
    public Map<String, Object> getExtra() {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("kept", null);
        return extra;
    }
}
""",
    "example/OrderHandler.java": """
public class OrderHandler implements RequestHandler<Order, Receipt> {
    @Override
    public Receipt handleRequest(Order order, Context context) {
        double total = 0;
        for (Item item : order.getItems()) total += item.price;
        return new Receipt(order.getId() + ":" + order.getStatus() + ":" + order.getQuantity(), total, null);
    }
}
""",
    "example/PointHandler.java": """
record Point(int x, int y, String label) { }

public class PointHandler implements RequestHandler<Point, Point> {
    @Override
    public Point handleRequest(Point point, Context context) {
        return new Point(point.x() + point.y(), point.y(), point.label() + "!");
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
    "example/Methods.java": """
public class Methods {
    public String greet(String name) { return "short " + name; }
    public String greet(String name, Context context) { return "hello " + name; }
    public static int twice(int n) { return 2 * n; }
    public String noInput() { return "none"; }
    public List<String> listOf(List<String> values) { return values; }
    public long sum(int[] values) { long s = 0; for (int v : values) s += v; return s; }
    public void stream(InputStream in, OutputStream out, Context context) throws IOException {
        out.write(("[" + new String(in.readAllBytes(), "UTF-8") + "]").getBytes("UTF-8"));
    }
    public void sink(InputStream in) { }
    public String tooMany(String a, String b, String c, String d) { return a; }
    public void fail(Map<String, Object> event) { throw new UnsupportedOperationException("not here"); }
}
""",
    "example/Thrower.java": """
public class Thrower implements RequestHandler<Map<String, Object>, String> {
    @Override
    public String handleRequest(Map<String, Object> event, Context context) {
        System.out.println("about to throw");
        throw new IllegalArgumentException("bad input", new IOException("disk"));
    }
}
""",
    "example/BadConstructor.java": """
public class BadConstructor implements RequestHandler<Object, String> {
    public BadConstructor() { throw new IllegalStateException("no config"); }
    @Override
    public String handleRequest(Object event, Context context) { return "never"; }
}
""",
    "example/BadStatic.java": """
public class BadStatic implements RequestHandler<Object, String> {
    static { if (Boolean.TRUE) { throw new RuntimeException("static boom"); } }
    @Override
    public String handleRequest(Object event, Context context) { return "never"; }
}
""",
    "example/NoInterface.java": "public class NoInterface { public String handleRequest(Object o) { return null; } }\n",
    "example/NeedsArgument.java": """
public class NeedsArgument implements RequestHandler<Object, String> {
    public NeedsArgument(String config) { }
    @Override
    public String handleRequest(Object event, Context context) { return "never"; }
}
""",
    "example/Cycle.java": """
public class Cycle implements RequestHandler<Object, Object> {
    public static class Node { public Node next; public String name = "n"; }
    @Override
    public Object handleRequest(Object event, Context context) { Node n = new Node(); n.next = n; return n; }
}
""",
    "example/Recurse.java": """
public class Recurse implements RequestHandler<Object, Integer> {
    static int depth(int n) { return depth(n + 1) + 1; }
    @Override
    public Integer handleRequest(Object event, Context context) { return depth(0); }
}
""",
    "example/Logs.java": """
public class Logs implements RequestHandler<String, String> {
    @Override
    public String handleRequest(String marker, Context context) {
        System.out.println("stdout " + marker);
        System.err.println("stderr " + marker);
        System.out.print("no newline " + marker);
        context.getLogger().log("first " + marker + "\\nsecond " + marker);
        context.getLogger().log("debug " + marker, LogLevel.DEBUG);
        context.getLogger().log("warn " + marker, LogLevel.WARN);
        LambdaRuntime.getLogger().log("runtime logger " + marker);
        return marker;
    }
}
""",
    "example/Typed.java": """
public class Typed {
    public String text(String value) { return "<" + value + ">"; }
    public int number(Integer value) { return value == null ? -1 : value + 1; }
    public boolean flag(boolean value) { return !value; }
    public Object untyped(Object value) { return value.getClass().getSimpleName(); }
    public Map<String, Integer> counts(Map<String, Integer> value) { return value; }
    public Status status(Status value) { return value; }
    public Optional<String> maybe(Optional<String> value) { return value; }
    public byte[] bytes(byte[] value) { return value; }
    public double[] doubles() { return new double[] {1.5, Double.NaN, 1e20}; }
    public String unicode() { return "h\\u00e9 \\u0001 \\"q\\" \\\\ /"; }
    public static class Page<T> { public List<T> items; public T first; }
    public String page(Page<Item> page) { return page.items.get(1).sku + " " + page.first.getClass().getSimpleName(); }
}
""",
}


def java_source(relative, body):
    """The compilation unit of a class body: its package (from the path), the imports, the body."""
    return f"package {Path(relative).parent.as_posix().replace('/', '.')};\n{IMPORTS}\n{body}"


def line_of(relative, text):
    """The line number of the first line of SOURCES[relative] containing `text`, as javac sees it."""
    lines = java_source(relative, SOURCES[relative]).splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def compile_java(sources, output, classpath=()):
    """Compiles {relative path: class body} into `output` with javac."""
    source_dir = output.parent / f"{output.name}-src"
    paths = []
    for relative, body in sources.items():
        path = source_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(java_source(relative, body))
        paths.append(str(path))
    output.mkdir(parents=True, exist_ok=True)
    cp = os.pathsep.join([str(CLASSES), *map(str, classpath)])
    subprocess.run([JAVAC, "--release", "17", "-nowarn", "-cp", cp, "-d", str(output), *paths], check=True)
    return output


def jar_of(directory, target):
    """A jar (a zip; no manifest is needed) of the class files under `directory`."""
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(directory.rglob("*.class")):
            archive.write(path, path.relative_to(directory).as_posix())
    return target


@pytest.fixture(scope="module")
def task_root(tmp_path_factory):
    """The code directory every test shares: the example handlers, compiled."""
    return compile_java(SOURCES, tmp_path_factory.mktemp("java") / "task")


# --- The fake Runtime API (runtimes/fake_runtime_api.py, through conftest.py) --------------


@pytest.fixture
def runtime_api(runtime_api):
    """The shared fake, sending a trace header with a parent segment, as AWS's is."""
    runtime_api.trace_id = TRACE_ID
    return runtime_api


@pytest.fixture
def start_runtime(start_runtime, task_root):
    """start_runtime(handler, env=None, root=None) starts the runtime client through its bootstrap,
    in the compiled handlers' task root (or `root`) with 512 MB; returns the RuntimeProcess, whose
    output goes to files (stdout_path, stderr_path)."""

    def start(handler, env=None, root=None):
        env = {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512", **(env or {})}
        return start_runtime({}, handler, env=env, root=root or task_root)

    return start


def json_records(output):
    """The JSON log records in `output`, wherever a line's record starts."""
    return [json.loads(line[line.index('{"timestamp"'):]) for line in output.splitlines() if '{"timestamp"' in line]


def invoke(runtime_api, event=None, raw=None, headers=None):
    """Queues one event and returns (request id, the post that answered it)."""
    request_id = runtime_api.add_event(event, raw=raw, headers=headers)
    return request_id, runtime_api.next_post(timeout=WAIT_SECONDS)


def response_path(request_id):
    return f"{API}/invocation/{request_id}/response"


def error_path(request_id):
    return f"{API}/invocation/{request_id}/error"


# --- Handlers and results ---------------------------------------------------------------


def test_request_handler_gets_the_event_as_a_map_and_its_result_is_json(runtime_api, start_runtime):
    start_runtime("example.Echo")

    request_id, post = invoke(runtime_api, {"a": 1, "b": [True, None, 1.5], "text": "h\u00e9"})

    assert post.path == response_path(request_id)
    # Jackson's output, as on AWS: compact, non-ASCII as UTF-8, not escaped.
    assert post.body == '{"echo":{"a":1,"b":[true,null,1.5],"text":"hé"},"constructed":1,"calls":1}'.encode()


def test_the_handler_is_constructed_once_and_one_connection_serves_every_request(runtime_api, start_runtime):
    start_runtime("example.Echo")

    results = [invoke(runtime_api, {"n": n})[1].json for n in range(3)]

    assert [(r["constructed"], r["calls"]) for r in results] == [(1, 1), (1, 2), (1, 3)]
    ports = [request.client_port for request in runtime_api.requests]
    assert len(ports) == 6
    assert len(set(ports)) == 1


def test_a_connection_the_server_closed_is_replaced(runtime_api, start_runtime):
    runtime_api.close_after_post = True
    start_runtime("example.Echo")

    results = [invoke(runtime_api, {"n": n})[1].json["calls"] for n in range(3)]

    assert results == [1, 2, 3]
    assert len({request.client_port for request in runtime_api.requests}) == 3


def test_a_pojo_is_read_from_the_event_and_written_with_jackson_rules(runtime_api, start_runtime):
    start_runtime("example.OrderHandler")
    event = {"id": "o-1", "quantity": "3", "status": "SHIPPED", "unknown": {"ignored": True},
             "items": [{"sku": "a", "price": 1.25}, {"sku": "b", "price": 2}]}

    _, post = invoke(runtime_api, event)

    # Fields in declaration order, then getter-only properties (in the JVM's method order, as
    # with Jackson); getURL is "URL", isPaid is "paid"; null properties are left out, null map
    # values kept.
    assert post.json == {"orderId": "o-1:SHIPPED:3", "total": 3.25, "URL": "https://example.com/o-1:SHIPPED:3",
                         "paid": True, "extra": {"kept": None}}
    assert list(post.json)[:2] == ["orderId", "total"]


def test_a_pojo_event_of_the_wrong_shape_is_a_json_parsing_error(runtime_api, start_runtime):
    start_runtime("example.OrderHandler")

    request_id, post = invoke(runtime_api, {"items": "not a list of items"})

    assert post.path == error_path(request_id)
    assert post.json == {"errorMessage": "An error occurred during JSON parsing",
                         "errorType": "java.lang.RuntimeException", "stackTrace": []}
    assert "Caused by: swiftlet.runtime.JsonException: Cannot construct instance of `example.Item`" \
        in post.stdout_before


def test_a_package_private_record_is_read_by_its_components(runtime_api, start_runtime):
    start_runtime("example.PointHandler")

    _, post = invoke(runtime_api, {"x": 1, "y": 20, "label": "p", "z": 0})

    assert post.json == {"x": 21, "y": 20, "label": "p!"}


def test_a_missing_record_component_is_its_default(runtime_api, start_runtime):
    start_runtime("example.PointHandler")

    _, post = invoke(runtime_api, {"y": 2})

    assert post.body == b'{"x":2,"y":2,"label":"null!"}'


def test_a_stream_handler_reads_and_writes_raw_bytes(runtime_api, start_runtime):
    start_runtime("example.Upper")

    _, post = invoke(runtime_api, raw=b"not json at all")

    assert post.body == b"NOT JSON AT ALL"


@pytest.mark.parametrize("handler, event, expected", [
    ("example.Methods::greet", "ann", b'"hello ann"'),
    ("example.Echo::handleRequest", {"a": 1}, b'{"echo":{"a":1},"constructed":1,"calls":1}'),
    ("example.Typed::page", {"items": [{}, {"sku": "s2"}], "first": {"sku": "s1"}}, b'"s2 Item"'),
    ("example.Methods::twice", "21", b"42"),
    ("example.Methods::noInput", {"ignored": 1}, b'"none"'),
    ("example.Methods::listOf", "single", b'["single"]'),
    ("example.Methods::sum", [1, 2, 3], b"6"),
    ("example.Methods::stream", {"k": "v"}, b'[{"k": "v"}]'),
    ("example.Methods::sink", {"k": "v"}, b"null"),
    ("example.Typed::text", 12, b'"<12>"'),
    ("example.Typed::text", ["one"], b'"<one>"'),
    ("example.Typed::number", None, b"-1"),
    ("example.Typed::number", "41", b"42"),
    ("example.Typed::flag", "true", b"false"),
    ("example.Typed::untyped", 1.5, b'"Double"'),
    ("example.Typed::untyped", 7, b'"Integer"'),
    ("example.Typed::untyped", 2 ** 40, b'"Long"'),
    ("example.Typed::untyped", {"a": 1}, b'"LinkedHashMap"'),
    ("example.Typed::counts", {"a": "1", "b": 2}, b'{"a":1,"b":2}'),
    ("example.Typed::status", "NOPE", b"null"),
    ("example.Typed::maybe", None, b"null"),
    ("example.Typed::bytes", "aGk=", b'"aGk="'),
    ("example.Typed::doubles", None, b'[1.5,"NaN",1.0E20]'),
    ("example.Typed::unicode", None, '"hé \\u0001 \\"q\\" \\\\ /"'.encode()),
])
def test_class_method_handlers_convert_events_as_aws_does(runtime_api, start_runtime, handler, event, expected):
    start_runtime(handler)

    request_id, post = invoke(runtime_api, event)

    assert post.path == response_path(request_id), post.body
    assert post.body == expected


@pytest.mark.parametrize("handler, event", [
    ("example.Typed::counts", {"a": {"nested": 1}}),
    ("example.Typed::number", "forty-two"),
    ("example.Typed::flag", "maybe"),
    ("example.Typed::text", {"an": "object"}),
])
def test_events_that_do_not_fit_the_type_are_json_parsing_errors(runtime_api, start_runtime, handler, event):
    start_runtime(handler)

    request_id, post = invoke(runtime_api, event)

    assert post.path == error_path(request_id)
    assert post.json["errorMessage"] == "An error occurred during JSON parsing"


def test_an_event_that_is_not_json_is_a_json_parsing_error(runtime_api, start_runtime):
    start_runtime("example.Echo")

    request_id, post = invoke(runtime_api, raw=b"{not json")

    assert post.path == error_path(request_id)
    assert post.json["errorMessage"] == "An error occurred during JSON parsing"


def test_a_result_that_cannot_be_written_is_a_serialization_error(runtime_api, start_runtime):
    start_runtime("example.Cycle")

    request_id, post = invoke(runtime_api, {})

    assert post.path == error_path(request_id)
    assert post.json["errorMessage"] == "An error occurred during JSON serialization of response"
    assert post.json["errorType"] == "java.lang.RuntimeException"


# --- Errors -------------------------------------------------------------------------------


def test_an_exception_is_posted_with_aws_java_error_shape(runtime_api, start_runtime):
    start_runtime("example.Thrower")

    request_id, post = invoke(runtime_api, {})

    assert post.path == error_path(request_id)
    assert post.headers["Lambda-Runtime-Function-Error-Type"] == "java.lang.IllegalArgumentException"
    document = post.json
    assert list(document) == ["errorMessage", "errorType", "stackTrace"]
    assert document["errorMessage"] == "bad input"
    # The function's frame and its bridge method: the runtime's own frames are cut off.
    throw_line = line_of("example/Thrower.java", "throw new")
    class_line = line_of("example/Thrower.java", "public class")
    assert document["stackTrace"] == [f"example.Thrower.handleRequest(Thrower.java:{throw_line})",
                                      f"example.Thrower.handleRequest(Thrower.java:{class_line})"]
    cause = json.loads(post.headers["Lambda-Runtime-Function-XRay-Error-Cause"])
    assert cause["exceptions"][0]["type"] == "java.lang.IllegalArgumentException"
    assert cause["paths"] == ["Thrower.java"]
    # Logged, as one record, before the post.
    record = post.stdout_before.split("about to throw\n", 1)[1]
    assert record.startswith("bad input: java.lang.IllegalArgumentException\rjava.lang.IllegalArgumentException: "
                             f"bad input\r\tat example.Thrower.handleRequest(Thrower.java:{throw_line})")
    assert "Caused by: java.io.IOException: disk" in record
    assert record.count("\n") == 1


def test_the_environment_survives_an_exception(runtime_api, start_runtime):
    process = start_runtime("example.Methods::fail")

    first = invoke(runtime_api, {})[1]
    second = invoke(runtime_api, {})[1]

    assert first.json["errorType"] == second.json["errorType"] == "java.lang.UnsupportedOperationException"
    # A method called by reflection keeps the JDK's reflection frames, as on AWS.
    fail_line = line_of("example/Methods.java", "not here")
    assert first.json["stackTrace"][0] == f"example.Methods.fail(Methods.java:{fail_line})"
    assert any("Method.invoke(Unknown Source)" in frame for frame in first.json["stackTrace"])
    assert process.poll() is None


def test_a_stack_overflow_is_reported_and_ends_the_environment(runtime_api, start_runtime):
    process = start_runtime("example.Recurse")

    request_id, post = invoke(runtime_api, {})

    assert post.path == error_path(request_id)
    assert post.json["errorType"] == "java.lang.StackOverflowError"
    assert process.wait(timeout=WAIT_SECONDS) == 1


def test_a_missing_class_fails_each_invocation_without_an_init_error(runtime_api, start_runtime):
    process = start_runtime("example.Missing")

    first_id, first = invoke(runtime_api, {})
    second_id, second = invoke(runtime_api, {})

    # As AWS's runtime: not fatal, so every invocation fails the same way and the process lives.
    assert (first.path, second.path) == (error_path(first_id), error_path(second_id))
    assert first.json == {"errorMessage": "Class not found: example.Missing",
                          "errorType": "java.lang.ClassNotFoundException"}
    assert first.headers["Lambda-Runtime-Function-Error-Type"] == "java.lang.ClassNotFoundException"
    assert "Class not found: example.Missing: java.lang.ClassNotFoundException\rjava.lang.ClassNotFoundException: " \
        "example.Missing" in first.stdout_before
    assert process.poll() is None


def test_a_throwing_constructor_is_an_init_error_and_the_process_exits(runtime_api, start_runtime):
    process = start_runtime("example.BadConstructor")

    post = runtime_api.next_post(timeout=WAIT_SECONDS)

    assert post.path == f"{API}/init/error"
    assert post.json == {"errorMessage": "no config", "errorType": "java.lang.IllegalStateException"}
    assert post.headers["Lambda-Runtime-Function-Error-Type"] == "java.lang.IllegalStateException"
    assert "no config: java.lang.IllegalStateException\rjava.lang.IllegalStateException: no config" \
        in post.stdout_before
    assert process.wait(timeout=WAIT_SECONDS) == 1


def test_a_throwing_static_initialiser_is_an_init_error(runtime_api, start_runtime):
    process = start_runtime("example.BadStatic")

    post = runtime_api.next_post(timeout=WAIT_SECONDS)

    assert post.path == f"{API}/init/error"
    assert post.json == {"errorMessage": "Error loading class example.BadStatic",
                         "errorType": "java.lang.ExceptionInInitializerError"}
    assert "Caused by: java.lang.RuntimeException: static boom" in post.stdout_before
    assert process.wait(timeout=WAIT_SECONDS) == 1


@pytest.mark.parametrize("handler, message", [
    ("example.Methods::nothing",
     "No public method named nothing with appropriate method signature found on class example.Methods"),
    ("example.Methods::tooMany",
     "No public method named tooMany with appropriate method signature found on class example.Methods"),
    ("example.Echo::", "Invalid handler: `example.Echo::'"),
    ("example.NoInterface", "Class does not implement an appropriate handler interface: example.NoInterface"),
])
def test_unusable_handlers_fail_invocations_with_aws_messages(runtime_api, start_runtime, handler, message):
    start_runtime(handler)

    request_id, post = invoke(runtime_api, {})

    assert post.path == error_path(request_id)
    assert post.json == {"errorMessage": message}
    assert "Lambda-Runtime-Function-Error-Type" not in post.headers


def test_a_handler_without_a_public_no_argument_constructor_fails_invocations(runtime_api, start_runtime):
    start_runtime("example.NeedsArgument")

    request_id, post = invoke(runtime_api, {})

    assert post.path == error_path(request_id)
    assert post.json == {"errorMessage": "Class example.NeedsArgument has no public zero-argument constructor",
                         "errorType": "java.lang.Exception"}


# --- Context, logs and the JVM ------------------------------------------------------------


def test_the_context_describes_the_invocation(runtime_api, start_runtime):
    start_runtime("example.Probe")
    headers = {"Lambda-Runtime-Cognito-Identity": '{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}',
               "Lambda-Runtime-Client-Context": json.dumps(
                   {"client": {"app_title": "app"}, "custom": {"k": "v"}, "env": {"platform": "Android"}})}

    request_id, post = invoke(runtime_api, {"a": 1}, headers=headers)

    result = post.json
    assert result["requestId"] == request_id
    assert result["eventType"] == "java.util.LinkedHashMap"
    assert (result["functionName"], result["functionVersion"], result["memory"]) == ("fake", "$LATEST", 512)
    assert (result["group"], result["stream"]) == ("/aws/lambda/fake", "2026/12/03/[$LATEST]0123456789abcdef")
    assert result["arn"] == runtime_api.function_arn
    assert 25000 < result["remaining"] <= 30000
    assert result["identity"] == "id-1/pool-1"
    assert result["client"] == "app|{k=v}|{platform=Android}"
    assert result["trace"] == TRACE_ID
    assert result["sameLogger"] is True
    assert result["executionEnv"] == "AWS_Lambda_java17"


def test_identity_client_context_and_trace_are_absent_when_the_invoke_has_none(runtime_api, start_runtime):
    start_runtime("example.Probe")
    invoke(runtime_api, {})

    _, post = invoke(runtime_api, {}, headers={"Lambda-Runtime-Trace-Id": None})

    assert (post.json["identity"], post.json["client"], post.json["trace"]) == (None, None, None)


def test_the_jvm_is_sized_and_tuned_as_aws_does_it(runtime_api, start_runtime):
    start_runtime("example.Probe")

    _, post = invoke(runtime_api, {})

    arguments = post.json["jvmArguments"]
    # 512 MB: 85% heap, 10% metaspace, 5% code cache, in KiB; C1 only; the serial collector.
    for flag in ("-XX:MaxHeapSize=445645k", "-XX:MaxMetaspaceSize=52429k", "-XX:ReservedCodeCacheSize=26214k",
                 "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto"):
        assert flag in arguments
    assert post.json["collectors"] == ["Copy", "MarkSweepCompact"]


def test_java_tool_options_override_the_defaults(runtime_api, start_runtime):
    start_runtime("example.Probe", env={"JAVA_TOOL_OPTIONS": "-XX:TieredStopAtLevel=4 -XX:+UseParallelGC"})

    _, post = invoke(runtime_api, {})

    arguments = post.json["jvmArguments"]
    assert arguments.index("-XX:TieredStopAtLevel=4") > arguments.index("-XX:TieredStopAtLevel=1")
    assert "-XX:+UseSerialGC" not in arguments
    assert "PS Scavenge" in post.json["collectors"]


def test_failed_dns_lookups_are_cached_for_one_second_as_on_aws(runtime_api, start_runtime):
    start_runtime("example.Probe")

    _, post = invoke(runtime_api, {})

    assert post.json["negativeDnsTtl"] == "1"


def test_the_dns_negative_cache_time_can_be_set(runtime_api, start_runtime):
    start_runtime("example.Probe", env={"AWS_LAMBDA_JAVA_NETWORKADDRESS_CACHE_NEGATIVE_TTL": "7"})

    _, post = invoke(runtime_api, {})

    assert post.json["negativeDnsTtl"] == "7"


def test_the_exec_wrapper_starts_the_runtime(runtime_api, start_runtime, tmp_path):
    wrapper = tmp_path / "wrapper"
    wrapper.write_text('#!/bin/sh\nexport WRAPPED_BY=wrapper\nexec "$@"\n')
    wrapper.chmod(0o755)
    start_runtime("example.Probe", env={"AWS_LAMBDA_EXEC_WRAPPER": str(wrapper)})

    _, post = invoke(runtime_api, {})

    assert post.json["wrapped"] == "wrapper"


def test_without_an_exec_wrapper_the_runtime_starts_directly(runtime_api, start_runtime):
    start_runtime("example.Probe")

    _, post = invoke(runtime_api, {})

    assert post.json["wrapped"] is None


def test_logs_are_written_before_the_response_one_record_per_logger_call(runtime_api, start_runtime):
    process = start_runtime("example.Logs")

    request_id, post = invoke(runtime_api, "m1")

    assert post.path == response_path(request_id)
    lines = post.stdout_before.split("\n")
    assert "stdout m1" in lines
    assert "no newline m1first m1\rsecond m1" in lines
    # Without AWS_LAMBDA_LOG_LEVEL every level passes, with its prefix.
    assert "[DEBUG] debug m1" in lines and "[WARN] warn m1" in lines
    assert "runtime logger m1" in lines
    assert "stderr m1" in process.stderr_path.read_text()


def test_json_log_format_writes_records_at_or_above_the_level(runtime_api, start_runtime):
    start_runtime("example.Logs", env={"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"})

    request_id, post = invoke(runtime_api, "m2")

    records = json_records(post.stdout_before)
    by_message = {record["message"]: record for record in records}
    assert "debug m2" not in by_message
    assert by_message["warn m2"]["level"] == "WARN"
    first = by_message["first m2\nsecond m2"]
    assert list(first) == ["timestamp", "message", "level", "AWSRequestId"]
    assert first["level"] == "INFO" and first["AWSRequestId"] == request_id
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["timestamp"])
    # System.out stays plain text, as on AWS.
    assert "stdout m2" in post.stdout_before.splitlines()


def test_json_log_format_writes_errors_as_error_records(runtime_api, start_runtime):
    start_runtime("example.Thrower", env={"AWS_LAMBDA_LOG_FORMAT": "JSON"})

    _, post = invoke(runtime_api, {})

    records = json_records(post.stdout_before)
    assert [record["level"] for record in records] == ["ERROR"]
    assert records[0]["message"].startswith("bad input: java.lang.IllegalArgumentException\n")


# --- The class path -----------------------------------------------------------------------


def test_classes_in_lib_jars_are_on_the_class_path(runtime_api, start_runtime, tmp_path):
    root = tmp_path / "jarred"
    (root / "lib").mkdir(parents=True)
    compiled = compile_java({"example/InJar.java": SOURCES["example/Upper.java"].replace("class Upper", "class InJar")},
                            tmp_path / "injar")
    jar_of(compiled, root / "lib" / "handler.jar")
    start_runtime("example.InJar", root=root)

    _, post = invoke(runtime_api, raw=b"jar")

    assert post.body == b"JAR"


def test_jars_outside_lib_are_not_on_the_class_path(runtime_api, start_runtime, tmp_path):
    root = tmp_path / "misplaced"
    (root / "jars").mkdir(parents=True)
    compiled = compile_java({"example/InJar.java": SOURCES["example/Upper.java"].replace("class Upper", "class InJar")},
                            tmp_path / "injar")
    jar_of(compiled, root / "jars" / "handler.jar")
    start_runtime("example.InJar", root=root)

    _, post = invoke(runtime_api, raw=b"jar")

    assert post.json["errorType"] == "java.lang.ClassNotFoundException"
