"""Configuration Lambda exposes and people set: stored, returned, snapshotted by versions."""
import botocore.exceptions
import pytest

DLQ = "arn:aws:sqs:us-east-1:123456789012:dead-letters"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def error_of(caught):
    return caught.value.response["Error"]["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_settings_are_stored_and_returned(lambda_client, make_function):
    name, created = make_function(
        Description="settings", Environment={"Variables": {"MODE": "test"}}, EphemeralStorage={"Size": 1024},
        TracingConfig={"Mode": "Active"}, DeadLetterConfig={"TargetArn": DLQ}, KMSKeyArn=KEY,
        LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG", "LogGroup": "/custom/group"},
    )
    for configuration in (created, lambda_client.get_function_configuration(FunctionName=name)):
        assert configuration["Description"] == "settings"
        assert configuration["Environment"] == {"Variables": {"MODE": "test"}}
        assert configuration["EphemeralStorage"] == {"Size": 1024}
        assert configuration["TracingConfig"] == {"Mode": "Active"}
        assert configuration["DeadLetterConfig"] == {"TargetArn": DLQ}
        assert configuration["KMSKeyArn"] == KEY
        assert configuration["LoggingConfig"] == {
            "LogFormat": "JSON", "ApplicationLogLevel": "DEBUG", "SystemLogLevel": "INFO", "LogGroup": "/custom/group"}


def test_settings_update_and_clear(lambda_client, make_function):
    name, created = make_function()
    assert created["TracingConfig"] == {"Mode": "PassThrough"}
    assert "DeadLetterConfig" not in created
    assert created["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"}

    updated = lambda_client.update_function_configuration(
        FunctionName=name, TracingConfig={"Mode": "Active"}, DeadLetterConfig={"TargetArn": DLQ}, KMSKeyArn=KEY)
    assert updated["TracingConfig"] == {"Mode": "Active"}
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
    cleared = lambda_client.update_function_configuration(
        FunctionName=name, TracingConfig={"Mode": "PassThrough"}, DeadLetterConfig={}, KMSKeyArn="")
    assert cleared["TracingConfig"] == {"Mode": "PassThrough"}
    assert "DeadLetterConfig" not in cleared
    assert "KMSKeyArn" not in cleared


def test_published_versions_keep_their_settings(lambda_client, make_function):
    name, _ = make_function(TracingConfig={"Mode": "Active"})
    lambda_client.publish_version(FunctionName=name)
    lambda_client.update_function_configuration(FunctionName=name, TracingConfig={"Mode": "PassThrough"})
    assert lambda_client.get_function_configuration(FunctionName=name, Qualifier="1")["TracingConfig"] == {
        "Mode": "Active"}


def test_bad_settings_are_refused(lambda_client, lambda_client_unvalidated, make_function):
    name, _ = make_function()
    cases = [
        ({"TracingConfig": {"Mode": "Sometimes"}}, "ValidationException"),
        ({"LoggingConfig": {"LogFormat": "XML"}}, "ValidationException"),
        ({"LoggingConfig": {"LogFormat": "Text", "ApplicationLogLevel": "DEBUG"}}, "InvalidParameterValueException"),
        ({"LoggingConfig": {"LogGroup": "bad group!"}}, "ValidationException"),
        ({"DeadLetterConfig": {"TargetArn": "not-an-arn"}}, "ValidationException"),
    ]
    for settings, code in cases:
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            lambda_client_unvalidated.update_function_configuration(FunctionName=name, **settings)
        assert error_of(caught) == (code, 400), settings
    assert lambda_client.get_function_configuration(FunctionName=name)["TracingConfig"] == {"Mode": "PassThrough"}
