"""Aliases: Create/Get/Update/Delete/ListAliases, RevisionId, and weighted routing."""
import botocore.exceptions
import pytest

from swiftlet_testing import invoke_json, make_zip

HANDLER = """
def handler(event, context):
    return {"tag": "%s", "arn": context.invoked_function_arn}
"""


def publish(client, name, tag):
    client.update_function_code(FunctionName=name, ZipFile=make_zip({"app.py": HANDLER % tag}))
    return client.publish_version(FunctionName=name)["Version"]


def error_of(caught):
    return caught.value.response["Error"]["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def versioned(lambda_client, make_function):
    """A function with versions 1 ("one") and 2 ("two")."""
    name, created = make_function(code=HANDLER % "zero")
    publish(lambda_client, name, "one")
    publish(lambda_client, name, "two")
    return name, created["FunctionArn"]


def test_create_get_update_delete(lambda_client, versioned):
    name, arn = versioned
    created = lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="1", Description="d")
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["AliasArn"] == f"{arn}:live"
    assert (created["Name"], created["FunctionVersion"], created["Description"]) == ("live", "1", "d")
    assert created["RevisionId"]

    got = lambda_client.get_alias(FunctionName=name, Name="live")
    assert got["RevisionId"] == created["RevisionId"]

    updated = lambda_client.update_alias(
        FunctionName=name, Name="live", FunctionVersion="2", RevisionId=created["RevisionId"])
    assert updated["FunctionVersion"] == "2"
    assert updated["Description"] == "d"
    assert updated["RevisionId"] != created["RevisionId"]

    lambda_client.delete_alias(FunctionName=name, Name="live")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.get_alias(FunctionName=name, Name="live")
    assert error_of(caught) == ("ResourceNotFoundException", 404)
    assert caught.value.response["Error"]["Message"] == f"Alias not found: {arn}:live"


def test_stale_revision_is_refused(lambda_client, versioned):
    name, _ = versioned
    created = lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    lambda_client.update_alias(FunctionName=name, Name="live", Description="changed")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.update_alias(FunctionName=name, Name="live", FunctionVersion="2",
                                   RevisionId=created["RevisionId"])
    assert error_of(caught) == ("PreconditionFailedException", 412)
    assert lambda_client.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == "1"


def test_duplicate_and_unknown(lambda_client, versioned):
    name, arn = versioned
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="2")
    assert error_of(caught) == ("ResourceConflictException", 409)
    assert caught.value.response["Error"]["Message"] == f"Alias already exists: {arn}:live"

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.create_alias(FunctionName=name, Name="later", FunctionVersion="9")
    assert error_of(caught) == ("ResourceNotFoundException", 404)
    assert caught.value.response["Error"]["Message"] == f"Function not found: {arn}:9"

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.update_alias(FunctionName=name, Name="nope", FunctionVersion="1")
    assert error_of(caught) == ("ResourceNotFoundException", 404)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.delete_alias(FunctionName=name, Name="nope")
    assert error_of(caught) == ("ResourceNotFoundException", 404)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.create_alias(FunctionName="no-such-function-here", Name="live", FunctionVersion="1")
    assert error_of(caught) == ("ResourceNotFoundException", 404)


def test_names_that_look_like_versions_are_refused(lambda_client_unvalidated, versioned):
    name, _ = versioned
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client_unvalidated.create_alias(FunctionName=name, Name="123", FunctionVersion="1")
    assert error_of(caught) == ("ValidationException", 400)


def test_invoke_through_an_alias(lambda_client, versioned):
    name, arn = versioned
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    response, payload = invoke_json(lambda_client, name, Qualifier="live")
    assert response["ExecutedVersion"] == "1"
    assert payload == {"tag": "one", "arn": f"{arn}:live"}
    response, payload = invoke_json(lambda_client, f"{arn}:live")
    assert response["ExecutedVersion"] == "1"

    lambda_client.update_alias(FunctionName=name, Name="live", FunctionVersion="2")
    response, payload = invoke_json(lambda_client, f"{name}:live")
    assert response["ExecutedVersion"] == "2"
    assert payload["tag"] == "two"

    configuration = lambda_client.get_function_configuration(FunctionName=name, Qualifier="live")
    assert configuration["Version"] == "2"


def test_invoke_of_an_unknown_alias_is_not_found(lambda_client, versioned):
    name, arn = versioned
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.invoke(FunctionName=name, Qualifier="missing")
    assert error_of(caught) == ("ResourceNotFoundException", 404)
    assert caught.value.response["Error"]["Message"] == f"Function not found: {arn}:missing"


def test_weighted_routing_splits_invocations(lambda_client, versioned):
    name, _ = versioned
    created = lambda_client.create_alias(
        FunctionName=name, Name="canary", FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
    assert created["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.5}}
    executed = {}
    for _ in range(40):
        response, payload = invoke_json(lambda_client, name, Qualifier="canary")
        version = response["ExecutedVersion"]
        assert payload["tag"] == {"1": "one", "2": "two"}[version]
        executed[version] = executed.get(version, 0) + 1
    # 40 fair draws all landing on one side has probability 2 * 0.5**40.
    assert set(executed) == {"1", "2"}

    lambda_client.update_alias(FunctionName=name, Name="canary", RoutingConfig={"AdditionalVersionWeights": {"2": 1.0}})
    for _ in range(5):
        assert invoke_json(lambda_client, name, Qualifier="canary")[0]["ExecutedVersion"] == "2"

    cleared = lambda_client.update_alias(FunctionName=name, Name="canary", RoutingConfig={"AdditionalVersionWeights": {}})
    assert "RoutingConfig" not in cleared
    for _ in range(5):
        assert invoke_json(lambda_client, name, Qualifier="canary")[0]["ExecutedVersion"] == "1"


def test_routing_that_lambda_refuses(lambda_client, lambda_client_unvalidated, versioned):
    name, _ = versioned
    cases = [
        ("1", {"2": 1.5}, "ValidationException", 400),
        ("1", {"2": -0.1}, "ValidationException", 400),
        ("1", {"1": 0.5}, "InvalidParameterValueException", 400),
        ("$LATEST", {"2": 0.5}, "InvalidParameterValueException", 400),
        ("1", {"2": 0.2, "3": 0.2}, "InvalidParameterValueException", 400),
        ("1", {"9": 0.5}, "ResourceNotFoundException", 404),
    ]
    for primary, weights, code, status in cases:
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            lambda_client_unvalidated.create_alias(
                FunctionName=name, Name="bad", FunctionVersion=primary,
                RoutingConfig={"AdditionalVersionWeights": weights})
        assert error_of(caught) == (code, status), (primary, weights)
    assert lambda_client.list_aliases(FunctionName=name)["Aliases"] == []


def test_list_aliases_filters_and_paginates(lambda_client, versioned):
    name, _ = versioned
    for index in range(5):
        lambda_client.create_alias(FunctionName=name, Name=f"a{index}", FunctionVersion="1" if index < 3 else "2")
    listed = lambda_client.list_aliases(FunctionName=name)["Aliases"]
    assert [alias["Name"] for alias in listed] == ["a0", "a1", "a2", "a3", "a4"]
    only_two = lambda_client.list_aliases(FunctionName=name, FunctionVersion="2")["Aliases"]
    assert [alias["Name"] for alias in only_two] == ["a3", "a4"]

    first = lambda_client.list_aliases(FunctionName=name, MaxItems=2)
    assert [alias["Name"] for alias in first["Aliases"]] == ["a0", "a1"]
    second = lambda_client.list_aliases(FunctionName=name, MaxItems=2, Marker=first["NextMarker"])
    assert [alias["Name"] for alias in second["Aliases"]] == ["a2", "a3"]
    third = lambda_client.list_aliases(FunctionName=name, MaxItems=2, Marker=second["NextMarker"])
    assert [alias["Name"] for alias in third["Aliases"]] == ["a4"]
    assert "NextMarker" not in third


def test_deleting_the_function_deletes_its_aliases(lambda_client, make_function):
    name, _ = make_function()
    lambda_client.publish_version(FunctionName=name)
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    lambda_client.delete_function(FunctionName=name)
    name2, _ = make_function(name=name)
    assert lambda_client.list_aliases(FunctionName=name2)["Aliases"] == []
    assert lambda_client.publish_version(FunctionName=name2)["Version"] == "1"


def test_configuration_through_an_alias_names_the_alias_and_the_version(lambda_client, versioned):
    name, _ = versioned
    first = "1"
    lambda_client.create_alias(FunctionName=name, Name="shown", FunctionVersion=first)
    arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
    for configuration in (
        lambda_client.get_function_configuration(FunctionName=name, Qualifier="shown"),
        lambda_client.get_function(FunctionName=f"{arn}:shown")["Configuration"],
    ):
        assert (configuration["FunctionArn"], configuration["Version"]) == (f"{arn}:shown", first)
    # Through the version itself, the ARN names the version.
    by_version = lambda_client.get_function_configuration(FunctionName=name, Qualifier=first)
    assert by_version["FunctionArn"] == f"{arn}:{first}"
