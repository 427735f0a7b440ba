"""Swiftlet's runtime client for the python3.11 runtime.

Speaks the Lambda Runtime API (2018-06-01) at http://$AWS_LAMBDA_RUNTIME_API using the
standard library only. What a function and its callers can observe follows the AWS
Python 3.11 runtime: the context object, the handler-loading errors, the error document
posted for an exception, the JSON encoding of results and the log line format.

The bootstrap beside this file starts it with `python3.11 -u`, so standard output and
standard error reach the server's pipes as soon as they are written. docs/RUNTIME-API.md
describes the behaviour in prose.
"""

import importlib
import io
import json
import logging
import math
import os
import socket
import sys
import time
import traceback

_API_PREFIX = "/2018-06-01/runtime"
# Swiftlet's own path, where a stem cell waits to learn which function it becomes.
_SPECIALIZATION_PATH = "/2018-06-01/swiftlet/specialization"
_ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
_XRAY_CAUSE_HEADER = "Lambda-Runtime-Function-XRay-Error-Cause"
_XRAY_CAUSE_LIMIT_BYTES = 1024 * 1024

# Lines of one multi-line record (an error and its traceback) are joined with a carriage
# return so that the server, which splits its capture on newlines, keeps them as one log
# event. Leading spaces of traceback lines become no-break spaces, as on AWS.
_RECORD_LINE_SEPARATOR = "\r"
_TRACEBACK_INDENT = "\u00a0"

_TEXT_LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n"
_TEXT_LOG_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"
_JSON_LOG_DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

# The request id that log records carry; set as each invocation starts.
_current_request_id = ""


class FaultError(Exception):
    """A failure the runtime itself reports, with an AWS error type such as
    Runtime.ImportModuleError, a message and, rarely, a prepared stack trace."""

    def __init__(self, error_type, message, stack_trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.stack_trace = stack_trace


# --- The context object --------------------------------------------------------------


class CognitoIdentity:
    """The caller's Amazon Cognito identity, when the invoke carried one."""

    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, identity_id=None, pool_id=None):
        self.cognito_identity_id = identity_id
        self.cognito_identity_pool_id = pool_id

    def __repr__(self):
        return (
            f"CognitoIdentity([cognito_identity_id={self.cognito_identity_id},"
            f"cognito_identity_pool_id={self.cognito_identity_pool_id}])"
        )


class Client:
    """The mobile client application that invoked the function, from the client context."""

    __slots__ = (
        "installation_id",
        "app_title",
        "app_version_name",
        "app_version_code",
        "app_package_name",
    )

    def __init__(self, fields):
        for name in self.__slots__:
            setattr(self, name, fields.get(name))

    def __repr__(self):
        values = ",".join(f"{name}={getattr(self, name)}" for name in self.__slots__)
        return f"Client([{values}])"


class ClientContext:
    """The client context of an invoke: `custom`, `env` and `client`."""

    __slots__ = ("custom", "env", "client")

    def __init__(self, fields):
        self.custom = fields.get("custom")
        self.env = fields.get("env")
        client = fields.get("client")
        self.client = Client(client) if client is not None else None

    def __repr__(self):
        return f"ClientContext([custom={self.custom},env={self.env},client={self.client}])"


class LambdaContext:
    """The second argument of a handler, with the fields and methods that AWS's Python
    runtime offers. `memory_limit_in_mb` is a string, as on AWS."""

    _function_name = None
    _function_version = None
    _memory_limit_in_mb = None
    _log_group_name = None
    _log_stream_name = None

    @classmethod
    def read_function_environment(cls):
        """Reads the function's description from the environment, once per execution
        environment (at start, or when a stem cell is specialised): it does not change under
        a running function."""
        cls._function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        cls._function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        cls._memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        cls._log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        cls._log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")

    def __init__(
        self,
        request_id,
        deadline_milliseconds,
        invoked_function_arn=None,
        client_context=None,
        identity=None,
        tenant_id=None,
    ):
        self.aws_request_id = request_id
        self.function_name = self._function_name
        self.function_version = self._function_version
        self.memory_limit_in_mb = self._memory_limit_in_mb
        self.log_group_name = self._log_group_name
        self.log_stream_name = self._log_stream_name
        self.invoked_function_arn = invoked_function_arn
        self.client_context = client_context
        self.identity = identity if identity is not None else CognitoIdentity()
        self.tenant_id = tenant_id
        self._deadline_milliseconds = deadline_milliseconds

    def get_remaining_time_in_millis(self):
        """Milliseconds left before the invocation times out, never below zero."""
        remaining = self._deadline_milliseconds - int(time.time() * 1000)
        return remaining if remaining > 0 else 0

    def log(self, message):
        """Writes `message` to the function's log as it is, without a newline."""
        sys.stdout.write(str(message))

    def __repr__(self):
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},"
            f"log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},"
            f"function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},"
            f"function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},"
            f"client_context={self.client_context},"
            f"identity={self.identity},"
            f"tenant_id={self.tenant_id}])"
        )


def _parse_json_header(value, description):
    try:
        return json.loads(value)
    except Exception as error:
        raise FaultError(
            "Runtime.LambdaContextUnmarshalError",
            f"Unable to parse {description} JSON: {error}",
        ) from None


def make_context(request_id, headers):
    """Builds the context of one invocation from the headers of its /next response."""
    client_context = None
    raw_client_context = headers.get("Lambda-Runtime-Client-Context")
    if raw_client_context:
        client_context = ClientContext(_parse_json_header(raw_client_context, "Client Context"))

    identity = None
    raw_identity = headers.get("Lambda-Runtime-Cognito-Identity")
    if raw_identity:
        fields = _parse_json_header(raw_identity, "Cognito Identity")
        identity = CognitoIdentity(
            fields.get("cognitoIdentityId"), fields.get("cognitoIdentityPoolId")
        )

    deadline = headers.get("Lambda-Runtime-Deadline-Ms")
    return LambdaContext(
        request_id,
        int(deadline) if deadline else 0,
        headers.get("Lambda-Runtime-Invoked-Function-Arn"),
        client_context,
        identity,
        headers.get("Lambda-Runtime-Aws-Tenant-Id"),
    )


LambdaContext.read_function_environment()

# --- Loading the handler -------------------------------------------------------------


def load_handler(handler_name):
    """Imports the module of `handler_name` ("module.function", where the module part may
    use "/" or "." between packages) and returns the function.

    Raises FaultError with AWS's error type for a malformed name, a module that cannot be
    imported, a syntax error or a missing function; any other exception raised while the
    module initialises propagates unchanged.
    """
    try:
        module_name, function_name = handler_name.rsplit(".", 1)
    except ValueError as error:
        raise FaultError(
            "Runtime.MalformedHandlerName", f"Bad handler '{handler_name}': {error}"
        ) from None

    if module_name.split(".")[0] in sys.builtin_module_names:
        raise FaultError(
            "Runtime.BuiltInModuleConflict",
            f"Cannot use built-in module {module_name} as a handler module",
        )

    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as error:
        raise FaultError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}"
        ) from None
    except SyntaxError as error:
        trace = [f'  File "{error.filename}" Line {error.lineno}\n    {error.text}']
        raise FaultError(
            "Runtime.UserCodeSyntaxError",
            f"Syntax error in module '{module_name}': {error}",
            trace,
        ) from None

    try:
        return getattr(module, function_name)
    except AttributeError:
        raise FaultError(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        ) from None


# --- Events, results and error documents ---------------------------------------------


class _ResultEncoder(json.JSONEncoder):
    """Encodes results as AWS's Python 3.11 runtime does: default separators, ASCII-only
    output, NaN allowed, and Decimal accepted (as the nearest int or float)."""

    def default(self, value):
        # A Decimal can only come from code that imported the module: no need to pay for
        # importing it at every start.
        decimal = sys.modules.get("decimal")
        if decimal is not None and isinstance(value, decimal.Decimal):
            if value.is_nan():
                return math.nan
            if value.is_finite() and value.as_tuple().exponent >= 0:
                return int(value)
            return float(value)
        return super().default(value)


_result_encoder = _ResultEncoder()


def unmarshal_event(body, content_type):
    """Returns the event for the handler: parsed JSON, or the raw bytes when the Runtime
    API labelled the event as something other than JSON."""
    if content_type is not None and content_type != "application/json":
        return body
    try:
        return json.loads(body)
    except Exception as error:
        raise FaultError("Runtime.UnmarshalError", f"Unable to unmarshal input: {error}") from None


def marshal_result(result):
    """Returns (body bytes, content type) for a handler's result. Bytes pass through."""
    if isinstance(result, bytes):
        return result, "application/unknown"
    try:
        return _result_encoder.encode(result).encode("utf-8"), "application/json"
    except Exception as error:
        raise FaultError("Runtime.MarshalError", f"Unable to marshal response: {error}") from None


def error_document(message, error_type, stack_trace, request_id=None):
    """The body AWS posts for a failure: errorMessage, errorType, requestId, stackTrace."""
    return {
        "errorMessage": message if message else "",
        "errorType": error_type if error_type else "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": stack_trace if stack_trace else [],
    }


def user_frames(tb):
    """The frames of a traceback as (file, line, function, source) tuples, without the
    runtime's own leading frames. Plain tuples format without column carets, as on AWS."""
    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)]
    for index, frame in enumerate(frames):
        if frame[0] != __file__:
            return frames[index:]
    return frames


def exception_document(error, request_id=None):
    """Returns (error document, frames) for an exception raised by user code."""
    frames = user_frames(error.__traceback__)
    document = error_document(
        str(error), type(error).__name__, traceback.format_list(frames), request_id
    )
    return document, frames


def xray_cause(error_type, message, frames):
    """The X-Ray error cause AWS's runtime sends beside an invocation error."""
    stack = [{"label": name, "path": path, "line": line} for path, line, name, _ in frames]
    return {
        "working_directory": os.getcwd(),
        "exceptions": [{"message": message, "type": error_type, "stack": stack}],
        "paths": list({path for path, _, _, _ in frames}),
    }


# --- Logging -------------------------------------------------------------------------


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _current_request_id
        return True


class _StdoutHandler(logging.Handler):
    """Writes formatted records to whatever sys.stdout is at the time, as AWS does."""

    def emit(self, record):
        try:
            sys.stdout.write(self.format(record))
        except Exception:
            self.handleError(record)


_JSON_RESERVED_ATTRIBUTES = frozenset(
    (
        "name msg args levelname levelno pathname filename module exc_info exc_text "
        "stack_info lineno funcName created msecs relativeCreated thread threadName "
        "processName process aws_request_id tenant_id taskName"
    ).split()
)


class JsonLogFormatter(logging.Formatter):
    """The JSON log format of AWS_LAMBDA_LOG_FORMAT=JSON: one object per record."""

    _encoder = json.JSONEncoder(ensure_ascii=False, default=str)

    def __init__(self):
        super().__init__(datefmt=_JSON_LOG_DATE_FORMAT)

    def format(self, record):
        record.levelno = min(50, max(0, record.levelno)) // 10 * 10
        record.levelname = logging.getLevelName(record.levelno)
        plain_dict = isinstance(record.msg, dict) and not record.args
        exc_info = record.exc_info
        fields = {
            "timestamp": self.formatTime(record, self.datefmt),
            "level": record.levelname,
            "message": record.msg if plain_dict else record.getMessage(),
            "logger": record.name,
            "stackTrace": traceback.format_tb(exc_info[2]) if exc_info else None,
            "errorType": exc_info[0].__name__ if exc_info else None,
            "errorMessage": str(exc_info[1]) if exc_info else None,
            "requestId": getattr(record, "aws_request_id", None),
            "location": (
                f"{record.pathname}:{record.funcName}:{record.lineno}" if exc_info else None
            ),
        }
        for key, value in record.__dict__.items():
            if key not in _JSON_RESERVED_ATTRIBUTES and key not in fields:
                fields[key] = value
        fields = {key: value for key, value in fields.items() if value is not None}
        return self._encoder.encode(fields) + "\n"


def _log_level_from_environment():
    value = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    if not value:
        return None
    value = "DEBUG" if value.upper() == "TRACE" else value.upper()
    return value if value in logging.getLevelNamesMapping() else None


def setup_logging():
    """Gives the root logger AWS's handler and format. The root level is left alone (so
    WARNING) unless AWS_LAMBDA_LOG_LEVEL names a level, as on AWS."""
    json_format = os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"
    logging.Formatter.converter = time.gmtime

    handler = _StdoutHandler()
    if json_format:
        handler.setFormatter(JsonLogFormatter())
    else:
        handler.setFormatter(logging.Formatter(_TEXT_LOG_FORMAT, _TEXT_LOG_DATE_FORMAT))
    handler.addFilter(_RequestIdFilter())

    root = logging.getLogger()
    root.addHandler(handler)
    level = _log_level_from_environment()
    if level:
        root.setLevel(level)
    return json_format


def _indent_with_no_break_spaces(line):
    stripped = line.lstrip(" ")
    return _TRACEBACK_INDENT * (len(line) - len(stripped)) + stripped


def format_error_record(document, json_format=False):
    """The log record written for a failure, as AWS's runtime writes it to stdout."""
    if json_format:
        stamp = time.strftime(_JSON_LOG_DATE_FORMAT, time.gmtime())
        return json.dumps({"timestamp": stamp, "level": "ERROR", **document}) + "\n"

    description = "[ERROR]"
    if document["errorType"]:
        description += " " + document["errorType"]
    if document["errorMessage"]:
        description += (":" if document["errorType"] else "") + " " + document["errorMessage"]

    lines = [description, "Traceback (most recent call last):"]
    for element in document["stackTrace"]:
        if element == "":
            lines.append("")
        lines.extend(_indent_with_no_break_spaces(line) for line in element.splitlines())
    return _RECORD_LINE_SEPARATOR.join(lines) + "\n"


# --- The Runtime API -----------------------------------------------------------------


class RuntimeAPIError(Exception):
    """The Runtime API could not be reached or refused a request the runtime relies on."""


class _Headers(dict):
    """Response headers keyed by lower-cased name; lookups take any case."""

    def get(self, name, default=None):
        return dict.get(self, name.lower(), default)

    def __getitem__(self, name):
        return dict.__getitem__(self, name.lower())

    def __contains__(self, name):
        return dict.__contains__(self, name.lower())


class _ConnectionClosed(ConnectionError):
    """The server closed the connection before a whole response arrived."""


class RuntimeAPIClient:
    """One keep-alive HTTP/1.1 connection to the Runtime API, used for every request.

    Written on the socket module rather than http.client, whose imports (email, ssl and
    more) would add about 20 ms to every environment's start: the exchanges are small, the
    server is Swiftlet's, and responses carry Content-Length (chunked ones are read too).
    A request on a reused connection that the server had closed while it was idle (the
    request fails before any byte of a reply arrives) is sent once more on a fresh one; any
    other failure is a RuntimeAPIError, so a response is never posted twice.
    """

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self._host = host or "127.0.0.1"
        self._port = int(port)
        self._socket = None
        self._buffer = bytearray()
        # Received into one reused buffer: recv(n) would allocate n bytes per call, and
        # above glibc's mmap threshold that is an mmap, page faults and an munmap each time.
        self._chunk = memoryview(bytearray(65536))
        self._reply_started = False
        version = ".".join(str(part) for part in sys.version_info[:3])
        self._user_agent = f"swiftlet-python/{version}"

    def request(self, method, path, body=None, headers=None):
        """Sends one request; returns (status, response headers, response body)."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self._host}:{self._port}",
            f"User-Agent: {self._user_agent}",
        ]
        for name, value in (headers or {}).items():
            # Values can come from function code (an exception's class name): a line break
            # would split the request.
            lines.append(f"{name}: {str(value).replace(chr(13), ' ').replace(chr(10), ' ')}")
        if body is not None or method in ("POST", "PUT"):
            lines.append(f"Content-Length: {len(body or b'')}")
        message = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")
        for attempt in range(2):
            reused = self._socket is not None
            self._reply_started = False
            try:
                if not reused:
                    self._connect()
                self._socket.sendall(message)
                return self._read_response()
            except ConnectionError as error:
                self._close()
                if attempt == 1 or not reused or self._reply_started:
                    raise RuntimeAPIError(f"{method} {path} failed: {error!r}") from error
            except (OSError, ValueError) as error:
                self._close()
                raise RuntimeAPIError(f"{method} {path} failed: {error!r}") from error

    def _connect(self):
        self._socket = socket.create_connection((self._host, self._port))
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer.clear()

    def _close(self):
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        self._buffer.clear()

    def _fill(self):
        count = self._socket.recv_into(self._chunk)
        if not count:
            raise _ConnectionClosed("the Runtime API closed the connection")
        self._reply_started = True
        self._buffer += self._chunk[:count]

    def _take(self, count):
        while len(self._buffer) < count:
            self._fill()
        taken = bytes(self._buffer[:count])
        del self._buffer[:count]
        return taken

    def _take_line(self):
        while (end := self._buffer.find(b"\r\n")) < 0:
            self._fill()
        return self._take(end + 2)[:-2]

    def _read_response(self):
        status_line = self._take_line().decode("latin-1")
        version, status = (status_line.split(" ", 2) + ["", ""])[:2]
        if not version.startswith("HTTP/1.") or not status.isdigit():
            raise ValueError(f"not an HTTP/1.x response: {status_line[:80]!r}")
        # The header block is taken whole and split once: this runs twice per invocation.
        while (end := self._buffer.find(b"\r\n\r\n")) < 0 and not self._buffer.startswith(b"\r\n"):
            self._fill()
        if self._buffer.startswith(b"\r\n"):
            lines, taken = [], 2  # no header fields at all
        else:
            lines, taken = self._buffer[:end].decode("latin-1").split("\r\n"), end + 4
        del self._buffer[:taken]
        headers = _Headers()
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self._read_chunks()
        else:
            body = self._take(int(headers.get("Content-Length", "0")))
        if headers.get("Connection", "").lower() == "close":
            self._close()
        return int(status), headers, body

    def _read_chunks(self):
        body = bytearray()
        while size := int(self._take_line().split(b";")[0], 16):
            body += self._take(size)
            self._take_line()
        while self._take_line():
            pass
        return bytes(body)

    def next_invocation(self):
        """Waits for the next invocation; returns (request id, headers, event body)."""
        status, headers, body = self.request("GET", _API_PREFIX + "/invocation/next")
        if status != 200:
            raise RuntimeAPIError(f"GET /invocation/next answered {status}: {body[:200]!r}")
        request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        if not request_id:
            raise RuntimeAPIError("GET /invocation/next answered without a request id")
        return request_id, headers, body

    def post_response(self, request_id, body, content_type):
        path = f"{_API_PREFIX}/invocation/{request_id}/response"
        return self._post(path, body, {"Content-Type": content_type})

    def post_error(self, request_id, document, xray=None):
        path = f"{_API_PREFIX}/invocation/{request_id}/error"
        return self._post(path, json.dumps(document).encode(), self._error_headers(document, xray))

    def post_init_error(self, document):
        path = _API_PREFIX + "/init/error"
        return self._post(path, json.dumps(document).encode(), self._error_headers(document, None))

    @staticmethod
    def _error_headers(document, xray):
        headers = {"Content-Type": "application/json", _ERROR_TYPE_HEADER: document["errorType"]}
        if xray is not None:
            cause = json.dumps(xray)
            if len(cause) < _XRAY_CAUSE_LIMIT_BYTES:
                headers[_XRAY_CAUSE_HEADER] = cause
        return headers

    def _post(self, path, body, headers):
        # Everything the function wrote must reach the server's pipes before the post
        # that ends its invocation.
        _flush_standard_streams()
        status, _, response_body = self.request("POST", path, body, headers)
        if not 200 <= status < 300:
            excerpt = response_body[:200]
            sys.stderr.write(f"swiftlet runtime: POST {path} answered {status}: {excerpt!r}\n")
        return status


# --- The loop ------------------------------------------------------------------------


def _flush_standard_streams():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def handle_invocation(client, handler, request_id, headers, body, json_format=False):
    """Runs one invocation and posts its result or its error."""
    global _current_request_id
    _current_request_id = request_id
    trace_id = headers.get("Lambda-Runtime-Trace-Id")
    if trace_id is not None:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)

    try:
        context = make_context(request_id, headers)
        event = unmarshal_event(body, headers.get("Content-Type"))
        result = handler(event, context)
        payload, content_type = marshal_result(result)
    except FaultError as fault:
        document = error_document(fault.message, fault.error_type, fault.stack_trace, request_id)
        xray = xray_cause("LambdaValidationError", fault.message, [])
    except Exception as error:
        document, frames = exception_document(error, request_id)
        xray = xray_cause(document["errorType"], document["errorMessage"], frames)
    else:
        client.post_response(request_id, payload, content_type)
        return

    sys.stdout.write(format_error_record(document, json_format))
    client.post_error(request_id, document, xray)


def initialize(client, handler_name, json_format=False):
    """Loads the handler; on failure reports an init error and exits with status 1."""
    try:
        return load_handler(handler_name)
    except FaultError as fault:
        document = error_document(fault.message, fault.error_type, fault.stack_trace)
    except Exception as error:
        document, _ = exception_document(error)

    logging.warning(
        "LAMBDA_WARNING: Unhandled exception. "
        "The most likely cause is an issue in the function code."
    )
    sys.stdout.write(format_error_record(document, json_format))
    client.post_init_error(document)
    sys.exit(1)


def specialize(client):
    """Turns a stem cell into a function's environment.

    The interpreter and this module were started ahead of any function, with placeholders at
    /var/task and /opt. The server answers the request below once it has mounted a function's
    code and layers there; the answer carries that function's environment variables, which
    replace the stem cell's own. Path caches made before the mounts are dropped, so imports
    see the function's trees.
    """
    status, _, body = client.request("GET", _SPECIALIZATION_PATH)
    if status != 200:
        raise RuntimeAPIError(f"GET {_SPECIALIZATION_PATH} answered {status}: {body[:200]!r}")
    document = json.loads(body)
    environment = document["environment"]
    if "exec" in document:
        # A custom runtime: its bootstrap replaces this process, as a fresh start would.
        _execute(document["exec"], environment)
    os.environ.clear()
    os.environ.update(environment)
    time.tzset()
    LambdaContext.read_function_environment()
    sys.path_importer_cache.clear()
    importlib.invalidate_caches()


def _execute(path, environment):
    """Replaces this process with `path`, in /var/task, with only `environment`; exits 127
    with a line on stderr (the server reads it into the function's log) if that fails."""
    try:
        os.chdir(environment.get("LAMBDA_TASK_ROOT", "/var/task"))
        os.execve(path, [path], environment)
    except OSError as error:
        sys.stderr.write(f"swiftlet runtime: cannot execute {path}: {error}\n")
        sys.stderr.flush()
        os._exit(127)


def _setup_sys_path():
    """Puts the function's code first on sys.path, then the layers' Python directories,
    and moves this runtime's own directory, then its SDK, to the end."""
    runtime_dir = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != runtime_dir]

    task_root = os.environ.get("LAMBDA_TASK_ROOT", "/var/task")
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    first = [task_root]
    for layer_dir in (f"/opt/python/lib/{version}/site-packages", "/opt/python"):
        if os.path.isdir(layer_dir):
            first.append(layer_dir)
    sys.path[:0] = first
    sys.path.append(runtime_dir)
    # The SDK the runtime ships (boto3) comes after the function's own code and layers,
    # so a function that bundles its own version gets that one, as on AWS.
    sdk_dir = os.path.join(runtime_dir, "sdk")
    if os.path.isdir(sdk_dir):
        sys.path.append(sdk_dir)

    if os.path.isdir(task_root):
        os.chdir(task_root)


def _is_unbuffered(stream):
    """True for a text stream that writes straight to its file, as under `python -u`."""
    buffer = getattr(stream, "buffer", None)
    return getattr(stream, "write_through", False) and isinstance(buffer, io.RawIOBase)


class _Unbuffered:
    """Flushes after every write: used only when Python was not started with -u."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        written = self._stream.write(text)
        self._stream.flush()
        return written

    def writelines(self, lines):
        self._stream.writelines(lines)
        self._stream.flush()

    def __getattr__(self, name):
        return getattr(self._stream, name)


def main():
    if not _is_unbuffered(sys.stdout):
        sys.stdout = _Unbuffered(sys.stdout)
    if not _is_unbuffered(sys.stderr):
        sys.stderr = _Unbuffered(sys.stderr)

    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address:
        sys.stderr.write("swiftlet runtime: AWS_LAMBDA_RUNTIME_API is not set\n")
        sys.exit(2)

    client = RuntimeAPIClient(address)
    try:
        if os.environ.get("SWIFTLET_STEM_CELL") == "1":
            specialize(client)
    except RuntimeAPIError as error:
        sys.stderr.write(f"swiftlet runtime: {error}\n")
        sys.exit(1)
    _setup_sys_path()
    json_format = setup_logging()
    handler = initialize(client, os.environ.get("_HANDLER", ""), json_format)

    try:
        while True:
            request_id, headers, body = client.next_invocation()
            handle_invocation(client, handler, request_id, headers, body, json_format)
    except RuntimeAPIError as error:
        sys.stderr.write(f"swiftlet runtime: {error}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
