"""Provisioned concurrency: environments of a version or alias initialised ahead, READY
once they all are; invocations they serve know it (AWS_LAMBDA_INITIALIZATION_TYPE) and
report no Init Duration; limits, deletion, aliases that move, and restarts."""

import base64
import json

import pytest
from botocore.exceptions import ClientError

from swiftlet_testing import make_zip, wait_for

HANDLER = """
import os
def handler(event, context):
    return {"type": os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"], "version": context.function_version}
"""


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def invoke(client, name, qualifier):
    reply = client.invoke(FunctionName=name, Qualifier=qualifier, Payload=b"{}", LogType="Tail")
    tail = base64.b64decode(reply["LogResult"]).decode()
    return json.loads(reply["Payload"].read()), "Init Duration" in tail


def wait_ready(client, name, qualifier, requested):
    def ready():
        config = client.get_provisioned_concurrency_config(FunctionName=name, Qualifier=qualifier)
        return config["Status"] == "READY" and config["AvailableProvisionedConcurrentExecutions"] == requested
    wait_for(ready, timeout=30, message="provisioned concurrency READY")


@pytest.fixture
def published(lambda_client, make_function):
    name, _ = make_function(code=HANDLER)
    version = lambda_client.publish_version(FunctionName=name)["Version"]
    return name, version


def test_provisioned_environments_serve_without_init(lambda_client, published):
    name, version = published
    reply = lambda_client.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=2)
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert reply["RequestedProvisionedConcurrentExecutions"] == 2
    assert reply["Status"] in ("IN_PROGRESS", "READY")
    wait_ready(lambda_client, name, version, 2)

    result, init_reported = invoke(lambda_client, name, version)
    assert result == {"type": "provisioned-concurrency", "version": version}
    assert not init_reported
    # $LATEST is not provisioned: its first invocation is an on-demand cold start.
    result, init_reported = invoke(lambda_client, name, "$LATEST")
    assert result["type"] == "on-demand" and init_reported

    listed = lambda_client.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"]
    assert [item["FunctionArn"].rsplit(":", 1)[1] for item in listed] == [version]


def test_deleting_the_config_returns_to_on_demand(lambda_client, published):
    name, version = published
    lambda_client.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=1)
    wait_ready(lambda_client, name, version, 1)
    reply = lambda_client.delete_provisioned_concurrency_config(FunctionName=name, Qualifier=version)
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_of(lambda_client.get_provisioned_concurrency_config, FunctionName=name, Qualifier=version) == (
        "ProvisionedConcurrencyConfigNotFoundException", "No Provisioned Concurrency Config found for this function")

    def on_demand():
        result, init_reported = invoke(lambda_client, name, version)
        return result["type"] == "on-demand" and init_reported
    wait_for(on_demand, timeout=10, message="an on-demand environment after the config is deleted")


def test_an_alias_config_follows_the_alias(lambda_client, published):
    name, first = published
    lambda_client.update_function_code(FunctionName=name, ZipFile=make_zip({"app.py": HANDLER + "\n# two\n"}))
    second = lambda_client.publish_version(FunctionName=name)["Version"]
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion=first)
    lambda_client.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=1)
    wait_ready(lambda_client, name, "live", 1)
    assert invoke(lambda_client, name, "live") == ({"type": "provisioned-concurrency", "version": first}, False)

    lambda_client.update_alias(FunctionName=name, Name="live", FunctionVersion=second)
    wait_ready(lambda_client, name, "live", 1)
    assert invoke(lambda_client, name, "live") == ({"type": "provisioned-concurrency", "version": second}, False)


def test_refusals(lambda_client, lambda_client_unvalidated, published):
    name, version = published
    assert error_of(
        lambda_client.put_provisioned_concurrency_config, FunctionName=name, Qualifier="$LATEST",
        ProvisionedConcurrentExecutions=1,
    ) == ("InvalidParameterValueException",
          "Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
    code, _ = error_of(
        lambda_client_unvalidated.put_provisioned_concurrency_config, FunctionName=name, Qualifier=version,
        ProvisionedConcurrentExecutions=0)
    assert code == "ValidationException"
    code, _ = error_of(
        lambda_client.put_provisioned_concurrency_config, FunctionName=name, Qualifier="99",
        ProvisionedConcurrentExecutions=1)
    assert code == "ResourceNotFoundException"

    lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    code, message = error_of(
        lambda_client.put_provisioned_concurrency_config, FunctionName=name, Qualifier=version,
        ProvisionedConcurrentExecutions=2)
    assert code == "InvalidParameterValueException" and "reservedConcurrentExecution" in message
    assert error_of(lambda_client.get_provisioned_concurrency_config, FunctionName=name, Qualifier=version)[0] == (
        "ProvisionedConcurrencyConfigNotFoundException")


def test_provisioned_environments_come_back_after_a_restart(server_factory):
    instance = server_factory()
    client = instance.client("lambda")
    client.create_function(
        FunctionName="kept-warm", Runtime="python3.11", Handler="app.handler",
        Role="arn:aws:iam::123456789012:role/swiftlet-test-role", Code={"ZipFile": make_zip({"app.py": HANDLER})})
    version = client.publish_version(FunctionName="kept-warm")["Version"]
    client.put_provisioned_concurrency_config(
        FunctionName="kept-warm", Qualifier=version, ProvisionedConcurrentExecutions=1)
    wait_ready(client, "kept-warm", version, 1)
    instance.restart()
    wait_ready(client, "kept-warm", version, 1)
    assert invoke(client, "kept-warm", version) == ({"type": "provisioned-concurrency", "version": version}, False)
