"""Idle environments are frozen: a function's background thread does not run
between invocations, and runs again during the next one (as on AWS)."""
import json
import time

import pytest

from swiftlet_testing import ROLE_ARN, SANDBOX_MODE, make_zip, unique_name

TICKER = """
import threading
import time

ticks = 0


def tick():
    global ticks
    while True:
        ticks += 1
        time.sleep(0.01)


threading.Thread(target=tick, daemon=True).start()


def handler(event, context):
    time.sleep(event.get("run", 0))
    return ticks
"""


def ticks(client, name, run=0.0):
    reply = client.invoke(FunctionName=name, Payload=json.dumps({"run": run}))
    assert "FunctionError" not in reply
    return json.load(reply["Payload"])


def idle_progress(client, name):
    """How far the background thread got while the environment sat idle for 1 s."""
    before = ticks(client, name)
    time.sleep(1.0)
    return ticks(client, name) - before


@pytest.mark.skipif(SANDBOX_MODE == "none", reason="the freezer is part of the sandbox's cgroup")
def test_background_threads_stop_while_idle_and_resume_when_invoked(lambda_client, make_function):
    name, _ = make_function(code=TICKER)
    assert idle_progress(lambda_client, name) < 15  # about 100 ticks if it ran
    before = ticks(lambda_client, name)
    during = ticks(lambda_client, name, run=0.5) - before
    assert during >= 20  # thawed: the thread runs while an invocation does


def test_without_a_sandbox_the_thread_keeps_running(server_factory):
    server = server_factory("--sandbox", "none")
    client = server.client("lambda")
    name = unique_name("ticker")
    client.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE_ARN, Handler="app.handler",
                           Code={"ZipFile": make_zip({"app.py": TICKER})})
    assert idle_progress(client, name) > 50  # the negative twin: nothing freezes it
