"""Shared fixtures: one OpenCL context on the first device of the first
platform (POCL here, or Oclgrind under `meson test --setup oclgrind`), and a
check after every test that the binding left no library future behind."""
import gc
import os

import pytest

cl = pytest.importorskip("pyopencl")

import ordo  # noqa: E402  (after the skip: pyopencl is required for these tests)
from ordo import _bridge  # noqa: E402
from support import eventually  # noqa: E402


def pytest_report_header(config):
    platform = cl.get_platforms()[0]
    return [f"ordo: {ordo.library_path} version {'.'.join(map(str, ordo.library_version()))}",
            f"OpenCL platform: {platform.name} ({platform.version})"]


@pytest.fixture(scope="session")
def platform():
    platform = cl.get_platforms()[0]
    if os.environ.get("ORDO_TEST_PLATFORM") == "oclgrind":
        assert "Oclgrind" in platform.name, f"expected Oclgrind, the platform is {platform.name}"
    return platform


@pytest.fixture(scope="session")
def on_oclgrind(platform):
    return "Oclgrind" in platform.name


@pytest.fixture(scope="session")
def context(platform):
    return cl.Context([platform.get_devices()[0]])


@pytest.fixture
def queue(context):
    q = cl.CommandQueue(context)
    yield q
    q.finish()


@pytest.fixture(autouse=True)
def no_waiter_left():
    """Every library future the binding watched has been delivered or
    discarded once the test's objects are gone (the loop is closed by then)."""
    yield
    gc.collect()
    assert eventually(lambda: _bridge.pending() == 0), \
        f"{_bridge.pending()} library futures still watched after the test"
