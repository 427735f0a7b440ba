"""RuntimeManagementConfig, FunctionRecursionConfig, Concurrency in GetFunction,
and the presigned Code.Location."""
import urllib.error
import urllib.parse
import urllib.request

import pytest
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from swiftlet_testing import ACCESS_KEY_ID, SECRET_ACCESS_KEY


def test_runtime_management_config_round_trip(lambda_client, make_function):
    name, created = make_function()
    assert lambda_client.get_runtime_management_config(FunctionName=name)["UpdateRuntimeOn"] == "Auto"
    arn = "arn:aws:lambda:us-east-1::runtime:0123456789abcdef0123456789abcdef"
    put = lambda_client.put_runtime_management_config(FunctionName=name, UpdateRuntimeOn="Manual",
                                                      RuntimeVersionArn=arn)
    assert put["UpdateRuntimeOn"] == "Manual"
    assert put["FunctionArn"] == created["FunctionArn"] + ":$LATEST"
    got = lambda_client.get_runtime_management_config(FunctionName=name)
    assert (got["UpdateRuntimeOn"], got["RuntimeVersionArn"]) == ("Manual", arn)
    # A setting, not a change of code or configuration: the revision stays.
    assert lambda_client.get_function(FunctionName=name)["Configuration"]["RevisionId"] == created["RevisionId"]


def test_manual_runtime_updates_need_a_version_arn(lambda_client, make_function):
    name, _ = make_function()
    with pytest.raises(ClientError) as raised:
        lambda_client.put_runtime_management_config(FunctionName=name, UpdateRuntimeOn="Manual")
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_unknown_update_mode_is_a_validation_error(lambda_client_unvalidated, make_function):
    name, _ = make_function()
    with pytest.raises(ClientError) as raised:
        lambda_client_unvalidated.put_runtime_management_config(FunctionName=name, UpdateRuntimeOn="Sometimes")
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "at 'updateRuntimeOn'" in raised.value.response["Error"]["Message"]


def test_recursion_config_round_trip_and_refusal(lambda_client, lambda_client_unvalidated, make_function):
    name, _ = make_function()
    assert lambda_client.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Terminate"
    assert lambda_client.put_function_recursion_config(FunctionName=name, RecursiveLoop="Allow")[
        "RecursiveLoop"] == "Allow"
    assert lambda_client.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Allow"
    with pytest.raises(ClientError) as raised:
        lambda_client_unvalidated.put_function_recursion_config(FunctionName=name, RecursiveLoop="Maybe")
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as raised:
        lambda_client.get_function_recursion_config(FunctionName="no-such-function")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_get_function_reports_reserved_concurrency(lambda_client, make_function):
    name, _ = make_function()
    assert "Concurrency" not in lambda_client.get_function(FunctionName=name)
    lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=3)
    assert lambda_client.get_function(FunctionName=name)["Concurrency"] == {"ReservedConcurrentExecutions": 3}


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_code_location_is_presigned_and_checked(lambda_client, make_function):
    name, _ = make_function()
    location = lambda_client.get_function(FunctionName=name)["Code"]["Location"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["600"]
    status, body = fetch(location)
    assert status == 200 and body.startswith(b"PK")

    bare = location.split("?")[0]
    assert fetch(bare)[0] == 403
    tampered = location.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    status, body = fetch(tampered)
    assert status == 403 and b"SignatureDoesNotMatch" in body
    old = location.replace(query["X-Amz-Date"][0], "20200101T000000Z")
    status, body = fetch(old)
    assert status == 403 and b"Request has expired" in body


def test_a_url_presigned_by_botocore_is_accepted(lambda_client, make_function, server):
    name, _ = make_function()
    location = lambda_client.get_function(FunctionName=name)["Code"]["Location"]
    bare = location.split("?")[0]
    request = AWSRequest(method="GET", url=bare)
    S3SigV4QueryAuth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "lambda", "us-east-1", expires=60).add_auth(
        request)
    status, body = fetch(request.url)
    assert status == 200 and body.startswith(b"PK")
    other = AWSRequest(method="GET", url=bare)
    S3SigV4QueryAuth(Credentials(ACCESS_KEY_ID, "not-the-secret"), "lambda", "us-east-1", expires=60).add_auth(other)
    assert fetch(other.url)[0] == 403
