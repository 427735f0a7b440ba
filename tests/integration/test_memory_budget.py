"""Environments are admitted against a memory budget (what they actually use), not against
MemorySize: idle environments are stopped to make room, and when busy ones fill the budget a
new environment is refused with 429 instead of driving the host into swap or the OOM killer."""

import re
import threading
import urllib.request

from botocore.exceptions import ClientError

from swiftlet_testing import ROLE_ARN, make_zip, unique_name

ECHO = "def handler(event, context):\n    return event\n"
SLEEPER = "import time\ndef handler(event, context):\n    time.sleep(3)\n    return 'slept'\n"


def metric(instance, name):
    with urllib.request.urlopen(instance.endpoint + "/metrics", timeout=5) as reply:
        text = reply.read().decode()
    return int(re.search(rf"^{name} (\d+)$", text, re.MULTILINE).group(1))


def deploy(client, code, memory=128):
    name = unique_name("mem")
    client.create_function(
        FunctionName=name, Runtime="python3.11", Role=ROLE_ARN, Handler="app.handler", MemorySize=memory,
        Timeout=10, Code={"ZipFile": make_zip({"app.py": code})})
    return name


def test_idle_environments_make_room_for_new_ones(server_factory):
    instance = server_factory("--memory-budget-mb", "64")
    client = instance.client("lambda")
    names = [deploy(client, ECHO) for _ in range(4)]
    for name in names:
        assert client.invoke(FunctionName=name, Payload=b'{"a": 1}')["StatusCode"] == 200
    assert metric(instance, "swiftlet_environments_reclaimed_total") >= 1
    assert metric(instance, "swiftlet_environments_memory_bytes") <= 64 * 1024 * 1024
    assert metric(instance, "swiftlet_environments") < len(names)


def test_without_a_tight_budget_nothing_is_reclaimed(server_factory):
    instance = server_factory()
    client = instance.client("lambda")
    for name in [deploy(client, ECHO) for _ in range(4)]:
        client.invoke(FunctionName=name, Payload=b"{}")
    assert metric(instance, "swiftlet_environments_reclaimed_total") == 0
    assert metric(instance, "swiftlet_environments") == 4


def test_a_full_budget_of_busy_environments_throttles_instead_of_overcommitting(server_factory):
    instance = server_factory("--memory-budget-mb", "64")
    name = deploy(instance.client("lambda"), SLEEPER)
    outcomes = []

    def call():
        try:
            instance.client("lambda").invoke(FunctionName=name, Payload=b"{}")
            outcomes.append("ok")
        except ClientError as error:
            outcomes.append((error.response["Error"]["Code"], error.response["Error"]["Message"]))

    threads = [threading.Thread(target=call) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert "ok" in outcomes
    refusals = [outcome for outcome in outcomes if outcome != "ok"]
    assert refusals and all(code == "TooManyRequestsException" for code, _ in refusals)
    assert "memory" in refusals[0][1]
