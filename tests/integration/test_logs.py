"""A function's logs through the CloudWatch Logs API (boto3) and `aws logs tail`."""

import json
import re

import pytest

from swiftlet_testing import aws_cli, unique_name, wait_for

pytestmark = pytest.mark.timeout(60)

LOGGING_CODE = """
def handler(event, context):
    print("log-marker", event["marker"])
    print("second line for", event["marker"])
    return "logged"
"""


@pytest.fixture
def logged_function(lambda_client, logs_client, make_function):
    """A function invoked once; returns (name, marker, request id) once its lines are
    readable through the Logs API."""
    name, _ = make_function(code=LOGGING_CODE)
    marker = unique_name("marker").replace("-", "")
    response = lambda_client.invoke(FunctionName=name, Payload=f'{{"marker": "{marker}"}}')
    assert "FunctionError" not in response
    group = f"/aws/lambda/{name}"

    def delivered():
        try:
            events = logs_client.filter_log_events(logGroupName=group)["events"]
        except logs_client.exceptions.ResourceNotFoundException:
            return None
        return any("REPORT RequestId" in e["message"] for e in events)

    wait_for(delivered, timeout=15, message=f"REPORT line in {group}")
    return name, marker, response["ResponseMetadata"]["RequestId"]


def test_log_group_is_named_after_the_function(logs_client, logged_function):
    name, _, _ = logged_function

    groups = logs_client.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{name}")

    assert [g["logGroupName"] for g in groups["logGroups"]] == [f"/aws/lambda/{name}"]
    group = groups["logGroups"][0]
    assert group["arn"].startswith("arn:aws:logs:us-east-1:")
    assert isinstance(group["creationTime"], int)


def test_log_streams_are_listed(logs_client, logged_function):
    name, _, _ = logged_function

    streams = logs_client.describe_log_streams(logGroupName=f"/aws/lambda/{name}")["logStreams"]

    assert streams
    for stream in streams:
        assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", stream["logStreamName"])
        assert stream["firstEventTimestamp"] <= stream["lastEventTimestamp"]


def test_get_log_events_returns_the_invocation_in_order(logs_client, logged_function):
    name, marker, request_id = logged_function
    group = f"/aws/lambda/{name}"
    stream = logs_client.describe_log_streams(logGroupName=group)["logStreams"][0]

    events = logs_client.get_log_events(
        logGroupName=group, logStreamName=stream["logStreamName"], startFromHead=True
    )["events"]

    messages = [event["message"] for event in events]
    joined = "".join(messages)
    order = [
        joined.index(f"START RequestId: {request_id} Version: $LATEST"),
        joined.index(f"log-marker {marker}"),
        joined.index(f"second line for {marker}"),
        joined.index(f"END RequestId: {request_id}"),
        joined.index(f"REPORT RequestId: {request_id}"),
    ]
    assert order == sorted(order)
    timestamps = [event["timestamp"] for event in events]
    assert timestamps == sorted(timestamps)
    assert all(isinstance(event["ingestionTime"], int) for event in events)


def test_filter_log_events_finds_a_plain_term(logs_client, logged_function):
    name, marker, _ = logged_function

    events = logs_client.filter_log_events(
        logGroupName=f"/aws/lambda/{name}", filterPattern=marker
    )["events"]

    assert len(events) == 2
    assert all(marker in event["message"] for event in events)
    assert all(event["logStreamName"] for event in events)


def test_filter_with_a_term_that_matches_nothing(logs_client, logged_function):
    name, _, _ = logged_function

    events = logs_client.filter_log_events(
        logGroupName=f"/aws/lambda/{name}", filterPattern="nothingmatchesthis"
    )["events"]

    assert events == []


def test_unknown_log_group_is_not_found(logs_client):
    with pytest.raises(logs_client.exceptions.ResourceNotFoundException):
        logs_client.filter_log_events(logGroupName=f"/aws/lambda/{unique_name('none')}")


def test_aws_cli_reads_the_function_output(server, logged_function):
    # `aws logs tail` exists only in AWS CLI v2, which PyPI does not carry; CLI v1's
    # filter-log-events and get-log-events read the same API.
    name, marker, _ = logged_function
    group = f"/aws/lambda/{name}"

    filtered = aws_cli(
        server, "logs", "filter-log-events", "--log-group-name", group,
        "--filter-pattern", marker,
    )
    streams = aws_cli(server, "logs", "describe-log-streams", "--log-group-name", group)
    stream = json.loads(streams.stdout)["logStreams"][0]["logStreamName"]
    events = aws_cli(
        server, "logs", "get-log-events", "--log-group-name", group,
        "--log-stream-name", stream, "--start-from-head",
    )

    assert [e["message"].rstrip("\n") for e in json.loads(filtered.stdout)["events"]] == [
        f"log-marker {marker}",
        f"second line for {marker}",
    ]
    assert f"log-marker {marker}" in events.stdout
