"""The sample function `scripts/start` deploys: greets whoever the event names."""
import json
import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)

invocations = 0


def handler(event, context):
    global invocations
    invocations += 1
    name = event.get("name", "world") if isinstance(event, dict) else "world"
    logger.info("greeting %s", name)
    return {
        "message": f"Hello, {name}!",
        "invocationsInThisEnvironment": invocations,
        "requestId": context.aws_request_id,
        "remainingMilliseconds": context.get_remaining_time_in_millis(),
    }
