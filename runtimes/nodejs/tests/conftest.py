"""Fixtures for the Node.js runtime client's tests: the fake Runtime API shared by every
runtime (runtimes/fake_runtime_api.py), pointed at this runtime's bootstrap. The figures
that tests record with `record_figure` are printed at the end of the run."""

import shutil
import sys
from pathlib import Path

import pytest

RUNTIME_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(RUNTIME_DIR.parent))

from fake_runtime_api import runtime_api, start_runtime  # noqa: E402,F401  (fixtures)

NODE = "/usr/bin/node" if Path("/usr/bin/node").exists() else shutil.which("node")
_figures = []


def pytest_collection_modifyitems(config, items):
    if NODE is None:
        skip = pytest.mark.skip(reason="no node on this host: the nodejs20.x runtime needs Node 20")
        for item in items:
            if Path(str(item.fspath)).is_relative_to(RUNTIME_DIR):
                item.add_marker(skip)


@pytest.fixture
def runtime_dir():
    return RUNTIME_DIR


@pytest.fixture
def record_figure():
    """record_figure(text) keeps a measured figure for the run's summary."""
    return _figures.append


def pytest_terminal_summary(terminalreporter):
    if _figures:
        terminalreporter.section("nodejs runtime client figures")
        for figure in _figures:
            terminalreporter.write_line(figure)
