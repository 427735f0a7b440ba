"""The function lifecycle through boto3: create, read, list, update, delete."""

import re
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError

from swiftlet_testing import (
    ROLE_ARN,
    code_sha256,
    invoke_json,
    make_zip,
    unique_name,
)

pytestmark = pytest.mark.timeout(60)

LAST_MODIFIED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")
FUNCTION_ARN = re.compile(r"^arn:aws:lambda:us-east-1:(\d{12}):function:(.+)$")

COUNTER = """
import os
count = 0
def handler(event, context):
    global count
    count += 1
    return {"count": count, "greeting": os.environ.get("GREETING"), "version": "one"}
"""


def assert_not_found(call, name):
    with pytest.raises(ClientError) as raised:
        call()
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert re.fullmatch(
        rf"Function not found: arn:aws:lambda:us-east-1:\d{{12}}:function:{re.escape(name)}",
        error["Error"]["Message"],
    ), error["Error"]["Message"]


def test_create_function_returns_the_full_configuration(lambda_client):
    name = unique_name("create")
    archive = make_zip({"app.py": COUNTER})

    response = lambda_client.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=ROLE_ARN,
        Handler="app.handler",
        Code={"ZipFile": archive},
        Description="made by test_core",
        Timeout=7,
        MemorySize=256,
        Environment={"Variables": {"GREETING": "hello"}},
    )

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 201
    match = FUNCTION_ARN.match(response["FunctionArn"])
    assert match and match.group(2) == name
    assert response["FunctionName"] == name
    assert response["Runtime"] == "python3.11"
    assert response["Role"] == ROLE_ARN
    assert response["Handler"] == "app.handler"
    assert response["CodeSha256"] == code_sha256(archive)
    assert response["CodeSize"] == len(archive)
    assert response["Description"] == "made by test_core"
    assert response["Timeout"] == 7
    assert response["MemorySize"] == 256
    assert response["Version"] == "$LATEST"
    assert LAST_MODIFIED.match(response["LastModified"]), response["LastModified"]
    assert uuid.UUID(response["RevisionId"])
    assert response["Environment"] == {"Variables": {"GREETING": "hello"}}
    # AWS answers Pending and turns Active shortly after; either is fine here.
    assert response["State"] in ("Pending", "Active")

    lambda_client.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    configuration = lambda_client.get_function_configuration(FunctionName=name)
    assert configuration["State"] == "Active"
    assert configuration["LastUpdateStatus"] == "Successful"
    assert configuration["CodeSha256"] == code_sha256(archive)
    lambda_client.delete_function(FunctionName=name)


def test_create_fills_in_aws_defaults(make_function):
    name, response = make_function()

    assert response["Timeout"] == 3
    assert response["MemorySize"] == 128
    assert response["Description"] == ""
    assert response["PackageType"] == "Zip"
    assert response["Architectures"] == ["x86_64"]
    assert response["EphemeralStorage"] == {"Size": 512}
    assert response["TracingConfig"] == {"Mode": "PassThrough"}
    assert response["LoggingConfig"]["LogFormat"] == "Text"
    assert response["LoggingConfig"]["LogGroup"] == f"/aws/lambda/{name}"


def test_get_function_returns_configuration_and_downloadable_code(lambda_client, make_function):
    files = {"app.py": COUNTER}
    name, created = make_function(files=files)

    response = lambda_client.get_function(FunctionName=name)

    configuration = response["Configuration"]
    for key in ("FunctionName", "FunctionArn", "CodeSha256", "CodeSize", "RevisionId", "Handler"):
        assert configuration[key] == created[key], key
    assert configuration["State"] == "Active"
    assert response["Code"]["RepositoryType"] == "S3"
    with urllib.request.urlopen(response["Code"]["Location"], timeout=10) as download:
        assert code_sha256(download.read()) == created["CodeSha256"]


def test_get_function_by_arn_and_by_partial_arn(lambda_client, make_function):
    name, created = make_function()
    account = FUNCTION_ARN.match(created["FunctionArn"]).group(1)

    by_arn = lambda_client.get_function_configuration(FunctionName=created["FunctionArn"])
    by_partial = lambda_client.get_function_configuration(
        FunctionName=f"{account}:function:{name}"
    )

    assert by_arn["FunctionName"] == by_partial["FunctionName"] == name


def test_list_functions_pages_with_max_items(lambda_client, make_function):
    prefix = unique_name("page")
    names = {make_function(name=f"{prefix}-{index}")[0] for index in range(7)}

    seen = []
    marker = None
    pages = 0
    while True:
        arguments = {"MaxItems": 2}
        if marker:
            arguments["Marker"] = marker
        page = lambda_client.list_functions(**arguments)
        pages += 1
        assert len(page["Functions"]) <= 2
        seen += [f["FunctionName"] for f in page["Functions"]]
        marker = page.get("NextMarker")
        if not marker:
            break
        assert pages < 1000

    ours = [name for name in seen if name.startswith(prefix)]
    assert sorted(ours) == sorted(names)
    assert len(seen) == len(set(seen)), "a function was listed twice"
    assert pages >= 4

    paginator = lambda_client.get_paginator("list_functions")
    listed = [
        function["FunctionName"]
        for page in paginator.paginate(PaginationConfig={"PageSize": 2})
        for function in page["Functions"]
    ]
    assert names <= set(listed)


def test_list_functions_entries_are_full_configurations(lambda_client, make_function):
    name, created = make_function()

    listed = {
        function["FunctionName"]: function
        for page in lambda_client.get_paginator("list_functions").paginate()
        for function in page["Functions"]
    }

    entry = listed[name]
    assert entry["FunctionArn"] == created["FunctionArn"]
    assert entry["Runtime"] == "python3.11"
    assert entry["CodeSha256"] == created["CodeSha256"]
    assert entry["Version"] == "$LATEST"


def test_update_function_code_changes_what_runs(lambda_client, make_function):
    name, created = make_function(code=COUNTER)
    assert invoke_json(lambda_client, name)[1]["version"] == "one"

    new_archive = make_zip({"app.py": COUNTER.replace('"one"', '"two"')})
    updated = lambda_client.update_function_code(FunctionName=name, ZipFile=new_archive)
    lambda_client.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )

    assert updated["CodeSha256"] == code_sha256(new_archive)
    assert updated["CodeSize"] == len(new_archive)
    assert updated["RevisionId"] != created["RevisionId"]
    assert LAST_MODIFIED.match(updated["LastModified"])
    configuration = lambda_client.get_function_configuration(FunctionName=name)
    assert configuration["LastUpdateStatus"] == "Successful"
    assert configuration["CodeSha256"] == code_sha256(new_archive)
    _, payload = invoke_json(lambda_client, name)
    assert payload["version"] == "two"
    assert payload["count"] == 1, "the old code's environment was reused"


def test_update_function_configuration_reaches_the_next_invoke(lambda_client, make_function):
    name, created = make_function(code=COUNTER, Environment={"Variables": {"GREETING": "a"}})
    invoke_json(lambda_client, name)
    _, warm = invoke_json(lambda_client, name)
    assert warm == {"count": 2, "greeting": "a", "version": "one"}

    updated = lambda_client.update_function_configuration(
        FunctionName=name,
        Environment={"Variables": {"GREETING": "b"}},
        MemorySize=192,
        Timeout=9,
        Description="updated",
    )
    lambda_client.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )

    assert updated["Environment"] == {"Variables": {"GREETING": "b"}}
    assert updated["MemorySize"] == 192
    assert updated["Timeout"] == 9
    assert updated["Description"] == "updated"
    assert updated["RevisionId"] != created["RevisionId"]
    assert updated["CodeSha256"] == created["CodeSha256"]
    # A new configuration gets fresh environments: module state starts over.
    _, payload = invoke_json(lambda_client, name)
    assert payload == {"count": 1, "greeting": "b", "version": "one"}


def test_update_with_a_stale_revision_id_is_refused(lambda_client, make_function):
    name, created = make_function()
    lambda_client.update_function_configuration(FunctionName=name, Description="first")
    lambda_client.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )

    with pytest.raises(ClientError) as raised:
        lambda_client.update_function_configuration(
            FunctionName=name, Description="second", RevisionId=created["RevisionId"]
        )

    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 412
    assert error["Error"]["Code"] == "PreconditionFailedException"
    assert lambda_client.get_function_configuration(FunctionName=name)["Description"] == "first"


def test_delete_function_removes_it(lambda_client, make_function):
    name, _ = make_function()

    response = lambda_client.delete_function(FunctionName=name)

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert_not_found(lambda: lambda_client.get_function(FunctionName=name), name)
    assert_not_found(lambda: lambda_client.invoke(FunctionName=name, Payload=b"{}"), name)
    assert_not_found(lambda: lambda_client.delete_function(FunctionName=name), name)
    names = [
        function["FunctionName"]
        for page in lambda_client.get_paginator("list_functions").paginate()
        for function in page["Functions"]
    ]
    assert name not in names


def test_a_deleted_name_can_be_created_again(lambda_client, make_function):
    name, first = make_function()
    lambda_client.delete_function(FunctionName=name)

    _, second = make_function(name=name, code="def handler(e, c):\n    return 'second'\n")

    assert second["FunctionArn"] == first["FunctionArn"]
    assert second["CodeSha256"] != first["CodeSha256"]
    assert invoke_json(lambda_client, name)[1] == "second"
