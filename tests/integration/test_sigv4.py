"""SigV4 verification at the API endpoint, against signatures botocore itself makes.

Thousands of generated requests with odd paths, queries and headers are signed by
botocore's own SigV4Auth and sent over one keep-alive connection. A correctly signed
request must get past authentication (it reaches routing: 404 UnknownOperation for a
made-up path), and the same request with its body, a signed header, its query or its
path changed by one character must be refused with 403 InvalidSignatureException.
"""

import datetime
import http.client
import json
import random
import string
import time
import urllib.parse
from unittest import mock

import botocore.auth
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from swiftlet_testing import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY

ROOT = Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY)
# Characters a client may put in a path segment or query; quoting happens as botocore's serializer does.
ODD = string.ascii_letters + string.digits + "-_.~:;,=+@!$&'()* %é€/"
GENERATED_REQUESTS = 1500


def sign(method, url, body=b"", headers=None, credentials=ROOT, service="lambda", when=None):
    """A request signed by botocore's SigV4Auth, at `when` (a UTC datetime) or now."""
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    signer = SigV4Auth(credentials, service, REGION)
    if when is None:
        signer.add_auth(request)
        return request
    with mock.patch.object(botocore.auth, "get_current_datetime", lambda *_, **__: when.replace(tzinfo=None)):
        signer.add_auth(request)
    return request


def send(connection, method, url, body, headers):
    parts = urllib.parse.urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    connection.request(method, target, body=body, headers=headers)
    reply = connection.getresponse()
    return reply.status, reply.headers.get("X-Amzn-ErrorType"), reply.read()


def odd_segment(rng):
    while True:
        text = "".join(rng.choice(ODD) for _ in range(rng.randint(1, 12)))
        if text not in (".", "..") and "/" not in text:
            return urllib.parse.quote(text, safe="")


def odd_query(rng):
    pairs = []
    for _ in range(rng.randint(0, 4)):
        key = "".join(rng.choice(ODD) for _ in range(rng.randint(1, 6)))
        value = "".join(rng.choice(ODD) for _ in range(rng.randint(0, 8)))
        pairs.append(f"{urllib.parse.quote(key, safe='-_.~')}={urllib.parse.quote(value, safe='-_.~')}")
    return "&".join(pairs)


def generated_request(rng, endpoint):
    path = "/" + "/".join(["_sigv4probe"] + [odd_segment(rng) for _ in range(rng.randint(1, 4))])
    query = odd_query(rng)
    url = endpoint + path + (f"?{query}" if query else "")
    method = rng.choice(["GET", "POST", "PUT", "DELETE"])
    body = bytes(rng.randrange(256) for _ in range(rng.randint(0, 64))) if method in ("POST", "PUT") else b""
    headers = {"X-Amz-Meta-Odd": "  a   b\tc  ", "X-Custom-" + rng.choice("ABC"): "v" * rng.randint(1, 5)}
    return method, url, body, headers


def tampered(rng, url, body, signed):
    """The signed request with one signed part changed: (what, url, body, headers)."""
    parts = urllib.parse.urlsplit(url)
    choice = rng.choice(["body", "header", "query", "path"])
    if choice == "body" and body:
        flipped = bytearray(body)
        flipped[rng.randrange(len(flipped))] ^= 0x01
        return choice, url, bytes(flipped), signed
    if choice == "header":
        changed = dict(signed)
        changed["X-Amz-Meta-Odd"] = "a b d"
        return choice, url, body, changed
    if choice == "query":
        extra = ("&" if parts.query else "") + "tampered=1"
        return choice, urllib.parse.urlunsplit(parts._replace(query=parts.query + extra)), body, signed
    return "path", urllib.parse.urlunsplit(parts._replace(path=parts.path + "x")), body, signed


def test_botocore_signatures_verify_and_every_tampering_is_refused(server):
    rng = random.Random(20261203)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    accepted = refused = 0
    for _ in range(GENERATED_REQUESTS):
        method, url, body, headers = generated_request(rng, server.endpoint)
        request = sign(method, url, body, headers)
        signed = dict(request.headers.items())
        status, error_type, reply = send(connection, method, request.url, body, signed)
        assert (status, error_type) == (404, "UnknownOperationException"), (method, request.url, reply)
        accepted += 1

        what, bad_url, bad_body, bad_headers = tampered(rng, request.url, body, signed)
        status, error_type, reply = send(connection, method, bad_url, bad_body, bad_headers)
        assert (status, error_type) == (403, "InvalidSignatureException"), (what, bad_url, reply)
        refused += 1
    connection.close()
    assert accepted == refused == GENERATED_REQUESTS


def test_real_operation_with_colons_in_the_path_verifies(server, lambda_client):
    # ARNs put colons in the path; they are encoded twice in the canonical URI for non-S3 services.
    name = "arn:aws:lambda:us-east-1:123456789012:function:no-such-function-sigv4"
    reply = lambda_client_error(lambda_client.get_function, FunctionName=name)
    assert reply["Error"]["Code"] == "ResourceNotFoundException"


def lambda_client_error(call, **kwargs):
    try:
        call(**kwargs)
    except Exception as error:  # botocore.exceptions.ClientError
        return error.response
    raise AssertionError("expected an error")


def test_unsigned_request_is_missing_authentication_token(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", "/2015-03-31/functions/")
    reply = connection.getresponse()
    body = json.loads(reply.read())
    assert reply.status == 403
    assert reply.headers["X-Amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert body["message"] == "Missing Authentication Token"


def test_unknown_access_key_is_unrecognized_client(server):
    stranger = Credentials("AKIANOSUCHKEY0000000", SECRET_ACCESS_KEY)
    request = sign("GET", server.endpoint + "/2015-03-31/functions/", credentials=stranger)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    status, error_type, body = send(connection, "GET", request.url, b"", dict(request.headers.items()))
    assert (status, error_type) == (403, "UnrecognizedClientException")
    assert json.loads(body)["message"] == "The security token included in the request is invalid."


def test_wrong_secret_is_invalid_signature(server):
    wrong = Credentials(ACCESS_KEY_ID, "x" * 40)
    request = sign("GET", server.endpoint + "/2015-03-31/functions/", credentials=wrong)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    status, error_type, body = send(connection, "GET", request.url, b"", dict(request.headers.items()))
    assert (status, error_type) == (403, "InvalidSignatureException")
    assert json.loads(body)["message"].startswith("The request signature we calculated does not match")


def test_clock_skew_window_is_fifteen_minutes(server):
    now = datetime.datetime.now(datetime.timezone.utc)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    url = server.endpoint + "/2015-03-31/functions/"
    for offset_minutes, expected in ((-14, 200), (14, 200), (-16, 403), (16, 403)):
        request = sign("GET", url, when=now + datetime.timedelta(minutes=offset_minutes))
        status, error_type, body = send(connection, "GET", request.url, b"", dict(request.headers.items()))
        assert status == expected, (offset_minutes, body)
        if expected == 403:
            assert error_type == "InvalidSignatureException"
            message = json.loads(body)["message"]
            assert message.startswith("Signature expired" if offset_minutes < 0 else "Signature not yet current")


def test_credential_scope_must_name_a_real_scope(server):
    request = sign("GET", server.endpoint + "/2015-03-31/functions/")
    headers = dict(request.headers.items())
    headers["Authorization"] = headers["Authorization"].replace("/aws4_request", "/aws5_request")
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    status, error_type, _ = send(connection, "GET", request.url, b"", headers)
    assert (status, error_type) == (403, "IncompleteSignatureException")


def presigned(server, expires):
    request = AWSRequest(method="GET", url=server.endpoint + "/2015-03-31/functions/")
    SigV4QueryAuth(ROOT, "lambda", REGION, expires=expires).add_auth(request)
    return request.url


def test_presigned_query_string_verifies_and_expires(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    url = presigned(server, expires=60)
    status, error_type, body = send(connection, "GET", url, b"", {})
    assert status == 200, body
    assert "Functions" in json.loads(body)

    tampered_url = url.replace("X-Amz-Expires=60", "X-Amz-Expires=61")
    status, error_type, _ = send(connection, "GET", tampered_url, b"", {})
    assert (status, error_type) == (403, "InvalidSignatureException")

    too_long = presigned(server, expires=7 * 24 * 3600 + 1)
    status, error_type, body = send(connection, "GET", too_long, b"", {})
    assert (status, error_type) == (403, "IncompleteSignatureException")
    assert "less than a week" in json.loads(body)["message"]


def test_presigned_url_past_its_expiry_is_refused(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    url = presigned(server, expires=1)
    time.sleep(2.1)
    status, error_type, body = send(connection, "GET", url, b"", {})
    assert (status, error_type) == (403, "InvalidSignatureException")
    assert json.loads(body)["message"].startswith("Signature expired")


def test_logs_json_protocol_reports_failures_with_400(server):
    stranger = Credentials("AKIANOSUCHKEY0000000", SECRET_ACCESS_KEY)
    headers = {"X-Amz-Target": "Logs_20140328.DescribeLogGroups", "Content-Type": "application/x-amz-json-1.1"}
    request = sign("POST", server.endpoint + "/", b"{}", headers, credentials=stranger, service="logs")
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("POST", "/", body=b"{}", headers=dict(request.headers.items()))
    reply = connection.getresponse()
    body = json.loads(reply.read())
    assert reply.status == 400
    assert body["__type"] == "UnrecognizedClientException"
