"""Stem cells: sandboxes started ahead of any function, with the runtime client loaded,
specialised into a function's environment on its cold start. A function must not be able to
tell, except by speed: its code, layers, variables, memory limit and /tmp are its own, and
anything a starting process reads (PYTHON*, LD_*, a wrapper, another /tmp size) sends the
function down the path that builds a sandbox from scratch."""
import base64
import json
import os
import re
import shutil
import urllib.request

import pytest

from swiftlet_testing import SANDBOX_MODE, invoke_json, make_zip

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(SANDBOX_MODE == "none", reason="SWIFTLET_SANDBOX=none: stem cells are sandboxes"),
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap (/usr/bin/bwrap) is not installed"),
    pytest.mark.skipif(os.geteuid() != 0, reason="sandboxes need a root server (cgroups, namespaces)"),
]

DESCRIBE = """
import os, sys

def handler(event, context):
    return {
        "name": context.function_name,
        "memory": context.memory_limit_in_mb,
        "variables": {key: os.environ.get(key) for key in event.get("keys", [])},
        "stem_marker": os.environ.get("SWIFTLET_STEM_CELL"),
        "cwd": os.getcwd(),
        "task": sorted(os.listdir("/var/task")),
        "opt": sorted(os.listdir("/opt")) if os.path.isdir("/opt") else None,
        "path": sys.path,
    }
"""


def metric(instance, name):
    with urllib.request.urlopen(instance.endpoint + "/metrics", timeout=5) as reply:
        text = reply.read().decode()
    return int(re.search(rf"^{name} (\d+)$", text, re.MULTILINE).group(1))


def wait_for_stem_cells(instance, count=1):
    from swiftlet_testing import wait_for
    wait_for(lambda: metric(instance, "swiftlet_stem_cells_ready") >= count, timeout=20,
             message=f"{count} stem cells ready")


def deploy(instance, files, runtime="python3.11", handler="app.handler", **settings):
    from swiftlet_testing import ROLE_ARN, unique_name
    client = instance.client("lambda")
    name = unique_name("stem")
    client.create_function(FunctionName=name, Runtime=runtime, Role=ROLE_ARN, Handler=handler,
                           Code={"ZipFile": make_zip(files)}, **settings)
    client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
    return client, name


@pytest.fixture
def stem_server(server_factory):
    instance = server_factory()
    wait_for_stem_cells(instance, 2)
    return instance


def test_a_cold_start_takes_a_stem_cell_and_becomes_the_function(stem_server):
    client, name = deploy(stem_server, {"app.py": DESCRIBE, "data/extra.txt": "x"}, MemorySize=256,
                          Environment={"Variables": {"GREETING": "hello"}})

    response, result = invoke_json(client, name, {"keys": ["GREETING", "AWS_LAMBDA_FUNCTION_NAME", "_HANDLER"]},
                                   LogType="Tail")

    assert metric(stem_server, "swiftlet_environments_specialized_total") == 1
    assert result["name"] == name
    assert result["memory"] == "256"
    assert result["variables"] == {"GREETING": "hello", "AWS_LAMBDA_FUNCTION_NAME": name, "_HANDLER": "app.handler"}
    assert result["stem_marker"] is None, "the stem cell's own variables are gone"
    assert result["cwd"] == "/var/task"
    assert result["task"] == ["app.py", "data"]
    assert result["opt"] == [], "no layers: an empty /opt"
    assert result["path"][0] == "/var/task"
    assert "Init Duration" in base64.b64decode(response["LogResult"]).decode()


def test_the_memory_limit_is_the_functions_not_the_stem_cells(stem_server):
    allocate = "def handler(event, context):\n    block = bytearray(event['mb'] * 1048576)\n    return len(block)\n"
    client, big = deploy(stem_server, {"app.py": allocate}, MemorySize=512)
    _, small = deploy(stem_server, {"app.py": allocate}, MemorySize=128)

    # 300 MB fits in 512 MB, though stem cells wait with 128 MB.
    _, result = invoke_json(client, big, {"mb": 300})
    assert result == 300 * 1048576
    # And a 128 MB function is held to 128 MB.
    response, result = invoke_json(client, small, {"mb": 300})
    assert response["FunctionError"] == "Unhandled"
    assert result["errorType"] == "Runtime.OutOfMemory"
    assert metric(stem_server, "swiftlet_environments_specialized_total") == 2


def test_two_functions_from_stem_cells_see_only_their_own_code_variables_and_tmp(stem_server):
    probe = """
import os

def handler(event, context):
    seen = sorted(os.listdir("/tmp"))
    with open("/tmp/" + os.environ["OWNER"], "w") as marker:
        marker.write("mine")
    return {"task": sorted(os.listdir("/var/task")), "owner": os.environ.get("OWNER"), "tmp_before": seen}
"""
    client, first = deploy(stem_server, {"app.py": probe, "first.txt": "1"},
                           Environment={"Variables": {"OWNER": "first"}})
    _, second = deploy(stem_server, {"app.py": probe, "second.txt": "2"},
                       Environment={"Variables": {"OWNER": "second"}})

    _, one = invoke_json(client, first)
    _, two = invoke_json(client, second)

    assert metric(stem_server, "swiftlet_environments_specialized_total") == 2
    assert one["task"] == ["app.py", "first.txt"] and one["owner"] == "first"
    assert two["task"] == ["app.py", "second.txt"] and two["owner"] == "second"
    assert "first" not in two["tmp_before"], "each stem cell has its own /tmp"


def test_layers_and_libraries_in_lib_are_found_after_specialisation(stem_server):
    client = stem_server.client("lambda")
    layer = client.publish_layer_version(
        LayerName="stem-layer", Content={"ZipFile": make_zip({"python/from_layer.py": "VALUE = 'layer'\n"})},
        CompatibleRuntimes=["python3.11"])
    # A shared library found by name only through LD_LIBRARY_PATH's /var/task/lib, which
    # did not exist when the stem cell's dynamic linker first searched it.
    with open("/lib/x86_64-linux-gnu/libz.so.1", "rb") as library:
        libz = library.read()
    code = """
import ctypes
import from_layer

def handler(event, context):
    zlib = ctypes.CDLL("libswiftletz.so")
    zlib.zlibVersion.restype = ctypes.c_char_p
    return {"layer": from_layer.VALUE, "zlib": zlib.zlibVersion().decode()}
"""
    archive = {"app.py": code, "lib/libswiftletz.so": libz}
    client, name = deploy(stem_server, archive, Layers=[layer["LayerVersionArn"]])

    _, result = invoke_json(client, name)

    assert metric(stem_server, "swiftlet_environments_specialized_total") == 1
    assert result["layer"] == "layer"
    assert result["zlib"].startswith("1.")


@pytest.mark.parametrize("settings", [
    {"Environment": {"Variables": {"PYTHONPATH": "/var/task/vendor"}}},
    {"Environment": {"Variables": {"LD_PRELOAD": ""}}},
    {"Environment": {"Variables": {"AWS_LAMBDA_EXEC_WRAPPER": "/var/task/wrapper"}}},
    {"EphemeralStorage": {"Size": 1024}},
], ids=["PYTHONPATH", "LD_PRELOAD", "exec wrapper", "1 GB /tmp"])
def test_what_only_a_starting_process_reads_makes_a_fresh_environment(stem_server, settings):
    wrapper = '#!/bin/sh\nexport WRAPPED=yes\nexec "$@"\n'
    code = """
import os, sys, shutil

def handler(event, context):
    return {"path": sys.path, "wrapped": os.environ.get("WRAPPED"), "tmp": shutil.disk_usage("/tmp").total}
"""
    files = {"app.py": code, "vendor/placeholder.txt": "", "wrapper": wrapper}
    client, name = deploy(stem_server, files, **settings)
    if "AWS_LAMBDA_EXEC_WRAPPER" in json.dumps(settings):
        # make_zip gives files 0644: the wrapper must be executable.
        client.update_function_code(FunctionName=name, ZipFile=make_zip(files, {"wrapper": 0o755}))
        client.get_waiter("function_updated_v2").wait(FunctionName=name)

    _, result = invoke_json(client, name)

    assert metric(stem_server, "swiftlet_environments_specialized_total") == 0
    if "PYTHONPATH" in json.dumps(settings):
        assert "/var/task/vendor" in result["path"]
    if "AWS_LAMBDA_EXEC_WRAPPER" in json.dumps(settings):
        assert result["wrapped"] == "yes"
    if "EphemeralStorage" in settings:
        assert result["tmp"] > 900 * 1024 * 1024


def test_function_code_cannot_ask_for_a_specialisation(stem_server):
    code = """
import http.client, os

def handler(event, context):
    connection = http.client.HTTPConnection(os.environ["AWS_LAMBDA_RUNTIME_API"], timeout=5)
    connection.request("GET", "/2018-06-01/swiftlet/specialization")
    reply = connection.getresponse()
    return {"status": reply.status, "body": reply.read().decode()}
"""
    client, name = deploy(stem_server, {"app.py": code})

    _, result = invoke_json(client, name)

    assert metric(stem_server, "swiftlet_environments_specialized_total") == 1
    assert result["status"] == 403
    assert "not waiting for specialization" in result["body"]


def test_with_no_stem_cells_every_environment_is_built_from_scratch(server_factory):
    instance = server_factory("--stem-cells", "0")
    client, name = deploy(instance, {"app.py": DESCRIBE})

    _, result = invoke_json(client, name, {"keys": ["AWS_LAMBDA_FUNCTION_NAME"]})

    assert result["variables"] == {"AWS_LAMBDA_FUNCTION_NAME": name}
    assert result["opt"] is None, "a sandbox built for a function without layers has no /opt"
    assert metric(instance, "swiftlet_stem_cells_ready") == 0
    assert metric(instance, "swiftlet_environments_specialized_total") == 0


CUSTOM_BOOTSTRAP = """#!/usr/bin/python3.11
# A custom runtime in a few lines: answers each event with what this process is.
import json, os, urllib.request

api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(api + "next") as reply:
        request_id = reply.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(reply.read())
    with open("/proc/self/cmdline", "rb") as cmdline:
        command = cmdline.read().split(b"\\0")[:2]
    answer = {
        "command": [part.decode() for part in command],
        "cwd": os.getcwd(),
        "variables": {key: os.environ.get(key) for key in event["keys"]},
        "stem_marker": os.environ.get("SWIFTLET_STEM_CELL"),
    }
    urllib.request.urlopen(urllib.request.Request(api + request_id + "/response", json.dumps(answer).encode()))
"""


def deploy_custom(instance, files, modes, **settings):
    from swiftlet_testing import ROLE_ARN, unique_name
    client = instance.client("lambda")
    name = unique_name("custom")
    client.create_function(FunctionName=name, Runtime="provided.al2023", Role=ROLE_ARN, Handler="unused",
                           Code={"ZipFile": make_zip(files, modes)}, **settings)
    client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
    return client, name


def test_a_custom_runtime_replaces_the_stem_cells_client_with_its_own_bootstrap(stem_server):
    # PYTHONPATH and MALLOC_ARENA_MAX would keep a Python function from a stem cell; a custom
    # runtime's bootstrap is a new process, so it may have them.
    variables = {"PYTHONPATH": "/var/task/vendor", "MALLOC_ARENA_MAX": "2", "GREETING": "hi"}
    client, name = deploy_custom(stem_server, {"bootstrap": CUSTOM_BOOTSTRAP}, {"bootstrap": 0o755},
                                 Environment={"Variables": variables})

    response, result = invoke_json(client, name, {"keys": [*variables, "AWS_LAMBDA_FUNCTION_NAME"]}, LogType="Tail")

    assert metric(stem_server, "swiftlet_environments_specialized_total") == 1
    assert result["command"] == ["/usr/bin/python3.11", "/var/task/bootstrap"], "the bootstrap, not the stem's client"
    assert result["cwd"] == "/var/task"
    assert result["variables"] == {**variables, "AWS_LAMBDA_FUNCTION_NAME": name}
    assert result["stem_marker"] is None
    assert "Init Duration" in base64.b64decode(response["LogResult"]).decode()


def test_a_custom_runtime_whose_bootstrap_cannot_run_is_reported_as_on_aws(stem_server):
    client, name = deploy_custom(stem_server, {"bootstrap": CUSTOM_BOOTSTRAP}, {"bootstrap": 0o644})

    response, result = invoke_json(client, name, {"keys": []})

    assert response["FunctionError"] == "Unhandled"
    assert result["errorType"] == "Runtime.InvalidEntrypoint"
    assert metric(stem_server, "swiftlet_environments_specialized_total") == 0, "started from scratch instead"
    # The stem cell it did not use is still there for the next function.
    client, name = deploy(stem_server, {"app.py": DESCRIBE})
    _, result = invoke_json(client, name, {"keys": []})
    assert result["name"] == name
    assert metric(stem_server, "swiftlet_environments_specialized_total") == 1


def stem_cell_processes(server_pid):
    """Pids of runtime clients still waiting as stem cells of the server `server_pid`:
    Python processes with SWIFTLET_STEM_CELL=1 whose cgroup is one of that server's (the
    bubblewrap processes around each carry the variable too)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as comm:
                if not comm.read().startswith("python"):
                    continue
            with open(f"/proc/{entry}/environ", "rb") as environ:
                waiting = b"SWIFTLET_STEM_CELL=1" in environ.read().split(b"\0")
            with open(f"/proc/{entry}/cgroup") as cgroup:
                mine = f"/env-{server_pid}-" in cgroup.read()
        except OSError:
            continue
        if waiting and mine:
            found.append(int(entry))
    return found


def test_a_stem_cell_killed_while_waiting_is_replaced_and_costs_no_invocation(stem_server):
    from swiftlet_testing import wait_for
    victims = stem_cell_processes(stem_server.process.pid)
    assert len(victims) == 2
    for pid in victims:
        os.kill(pid, 9)

    # Whatever the pool holds at this moment, the invoke succeeds: from a new stem cell or
    # from scratch, never from a dead one.
    client, name = deploy(stem_server, {"app.py": DESCRIBE})
    _, result = invoke_json(client, name, {"keys": []})
    assert result["name"] == name

    wait_for(lambda: len(stem_cell_processes(stem_server.process.pid)) == 2, timeout=20,
             message="two stem cells again")
    assert not set(victims) & set(stem_cell_processes(stem_server.process.pid))


def test_stopping_the_server_leaves_no_stem_cell_behind(stem_server):
    server_pid = stem_server.process.pid
    assert len(stem_cell_processes(server_pid)) == 2

    assert stem_server.stop() == 0

    assert stem_cell_processes(server_pid) == []
    leftovers = [line for line in open("/proc/self/mountinfo") if "swiftlet-stage" in line]
    assert leftovers == []


# --- Node.js: stem cells per memory size, learned from the latest Node.js cold starts ----

NODE_DESCRIBE = """
const fs = require('node:fs');
const v8 = require('node:v8');

exports.handler = async (event, context) => ({
  name: context.functionName,
  memory: context.memoryLimitInMB,
  variables: Object.fromEntries((event.keys || []).map((key) => [key, process.env[key] ?? null])),
  stemMarker: process.env.SWIFTLET_STEM_CELL ?? null,
  nodePath: process.env.NODE_PATH,
  cwd: process.cwd(),
  task: fs.readdirSync('/var/task').sort(),
  heapLimit: v8.getHeapStatistics().heap_size_limit,
  fromLayer: event.layer ? require('greeting').text : null,
});
"""
AWS_NODE_PATH = "/opt/nodejs/node20/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task"


def deploy_node(instance, memory, variables=None, **settings):
    return deploy(instance, {"index.js": NODE_DESCRIBE}, runtime="nodejs20.x", handler="index.handler",
                  MemorySize=memory, Environment={"Variables": variables or {}}, **settings)


def test_a_nodejs_cold_start_takes_a_stem_cell_made_for_its_memory_size(stem_server):
    # The first Node.js cold start of a size starts from scratch, and stem cells of that size follow.
    client, first = deploy_node(stem_server, 256)
    _, scratch = invoke_json(client, first)
    assert metric(stem_server, "swiftlet_environments_specialized_total") == 0
    wait_for_stem_cells(stem_server, 4)

    client, name = deploy_node(stem_server, 256, {"GREETING": "hello"})
    response, result = invoke_json(client, name, {"keys": ["GREETING", "AWS_LAMBDA_FUNCTION_NAME", "_HANDLER"]},
                                   LogType="Tail")

    assert metric(stem_server, "swiftlet_environments_specialized_total") == 1
    assert result["name"] == name and result["memory"] == "256"
    assert result["variables"] == {"GREETING": "hello", "AWS_LAMBDA_FUNCTION_NAME": name, "_HANDLER": "index.handler"}
    assert result["stemMarker"] is None
    assert result["nodePath"] == scratch["nodePath"] == AWS_NODE_PATH
    assert result["cwd"] == "/var/task" and result["task"] == ["index.js"]
    # The heap was sized for 256 MB when the stem cell started, exactly as from scratch.
    assert result["heapLimit"] == scratch["heapLimit"]
    assert "Init Duration" in base64.b64decode(response["LogResult"]).decode()


def test_a_nodejs_function_of_another_size_or_with_node_variables_starts_from_scratch(stem_server):
    client, first = deploy_node(stem_server, 256)
    _, small = invoke_json(client, first)
    wait_for_stem_cells(stem_server, 4)

    _, bigger = deploy_node(stem_server, 1024)
    _, options = deploy_node(stem_server, 256, {"NODE_OPTIONS": "--no-warnings"})
    _, large = invoke_json(client, bigger)
    _, optioned = invoke_json(client, options)

    assert metric(stem_server, "swiftlet_environments_specialized_total") == 0
    assert large["memory"] == "1024" and large["heapLimit"] > small["heapLimit"]
    assert optioned["heapLimit"] == small["heapLimit"]


def test_require_finds_a_layers_packages_after_specialisation(stem_server):
    client = stem_server.client("lambda")
    layer = client.publish_layer_version(
        LayerName="stem-node-layer",
        Content={"ZipFile": make_zip({"nodejs/node_modules/greeting/index.js": "exports.text = 'from a layer';\n"})},
        CompatibleRuntimes=["nodejs20.x"])
    _, first = deploy_node(stem_server, 128)
    invoke_json(client, first)
    wait_for_stem_cells(stem_server, 4)

    _, name = deploy_node(stem_server, 128, Layers=[layer["LayerVersionArn"]])
    _, result = invoke_json(client, name, {"layer": True})

    assert metric(stem_server, "swiftlet_environments_specialized_total") == 1
    assert result["fromLayer"] == "from a layer"
