"""Hostile functions: each tries to escape its execution environment or exhaust a
limit through the real invoke path (boto3), and must fail safely while the server stays
healthy and other functions keep working.

These need the bubblewrap sandbox (`swiftlet serve --sandbox bubblewrap`, the default
when /usr/bin/bwrap exists) and a writable cgroup hierarchy; they skip otherwise.
"""

import json
import os
import shutil
import urllib.request
import uuid

import pytest

from swiftlet_testing import ECHO_HANDLER, REPO_ROOT, SANDBOX_MODE, invoke_json

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(SANDBOX_MODE == "none", reason="SWIFTLET_SANDBOX=none: the server runs no sandbox"),
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap (/usr/bin/bwrap) is not installed"),
    pytest.mark.skipif(os.geteuid() != 0, reason="sandboxes need a root server (cgroups, namespaces)"),
]

# Every probe runs in the function and reports what happened as data, so a test sees
# the errno rather than a crash. `attempt` returns "ok" or the error's class and errno.
PRELUDE = r'''
import ctypes, errno, json, os, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

def attempt(action):
    try:
        result = action()
    except OSError as error:
        return {"error": type(error).__name__, "errno": errno.errorcode.get(error.errno, error.errno)}
    return {"ok": repr(result)[:200]}

def raw(number, *arguments):
    """A raw system call; returns its errno name, or "ok"."""
    result = libc.syscall(ctypes.c_long(number), *[ctypes.c_long(a) for a in arguments])
    return "ok" if result >= 0 else errno.errorcode.get(ctypes.get_errno(), ctypes.get_errno())
'''


def hostile(make_function, body, **create_args):
    """A python3.11 function whose handler is `body` (indented into `handler`)."""
    indented = "\n".join("    " + line for line in body.strip("\n").splitlines())
    code = PRELUDE + "\ndef handler(event, context):\n" + indented + "\n"
    name, _ = make_function(code=code, **create_args)
    return name


def run(lambda_client, name, event=None):
    response = lambda_client.invoke(FunctionName=name, Payload=json.dumps(event or {}))
    payload = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, payload
    return payload


@pytest.fixture(autouse=True)
def server_stays_healthy(server, lambda_client, make_function):
    """After every hostile function: /health answers and an ordinary function works."""
    yield
    with urllib.request.urlopen(server.endpoint + "/health", timeout=5) as reply:
        assert reply.status == 200
    name, _ = make_function(code=ECHO_HANDLER)
    response, payload = invoke_json(lambda_client, name, {"still": "fine"})
    assert response["StatusCode"] == 200 and payload == {"echo": {"still": "fine"}}


def test_host_files_and_the_data_directory_are_invisible(server, lambda_client, make_function):
    marker = f"/tmp/swiftlet-host-marker-{uuid.uuid4().hex}"
    with open(marker, "w") as handle:
        handle.write("host secret")
    try:
        name = hostile(make_function, """
paths = event["paths"]
return {path: attempt(lambda path=path: open(path).read(16) if not os.path.isdir(path) else os.listdir(path))
        for path in paths}
""")
        paths = [
            "/etc/shadow", "/etc/passwd", "/root", "/home", marker, str(server.data_dir),
            str(server.data_dir / "store.sqlite"), str(server.data_dir / "credentials"),
            str(REPO_ROOT / "Package.swift"), "/run/swiftlet-sandbox", "/sys/fs/cgroup",
        ]
        results = run(lambda_client, name, {"paths": paths})
    finally:
        os.unlink(marker)
    for path in paths:
        assert "ok" not in results[path], f"{path} was readable: {results[path]}"


def test_code_and_runtime_are_read_only(lambda_client, make_function):
    name = hostile(make_function, """
return {
    "task_root": os.environ["LAMBDA_TASK_ROOT"],
    "write_task": attempt(lambda: open("/var/task/app.py", "a").write("x")),
    "create_task": attempt(lambda: open("/var/task/new.py", "w")),
    "write_runtime": attempt(lambda: open("/var/runtime/bootstrap", "a")),
    "proc_self_exe": attempt(lambda: open("/proc/self/exe", "wb")),
    "tmp": attempt(lambda: open("/tmp/scratch", "w").write("fine")),
}
""")
    results = run(lambda_client, name)
    assert results["task_root"] == "/var/task"
    for key in ["write_task", "create_task", "write_runtime", "proc_self_exe"]:
        assert "error" in results[key], f"{key}: {results[key]}"
    assert results["tmp"] == {"ok": "4"}


def test_filling_tmp_stops_at_ephemeral_storage_with_enospc(lambda_client, make_function):
    # /tmp is disk, not memory: a 128 MB function fills 512 MB of it and gets ENOSPC,
    # not an out-of-memory kill.
    name = hostile(make_function, """
written = 0
chunk = b"x" * (1 << 20)
size = os.statvfs("/tmp").f_blocks * os.statvfs("/tmp").f_frsize
try:
    with open("/tmp/fill", "wb") as handle:
        while written < 2048 * (1 << 20):
            handle.write(chunk)
            handle.flush()
            written += len(chunk)
    return {"written": written, "error": None, "size": size}
except OSError as error:
    return {"written": written, "error": errno.errorcode[error.errno], "size": size}
finally:
    os.unlink("/tmp/fill")
""", MemorySize=128, EphemeralStorage={"Size": 512}, Timeout=60)
    results = run(lambda_client, name)
    assert results["error"] == "ENOSPC"
    assert 400 * (1 << 20) < results["written"] <= 512 * (1 << 20)
    assert results["size"] <= 512 * (1 << 20)


def test_allocating_past_memory_size_is_runtime_out_of_memory(lambda_client, make_function):
    name = hostile(make_function, """
if event.get("allocate"):
    hoard = []
    while True:
        hoard.append(bytearray(16 << 20))
return {"fine": True}
""", MemorySize=128, Timeout=30)
    response = lambda_client.invoke(FunctionName=name, Payload=json.dumps({"allocate": True}), LogType="Tail")
    payload = json.loads(response["Payload"].read())
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.OutOfMemory"
    assert payload["errorMessage"].endswith("Error: Runtime exited with error: signal: killed")
    # The next invoke gets a fresh environment.
    assert run(lambda_client, name) == {"fine": True}


def test_a_fork_bomb_hits_the_pids_limit(lambda_client, make_function):
    name = hostile(make_function, """
import time
children = 0
try:
    while children < 5000:
        pid = os.fork()
        if pid == 0:
            time.sleep(20)
            os._exit(0)
        children += 1
except OSError as error:
    return {"children": children, "error": errno.errorcode[error.errno]}
return {"children": children, "error": None}
""", MemorySize=2048, Timeout=60)
    # Each child costs the cgroup most of a megabyte (page tables, the pages it copies on
    # write), so at 1,024 MB a thousand children come close to the memory limit; 2,048 MB
    # leaves the pids limit as what stops them.
    results = run(lambda_client, name)
    assert results["error"] == "EAGAIN"
    assert results["children"] < 1024


def test_host_loopback_services_are_unreachable(server, lambda_client, make_function):
    name = hostile(make_function, """
def connect(host, port):
    with socket.create_connection((host, port), timeout=2):
        return "connected"
api = os.environ["AWS_LAMBDA_RUNTIME_API"]
return {
    "runtime_api": api,
    "host_api": attempt(lambda: connect("127.0.0.1", event["port"])),
    "interfaces": sorted(name for _, name in socket.if_nameindex()),
    "outside": attempt(lambda: connect("1.1.1.1", 80)),
}
""")
    results = run(lambda_client, name, {"port": server.port})
    assert results["runtime_api"] == "127.0.0.1:9001"
    assert results["host_api"]["errno"] == "ECONNREFUSED"
    assert results["interfaces"] == ["lo"]
    assert "error" in results["outside"]


@pytest.mark.parametrize(
    "probe, denied",
    [
        # mount(2), and the new mount API.
        ('raw(165, 0, 0, 0, 0, 0)', {"EPERM"}),
        ('raw(430, 0, 0)', {"EPERM"}),  # fsopen
        # unshare(CLONE_NEWUSER) and setns.
        ('raw(272, 0x10000000)', {"EPERM"}),
        ('raw(308, 0, 0)', {"EPERM"}),
        # clone with a namespace flag; clone3 answers ENOSYS so glibc falls back.
        ('raw(56, 0x40000000 | 17, 0, 0, 0, 0)', {"EPERM"}),
        ('raw(435, 0, 0)', {"ENOSYS"}),
        # keyctl, add_key, request_key.
        ('raw(250, 0, 0, 0, 0, 0)', {"EPERM"}),
        ('raw(248, 0, 0, 0, 0, 0)', {"EPERM"}),
        # ptrace: PTRACE_TRACEME and PTRACE_ATTACH to pid 1.
        ('raw(101, 0, 0, 0, 0)', {"EPERM"}),
        ('raw(101, 16, 1, 0, 0)', {"EPERM"}),
        ('raw(298, 0, 0, 0, 0, 0)', {"EPERM"}),  # perf_event_open
        ('raw(425, 1, 0)', {"EPERM"}),  # io_uring_setup
        ('raw(323, 0)', {"EPERM"}),  # userfaultfd
        ('raw(321, 0, 0, 0)', {"EPERM"}),  # bpf
        ('raw(161, 0)', {"EPERM"}),  # chroot
        ('raw(155, 0, 0)', {"EPERM"}),  # pivot_root
        ('raw(313, 0, 0, 0)', {"EPERM"}),  # finit_module
        ('raw(16, 0, 0x5412, 0)', {"EPERM"}),  # ioctl TIOCSTI
        ('raw(16, 0, 0x100005412, 0)', {"EPERM"}),  # TIOCSTI with high bits set
        ('raw(41, 17, 3, 0)', {"EAFNOSUPPORT"}),  # AF_PACKET socket
        ('raw(41, 40, 1, 0)', {"EAFNOSUPPORT"}),  # AF_VSOCK socket
    ],
)
def test_dangerous_system_calls_are_denied(lambda_client, make_function, probe, denied):
    name = hostile(make_function, f"return {{'result': {probe}}}", prefix="sys")
    result = run(lambda_client, name)["result"]
    assert result in denied


def test_ordinary_calls_still_work(lambda_client, make_function):
    name = hostile(make_function, """
import subprocess, threading
box = []
thread = threading.Thread(target=lambda: box.append("thread ran"))
thread.start(); thread.join()
inet = socket.socket(socket.AF_INET, socket.SOCK_STREAM); inet.close()
unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); unix.close()
echo = subprocess.run(["/bin/sh", "-c", "echo child"], capture_output=True, text=True).stdout
return {"thread": box, "echo": echo, "uid": os.getuid(), "pid1": open("/proc/1/cmdline").read()[:4]}
""")
    results = run(lambda_client, name)
    assert results["thread"] == ["thread ran"]
    assert results["echo"] == "child\n"
    assert results["uid"] != 0


def test_processes_outside_cannot_be_signalled(server, lambda_client, make_function):
    name = hostile(make_function, """
visible = sorted(int(entry) for entry in os.listdir("/proc") if entry.isdigit())
return {"visible": visible, "kill_server": attempt(lambda: os.kill(event["server_pid"], 0))}
""")
    results = run(lambda_client, name, {"server_pid": server.process.pid})
    assert len(results["visible"]) <= 4
    if server.process.pid not in results["visible"]:
        assert results["kill_server"]["error"] == "ProcessLookupError"
    assert server.running


def test_another_functions_tmp_is_invisible(lambda_client, make_function):
    secret = uuid.uuid4().hex
    writer = hostile(make_function, """
with open("/tmp/secret-" + event["secret"], "w") as handle:
    handle.write(event["secret"])
return sorted(os.listdir("/tmp"))
""")
    reader = hostile(make_function, "return sorted(os.listdir('/tmp'))")
    assert f"secret-{secret}" in run(lambda_client, writer, {"secret": secret})
    assert f"secret-{secret}" not in run(lambda_client, reader)
