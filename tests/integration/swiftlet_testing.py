"""Helpers for Swiftlet's black-box integration tests: the server process, clients,
function archives and raw HTTP. The fixtures that use them are in conftest.py.

The binary is `.build/release/swiftlet` in the repository, or $SWIFTLET_BIN.
"""

import base64
import hashlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

REPO_ROOT = Path(__file__).resolve().parents[2]
SWIFTLET_BIN = Path(os.environ.get("SWIFTLET_BIN", REPO_ROOT / ".build/release/swiftlet"))
VENV_BIN = Path(sys.executable).parent
AWS_CLI = VENV_BIN / "aws" if (VENV_BIN / "aws").exists() else REPO_ROOT / ".venv/bin/aws"
VENV_PYTHON = VENV_BIN / "python" if (VENV_BIN / "python").exists() else Path(sys.executable)

ACCESS_KEY_ID = "AKIASWIFTLETTEST0001"
SECRET_ACCESS_KEY = "swiftletTestSecretKey0000000000000000000a"
REGION = "us-east-1"
# Any well-formed role ARN: the tests do not depend on IAM.
ROLE_ARN = "arn:aws:iam::123456789012:role/swiftlet-test-role"
# A trust policy that lets Lambda assume a role: what every execution role needs.
LAMBDA_TRUST_POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
})

# `--sandbox` for every server the tests start; unset uses the server's default.
SANDBOX_MODE = os.environ.get("SWIFTLET_SANDBOX")

HEALTH_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 10

# Servers started and not yet closed, whose logs a failing test report shows.
running_servers = []


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SwiftletServer:
    """One `swiftlet serve` process on a loopback port, with its data directory.

    The port stays the same across restarts, so clients made earlier keep working.
    The server's stdout and stderr go to `log_path`, shown when a test fails.
    """

    def __init__(self, data_dir, port=None, extra_args=()):
        self.extra_args = list(extra_args)
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.log_path = self.data_dir.parent / f"swiftlet-{self.port}.log"
        self.process = None

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        if not SWIFTLET_BIN.exists():
            pytest.fail(
                f"swiftlet binary not found at {SWIFTLET_BIN}: build it with "
                "`swift build -c release --product swiftlet` or set SWIFTLET_BIN"
            )
        env = dict(os.environ)
        env.update(
            SWIFTLET_ROOT_ACCESS_KEY_ID=ACCESS_KEY_ID,
            SWIFTLET_ROOT_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY,
            SWIFTLET_RUNTIMES_DIR=str(REPO_ROOT / "runtimes"),
        )
        command = [
            str(SWIFTLET_BIN), "serve",
            "--data-dir", str(self.data_dir),
            "--listen", f"127.0.0.1:{self.port}",
            # The awslambdaric tests' bootstraps run the venv's Python by its path:
            # show the venv (read-only, nothing else of the repository) inside sandboxes.
            "--sandbox-bind", str(VENV_BIN.parent),
        ]
        if SANDBOX_MODE:
            command += ["--sandbox", SANDBOX_MODE]
        command += self.extra_args
        with open(self.log_path, "ab") as log:
            log.write(f"\n=== {' '.join(command)}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO_ROOT
            )
        if self not in running_servers:
            running_servers.append(self)
        self._wait_until_healthy()
        self._ensure_test_role()
        return self

    def _ensure_test_role(self):
        """Creates the execution role every test function uses (ROLE_ARN), trusted by Lambda,
        unless this data directory has it already."""
        iam = self.client("iam")
        try:
            iam.create_role(RoleName=ROLE_ARN.rsplit("/", 1)[1], AssumeRolePolicyDocument=LAMBDA_TRUST_POLICY)
        except iam.exceptions.EntityAlreadyExistsException:
            pass

    def _wait_until_healthy(self):
        deadline = time.monotonic() + HEALTH_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"swiftlet exited with {self.process.returncode} while starting\n"
                    + self.log_tail()
                )
            try:
                with urllib.request.urlopen(self.endpoint + "/health", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.05)
        pytest.fail(f"swiftlet not healthy within {HEALTH_TIMEOUT_SECONDS} s\n" + self.log_tail())

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout=STOP_TIMEOUT_SECONDS):
        """Sends SIGTERM and waits; returns the exit status. Fails the test if the
        server is still running after `timeout` seconds (it is then killed)."""
        if not self.running:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"swiftlet did not exit within {timeout} s of SIGTERM\n" + self.log_tail())

    def kill(self):
        """SIGKILL, as a crash or an out-of-memory kill would end it."""
        if self.running:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)

    def restart(self):
        if self.running:
            self.stop()
        return self.start()

    def log_tail(self, lines=200):
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no server log)"
        tail = "\n".join(text.splitlines()[-lines:])
        return f"--- {self.log_path} (last {lines} lines) ---\n{tail}"

    def client(self, service="lambda", validate=True, read_timeout=70):
        """A boto3 client for this server: test credentials, us-east-1, no retries."""
        config = Config(
            retries={"max_attempts": 1, "mode": "standard"},
            connect_timeout=5,
            read_timeout=read_timeout,
            parameter_validation=validate,
        )
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
            config=config,
        )

    def close(self):
        self.kill()
        if self in running_servers:
            running_servers.remove(self)


# --- Clients -------------------------------------------------------------------------


def client_with_key(server, service, key):
    """A boto3 client for `server` signing with an access key IAM or STS handed out
    (`AccessKeyId`, `SecretAccessKey`, and `SessionToken` for temporary credentials)."""
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=server.endpoint,
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        aws_session_token=key.get("SessionToken"),
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def aws_cli(server, *args, check=True, timeout=60):
    """Runs `aws ARGS --endpoint-url ...` from the venv with the test credentials and no
    config files; returns the CompletedProcess (text). Fails the test on a non-zero exit
    when `check` is set."""
    with tempfile.TemporaryDirectory() as home:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": os.path.join(home, "config"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "credentials"),
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_PAGER": "",
        }
        command = [str(AWS_CLI), *args, "--endpoint-url", server.endpoint]
        result = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=timeout
        )
    if check and result.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} exited {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


# --- Function code -------------------------------------------------------------------


def make_zip(files, modes=None):
    """A zip archive of `files` ({path: text or bytes}); `modes` ({path: 0o755}) sets
    Unix permissions, which a `bootstrap` needs to be executable."""
    modes = modes or {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.external_attr = (0o100000 | modes.get(name, 0o644)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = content.encode() if isinstance(content, str) else content
            archive.writestr(info, data)
    return buffer.getvalue()


def code_sha256(zip_bytes):
    """CodeSha256 as Lambda reports it: base64 of the SHA-256 of the zip."""
    return base64.b64encode(hashlib.sha256(zip_bytes).digest()).decode()


def unique_name(prefix="fn"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def layer_versions(lambda_client, prefix, runtime):
    """The body of a `layer` fixture, which `yield from`s it: yields publish(files), which
    publishes a layer version of `files` compatible with `runtime`, named after `prefix`, and
    returns its ARN; the versions published are deleted when the fixture ends."""
    published = []

    def publish(files):
        name = unique_name(prefix)
        response = lambda_client.publish_layer_version(LayerName=name, Content={"ZipFile": make_zip(files)},
                                                       CompatibleRuntimes=[runtime])
        published.append((name, response["Version"]))
        return response["LayerVersionArn"]

    yield publish
    for name, version in published:
        lambda_client.delete_layer_version(LayerName=name, VersionNumber=version)


ECHO_HANDLER = """
def handler(event, context):
    return {"echo": event}
"""


def invoke_json(client, name, event=None, **kwargs):
    """Invokes synchronously; returns (response, decoded JSON payload or None)."""
    payload = b"{}" if event is None else json.dumps(event).encode()
    response = client.invoke(FunctionName=name, Payload=payload, **kwargs)
    body = response["Payload"].read()
    return response, (json.loads(body) if body else None)


def wait_for(predicate, timeout=15, interval=0.2, message="condition"):
    """Polls `predicate` until it returns something truthy, and returns that."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {message}")
        time.sleep(interval)


# --- Raw HTTP ------------------------------------------------------------------------


def sigv4_headers(server, method, path, body=b"", headers=None, service="lambda"):
    """Headers (Host, X-Amz-Date, Authorization, ...) that sign a request to `server`
    with the test credentials, for tests that write HTTP by hand."""
    headers = dict(headers or {})
    headers.setdefault("Host", f"127.0.0.1:{server.port}")
    request = AWSRequest(method=method, url=server.endpoint + path, data=body, headers=headers)
    credentials = Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY)
    SigV4Auth(credentials, service, REGION).add_auth(request)
    return dict(request.headers.items())


class RawResponse:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def read_response(reader):
    """Reads one HTTP/1.1 response from a buffered socket file; None at end of stream.
    Interim (1xx) responses are returned like any other."""
    status_line = reader.readline()
    if not status_line:
        return None
    parts = status_line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    version, status, reason = (parts + [""])[:3]
    assert version.startswith("HTTP/1."), status_line
    headers = []
    while True:
        line = reader.readline()
        assert line, "connection closed inside headers"
        if line in (b"\r\n", b"\n"):
            break
        key, _, value = line.decode("latin-1").partition(":")
        headers.append((key.strip(), value.strip()))
    response = RawResponse(int(status), reason, headers, b"")
    if 100 <= response.status < 200 or response.status in (204, 304):
        return response
    if (response.header("Transfer-Encoding") or "").lower() == "chunked":
        response.body = _read_chunked(reader)
    elif response.header("Content-Length") is not None:
        response.body = reader.read(int(response.header("Content-Length")))
    else:
        response.body = reader.read()
    return response


def _read_chunked(reader):
    body = b""
    while True:
        size = int(reader.readline().split(b";")[0].strip(), 16)
        if size == 0:
            while reader.readline() not in (b"\r\n", b"\n", b""):
                pass
            return body
        body += reader.read(size)
        reader.readline()


def raw_connection(server, timeout=10):
    """A plain TCP connection to the server and a buffered reader over it."""
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    return connection, connection.makefile("rb")


def request_bytes(method, path, headers, body=b""):
    lines = [f"{method} {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
