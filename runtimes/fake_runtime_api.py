"""A fake Runtime API for testing a runtime client on its own, shared by the runtimes'
unit tests (runtimes/*/tests/conftest.py).

The fake serves queued events on GET /invocation/next over keep-alive HTTP/1.1 and
records every post (with a snapshot of the runtime's stdout at that moment), so tests
can check what the runtime client sends and in what order, without the Swift server.

A conftest imports the `runtime_api` and `start_runtime` fixtures from here and defines
`runtime_dir`: the directory holding the runtime's `bootstrap`.
"""

import json
import os
import queue
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

NEXT_PATH = "/2018-06-01/runtime/invocation/next"
WAIT_SECONDS = 15


@dataclass
class Post:
    """One POST the runtime client made."""

    path: str
    headers: dict
    body: bytes
    stdout_before: str = ""
    received_at: float = 0.0  # time.monotonic() when the post arrived

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class Request:
    method: str
    path: str
    client_port: int


@dataclass
class Event:
    request_id: str
    body: bytes
    headers: dict = field(default_factory=dict)


def _put_back_first(events, event):
    """Returns `event` to the front of the queue, keeping the order of the others."""
    with events.mutex:
        events.queue.appendleft(event)
        events.unfinished_tasks += 1
        events.not_empty.notify()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without TCP_NODELAY a small answer can wait for the client's delayed ACK of the
    # previous one, about 40 ms, which would swamp the timings tests take.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        api = self.server.api
        api.requests.append(Request("GET", self.path, self.client_address[1]))
        if self.path != NEXT_PATH:
            self._reply(404, b'{"errorMessage":"not found"}')
            return
        try:
            event = api.events.get(timeout=WAIT_SECONDS * 4)
        except queue.Empty:
            event = None
        if event is not None and self._client_is_gone():
            # The /next of a runtime a test has stopped: the event is for the next runtime.
            _put_back_first(api.events, event)
            return
        if event is None:
            self._reply(500, b'{"errorMessage":"fake Runtime API is stopping"}')
            return
        headers = {
            "Lambda-Runtime-Aws-Request-Id": event.request_id,
            "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + 30000),
            "Lambda-Runtime-Invoked-Function-Arn": api.function_arn,
            "Lambda-Runtime-Trace-Id": api.trace_id,
            "Content-Type": "application/json",
        }
        headers.update(event.headers)
        # An event's header given as None is left out.
        headers = {name: value for name, value in headers.items() if value is not None}
        api.served_at[event.request_id] = time.monotonic()
        self._reply(200, event.body, headers)

    def do_POST(self):
        api = self.server.api
        api.requests.append(Request("POST", self.path, self.client_address[1]))
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        received_at = time.monotonic()
        stdout_before = api.stdout_path.read_bytes().decode() if api.stdout_path else ""
        api.posts.put(Post(self.path, dict(self.headers.items()), body, stdout_before, received_at))
        self._reply(202, b'{"status":"OK"}')
        if api.close_after_post:
            self.close_connection = True  # without a word, as a server closes an idle connection

    def _client_is_gone(self):
        """True when the client has closed its end (a stopped runtime's pending /next)."""
        try:
            return self.connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True

    def _reply(self, status, body, headers=None):
        """Writes the whole answer at once, as a real server does, so that a client's
        timing is not that of reading headers and body in two wake-ups."""
        fields = {"Content-Type": "application/json", **(headers or {}), "Content-Length": str(len(body))}
        head = f"HTTP/1.1 {status} {self.responses[status][0]}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in fields.items()) + "\r\n"
        try:
            self.wfile.write(head.encode("latin-1") + body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the runtime client was stopped before it read its answer


class FakeRuntimeAPI:
    """A Runtime API endpoint on a random loopback port."""

    function_arn = "arn:aws:lambda:us-east-1:123456789012:function:fake"
    trace_id = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"

    def __init__(self):
        self.events = queue.Queue()
        self.posts = queue.Queue()
        self.requests = []
        self.close_after_post = False  # True: the connection is closed after each post's answer
        self.served_at = {}  # request id -> time.monotonic() when /next handed it out
        self.stdout_path = None
        self.process = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.api = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def address(self):
        host, port = self._server.server_address
        return f"{host}:{port}"

    def add_event(self, event, headers=None, raw=None):
        """Queues an event (JSON-encoded unless `raw` bytes are given); returns its id."""
        request_id = str(uuid.uuid4())
        body = raw if raw is not None else json.dumps(event).encode()
        self.events.put(Event(request_id, body, headers or {}))
        return request_id

    def next_post(self, timeout=WAIT_SECONDS):
        """The next post; fails early, with the runtime's output, if the runtime died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                return self.posts.get(timeout=0.05)
            except queue.Empty:
                pass
            process = self.process
            if process is not None and process.process.poll() is not None:
                try:
                    return self.posts.get(timeout=0.2)
                except queue.Empty:
                    raise AssertionError(
                        f"runtime exited with {process.process.returncode} before posting\n"
                        f"stdout:\n{process.stdout}\nstderr:\n{process.stderr}"
                    ) from None
        raise AssertionError(f"no post within {timeout} s")

    def stop(self):
        for _ in range(4):
            self.events.put(None)
        self._server.shutdown()
        self._server.server_close()


class RuntimeProcess:
    """The runtime client started through the bootstrap in `runtime_dir`, output going to
    files. In `env`, a value of None removes that variable from the environment."""

    def __init__(self, api, runtime_dir, task_root, handler, env, out_dir, command=None):
        self.stdout_path = out_dir / "stdout.txt"
        self.stderr_path = out_dir / "stderr.txt"
        api.stdout_path = self.stdout_path
        api.process = self
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "_HANDLER": handler,
            "LAMBDA_TASK_ROOT": str(task_root),
            "LAMBDA_RUNTIME_DIR": str(runtime_dir),
            "AWS_LAMBDA_RUNTIME_API": api.address,
            "AWS_LAMBDA_FUNCTION_NAME": "fake",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/fake",
            "AWS_LAMBDA_LOG_STREAM_NAME": "2026/12/03/[$LATEST]0123456789abcdef",
            "AWS_REGION": "us-east-1",
        }
        environment.update(env or {})
        environment = {key: value for key, value in environment.items() if value is not None}
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                command or [str(runtime_dir / "bootstrap")],
                cwd=task_root,
                env=environment,
                stdout=out,
                stderr=err,
            )

    @property
    def stdout(self):
        return self.stdout_path.read_bytes().decode()

    @property
    def stderr(self):
        return self.stderr_path.read_bytes().decode()

    def poll(self):
        return self.process.poll()

    def wait(self, timeout=WAIT_SECONDS):
        return self.process.wait(timeout=timeout)

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=WAIT_SECONDS)


@pytest.fixture
def runtime_api():
    api = FakeRuntimeAPI()
    yield api
    api.stop()


@pytest.fixture
def start_runtime(runtime_api, runtime_dir, tmp_path):
    """start_runtime(files, handler="app.handler", env=None, command=None, modes=None, root=None)
    writes the function's files ({path: text}, with `modes` {path: 0o755} where given) into
    a fresh task root (or the existing directory `root`) and starts the runtime client of
    `runtime_dir` (or `command`) against the fake Runtime API."""
    started = []

    def start(files, handler="app.handler", env=None, command=None, modes=None, root=None):
        task_root = root
        if task_root is None:
            task_root = tmp_path / f"task{len(started)}"
            task_root.mkdir()
        for name, content in files.items():
            path = task_root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
            if modes and name in modes:
                path.chmod(modes[name])
        out_dir = tmp_path / f"out{len(started)}"
        out_dir.mkdir()
        process = RuntimeProcess(runtime_api, runtime_dir, task_root, handler, env, out_dir, command)
        process.index = len(started)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
