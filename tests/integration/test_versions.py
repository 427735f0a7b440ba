"""Versions: PublishVersion, ListVersionsByFunction, qualified names, deleting one version."""
import botocore.exceptions
import pytest

from swiftlet_testing import ECHO_HANDLER, code_sha256, invoke_json, make_zip

VERSION_HANDLER = """
import os
def handler(event, context):
    return {"tag": "%s", "version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"],
            "arn": context.invoked_function_arn}
"""


def code(tag):
    return VERSION_HANDLER % tag


def update_code(client, name, tag, **kwargs):
    return client.update_function_code(FunctionName=name, ZipFile=make_zip({"app.py": code(tag)}), **kwargs)


def error_of(caught):
    return caught.value.response["Error"]["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_publish_numbers_versions_and_returns_the_latest_when_nothing_changed(lambda_client, make_function):
    name, created = make_function(code=code("one"))
    first = lambda_client.publish_version(FunctionName=name, Description="first")
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert first["Version"] == "1"
    assert first["Description"] == "first"
    assert first["FunctionArn"] == created["FunctionArn"] + ":1"
    assert first["CodeSha256"] == created["CodeSha256"]

    again = lambda_client.publish_version(FunctionName=name)
    assert again["Version"] == "1"
    assert again["RevisionId"] == first["RevisionId"]

    update_code(lambda_client, name, "two")
    second = lambda_client.publish_version(FunctionName=name)
    assert second["Version"] == "2"

    lambda_client.update_function_configuration(FunctionName=name, Timeout=9)
    third = lambda_client.publish_version(FunctionName=name)
    assert third["Version"] == "3"
    assert third["Timeout"] == 9


def test_versions_are_immutable_snapshots_that_invoke_their_own_code(lambda_client, make_function):
    name, created = make_function(code=code("one"))
    lambda_client.publish_version(FunctionName=name)
    update_code(lambda_client, name, "two")

    response, payload = invoke_json(lambda_client, name, Qualifier="1")
    assert response["ExecutedVersion"] == "1"
    assert payload == {"tag": "one", "version": "1", "arn": created["FunctionArn"] + ":1"}

    response, payload = invoke_json(lambda_client, f"{name}:1")
    assert response["ExecutedVersion"] == "1"
    assert payload["tag"] == "one"

    response, payload = invoke_json(lambda_client, name)
    assert response["ExecutedVersion"] == "$LATEST"
    assert payload["tag"] == "two"

    configuration = lambda_client.get_function_configuration(FunctionName=name, Qualifier="1")
    assert configuration["Version"] == "1"
    assert configuration["FunctionArn"].endswith(":1")
    by_arn = lambda_client.get_function(FunctionName=created["FunctionArn"] + ":1")
    assert by_arn["Configuration"]["CodeSha256"] == created["CodeSha256"]
    assert by_arn["Configuration"]["CodeSha256"] != lambda_client.get_function(FunctionName=name)["Configuration"]["CodeSha256"]


def test_publish_preconditions(lambda_client, make_function):
    name, created = make_function()
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.publish_version(FunctionName=name, CodeSha256="not-the-hash")
    assert error_of(caught) == ("InvalidParameterValueException", 400)
    assert "CodeSHA256 (not-the-hash) is different" in caught.value.response["Error"]["Message"]

    stale = created["RevisionId"]
    lambda_client.update_function_configuration(FunctionName=name, Description="moved on")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.publish_version(FunctionName=name, RevisionId=stale)
    assert error_of(caught) == ("PreconditionFailedException", 412)

    current = lambda_client.get_function_configuration(FunctionName=name)
    published = lambda_client.publish_version(
        FunctionName=name, RevisionId=current["RevisionId"], CodeSha256=current["CodeSha256"])
    assert published["Version"] == "1"


def test_publish_of_an_unknown_function_is_not_found(lambda_client):
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.publish_version(FunctionName="no-such-function-here")
    assert error_of(caught) == ("ResourceNotFoundException", 404)
    assert caught.value.response["Error"]["Message"].startswith("Function not found: arn:aws:lambda:")


def test_list_versions_puts_latest_first_and_paginates(lambda_client, make_function):
    name, _ = make_function(code=code("0"))
    for tag in range(1, 4):
        lambda_client.publish_version(FunctionName=name)
        update_code(lambda_client, name, str(tag))

    listed = lambda_client.list_versions_by_function(FunctionName=name)
    assert [v["Version"] for v in listed["Versions"]] == ["$LATEST", "1", "2", "3"]
    assert "NextMarker" not in listed

    seen, marker = [], None
    while True:
        kwargs = {"Marker": marker} if marker else {}
        page = lambda_client.list_versions_by_function(FunctionName=name, MaxItems=3, **kwargs)
        assert len(page["Versions"]) <= 3
        seen += [v["Version"] for v in page["Versions"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert seen == ["$LATEST", "1", "2", "3"]

    paginator = lambda_client.get_paginator("list_versions_by_function")
    pages = list(paginator.paginate(FunctionName=name, PaginationConfig={"PageSize": 1}))
    assert len(pages) == 4


def test_list_versions_of_an_unknown_function_is_not_found(lambda_client):
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.list_versions_by_function(FunctionName="no-such-function-here")
    assert error_of(caught) == ("ResourceNotFoundException", 404)


def test_invoking_a_missing_version_is_not_found(lambda_client, make_function):
    name, created = make_function()
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.invoke(FunctionName=name, Qualifier="7")
    assert error_of(caught) == ("ResourceNotFoundException", 404)
    assert caught.value.response["Error"]["Message"] == f"Function not found: {created['FunctionArn']}:7"


def test_delete_function_with_a_qualifier_deletes_one_version(lambda_client, make_function):
    name, _ = make_function(code=code("one"))
    lambda_client.publish_version(FunctionName=name)
    update_code(lambda_client, name, "two")
    lambda_client.publish_version(FunctionName=name)

    lambda_client.delete_function(FunctionName=name, Qualifier="1")
    versions = [v["Version"] for v in lambda_client.list_versions_by_function(FunctionName=name)["Versions"]]
    assert versions == ["$LATEST", "2"]
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.get_function(FunctionName=name, Qualifier="1")
    assert error_of(caught) == ("ResourceNotFoundException", 404)

    # Numbers are not reused after a deletion.
    update_code(lambda_client, name, "three")
    assert lambda_client.publish_version(FunctionName=name)["Version"] == "3"

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.delete_function(FunctionName=name, Qualifier="1")
    assert error_of(caught) == ("ResourceNotFoundException", 404)


def test_a_version_an_alias_uses_cannot_be_deleted(lambda_client, make_function):
    name, _ = make_function(code=code("one"))
    lambda_client.publish_version(FunctionName=name)
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.delete_function(FunctionName=name, Qualifier="1")
    assert error_of(caught) == ("ResourceConflictException", 409)
    assert "live" in caught.value.response["Error"]["Message"]
    lambda_client.delete_alias(FunctionName=name, Name="live")
    lambda_client.delete_function(FunctionName=name, Qualifier="1")


def test_publish_flag_on_create_and_update_code(lambda_client, make_function):
    name, created = make_function(code=code("one"), Publish=True)
    assert created["Version"] == "1"
    assert created["FunctionArn"].endswith(f"{name}:1")
    updated = update_code(lambda_client, name, "two", Publish=True)
    assert updated["Version"] == "2"
    response, payload = invoke_json(lambda_client, name, Qualifier="2")
    assert payload["tag"] == "two"


def test_published_versions_cannot_be_updated(lambda_client, make_function):
    name, _ = make_function()
    lambda_client.publish_version(FunctionName=name)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.update_function_configuration(FunctionName=f"{name}:1", Timeout=10)
    assert error_of(caught) == ("InvalidParameterValueException", 400)
    assert lambda_client.get_function_configuration(FunctionName=name, Qualifier="1")["Timeout"] == 3


def test_deleting_the_function_deletes_its_versions(lambda_client, make_function):
    name, _ = make_function()
    lambda_client.publish_version(FunctionName=name)
    lambda_client.delete_function(FunctionName=name)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.get_function(FunctionName=name, Qualifier="1")
    assert error_of(caught) == ("ResourceNotFoundException", 404)
