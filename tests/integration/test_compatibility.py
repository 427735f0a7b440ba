"""docs/COMPATIBILITY.md must list every operation of botocore's Lambda model, and only those."""
import gzip
import json
import os
import re

import botocore

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STATUSES = {"supported", "partial", "not yet"}


def model_operations():
    path = os.path.join(os.path.dirname(botocore.__file__), "data", "lambda", "2015-03-31", "service-2.json.gz")
    with gzip.open(path) as handle:
        return json.load(handle)["operations"]


def table_rows():
    rows = {}
    with open(os.path.join(ROOT, "docs", "COMPATIBILITY.md")) as handle:
        text = handle.read()
    lambda_section = text.split("## CloudWatch Logs")[0]
    for line in lambda_section.splitlines():
        match = re.match(r"^\| (\w+) \| `(\w+) ([^`]+)` \| ([a-z ]+) \|", line)
        if match:
            rows[match.group(1)] = (match.group(2), match.group(3), match.group(4).strip())
    return rows


def test_every_model_operation_is_in_the_table():
    missing = sorted(set(model_operations()) - set(table_rows()))
    assert missing == [], f"add these operations to docs/COMPATIBILITY.md: {missing}"


def test_the_table_names_only_model_operations_with_their_real_paths():
    operations = model_operations()
    for name, (method, path, status) in table_rows().items():
        assert name in operations, f"{name} is not a Lambda operation"
        assert operations[name]["http"]["method"] == method, name
        assert operations[name]["http"]["requestUri"] == path, name
        assert status in STATUSES, f"{name} has unknown status {status!r}"


def test_unsupported_operations_answer_with_an_error_naming_them(server, lambda_client):
    import botocore.exceptions
    import pytest

    unsupported = [name for name, (_, _, status) in table_rows().items() if status == "not yet"]
    assert "ListCodeSigningConfigs" in unsupported
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client.list_code_signing_configs()
    error = caught.value.response["Error"]
    assert error["Code"] == "NotImplementedException"
    assert "ListCodeSigningConfigs" in error["Message"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
