"""What a server promised survives it: a graceful stop and a kill -9, then a restart on
the same data directory, keep functions, their code and their logs."""

import time

import pytest

from swiftlet_testing import ROLE_ARN, code_sha256, invoke_json, make_zip, unique_name, wait_for

pytestmark = pytest.mark.timeout(120)

CODE = """
def handler(event, context):
    print("persist-marker", event["marker"])
    return {"marker": event["marker"], "from": "persisted code"}
"""


def create_and_invoke(server):
    client = server.client("lambda")
    name = unique_name("persist")
    archive = make_zip({"app.py": CODE})
    client.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=ROLE_ARN,
        Handler="app.handler",
        Code={"ZipFile": archive},
        Environment={"Variables": {"KEPT": "yes"}},
    )
    client.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    _, payload = invoke_json(client, name, {"marker": "before"})
    assert payload == {"marker": "before", "from": "persisted code"}
    wait_for_log_line(server, name, "persist-marker before")
    return name, archive


def wait_for_log_line(server, name, text):
    logs = server.client("logs")

    def found():
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            return False
        return any(text in event["message"] for event in events)

    wait_for(found, timeout=15, message=f"'{text}' in the logs of {name}")


def assert_everything_kept(server, name, archive):
    client = server.client("lambda")
    configuration = client.get_function_configuration(FunctionName=name)
    assert configuration["CodeSha256"] == code_sha256(archive)
    assert configuration["CodeSize"] == len(archive)
    assert configuration["State"] == "Active"
    assert configuration["Environment"] == {"Variables": {"KEPT": "yes"}}
    assert name in {f["FunctionName"] for f in client.list_functions()["Functions"]}

    _, payload = invoke_json(client, name, {"marker": "after"})
    assert payload == {"marker": "after", "from": "persisted code"}

    # The line logged before the restart is still there, and the new one joins it.
    wait_for_log_line(server, name, "persist-marker before")
    wait_for_log_line(server, name, "persist-marker after")


def test_graceful_stop_and_restart_keep_everything(server_factory):
    server = server_factory()
    name, archive = create_and_invoke(server)

    started = time.monotonic()
    status = server.stop()
    elapsed = time.monotonic() - started

    assert elapsed < 10
    assert status == 0, f"swiftlet exited with {status} on SIGTERM"
    server.start()
    assert_everything_kept(server, name, archive)


def test_kill_9_and_restart_keep_everything(server_factory):
    server = server_factory()
    name, archive = create_and_invoke(server)

    server.kill()
    server.start()

    assert_everything_kept(server, name, archive)


def test_a_function_deleted_before_a_restart_stays_deleted(server_factory):
    server = server_factory()
    name, _ = create_and_invoke(server)
    server.client("lambda").delete_function(FunctionName=name)

    server.kill()
    server.start()

    client = server.client("lambda")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function(FunctionName=name)


def test_sigterm_during_an_invocation_still_exits_promptly(server_factory):
    import threading

    server = server_factory()
    client = server.client("lambda", read_timeout=30)
    name = unique_name("busy")
    client.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=ROLE_ARN,
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": "import time\ndef handler(e, c):\n"
                                              "    time.sleep(60)\n"})},
        Timeout=120,
    )
    client.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    caller = threading.Thread(target=lambda: _swallow(client.invoke, FunctionName=name))
    caller.start()
    time.sleep(1.5)

    started = time.monotonic()
    server.stop()

    assert time.monotonic() - started < 10
    caller.join(timeout=30)


def _swallow(call, **arguments):
    try:
        call(**arguments)
    except Exception:
        pass
