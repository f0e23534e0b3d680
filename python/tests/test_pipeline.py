"""A real PyOpenCL pipeline through the binding: tools/pipeline_v1.py, in this
process with a few chunks, and as the command-line tool with tiny sizes."""
import os
import re
import subprocess
import sys

import pytest

from ordo import _bridge

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools")
TOOL = os.path.join(TOOLS, "pipeline_v1.py")
if not os.path.exists(TOOL):
    pytest.skip("tools/pipeline_v1.py is not beside this source tree", allow_module_level=True)
sys.path.insert(0, TOOLS)
import pipeline_v1  # noqa: E402

LINE = re.compile(r"pipeline-v1 mode=(pipelined|serial) chunks=(\d+) elements=(\d+) repeat=(\d+) "
                  r"wall_s=\d+\.\d{3} chunks_per_s=\d+\.\d mismatches=(\d+)")


@pytest.fixture(scope="module")
def setup():
    s = pipeline_v1.Setup(elements=512, repeat=3)
    yield s
    s.finish()


async def test_a_few_chunks_through_three_queues_come_out_right(setup):
    pipeline = pipeline_v1.Pipeline(setup)
    assert await pipeline.run(range(7), inflight=3) == 0
    setup.finish()
    assert _bridge.pending() == 0


async def test_the_check_catches_a_wrong_chunk(setup):
    setup.corrupt_chunk = 4
    try:
        assert await pipeline_v1.Pipeline(setup).run(range(6), inflight=4) == 1
    finally:
        setup.corrupt_chunk = None
    assert pipeline_v1.run_serial(setup, range(6)) == 0


def run_tool(*args):
    return subprocess.run([sys.executable, TOOL, *args], capture_output=True, text=True,
                          timeout=300, env=os.environ)


def test_the_tool_prints_the_workloads_lines():
    result = run_tool("--chunks", "5", "--elements", "256", "--inflight", "2", "--repeat", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    matches = [LINE.fullmatch(line) for line in lines]
    assert all(matches), lines
    assert [m.groups() for m in matches] == [("pipelined", "5", "256", "2", "0"),
                                            ("serial", "5", "256", "2", "0")]


def test_the_tool_exits_1_on_a_mismatch():
    result = run_tool("--chunks", "4", "--elements", "64", "--mode", "pipelined",
                      "--corrupt-chunk", "2")
    assert result.returncode == 1
    assert LINE.fullmatch(result.stdout.strip()).group(5) == "1"
