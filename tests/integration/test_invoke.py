"""Invoke on python3.11 functions: invocation types, errors, timeouts, context, environment."""

import base64
import json
import os
import re
import time

import pytest
from botocore.exceptions import ClientError

from swiftlet_testing import (
    SECRET_ACCESS_KEY,
    invoke_json,
    make_zip,
    wait_for,
)

pytestmark = pytest.mark.timeout(60)

REQUEST_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
LOG_STREAM = re.compile(r"^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$")
# The deadline and the function's clock may round apart by a millisecond or so.
CLOCK_SLACK_MS = 20


def test_request_response_returns_the_result(lambda_client, make_function):
    name, _ = make_function()

    response = lambda_client.invoke(FunctionName=name, Payload=json.dumps({"a": [1, "two"]}))

    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {"echo": {"a": [1, "two"]}}
    assert re.fullmatch(REQUEST_ID, response["ResponseMetadata"]["RequestId"])


def test_payload_bytes_are_those_the_runtime_posted(lambda_client, make_function):
    code = "def handler(event, context):\n    return {'k': 'caf\u00e9', 'n': 1.5}\n"
    name, _ = make_function(code=code)

    body = lambda_client.invoke(FunctionName=name, Payload=b"{}")["Payload"].read()

    assert body == b'{"k": "caf\\u00e9", "n": 1.5}'


def test_empty_payload_is_an_empty_event(lambda_client, make_function):
    name, _ = make_function()

    response = lambda_client.invoke(FunctionName=name)

    assert json.loads(response["Payload"].read()) == {"echo": {}}


def test_dry_run_answers_204_without_running(lambda_client, make_function):
    name, _ = make_function()

    response = lambda_client.invoke(FunctionName=name, InvocationType="DryRun", Payload=b"{}")

    assert response["StatusCode"] == 204
    assert response["Payload"].read() == b""


def test_event_invoke_answers_202_and_runs_later(lambda_client, logs_client, make_function):
    code = """
def handler(event, context):
    print("event-marker", event["marker"])
    return None
"""
    name, _ = make_function(code=code)
    marker = os.urandom(8).hex()

    response = lambda_client.invoke(
        FunctionName=name, InvocationType="Event", Payload=json.dumps({"marker": marker})
    )

    assert response["StatusCode"] == 202
    assert response["Payload"].read() == b""

    def marker_logged():
        try:
            events = logs_client.filter_log_events(
                logGroupName=f"/aws/lambda/{name}", filterPattern=marker
            )["events"]
        except logs_client.exceptions.ResourceNotFoundException:
            return None
        return [e for e in events if f"event-marker {marker}" in e["message"]]

    wait_for(marker_logged, timeout=20, message="the Event invocation's log line")


def test_log_type_tail_returns_the_invocation_log(lambda_client, make_function):
    code = """
def handler(event, context):
    print("tail-marker")
    return 1
"""
    name, _ = make_function(code=code)

    response = lambda_client.invoke(FunctionName=name, LogType="Tail", Payload=b"{}")

    request_id = response["ResponseMetadata"]["RequestId"]
    log = base64.b64decode(response["LogResult"]).decode()
    assert f"START RequestId: {request_id} Version: $LATEST" in log
    assert "tail-marker\n" in log
    assert f"END RequestId: {request_id}" in log
    report = re.search(rf"REPORT RequestId: {request_id}\t(.*)", log)
    assert report, log
    assert re.search(r"Duration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t", report.group(1))
    assert re.search(r"Memory Size: 128 MB\tMax Memory Used: \d+ MB", report.group(1))
    assert log.index("START") < log.index("tail-marker") < log.index("END") < log.index("REPORT")


def test_max_memory_used_follows_what_the_function_allocated(lambda_client, make_function):
    # The peak is read again after each invocation: the second, which touches 80 MB,
    # must report at least that much more than the first, which allocates nothing.
    code = """
def handler(event, context):
    block = bytearray(event["mb"] * 1024 * 1024)
    for offset in range(0, len(block), 4096):
        block[offset] = 1
    return len(block)
"""
    name, _ = make_function(code=code, MemorySize=256)

    def max_memory_used(megabytes):
        response = lambda_client.invoke(FunctionName=name, LogType="Tail", Payload=json.dumps({"mb": megabytes}))
        assert "FunctionError" not in response
        log = base64.b64decode(response["LogResult"]).decode()
        return int(re.search(r"Max Memory Used: (\d+) MB", log).group(1))

    small = max_memory_used(0)
    large = max_memory_used(80)

    assert 0 < small < 80
    assert large >= small + 80


def test_cold_start_report_has_init_duration(lambda_client, make_function):
    name, _ = make_function()

    cold = lambda_client.invoke(FunctionName=name, LogType="Tail", Payload=b"{}")
    warm = lambda_client.invoke(FunctionName=name, LogType="Tail", Payload=b"{}")

    assert "Init Duration: " in base64.b64decode(cold["LogResult"]).decode()
    assert "Init Duration: " not in base64.b64decode(warm["LogResult"]).decode()


def test_unhandled_exception_is_a_function_error(lambda_client, make_function):
    code = """def handler(event, context):
    raise ValueError("it broke: " + event["why"])
"""
    name, _ = make_function(code=code)

    response, payload = invoke_json(lambda_client, name, {"why": "test"}, LogType="Tail")

    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert response["ExecutedVersion"] == "$LATEST"
    assert payload["errorMessage"] == "it broke: test"
    assert payload["errorType"] == "ValueError"
    assert payload["requestId"] == response["ResponseMetadata"]["RequestId"]
    assert len(payload["stackTrace"]) == 1
    assert re.fullmatch(
        r'  File "[^"]*/app\.py", line 2, in handler\n'
        r'    raise ValueError\("it broke: " \+ event\["why"\]\)\n',
        payload["stackTrace"][0],
    ), payload["stackTrace"]
    log = base64.b64decode(response["LogResult"]).decode()
    assert "[ERROR] ValueError: it broke: test" in log


def test_warm_environment_keeps_module_state(lambda_client, make_function):
    code = """
import os
count = 0
def handler(event, context):
    global count
    count += 1
    return [count, os.getpid()]
"""
    name, _ = make_function(code=code)

    results = [invoke_json(lambda_client, name)[1] for _ in range(3)]

    assert [count for count, _ in results] == [1, 2, 3]
    assert len({pid for _, pid in results}) == 1


def test_timeout_ends_the_invocation_and_replaces_the_environment(lambda_client, make_function):
    code = """
import time
count = 0
def handler(event, context):
    global count
    count += 1
    if event.get("sleep"):
        print("going to sleep")
        time.sleep(event["sleep"])
    return count
"""
    name, _ = make_function(code=code, Timeout=1)
    assert invoke_json(lambda_client, name)[1] == 1

    started = time.monotonic()
    response, payload = invoke_json(lambda_client, name, {"sleep": 5}, LogType="Tail")
    elapsed = time.monotonic() - started

    assert elapsed < 3.5, f"a 1 s timeout took {elapsed:.2f} s to answer"
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in payload["errorMessage"]
    log = base64.b64decode(response["LogResult"]).decode()
    assert "going to sleep" in log
    assert "Task timed out after 1.00 seconds" in log

    # The timed-out environment was killed: the next invoke works, in a fresh one.
    response, payload = invoke_json(lambda_client, name)
    assert "FunctionError" not in response
    assert payload == 1


def test_import_error_is_reported_to_the_caller(lambda_client, make_function):
    name, _ = make_function(code="import not_a_real_module\n")

    response, payload = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.ImportModuleError"
    assert payload["errorMessage"] == (
        "Unable to import module 'app': No module named 'not_a_real_module'"
    )


def test_missing_handler_function_is_reported_to_the_caller(lambda_client, make_function):
    name, _ = make_function(handler="app.not_there")

    response, payload = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.HandlerNotFound"
    assert payload["errorMessage"] == "Handler 'not_there' missing on module 'app'"


def test_init_failure_repeats_until_the_code_is_fixed(lambda_client, make_function):
    code = "raise RuntimeError('init fails')\ndef handler(event, context):\n    return 'ok'\n"
    name, _ = make_function(code=code)

    for _ in range(2):
        response, payload = invoke_json(lambda_client, name)
        assert response["FunctionError"] == "Unhandled"
        assert payload["errorType"] == "RuntimeError"
        assert payload["errorMessage"] == "init fails"

    lambda_client.update_function_code(
        FunctionName=name, ZipFile=make_zip({"app.py": code.split("\n", 1)[1]})
    )
    lambda_client.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    response, payload = invoke_json(lambda_client, name)
    assert "FunctionError" not in response
    assert payload == "ok"


def test_result_that_is_not_json_is_a_marshal_error(lambda_client, make_function):
    name, _ = make_function(code="def handler(event, context):\n    return {1, 2}\n")

    response, payload = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.MarshalError"
    assert payload["errorMessage"] == (
        "Unable to marshal response: Object of type set is not JSON serializable"
    )


def test_context_describes_the_invocation(lambda_client, make_function):
    code = """
def handler(event, context):
    return {
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining": context.get_remaining_time_in_millis(),
        "custom": context.client_context and context.client_context.custom,
    }
"""
    name, created = make_function(code=code, Timeout=10, MemorySize=256)
    client_context = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()

    response, payload = invoke_json(lambda_client, name, ClientContext=client_context)

    assert payload["aws_request_id"] == response["ResponseMetadata"]["RequestId"]
    assert payload["function_name"] == name
    assert payload["function_version"] == "$LATEST"
    assert payload["invoked_function_arn"] == created["FunctionArn"]
    # A string, as AWS's Python runtime gives it.
    assert payload["memory_limit_in_mb"] == "256"
    assert payload["log_group_name"] == f"/aws/lambda/{name}"
    assert LOG_STREAM.match(payload["log_stream_name"]), payload["log_stream_name"]
    assert 8000 < payload["remaining"] <= 10000 + CLOCK_SLACK_MS
    assert payload["custom"] == {"k": "v"}


def test_environment_is_the_one_aws_sets(lambda_client, make_function):
    code = """
import os
def handler(event, context):
    files = os.listdir(os.environ["LAMBDA_TASK_ROOT"])
    return {"env": dict(os.environ), "cwd": os.getcwd(),
            "files": sorted(f for f in files if f != "__pycache__")}
"""
    name, _ = make_function(
        code=code, MemorySize=512, Environment={"Variables": {"MY_SETTING": "mine"}}
    )

    _, payload = invoke_json(lambda_client, name)
    env = payload["env"]

    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{name}"
    assert LOG_STREAM.match(env["AWS_LAMBDA_LOG_STREAM_NAME"])
    assert env["AWS_REGION"] == "us-east-1"
    assert env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.11"
    assert env["_HANDLER"] == "app.handler"
    assert env["TZ"] == ":UTC"
    assert env["LANG"] == "en_US.UTF-8"
    assert "/usr/bin" in env["PATH"].split(":") or "/usr/bin/" in env["PATH"].split(":")
    assert re.fullmatch(r"[0-9.]+:\d+|localhost:\d+", env["AWS_LAMBDA_RUNTIME_API"])
    assert env["MY_SETTING"] == "mine"
    # The code directory is the working directory and holds the function's files.
    assert payload["cwd"] == env["LAMBDA_TASK_ROOT"]
    assert payload["files"] == ["app.py"]
    assert env["LAMBDA_RUNTIME_DIR"]
    # Nothing of the server's own environment leaks in.
    assert SECRET_ACCESS_KEY not in json.dumps(env)
    assert not [key for key in env if key.startswith("SWIFTLET_")]


def test_reserved_environment_keys_cannot_be_overridden(lambda_client_unvalidated, make_function):
    with pytest.raises(ClientError) as raised:
        make_function(
            client=lambda_client_unvalidated,
            Environment={"Variables": {"AWS_REGION": "eu-west-1"}},
        )

    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "InvalidParameterValueException"


@pytest.mark.parametrize("handler", ["pkg/mod.handler", "pkg.mod.handler"])
def test_handler_in_a_nested_module(lambda_client, make_function, handler):
    files = {
        "pkg/__init__.py": "",
        "pkg/mod.py": "def handler(event, context):\n    return __name__\n",
    }
    name, _ = make_function(files=files, handler=handler)

    response, payload = invoke_json(lambda_client, name)

    assert "FunctionError" not in response, payload
    assert payload == "pkg.mod"


def test_logging_module_lines_carry_the_request_id(lambda_client, make_function):
    code = """
import logging
logger = logging.getLogger()
logger.setLevel(logging.INFO)
def handler(event, context):
    logger.info("from logging")
    return None
"""
    name, _ = make_function(code=code)

    response = lambda_client.invoke(FunctionName=name, LogType="Tail", Payload=b"{}")

    request_id = response["ResponseMetadata"]["RequestId"]
    log = base64.b64decode(response["LogResult"]).decode()
    assert re.search(
        rf"\[INFO\]\t\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z\t{request_id}\tfrom logging", log
    ), log
