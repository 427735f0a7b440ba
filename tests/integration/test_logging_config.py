"""LoggingConfig changes where and how a function's logs are written: a custom
log group, Lambda's JSON format for platform and application lines, and the
application and system log levels."""
import json

from swiftlet_testing import wait_for

LOGGING = """
import logging

logger = logging.getLogger()


def handler(event, context):
    logger.info("hidden below WARN")
    logger.warning("shown at WARN")
    return "ok"
"""


def messages(logs, group):
    try:
        return [event["message"] for event in logs.filter_log_events(logGroupName=group)["events"]]
    except logs.exceptions.ResourceNotFoundException:
        return []


def platform_records(lines):
    records = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and str(record.get("type", "")).startswith("platform."):
            records.append(record)
    return records


def test_json_format_custom_group_and_levels(lambda_client, logs_client, make_function):
    group = "/custom/swiftlet-json-logs"
    name, _ = make_function(code=LOGGING, LoggingConfig={
        "LogFormat": "JSON", "LogGroup": group, "ApplicationLogLevel": "WARN", "SystemLogLevel": "INFO"})
    reply = lambda_client.invoke(FunctionName=name, Payload=b"{}")
    request_id = reply["ResponseMetadata"]["RequestId"]
    lines = wait_for(lambda: [m for m in messages(logs_client, group) if "platform.report" in m] and
                     messages(logs_client, group), message="the JSON report line in the custom group")
    assert messages(logs_client, f"/aws/lambda/{name}") == []  # nothing in the default group

    records = platform_records(lines)
    assert [record["type"] for record in records] == ["platform.start", "platform.report"]
    assert records[0]["record"] == {"requestId": request_id, "version": "$LATEST"}
    report = records[1]["record"]
    assert report["requestId"] == request_id and report["status"] == "success"
    assert {"durationMs", "billedDurationMs", "memorySizeMB", "maxMemoryUsedMB", "initDurationMs"} <= set(
        report["metrics"])
    application = [json.loads(line) for line in lines if "shown at WARN" in line]
    assert application and application[0]["level"] == "WARNING" and application[0]["requestId"] == request_id
    assert not any("hidden below WARN" in line for line in lines)
    assert not any(line.startswith(("START ", "END ", "REPORT ")) for line in lines)


def test_system_log_level_warn_drops_platform_lines(lambda_client, logs_client, make_function):
    group = "/custom/swiftlet-quiet-platform"
    name, _ = make_function(code=LOGGING, LoggingConfig={
        "LogFormat": "JSON", "LogGroup": group, "ApplicationLogLevel": "INFO", "SystemLogLevel": "WARN"})
    lambda_client.invoke(FunctionName=name, Payload=b"{}")
    lines = wait_for(lambda: [m for m in messages(logs_client, group) if "hidden below WARN" in m] and
                     messages(logs_client, group), message="the application lines")
    assert platform_records(lines) == []
    assert any("hidden below WARN" in line for line in lines)  # INFO passes at application level INFO


def test_text_format_keeps_start_end_report(lambda_client, logs_client, make_function):
    name, _ = make_function(code=LOGGING)
    lambda_client.invoke(FunctionName=name, Payload=b"{}")
    group = f"/aws/lambda/{name}"
    lines = wait_for(lambda: [m for m in messages(logs_client, group) if m.startswith("REPORT ")] and
                     messages(logs_client, group), message="the REPORT line")
    assert any(line.startswith("START RequestId: ") for line in lines)
    assert any(line.startswith("END RequestId: ") for line in lines)
    assert platform_records(lines) == []
