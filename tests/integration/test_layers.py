"""Layers: publish, get, list, delete, policies, and Layers on functions (metadata only)."""
import json
import urllib.request

import botocore.exceptions
import pytest

from swiftlet_testing import code_sha256, make_zip, unique_name


def error_of(caught):
    return caught.value.response["Error"]["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def layer(lambda_client):
    """publish(name=None, **args) publishes a layer version; versions are deleted afterwards."""
    published = []

    def publish(name=None, content=None, **kwargs):
        name = name or unique_name("layer")
        archive = content or make_zip({"python/helper.py": "VALUE = 1\n"})
        response = lambda_client.publish_layer_version(LayerName=name, Content={"ZipFile": archive}, **kwargs)
        published.append((name, response["Version"]))
        return name, response, archive

    yield publish
    for name, version in published:
        lambda_client.delete_layer_version(LayerName=name, VersionNumber=version)


def test_publish_and_get(lambda_client, layer):
    name, published, archive = layer(Description="helpers", CompatibleRuntimes=["python3.11"],
                                      CompatibleArchitectures=["x86_64"], LicenseInfo="MIT")
    assert published["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert published["Version"] == 1
    assert published["LayerArn"] == f"arn:aws:lambda:us-east-1:123456789012:layer:{name}"
    assert published["LayerVersionArn"] == published["LayerArn"] + ":1"
    assert published["Content"]["CodeSha256"] == code_sha256(archive)
    assert published["Content"]["CodeSize"] == len(archive)
    assert (published["Description"], published["LicenseInfo"]) == ("helpers", "MIT")
    assert published["CompatibleRuntimes"] == ["python3.11"]

    got = lambda_client.get_layer_version(LayerName=name, VersionNumber=1)
    assert got["LayerVersionArn"] == published["LayerVersionArn"]
    with urllib.request.urlopen(got["Content"]["Location"]) as download:
        assert download.read() == archive
    by_arn = lambda_client.get_layer_version_by_arn(Arn=published["LayerVersionArn"])
    assert by_arn["Version"] == 1
    by_layer_arn = lambda_client.get_layer_version(LayerName=published["LayerArn"], VersionNumber=1)
    assert by_layer_arn["Version"] == 1


def test_versions_count_up_and_list_newest_first(lambda_client, layer):
    name, _, _ = layer()
    layer(name=name, CompatibleRuntimes=["nodejs20.x"])
    layer(name=name, CompatibleRuntimes=["python3.11"])
    versions = lambda_client.list_layer_versions(LayerName=name)["LayerVersions"]
    assert [v["Version"] for v in versions] == [3, 2, 1]
    python = lambda_client.list_layer_versions(LayerName=name, CompatibleRuntime="python3.11")["LayerVersions"]
    assert [v["Version"] for v in python] == [3]
    page = lambda_client.list_layer_versions(LayerName=name, MaxItems=2)
    assert [v["Version"] for v in page["LayerVersions"]] == [3, 2]
    rest = lambda_client.list_layer_versions(LayerName=name, MaxItems=2, Marker=page["NextMarker"])
    assert [v["Version"] for v in rest["LayerVersions"]] == [1]

    listed = {item["LayerName"]: item for item in lambda_client.list_layers()["Layers"]}
    assert listed[name]["LatestMatchingVersion"]["Version"] == 3
    node = {item["LayerName"]: item for item in lambda_client.list_layers(CompatibleRuntime="nodejs20.x")["Layers"]}
    assert node[name]["LatestMatchingVersion"]["Version"] == 2


def test_missing_layer_versions(lambda_client, layer):
    name, _, _ = layer()
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.get_layer_version(LayerName=name, VersionNumber=9)
    assert error_of(caught) == ("ResourceNotFoundException", 404)
    lambda_client.delete_layer_version(LayerName=name, VersionNumber=9)  # deleting nothing succeeds
    assert lambda_client.list_layer_versions(LayerName=unique_name("none"))["LayerVersions"] == []


def test_deleted_versions_are_gone_and_numbers_are_not_reused(lambda_client, layer):
    name, _, _ = layer()
    lambda_client.delete_layer_version(LayerName=name, VersionNumber=1)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.get_layer_version(LayerName=name, VersionNumber=1)
    assert error_of(caught) == ("ResourceNotFoundException", 404)
    _, again, _ = layer(name=name)
    assert again["Version"] == 2


def test_layer_version_policy(lambda_client, layer):
    name, _, _ = layer()
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.get_layer_version_policy(LayerName=name, VersionNumber=1)
    assert error_of(caught) == ("ResourceNotFoundException", 404)

    added = lambda_client.add_layer_version_permission(
        LayerName=name, VersionNumber=1, StatementId="everyone", Action="lambda:GetLayerVersion", Principal="*")
    assert json.loads(added["Statement"])["Sid"] == "everyone"
    policy = lambda_client.get_layer_version_policy(LayerName=name, VersionNumber=1)
    assert [s["Sid"] for s in json.loads(policy["Policy"])["Statement"]] == ["everyone"]
    assert policy["RevisionId"] == added["RevisionId"]

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.add_layer_version_permission(
            LayerName=name, VersionNumber=1, StatementId="everyone", Action="lambda:GetLayerVersion", Principal="*")
    assert error_of(caught) == ("ResourceConflictException", 409)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.remove_layer_version_permission(
            LayerName=name, VersionNumber=1, StatementId="everyone", RevisionId="stale")
    assert error_of(caught) == ("PreconditionFailedException", 412)

    lambda_client.remove_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="everyone")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.remove_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="everyone")
    assert error_of(caught) == ("ResourceNotFoundException", 404)


def test_functions_reference_layers(lambda_client, make_function, layer):
    name, published, archive = layer()
    function, created = make_function(Layers=[published["LayerVersionArn"]])
    assert created["Layers"] == [{"Arn": published["LayerVersionArn"], "CodeSize": len(archive)}]
    updated = lambda_client.update_function_configuration(FunctionName=function, Layers=[])
    assert "Layers" not in updated

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.update_function_configuration(FunctionName=function, Layers=[published["LayerArn"] + ":99"])
    assert error_of(caught) == ("InvalidParameterValueException", 400)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.update_function_configuration(FunctionName=function, Layers=[published["LayerVersionArn"]] * 6)
    assert error_of(caught) == ("InvalidParameterValueException", 400)
