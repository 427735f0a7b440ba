"""IAM authorization of the Lambda and Logs APIs: identity policies, explicit denies,
resource-based policies, roles assumed through STS, iam:PassRole, and the audit log."""

import json

import pytest
from botocore.exceptions import ClientError

from swiftlet_testing import ROLE_ARN, REGION, client_with_key, make_zip, unique_name, wait_for

ACCOUNT = "123456789012"


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource):
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def function_arn(name, qualifier=None):
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def client_as(server, credentials, service="lambda"):
    return client_with_key(server, service, credentials)


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def denial(principal_arn, action, resource, why=None):
    why = why or f"no identity-based policy allows the {action} action"
    return f"User: {principal_arn} is not authorized to perform: {action} on resource: {resource} because {why}"


@pytest.fixture(scope="module")
def iam(iam_client):
    return iam_client


@pytest.fixture
def make_user(iam):
    """make_user(*statements) -> (user ARN, credentials) of a new user with those inline statements."""

    def make(*statements):
        name = unique_name("user")
        arn = iam.create_user(UserName=name)["User"]["Arn"]
        if statements:
            iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=policy(*statements))
        return arn, iam.create_access_key(UserName=name)["AccessKey"]

    return make


def test_identity_policy_grants_exactly_what_it_names(server, make_function, make_user):
    allowed, _ = make_function()
    other, _ = make_function()
    user_arn, key = make_user(allow("lambda:InvokeFunction", function_arn(allowed)))
    user = client_as(server, key)

    assert user.invoke(FunctionName=allowed, Payload=b"{}")["StatusCode"] == 200
    assert error_of(user.invoke, FunctionName=other, Payload=b"{}") == (
        "AccessDeniedException", 403, denial(user_arn, "lambda:InvokeFunction", function_arn(other)))
    assert error_of(user.get_function, FunctionName=allowed)[:2] == ("AccessDeniedException", 403)
    assert error_of(user.list_functions) == (
        "AccessDeniedException", 403, denial(user_arn, "lambda:ListFunctions", "*"))


def test_a_qualified_arn_is_a_different_resource(server, lambda_client, make_function, make_user):
    name, _ = make_function()
    version = lambda_client.publish_version(FunctionName=name)["Version"]
    user_arn, key = make_user(allow("lambda:InvokeFunction", function_arn(name)))
    user = client_as(server, key)
    assert user.invoke(FunctionName=name, Payload=b"{}")["StatusCode"] == 200
    assert error_of(user.invoke, FunctionName=name, Qualifier=version, Payload=b"{}") == (
        "AccessDeniedException", 403, denial(user_arn, "lambda:InvokeFunction", function_arn(name, version)))

    _, wildcard_key = make_user(allow("lambda:InvokeFunction", function_arn(name) + ":*"))
    wildcard = client_as(server, wildcard_key)
    assert wildcard.invoke(FunctionName=name, Qualifier=version, Payload=b"{}")["StatusCode"] == 200


def test_explicit_deny_beats_an_allow(server, iam, lambda_client, make_function, make_user):
    name, _ = make_function()
    user_arn, key = make_user(
        allow("lambda:*", "*"),
        {"Effect": "Deny", "Action": "lambda:DeleteFunction", "Resource": function_arn(name)},
    )
    user = client_as(server, key)
    assert user.get_function(FunctionName=name)["Configuration"]["FunctionName"] == name
    assert error_of(user.delete_function, FunctionName=name) == (
        "AccessDeniedException", 403,
        denial(user_arn, "lambda:DeleteFunction", function_arn(name), "with an explicit deny in an identity-based policy"))
    assert lambda_client.get_function(FunctionName=name)["Configuration"]["FunctionName"] == name


def test_aws_managed_read_only_policy_reads_but_does_not_write(server, iam, make_function, make_user):
    name, _ = make_function()
    user_arn, key = make_user()
    iam.attach_user_policy(
        UserName=user_arn.rsplit("/", 1)[1], PolicyArn="arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess")
    user = client_as(server, key)
    pages = user.get_paginator("list_functions").paginate()
    assert name in {f["FunctionName"] for page in pages for f in page["Functions"]}
    assert user.get_function_configuration(FunctionName=name)["FunctionName"] == name
    assert error_of(user.delete_function, FunctionName=name)[:2] == ("AccessDeniedException", 403)


def test_resource_policy_grants_a_user_without_an_identity_policy(server, lambda_client, make_function, make_user):
    name, _ = make_function()
    user_arn, key = make_user()
    user = client_as(server, key)
    assert error_of(user.invoke, FunctionName=name, Payload=b"{}")[:2] == ("AccessDeniedException", 403)

    lambda_client.add_permission(
        FunctionName=name, StatementId="alice", Action="lambda:InvokeFunction", Principal=user_arn)
    assert user.invoke(FunctionName=name, Payload=b"{}")["StatusCode"] == 200
    # The statement names InvokeFunction only.
    assert error_of(user.get_function, FunctionName=name)[:2] == ("AccessDeniedException", 403)

    lambda_client.remove_permission(FunctionName=name, StatementId="alice")
    assert error_of(user.invoke, FunctionName=name, Payload=b"{}")[:2] == ("AccessDeniedException", 403)


def test_an_account_principal_in_a_resource_policy_delegates_to_identity_policies(
    server, lambda_client, make_function, make_user
):
    name, _ = make_function()
    lambda_client.add_permission(
        FunctionName=name, StatementId="account", Action="lambda:InvokeFunction", Principal=ACCOUNT)
    _, key = make_user()
    assert error_of(client_as(server, key).invoke, FunctionName=name, Payload=b"{}")[:2] == (
        "AccessDeniedException", 403)


def test_inactive_and_deleted_keys_sign_nothing(server, iam, make_user):
    user_arn, key = make_user(allow("lambda:ListFunctions", "*"))
    user_name = user_arn.rsplit("/", 1)[1]
    user = client_as(server, key)
    user.list_functions()
    iam.update_access_key(UserName=user_name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert error_of(user.list_functions) == (
        "UnrecognizedClientException", 403, "The security token included in the request is invalid.")
    iam.update_access_key(UserName=user_name, AccessKeyId=key["AccessKeyId"], Status="Active")
    user.list_functions()
    iam.delete_access_key(UserName=user_name, AccessKeyId=key["AccessKeyId"])
    assert error_of(user.list_functions)[:2] == ("UnrecognizedClientException", 403)


def test_assumed_role_acts_with_the_roles_policies(server, iam, make_user):
    user_arn, key = make_user()
    role = unique_name("role")
    trust = policy({"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole"})
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
    iam.put_role_policy(RoleName=role, PolicyName="list", PolicyDocument=policy(allow("lambda:ListFunctions", "*")))

    # The trust policy names the user, so the user needs no sts:AssumeRole permission of its own.
    session = client_as(server, key, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}", RoleSessionName="work")["Credentials"]
    session_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/work"
    assert client_as(server, session, "sts").get_caller_identity()["Arn"] == session_arn
    as_role = client_as(server, session)
    as_role.list_functions()
    assert error_of(as_role.get_account_settings) == (
        "AccessDeniedException", 403, denial(session_arn, "lambda:GetAccountSettings", "*"))

    forged = dict(session, SessionToken=session["SessionToken"][:-4] + "AAAA")
    assert error_of(client_as(server, forged).list_functions)[:2] == ("UnrecognizedClientException", 403)


def test_a_trust_policy_naming_the_account_needs_the_callers_permission(server, iam, make_user):
    role = unique_name("role")
    trust = policy({"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"})
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)["Role"]["Arn"]

    _, without = make_user()
    assert error_of(client_as(server, without, "sts").assume_role, RoleArn=role_arn, RoleSessionName="s1")[:2] == (
        "AccessDenied", 403)
    _, with_permission = make_user(allow("sts:AssumeRole", role_arn))
    assumed = client_as(server, with_permission, "sts").assume_role(RoleArn=role_arn, RoleSessionName="s1")
    assert assumed["AssumedRoleUser"]["Arn"].endswith(f":assumed-role/{role}/s1")


def test_create_function_needs_pass_role_on_the_execution_role(server, make_user):
    name = unique_name("fn")
    create = allow("lambda:CreateFunction", function_arn(name))
    user_arn, key = make_user(create)
    code = {"ZipFile": make_zip({"app.py": "def handler(e, c):\n    return 1\n"})}
    arguments = dict(FunctionName=name, Runtime="python3.11", Role=ROLE_ARN, Handler="app.handler", Code=code)
    assert error_of(client_as(server, key).create_function, **arguments) == (
        "AccessDeniedException", 403, denial(user_arn, "iam:PassRole", ROLE_ARN))

    _, allowed_key = make_user(create, allow("iam:PassRole", ROLE_ARN), allow("lambda:DeleteFunction", "*"))
    allowed = client_as(server, allowed_key)
    assert allowed.create_function(**arguments)["FunctionName"] == name
    allowed.delete_function(FunctionName=name)


def test_logs_are_authorized_per_log_group(server, lambda_client, make_function, make_user):
    name, _ = make_function()
    lambda_client.invoke(FunctionName=name, Payload=b"{}")
    group = f"/aws/lambda/{name}"
    user_arn, key = make_user(
        allow("logs:FilterLogEvents", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:*"))
    logs = client_as(server, key, "logs")

    def events():
        # Log lines are written in batches: the group appears shortly after the invoke.
        try:
            return logs.filter_log_events(logGroupName=group)["events"]
        except logs.exceptions.ResourceNotFoundException:
            return []
    wait_for(events, message="log events")
    code, status, message = error_of(logs.filter_log_events, logGroupName="/aws/lambda/someone-else")
    assert (code, status) == ("AccessDeniedException", 400)
    assert message.startswith(f"User: {user_arn} is not authorized to perform: logs:FilterLogEvents")


def test_every_decision_is_in_the_audit_log(server, make_function, make_user):
    name, _ = make_function()
    user_arn, key = make_user(allow("lambda:GetFunction", function_arn(name)))
    user = client_as(server, key)
    user.get_function(FunctionName=name)
    error_of(user.delete_function, FunctionName=name)

    def entries():
        lines = (server.data_dir / "audit.log").read_text().splitlines()
        return [json.loads(line) for line in lines if user_arn in line]

    wait_for(lambda: len(entries()) >= 2, message="audit entries")
    decisions = {(e["action"], e["decision"]) for e in entries()}
    assert ("lambda:GetFunction", "Allow") in decisions
    assert ("lambda:DeleteFunction", "Deny") in decisions
    denied = next(e for e in entries() if e["decision"] == "Deny")
    assert denied["resource"] == function_arn(name) and denied["accessKeyId"] == key["AccessKeyId"]
    assert "no identity-based policy allows" in denied["reason"]
    assert key["SecretAccessKey"] not in (server.data_dir / "audit.log").read_text()
    assert oct((server.data_dir / "audit.log").stat().st_mode & 0o777) == "0o600"


def test_tags_on_create_need_tag_resource_permission(server, make_user):
    name = unique_name("fn")
    user_arn, key = make_user(
        allow("lambda:CreateFunction", function_arn(name)), allow("iam:PassRole", ROLE_ARN),
        allow("lambda:DeleteFunction", function_arn(name)))
    user = client_as(server, key)
    code = {"ZipFile": make_zip({"app.py": "def handler(e, c):\n    return 1\n"})}
    arguments = dict(FunctionName=name, Runtime="python3.11", Role=ROLE_ARN, Handler="app.handler", Code=code)
    assert error_of(user.create_function, Tags={"team": "a"}, **arguments) == (
        "AccessDeniedException", 403, denial(user_arn, "lambda:TagResource", function_arn(name)))
    assert user.create_function(**arguments)["FunctionName"] == name
    user.delete_function(FunctionName=name)
