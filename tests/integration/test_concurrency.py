"""Reserved concurrency: Put/Get/DeleteFunctionConcurrency, AWS's 100-unreserved rule,
and throttling with the right Reason."""
import json
import threading

import pytest
from botocore.exceptions import ClientError

SLEEPER = """
import time
def handler(event, context):
    time.sleep(event.get("seconds", 0))
    return "done"
"""


def test_put_get_delete(lambda_client, make_function):
    name, _ = make_function()
    assert "ReservedConcurrentExecutions" not in lambda_client.get_function_concurrency(FunctionName=name)
    put = lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=5)
    assert put["ReservedConcurrentExecutions"] == 5
    assert lambda_client.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 5
    settings = lambda_client.get_account_settings()
    assert settings["AccountLimit"]["UnreservedConcurrentExecutions"] <= settings["AccountLimit"][
        "ConcurrentExecutions"] - 5
    lambda_client.delete_function_concurrency(FunctionName=name)
    assert "ReservedConcurrentExecutions" not in lambda_client.get_function_concurrency(FunctionName=name)


def test_at_least_100_executions_stay_unreserved(lambda_client, make_function):
    name, _ = make_function()
    limit = lambda_client.get_account_settings()["AccountLimit"]["ConcurrentExecutions"]
    with pytest.raises(ClientError) as raised:
        lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=limit - 99)
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "below its minimum value of [100]" in raised.value.response["Error"]["Message"]
    assert "ReservedConcurrentExecutions" not in lambda_client.get_function_concurrency(FunctionName=name)


def test_negative_reservation_is_a_validation_error(lambda_client_unvalidated, make_function):
    name, _ = make_function()
    with pytest.raises(ClientError) as raised:
        lambda_client_unvalidated.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=-1)
    assert raised.value.response["Error"]["Code"] == "ValidationException"


def test_missing_function_is_not_found(lambda_client):
    with pytest.raises(ClientError) as raised:
        lambda_client.put_function_concurrency(FunctionName="no-such-fn", ReservedConcurrentExecutions=1)
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_zero_throttles_every_synchronous_invoke(lambda_client, make_function):
    name, _ = make_function()
    lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as raised:
        lambda_client.invoke(FunctionName=name, Payload=b"{}")
    response = raised.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert response["Error"]["Code"] == "TooManyRequestsException"
    assert response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert "retry-after" in response["ResponseMetadata"]["HTTPHeaders"]
    lambda_client.delete_function_concurrency(FunctionName=name)
    assert lambda_client.invoke(FunctionName=name, Payload=b"{}")["StatusCode"] == 200


def test_a_reservation_of_one_runs_one_invocation_at_a_time(server, lambda_client, make_function):
    name, _ = make_function(code=SLEEPER)
    lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    # Warm up so the first invocation below is certainly running (not starting) when the second comes.
    lambda_client.invoke(FunctionName=name, Payload=json.dumps({"seconds": 0}))
    outcomes = []

    def invoke(client):
        try:
            reply = client.invoke(FunctionName=name, Payload=json.dumps({"seconds": 2}))
            outcomes.append("ok" if "FunctionError" not in reply else reply["Payload"].read().decode())
        except ClientError as error:
            outcomes.append(error.response.get("Reason"))

    first = threading.Thread(target=invoke, args=(server.client("lambda"),))
    first.start()
    import time
    time.sleep(0.7)  # the first invocation is running now
    invoke(server.client("lambda"))
    first.join()
    assert sorted(outcomes, key=str) == ["ReservedFunctionConcurrentInvocationLimitExceeded", "ok"]
