"""The AWS CLI (v1, from the test venv) drives the whole function lifecycle."""

import base64
import json

import pytest

from swiftlet_testing import ROLE_ARN, aws_cli, code_sha256, make_zip, unique_name

pytestmark = pytest.mark.timeout(90)

CODE = """
def handler(event, context):
    print("cli says", event.get("say"))
    return {"said": event.get("say")}
"""


def test_create_invoke_list_update_delete(server, tmp_path):
    name = unique_name("awscli")
    archive = make_zip({"app.py": CODE})
    zip_path = tmp_path / "function.zip"
    zip_path.write_bytes(archive)

    created = json.loads(aws_cli(
        server, "lambda", "create-function", "--function-name", name,
        "--runtime", "python3.11", "--handler", "app.handler", "--role", ROLE_ARN,
        "--zip-file", f"fileb://{zip_path}",
    ).stdout)
    assert created["FunctionName"] == name
    assert created["CodeSha256"] == code_sha256(archive)
    aws_cli(server, "lambda", "wait", "function-active-v2", "--function-name", name)

    out_path = tmp_path / "out.json"
    invoked = json.loads(aws_cli(
        server, "lambda", "invoke", "--function-name", name,
        # CLI v1 sends a blob given as text unchanged (v2 would need
        # --cli-binary-format raw-in-base64-out, which v1 does not know).
        "--payload", '{"say": "hi"}',
        "--log-type", "Tail", str(out_path),
    ).stdout)
    assert invoked["StatusCode"] == 200
    assert invoked["ExecutedVersion"] == "$LATEST"
    assert "cli says hi" in base64.b64decode(invoked["LogResult"]).decode()
    assert json.loads(out_path.read_text()) == {"said": "hi"}

    listed = json.loads(aws_cli(server, "lambda", "list-functions").stdout)
    assert name in [f["FunctionName"] for f in listed["Functions"]]

    fetched = json.loads(aws_cli(server, "lambda", "get-function", "--function-name", name).stdout)
    assert fetched["Configuration"]["CodeSha256"] == code_sha256(archive)

    updated = json.loads(aws_cli(
        server, "lambda", "update-function-configuration", "--function-name", name,
        "--timeout", "12", "--environment", "Variables={COLOUR=blue}",
    ).stdout)
    assert updated["Timeout"] == 12
    assert updated["Environment"] == {"Variables": {"COLOUR": "blue"}}
    aws_cli(server, "lambda", "wait", "function-updated-v2", "--function-name", name)

    aws_cli(server, "lambda", "delete-function", "--function-name", name)
    missing = aws_cli(server, "lambda", "get-function", "--function-name", name, check=False)
    assert missing.returncode != 0
    assert "ResourceNotFoundException" in missing.stderr


def test_cli_reports_a_function_error(server, tmp_path, make_function):
    name, _ = make_function(code="def handler(e, c):\n    raise TypeError('cli type error')\n")
    out_path = tmp_path / "out.json"

    invoked = json.loads(aws_cli(
        server, "lambda", "invoke", "--function-name", name, str(out_path)
    ).stdout)

    assert invoked["FunctionError"] == "Unhandled"
    error = json.loads(out_path.read_text())
    assert error["errorType"] == "TypeError"
    assert error["errorMessage"] == "cli type error"
