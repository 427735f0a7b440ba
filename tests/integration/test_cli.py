"""Swiftlet's own CLI against a running server: deploy, invoke, ls, logs, rm, and the
failures a person must be told about clearly."""

import json
import os
import subprocess

import pytest

from swiftlet_testing import (
    ACCESS_KEY_ID,
    SECRET_ACCESS_KEY,
    SWIFTLET_BIN,
    free_port,
    unique_name,
    wait_for,
)

pytestmark = pytest.mark.timeout(90)

APP = """
def handler(event, context):
    print("cli-marker", event.get("who"))
    return {"hello": event.get("who"), "version": VERSION}

VERSION = "v1"
"""


def swiftlet(*args, endpoint=None, timeout=60, env=None, cwd=None):
    """Runs the swiftlet CLI; returns the CompletedProcess (text). `env` replaces the default
    credentials (the root key in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)."""
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root"),
            "AWS_REGION": "us-east-1"}
    if env is None:
        env = {"AWS_ACCESS_KEY_ID": ACCESS_KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY}
    env = {**base, **env}
    command = [str(SWIFTLET_BIN), *args]
    if endpoint:
        command += ["--endpoint", endpoint]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd)


def output(result):
    return result.stdout + result.stderr


@pytest.fixture
def app_dir(tmp_path):
    directory = tmp_path / "app"
    directory.mkdir()
    (directory / "app.py").write_text(APP)
    return directory


def deploy(server, directory, name):
    result = swiftlet(
        "deploy", str(directory),
        "--name", name, "--runtime", "python3.11", "--handler", "app.handler",
        endpoint=server.endpoint,
    )
    assert result.returncode == 0, output(result)
    return result


def test_deploy_invoke_ls_logs_rm(server, lambda_client, app_dir):
    name = unique_name("cli")

    deploy(server, app_dir, name)
    configuration = lambda_client.get_function_configuration(FunctionName=name)
    assert configuration["Runtime"] == "python3.11"
    assert configuration["Handler"] == "app.handler"

    invoked = swiftlet("invoke", name, "--payload", '{"who": "cli"}', endpoint=server.endpoint)
    assert invoked.returncode == 0, output(invoked)
    assert json.loads(invoked.stdout.strip().splitlines()[0]) == {"hello": "cli", "version": "v1"}

    listed = swiftlet("ls", endpoint=server.endpoint)
    assert listed.returncode == 0, output(listed)
    assert name in listed.stdout

    def logged():
        result = swiftlet("logs", name, endpoint=server.endpoint)
        return result.returncode == 0 and "cli-marker cli" in result.stdout

    wait_for(logged, timeout=15, message="the function's line in `swiftlet logs`")

    removed = swiftlet("rm", name, endpoint=server.endpoint)
    assert removed.returncode == 0, output(removed)
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_function(FunctionName=name)


def test_deploy_again_updates_the_code(server, lambda_client, app_dir):
    name = unique_name("cli")
    deploy(server, app_dir, name)
    first = lambda_client.get_function_configuration(FunctionName=name)

    (app_dir / "app.py").write_text(APP.replace('"v1"', '"v2"'))
    deploy(server, app_dir, name)

    second = lambda_client.get_function_configuration(FunctionName=name)
    assert second["CodeSha256"] != first["CodeSha256"]
    invoked = swiftlet("invoke", name, "--payload", "{}", endpoint=server.endpoint)
    assert json.loads(invoked.stdout.strip().splitlines()[0])["version"] == "v2"
    swiftlet("rm", name, endpoint=server.endpoint)


def test_function_error_exits_non_zero(server, tmp_path):
    directory = tmp_path / "failing"
    directory.mkdir()
    (directory / "app.py").write_text("def handler(e, c):\n    raise ValueError('cli boom')\n")
    name = unique_name("cli")
    deploy(server, directory, name)

    result = swiftlet("invoke", name, "--payload", "{}", endpoint=server.endpoint)

    assert result.returncode != 0
    assert "cli boom" in output(result)
    swiftlet("rm", name, endpoint=server.endpoint)


@pytest.mark.parametrize("command", [["invoke"], ["logs"], ["rm"]])
def test_missing_function_fails_with_a_clear_message(server, command):
    name = unique_name("nosuch")

    result = swiftlet(*command, name, endpoint=server.endpoint)

    assert result.returncode != 0
    text = output(result)
    assert name in text, text
    assert "not found" in text.lower() or "ResourceNotFoundException" in text, text
    assert "Traceback" not in text and "Fatal error" not in text


def test_unreachable_endpoint_fails_with_a_clear_message():
    endpoint = f"http://127.0.0.1:{free_port()}"

    result = swiftlet("ls", endpoint=endpoint, timeout=30)

    assert result.returncode != 0
    text = output(result)
    assert f"127.0.0.1:{endpoint.rsplit(':', 1)[1]}" in text or "connect" in text.lower(), text
    assert "Fatal error" not in text


def test_deploy_of_a_missing_directory_fails(server, tmp_path):
    result = swiftlet(
        "deploy", str(tmp_path / "not-there"),
        "--name", unique_name("cli"), "--runtime", "python3.11", "--handler", "app.handler",
        endpoint=server.endpoint,
    )

    assert result.returncode != 0
    assert "not-there" in output(result)


def test_unknown_command_prints_usage():
    result = swiftlet("frobnicate")

    assert result.returncode != 0
    assert "usage" in output(result).lower()


def test_credentials_come_from_the_shared_file_and_its_profile(server, tmp_path):
    credentials = tmp_path / "credentials"
    credentials.write_text(
        "[default]\naws_access_key_id = AKIANOSUCHKEY0000000\naws_secret_access_key = wrong\n\n"
        f"[profile swiftlet]\naws_access_key_id = {ACCESS_KEY_ID}\naws_secret_access_key = {SECRET_ACCESS_KEY}\n"
    )
    shared = {"AWS_SHARED_CREDENTIALS_FILE": str(credentials), "HOME": str(tmp_path)}

    refused = swiftlet("ls", endpoint=server.endpoint, env=shared)
    assert refused.returncode != 0
    assert "UnrecognizedClientException" in output(refused)

    listed = swiftlet("ls", endpoint=server.endpoint, env={**shared, "AWS_PROFILE": "swiftlet"})
    assert listed.returncode == 0, output(listed)


def test_without_any_credentials_the_server_refuses_the_cli(server, tmp_path):
    result = swiftlet("ls", endpoint=server.endpoint, env={"HOME": str(tmp_path)}, cwd=tmp_path)
    assert result.returncode != 0
    assert "MissingAuthenticationTokenException" in output(result)


def test_bench_prints_writes_json_and_draws_the_distributions(server, tmp_path):
    report = tmp_path / "bench.json"
    plot = tmp_path / "bench.svg"

    result = swiftlet("bench", "--requests", "30", "--cold-starts", "3", "--json", str(report), "--plot", str(plot),
                      endpoint=server.endpoint, timeout=120)

    assert result.returncode == 0, output(result)
    document = json.loads(report.read_text())
    labels = [figure["label"] for figure in document["figures"]]
    assert labels[:2] == ["/health round trip (floor)", "warm invoke, python3.11 echo"]
    assert "cold start, sandbox from scratch" in labels
    assert any(label.startswith("naive:") for label in labels)
    for figure in document["figures"]:
        assert figure["count"] == len(figure["samplesMilliseconds"]) > 0
        assert 0 < figure["p50Milliseconds"] <= figure["p99Milliseconds"]
        assert figure["label"] in result.stdout
    import xml.etree.ElementTree as ElementTree
    lines = [node for node in ElementTree.parse(plot).iter() if node.tag.endswith("polyline")]
    assert len(lines) == len(document["figures"])


def test_bench_against_no_server_fails_clearly(tmp_path):
    result = swiftlet("bench", "--requests", "5", "--cold-starts", "1", "--json", str(tmp_path / "out.json"),
                      endpoint=f"http://127.0.0.1:{free_port()}")

    assert result.returncode != 0
    assert not (tmp_path / "out.json").exists()


def test_bench_serve_starts_its_own_server_and_stops_it(tmp_path):
    report = tmp_path / "bench.json"

    # No endpoint and no credentials: the bench makes both for the server it starts.
    result = swiftlet("bench", "--serve", "--requests", "20", "--cold-starts", "1", "--json", str(report),
                      env={}, timeout=120)

    assert result.returncode == 0, output(result)
    endpoint = result.stdout.split("started swiftlet serve at ")[1].split()[0]
    labels = [figure["label"] for figure in json.loads(report.read_text())["figures"]]
    assert labels[:2] == ["/health round trip (floor)", "warm invoke, python3.11 echo"]
    import urllib.error
    import urllib.request
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(endpoint + "/health", timeout=2)
