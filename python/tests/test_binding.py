"""What the binding adds over katsdpsigproc's API: one descriptor per loop
for any number of waits, generic classes, events that must hold a
reference, a successor told of a cancelled predecessor, and the library's
diagnostics and log in Python."""
import asyncio
import ctypes
import json
import logging
import os
import pathlib
import subprocess
import sys
import threading
import typing

import pytest

import ordo
from ordo import _bridge, _capi, resource
from support import complete, spin, user_event, within


def test_resource_and_allocation_are_generic_and_typed():
    def annotated(r: resource.Resource[int]) -> resource.ResourceAllocation[int]:
        return r.acquire()

    hints = typing.get_type_hints(annotated)
    assert hints["r"] == resource.Resource[int]
    assert typing.get_origin(hints["return"]) is resource.ResourceAllocation
    assert typing.get_args(hints["return"]) == (int,)
    allocation = annotated(resource.Resource(5))
    assert isinstance(allocation, resource.ResourceAllocation) and allocation.value == 5
    allocation.ready()
    assert (pathlib.Path(ordo.__file__).parent / "py.typed").exists()


_MANY_WAITS = """
import asyncio, resource as rlimit, pyopencl as cl
import ordo
from ordo import resource
rlimit.setrlimit(rlimit.RLIMIT_NOFILE, (256, rlimit.getrlimit(rlimit.RLIMIT_NOFILE)[1]))
context = cl.Context([cl.get_platforms()[0].get_devices()[0]])
async def main():
    events = [cl.UserEvent(context) for _ in range(100)]
    pairs = []
    for i in range(5000):
        r = resource.Resource(i)
        pairs.append((r.acquire(), r.acquire()))
    grants = [b.wait() for _, b in pairs]           # 5,000 pending grants
    waits = [asyncio.ensure_future(resource.async_wait_for_events([events[i % 100]]))
             for i in range(5000)]                    # 5,000 pending event waits
    await asyncio.sleep(0)
    assert not any(g.done() for g in grants) and not any(w.done() for w in waits)
    for a, _ in pairs:
        a.ready()
    for e in events:
        e.set_status(cl.command_execution_status.COMPLETE)
    await asyncio.wait_for(asyncio.gather(*grants, *waits), 60)
    for _, b in pairs:
        b.ready()
    print("ok", ordo._bridge.descriptors())
asyncio.run(main())
"""


def test_ten_thousand_concurrent_waits_under_a_limit_of_256_descriptors():
    result = subprocess.run([sys.executable, "-c", _MANY_WAITS], capture_output=True, text=True,
                            timeout=120, env=dict(os.environ))
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["ok", "1"]


async def test_waits_of_one_loop_share_one_descriptor(context):
    events = [user_event(context) for _ in range(50)]
    before = _bridge.descriptors()
    waits = [asyncio.ensure_future(resource.async_wait_for_events([e])) for e in events]
    await spin()
    assert _bridge.pending() == 50
    assert _bridge.descriptors() <= before + 1
    for e in events:
        complete(e)
    await within(asyncio.gather(*waits))


async def test_a_successor_of_a_cancelled_holder_is_told_its_predecessor_was_cancelled():
    r = resource.Resource(None)
    first, second = r.acquire(), r.acquire()
    entered = asyncio.Event()

    async def holder():
        with first:
            await first.wait()
            entered.set()
            await asyncio.sleep(3600)

    task = asyncio.ensure_future(holder())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(ordo.PredecessorCancelledError) as info:
        await within(second.wait())
    assert not isinstance(info.value, asyncio.CancelledError)
    assert isinstance(info.value.__cause__, asyncio.CancelledError)
    second.ready()


async def test_the_library_log_reaches_python_logging_on_the_python_thread(caplog):
    r = resource.Resource(None, name="logged")
    ticket = _capi.new_handle(_capi.ordo_resource_acquire, _capi.ordo_ticket, r._handle)
    done = threading.Event()

    def elsewhere():  # the library logs on this thread, which never runs Python then
        _capi.ordo_ticket_destroy(ticket)  # unreleased: the library warns
        done.set()

    with caplog.at_level(logging.WARNING, logger="ordo"):
        threading.Thread(target=elsewhere).start()
        done.wait(10)
        ordo.diagnostics.flush_log()
    records = [rec for rec in caplog.records if rec.name == "ordo"]
    assert [rec.getMessage() for rec in records] == [
        'ticket released without ready (resource "logged")']
    assert records[0].levelno == logging.WARNING
    assert records[0].thread == threading.get_ident()


async def test_dump_lists_named_allocations():
    r = resource.Resource(None, name="buffer")
    a, b = r.acquire(), r.acquire()
    a.set_name("chunk 0")
    b.set_name("chunk 1")
    text = r.dump()
    assert "buffer" in text and "chunk 0" in text and "chunk 1" in text
    assert "buffer" in ordo.diagnostics.dump()
    a.ready()
    b.ready()


async def test_a_long_wait_for_a_grant_is_reported_with_a_dump(caplog):
    r = resource.Resource(None, name="slow")
    a, b = r.acquire(), r.acquire()
    b.set_name("waiter")
    ordo.diagnostics.set_wait_warning(0.02)
    try:
        with caplog.at_level(logging.WARNING, logger="ordo.resource"):
            grant = b.wait()
            while not any("has waited" in rec.getMessage() for rec in caplog.records):
                await asyncio.sleep(0.005)
    finally:
        ordo.diagnostics.set_wait_warning(None)
    message = next(rec.getMessage() for rec in caplog.records if "has waited" in rec.getMessage())
    assert "'slow'" in message and "waiter" in message
    a.ready()
    assert await within(grant) == []
    b.ready()


async def test_a_trace_records_the_allocations(tmp_path):
    ordo.diagnostics.trace_start(1024)
    r = resource.Resource(None, name="traced")
    a = r.acquire()
    await a.wait()
    a.ready()
    ordo.diagnostics.trace_stop()
    path = tmp_path / "trace.json"
    ordo.diagnostics.trace_write(path)
    trace = json.loads(path.read_text())
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    assert any("traced" in json.dumps(e) for e in events)


def test_raw_c_abi_access_through_ctypes_keeps_working():
    lib = ctypes.CDLL(ordo.library_path)
    major, minor, patch = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
    lib.ordo_version(ctypes.byref(major), ctypes.byref(minor), ctypes.byref(patch))
    assert (major.value, minor.value, patch.value) == ordo.library_version()
