"""nodejs20.x functions on the real server: deployed with boto3 and run by Swiftlet's
Node.js runtime client (runtimes/nodejs), as AWS's Node.js 20 runtime runs them.

Results, function errors, init errors, timeouts, the function's log group, LoggingConfig's
JSON format, and packages that a layer provides at /opt/nodejs/node_modules.
"""

import base64
import json
import re
import time

import pytest

from swiftlet_testing import SANDBOX_MODE, invoke_json, layer_versions, make_zip, unique_name, wait_for

pytestmark = pytest.mark.timeout(120)
needs_sandbox = pytest.mark.skipif(SANDBOX_MODE == "none", reason="SWIFTLET_SANDBOX=none: no /opt without a sandbox")

RUNTIME = "nodejs20.x"
MEMORY = 256
REQUEST_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

ECHO = """
export const handler = async (event, context) => ({
  echo: event,
  requestId: context.awsRequestId,
  functionName: context.functionName,
  memoryLimitInMB: context.memoryLimitInMB,
  invokedFunctionArn: context.invokedFunctionArn,
  remaining: context.getRemainingTimeInMillis(),
  executionEnv: process.env.AWS_EXECUTION_ENV,
  nodeVersion: process.version,
});
"""


@pytest.fixture
def make_node_function(make_function):
    """make_node_function(files, handler="index.handler", **create_args): a nodejs20.x
    function with MemorySize 256 unless told otherwise."""

    def make(files, handler="index.handler", **create_args):
        create_args.setdefault("MemorySize", MEMORY)
        return make_function(files=files, handler=handler, runtime=RUNTIME, **create_args)

    return make


def tail_log(response):
    return base64.b64decode(response["LogResult"]).decode()


def group_messages(logs_client, group):
    try:
        return [event["message"] for event in logs_client.filter_log_events(logGroupName=group)["events"]]
    except logs_client.exceptions.ResourceNotFoundException:
        return []


def test_es_module_handler_returns_its_result(lambda_client, make_node_function):
    name, created = make_node_function({"index.mjs": ECHO}, Timeout=10)

    response, result = invoke_json(lambda_client, name, {"a": [1, "two"]})

    assert response["StatusCode"] == 200
    assert "FunctionError" not in response, result
    assert result["echo"] == {"a": [1, "two"]}
    assert result["requestId"] == response["ResponseMetadata"]["RequestId"]
    assert result["functionName"] == name
    assert result["memoryLimitInMB"] == str(MEMORY)
    assert result["invokedFunctionArn"] == created["FunctionArn"]
    assert 8_000 < result["remaining"] <= 10_000
    assert result["executionEnv"] == "AWS_Lambda_nodejs20.x"
    assert result["nodeVersion"].startswith("v20.")


def test_payload_bytes_are_json_stringify_output(lambda_client, make_node_function):
    name, _ = make_node_function({"index.js": "exports.handler = async () => ({ k: 'caf\u00e9', n: 1.5 });\n"})

    body = lambda_client.invoke(FunctionName=name, Payload=b"{}")["Payload"].read()

    assert body == '{"k":"caf\u00e9","n":1.5}'.encode()


def test_undefined_result_is_null(lambda_client, make_node_function):
    name, _ = make_node_function({"index.mjs": "export const handler = async () => {};\n"})

    response = lambda_client.invoke(FunctionName=name, Payload=b"{}")

    assert "FunctionError" not in response
    assert response["Payload"].read() == b"null"


def test_commonjs_callback_handler_in_a_nested_path_keeps_state(lambda_client, make_node_function):
    code = """
let count = 0;
exports.handler = (event, context, callback) => {
  count += 1;
  setTimeout(() => callback(null, { count, pid: process.pid }), 10);
};
"""
    name, _ = make_node_function({"src/handlers/counter.js": code}, handler="src/handlers/counter.handler")

    results = [invoke_json(lambda_client, name)[1] for _ in range(3)]

    assert [result["count"] for result in results] == [1, 2, 3]
    assert len({result["pid"] for result in results}) == 1


def test_thrown_error_is_a_function_error_with_awss_document(lambda_client, make_node_function):
    code = "export const handler = async (event) => { throw new TypeError('it broke: ' + event.why); };\n"
    name, _ = make_node_function({"index.mjs": code})

    response, payload = invoke_json(lambda_client, name, {"why": "test"}, LogType="Tail")

    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert set(payload) == {"errorType", "errorMessage", "trace"}
    assert (payload["errorType"], payload["errorMessage"]) == ("TypeError", "it broke: test")
    assert payload["trace"][0] == "TypeError: it broke: test"
    # The handler's frame is named as on AWS, where the runtime also calls it as Runtime.handler.
    assert re.fullmatch(r"    at Runtime\.handler \(file://\S*/index\.mjs:1:\d+\)", payload["trace"][1]), payload
    log = tail_log(response)
    request_id = response["ResponseMetadata"]["RequestId"]
    assert re.search(rf"\t{request_id}\tERROR\tInvoke Error \t\{{\"errorType\":\"TypeError\"", log), log


def test_callback_error_is_a_function_error(lambda_client, make_node_function):
    name, _ = make_node_function({"index.js": "exports.handler = (e, c, callback) => callback('refused');\n"})

    response, payload = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert payload == {"errorType": "string", "errorMessage": "refused", "trace": []}


@pytest.mark.parametrize("files, handler, error_type, message", [
    ({"other.js": ""}, "index.handler", "Runtime.ImportModuleError", "Error: Cannot find module 'index'"),
    ({"index.js": "exports.other = () => 1;\n"}, "index.handler", "Runtime.HandlerNotFound",
     "index.handler is undefined or not exported"),
    ({"index.mjs": "export const handler = ) => 1;\n"}, "index.handler", "Runtime.UserCodeSyntaxError",
     "SyntaxError: Unexpected token ')'"),
    ({"index.mjs": "throw new RangeError('init fails');\n"}, "index.handler", "RangeError", "init fails"),
])
def test_init_errors_fail_every_invoke_with_awss_type(lambda_client, make_node_function, files, handler,
                                                      error_type, message):
    name, _ = make_node_function(files, handler=handler)

    for _ in range(2):
        response, payload = invoke_json(lambda_client, name)
        assert response["FunctionError"] == "Unhandled"
        assert payload["errorType"] == error_type
        assert payload["errorMessage"].startswith(message), payload


def test_fixed_code_recovers_from_an_init_error(lambda_client, make_node_function):
    name, _ = make_node_function({"index.mjs": "throw new Error('broken');\n"})
    assert invoke_json(lambda_client, name)[1]["errorMessage"] == "broken"

    lambda_client.update_function_code(FunctionName=name, ZipFile=make_zip({"index.mjs": ECHO}))
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.5})

    response, result = invoke_json(lambda_client, name, {"fixed": True})
    assert "FunctionError" not in response, result
    assert result["echo"] == {"fixed": True}


def test_timeout_ends_the_invocation_and_replaces_the_environment(lambda_client, make_node_function):
    code = """
let count = 0;
export const handler = async (event) => {
  count += 1;
  if (event.sleep) {
    console.log('going to sleep');
    await new Promise((resolve) => setTimeout(resolve, event.sleep));
  }
  return count;
};
"""
    name, _ = make_node_function({"index.mjs": code}, Timeout=1)
    assert invoke_json(lambda_client, name)[1] == 1

    started = time.monotonic()
    response, payload = invoke_json(lambda_client, name, {"sleep": 5000}, LogType="Tail")
    elapsed = time.monotonic() - started

    assert elapsed < 3.5, f"a 1 s timeout took {elapsed:.2f} s to answer"
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in payload["errorMessage"]
    assert "going to sleep" in tail_log(response)
    # A fresh environment: the module's state starts again.
    response, payload = invoke_json(lambda_client, name)
    assert "FunctionError" not in response
    assert payload == 1


def test_console_records_reach_the_functions_log_group(lambda_client, logs_client, make_node_function):
    marker = unique_name("marker").replace("-", "")
    code = f"""
export const handler = async () => {{
  console.log('log {marker}');
  console.warn('first {marker}\\nsecond line');
  return 'logged';
}};
"""
    name, _ = make_node_function({"index.mjs": code})
    response = lambda_client.invoke(FunctionName=name, Payload=b"{}")
    request_id = response["ResponseMetadata"]["RequestId"]
    group = f"/aws/lambda/{name}"

    lines = wait_for(lambda: [m for m in group_messages(logs_client, group) if m.startswith("REPORT ")] and
                     group_messages(logs_client, group), message=f"the REPORT line in {group}")

    mine = [line.rstrip("\n") for line in lines if marker in line]
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
    assert len(mine) == 2, lines
    assert re.fullmatch(rf"{stamp}\t{request_id}\tINFO\tlog {marker}", mine[0]), mine
    # A multi-line message is one log event.
    assert re.fullmatch(rf"{stamp}\t{request_id}\tWARN\tfirst {marker}\rsecond line", mine[1]), mine
    assert any(line.startswith(f"START RequestId: {request_id}") for line in lines)


def test_json_log_format_and_application_level(lambda_client, logs_client, make_node_function):
    group = f"/custom/{unique_name('nodejson')}"
    code = """
export const handler = async () => {
  console.info('hidden below WARN');
  console.warn({ shown: 'at WARN' });
  return 'ok';
};
"""
    name, _ = make_node_function({"index.mjs": code}, LoggingConfig={
        "LogFormat": "JSON", "LogGroup": group, "ApplicationLogLevel": "WARN", "SystemLogLevel": "INFO"})
    request_id = lambda_client.invoke(FunctionName=name, Payload=b"{}")["ResponseMetadata"]["RequestId"]

    lines = wait_for(lambda: [m for m in group_messages(logs_client, group) if "platform.report" in m] and
                     group_messages(logs_client, group), message=f"the report in {group}")

    application = [json.loads(line) for line in lines if "shown" in line]
    assert len(application) == 1, lines
    assert application[0]["level"] == "WARN"
    assert application[0]["requestId"] == request_id
    assert application[0]["message"] == {"shown": "at WARN"}
    assert not any("hidden below WARN" in line for line in lines)


@pytest.fixture
def layer(lambda_client):
    """layer(files) publishes a layer version and returns its ARN; deleted afterwards."""
    yield from layer_versions(lambda_client, "nodelayer", RUNTIME)


@needs_sandbox
def test_require_finds_packages_a_layer_provides(lambda_client, make_node_function, layer):
    arn = layer({
        "nodejs/node_modules/mypkg/index.js": "exports.greet = (who) => `hello ${who} from the layer`;\n",
        "nodejs/node20/node_modules/verpkg/index.js": "exports.where = 'node20 directory';\n",
    })
    code = """
const mypkg = require('mypkg');
const verpkg = require('verpkg');
exports.handler = async () => ({
  greeting: mypkg.greet('swiftlet'),
  where: verpkg.where,
  resolved: require.resolve('mypkg'),
  nodePath: process.env.NODE_PATH,
});
"""
    name, _ = make_node_function({"index.js": code}, Layers=[arn])

    response, result = invoke_json(lambda_client, name)

    assert "FunctionError" not in response, result
    assert result["greeting"] == "hello swiftlet from the layer"
    assert result["where"] == "node20 directory"
    assert result["resolved"] == "/opt/nodejs/node_modules/mypkg/index.js"
    assert result["nodePath"] == (
        "/opt/nodejs/node20/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task"
    )


@needs_sandbox
def test_package_without_its_layer_is_an_import_module_error(lambda_client, make_node_function):
    name, _ = make_node_function({"index.js": "const mypkg = require('mypkg');\nexports.handler = async () => 1;\n"})

    response, payload = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.ImportModuleError"
    assert payload["errorMessage"].startswith("Error: Cannot find module 'mypkg'")
    assert re.fullmatch(REQUEST_ID, response["ResponseMetadata"]["RequestId"])
