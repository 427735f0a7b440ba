"""The Python runtime client, run through its bootstrap against a fake Runtime API."""

import json
import re
import time

import pytest

pytestmark = pytest.mark.timeout(60)

ECHO = """
def handler(event, context):
    return {"echo": event, "ok": True}
"""

LOG_LINE = re.compile(
    r"^\[(?P<level>[A-Z]+)\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t(?P<id>[^\t]*)\t(?P<msg>.*)$"
)


def response_path(request_id):
    return f"/2018-06-01/runtime/invocation/{request_id}/response"


def error_path(request_id):
    return f"/2018-06-01/runtime/invocation/{request_id}/error"


INIT_ERROR_PATH = "/2018-06-01/runtime/init/error"


def test_success_posts_the_result_with_aws_json_encoding(runtime_api, start_runtime):
    start_runtime({"app.py": ECHO})
    request_id = runtime_api.add_event({"a": 1, "text": "h\u00e9"})

    post = runtime_api.next_post()

    assert post.path == response_path(request_id)
    # AWS's Python runtime keeps the encoder's default separators and escapes non-ASCII.
    assert post.body == b'{"echo": {"a": 1, "text": "h\\u00e9"}, "ok": true}'
    assert post.headers["Content-Type"] == "application/json"


def test_one_connection_serves_every_request(runtime_api, start_runtime):
    start_runtime({"app.py": ECHO})
    for index in range(3):
        runtime_api.add_event({"n": index})
        runtime_api.next_post()

    ports = {request.client_port for request in runtime_api.requests}
    assert len(runtime_api.requests) >= 6
    assert len(ports) == 1


def test_module_state_survives_between_invocations(runtime_api, start_runtime):
    code = """
count = 0
def handler(event, context):
    global count
    count += 1
    return count
"""
    start_runtime({"app.py": code})
    results = []
    for _ in range(3):
        runtime_api.add_event({})
        results.append(runtime_api.next_post().json)

    assert results == [1, 2, 3]


def test_output_is_written_before_the_response_is_posted(runtime_api, start_runtime):
    code = """
import logging, sys
logger = logging.getLogger()
logger.setLevel(logging.INFO)
def handler(event, context):
    print("printed line")
    sys.stdout.write("no newline\\n")
    logger.info("logged %s", "line")
    return "done"
"""
    start_runtime({"app.py": code})
    request_id = runtime_api.add_event({})

    post = runtime_api.next_post()

    assert "printed line\nno newline\n" in post.stdout_before
    last = post.stdout_before.rstrip("\n").split("\n")[-1]
    match = LOG_LINE.match(last)
    assert match, last
    assert match["level"] == "INFO"
    assert match["id"] == request_id
    assert match["msg"] == "logged line"


def test_root_logger_stays_at_warning_unless_a_level_is_configured(runtime_api, start_runtime):
    code = """
import logging
def handler(event, context):
    logging.getLogger().info("info line")
    logging.getLogger().warning("warning line")
    return None
"""
    start_runtime({"app.py": code})
    runtime_api.add_event({})
    post = runtime_api.next_post()

    assert post.body == b"null"
    assert "info line" not in post.stdout_before
    assert "[WARNING]\t" in post.stdout_before and "warning line" in post.stdout_before


def test_aws_lambda_log_level_sets_the_root_level(runtime_api, start_runtime):
    code = """
import logging
def handler(event, context):
    logging.getLogger().debug("debug line")
    logging.getLogger().info("info line")
    return None
"""
    start_runtime({"app.py": code}, env={"AWS_LAMBDA_LOG_LEVEL": "INFO"})
    runtime_api.add_event({})
    post = runtime_api.next_post()

    assert "info line" in post.stdout_before
    assert "debug line" not in post.stdout_before


def test_json_log_format_writes_one_object_per_record(runtime_api, start_runtime):
    code = """
import logging
def handler(event, context):
    logging.getLogger("mine").info("hello %s", "json")
    return None
"""
    env = {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"}
    start_runtime({"app.py": code}, env=env)
    request_id = runtime_api.add_event({})
    post = runtime_api.next_post()

    record = json.loads(post.stdout_before.strip().splitlines()[-1])
    assert record["level"] == "INFO"
    assert record["message"] == "hello json"
    assert record["logger"] == "mine"
    assert record["requestId"] == request_id
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["timestamp"])


def test_handler_exception_posts_aws_error_document(runtime_api, start_runtime, tmp_path):
    code = """def helper(value):
    raise ValueError("bad value: " + str(value))

def handler(event, context):
    return helper(event["v"])
"""
    start_runtime({"app.py": code})
    request_id = runtime_api.add_event({"v": 7})

    post = runtime_api.next_post()

    path = tmp_path / "task0" / "app.py"
    assert post.path == error_path(request_id)
    assert post.headers["Lambda-Runtime-Function-Error-Type"] == "ValueError"
    assert post.json == {
        "errorMessage": "bad value: 7",
        "errorType": "ValueError",
        "requestId": request_id,
        "stackTrace": [
            f'  File "{path}", line 5, in handler\n    return helper(event["v"])\n',
            f'  File "{path}", line 2, in helper\n'
            '    raise ValueError("bad value: " + str(value))\n',
        ],
    }
    # The same error goes to the log as one record: lines joined with \r, indentation
    # made of no-break spaces.
    record = post.stdout_before.rstrip("\n").split("\n")[-1]
    assert record.startswith(
        "[ERROR] ValueError: bad value: 7\rTraceback (most recent call last):\r"
        f'\u00a0\u00a0File "{path}", line 5, in handler\r'
        '\u00a0\u00a0\u00a0\u00a0return helper(event["v"])\r'
    )


def test_runtime_keeps_serving_after_an_error(runtime_api, start_runtime):
    code = """
def handler(event, context):
    if event.get("fail"):
        raise RuntimeError("asked to fail")
    return "fine"
"""
    start_runtime({"app.py": code})
    runtime_api.add_event({"fail": True})
    assert runtime_api.next_post().json["errorType"] == "RuntimeError"

    request_id = runtime_api.add_event({})
    post = runtime_api.next_post()
    assert post.path == response_path(request_id)
    assert post.json == "fine"


def test_result_that_cannot_be_encoded_is_a_marshal_error(runtime_api, start_runtime):
    code = """
def handler(event, context):
    return {"values": {1, 2}}
"""
    start_runtime({"app.py": code})
    request_id = runtime_api.add_event({})

    post = runtime_api.next_post()

    assert post.path == error_path(request_id)
    assert post.headers["Lambda-Runtime-Function-Error-Type"] == "Runtime.MarshalError"
    assert post.json == {
        "errorMessage": "Unable to marshal response: Object of type set is not JSON serializable",
        "errorType": "Runtime.MarshalError",
        "requestId": request_id,
        "stackTrace": [],
    }


def test_event_that_is_not_json_is_an_unmarshal_error(runtime_api, start_runtime):
    start_runtime({"app.py": ECHO})
    runtime_api.add_event(None, raw=b"{not json")

    post = runtime_api.next_post()

    assert post.json["errorType"] == "Runtime.UnmarshalError"
    assert post.json["errorMessage"].startswith("Unable to unmarshal input: Expecting")


def test_bytes_result_passes_through(runtime_api, start_runtime):
    code = """
def handler(event, context):
    return b"\\x00raw bytes"
"""
    start_runtime({"app.py": code})
    runtime_api.add_event({})

    post = runtime_api.next_post()

    assert post.body == b"\x00raw bytes"
    assert post.headers["Content-Type"] == "application/unknown"


def test_context_carries_the_invocation_and_the_function(runtime_api, start_runtime):
    code = """
import os
def handler(event, context):
    return {
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "identity": [context.identity.cognito_identity_id,
                     context.identity.cognito_identity_pool_id],
        "client_context": None if context.client_context is None else {
            "custom": context.client_context.custom,
            "env": context.client_context.env,
            "app_title": context.client_context.client.app_title,
        },
        "trace": os.environ.get("_X_AMZN_TRACE_ID"),
    }
"""
    start_runtime({"app.py": code})
    client_context = {"custom": {"k": "v"}, "env": {"e": "1"}, "client": {"app_title": "t"}}
    identity = {"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"}
    headers = {
        "Lambda-Runtime-Client-Context": json.dumps(client_context),
        "Lambda-Runtime-Cognito-Identity": json.dumps(identity),
        "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000001;Sampled=0",
    }
    first_id = runtime_api.add_event({}, headers=headers)
    first = runtime_api.next_post().json
    second_id = runtime_api.add_event({})
    second = runtime_api.next_post().json

    assert first == {
        "aws_request_id": first_id,
        "function_name": "fake",
        "function_version": "$LATEST",
        "invoked_function_arn": runtime_api.function_arn,
        "memory_limit_in_mb": "256",
        "log_group_name": "/aws/lambda/fake",
        "log_stream_name": "2026/12/03/[$LATEST]0123456789abcdef",
        "identity": ["id-1", "pool-1"],
        "client_context": {"custom": {"k": "v"}, "env": {"e": "1"}, "app_title": "t"},
        "trace": "Root=1-00000000-000000000000000000000001;Sampled=0",
    }
    assert second["aws_request_id"] == second_id
    assert second["identity"] == [None, None]
    assert second["client_context"] is None
    assert second["trace"] == "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"


def test_remaining_time_counts_down_to_the_deadline(runtime_api, start_runtime):
    code = """
import time
def handler(event, context):
    before = context.get_remaining_time_in_millis()
    time.sleep(0.2)
    return [before, context.get_remaining_time_in_millis()]
"""
    start_runtime({"app.py": code})
    deadline = int(time.time() * 1000) + 3000
    runtime_api.add_event({}, headers={"Lambda-Runtime-Deadline-Ms": str(deadline)})
    before, after = runtime_api.next_post().json

    assert 1500 < before <= 3000
    assert 150 <= before - after < 1000

    past = int(time.time() * 1000) - 5000
    runtime_api.add_event({}, headers={"Lambda-Runtime-Deadline-Ms": str(past)})
    assert runtime_api.next_post().json == [0, 0]


@pytest.mark.parametrize(
    "handler",
    ["pkg/sub/mod.handler", "pkg.sub.mod.handler"],
)
def test_nested_module_handlers_load(runtime_api, start_runtime, handler):
    files = {
        "pkg/__init__.py": "",
        "pkg/sub/__init__.py": "",
        "pkg/sub/mod.py": "def handler(event, context):\n    return __name__\n",
    }
    start_runtime(files, handler=handler)
    runtime_api.add_event({})

    assert runtime_api.next_post().json == "pkg.sub.mod"


def test_task_root_comes_first_on_sys_path_and_is_the_working_directory(
    runtime_api, start_runtime, tmp_path
):
    code = """
import os, sys
def handler(event, context):
    return [sys.path[0], os.getcwd(), [p for p in sys.path if "runtimes" in p], sys.path[-2:]]
"""
    start_runtime({"app.py": code})
    runtime_api.add_event({})
    task_root, cwd, runtime_entries, last = runtime_api.next_post().json

    assert task_root == cwd == str(tmp_path / "task0")
    # The runtime's own directory stays on the path, but last, followed only by the SDK it
    # ships (boto3), so a function's own copy of the SDK wins.
    runtime_dir = runtime_entries[0]
    assert runtime_entries == [runtime_dir, runtime_dir + "/sdk"] == last


def run_init_failure(runtime_api, start_runtime, files, handler):
    process = start_runtime(files, handler=handler)
    post = runtime_api.next_post()
    assert process.wait() == 1
    assert post.path == INIT_ERROR_PATH
    assert post.headers["Lambda-Runtime-Function-Error-Type"] == post.json["errorType"]
    assert post.json["requestId"] == ""
    assert not [r for r in runtime_api.requests if r.path.endswith("/invocation/next")]
    return post, process


def test_missing_module_is_an_import_module_error(runtime_api, start_runtime):
    post, process = run_init_failure(runtime_api, start_runtime, {"app.py": ECHO}, "nope.handler")

    assert post.json == {
        "errorMessage": "Unable to import module 'nope': No module named 'nope'",
        "errorType": "Runtime.ImportModuleError",
        "requestId": "",
        "stackTrace": [],
    }
    assert "LAMBDA_WARNING: Unhandled exception." in process.stdout
    assert (
        "[ERROR] Runtime.ImportModuleError: Unable to import module 'nope': "
        "No module named 'nope'\rTraceback (most recent call last):\n"
    ) in process.stdout


def test_missing_dependency_is_an_import_module_error(runtime_api, start_runtime):
    files = {"app.py": "import requests_not_installed\n" + ECHO}
    post, _ = run_init_failure(runtime_api, start_runtime, files, "app.handler")

    assert post.json["errorType"] == "Runtime.ImportModuleError"
    assert post.json["errorMessage"] == (
        "Unable to import module 'app': No module named 'requests_not_installed'"
    )


def test_missing_function_is_handler_not_found(runtime_api, start_runtime):
    post, _ = run_init_failure(runtime_api, start_runtime, {"app.py": ECHO}, "app.missing")

    assert post.json["errorType"] == "Runtime.HandlerNotFound"
    assert post.json["errorMessage"] == "Handler 'missing' missing on module 'app'"
    assert post.json["stackTrace"] == []


def test_handler_without_a_dot_is_malformed(runtime_api, start_runtime):
    post, _ = run_init_failure(runtime_api, start_runtime, {"app.py": ECHO}, "app")

    assert post.json["errorType"] == "Runtime.MalformedHandlerName"
    assert post.json["errorMessage"] == (
        "Bad handler 'app': not enough values to unpack (expected 2, got 1)"
    )


def test_builtin_module_name_is_a_conflict(runtime_api, start_runtime):
    post, _ = run_init_failure(runtime_api, start_runtime, {"app.py": ECHO}, "sys.handler")

    assert post.json["errorType"] == "Runtime.BuiltInModuleConflict"
    assert post.json["errorMessage"] == "Cannot use built-in module sys as a handler module"


def test_syntax_error_is_a_user_code_syntax_error(runtime_api, start_runtime, tmp_path):
    files = {"app.py": "def handler(event, context)\n    return 1\n"}
    post, _ = run_init_failure(runtime_api, start_runtime, files, "app.handler")

    path = tmp_path / "task0" / "app.py"
    assert post.json["errorType"] == "Runtime.UserCodeSyntaxError"
    assert post.json["errorMessage"] == (
        "Syntax error in module 'app': expected ':' (app.py, line 1)"
    )
    assert post.json["stackTrace"] == [
        f'  File "{path}" Line 1\n    def handler(event, context)\n'
    ]


def test_exception_during_module_init_is_reported_with_its_own_type(
    runtime_api, start_runtime, tmp_path
):
    files = {"app.py": "raise KeyError('config')\n" + ECHO}
    post, _ = run_init_failure(runtime_api, start_runtime, files, "app.handler")

    path = tmp_path / "task0" / "app.py"
    assert post.json["errorType"] == "KeyError"
    assert post.json["errorMessage"] == "'config'"
    # As on AWS the trace starts in importlib, which the runtime called, and ends in
    # the module's own line.
    assert post.json["stackTrace"][0].startswith('  File "/usr/lib/python3.11/importlib/')
    assert post.json["stackTrace"][-1] == (
        f'  File "{path}", line 1, in <module>\n    raise KeyError(\'config\')\n'
    )


def test_runtime_exits_when_the_runtime_api_refuses_next(runtime_api, start_runtime):
    process = start_runtime({"app.py": ECHO})
    runtime_api.events.put(None)  # the fake answers 500

    assert process.wait() == 1
    assert "GET /invocation/next answered 500" in process.stderr
