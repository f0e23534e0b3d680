"""async_wait_for_events and wait_until."""
import asyncio
import gc

import numpy as np
import pyopencl as cl
import pytest

import ordo
from ordo import _bridge, resource
from support import (complete, completed_user_event, reference_count_returns_to, spin,
                     user_event, within)


async def test_waits_until_every_event_is_complete(context):
    first, second = user_event(context), user_event(context)
    waiter = asyncio.create_task(resource.async_wait_for_events([first, ordo.UncheckedEvent(second.int_ptr)]))
    await spin()
    assert not waiter.done()
    complete(first)
    await spin()
    assert not waiter.done(), "returned with one event still pending"
    complete(second)
    assert await within(waiter) is None


async def test_no_events_returns_at_once():
    assert await resource.async_wait_for_events([]) is None
    assert await resource.async_wait_for_events(iter(())) is None
    assert _bridge.pending() == 0


async def test_a_device_command_completes_through_an_opencl_callback(context, queue):
    host = np.arange(4096, dtype=np.float32)
    buffer = cl.Buffer(context, cl.mem_flags.READ_WRITE, host.nbytes)
    out = np.zeros_like(host)
    write = cl.enqueue_copy(queue, buffer, host, is_blocking=False)
    read = cl.enqueue_copy(queue, out, buffer, is_blocking=False, wait_for=[write])
    queue.flush()
    await within(resource.async_wait_for_events([write, read]))
    assert read.command_execution_status == cl.command_execution_status.COMPLETE
    np.testing.assert_array_equal(out, host)


async def test_a_failed_event_raises_with_its_status(context):
    event = user_event(context)
    waiter = asyncio.create_task(resource.async_wait_for_events([event]))
    await spin()
    event.set_status(-42)
    with pytest.raises(ordo.EventFailedError) as info:
        await within(waiter)
    assert info.value.cl_status == -42
    assert info.value.name == "ORDO_ERROR_EVENT_FAILED"
    assert "-42" in str(info.value)


async def test_cancelling_the_wait_drops_the_librarys_references(context):
    event = user_event(context)
    waiter = asyncio.create_task(resource.async_wait_for_events([event]))
    await spin()
    assert event.reference_count > 1  # the library's wait holds it
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    del waiter
    gc.collect()
    assert reference_count_returns_to(event, 1)
    complete(event)


async def test_wait_for_events_of_a_predecessor_in_wait_events(context):
    r = resource.Resource(None)
    a, b = r.acquire(), r.acquire()
    event = user_event(context)
    a.ready([event])
    event.set_status(-5)
    with pytest.raises(ordo.EventFailedError) as info:
        await within(b.wait_events())
    assert info.value.cl_status == -5
    b.ready()


async def test_wait_until_returns_the_result_before_the_deadline():
    loop = asyncio.get_running_loop()

    async def answer():
        await asyncio.sleep(0)
        return 42

    assert await resource.wait_until(answer(), loop.time() + 30) == 42
    done = loop.create_future()
    done.set_result("already")
    assert await resource.wait_until(done, loop.time() - 1) == "already"


async def test_wait_until_cancels_the_awaitable_at_the_deadline():
    loop = asyncio.get_running_loop()
    never = loop.create_future()
    with pytest.raises(asyncio.TimeoutError):
        await resource.wait_until(never, loop.time() + 0.02)
    assert never.cancelled()


async def test_wait_until_passes_exceptions_on():
    loop = asyncio.get_running_loop()

    async def broken():
        raise KeyError("x")

    with pytest.raises(KeyError):
        await resource.wait_until(broken(), loop.time() + 30)


async def test_cancelling_wait_until_leaves_the_awaitable_alone():
    loop = asyncio.get_running_loop()
    inner = loop.create_future()
    outer = asyncio.create_task(resource.wait_until(inner, loop.time() + 30))
    await spin(3)
    outer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await outer
    assert not inner.done()
    inner.cancel()


async def test_without_pyopencl_events_come_back_as_cl_events(context, monkeypatch):
    from ordo import _events
    monkeypatch.setattr(_events, "_make", ordo.ClEvent)  # as if PyOpenCL were missing
    event = completed_user_event(context)
    r = resource.Resource(None)
    a, b = r.acquire(), r.acquire()
    a.ready([ordo.UncheckedEvent(event.int_ptr)])  # a bare address: the binding makes the object
    (got,) = await within(b.wait())
    assert isinstance(got, ordo.ClEvent) and got.int_ptr == event.int_ptr
    assert event.reference_count >= 2  # ClEvent holds its own reference
    await within(resource.async_wait_for_events([got]))  # accepted back through int_ptr
    b.ready([got])
    got.release()
    got.release()  # idempotent
    del a, b, r, got
    gc.collect()
    assert reference_count_returns_to(event, 1)
