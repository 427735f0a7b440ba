"""Runs the same functions under Swiftlet's runtime client and under awslambdaric (AWS's
own Python runtime interface client, installed in the test venv) and checks that the
Runtime API sees the same posts from both (the same paths, byte-identical bodies) and the
log the same error records."""

import importlib.util
import sys

import pytest

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(
        importlib.util.find_spec("awslambdaric") is None,
        reason="awslambdaric is not installed here (scripts/setup puts it in .venv)",
    ),
]

SCENARIOS = {
    "result": ("def handler(event, context):\n    return {'k': [1, 2.5, None], 'e': event}\n",
               "app.handler", {"x": "caf\u00e9"}),
    "unicode and floats": ("def handler(event, context):\n    return ['\u2603', 1e100, -0.0]\n",
                           "app.handler", {}),
    "decimal": ("import decimal\ndef handler(event, context):\n"
                "    return [decimal.Decimal('1.5'), decimal.Decimal('3')]\n",
                "app.handler", {}),
    "string result": ("def handler(event, context):\n    return 'plain'\n", "app.handler", {}),
    "none result": ("def handler(event, context):\n    return None\n", "app.handler", {}),
    "exception": ("def inner():\n    raise ValueError('boom')\n"
                  "def handler(event, context):\n    inner()\n",
                  "app.handler", {}),
    "exception without message": ("def handler(event, context):\n    raise KeyError\n",
                                  "app.handler", {}),
    "marshal error": ("def handler(event, context):\n    return object()\n", "app.handler", {}),
    "import error": ("", "missing.handler", {}),
    "dependency import error": ("import not_a_module_anywhere\n", "app.handler", {}),
    "handler not found": ("x = 1\n", "app.handler", {}),
    "malformed handler": ("", "app", {}),
    "syntax error": ("def handler(:\n    pass\n", "app.handler", {}),
    "init exception": ("def f():\n    raise OSError(2, 'gone')\nf()\n", "app.handler", {}),
}


def first_post(runtime_api, start_runtime, code, handler, event, reference):
    command = [sys.executable, "-m", "awslambdaric", handler] if reference else None
    process = start_runtime({"app.py": code}, handler=handler, command=command)
    request_id = runtime_api.add_event(event)
    post = runtime_api.next_post()
    task_root = str(process.stdout_path.parent.parent / f"task{process.index}")
    body = post.body.decode().replace(request_id, "REQUEST-ID").replace(task_root, "TASK")
    path = post.path.replace(request_id, "REQUEST-ID")
    process.stop()
    log = [
        line.replace(task_root, "TASK")
        for line in process.stdout.split("\n")
        if not line.startswith("[WARNING]")  # AWS's init warning is shortened here
    ]
    # Not compared: headers. awslambdaric 4.2.2 sends no Lambda-Runtime-Function-Error-Type
    # on invocation errors (the type is in the body); Swiftlet's client always sends it.
    return path, body, log


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_posts_match_awslambdaric(runtime_api, start_runtime, name):
    code, handler, event = SCENARIOS[name]

    ours = first_post(runtime_api, start_runtime, code, handler, event, reference=False)
    theirs = first_post(runtime_api, start_runtime, code, handler, event, reference=True)

    assert ours == theirs
