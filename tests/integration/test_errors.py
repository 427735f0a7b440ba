"""Requests Lambda refuses: the status, the error code and message, and that a refused
request leaves nothing behind."""

import io
import json
import re
import zipfile

import pytest
from botocore.exceptions import ClientError

from swiftlet_testing import ROLE_ARN, code_sha256, make_zip, unique_name

pytestmark = pytest.mark.timeout(60)

UNZIP_MESSAGE = "Could not unzip uploaded file. Please check your file, then try to upload again."
GOOD_ZIP = make_zip({"app.py": "def handler(event, context):\n    return 1\n"})


def error_of(call, **arguments):
    """Calls and returns (HTTP status, error code, message) of the ClientError raised."""
    with pytest.raises(ClientError) as raised:
        call(**arguments)
    response = raised.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"].get("Message", ""),
    )


def function_names(client):
    return {
        function["FunctionName"]
        for page in client.get_paginator("list_functions").paginate()
        for function in page["Functions"]
    }


def create_arguments(name, **overrides):
    arguments = {
        "FunctionName": name,
        "Runtime": "python3.11",
        "Role": ROLE_ARN,
        "Handler": "app.handler",
        "Code": {"ZipFile": GOOD_ZIP},
    }
    arguments.update(overrides)
    return arguments


def assert_refused_create(client, expected_status, expected_code, **overrides):
    """Creates with `overrides`, expects the error, and checks nothing was left behind.
    Returns the message."""
    name = unique_name("refused")
    before = function_names(client)

    status, code, message = error_of(client.create_function, **create_arguments(name, **overrides))

    assert (status, code) == (expected_status, expected_code), message
    assert function_names(client) == before
    status, code, _ = error_of(client.get_function, FunctionName=name)
    assert (status, code) == (404, "ResourceNotFoundException")
    return message


@pytest.mark.parametrize(
    "operation, extra",
    [
        ("get_function", {}),
        ("get_function_configuration", {}),
        ("invoke", {"Payload": b"{}"}),
        ("update_function_code", {"ZipFile": GOOD_ZIP}),
        ("update_function_configuration", {"Timeout": 5}),
        ("delete_function", {}),
    ],
)
def test_unknown_function_is_not_found(lambda_client, operation, extra):
    name = unique_name("missing")

    status, code, message = error_of(getattr(lambda_client, operation), FunctionName=name, **extra)

    assert status == 404
    assert code == "ResourceNotFoundException"
    assert re.fullmatch(
        rf"Function not found: arn:aws:lambda:us-east-1:\d{{12}}:function:{name}", message
    ), message


def test_duplicate_name_is_a_conflict_and_keeps_the_original(lambda_client, make_function):
    name, created = make_function()
    other = make_zip({"app.py": "def handler(event, context):\n    return 2\n"})

    status, code, message = error_of(
        lambda_client.create_function, **create_arguments(name, Code={"ZipFile": other})
    )

    assert (status, code) == (409, "ResourceConflictException")
    assert message == f"Function already exist: {name}"
    kept = lambda_client.get_function_configuration(FunctionName=name)
    assert kept["CodeSha256"] == created["CodeSha256"]
    assert kept["RevisionId"] == created["RevisionId"]


def test_memory_below_128_is_a_validation_error(lambda_client_unvalidated):
    message = assert_refused_create(
        lambda_client_unvalidated, 400, "ValidationException", MemorySize=64
    )

    assert message == (
        "1 validation error detected: Value '64' at 'memorySize' failed to satisfy "
        "constraint: Member must have value greater than or equal to 128"
    )


def test_unknown_runtime_is_a_validation_error(lambda_client_unvalidated):
    message = assert_refused_create(
        lambda_client_unvalidated, 400, "ValidationException", Runtime="python9"
    )

    assert message.startswith(
        "1 validation error detected: Value 'python9' at 'runtime' failed to satisfy "
        "constraint: Member must satisfy enum value set: ["
    ), message
    assert "python3.11" in message


def test_timeout_over_900_is_an_invalid_parameter(lambda_client_unvalidated):
    assert_refused_create(
        lambda_client_unvalidated, 400, "InvalidParameterValueException", Timeout=901
    )


def test_deprecated_runtime_is_an_invalid_parameter(lambda_client_unvalidated):
    message = assert_refused_create(
        lambda_client_unvalidated, 400, "InvalidParameterValueException", Runtime="python2.7"
    )

    assert "python2.7" in message and "no longer supported" in message


def test_bad_function_name_is_a_validation_error(lambda_client_unvalidated):
    status, code, message = error_of(
        lambda_client_unvalidated.create_function, **create_arguments("bad!name")
    )

    assert (status, code) == (400, "ValidationException")
    assert message.startswith(
        "1 validation error detected: Value 'bad!name' at 'functionName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern"
    ), message


def truncated_zip():
    return GOOD_ZIP[: len(GOOD_ZIP) // 2]


def zip_with_bad_crc():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return 1\n")
    data = bytearray(buffer.getvalue())
    data[data.index(b"def handler")] ^= 0xFF  # the stored bytes no longer match the CRC
    return bytes(data)


@pytest.mark.parametrize(
    "archive",
    [b"this is not a zip file at all", truncated_zip(), zip_with_bad_crc()],
    ids=["garbage", "truncated", "bad-crc"],
)
def test_corrupt_zip_is_refused(lambda_client, archive):
    message = assert_refused_create(
        lambda_client, 400, "InvalidParameterValueException", Code={"ZipFile": archive}
    )

    assert message == UNZIP_MESSAGE


def test_empty_zip_file_is_refused(lambda_client_unvalidated):
    assert_refused_create(
        lambda_client_unvalidated, 400, "InvalidParameterValueException", Code={"ZipFile": b""}
    )


def test_corrupt_zip_update_keeps_the_old_code(lambda_client, make_function):
    name, created = make_function(code="def handler(event, context):\n    return 1\n")

    status, code, message = error_of(
        lambda_client.update_function_code, FunctionName=name, ZipFile=b"PK\x03\x04broken"
    )

    assert (status, code, message) == (400, "InvalidParameterValueException", UNZIP_MESSAGE)
    kept = lambda_client.get_function_configuration(FunctionName=name)
    assert kept["CodeSha256"] == created["CodeSha256"] == code_sha256(GOOD_ZIP)
    assert json.loads(lambda_client.invoke(FunctionName=name)["Payload"].read()) == 1


def test_payload_that_is_not_json_is_invalid_request_content(lambda_client, make_function):
    name, _ = make_function()

    status, code, message = error_of(
        lambda_client.invoke, FunctionName=name, Payload=b"{this is not json"
    )

    assert (status, code) == (400, "InvalidRequestContentException")
    assert message.startswith("Could not parse request body into json"), message


def test_payload_over_6_mb_is_too_large(lambda_client, make_function):
    name, _ = make_function()
    payload = b'"' + b"a" * (6 * 1024 * 1024) + b'"'

    status, code, message = error_of(lambda_client.invoke, FunctionName=name, Payload=payload)

    assert (status, code) == (413, "RequestTooLargeException")
    assert "6291456" in message, message
    # The server is still fine for the next caller.
    assert lambda_client.invoke(FunctionName=name, Payload=b"{}")["StatusCode"] == 200


def test_unknown_invocation_type_is_refused(lambda_client_unvalidated, make_function):
    name, _ = make_function(client=lambda_client_unvalidated)

    status, code, _ = error_of(
        lambda_client_unvalidated.invoke, FunctionName=name, InvocationType="Sometimes"
    )

    assert (status, code) == (400, "ValidationException")


@pytest.mark.parametrize("extra,member", [
    ({"PublishTo": "LATEST_PUBLISHED"}, "PublishTo"),
    ({"VpcConfig": {"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]}}, "VpcConfig"),
    ({"FileSystemConfigs": [{"Arn": "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-1",
                             "LocalMountPath": "/mnt/efs"}]}, "FileSystemConfigs"),
])
def test_settings_swiftlet_cannot_honour_are_refused_by_name(lambda_client_unvalidated, extra, member):
    name = unique_name("unsupported")
    with pytest.raises(ClientError) as raised:
        lambda_client_unvalidated.create_function(
            FunctionName=name, Runtime="python3.11", Role=ROLE_ARN, Handler="app.handler",
            Code={"ZipFile": GOOD_ZIP}, **extra)
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert member in raised.value.response["Error"]["Message"]
    names = [function["FunctionName"] for function in lambda_client_unvalidated.list_functions()["Functions"]]
    assert name not in names


def test_empty_vpc_config_as_tools_send_it_is_accepted(lambda_client, make_function):
    name, _ = make_function(VpcConfig={"SubnetIds": [], "SecurityGroupIds": []})
    assert lambda_client.get_function(FunctionName=name)["Configuration"]["FunctionName"] == name
