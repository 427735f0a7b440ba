"""IAM and STS over the query protocol, driven by boto3's own `iam` and `sts` clients.

Every operation's success path has a negative twin: the missing entity, the duplicate, the
delete that must wait, the malformed policy, the bad name. Until the Auth work lands, the
server attributes a request to the IAM user or session whose access key id it names, without
checking the signature, and allows every action (see ControlAPI's WIRING comments).
"""
import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import botocore.exceptions
import pytest

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from swiftlet_testing import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, client_with_key, unique_name

ACCOUNT = "123456789012"
TRUST_ACCOUNT = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                   "Action": "sts:AssumeRole"}],
})
ALLOW_LOGS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": "*"}],
}
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
AWS_MANAGED = [
    "arn:aws:iam::aws:policy/AdministratorAccess",
    BASIC_EXECUTION,
    "arn:aws:iam::aws:policy/service-role/AWSLambdaRole",
    "arn:aws:iam::aws:policy/AWSLambdaExecute",
    "arn:aws:iam::aws:policy/AWSLambda_FullAccess",
    "arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess",
    "arn:aws:iam::aws:policy/CloudWatchLogsFullAccess",
    "arn:aws:iam::aws:policy/CloudWatchLogsReadOnlyAccess",
    "arn:aws:iam::aws:policy/IAMFullAccess",
    "arn:aws:iam::aws:policy/IAMReadOnlyAccess",
]


def error_of(caught):
    """(code, HTTP status, message) of a ClientError."""
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


# What IAM users are commonly given to look after themselves: their own user and keys, named
# through a policy variable. Without it a user may do nothing, not even read itself.
SELF_SERVICE_POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Action": ["iam:GetUser", "iam:*AccessKey*"],
        "Resource": "arn:aws:iam::*:user/${aws:username}",
    }],
})


def make_user_with_key(iam_client, self_service=True):
    name = unique_name("user")
    iam_client.create_user(UserName=name)
    if self_service:
        iam_client.put_user_policy(UserName=name, PolicyName="self-service", PolicyDocument=SELF_SERVICE_POLICY)
    key = iam_client.create_access_key(UserName=name)["AccessKey"]
    return name, key


def test_a_user_without_a_policy_may_not_even_read_itself(server, iam_client):
    name, key = make_user_with_key(iam_client, self_service=False)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client_with_key(server, "iam", key).get_user()
    arn = f"arn:aws:iam::{ACCOUNT}:user/{name}"
    assert error_of(caught) == (
        "AccessDenied", 403,
        f"User: {arn} is not authorized to perform: iam:GetUser on resource: {arn} "
        "because no identity-based policy allows the iam:GetUser action",
    )
    # The policy variable names only the caller: another user stays out of reach.
    other, _ = make_user_with_key(iam_client, self_service=False)
    _, allowed_key = make_user_with_key(iam_client)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client_with_key(server, "iam", allowed_key).get_user(UserName=other)
    assert error_of(caught)[:2] == ("AccessDenied", 403)


# --- STS ---------------------------------------------------------------------------------


def test_get_caller_identity_as_root_is_the_account_root(sts_client):
    identity = sts_client.get_caller_identity()
    assert identity["Account"] == ACCOUNT
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert identity["UserId"] == ACCOUNT


def test_get_caller_identity_as_a_user_names_the_user(server, iam_client):
    name, key = make_user_with_key(iam_client)
    identity = client_with_key(server, "sts", key).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{name}"
    assert identity["UserId"] == iam_client.get_user(UserName=name)["User"]["UserId"]


def allow_assume_role(iam_client, user):
    """Trusting the account delegates to its identity policies: the user needs sts:AssumeRole itself."""
    document = {"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
    iam_client.put_user_policy(UserName=user, PolicyName="assume", PolicyDocument=json.dumps(document))


def test_assume_role_returns_credentials_valid_for_the_requested_duration(server, iam_client):
    user, key = make_user_with_key(iam_client)
    allow_assume_role(iam_client, user)
    role = unique_name("role")
    role_id = iam_client.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST_ACCOUNT)["Role"]["RoleId"]
    user_sts = client_with_key(server, "sts", key)

    before = datetime.now(timezone.utc)
    response = user_sts.assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}", RoleSessionName="session-1", DurationSeconds=900)
    credentials = response["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA") and len(credentials["AccessKeyId"]) == 20
    assert len(credentials["SecretAccessKey"]) == 40 and credentials["SessionToken"]
    expected = before + timedelta(seconds=900)
    assert abs((credentials["Expiration"] - expected).total_seconds()) < 5
    assert response["AssumedRoleUser"] == {
        "AssumedRoleId": f"{role_id}:session-1",
        "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/session-1",
    }

    session_identity = client_with_key(server, "sts", credentials).get_caller_identity()
    assert session_identity["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/session-1"

    default = user_sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}", RoleSessionName="s2")
    remaining = (default["Credentials"]["Expiration"] - datetime.now(timezone.utc)).total_seconds()
    assert 3590 < remaining <= 3600


def test_assume_role_refusals(server, iam_client, sts_client):
    user, key = make_user_with_key(iam_client)
    allow_assume_role(iam_client, user)
    role = unique_name("role")
    iam_client.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST_ACCOUNT)
    arn = f"arn:aws:iam::{ACCOUNT}:role/{role}"
    user_sts = client_with_key(server, "sts", key)

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        sts_client.assume_role(RoleArn=arn, RoleSessionName="root-session")
    assert error_of(caught) == ("AccessDenied", 403, "Roles may not be assumed by root accounts.")

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        user_sts.assume_role(RoleArn=arn, RoleSessionName="long", DurationSeconds=7200)
    assert error_of(caught) == (
        "ValidationError", 400, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        user_sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{unique_name('none')}", RoleSessionName="s3")
    assert error_of(caught)[:2] == ("AccessDenied", 403)

    iam_client.update_role(RoleName=role, MaxSessionDuration=7200)
    longer = user_sts.assume_role(RoleArn=arn, RoleSessionName="long", DurationSeconds=7200)
    remaining = (longer["Credentials"]["Expiration"] - datetime.now(timezone.utc)).total_seconds()
    assert 7190 < remaining <= 7200


# --- Users -------------------------------------------------------------------------------


def test_create_get_list_and_delete_a_user(iam_client):
    name = unique_name("user")
    path = f"/{unique_name('team')}/"
    created = iam_client.create_user(UserName=name, Path=path, Tags=[{"Key": "team", "Value": "core"}])["User"]
    assert created["UserName"] == name and created["Path"] == path
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:user{path}{name}"
    assert created["UserId"].startswith("AIDA") and len(created["UserId"]) == 21
    assert created["Tags"] == [{"Key": "team", "Value": "core"}]

    fetched = iam_client.get_user(UserName=name.upper())["User"]
    assert fetched["UserName"] == name and fetched["UserId"] == created["UserId"]
    assert [user["UserName"] for user in iam_client.list_users(PathPrefix=path)["Users"]] == [name]

    iam_client.delete_user(UserName=name)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.get_user(UserName=name)
    assert error_of(caught) == ("NoSuchEntity", 404, f"The user with name {name} cannot be found.")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.delete_user(UserName=name)
    assert error_of(caught)[:2] == ("NoSuchEntity", 404)


def test_user_names_are_unique_ignoring_case_and_must_fit_the_model(iam_client):
    name = unique_name("user")
    iam_client.create_user(UserName=name)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.create_user(UserName=name.upper())
    assert error_of(caught) == ("EntityAlreadyExists", 409, f"User with name {name.upper()} already exists.")

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.create_user(UserName="bad name")
    assert error_of(caught) == (
        "ValidationError", 400,
        "1 validation error detected: Value 'bad name' at 'userName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+")

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.create_user(UserName=unique_name("user"), Path="no-slashes")
    assert error_of(caught)[:2] == ("ValidationError", 400)


def test_get_user_without_a_name_is_the_caller(server, iam_client):
    name, key = make_user_with_key(iam_client)
    assert client_with_key(server, "iam", key).get_user()["User"]["UserName"] == name
    root = iam_client.get_user()["User"]
    assert root["Arn"] == f"arn:aws:iam::{ACCOUNT}:root" and root["UserId"] == ACCOUNT


def test_list_users_pages_with_markers(iam_client):
    path = f"/{unique_name('page')}/"
    names = sorted(unique_name("user") for _ in range(5))
    for name in names:
        iam_client.create_user(UserName=name, Path=path)

    first = iam_client.list_users(PathPrefix=path, MaxItems=2)
    assert first["IsTruncated"] is True and [u["UserName"] for u in first["Users"]] == names[:2]
    second = iam_client.list_users(PathPrefix=path, MaxItems=2, Marker=first["Marker"])
    assert [u["UserName"] for u in second["Users"]] == names[2:4]
    last = iam_client.list_users(PathPrefix=path, MaxItems=2, Marker=second["Marker"])
    assert last["IsTruncated"] is False and "Marker" not in last
    assert [u["UserName"] for u in last["Users"]] == names[4:]

    paginated = iam_client.get_paginator("list_users").paginate(
        PathPrefix=path, PaginationConfig={"PageSize": 2})
    assert [u["UserName"] for page in paginated for u in page["Users"]] == names

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.list_users(MaxItems=1001)
    assert error_of(caught)[:2] == ("ValidationError", 400)


def test_a_user_is_deleted_only_once_its_keys_and_policies_are_gone(iam_client):
    name, key = make_user_with_key(iam_client, self_service=False)
    iam_client.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=json.dumps(ALLOW_LOGS))
    iam_client.attach_user_policy(UserName=name, PolicyArn=BASIC_EXECUTION)

    def delete_conflict():
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            iam_client.delete_user(UserName=name)
        code, status, message = error_of(caught)
        assert (code, status) == ("DeleteConflict", 409)
        return message

    assert delete_conflict() == "Cannot delete entity, must delete access keys first."
    iam_client.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    assert delete_conflict() == "Cannot delete entity, must delete policies first."
    iam_client.delete_user_policy(UserName=name, PolicyName="inline")
    assert delete_conflict() == "Cannot delete entity, must detach all policies first."
    iam_client.detach_user_policy(UserName=name, PolicyArn=BASIC_EXECUTION)
    iam_client.delete_user(UserName=name)


def test_user_tags_are_added_listed_and_removed(iam_client):
    name = unique_name("user")
    iam_client.create_user(UserName=name, Tags=[{"Key": "team", "Value": "a"}])
    iam_client.tag_user(UserName=name, Tags=[{"Key": "Team", "Value": "b"}, {"Key": "env", "Value": "dev"}])
    assert iam_client.list_user_tags(UserName=name)["Tags"] == [
        {"Key": "Team", "Value": "b"}, {"Key": "env", "Value": "dev"}]
    iam_client.untag_user(UserName=name, TagKeys=["TEAM"])
    assert iam_client.list_user_tags(UserName=name)["Tags"] == [{"Key": "env", "Value": "dev"}]

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.tag_user(UserName=name, Tags=[{"Key": "k", "Value": "1"}, {"Key": "K", "Value": "2"}])
    assert error_of(caught)[:2] == ("InvalidInput", 400)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.list_user_tags(UserName=unique_name("none"))
    assert error_of(caught)[:2] == ("NoSuchEntity", 404)


# --- Access keys -------------------------------------------------------------------------


def test_access_keys_are_created_listed_updated_and_deleted(iam_client):
    name = unique_name("user")
    iam_client.create_user(UserName=name)
    key = iam_client.create_access_key(UserName=name)["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["AccessKeyId"]) == 20
    assert len(key["SecretAccessKey"]) == 40 and key["Status"] == "Active" and key["UserName"] == name

    listed = iam_client.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"]) for k in listed] == [(key["AccessKeyId"], "Active")]
    assert "SecretAccessKey" not in listed[0]

    iam_client.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert iam_client.list_access_keys(UserName=name)["AccessKeyMetadata"][0]["Status"] == "Inactive"
    iam_client.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    assert iam_client.list_access_keys(UserName=name)["AccessKeyMetadata"] == []

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    assert error_of(caught) == (
        "NoSuchEntity", 404, f"The Access Key with id {key['AccessKeyId']} cannot be found.")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.create_access_key(UserName=unique_name("none"))
    assert error_of(caught)[:2] == ("NoSuchEntity", 404)


def test_a_user_has_at_most_two_access_keys(iam_client):
    name = unique_name("user")
    iam_client.create_user(UserName=name)
    iam_client.create_access_key(UserName=name)
    iam_client.create_access_key(UserName=name)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.create_access_key(UserName=name)
    assert error_of(caught) == ("LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2")


def test_a_user_manages_their_own_keys_without_naming_themselves(server, iam_client):
    name, key = make_user_with_key(iam_client)
    own = client_with_key(server, "iam", key)
    second = own.create_access_key()["AccessKey"]
    assert second["UserName"] == name
    assert len(own.list_access_keys()["AccessKeyMetadata"]) == 2
    own.delete_access_key(AccessKeyId=second["AccessKeyId"])

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.create_access_key()
    assert error_of(caught)[:2] == ("ValidationError", 400)


# --- Roles -------------------------------------------------------------------------------


def test_create_get_update_list_and_delete_a_role(iam_client):
    name = unique_name("role")
    path = f"/{unique_name('svc')}/"
    created = iam_client.create_role(
        RoleName=name, Path=path, AssumeRolePolicyDocument=TRUST_ACCOUNT, Description="runs functions")["Role"]
    assert created["RoleId"].startswith("AROA") and created["Arn"] == f"arn:aws:iam::{ACCOUNT}:role{path}{name}"
    assert created["AssumeRolePolicyDocument"] == json.loads(TRUST_ACCOUNT)

    role = iam_client.get_role(RoleName=name)["Role"]
    assert role["Description"] == "runs functions" and role["MaxSessionDuration"] == 3600
    assert role["AssumeRolePolicyDocument"] == json.loads(TRUST_ACCOUNT)

    iam_client.update_role(RoleName=name, Description="updated", MaxSessionDuration=43200)
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    iam_client.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
    role = iam_client.get_role(RoleName=name)["Role"]
    assert role["Description"] == "updated" and role["MaxSessionDuration"] == 43200
    assert role["AssumeRolePolicyDocument"] == trust
    assert [r["RoleName"] for r in iam_client.list_roles(PathPrefix=path)["Roles"]] == [name]

    iam_client.delete_role(RoleName=name)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.get_role(RoleName=name)
    assert error_of(caught) == ("NoSuchEntity", 404, f"The role with name {name} cannot be found.")


def test_role_refusals(iam_client, iam_unvalidated):
    name = unique_name("role")
    iam_client.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_ACCOUNT)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_ACCOUNT)
    assert error_of(caught) == ("EntityAlreadyExists", 409, f"Role with name {name} already exists.")

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.create_role(RoleName=unique_name("role"), AssumeRolePolicyDocument="not json")
    assert error_of(caught)[:2] == ("MalformedPolicyDocument", 400)

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_unvalidated.update_role(RoleName=name, MaxSessionDuration=100)
    assert error_of(caught) == (
        "ValidationError", 400,
        "1 validation error detected: Value '100' at 'maxSessionDuration' failed to satisfy constraint: "
        "Member must have value greater than or equal to 3600")

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.update_assume_role_policy(RoleName=unique_name("none"), PolicyDocument=TRUST_ACCOUNT)
    assert error_of(caught)[:2] == ("NoSuchEntity", 404)


def test_role_inline_policies(iam_client):
    role = unique_name("role")
    iam_client.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST_ACCOUNT)
    iam_client.put_role_policy(RoleName=role, PolicyName="logs", PolicyDocument=json.dumps(ALLOW_LOGS))
    fetched = iam_client.get_role_policy(RoleName=role, PolicyName="logs")
    assert fetched["PolicyDocument"] == ALLOW_LOGS and fetched["RoleName"] == role
    assert iam_client.list_role_policies(RoleName=role)["PolicyNames"] == ["logs"]

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.delete_role(RoleName=role)
    assert error_of(caught) == ("DeleteConflict", 409, "Cannot delete entity, must delete policies first.")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.put_role_policy(RoleName=role, PolicyName="bad", PolicyDocument="{not json")
    assert error_of(caught)[:2] == ("MalformedPolicyDocument", 400)

    iam_client.delete_role_policy(RoleName=role, PolicyName="logs")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.get_role_policy(RoleName=role, PolicyName="logs")
    assert error_of(caught) == ("NoSuchEntity", 404, "The role policy with name logs cannot be found.")
    assert iam_client.list_role_policies(RoleName=role)["PolicyNames"] == []


def test_user_inline_policies(iam_client):
    user = unique_name("user")
    iam_client.create_user(UserName=user)
    iam_client.put_user_policy(UserName=user, PolicyName="logs", PolicyDocument=json.dumps(ALLOW_LOGS))
    assert iam_client.get_user_policy(UserName=user, PolicyName="logs")["PolicyDocument"] == ALLOW_LOGS
    assert iam_client.list_user_policies(UserName=user)["PolicyNames"] == ["logs"]
    iam_client.delete_user_policy(UserName=user, PolicyName="logs")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.delete_user_policy(UserName=user, PolicyName="logs")
    assert error_of(caught) == ("NoSuchEntity", 404, "The user policy with name logs cannot be found.")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.put_user_policy(
            UserName=unique_name("none"), PolicyName="logs", PolicyDocument=json.dumps(ALLOW_LOGS))
    assert error_of(caught)[:2] == ("NoSuchEntity", 404)


# --- Managed policies --------------------------------------------------------------------


def test_customer_managed_policy_versions(iam_client):
    name = unique_name("policy")
    policy = iam_client.create_policy(
        PolicyName=name, PolicyDocument=json.dumps(ALLOW_LOGS), Description="logs")["Policy"]
    arn = policy["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:policy/{name}" and policy["DefaultVersionId"] == "v1"
    assert iam_client.get_policy(PolicyArn=arn)["Policy"]["Description"] == "logs"
    assert iam_client.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"] == ALLOW_LOGS

    newer = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
    version = iam_client.create_policy_version(
        PolicyArn=arn, PolicyDocument=json.dumps(newer), SetAsDefault=True)["PolicyVersion"]
    assert version["VersionId"] == "v2" and version["IsDefaultVersion"] is True
    assert iam_client.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    versions = iam_client.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [("v2", True), ("v1", False)]

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.delete_policy_version(PolicyArn=arn, VersionId="v2")
    assert error_of(caught) == ("DeleteConflict", 409, "Cannot delete the default version of a policy.")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.delete_policy(PolicyArn=arn)
    assert error_of(caught)[:2] == ("DeleteConflict", 409)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.get_policy_version(PolicyArn=arn, VersionId="v9")
    assert error_of(caught)[:2] == ("NoSuchEntity", 404)

    iam_client.delete_policy_version(PolicyArn=arn, VersionId="v1")
    for _ in range(4):
        iam_client.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(newer))
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(newer))
    assert error_of(caught)[:2] == ("LimitExceeded", 409)


def test_customer_managed_policy_attachments_and_deletion(iam_client):
    name = unique_name("policy")
    arn = iam_client.create_policy(PolicyName=name, PolicyDocument=json.dumps(ALLOW_LOGS))["Policy"]["Arn"]
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.create_policy(PolicyName=name, PolicyDocument=json.dumps(ALLOW_LOGS))
    assert error_of(caught) == (
        "EntityAlreadyExists", 409, f"A policy called {name} already exists. Duplicate names are not allowed.")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.create_policy(PolicyName=unique_name("policy"), PolicyDocument="[]")
    assert error_of(caught)[:2] == ("MalformedPolicyDocument", 400)

    role = unique_name("role")
    iam_client.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST_ACCOUNT)
    iam_client.attach_role_policy(RoleName=role, PolicyArn=arn)
    assert iam_client.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.delete_policy(PolicyArn=arn)
    assert error_of(caught) == ("DeleteConflict", 409, "Cannot delete a policy attached to entities.")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.delete_role(RoleName=role)
    assert error_of(caught) == ("DeleteConflict", 409, "Cannot delete entity, must detach all policies first.")

    iam_client.detach_role_policy(RoleName=role, PolicyArn=arn)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.detach_role_policy(RoleName=role, PolicyArn=arn)
    assert error_of(caught) == ("NoSuchEntity", 404, f"Policy {arn} was not found.")
    iam_client.delete_policy(PolicyArn=arn)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.get_policy(PolicyArn=arn)
    assert error_of(caught) == ("NoSuchEntity", 404, f"Policy {arn} was not found.")
    iam_client.delete_role(RoleName=role)


def test_aws_managed_policies_are_listed_served_and_attachable(iam_client):
    listed = iam_client.list_policies(Scope="AWS")["Policies"]
    assert sorted(p["Arn"] for p in listed) == sorted(AWS_MANAGED)

    policy = iam_client.get_policy(PolicyArn=BASIC_EXECUTION)["Policy"]
    assert policy["PolicyName"] == "AWSLambdaBasicExecutionRole" and policy["Path"] == "/service-role/"
    document = iam_client.get_policy_version(
        PolicyArn=BASIC_EXECUTION, VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"]
    assert document["Statement"][0]["Action"] == [
        "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]

    role = unique_name("role")
    iam_client.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST_ACCOUNT)
    iam_client.attach_role_policy(RoleName=role, PolicyArn=BASIC_EXECUTION)
    attached = iam_client.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert attached == [{"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": BASIC_EXECUTION}]
    assert iam_client.list_attached_role_policies(RoleName=role, PathPrefix="/other/")["AttachedPolicies"] == []
    only_attached = iam_client.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]
    assert BASIC_EXECUTION in [p["Arn"] for p in only_attached]

    user = unique_name("user")
    iam_client.create_user(UserName=user)
    iam_client.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    assert [p["PolicyName"] for p in iam_client.list_attached_user_policies(UserName=user)["AttachedPolicies"]] == [
        "IAMReadOnlyAccess"]


def test_aws_managed_policies_cannot_be_changed_and_unknown_ones_not_attached(iam_client):
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.delete_policy(PolicyArn=BASIC_EXECUTION)
    assert error_of(caught)[:2] == ("AccessDenied", 403)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.create_policy_version(PolicyArn=BASIC_EXECUTION, PolicyDocument=json.dumps(ALLOW_LOGS))
    assert error_of(caught)[:2] == ("AccessDenied", 403)

    role = unique_name("role")
    iam_client.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST_ACCOUNT)
    missing = "arn:aws:iam::aws:policy/NoSuchManagedPolicy"
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.attach_role_policy(RoleName=role, PolicyArn=missing)
    assert error_of(caught) == ("NoSuchEntity", 404, f"Policy {missing} does not exist or is not attachable.")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        iam_client.get_policy(PolicyArn="arn:aws:iam::123456789012:role/not-a-policy")
    assert error_of(caught)[:2] == ("InvalidInput", 400)


def test_list_policies_pages_local_policies_under_a_path(iam_client):
    path = f"/{unique_name('p')}/"
    names = sorted(unique_name("policy") for _ in range(3))
    for name in names:
        iam_client.create_policy(PolicyName=name, Path=path, PolicyDocument=json.dumps(ALLOW_LOGS))
    first = iam_client.list_policies(Scope="Local", PathPrefix=path, MaxItems=2)
    assert first["IsTruncated"] is True and [p["PolicyName"] for p in first["Policies"]] == names[:2]
    rest = iam_client.list_policies(Scope="Local", PathPrefix=path, MaxItems=2, Marker=first["Marker"])
    assert rest["IsTruncated"] is False and [p["PolicyName"] for p in rest["Policies"]] == names[2:]
    assert iam_client.list_policies(Scope="Local", PathPrefix=path, OnlyAttached=True)["Policies"] == []


# --- The wire ----------------------------------------------------------------------------


def post_form(server, body, sign=True):
    """POSTs a form to the endpoint, signed for `iam` with the test's root key unless told not to;
    returns (status, body text)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    if sign:
        request = AWSRequest(method="POST", url=server.endpoint + "/", data=body, headers=headers)
        SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "iam", REGION).add_auth(request)
        headers = dict(request.headers.items())
    request = urllib.request.Request(server.endpoint + "/", data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_an_unknown_action_is_invalid_action_in_iam_xml(server):
    status, body = post_form(server, b"Action=CreateGroup&Version=2010-05-08&GroupName=g")
    assert status == 400
    assert body.startswith('<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">')
    assert "<Code>InvalidAction</Code>" in body and "<Type>Sender</Type>" in body


def test_an_unsigned_iam_request_is_missing_its_token_in_iam_xml(server):
    status, body = post_form(server, b"Action=ListUsers&Version=2010-05-08", sign=False)
    assert status == 403
    assert body.startswith('<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">')
    assert "<Code>MissingAuthenticationToken</Code>" in body
    assert "<Message>Request is missing Authentication Token</Message>" in body


def test_iam_state_survives_a_restart(server_factory):
    instance = server_factory()
    iam = instance.client("iam")
    iam.create_user(UserName="durable")
    key = iam.create_access_key(UserName="durable")["AccessKey"]
    iam.create_role(RoleName="durable-role", AssumeRolePolicyDocument=TRUST_ACCOUNT)
    instance.restart()
    assert iam.get_user(UserName="durable")["User"]["UserName"] == "durable"
    assert iam.list_access_keys(UserName="durable")["AccessKeyMetadata"][0]["AccessKeyId"] == key["AccessKeyId"]
    assert client_with_key(instance, "sts", key).get_caller_identity()["Arn"].endswith(":user/durable")
