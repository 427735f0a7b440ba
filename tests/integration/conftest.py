"""Fixtures for Swiftlet's black-box integration tests.

Every test here talks to the real `swiftlet` binary over loopback with real clients:
boto3, the AWS CLI, awslambdaric and raw sockets. One server is shared by the session;
tests that stop, kill or restart a server get their own from `server_factory`. Helpers
that tests import directly live in swiftlet_testing.py.
"""

import pytest

from swiftlet_testing import (
    ECHO_HANDLER,
    ROLE_ARN,
    SwiftletServer,
    make_zip,
    running_servers,
    unique_name,
)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The shared server. Tests must not stop it: use server_factory for that."""
    instance = SwiftletServer(tmp_path_factory.mktemp("shared") / "data").start()
    yield instance
    instance.stop()
    instance.close()


@pytest.fixture
def server_factory(tmp_path):
    """server_factory(*serve_args) starts a fresh server with its own data directory."""
    made = []

    def make(*serve_args):
        instance = SwiftletServer(tmp_path / f"data{len(made)}", extra_args=serve_args).start()
        made.append(instance)
        return instance

    yield make
    for instance in made:
        instance.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attaches the log of every running server to a failing test's report."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and call.when in ("setup", "call"):
        for instance in list(running_servers):
            report.sections.append((f"swiftlet server log ({instance.port})", instance.log_tail()))


@pytest.fixture(scope="session")
def lambda_client(server):
    return server.client("lambda")


@pytest.fixture(scope="session")
def lambda_client_unvalidated(server):
    """A Lambda client that sends what botocore would refuse client-side."""
    return server.client("lambda", validate=False)


@pytest.fixture(scope="session")
def logs_client(server):
    return server.client("logs")


@pytest.fixture(scope="session")
def iam_client(server):
    return server.client("iam")


@pytest.fixture(scope="session")
def iam_unvalidated(server):
    """An IAM client that sends what botocore would refuse client-side."""
    return server.client("iam", validate=False)


@pytest.fixture(scope="session")
def sts_client(server):
    return server.client("sts")


@pytest.fixture
def make_function(lambda_client):
    """make_function(code=..., files=..., handler="app.handler", runtime="python3.11",
    **create_args) creates a function from an `app.py` (or a whole file dict), waits until
    it is Active and returns (name, create response). Functions are deleted afterwards."""
    created = []

    def make(code=ECHO_HANDLER, files=None, handler="app.handler", runtime="python3.11",
             name=None, client=None, modes=None, prefix="fn", role=ROLE_ARN, **create_args):
        client = client or lambda_client
        name = name or unique_name(prefix)
        archive = make_zip(files if files is not None else {"app.py": code}, modes)
        response = client.create_function(
            FunctionName=name,
            Runtime=runtime,
            Role=role,
            Handler=handler,
            Code={"ZipFile": archive},
            **create_args,
        )
        created.append((client, name))
        client.get_waiter("function_active_v2").wait(
            FunctionName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100}
        )
        return name, response

    yield make
    for client, name in created:
        try:
            client.delete_function(FunctionName=name)
        except Exception:
            pass
