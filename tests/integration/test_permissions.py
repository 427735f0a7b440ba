"""Resource-based policies on functions: AddPermission, GetPolicy, RemovePermission."""

import json

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response


def test_add_permission_writes_lambdas_statement(lambda_client, make_function):
    name, _ = make_function()
    reply = lambda_client.add_permission(
        FunctionName=name, StatementId="s3-invoke", Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::my-bucket", SourceAccount=ACCOUNT,
    )
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 201
    statement = json.loads(reply["Statement"])
    assert statement == {
        "Sid": "s3-invoke",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}",
        "Condition": {
            "StringEquals": {"AWS:SourceAccount": ACCOUNT},
            "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::my-bucket"},
        },
    }

    lambda_client.add_permission(
        FunctionName=name, StatementId="account", Action="lambda:GetFunction", Principal="210987654321"
    )
    policy = lambda_client.get_policy(FunctionName=name)
    document = json.loads(policy["Policy"])
    assert document["Version"] == "2012-10-17"
    assert [s["Sid"] for s in document["Statement"]] == ["s3-invoke", "account"]
    assert document["Statement"][1]["Principal"] == {"AWS": "arn:aws:iam::210987654321:root"}
    assert policy["RevisionId"]


def test_duplicate_statement_id_conflicts_and_changes_nothing(lambda_client, make_function):
    name, _ = make_function()
    lambda_client.add_permission(FunctionName=name, StatementId="one", Action="lambda:*", Principal="*")
    before = lambda_client.get_policy(FunctionName=name)
    reply = error_of(
        lambda_client.add_permission, FunctionName=name, StatementId="one",
        Action="lambda:InvokeFunction", Principal="sns.amazonaws.com",
    )
    assert reply["Error"]["Code"] == "ResourceConflictException"
    assert "already exists" in reply["Error"]["Message"]
    assert lambda_client.get_policy(FunctionName=name)["Policy"] == before["Policy"]


@pytest.mark.parametrize(
    "field, value, code",
    [
        ("Principal", "not a principal", "ValidationException"),
        ("Principal", "nobody", "InvalidParameterValueException"),
        ("Action", "s3:GetObject", "ValidationException"),
        ("StatementId", "has space", "ValidationException"),
    ],
)
def test_bad_permission_is_refused(lambda_client, make_function, field, value, code):
    name, _ = make_function()
    arguments = dict(FunctionName=name, StatementId="sid", Action="lambda:InvokeFunction", Principal="*")
    arguments[field] = value
    reply = error_of(lambda_client.add_permission, **arguments)
    assert reply["Error"]["Code"] == code
    assert error_of(lambda_client.get_policy, FunctionName=name)["Error"]["Code"] == "ResourceNotFoundException"


def test_remove_permission_and_the_last_one_removes_the_policy(lambda_client, make_function):
    name, _ = make_function()
    lambda_client.add_permission(FunctionName=name, StatementId="a", Action="lambda:InvokeFunction", Principal="*")
    lambda_client.add_permission(FunctionName=name, StatementId="b", Action="lambda:InvokeFunction", Principal="*")
    reply = lambda_client.remove_permission(FunctionName=name, StatementId="a")
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 204
    statements = json.loads(lambda_client.get_policy(FunctionName=name)["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["b"]

    missing = error_of(lambda_client.remove_permission, FunctionName=name, StatementId="a")
    assert missing["Error"]["Code"] == "ResourceNotFoundException"
    assert missing["Error"]["Message"] == "Statement a is not found in resource policy."

    lambda_client.remove_permission(FunctionName=name, StatementId="b")
    reply = error_of(lambda_client.get_policy, FunctionName=name)
    assert reply["Error"]["Code"] == "ResourceNotFoundException"


def test_policies_are_per_qualifier(lambda_client, make_function):
    name, _ = make_function()
    version = lambda_client.publish_version(FunctionName=name)["Version"]
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    statement = json.loads(
        lambda_client.add_permission(
            FunctionName=name, Qualifier="live", StatementId="alias", Action="lambda:InvokeFunction", Principal="*"
        )["Statement"]
    )
    assert statement["Resource"].endswith(f":function:{name}:live")
    assert error_of(lambda_client.get_policy, FunctionName=name)["Error"]["Code"] == "ResourceNotFoundException"
    assert json.loads(lambda_client.get_policy(FunctionName=name, Qualifier="live")["Policy"])["Statement"]

    unknown = error_of(
        lambda_client.add_permission, FunctionName=name, Qualifier="nope", StatementId="x",
        Action="lambda:InvokeFunction", Principal="*",
    )
    assert unknown["Error"]["Code"] == "ResourceNotFoundException"

    lambda_client.delete_alias(FunctionName=name, Name="live")
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    reply = error_of(lambda_client.get_policy, FunctionName=name, Qualifier="live")
    assert reply["Error"]["Code"] == "ResourceNotFoundException"


def test_stale_revision_id_is_refused(lambda_client, make_function):
    name, _ = make_function()
    lambda_client.add_permission(FunctionName=name, StatementId="a", Action="lambda:InvokeFunction", Principal="*")
    revision = lambda_client.get_policy(FunctionName=name)["RevisionId"]
    lambda_client.add_permission(
        FunctionName=name, StatementId="b", Action="lambda:InvokeFunction", Principal="*", RevisionId=revision
    )
    reply = error_of(
        lambda_client.add_permission, FunctionName=name, StatementId="c", Action="lambda:InvokeFunction",
        Principal="*", RevisionId=revision,
    )
    assert reply["Error"]["Code"] == "PreconditionFailedException"
    statements = json.loads(lambda_client.get_policy(FunctionName=name)["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["a", "b"]


def test_deleting_the_function_deletes_its_policy(lambda_client, make_function):
    name, _ = make_function()
    lambda_client.add_permission(FunctionName=name, StatementId="a", Action="lambda:InvokeFunction", Principal="*")
    lambda_client.delete_function(FunctionName=name)
    assert error_of(lambda_client.get_policy, FunctionName=name)["Error"]["Code"] == "ResourceNotFoundException"
    make_function(name=name)
    assert error_of(lambda_client.get_policy, FunctionName=name)["Error"]["Code"] == "ResourceNotFoundException"
