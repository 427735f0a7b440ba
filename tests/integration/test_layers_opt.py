"""Layers at /opt: merged in order, read-only, found by the runtimes as on AWS, and
limited with the function's code to 250 MB unzipped.

Layers are mounted only inside a sandbox; with `--sandbox none` a function with layers
is refused at invoke with a clear error (the last test).
"""

import io
import zipfile

import botocore.exceptions
import pytest

from swiftlet_testing import ROLE_ARN, SANDBOX_MODE, invoke_json, make_zip, unique_name

pytestmark = pytest.mark.timeout(120)
needs_sandbox = pytest.mark.skipif(SANDBOX_MODE == "none", reason="SWIFTLET_SANDBOX=none: no /opt without a sandbox")

LIMIT = 262_144_000

# A runtime client on the standard library, shipped as a layer's /opt/bootstrap. It answers
# every event with where it runs from and what the layer's tools and paths look like.
LAYER_BOOTSTRAP = """#!/usr/bin/python3
import http.client, json, os, shutil, subprocess, sys

connection = http.client.HTTPConnection(os.environ["AWS_LAMBDA_RUNTIME_API"])
base = "/2018-06-01/runtime/invocation/"
while True:
    connection.request("GET", base + "next")
    response = connection.getresponse()
    response.read()
    request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
    tool = shutil.which("layer-tool")
    body = json.dumps({
        "bootstrap": sys.argv[0],
        "tool": tool,
        "tool_output": subprocess.run([tool], capture_output=True, text=True).stdout.strip() if tool else None,
        "ld_library_path": os.environ.get("LD_LIBRARY_PATH", "").split(":"),
        "task": open(os.path.join(os.environ["LAMBDA_TASK_ROOT"], "data.txt")).read(),
    })
    connection.request("POST", base + request_id + "/response", body)
    connection.getresponse().read()
"""

OWN_BOOTSTRAP = """#!/usr/bin/python3
import http.client, json, os

connection = http.client.HTTPConnection(os.environ["AWS_LAMBDA_RUNTIME_API"])
base = "/2018-06-01/runtime/invocation/"
while True:
    connection.request("GET", base + "next")
    response = connection.getresponse()
    response.read()
    request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
    connection.request("POST", base + request_id + "/response", json.dumps({"bootstrap": "own"}))
    connection.getresponse().read()
"""

INSPECT_OPT = """
import os

def handler(event, context):
    exists = os.path.exists("/opt")
    return {"exists": exists, "entries": sorted(os.listdir("/opt")) if exists else []}
"""


def error_of(caught):
    error = caught.value.response["Error"]
    return error["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"], error["Message"]


def zeros_zip(path, size):
    """A zip holding one file of `size` zero bytes: tiny zipped, large unzipped."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open(path, "w", force_zip64=True) as entry:
            chunk = bytes(1024 * 1024)
            remaining = size
            while remaining:
                entry.write(chunk[: min(remaining, len(chunk))])
                remaining -= min(remaining, len(chunk))
    return buffer.getvalue()


@pytest.fixture
def layer(lambda_client):
    """layer(files, modes=None) publishes a layer version and returns its ARN; deleted afterwards."""
    published = []

    def publish(files=None, modes=None, content=None):
        name = unique_name("optlayer")
        archive = content or make_zip(files, modes)
        response = lambda_client.publish_layer_version(LayerName=name, Content={"ZipFile": archive})
        published.append((name, response["Version"]))
        return response["LayerVersionArn"]

    yield publish
    for name, version in published:
        lambda_client.delete_layer_version(LayerName=name, VersionNumber=version)


@needs_sandbox
def test_python_imports_modules_only_a_layer_provides(lambda_client, make_function, layer):
    arn = layer({
        "python/layer_module.py": "WHERE = 'opt/python'\n",
        "python/lib/python3.11/site-packages/site_module.py": "WHERE = 'site-packages'\n",
    })
    code = """
import os, sys
import layer_module, site_module

def handler(event, context):
    return {"modules": [layer_module.WHERE, site_module.WHERE], "files": [layer_module.__file__, site_module.__file__],
            "path": sys.path, "writable": os.access("/opt/python", os.W_OK)}
"""
    name, _ = make_function(code=code, Layers=[arn])
    response, result = invoke_json(lambda_client, name)
    assert "FunctionError" not in response, result
    assert result["modules"] == ["opt/python", "site-packages"]
    assert result["files"] == ["/opt/python/layer_module.py",
                               "/opt/python/lib/python3.11/site-packages/site_module.py"]
    # The function's own code comes first, then the layers, as on AWS.
    assert result["path"].index("/var/task") < result["path"].index("/opt/python")
    assert result["writable"] is False


@needs_sandbox
def test_later_layers_override_earlier_ones_and_opt_is_read_only(lambda_client, make_function, layer):
    first = layer({"python/shared.py": "WHO = 'first'\n", "python/only_first.py": "PRESENT = True\n"})
    second = layer({"python/shared.py": "WHO = 'second'\n"})
    code = """
import os
import only_first, shared

def handler(event, context):
    try:
        open("/opt/python/new.py", "w").close()
        written = True
    except OSError:
        written = False
    return {"who": shared.WHO, "only_first": only_first.PRESENT, "written": written}
"""
    name, _ = make_function(code=code, Layers=[first, second])
    response, result = invoke_json(lambda_client, name)
    assert "FunctionError" not in response, result
    assert result == {"who": "second", "only_first": True, "written": False}

    # Another order is another merged tree.
    lambda_client.update_function_configuration(FunctionName=name, Layers=[second, first])
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
    _, result = invoke_json(lambda_client, name)
    assert result["who"] == "first"


@needs_sandbox
def test_provided_runtime_takes_its_bootstrap_from_a_layer(lambda_client, make_function, layer):
    arn = layer(
        {"bootstrap": LAYER_BOOTSTRAP, "bin/layer-tool": "#!/bin/sh\necho tool from layer\n", "lib/.keep": ""},
        modes={"bootstrap": 0o755, "bin/layer-tool": 0o755},
    )
    name, _ = make_function(files={"data.txt": "function data"}, runtime="provided.al2023", handler="none",
                            Layers=[arn])
    response, result = invoke_json(lambda_client, name)
    assert "FunctionError" not in response, result
    assert result["bootstrap"] == "/opt/bootstrap"
    assert (result["tool"], result["tool_output"]) == ("/opt/bin/layer-tool", "tool from layer")
    assert "/opt/lib" in result["ld_library_path"]
    assert result["task"] == "function data"

    # The function's own bootstrap comes first, as on AWS.
    own, _ = make_function(files={"bootstrap": OWN_BOOTSTRAP}, modes={"bootstrap": 0o755},
                           runtime="provided.al2023", handler="none", Layers=[arn])
    _, result = invoke_json(lambda_client, own)
    assert result == {"bootstrap": "own"}


@needs_sandbox
def test_a_function_without_layers_has_no_opt(lambda_client, make_function):
    name, _ = make_function(code=INSPECT_OPT)
    _, result = invoke_json(lambda_client, name)
    assert result["entries"] == []


def test_code_and_layers_together_are_limited_to_250_mb_unzipped(lambda_client, make_function, layer):
    half = layer(content=zeros_zip("half-a", LIMIT // 2))
    other_half = layer(content=zeros_zip("half-b", LIMIT // 2))
    small = layer({"python/small.py": "X = 1\n"})
    code = "def handler(event, context):\n    return 1\n"

    # Within the limit: the code and one half.
    name, created = make_function(code=code, Layers=[half, small])
    assert len(created["Layers"]) == 2

    # Over it, by exactly the code's size, at each operation that can grow the total.
    message = ("Function code combined with layers exceeds the maximum allowed size of 262144000 bytes. "
               f"The actual size is {LIMIT + len(code)} bytes.")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.create_function(FunctionName=unique_name("big"), Runtime="python3.11", Role=ROLE_ARN,
                                      Handler="app.handler", Code={"ZipFile": make_zip({"app.py": code})},
                                      Layers=[half, other_half])
    assert error_of(caught) == ("InvalidParameterValueException", 400, message)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.update_function_configuration(FunctionName=name, Layers=[half, other_half])
    assert error_of(caught) == ("InvalidParameterValueException", 400, message)

    bigger = zeros_zip("code", LIMIT // 2 + 1)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.update_function_code(FunctionName=name, ZipFile=bigger)
    assert error_of(caught)[:2] == ("InvalidParameterValueException", 400)
    small_size = len("X = 1\n")
    assert error_of(caught)[2].endswith(f"The actual size is {LIMIT + 1 + small_size} bytes.")

    # Nothing was changed by the refused requests.
    configuration = lambda_client.get_function_configuration(FunctionName=name)
    assert [entry["Arn"] for entry in configuration["Layers"]] == [half, small]


def test_layers_are_refused_at_invoke_without_a_sandbox(server_factory):
    server = server_factory("--sandbox", "none")
    client = server.client("lambda")
    layer_name = unique_name("optlayer")
    arn = client.publish_layer_version(LayerName=layer_name, Content={"ZipFile": make_zip({"python/m.py": ""})})[
        "LayerVersionArn"]
    name = unique_name("nosandbox")
    client.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE_ARN, Handler="app.handler",
                           Code={"ZipFile": make_zip({"app.py": INSPECT_OPT})}, Layers=[arn])
    client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.invoke(FunctionName=name, Payload=b"{}")
    code, status, message = error_of(caught)
    assert (code, status) == ("ServiceException", 500)
    assert "--sandbox none" in message and "/opt" in message

    # Without layers the same server runs the function.
    client.update_function_configuration(FunctionName=name, Layers=[])
    client.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
    assert "FunctionError" not in client.invoke(FunctionName=name, Payload=b"{}")
