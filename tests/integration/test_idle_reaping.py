"""Idle environments are reaped after --idle-timeout, so a function with no
traffic holds no environment; /metrics shows environments alive and idle."""
import re
import time
import urllib.request

from swiftlet_testing import ROLE_ARN, make_zip, unique_name, wait_for


def gauge(server, name):
    text = urllib.request.urlopen(server.endpoint + "/metrics", timeout=5).read().decode()
    match = re.search(rf"^{name} (\d+)$", text, re.MULTILINE)
    assert match, f"{name} missing from /metrics"
    return int(match.group(1))


def deploy(client):
    name = unique_name("idle")
    client.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE_ARN, Handler="app.handler",
                           Code={"ZipFile": make_zip({"app.py": "def handler(e, c):\n    return 1\n"})})
    client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
    return name


def test_an_idle_environment_is_reaped_after_the_idle_timeout(server_factory):
    server = server_factory("--idle-timeout", "1")
    client = server.client("lambda")
    name = deploy(client)
    assert gauge(server, "swiftlet_environments") == 0
    client.invoke(FunctionName=name, Payload=b"{}")
    assert gauge(server, "swiftlet_environments") == 1
    assert gauge(server, "swiftlet_environments_idle") == 1
    wait_for(lambda: gauge(server, "swiftlet_environments") == 0, timeout=10, message="the idle environment to go")
    assert client.invoke(FunctionName=name, Payload=b"{}")["StatusCode"] == 200  # a new one starts


def test_a_warm_environment_survives_within_the_idle_timeout(server_factory):
    server = server_factory("--idle-timeout", "30")
    client = server.client("lambda")
    name = deploy(client)
    client.invoke(FunctionName=name, Payload=b"{}")
    time.sleep(2)
    assert gauge(server, "swiftlet_environments") == 1
