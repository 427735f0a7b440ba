"""Function states as AWS reports them: Pending then Active after CreateFunction,
InProgress then Successful after an update, Failed with a reason when the code cannot
be prepared. Invocations and updates during preparation wait for it instead of failing."""

import base64
import io
import json
import os
import shutil
import sqlite3
import zipfile

import pytest
from botocore.exceptions import ClientError, WaiterError

from swiftlet_testing import ROLE_ARN, invoke_json, make_zip, unique_name

HANDLER = "def handler(event, context):\n    return {'version': VERSION}\nVERSION = 'one'\n"


def corrupt_zip():
    """A zip whose directory is sound but whose stored data fails its CRC."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        entry = zipfile.ZipInfo("app.py")
        entry.external_attr = 0o644 << 16
        archive.writestr(entry, HANDLER)
    data = bytearray(buffer.getvalue())
    offset = data.index(b"def handler")
    data[offset] ^= 0x20
    return bytes(data)


def create(lambda_client, archive, name=None):
    name = name or unique_name("state")
    response = lambda_client.create_function(
        FunctionName=name, Runtime="python3.11", Role=ROLE_ARN, Handler="app.handler", Code={"ZipFile": archive})
    return name, response


def test_create_answers_pending_and_the_function_turns_active(lambda_client):
    name, response = create(lambda_client, make_zip({"app.py": HANDLER}))
    assert (response["State"], response["StateReasonCode"]) == ("Pending", "Creating")
    assert response["StateReason"] == "The function is being created."
    assert response["LastUpdateStatus"] == "InProgress"

    lambda_client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
    configuration = lambda_client.get_function_configuration(FunctionName=name)
    assert (configuration["State"], configuration["LastUpdateStatus"]) == ("Active", "Successful")
    assert "StateReason" not in configuration and "StateReasonCode" not in configuration
    # Becoming Active is not a change a client must re-read: the revision stays.
    assert configuration["RevisionId"] == response["RevisionId"]


def test_an_invoke_right_after_create_waits_for_the_code(lambda_client):
    name, _ = create(lambda_client, make_zip({"app.py": HANDLER}))
    response, payload = invoke_json(lambda_client, name)
    assert "FunctionError" not in response and payload == {"version": "one"}


def test_an_update_is_in_progress_then_successful_and_invokes_see_the_new_code(lambda_client, make_function):
    name, _ = make_function(code=HANDLER)
    updated = lambda_client.update_function_code(
        FunctionName=name, ZipFile=make_zip({"app.py": HANDLER.replace("'one'", "'two'")}))
    assert (updated["LastUpdateStatus"], updated["LastUpdateStatusReasonCode"]) == ("InProgress", "Creating")
    assert updated["State"] == "Active"
    assert invoke_json(lambda_client, name)[1] == {"version": "two"}
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
    assert lambda_client.get_function_configuration(FunctionName=name)["LastUpdateStatus"] == "Successful"


def test_code_lost_during_preparation_fails_the_function_with_a_reason(server_factory):
    """A crash while an update was being prepared, and the update's zip lost with it: on
    restart the preparation resumes, cannot find the code, and the function is Failed."""
    instance = server_factory()
    lambda_client = instance.client("lambda")
    name, response = create(lambda_client, make_zip({"app.py": HANDLER}))
    lambda_client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
    instance.kill()

    digest = base64.b64decode(response["CodeSha256"]).hex()
    for path in instance.data_dir.rglob(f"*{digest}*"):
        (shutil.rmtree if path.is_dir() else os.remove)(path)
    with sqlite3.connect(instance.data_dir / "store.sqlite") as database:
        (record,) = database.execute(
            "SELECT record FROM functions WHERE name = ? AND version = '$LATEST'", (name,)).fetchone()
        document = json.loads(record)
        document["lastUpdateStatus"] = "InProgress"
        database.execute(
            "UPDATE functions SET record = ? WHERE name = ? AND version = '$LATEST'", (json.dumps(document), name))
    instance.start()

    with pytest.raises(WaiterError):
        lambda_client.get_waiter("function_updated_v2").wait(
            FunctionName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 25})
    configuration = lambda_client.get_function_configuration(FunctionName=name)
    assert (configuration["State"], configuration["StateReasonCode"]) == ("Failed", "InternalError")
    assert configuration["StateReason"] == "The function's code is missing from the store"
    assert (configuration["LastUpdateStatus"], configuration["LastUpdateStatusReasonCode"]) == (
        "Failed", "InternalError")

    with pytest.raises(ClientError) as caught:
        lambda_client.invoke(FunctionName=name, Payload=b"{}")
    error = caught.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
        "ResourceConflictException", 409)
    assert error["Error"]["Message"] == (
        "The operation cannot be performed at this time. The function is currently in the following state: Failed")

    # New code repairs it.
    lambda_client.update_function_code(FunctionName=name, ZipFile=make_zip({"app.py": HANDLER}))
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
    configuration = lambda_client.get_function_configuration(FunctionName=name)
    assert (configuration["State"], configuration["LastUpdateStatus"]) == ("Active", "Successful")
    assert invoke_json(lambda_client, name)[1] == {"version": "one"}


def test_publishing_on_create_answers_with_a_ready_version(lambda_client):
    name = unique_name("state")
    response = lambda_client.create_function(
        FunctionName=name, Runtime="python3.11", Role=ROLE_ARN, Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": HANDLER})}, Publish=True)
    assert (response["Version"], response["State"], response["LastUpdateStatus"]) == ("1", "Active", "Successful")


def test_a_zip_that_fails_its_checks_is_refused_at_once_and_creates_nothing(lambda_client):
    name = unique_name("state")
    with pytest.raises(ClientError) as caught:
        create(lambda_client, corrupt_zip(), name=name)
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValueException"
    with pytest.raises(ClientError) as caught:
        lambda_client.get_function(FunctionName=name)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
