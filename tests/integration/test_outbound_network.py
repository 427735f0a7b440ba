"""Outbound networking: off by default (a function's namespace has only its own loopback);
with `--outbound-network slirp4netns` a function reaches other networks, and still never
the host's loopback services."""

import socket
import subprocess
import threading

import pytest

from swiftlet_testing import ROLE_ARN, SANDBOX_MODE, invoke_json, make_zip, unique_name, wait_for

pytestmark = pytest.mark.skipif(SANDBOX_MODE == "none", reason="without a sandbox functions share the host network")

PROBE = """
import socket

def reach(host, port):
    try:
        with socket.create_connection((host, port), timeout=3) as connection:
            return connection.recv(16).decode()
    except OSError as error:
        return type(error).__name__

def handler(event, context):
    return {name: reach(host, port) for name, (host, port) in event.items()}
"""


def host_address():
    """An address of this host that is not loopback, or None."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.123", 9))
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address


@pytest.fixture
def greeter():
    """A TCP service on this host's non-loopback address that says hello."""
    address = host_address()
    if address is None:
        pytest.skip("this host has no address outside loopback")
    listener = socket.socket()
    listener.bind((address, 0))
    listener.listen()
    stop = threading.Event()

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            with connection:
                connection.sendall(b"hello")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()
    stop.set()
    thread.join()
    listener.close()


def probe(instance, greeter):
    client = instance.client("lambda")
    name = unique_name("net")
    client.create_function(
        FunctionName=name, Runtime="python3.11", Role=ROLE_ARN, Handler="app.handler", Timeout=15,
        Code={"ZipFile": make_zip({"app.py": PROBE})})
    targets = {
        "other network": list(greeter),
        "host loopback through the gateway": ["10.0.2.2", instance.port],
        "own loopback at the API port": ["127.0.0.1", instance.port],
    }
    response, result = invoke_json(client, name, targets)
    assert "FunctionError" not in response, result
    return result


def slirp_processes():
    return subprocess.run(["pgrep", "-c", "-x", "slirp4netns"], capture_output=True, text=True).stdout.strip()


def test_by_default_a_function_reaches_no_other_network(server_factory, greeter):
    result = probe(server_factory(), greeter)
    # Only the namespace's own loopback exists: every other address is unreachable (ENETUNREACH).
    assert result == {
        "other network": "OSError",
        "host loopback through the gateway": "OSError",
        "own loopback at the API port": "ConnectionRefusedError",
    }


def test_with_slirp4netns_a_function_reaches_other_networks_but_not_host_loopback(server_factory, greeter):
    before = slirp_processes()
    instance = server_factory("--outbound-network", "slirp4netns")
    result = probe(instance, greeter)
    assert result == {
        "other network": "hello",
        # --disable-host-loopback: the gateway does not lead to the host's 127.0.0.1.
        "host loopback through the gateway": "OSError",
        "own loopback at the API port": "ConnectionRefusedError",
    }
    instance.stop()
    wait_for(lambda: slirp_processes() == before, message="slirp4netns stopped with its environment")


def test_an_unknown_outbound_setting_is_refused(server_factory):
    with pytest.raises(BaseException):
        server_factory("--outbound-network", "carrier-pigeon")
