"""The HTTP/1.1 layer, written by hand on raw sockets: keep-alive, pipelining, chunked
bodies, Expect: 100-continue, and the framing errors that must close a connection."""

import json
import socket

import pytest

from swiftlet_testing import (
    raw_connection,
    read_response,
    request_bytes,
    sigv4_headers,
)

pytestmark = pytest.mark.timeout(30)


def health_request(server, extra=()):
    return request_bytes("GET", "/health", [("Host", f"127.0.0.1:{server.port}"), *extra])


def assert_closed(connection, reader):
    """The server closed the connection: nothing more is answered."""
    connection.settimeout(5)
    try:
        assert reader.read() == b""
    except (ConnectionResetError, socket.timeout) as error:
        if isinstance(error, socket.timeout):
            pytest.fail("the server kept the connection open")


def invoke_path(name):
    return f"/2015-03-31/functions/{name}/invocations"


def signed_invoke_headers(server, name, body):
    headers = sigv4_headers(server, "POST", invoke_path(name), body)
    return [(key, value) for key, value in headers.items() if key.lower() != "content-length"]


def test_health_answers_200(server):
    connection, reader = raw_connection(server)
    with connection:
        connection.sendall(health_request(server))
        response = read_response(reader)

    assert response.status == 200


def test_keep_alive_serves_two_requests_on_one_connection(server):
    connection, reader = raw_connection(server)
    with connection:
        connection.sendall(health_request(server))
        first = read_response(reader)
        connection.sendall(health_request(server))
        second = read_response(reader)

    assert first.status == second.status == 200
    assert (first.header("Connection") or "").lower() != "close"


def test_connection_close_is_honoured(server):
    connection, reader = raw_connection(server)
    with connection:
        connection.sendall(health_request(server, [("Connection", "close")]))
        response = read_response(reader)
        assert response.status == 200
        assert_closed(connection, reader)


def test_pipelined_requests_are_answered_in_order(server):
    not_found = request_bytes("GET", "/no-such-path-here", [("Host", "x")])
    connection, reader = raw_connection(server)
    with connection:
        connection.sendall(health_request(server) + not_found + health_request(server))
        statuses = [read_response(reader).status for _ in range(3)]

    assert statuses[0] == 200
    assert statuses[1] != 200
    assert statuses[2] == 200


def test_chunked_request_body_on_invoke(server, make_function):
    name, _ = make_function()
    body = json.dumps({"chunked": "yes", "pad": "x" * 3000}).encode()
    headers = signed_invoke_headers(server, name, body) + [("Transfer-Encoding", "chunked")]
    chunks = b"".join(
        b"%x\r\n" % len(body[i:i + 1000]) + body[i:i + 1000] + b"\r\n"
        for i in range(0, len(body), 1000)
    )

    connection, reader = raw_connection(server, timeout=30)
    with connection:
        head = request_bytes("POST", invoke_path(name), headers)
        connection.sendall(head + chunks + b"0\r\n\r\n")
        response = read_response(reader)

    assert response.status == 200, response.body
    assert json.loads(response.body) == {"echo": {"chunked": "yes", "pad": "x" * 3000}}
    assert response.header("X-Amz-Executed-Version") == "$LATEST"


def test_expect_100_continue_gets_an_interim_response(server, make_function):
    name, _ = make_function()
    body = b'{"continued": true}'
    headers = signed_invoke_headers(server, name, body) + [
        ("Content-Length", str(len(body))),
        ("Expect", "100-continue"),
    ]

    connection, reader = raw_connection(server, timeout=30)
    with connection:
        connection.sendall(request_bytes("POST", invoke_path(name), headers))
        interim = read_response(reader)
        connection.sendall(body)
        final = read_response(reader)

    assert interim.status == 100
    assert final.status == 200, final.body
    assert json.loads(final.body) == {"echo": {"continued": True}}


def assert_rejected_and_closed(server, head, rest=b""):
    """Sends a malformed request followed by a pipelined /health: the first gets 400,
    the connection closes, and the /health is never answered."""
    connection, reader = raw_connection(server)
    with connection:
        connection.sendall(head + rest + health_request(server))
        response = read_response(reader)
        assert response is not None, "the server closed without answering"
        assert response.status == 400
        assert_closed(connection, reader)


def test_content_length_with_transfer_encoding_is_rejected(server):
    head = request_bytes(
        "POST",
        invoke_path("anything"),
        [("Host", "x"), ("Content-Length", "5"), ("Transfer-Encoding", "chunked")],
    )
    assert_rejected_and_closed(server, head, b"0\r\n\r\n")


def test_duplicate_content_length_is_rejected(server):
    head = request_bytes(
        "POST",
        invoke_path("anything"),
        [("Host", "x"), ("Content-Length", "2"), ("Content-Length", "3")],
    )
    assert_rejected_and_closed(server, head, b"{}")


def test_malformed_chunk_is_rejected(server):
    head = request_bytes(
        "POST", invoke_path("anything"), [("Host", "x"), ("Transfer-Encoding", "chunked")]
    )
    assert_rejected_and_closed(server, head, b"zz\r\nhello\r\n0\r\n\r\n")


def test_garbage_request_line_is_rejected(server):
    connection, reader = raw_connection(server)
    with connection:
        connection.sendall(b"THIS IS NOT HTTP\r\n\r\n")
        response = read_response(reader)
        assert response is not None and response.status == 400
        assert_closed(connection, reader)


def test_server_survives_a_client_that_disconnects_mid_request(server):
    connection, _ = raw_connection(server)
    headers = [("Host", "x"), ("Content-Length", "100")]
    head = request_bytes("POST", "/2015-03-31/functions", headers)
    connection.sendall(head + b"{")
    connection.close()

    fresh, reader = raw_connection(server)
    with fresh:
        fresh.sendall(health_request(server))
        assert read_response(reader).status == 200
