"""Execution roles: a function's role must exist and trust Lambda, and each environment
acts as that role, with temporary credentials, through unmodified boto3 (which the
python3.11 runtime ships) against Swiftlet's own endpoint."""

import json

import pytest
from botocore.exceptions import ClientError

from swiftlet_testing import LAMBDA_TRUST_POLICY, ROLE_ARN, SANDBOX_MODE, make_zip, unique_name
from swiftlet_testing import invoke_json as invoke_with_response

ACCOUNT = "123456789012"
ROLE_REFUSAL = "The role defined for the function cannot be assumed by Lambda."

# The zip holds no boto3: the runtime's own copy is imported, as on AWS.
CALLER_HANDLER = """
import os
import boto3

def handler(event, context):
    result = {
        "key": os.environ["AWS_ACCESS_KEY_ID"],
        "token": bool(os.environ.get("AWS_SESSION_TOKEN")),
        "endpoint": os.environ.get("AWS_ENDPOINT_URL"),
        "boto3": boto3.__file__,
        "identity": boto3.client("sts").get_caller_identity()["Arn"],
    }
    lam = boto3.client("lambda")
    result["functions"] = len(lam.list_functions()["Functions"])
    try:
        lam.delete_function(FunctionName=event["victim"])
        result["delete"] = "allowed"
    except lam.exceptions.ClientError as error:
        result["delete"] = error.response["Error"]["Code"]
        result["message"] = error.response["Error"]["Message"]
    return result
"""

LIST_ONLY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "lambda:ListFunctions", "Resource": "*"},
    ],
})


def invoke_json(client, name, event=None):
    response, result = invoke_with_response(client, name, event)
    assert "FunctionError" not in response, result
    return result


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]


def make_role(iam_client, trust=LAMBDA_TRUST_POLICY, policy=None):
    name = unique_name("role")
    arn = iam_client.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    if policy:
        iam_client.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=policy)
    return name, arn


def test_a_role_that_does_not_exist_is_refused_and_nothing_is_created(lambda_client):
    name = unique_name("fn")
    error = error_of(
        lambda_client.create_function, FunctionName=name, Runtime="python3.11", Handler="app.handler",
        Role=f"arn:aws:iam::{ACCOUNT}:role/{unique_name('missing')}",
        Code={"ZipFile": make_zip({"app.py": "def handler(e, c): return 1\n"})},
    )
    assert (error["Code"], error["Message"]) == ("InvalidParameterValueException", ROLE_REFUSAL)
    assert error_of(lambda_client.get_function, FunctionName=name)["Code"] == "ResourceNotFoundException"


def test_a_role_that_does_not_trust_lambda_is_refused(lambda_client, iam_client):
    trust_ec2 = LAMBDA_TRUST_POLICY.replace("lambda.amazonaws.com", "ec2.amazonaws.com")
    _, arn = make_role(iam_client, trust=trust_ec2)
    error = error_of(
        lambda_client.create_function, FunctionName=unique_name("fn"), Runtime="python3.11",
        Handler="app.handler", Role=arn, Code={"ZipFile": make_zip({"app.py": "def handler(e, c): return 1\n"})},
    )
    assert (error["Code"], error["Message"]) == ("InvalidParameterValueException", ROLE_REFUSAL)


def test_updating_to_a_bad_role_is_refused_and_changes_nothing(lambda_client, make_function):
    name, _ = make_function()
    error = error_of(
        lambda_client.update_function_configuration, FunctionName=name,
        Role=f"arn:aws:iam::{ACCOUNT}:role/{unique_name('missing')}", Timeout=9,
    )
    assert (error["Code"], error["Message"]) == ("InvalidParameterValueException", ROLE_REFUSAL)
    configuration = lambda_client.get_function_configuration(FunctionName=name)
    assert (configuration["Role"], configuration["Timeout"]) == (ROLE_ARN, 3)


def test_a_function_acts_as_its_role_and_only_as_its_role(lambda_client, iam_client, make_function):
    role, arn = make_role(iam_client, policy=LIST_ONLY)
    victim, _ = make_function()
    name, _ = make_function(code=CALLER_HANDLER, role=arn, Timeout=30, MemorySize=256)
    result = invoke_json(lambda_client, name, {"victim": victim})

    assert result["identity"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{name}"
    assert result["key"].startswith("ASIA") and result["token"]
    # The runtime's own boto3, and an endpoint inside the sandbox's network namespace (no host loopback).
    assert result["boto3"].endswith("/sdk/boto3/__init__.py")
    sandboxed = SANDBOX_MODE != "none"
    assert result["endpoint"] == ("http://127.0.0.1:9002" if sandboxed else lambda_client.meta.endpoint_url)
    assert result["functions"] >= 2
    assert result["delete"] == "AccessDeniedException"
    victim_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{victim}"
    assert result["message"] == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{name} is not authorized to perform: "
        f"lambda:DeleteFunction on resource: {victim_arn} because no identity-based policy allows "
        "the lambda:DeleteFunction action"
    )
    assert lambda_client.get_function(FunctionName=victim)["Configuration"]["FunctionName"] == victim


def test_granting_the_role_more_lets_the_next_call_do_more(lambda_client, iam_client, make_function):
    role, arn = make_role(iam_client, policy=LIST_ONLY)
    victim, _ = make_function()
    name, _ = make_function(code=CALLER_HANDLER, role=arn, Timeout=30, MemorySize=256)
    assert invoke_json(lambda_client, name, {"victim": victim})["delete"] == "AccessDeniedException"

    delete = json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "lambda:DeleteFunction",
                       "Resource": f"arn:aws:lambda:*:{ACCOUNT}:function:{victim}"}],
    })
    iam_client.put_role_policy(RoleName=role, PolicyName="delete", PolicyDocument=delete)
    assert invoke_json(lambda_client, name, {"victim": victim})["delete"] == "allowed"
    assert error_of(lambda_client.get_function, FunctionName=victim)["Code"] == "ResourceNotFoundException"


def test_each_environment_has_credentials_of_its_own(lambda_client, iam_client, make_function):
    code = "import os\ndef handler(e, c):\n    return os.environ['AWS_ACCESS_KEY_ID']\n"
    first, _ = make_function(code=code)
    second, _ = make_function(code=code)
    keys = {invoke_json(lambda_client, first), invoke_json(lambda_client, second)}
    assert len(keys) == 2 and all(key.startswith("ASIA") for key in keys)
    # Credentials of an environment sign nothing once presented with another token.
    sts = __import__("boto3").client(
        "sts", endpoint_url=lambda_client.meta.endpoint_url, region_name="us-east-1",
        aws_access_key_id=sorted(keys)[0], aws_secret_access_key="x" * 40, aws_session_token="forged")
    assert error_of(sts.get_caller_identity)["Code"] == "InvalidClientTokenId"


KEY_HANDLER = "import os\ndef handler(e, c):\n    return os.environ['AWS_ACCESS_KEY_ID']\n"


def deploy_key_function(instance):
    client = instance.client("lambda")
    name = unique_name("keys")
    client.create_function(
        FunctionName=name, Runtime="python3.11", Role=ROLE_ARN, Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": KEY_HANDLER})})
    return client, name


def test_a_warm_environment_keeps_its_credentials(server_factory):
    client, name = deploy_key_function(server_factory())
    assert invoke_json(client, name) == invoke_json(client, name)


def test_credentials_near_expiry_are_never_reused(server_factory):
    # 62-second credentials cannot outlast a 3-second timeout plus the minute of margin: every
    # invocation needs an environment with fresh ones.
    client, name = deploy_key_function(server_factory("--execution-credential-seconds", "62"))
    keys = [invoke_json(client, name) for _ in range(3)]
    assert len(set(keys)) == 3 and all(key.startswith("ASIA") for key in keys)
