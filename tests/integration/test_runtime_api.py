"""The Runtime API (2018-06-01) proven by real runtime clients: AWS's own awslambdaric,
unmodified from PyPI, and a hand-written client on Python's standard library that checks
the headers and paths byte by byte.

Both run as `provided.al2023` functions whose zip carries an executable `bootstrap`.
The bootstraps name the test venv's Python by its absolute path: the test harness
shows the venv read-only inside sandboxes (`swiftlet serve --sandbox-bind`).
"""

import re

import pytest

from swiftlet_testing import VENV_PYTHON, invoke_json

pytestmark = pytest.mark.timeout(60)

EXECUTABLE = {"bootstrap": 0o755}
# The deadline and the function's clock may round apart by a millisecond or so.
CLOCK_SLACK_MS = 20

AWSLAMBDARIC_BOOTSTRAP = f"""#!/bin/sh
export PYTHONPATH="$LAMBDA_TASK_ROOT"
exec "{VENV_PYTHON}" -m awslambdaric "$_HANDLER"
"""

AWSLAMBDARIC_APP = """
import os
count = 0
def handler(event, context):
    global count
    count += 1
    if event.get("fail"):
        raise KeyError("asked to fail")
    return {"event": event, "count": count, "request_id": context.aws_request_id,
            "arn": context.invoked_function_arn,
            "remaining": context.get_remaining_time_in_millis(),
            "trace": os.environ.get("_X_AMZN_TRACE_ID")}
"""

# A runtime client on the standard library alone: every header of /next goes back in
# the result, so the test sees exactly what the Runtime API sent.
RAW_RUNTIME = """#!/usr/bin/python3
import http.client, json, os, sys

api = os.environ["AWS_LAMBDA_RUNTIME_API"]
base = "/2018-06-01/runtime"
mode = os.environ.get("RAW_MODE", "ok")
connection = http.client.HTTPConnection(api)

def call(method, path, body=None, headers=None):
    connection.request(method, base + path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), response.read()

if mode == "init-error":
    body = json.dumps({"errorMessage": "raw init failed", "errorType": "Raw.InitFailed"})
    status, _, _ = call("POST", "/init/error", body,
                        {"Lambda-Runtime-Function-Error-Type": "Raw.InitFailed"})
    print("init error posted:", status)
    sys.exit(1)

previous_post_status = None
while True:
    status, headers, event = call("GET", "/invocation/next")
    if status != 200:
        sys.exit(1)
    request_id = headers["Lambda-Runtime-Aws-Request-Id"]
    print("raw runtime got", request_id)
    event = json.loads(event)
    if event.get("fail"):
        body = json.dumps({"errorMessage": "raw failure", "errorType": "Raw.Failure",
                           "stackTrace": ["frame one", "frame two"]})
        status, _, reply = call("POST", "/invocation/" + request_id + "/error", body,
                                {"Lambda-Runtime-Function-Error-Type": "Raw.Failure"})
    else:
        body = json.dumps({"headers": headers, "event": event,
                           "previous_post_status": previous_post_status})
        status, _, reply = call("POST", "/invocation/" + request_id + "/response", body)
    previous_post_status = status
"""

RAW_BOOTSTRAP = """#!/bin/sh
exec /usr/bin/python3 "$LAMBDA_TASK_ROOT/runtime.py"
"""


@pytest.fixture
def awslambdaric_function(make_function):
    name, created = make_function(
        files={"bootstrap": AWSLAMBDARIC_BOOTSTRAP, "app.py": AWSLAMBDARIC_APP},
        modes=EXECUTABLE,
        runtime="provided.al2023",
        handler="app.handler",
        Timeout=10,
    )
    return name, created


def test_awslambdaric_serves_invocations(lambda_client, awslambdaric_function):
    name, created = awslambdaric_function

    results = []
    for index in range(3):
        response, payload = invoke_json(lambda_client, name, {"n": index})
        assert response["StatusCode"] == 200
        assert "FunctionError" not in response, payload
        assert response["ExecutedVersion"] == "$LATEST"
        results.append((response, payload))

    for index, (response, payload) in enumerate(results):
        assert payload["event"] == {"n": index}
        assert payload["count"] == index + 1
        assert payload["request_id"] == response["ResponseMetadata"]["RequestId"]
        assert payload["arn"] == created["FunctionArn"]
        assert 5000 < payload["remaining"] <= 10000 + CLOCK_SLACK_MS
        assert payload["trace"] and payload["trace"].startswith("Root=1-")
    # Each invocation has a trace of its own.
    assert len({payload["trace"] for _, payload in results}) == len(results)


def test_awslambdaric_error_is_a_function_error(lambda_client, awslambdaric_function):
    name, _ = awslambdaric_function

    response, payload = invoke_json(lambda_client, name, {"fail": True})

    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "KeyError"
    assert payload["errorMessage"] == "'asked to fail'"
    assert payload["requestId"] == response["ResponseMetadata"]["RequestId"]
    assert any("raise KeyError" in frame for frame in payload["stackTrace"])

    # The environment survives a handled error.
    response, payload = invoke_json(lambda_client, name, {})
    assert "FunctionError" not in response
    assert payload["count"] == 2


def test_awslambdaric_import_error_is_an_init_error(lambda_client, make_function):
    name, _ = make_function(
        files={"bootstrap": AWSLAMBDARIC_BOOTSTRAP, "app.py": "import nowhere_to_be_found\n"},
        modes=EXECUTABLE,
        runtime="provided.al2023",
    )

    response, payload = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.ImportModuleError"
    assert payload["errorMessage"] == (
        "Unable to import module 'app': No module named 'nowhere_to_be_found'"
    )


def raw_function(make_function, mode="ok", timeout=10):
    return make_function(
        files={"bootstrap": RAW_BOOTSTRAP, "runtime.py": RAW_RUNTIME},
        modes={"bootstrap": 0o755, "runtime.py": 0o755},
        runtime="provided.al2023",
        handler="unused.handler",
        Timeout=timeout,
        Environment={"Variables": {"RAW_MODE": mode}},
    )


def test_next_carries_the_invocation_headers(lambda_client, make_function):
    name, created = raw_function(make_function)

    response, payload = invoke_json(lambda_client, name, {"hello": "raw"})

    assert "FunctionError" not in response, payload
    headers = {key.lower(): value for key, value in payload["headers"].items()}
    assert headers["lambda-runtime-aws-request-id"] == response["ResponseMetadata"]["RequestId"]
    assert headers["lambda-runtime-invoked-function-arn"] == created["FunctionArn"]
    assert re.fullmatch(r"\d{13}", headers["lambda-runtime-deadline-ms"])
    # X-Ray's form: epoch seconds and 96 random bits in the root, a 64-bit parent, not sampled.
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0;Lineage=1:[0-9a-f]{8}:0",
                        headers["lambda-runtime-trace-id"]), headers["lambda-runtime-trace-id"]
    assert headers["content-type"] == "application/json"
    assert payload["event"] == {"hello": "raw"}


def test_runtime_error_post_becomes_the_invoke_error(lambda_client, make_function):
    name, _ = raw_function(make_function)

    response, payload = invoke_json(lambda_client, name, {"fail": True}, LogType="Tail")

    assert response["FunctionError"] == "Unhandled"
    assert payload == {
        "errorMessage": "raw failure",
        "errorType": "Raw.Failure",
        "stackTrace": ["frame one", "frame two"],
    }


def test_response_and_error_posts_are_accepted_with_202(lambda_client, make_function):
    name, _ = raw_function(make_function)

    invoke_json(lambda_client, name)
    _, after_response = invoke_json(lambda_client, name)
    invoke_json(lambda_client, name, {"fail": True})
    _, after_error = invoke_json(lambda_client, name)

    assert after_response["previous_post_status"] == 202
    assert after_error["previous_post_status"] == 202


def test_init_error_post_becomes_the_invoke_error(lambda_client, make_function):
    name, _ = raw_function(make_function, mode="init-error")

    response, payload = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Raw.InitFailed"
    assert payload["errorMessage"] == "raw init failed"


def test_bootstrap_that_exits_is_a_runtime_exit_error(lambda_client, make_function):
    name, _ = make_function(
        files={"bootstrap": "#!/bin/sh\necho 'bootstrap giving up'\nexit 3\n"},
        modes=EXECUTABLE,
        runtime="provided.al2023",
    )

    response, payload = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in payload["errorMessage"]


def test_missing_bootstrap_is_an_invalid_entrypoint(lambda_client, make_function):
    name, _ = make_function(files={"app.py": "x = 1\n"}, runtime="provided.al2023")

    response, payload = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.InvalidEntrypoint"
