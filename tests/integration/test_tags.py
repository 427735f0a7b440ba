"""Tags: TagResource, UntagResource, ListTags, Tags on CreateFunction and in GetFunction."""
import botocore.exceptions
import pytest


def error_of(caught):
    return caught.value.response["Error"]["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_tags_on_create_are_listed_and_returned_by_get_function(lambda_client, make_function):
    name, created = make_function(Tags={"team": "core", "env": "dev"})
    arn = created["FunctionArn"]
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {"team": "core", "env": "dev"}
    assert lambda_client.get_function(FunctionName=name)["Tags"] == {"team": "core", "env": "dev"}


def test_tag_untag_and_list(lambda_client, make_function):
    name, created = make_function()
    arn = created["FunctionArn"]
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {}
    assert "Tags" not in lambda_client.get_function(FunctionName=name)

    response = lambda_client.tag_resource(Resource=arn, Tags={"a": "1", "b": "2", "c": "3"})
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    lambda_client.tag_resource(Resource=arn, Tags={"a": "one"})
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {"a": "one", "b": "2", "c": "3"}

    response = lambda_client.untag_resource(Resource=arn, TagKeys=["b", "c", "absent"])
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {"a": "one"}


def test_tags_of_an_unknown_function_are_not_found(lambda_client):
    arn = "arn:aws:lambda:us-east-1:123456789012:function:no-such-function-here"
    for call in (
        lambda: lambda_client.list_tags(Resource=arn),
        lambda: lambda_client.tag_resource(Resource=arn, Tags={"a": "b"}),
        lambda: lambda_client.untag_resource(Resource=arn, TagKeys=["a"]),
    ):
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            call()
        assert error_of(caught) == ("ResourceNotFoundException", 404)
        assert caught.value.response["Error"]["Message"] == f"Function not found: {arn}"


def test_versions_and_aliases_cannot_be_tagged(lambda_client, make_function):
    name, created = make_function()
    lambda_client.publish_version(FunctionName=name)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.tag_resource(Resource=created["FunctionArn"] + ":1", Tags={"a": "b"})
    assert error_of(caught) == ("InvalidParameterValueException", 400)


def test_bad_tags_are_refused(lambda_client, lambda_client_unvalidated, make_function):
    name, created = make_function()
    arn = created["FunctionArn"]
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.tag_resource(Resource=arn, Tags={"aws:reserved": "x"})
    assert error_of(caught) == ("InvalidParameterValueException", 400)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.tag_resource(Resource=arn, Tags={f"k{i}": "v" for i in range(51)})
    assert error_of(caught) == ("InvalidParameterValueException", 400)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client_unvalidated.tag_resource(Resource=arn, Tags={"k": "v" * 257})
    assert error_of(caught) == ("ValidationException", 400)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client_unvalidated.tag_resource(Resource="not-an-arn", Tags={"k": "v"})
    assert error_of(caught) == ("ValidationException", 400)
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {}


def test_tags_go_with_the_function(lambda_client, make_function):
    name, created = make_function(Tags={"a": "b"})
    lambda_client.delete_function(FunctionName=name)
    _, again = make_function(name=name)
    assert lambda_client.list_tags(Resource=again["FunctionArn"])["Tags"] == {}
