"""Asynchronous invocation: durable acceptance, at-least-once delivery across
kill -9, retries with a stable request id, event invoke configs, and
destination records shaped as AWS sends them."""
import json
import sqlite3
import threading
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from swiftlet_testing import ROLE_ARN, make_zip, unique_name, wait_for

RECORDER = """
import json
def handler(event, context):
    print("RECORD " + json.dumps(event, sort_keys=True))
    return {"recorded": True}
"""

MARKER = """
def handler(event, context):
    print("EVENT " + str(event.get("id")) + " " + context.aws_request_id)
    return {"id": event.get("id")}
"""

FAILING = """
def handler(event, context):
    print("ATTEMPT " + context.aws_request_id)
    raise RuntimeError("always fails: " + str(event.get("id")))
"""


def create(client, code, name=None, **extra):
    name = name or unique_name("async")
    client.create_function(
        FunctionName=name, Runtime="python3.11", Role=ROLE_ARN, Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": code})}, **extra,
    )
    return name


def log_lines(logs, name, term):
    """Every message of the function's log group that contains `term`."""
    messages = []
    kwargs = {"logGroupName": f"/aws/lambda/{name}", "filterPattern": f'"{term}"'}
    try:
        while True:
            page = logs.filter_log_events(**kwargs)
            messages += [event["message"] for event in page["events"]]
            if not page.get("nextToken"):
                return messages
            kwargs["nextToken"] = page["nextToken"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "ResourceNotFoundException":
            return []
        raise


def delivered_ids(logs, name):
    return [line.split()[1] for line in log_lines(logs, name, "EVENT ")]


def records(logs, name):
    return [json.loads(line.split("RECORD ", 1)[1]) for line in log_lines(logs, name, "RECORD ")]


def test_an_accepted_event_runs_with_the_request_id_it_was_given(lambda_client, logs_client):
    name = create(lambda_client, MARKER)
    reply = lambda_client.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"id": "one"}))
    assert reply["StatusCode"] == 202
    request_id = reply["ResponseMetadata"]["RequestId"]
    wait_for(lambda: log_lines(logs_client, name, "EVENT one"), message="the event to run")
    assert log_lines(logs_client, name, "EVENT one")[0].split()[2] == request_id


def test_legacy_invoke_async_runs_the_event(lambda_client, logs_client):
    name = create(lambda_client, MARKER)
    reply = lambda_client.invoke_async(FunctionName=name, InvokeArgs=json.dumps({"id": "legacy"}))
    assert reply["Status"] == 202
    wait_for(lambda: "legacy" in delivered_ids(logs_client, name), message="the legacy event to run")


def test_thousands_of_events_are_all_delivered(lambda_client, logs_client):
    name = create(lambda_client, MARKER)
    ids = [f"e{index}" for index in range(2000)]

    def send(chunk):
        client = lambda_client
        for event_id in chunk:
            reply = client.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"id": event_id}))
            assert reply["StatusCode"] == 202

    threads = [threading.Thread(target=send, args=(ids[offset::8],)) for offset in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_for(lambda: set(ids) <= set(delivered_ids(logs_client, name)), timeout=120, interval=1,
             message="all 2000 events to be delivered")


def test_the_queue_counters_match_what_was_accepted_and_never_go_negative(server_factory):
    import re
    import urllib.request

    server = server_factory()
    client = server.client("lambda")
    name = create(client, MARKER)

    def counters():
        text = urllib.request.urlopen(server.endpoint + "/metrics").read().decode()
        return {key: int(value) for key, value in re.findall(r"^(swiftlet_async_events_\w+) (-?\d+)$", text, re.M)}

    def send(count):
        for _ in range(count):
            assert client.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")["StatusCode"] == 202

    threads = [threading.Thread(target=send, args=(75,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    seen = []
    while any(thread.is_alive() for thread in threads):
        seen.append(counters()["swiftlet_async_events_queued"])
    for thread in threads:
        thread.join()

    assert min(seen) >= 0, seen
    wait_for(lambda: counters()["swiftlet_async_events_queued"] == 0, timeout=60, message="the queue to drain")
    final = counters()
    assert final["swiftlet_async_events_accepted_total"] == 300
    assert final["swiftlet_async_events_succeeded_total"] == 300


def test_an_event_over_one_megabyte_is_refused(lambda_client, make_function):
    name, _ = make_function()
    with pytest.raises(ClientError) as raised:
        lambda_client.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"x": "y" * 1_100_000}))
    assert raised.value.response["Error"]["Code"] == "RequestTooLargeException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_an_event_for_a_missing_function_is_not_accepted(lambda_client):
    with pytest.raises(ClientError) as raised:
        lambda_client.invoke(FunctionName="no-such-function", InvocationType="Event", Payload=b"{}")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_every_accepted_event_survives_kill_9(server_factory):
    server = server_factory("--async-retry-delay", "1")
    client = server.client("lambda")
    name = create(client, MARKER.replace("return", "import time; time.sleep(0.02)\n    return"))
    accepted = []
    lock = threading.Lock()
    stop = threading.Event()

    def send(prefix):
        local = server.client("lambda")
        index = 0
        while not stop.is_set():
            event_id = f"{prefix}-{index}"
            try:
                reply = local.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"id": event_id}))
            except Exception:
                return  # the server died mid-request: not accepted
            if reply["StatusCode"] == 202:
                with lock:
                    accepted.append(event_id)
            index += 1

    threads = [threading.Thread(target=send, args=(f"t{number}",)) for number in range(8)]
    for thread in threads:
        thread.start()
    wait_for(lambda: len(accepted) >= 600, timeout=60, message="a burst of accepted events")
    server.kill()
    stop.set()
    for thread in threads:
        thread.join()
    server.start()
    logs = server.client("logs")
    wait_for(lambda: set(accepted) <= set(delivered_ids(logs, name)), timeout=120, interval=1,
             message="every event that got a 202 to be delivered after the restart")
    seen = delivered_ids(logs, name)
    duplicates = len(seen) - len(set(seen))
    print(f"accepted {len(accepted)}, delivered {len(set(seen))}, duplicates {duplicates}")


def failing_function_with_recorder(server_factory, retries):
    """A server retrying after 1 s, a function that always fails with `retries` retries,
    and a recorder function as its failure destination: (client, logs, failing, recorder)."""
    server = server_factory("--async-retry-delay", "1")
    client = server.client("lambda")
    recorder = create(client, RECORDER)
    failing = create(client, FAILING)
    recorder_arn = client.get_function(FunctionName=recorder)["Configuration"]["FunctionArn"]
    client.put_function_event_invoke_config(
        FunctionName=failing, MaximumRetryAttempts=retries,
        DestinationConfig={"OnFailure": {"Destination": recorder_arn}},
    )
    return client, server.client("logs"), failing, recorder


def test_function_errors_are_retried_then_sent_to_the_failure_destination(server_factory):
    client, logs, failing, recorder = failing_function_with_recorder(server_factory, retries=2)
    reply = client.invoke(FunctionName=failing, InvocationType="Event", Payload=json.dumps({"id": "bad"}))
    request_id = reply["ResponseMetadata"]["RequestId"]
    wait_for(lambda: records(logs, recorder), timeout=30, message="the failure record")
    attempts = log_lines(logs, failing, "ATTEMPT ")
    assert [line.split()[1] for line in attempts] == [request_id] * 3  # one try, two retries, same id
    record = records(logs, recorder)[0]
    assert record["version"] == "1.0"
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": f"arn:aws:lambda:us-east-1:123456789012:function:{failing}:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert record["requestPayload"] == {"id": "bad"}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert record["responsePayload"]["errorType"] == "RuntimeError"
    assert record["responsePayload"]["errorMessage"] == "always fails: bad"
    assert record["timestamp"].endswith("Z")


def test_zero_retries_fail_after_one_attempt(server_factory):
    client, logs, failing, recorder = failing_function_with_recorder(server_factory, retries=0)
    client.invoke(FunctionName=failing, InvocationType="Event", Payload=b'{"id": "once"}')
    wait_for(lambda: records(logs, recorder), timeout=30, message="the failure record")
    time.sleep(1.5)
    assert len(log_lines(logs, failing, "ATTEMPT ")) == 1
    assert records(logs, recorder)[0]["requestContext"]["approximateInvokeCount"] == 1


def test_success_goes_to_the_success_destination(lambda_client, logs_client):
    recorder = create(lambda_client, RECORDER)
    worker = create(lambda_client, MARKER)
    recorder_arn = lambda_client.get_function(FunctionName=recorder)["Configuration"]["FunctionArn"]
    lambda_client.put_function_event_invoke_config(
        FunctionName=worker, DestinationConfig={"OnSuccess": {"Destination": recorder_arn}}
    )
    reply = lambda_client.invoke(FunctionName=worker, InvocationType="Event", Payload=b'{"id": "good"}')
    wait_for(lambda: records(logs_client, recorder), message="the success record")
    record = records(logs_client, recorder)[0]
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["requestId"] == reply["ResponseMetadata"]["RequestId"]
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"id": "good"}


def test_a_failed_event_without_destination_is_dropped_and_counted(server_factory):
    server = server_factory("--async-retry-delay", "1")
    client = server.client("lambda")
    failing = create(client, FAILING)
    client.put_function_event_invoke_config(FunctionName=failing, MaximumRetryAttempts=0)
    client.invoke(FunctionName=failing, InvocationType="Event", Payload=b"{}")

    def dropped():
        import urllib.request
        text = urllib.request.urlopen(server.endpoint + "/metrics").read().decode()
        return "swiftlet_async_events_dropped_total 1" in text

    wait_for(dropped, timeout=30, message="the dropped counter")
    assert "dropping an asynchronous event" in server.log_path.read_text()


def test_an_event_older_than_its_maximum_age_goes_to_the_failure_path(server_factory):
    server = server_factory()
    client = server.client("lambda")
    recorder = create(client, RECORDER)
    worker = create(client, MARKER)
    recorder_arn = client.get_function(FunctionName=recorder)["Configuration"]["FunctionArn"]
    client.put_function_event_invoke_config(
        FunctionName=worker, MaximumEventAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": recorder_arn}},
    )
    server.stop()
    # An event accepted two minutes ago, while the server was down: it must not run.
    now = int(time.time() * 1000)
    with sqlite3.connect(server.data_dir / "store.sqlite") as database:
        database.execute(
            "INSERT INTO async_events (request_id, function_name, qualifier, payload, enqueued_ms, attempts, "
            "next_attempt_ms) VALUES (?, ?, '$LATEST', ?, ?, 0, ?)",
            (str(uuid.uuid4()), worker, b'{"id": "stale"}', now - 120_000, now - 120_000),
        )
    server.start()
    logs = server.client("logs")
    wait_for(lambda: records(logs, recorder), timeout=30, message="the age-exceeded record")
    record = records(logs, recorder)[0]
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert "responseContext" not in record
    assert delivered_ids(logs, worker) == []


class TestEventInvokeConfig:
    def test_put_get_update_list_delete(self, lambda_client, make_function):
        name, created = make_function()
        arn = created["FunctionArn"]
        put = lambda_client.put_function_event_invoke_config(
            FunctionName=name, MaximumRetryAttempts=1, MaximumEventAgeInSeconds=300
        )
        assert put["FunctionArn"] == arn + ":$LATEST"
        assert put["MaximumRetryAttempts"] == 1
        assert put["MaximumEventAgeInSeconds"] == 300
        got = lambda_client.get_function_event_invoke_config(FunctionName=name)
        assert got["MaximumRetryAttempts"] == 1
        updated = lambda_client.update_function_event_invoke_config(
            FunctionName=name, DestinationConfig={"OnFailure": {"Destination": arn}}
        )
        assert updated["MaximumRetryAttempts"] == 1  # kept: update changes only what it names
        assert updated["DestinationConfig"]["OnFailure"]["Destination"] == arn
        replaced = lambda_client.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
        assert "MaximumEventAgeInSeconds" not in replaced  # put replaces: left-out settings are removed
        listed = lambda_client.list_function_event_invoke_configs(FunctionName=name)
        assert [item["FunctionArn"] for item in listed["FunctionEventInvokeConfigs"]] == [arn + ":$LATEST"]
        lambda_client.delete_function_event_invoke_config(FunctionName=name)
        with pytest.raises(ClientError) as raised:
            lambda_client.get_function_event_invoke_config(FunctionName=name)
        assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"

    @pytest.mark.parametrize("arguments,member", [
        ({"MaximumRetryAttempts": 3}, "maximumRetryAttempts"),
        ({"MaximumEventAgeInSeconds": 59}, "maximumEventAgeInSeconds"),
        ({"MaximumEventAgeInSeconds": 21601}, "maximumEventAgeInSeconds"),
    ])
    def test_values_outside_the_model_are_validation_errors(self, lambda_client_unvalidated, make_function,
                                                             arguments, member):
        name, _ = make_function()
        with pytest.raises(ClientError) as raised:
            lambda_client_unvalidated.put_function_event_invoke_config(FunctionName=name, **arguments)
        error = raised.value.response["Error"]
        assert error["Code"] == "ValidationException"
        assert f"at '{member}' failed to satisfy constraint" in error["Message"]
        with pytest.raises(ClientError):
            lambda_client_unvalidated.get_function_event_invoke_config(FunctionName=name)

    def test_a_queue_destination_is_refused_clearly(self, lambda_client, make_function):
        name, _ = make_function()
        with pytest.raises(ClientError) as raised:
            lambda_client.put_function_event_invoke_config(
                FunctionName=name,
                DestinationConfig={"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:dlq"}},
            )
        assert raised.value.response["Error"]["Code"] == "InvalidParameterValueException"
        assert "arn:aws:sqs:us-east-1:123456789012:dlq" in raised.value.response["Error"]["Message"]

    def test_update_and_delete_of_a_missing_config_are_not_found(self, lambda_client, make_function):
        name, _ = make_function()
        for call in (lambda: lambda_client.update_function_event_invoke_config(FunctionName=name,
                                                                                MaximumRetryAttempts=1),
                     lambda: lambda_client.delete_function_event_invoke_config(FunctionName=name)):
            with pytest.raises(ClientError) as raised:
                call()
            assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"

    def test_a_config_for_a_missing_function_is_not_found(self, lambda_client):
        with pytest.raises(ClientError) as raised:
            lambda_client.put_function_event_invoke_config(FunctionName="missing-fn", MaximumRetryAttempts=1)
        assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_an_event_through_an_alias_runs_the_aliased_version(lambda_client, logs_client):
    name = create(lambda_client, MARKER)
    version = lambda_client.publish_version(FunctionName=name)["Version"]
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    reply = lambda_client.invoke(FunctionName=name, Qualifier="live", InvocationType="Event",
                                 Payload=json.dumps({"id": "aliased"}))
    assert reply["StatusCode"] == 202
    wait_for(lambda: "aliased" in delivered_ids(logs_client, name), message="the aliased event to run")


def test_reserved_concurrency_zero_sends_events_straight_to_the_failure_destination(lambda_client, logs_client):
    recorder = create(lambda_client, RECORDER)
    worker = create(lambda_client, MARKER)
    recorder_arn = lambda_client.get_function(FunctionName=recorder)["Configuration"]["FunctionArn"]
    lambda_client.put_function_event_invoke_config(
        FunctionName=worker, DestinationConfig={"OnFailure": {"Destination": recorder_arn}}
    )
    lambda_client.put_function_concurrency(FunctionName=worker, ReservedConcurrentExecutions=0)
    reply = lambda_client.invoke(FunctionName=worker, InvocationType="Event", Payload=b'{"id": "off"}')
    wait_for(lambda: records(logs_client, recorder), message="the failure record")
    record = records(logs_client, recorder)[0]
    assert record["requestContext"]["requestId"] == reply["ResponseMetadata"]["RequestId"]
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert delivered_ids(logs_client, worker) == []
