"""The Node.js runtime client, run through its bootstrap against a fake Runtime API.

Each behaviour of AWS's Node.js 20 runtime that the client reproduces has a test here, and
most have a negative twin beside it: the module that is missing, the export that is not
there, the handler that throws, the log record that the level filter drops.
"""

import json
import re
import statistics
import time

import pytest

pytestmark = pytest.mark.timeout(60)

INIT_ERROR_PATH = "/2018-06-01/runtime/init/error"
REQUEST_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TEXT_RECORD = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\t(?P<id>[^\t]*)\t(?P<level>[A-Z]+)\t(?P<message>.*)$"
)
# What exit statuses AWS's runtime ends with after an uncaught exception or rejection.
EXIT_UNCAUGHT_EXCEPTION = 129
EXIT_UNHANDLED_REJECTION = 128

ECHO_ESM = "export const handler = async (event) => ({ echo: event });\n"
ECHO_CJS = "exports.handler = async (event) => ({ echo: event });\n"


def response_path(request_id):
    return f"/2018-06-01/runtime/invocation/{request_id}/response"


def error_path(request_id):
    return f"/2018-06-01/runtime/invocation/{request_id}/error"


def invoke(runtime_api, event=None, headers=None):
    """Queues one event and returns (request id, the post that answered it)."""
    request_id = runtime_api.add_event({} if event is None else event, headers)
    return request_id, runtime_api.next_post()


def records(stdout):
    """The text-format log records in `stdout`, as match objects."""
    return [match for match in map(TEXT_RECORD.match, stdout.split("\n")) if match]


def run_init_failure(runtime_api, start_runtime, files, handler="app.handler", env=None):
    """Starts a runtime whose initialisation fails; returns (init error post, process)."""
    process = start_runtime(files, handler=handler, env=env)
    runtime_api.add_event({})
    post = runtime_api.next_post()
    assert post.path == INIT_ERROR_PATH
    assert process.wait() == EXIT_UNCAUGHT_EXCEPTION
    return post, process


# --- Loading the handler: module kinds and paths ----------------------------------------

MODULE_LAYOUTS = {
    "ES module .mjs": {"app.mjs": ECHO_ESM},
    "CommonJS .js": {"app.js": ECHO_CJS},
    "CommonJS .cjs": {"app.cjs": ECHO_CJS},
    ".js made ESM by package.json": {"app.js": ECHO_ESM, "package.json": '{"type": "module"}'},
    "extensionless CommonJS file": {"app": ECHO_CJS},
}


@pytest.mark.parametrize("layout", sorted(MODULE_LAYOUTS))
def test_handler_modules_load_in_every_form_aws_accepts(runtime_api, start_runtime, layout):
    start_runtime(MODULE_LAYOUTS[layout])

    request_id, post = invoke(runtime_api, {"a": 1, "text": "h\u00e9"})

    assert post.path == response_path(request_id)
    # JSON.stringify's compact form, UTF-8 as it is.
    assert post.body == '{"echo":{"a":1,"text":"h\u00e9"}}'.encode()
    assert post.headers["Content-Type"] == "application/json"


def test_a_js_file_is_commonjs_unless_a_package_json_says_module(runtime_api, start_runtime):
    code = "exports.handler = async () => typeof require;\n"
    commonjs = start_runtime({"app.js": code})
    assert invoke(runtime_api)[1].json == "function"
    commonjs.stop()  # so that the next event goes to the second runtime

    # The twin: under "type": "module" the same file is an ES module, where `exports` is
    # not defined, so loading it fails with the ReferenceError Node raises.
    post, _ = run_init_failure(runtime_api, start_runtime, {"app.js": code, "package.json": '{"type":"module"}'})
    assert post.json["errorType"] == "ReferenceError"
    assert post.json["errorMessage"].startswith("exports is not defined in ES module scope")


@pytest.mark.parametrize("handler, files", [
    ("src/lib/app.handler", {"src/lib/app.mjs": ECHO_ESM}),
    ("app.handlers.main", {"app.js": "exports.handlers = { main: async (event) => ({ echo: event }) };\n"}),
    ("app.default", {"app.mjs": "export default async (event) => ({ echo: event });\n"}),
    # No file of that name: require() looks for a package, in node_modules first.
    ("mypkg.handler", {"node_modules/mypkg/index.js": ECHO_CJS}),
])
def test_nested_paths_and_nested_exports_load(runtime_api, start_runtime, handler, files):
    start_runtime(files, handler=handler)

    assert invoke(runtime_api, {"n": 1})[1].json == {"echo": {"n": 1}}


def test_module_state_survives_and_one_connection_serves_every_request(runtime_api, start_runtime):
    start_runtime({"app.mjs": "let count = 0;\nexport const handler = async () => ++count;\n"})

    results = [invoke(runtime_api)[1].json for _ in range(3)]

    assert results == [1, 2, 3]
    assert {request.client_port for request in runtime_api.requests} == {runtime_api.requests[0].client_port}
    assert len(runtime_api.requests) >= 6


# --- Init errors -------------------------------------------------------------------------


def test_missing_module_is_an_import_module_error(runtime_api, start_runtime):
    post, process = run_init_failure(runtime_api, start_runtime, {"other.js": ECHO_CJS})

    assert post.headers["Lambda-Runtime-Function-Error-Type"] == "Runtime.ImportModuleError"
    assert post.json["errorType"] == "Runtime.ImportModuleError"
    assert post.json["errorMessage"].startswith("Error: Cannot find module 'app'\nRequire stack:\n- ")
    assert post.json["trace"][0] == "Runtime.ImportModuleError: Error: Cannot find module 'app'"
    # Logged as AWS logs it: before any invocation the request id is "undefined".
    record = records(process.stdout)[-1]
    assert (record["id"], record["level"]) == ("undefined", "ERROR")
    assert record["message"].startswith('Uncaught Exception \t{"errorType":"Runtime.ImportModuleError"')


def test_missing_commonjs_dependency_is_an_import_module_error(runtime_api, start_runtime):
    files = {"app.js": "require('not-installed-anywhere');\n" + ECHO_CJS}
    post, _ = run_init_failure(runtime_api, start_runtime, files)

    assert post.json["errorType"] == "Runtime.ImportModuleError"
    assert post.json["errorMessage"].startswith("Error: Cannot find module 'not-installed-anywhere'")


def test_missing_es_module_dependency_keeps_nodes_error_as_on_aws(runtime_api, start_runtime):
    # AWS wraps only CommonJS's MODULE_NOT_FOUND; ESM's ERR_MODULE_NOT_FOUND passes as it is.
    files = {"app.mjs": "import 'not-installed-anywhere';\n" + ECHO_ESM}
    post, process = run_init_failure(runtime_api, start_runtime, files)

    task_root = process.stdout_path.parent.parent / "task0"
    assert post.json["errorType"] == "Error"
    assert post.json["errorMessage"] == (
        f"Cannot find package 'not-installed-anywhere' imported from {task_root}/app.mjs"
    )


def test_missing_export_is_handler_not_found(runtime_api, start_runtime):
    post, _ = run_init_failure(runtime_api, start_runtime, {"app.mjs": ECHO_ESM}, handler="app.missing")

    assert post.json["errorType"] == "Runtime.HandlerNotFound"
    assert post.json["errorMessage"] == "app.missing is undefined or not exported"


def test_export_that_is_not_a_function_is_handler_not_found(runtime_api, start_runtime):
    post, _ = run_init_failure(runtime_api, start_runtime, {"app.mjs": "export const handler = 42;\n"})

    assert post.json["errorType"] == "Runtime.HandlerNotFound"
    assert post.json["errorMessage"] == "app.handler is not a function"


@pytest.mark.parametrize("handler, message", [
    ("app", "Bad handler"),
    ("", "Bad handler"),
    ("../app.handler", "'../app.handler' is not a valid handler name. "
                       "Use absolute paths when specifying root directories in handler names."),
])
def test_malformed_handler_names(runtime_api, start_runtime, handler, message):
    post, _ = run_init_failure(runtime_api, start_runtime, {"app.mjs": ECHO_ESM}, handler=handler)

    assert post.json["errorType"] == "Runtime.MalformedHandlerName"
    assert post.json["errorMessage"] == message


@pytest.mark.parametrize("name", ["app.js", "app.mjs"])
def test_syntax_error_is_a_user_code_syntax_error(runtime_api, start_runtime, name):
    post, _ = run_init_failure(runtime_api, start_runtime, {name: "export const handler = ) => 1;\n"})

    assert post.json["errorType"] == "Runtime.UserCodeSyntaxError"
    assert post.json["errorMessage"] == "SyntaxError: Unexpected token ')'"
    assert post.json["trace"][0] == "Runtime.UserCodeSyntaxError: SyntaxError: Unexpected token ')'"


def test_error_thrown_while_the_module_loads_keeps_its_own_type(runtime_api, start_runtime):
    files = {"app.mjs": "throw new TypeError('bad config');\n" + ECHO_ESM}
    post, process = run_init_failure(runtime_api, start_runtime, files)

    task_root = process.stdout_path.parent.parent / "task0"
    assert post.headers["Lambda-Runtime-Function-Error-Type"] == "TypeError"
    assert post.json["errorType"] == "TypeError"
    assert post.json["errorMessage"] == "bad config"
    assert post.json["trace"][:2] == ["TypeError: bad config", f"    at file://{task_root}/app.mjs:1:7"]


def test_rejected_top_level_await_is_an_init_error(runtime_api, start_runtime):
    files = {"app.mjs": "await Promise.reject(new RangeError('no database'));\n" + ECHO_ESM}
    post, _ = run_init_failure(runtime_api, start_runtime, files)

    assert (post.json["errorType"], post.json["errorMessage"]) == ("RangeError", "no database")


def test_top_level_console_output_is_logged_without_a_request_id(runtime_api, start_runtime):
    start_runtime({"app.mjs": "console.log('loading');\n" + ECHO_ESM})
    _, post = invoke(runtime_api)

    first = records(post.stdout_before)[0]
    assert (first["id"], first["level"], first["message"]) == ("undefined", "INFO", "loading")


# --- Ending an invocation: promises, callbacks and the legacy context methods ------------

ENDINGS = {
    "async return": ("async () => 'r'", "r"),
    "returned promise": ("() => Promise.resolve('r')", "r"),
    "async undefined": ("async () => {}", None),
    "callback": ("(event, context, callback) => callback(null, 'r')", "r"),
    "callback later": ("(event, context, callback) => setTimeout(() => callback(null, 'r'), 20)", "r"),
    "context.succeed": ("(event, context) => context.succeed('r')", "r"),
    "context.done": ("(event, context) => context.done(null, 'r')", "r"),
    # A handler that is not async and never calls back succeeds with null once the event
    # loop is empty, whatever it returned, as on AWS.
    "sync return ignored": ("() => 'ignored'", None),
    "first of two calls": ("(event, context, callback) => { callback(null, 'r'); context.succeed('x') }", "r"),
}


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_every_way_to_succeed_posts_the_result(runtime_api, start_runtime, ending):
    handler, expected = ENDINGS[ending]
    start_runtime({"app.js": f"exports.handler = {handler};\n"})

    request_id, post = invoke(runtime_api)

    assert post.path == response_path(request_id)
    assert post.json == expected


FAILURES = {
    "sync throw": ("() => { throw new TypeError('t') }", "TypeError", "t"),
    "async throw": ("async () => { throw new RangeError('r') }", "RangeError", "r"),
    "rejected promise": ("() => Promise.reject(new SyntaxError('s'))", "SyntaxError", "s"),
    "callback error": ("(e, c, callback) => callback(new URIError('u'))", "URIError", "u"),
    "context.fail": ("(e, c) => c.fail(new EvalError('v'))", "EvalError", "v"),
    "context.done error": ("(e, c) => c.done(new Error('d'))", "Error", "d"),
    "context.fail without a reason": ("(e, c) => c.fail()", "string", "handled"),
    "callback with a string": ("(e, c, callback) => callback('plain words')", "string", "plain words"),
    "thrown object": ("() => { throw { code: 7 } }", "object", "[object Object]"),
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_every_way_to_fail_posts_an_error_document(runtime_api, start_runtime, failure):
    handler, error_type, message = FAILURES[failure]
    start_runtime({"app.js": f"exports.handler = {handler};\n"})

    request_id, post = invoke(runtime_api)

    assert post.path == error_path(request_id)
    assert post.headers["Lambda-Runtime-Function-Error-Type"] == error_type
    assert set(post.json) == {"errorType", "errorMessage", "trace"}
    assert (post.json["errorType"], post.json["errorMessage"]) == (error_type, message)
    record = records(post.stdout_before)[-1]
    assert (record["id"], record["level"]) == (request_id, "ERROR")
    assert record["message"].startswith("Invoke Error \t{")


def test_error_trace_is_the_stack_split_into_lines(runtime_api, start_runtime):
    code = "function inner() { throw new Error('deep') }\nexports.handler = async () => inner();\n"
    process = start_runtime({"app.js": code})

    _, post = invoke(runtime_api)

    task_root = process.stdout_path.parent.parent / "task0"
    assert post.json["trace"][:3] == [
        "Error: deep",
        f"    at inner ({task_root}/app.js:1:26)",
        f"    at exports.handler ({task_root}/app.js:2:31)",
    ]


def test_runtime_keeps_serving_after_errors(runtime_api, start_runtime):
    code = "exports.handler = async (event) => { if (event.fail) throw new Error('x'); return 'ok' };\n"
    start_runtime({"app.js": code})

    assert invoke(runtime_api, {"fail": True})[1].json["errorType"] == "Error"
    request_id, post = invoke(runtime_api)
    assert post.path == response_path(request_id)
    assert post.json == "ok"


def test_result_that_json_cannot_encode_is_an_error(runtime_api, start_runtime):
    start_runtime({"app.js": "exports.handler = async () => { const a = {}; a.self = a; return a; };\n"})

    request_id, post = invoke(runtime_api)

    assert post.path == error_path(request_id)
    assert (post.json["errorType"], post.json["errorMessage"]) == ("Error", "Unable to stringify response body")


def test_event_that_is_not_json_fails_the_invocation(runtime_api, start_runtime):
    start_runtime({"app.mjs": ECHO_ESM})
    request_id = runtime_api.add_event(None, raw=b"{not json")

    post = runtime_api.next_post()

    assert post.path == error_path(request_id)
    assert post.json["errorType"] == "SyntaxError"


def test_async_handler_whose_promise_never_settles_is_a_nodejs_exit(runtime_api, start_runtime):
    start_runtime({"app.js": "exports.handler = async () => new Promise(() => {});\n"})

    request_id, post = invoke(runtime_api)

    assert post.path == error_path(request_id)
    assert post.json["errorType"] == "Runtime.NodeJsExit"
    assert "a Promise that was never settled" in post.json["errorMessage"]


def test_uncaught_exception_fails_the_invocation_and_ends_the_process(runtime_api, start_runtime):
    code = "exports.handler = () => { setTimeout(() => { throw new Error('from a timer') }, 10) };\n"
    process = start_runtime({"app.js": code})

    request_id, post = invoke(runtime_api)

    assert post.path == error_path(request_id)
    assert (post.json["errorType"], post.json["errorMessage"]) == ("Error", "from a timer")
    assert process.wait() == EXIT_UNCAUGHT_EXCEPTION
    assert "\tERROR\tUncaught Exception \t{" in process.stdout


def test_exception_after_the_invocation_ended_ends_the_process_at_once(runtime_api, start_runtime):
    # The timer fires while the runtime waits on /next: the error is posted for the last
    # invocation (which the real server refuses, as it has ended) and the process exits,
    # without waiting for another event.
    code = "exports.handler = async () => { setTimeout(() => { throw new Error('stray') }, 200); return 1 };\n"
    process = start_runtime({"app.js": code})

    request_id, post = invoke(runtime_api)
    assert post.path == response_path(request_id)

    assert process.wait() == EXIT_UNCAUGHT_EXCEPTION
    late = runtime_api.next_post()
    assert late.path == error_path(request_id)
    assert late.json["errorMessage"] == "stray"


def test_unhandled_rejection_fails_the_invocation_and_ends_the_process(runtime_api, start_runtime):
    code = (
        "exports.handler = async () => {\n"
        "  Promise.reject(new Error('nobody caught me'));\n"
        "  await new Promise((resolve) => setTimeout(resolve, 100));\n"
        "};\n"
    )
    process = start_runtime({"app.js": code})

    request_id, post = invoke(runtime_api)

    assert post.path == error_path(request_id)
    assert post.json["errorType"] == "Runtime.UnhandledPromiseRejection"
    assert post.json["errorMessage"] == "Error: nobody caught me"
    assert process.wait() == EXIT_UNHANDLED_REJECTION


# --- callbackWaitsForEmptyEventLoop --------------------------------------------------------

WAITING = """
exports.handler = (event, context, callback) => {
  context.callbackWaitsForEmptyEventLoop = event.wait;
  setTimeout(() => console.log('timer fired'), 300);
  callback(null, 'called back');
};
"""


def test_callback_result_waits_for_the_event_loop_to_empty(runtime_api, start_runtime):
    start_runtime({"app.js": WAITING})

    _, post = invoke(runtime_api, {"wait": True})

    assert post.json == "called back"
    assert "timer fired" in post.stdout_before


def test_callback_result_is_sent_at_once_when_told_not_to_wait(runtime_api, start_runtime):
    start_runtime({"app.js": WAITING})

    _, post = invoke(runtime_api, {"wait": False})

    assert post.json == "called back"
    assert "timer fired" not in post.stdout_before


def test_async_handler_does_not_wait_for_the_event_loop(runtime_api, start_runtime):
    code = "exports.handler = async () => { setTimeout(() => console.log('timer fired'), 300); return 1 };\n"
    start_runtime({"app.js": code})

    _, post = invoke(runtime_api)

    assert post.json == 1
    assert "timer fired" not in post.stdout_before


# --- The context object and the environment -------------------------------------------------

CONTEXT = """
export const handler = async (event, context) => ({
  functionName: context.functionName,
  functionVersion: context.functionVersion,
  invokedFunctionArn: context.invokedFunctionArn,
  memoryLimitInMB: context.memoryLimitInMB,
  awsRequestId: context.awsRequestId,
  logGroupName: context.logGroupName,
  logStreamName: context.logStreamName,
  identity: context.identity ?? 'absent',
  clientContext: context.clientContext ?? 'absent',
  callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
  legacy: [typeof context.done, typeof context.succeed, typeof context.fail],
  traceId: process.env._X_AMZN_TRACE_ID ?? 'absent',
});
"""


def test_context_describes_the_function_and_the_invocation(runtime_api, start_runtime):
    start_runtime({"app.mjs": CONTEXT})
    identity = {"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"}
    client_context = {"custom": {"k": "v"}, "env": {"platform": "x"}, "client": {"app_title": "t"}}
    headers = {
        "Lambda-Runtime-Cognito-Identity": json.dumps(identity),
        "Lambda-Runtime-Client-Context": json.dumps(client_context),
        "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000001;Sampled=0",
    }

    first_id, first = invoke(runtime_api, headers=headers)
    second_id, second = invoke(runtime_api, headers={"Lambda-Runtime-Trace-Id": ""})

    assert first.json == {
        "functionName": "fake",
        "functionVersion": "$LATEST",
        "invokedFunctionArn": runtime_api.function_arn,
        "memoryLimitInMB": "256",  # a string, as on AWS
        "awsRequestId": first_id,
        "logGroupName": "/aws/lambda/fake",
        "logStreamName": "2026/12/03/[$LATEST]0123456789abcdef",
        "identity": identity,
        "clientContext": client_context,
        "callbackWaitsForEmptyEventLoop": True,
        "legacy": ["function", "function", "function"],
        "traceId": "Root=1-00000000-000000000000000000000001;Sampled=0",
    }
    # Per invocation: the next one has its own id, and no identity, client context or trace.
    assert second.json["awsRequestId"] == second_id
    assert (second.json["identity"], second.json["clientContext"], second.json["traceId"]) == ("absent",) * 3


def test_client_context_that_is_not_json_fails_the_invocation(runtime_api, start_runtime):
    start_runtime({"app.mjs": CONTEXT})

    request_id, post = invoke(runtime_api, headers={"Lambda-Runtime-Client-Context": "{nope"})

    assert post.path == error_path(request_id)
    assert post.json["errorType"] == "Error"
    assert post.json["errorMessage"].startswith("Cannot parse ClientContext as json: SyntaxError")


def test_remaining_time_counts_down_and_goes_below_zero(runtime_api, start_runtime):
    code = """
export const handler = async (event, context) => {
  const before = context.getRemainingTimeInMillis();
  await new Promise((resolve) => setTimeout(resolve, 120));
  return [before, context.getRemainingTimeInMillis()];
};
"""
    start_runtime({"app.mjs": code})
    deadline = int(time.time() * 1000) + 10_000

    before, after = invoke(runtime_api, headers={"Lambda-Runtime-Deadline-Ms": str(deadline)})[1].json

    assert 9_000 < before <= 10_000
    assert 100 <= before - after < 1_000
    # Past the deadline it is negative: AWS's Node.js runtime does not clamp it.
    past = int(time.time() * 1000) - 5_000
    before, _ = invoke(runtime_api, headers={"Lambda-Runtime-Deadline-Ms": str(past)})[1].json
    assert before <= -5_000


ENVIRONMENT = """
const path = require('node:path');
exports.handler = async () => ({
  nodePath: process.env.NODE_PATH,
  executionEnv: process.env.AWS_EXECUTION_ENV,
  execArgv: process.execArgv,
  gc: typeof globalThis.gc,
  cwd: process.cwd(),
  helper: (() => { try { return require('lib/helper').where } catch (e) { return e.code } })(),
});
"""


def test_node_path_is_awss_for_nodejs20(runtime_api, start_runtime):
    process = start_runtime({"src/app.js": ENVIRONMENT, "lib/helper.js": "exports.where = 'task root';\n"},
                            handler="src/app.handler")

    result = invoke(runtime_api)[1].json

    task_root = process.stdout_path.parent.parent / "task0"
    runtime_dir = process.process.args[0].rsplit("/", 1)[0]
    assert result["nodePath"].split(":") == [
        "/opt/nodejs/node20/node_modules",
        "/opt/nodejs/node_modules",
        f"{runtime_dir}/node_modules",
        runtime_dir,
        str(task_root),
    ]
    # The task root is on NODE_PATH, so a bare name resolves from it in any directory.
    assert result["helper"] == "task root"
    assert result["executionEnv"] == "AWS_Lambda_nodejs20.x"
    assert result["cwd"] == str(task_root)


def test_node_path_the_function_sets_is_kept(runtime_api, start_runtime):
    start_runtime({"src/app.js": ENVIRONMENT, "lib/helper.js": "exports.where = 'task root';\n"},
                  handler="src/app.handler", env={"NODE_PATH": "/nowhere"})

    result = invoke(runtime_api)[1].json

    assert result["nodePath"] == "/nowhere"
    assert result["helper"] == "MODULE_NOT_FOUND"


def test_heap_is_sized_from_the_function_memory(runtime_api, start_runtime):
    start_runtime({"app.js": ENVIRONMENT})

    result = invoke(runtime_api)[1].json
    exec_argv = result["execArgv"]

    assert result["gc"] == "function"  # --expose-gc, as AWS's bootstrap passes it
    # 256 MB: a tenth for the young generation (two semi-spaces), the rest for the old.
    assert "--max-semi-space-size=12" in exec_argv
    assert "--max-old-space-size=231" in exec_argv


def test_heap_size_the_function_sets_wins(runtime_api, start_runtime):
    start_runtime({"app.js": ENVIRONMENT}, env={"NODE_OPTIONS": "--max-old-space-size=100"})

    exec_argv = invoke(runtime_api)[1].json["execArgv"]

    assert not [arg for arg in exec_argv if "space-size" in arg]


def test_exec_wrapper_starts_the_runtime(runtime_api, start_runtime):
    wrapper = '#!/bin/sh\necho "wrapped: $1" >&2\nexport WRAPPED=yes\nexec "$@"\n'
    code = "exports.handler = async () => process.env.WRAPPED ?? 'no';\n"
    process = start_runtime({"app.js": code, "wrapper.sh": wrapper}, modes={"wrapper.sh": 0o755},
                            env={"AWS_LAMBDA_EXEC_WRAPPER": "./wrapper.sh"})

    assert invoke(runtime_api)[1].json == "yes"
    assert re.search(r"^wrapped: \S*node$", process.stderr, re.MULTILINE), process.stderr


def test_runtime_exits_when_the_runtime_api_refuses_next(runtime_api, start_runtime):
    process = start_runtime({"app.mjs": ECHO_ESM})
    runtime_api.events.put(None)  # the fake answers 500

    assert process.wait() == 1
    assert "GET /invocation/next answered 500" in process.stderr


# --- Logging ------------------------------------------------------------------------------

CONSOLE = """
export const handler = async () => {
  console.trace('at trace');
  console.debug('at debug');
  console.info('at info');
  console.log('logged %s and %d', 'formatted', 42, { extra: true });
  console.warn('at warn');
  console.error('first line\\nsecond line');
  console.fatal('at fatal');
  return null;
};
"""


def test_text_records_carry_time_request_id_and_level(runtime_api, start_runtime):
    start_runtime({"app.mjs": CONSOLE})

    request_id, post = invoke(runtime_api)

    found = [(record["id"], record["level"], record["message"]) for record in records(post.stdout_before)]
    assert found == [
        (request_id, "TRACE", "at trace"),
        (request_id, "DEBUG", "at debug"),
        (request_id, "INFO", "at info"),
        (request_id, "INFO", "logged formatted and 42 { extra: true }"),
        (request_id, "WARN", "at warn"),
        # A multi-line message stays one record: its newlines become carriage returns.
        (request_id, "ERROR", "first line\rsecond line"),
        (request_id, "FATAL", "at fatal"),
    ]


def test_log_level_drops_records_below_it(runtime_api, start_runtime):
    start_runtime({"app.mjs": CONSOLE}, env={"AWS_LAMBDA_LOG_LEVEL": "warn"})

    _, post = invoke(runtime_api)

    assert [record["level"] for record in records(post.stdout_before)] == ["WARN", "ERROR", "FATAL"]


def test_json_format_writes_one_object_per_record(runtime_api, start_runtime):
    code = """
export const handler = async () => {
  console.info({ order: 7, items: ['a'] });
  console.warn('two %s', 'args', new TypeError('bad'));
  console.debug('dropped below INFO');
  console.error('multi\\nline');
  return null;
};
"""
    start_runtime({"app.mjs": code}, env={"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"})

    request_id, post = invoke(runtime_api)

    lines = post.stdout_before.rstrip("\n").split("\n")
    objects = [json.loads(line) for line in lines]
    assert [(o["level"], o["requestId"]) for o in objects] == [("INFO", request_id), ("WARN", request_id),
                                                               ("ERROR", request_id)]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", o["timestamp"]) for o in objects)
    assert objects[0]["message"] == {"order": 7, "items": ["a"]}
    assert objects[1]["message"].startswith("two args TypeError: bad\n    at ")
    assert (objects[1]["errorType"], objects[1]["errorMessage"]) == ("TypeError", "bad")
    assert objects[1]["stackTrace"][0] == "TypeError: bad"
    assert objects[2]["message"] == "multi\nline"


def test_json_format_logs_invocation_errors_as_objects(runtime_api, start_runtime):
    start_runtime({"app.mjs": "export const handler = async () => { throw new RangeError('r') };\n"},
                  env={"AWS_LAMBDA_LOG_FORMAT": "JSON"})

    request_id, post = invoke(runtime_api)

    record = json.loads(post.stdout_before.rstrip("\n").split("\n")[-1])
    assert (record["level"], record["requestId"]) == ("ERROR", request_id)
    assert (record["message"]["errorType"], record["message"]["errorMessage"]) == ("RangeError", "r")
    assert record["message"]["stackTrace"][0] == "RangeError: r"


def test_output_written_directly_passes_through(runtime_api, start_runtime):
    code = "export const handler = async () => { process.stdout.write('raw out\\n'); return 1 };\n"
    start_runtime({"app.mjs": code})

    _, post = invoke(runtime_api)

    assert "raw out\n" in post.stdout_before
    assert not records(post.stdout_before)


# --- Speed --------------------------------------------------------------------------------


def test_warm_invocation_overhead(runtime_api, start_runtime, record_figure):
    """Measures, without asserting on it, the time from the fake handing out an event to
    the runtime client's post of its result: parsing, the handler call, encoding, HTTP."""
    start_runtime({"app.mjs": ECHO_ESM})
    invoke(runtime_api)  # cold: loads the module
    count = 300
    ids = [runtime_api.add_event({"n": n}) for n in range(count)]

    posts = [runtime_api.next_post() for _ in range(count)]

    assert [post.path for post in posts] == [response_path(request_id) for request_id in ids]
    overheads = sorted((post.received_at - runtime_api.served_at[request_id]) * 1e6
                       for post, request_id in zip(posts, ids))
    figure = (f"warm invocation overhead over {count} invocations (fake Runtime API, loopback): "
              f"median {statistics.median(overheads):.0f} us, p99 {overheads[int(count * 0.99)]:.0f} us")
    record_figure(figure)
    print(figure)
