"""`swiftlet serve --loop-spin-us`: how long the event loop keeps polling after its last event
before it sleeps. Any setting in range serves requests the same; out of range is refused."""
import subprocess
import time

import pytest

from swiftlet_testing import ECHO_HANDLER, SWIFTLET_BIN, invoke_json, make_zip, unique_name, ROLE_ARN

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("spin", ["0", "2000"])
def test_every_spin_setting_serves_invocations_and_goes_quiet_when_idle(server_factory, spin):
    instance = server_factory("--loop-spin-us", spin)
    client = instance.client("lambda")
    name = unique_name("spin")
    client.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE_ARN, Handler="app.handler",
                           Code={"ZipFile": make_zip({"app.py": ECHO_HANDLER})})
    client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})

    for index in range(20):
        _, payload = invoke_json(client, name, {"n": index})
        assert payload == {"echo": {"n": index}}

    # Idle: the server's CPU time barely moves over a second (a loop that kept spinning
    # would use the whole second).
    time.sleep(0.5)
    before = cpu_seconds(instance.process.pid)
    time.sleep(1.0)
    assert cpu_seconds(instance.process.pid) - before < 0.2


@pytest.mark.parametrize("value", ["-1", "10001", "soon"])
def test_a_spin_out_of_range_is_refused(tmp_path, value):
    result = subprocess.run(
        [str(SWIFTLET_BIN), "serve", "--data-dir", str(tmp_path), "--listen", "127.0.0.1:0", "--loop-spin-us", value],
        capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "--loop-spin-us" in result.stderr


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # utime and stime, fields 14 and 15 of the whole line (11 and 12 after the command).
    return (int(fields[11]) + int(fields[12])) / 100
