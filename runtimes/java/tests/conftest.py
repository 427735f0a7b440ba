"""Fixtures for the Java runtime client's tests: the fake Runtime API shared by every
runtime (runtimes/fake_runtime_api.py), pointed at this runtime's bootstrap."""

import sys
from pathlib import Path

import pytest

RUNTIME_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(RUNTIME_DIR.parent))

from fake_runtime_api import runtime_api, start_runtime  # noqa: E402,F401  (fixtures)


@pytest.fixture
def runtime_dir():
    return RUNTIME_DIR
