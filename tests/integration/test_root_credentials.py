"""Root credentials made on first start: written once with mode 0600 in the AWS
credentials-file format, kept across restarts, never logged in full."""

import configparser
import os
import subprocess
import time
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from swiftlet_testing import REPO_ROOT, SWIFTLET_BIN, free_port


def start(data_dir, port, log):
    env = {key: value for key, value in os.environ.items() if not key.startswith("SWIFTLET_ROOT_")}
    env["SWIFTLET_RUNTIMES_DIR"] = str(REPO_ROOT / "runtimes")
    process = subprocess.Popen(
        [str(SWIFTLET_BIN), "serve", "--data-dir", str(data_dir), "--listen", f"127.0.0.1:{port}",
         "--sandbox", "none"],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    pytest.fail("server did not start")


def lambda_client(port, key, secret):
    return boto3.client(
        "lambda", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
        aws_access_key_id=key, aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}))


def test_generated_root_credentials_are_private_stable_and_never_logged(tmp_path):
    data_dir, port, log_path = tmp_path / "data", free_port(), tmp_path / "server.log"
    with open(log_path, "wb") as log:
        process = start(data_dir, port, log)
        try:
            path = data_dir / "credentials"
            assert oct(path.stat().st_mode & 0o777) == "0o600"
            parsed = configparser.ConfigParser()
            parsed.read(path)
            key = parsed["default"]["aws_access_key_id"]
            secret = parsed["default"]["aws_secret_access_key"]
            assert key.startswith("AKIA") and len(key) == 20 and len(secret) == 40

            assert "Functions" in lambda_client(port, key, secret).list_functions()
            with pytest.raises(ClientError) as caught:
                lambda_client(port, key, secret[:-1] + "x").list_functions()
            assert caught.value.response["Error"]["Code"] == "InvalidSignatureException"
        finally:
            process.terminate()
            process.wait(timeout=10)
        process = start(data_dir, port, log)
        try:
            assert "Functions" in lambda_client(port, key, secret).list_functions()
        finally:
            process.terminate()
            process.wait(timeout=10)
    text = log_path.read_text()
    assert key in text
    assert secret not in text
