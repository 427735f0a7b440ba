"""The runtime client's own HTTP/1.1 client, against scripted servers on loopback: each
server reads one request per scripted reply and answers with exactly those bytes."""

import socket
import threading

import pytest

from swiftlet_runtime import RuntimeAPIClient, RuntimeAPIError

pytestmark = pytest.mark.timeout(30)


class ScriptedServer:
    """Answers each accepted connection's requests with the next replies of `script`, a list
    of connections, each a list of raw replies; None closes the connection instead, and a
    one-element tuple sends its bytes and then closes."""

    def __init__(self, script):
        self.script = list(script)
        self.requests = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        for replies in self.script:
            connection, _ = self.listener.accept()
            with connection:
                for reply in replies:
                    self.requests.append(self._read_request(connection))
                    if reply is None:
                        break
                    if isinstance(reply, tuple):
                        connection.sendall(reply[0])
                        break
                    connection.sendall(reply)

    @staticmethod
    def _read_request(connection):
        data = b""
        while b"\r\n\r\n" not in data:
            data += connection.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            body += connection.recv(65536)
        return head.decode("latin-1"), body


def test_a_content_length_response_is_read_whole_and_headers_take_any_case():
    body = b'{"x": 1}' * 1000
    reply = b"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: abc\r\nContent-Length: %d\r\n\r\n%s" % (
        len(body), body)
    server = ScriptedServer([[reply]])

    status, headers, received = RuntimeAPIClient(server.address).request("GET", "/next")

    assert (status, received) == (200, body)
    assert headers.get("lambda-runtime-aws-request-id") == headers["Lambda-Runtime-Aws-Request-Id"] == "abc"


def test_bodies_larger_than_the_receive_buffer_arrive_whole_one_after_another():
    # 6 MB (Lambda's largest event) spans many reads into the client's reused 64 KB buffer;
    # the second reply on the same connection must not see bytes left over from the first.
    first = bytes(range(256)) * (6 * 4096)
    second = b"second" * 50_000
    replies = [b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body) for body in (first, second)]
    server = ScriptedServer([replies])
    client = RuntimeAPIClient(server.address)

    assert client.request("GET", "/one")[2] == first
    assert client.request("GET", "/two")[2] == second


def test_a_response_without_header_fields_has_an_empty_body_and_the_next_one_is_read_whole():
    # The second reply's body starts with a blank line, which must not be taken for headers.
    replies = [b"HTTP/1.1 204 No Content\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n\r\nabc"]
    server = ScriptedServer([replies])
    client = RuntimeAPIClient(server.address)

    assert client.request("GET", "/one")[0::2] == (204, b"")
    status, headers, body = client.request("GET", "/two")
    assert (status, body, headers["content-length"]) == (200, b"\r\nabc", "5")


def test_a_chunked_response_is_reassembled():
    reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n"
    server = ScriptedServer([[reply]])

    _, _, body = RuntimeAPIClient(server.address).request("GET", "/next")

    assert body == b"hello world"


def test_requests_share_one_connection_and_posts_carry_their_length():
    ok = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
    server = ScriptedServer([[ok, ok]])
    client = RuntimeAPIClient(server.address)

    client.request("POST", "/response", "h\u00e9", {"Content-Type": "text/plain"})
    client.request("POST", "/response", b"")

    (first_head, first_body), (second_head, second_body) = server.requests
    assert first_body == "h\u00e9".encode() and "Content-Length: 3" in first_head
    assert "Content-Type: text/plain" in first_head
    assert second_body == b"" and "Content-Length: 0" in second_head


def test_a_connection_the_server_closed_while_idle_is_replaced_once():
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    # The first connection answers once, then closes on the next request; the second answers.
    server = ScriptedServer([[ok, None], [ok]])
    client = RuntimeAPIClient(server.address)

    assert client.request("GET", "/one")[2] == b"ok"
    assert client.request("GET", "/two")[2] == b"ok"
    assert [head.split(" ")[1] for head, _ in server.requests] == ["/one", "/two", "/two"]


def test_a_server_that_keeps_closing_is_an_error_not_a_loop():
    server = ScriptedServer([[None], [None]])

    with pytest.raises(RuntimeAPIError, match="closed the connection"):
        RuntimeAPIClient(server.address).request("GET", "/next")


def test_something_that_is_not_http_is_an_error():
    server = ScriptedServer([[b"SSH-2.0-OpenSSH\r\n\r\n"]])

    with pytest.raises(RuntimeAPIError, match="not an HTTP/1.x response"):
        RuntimeAPIClient(server.address).request("GET", "/next")


def test_nobody_listening_is_an_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"

    with pytest.raises(RuntimeAPIError):
        RuntimeAPIClient(address).request("GET", "/next")


def test_a_reply_cut_off_midway_is_an_error_not_a_second_request():
    # The server answers with half a body, then closes: sending the request again could post
    # a response twice.
    server = ScriptedServer([[(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf",)], [None]])
    client = RuntimeAPIClient(server.address)

    with pytest.raises(RuntimeAPIError, match="closed the connection"):
        client.request("POST", "/response", b"x")

    assert len(server.requests) == 1


def test_line_breaks_in_header_values_cannot_split_the_request():
    ok = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
    server = ScriptedServer([[ok]])

    RuntimeAPIClient(server.address).request(
        "POST", "/error", b"{}", {"Lambda-Runtime-Function-Error-Type": "Bad\r\nX-Injected: yes"})

    head, _ = server.requests[0]
    assert "\r\nX-Injected" not in head
    assert "Lambda-Runtime-Function-Error-Type: Bad  X-Injected: yes" in head
