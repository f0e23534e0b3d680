"""Resource and ResourceAllocation: ticket order, events, the context manager,
failures, cancellation, lifetimes."""
import asyncio
import ctypes
import gc
import logging
import os
import threading
import weakref

import numpy as np
import pyopencl as cl
import pytest

import ordo
from ordo import _bridge, _capi, resource
from support import (complete, completed_user_event, eventually, reference_count_returns_to,
                     spin, user_event, within)

NOT_READY = "Resource allocation was not explicitly made ready"


async def test_grants_follow_acquire_order_whatever_order_holders_wait_in(context):
    r = resource.Resource("shared")
    count = 8
    allocations = [r.acquire() for _ in range(count)]
    handed = [completed_user_event(context) for _ in range(count)]
    granted = []
    received = {}

    async def holder(i):
        events = await allocations[i].wait()
        granted.append(i)
        received[i] = [e.int_ptr for e in events]
        allocations[i].ready([handed[i]])

    # Every holder but the first starts waiting first, in a scrambled order;
    # the first holder arrives last and still goes first.
    order = [5, 2, 7, 1, 6, 3, 4]
    tasks = [asyncio.create_task(holder(i)) for i in order]
    await spin()
    assert granted == [], "a holder was granted before the first allocation was released"
    tasks.append(asyncio.create_task(holder(0)))
    await within(asyncio.gather(*tasks))
    assert granted == list(range(count))
    assert received[0] == []
    for i in range(1, count):
        assert received[i] == [handed[i - 1].int_ptr], f"holder {i} got the wrong events"


async def test_wait_returns_one_future_per_allocation():
    r = resource.Resource(None)
    a = r.acquire()
    assert a.wait() is a.wait()
    assert await within(a.wait()) == []
    a.ready()


async def test_events_from_wait_work_in_pyopencl_wait_for(context, queue, on_oclgrind):
    n = 1024
    host = np.arange(n, dtype=np.float32)
    buffer = cl.Buffer(context, cl.mem_flags.READ_WRITE, host.nbytes)
    r = resource.Resource(buffer)
    writer, reader = r.acquire(), r.acquire()
    other_queue = cl.CommandQueue(context)

    async def write():
        with writer as buf:
            await writer.wait()
            written = cl.enqueue_copy(queue, buf, host, is_blocking=False)
            writer.ready([written])

    async def read():
        with reader as buf:
            events = await reader.wait()
            assert len(events) == 1 and isinstance(events[0], cl.Event)
            out = np.empty_like(host)
            # A second queue: only the handed-over event orders the read.
            done = cl.enqueue_copy(other_queue, out, buf, is_blocking=False, wait_for=events)
            reader.ready([done])
            await resource.async_wait_for_events([done])
            return out

    results = await within(asyncio.gather(read(), write()))
    np.testing.assert_array_equal(results[0], host)


async def test_raw_addresses_are_accepted_and_pyopencl_events_come_back(context):
    r = resource.Resource(None)
    a, b = r.acquire(), r.acquire()
    event = completed_user_event(context)
    await a.wait()
    a.ready([ordo.UncheckedEvent(event.int_ptr)])
    events = await within(b.wait())
    assert [type(e) for e in events] == [cl.Event]
    assert events[0].int_ptr == event.int_ptr
    b.ready(events)


async def test_the_next_holder_gets_the_very_event_objects(context):
    r = resource.Resource(None)
    a, b, c = r.acquire(), r.acquire(), r.acquire()
    handed = [completed_user_event(context), completed_user_event(context)]
    a.ready(handed)
    got = await within(b.wait())
    assert got == handed and all(x is y for x, y in zip(got, handed))
    b.ready([ordo.UncheckedEvent(handed[0].int_ptr)])  # c gets a new object for it
    (again,) = await within(c.wait())
    assert again is not handed[0] and again.int_ptr == handed[0].int_ptr
    c.ready()


class KatsdpsigprocStyleEvent:
    """What katsdpsigproc.opencl.Event looks like: a wrapper of a pyopencl.Event."""

    def __init__(self, pyopencl_event):
        self._pyopencl_event = pyopencl_event


async def test_katsdpsigproc_style_events_pass_through(context, queue):
    r = resource.Resource(None)
    a, b = r.acquire(), r.acquire()
    marker = KatsdpsigprocStyleEvent(cl.enqueue_marker(queue))
    a.ready([marker])
    (got,) = await within(b.wait())
    assert got is marker
    await within(b.wait_events())  # its cl_event is waited for through the wrapper
    assert marker._pyopencl_event.command_execution_status == \
        cl.command_execution_status.COMPLETE
    b.ready([got])


async def test_ready_retains_events_and_every_reference_comes_back(context):
    event = user_event(context)
    assert event.reference_count == 1
    r = resource.Resource(None)
    a, b, c = r.acquire(), r.acquire(), r.acquire()
    a.ready([event])  # before its own grant: legal
    assert event.reference_count > 1, "ready() did not retain the event"
    events = await within(b.wait())
    assert [e.int_ptr for e in events] == [event.int_ptr]
    b.ready(events)  # passed on to c
    assert [e.int_ptr for e in await within(c.wait())] == [event.int_ptr]
    c.ready()
    complete(event)
    del a, b, c, r, events
    gc.collect()
    assert reference_count_returns_to(event, 1)


async def test_release_before_grant_hands_on_the_predecessors_events(context):
    first, second = completed_user_event(context), completed_user_event(context)
    r = resource.Resource(None)
    a, b, c = r.acquire(), r.acquire(), r.acquire()
    b.ready([second])  # b never waited: c must wait for a's events too
    a.ready([first])
    events = await within(c.wait())
    assert sorted(e.int_ptr for e in events) == sorted([first.int_ptr, second.int_ptr])
    c.ready()


async def test_wait_events_waits_for_the_events_on_the_host(context):
    r = resource.Resource(None)
    a, b = r.acquire(), r.acquire()
    event = user_event(context)
    a.ready([event])
    waiter = asyncio.create_task(b.wait_events())
    await spin()
    assert not waiter.done(), "wait_events returned before the event completed"
    assert b.wait().done(), "the grant itself should have arrived"
    complete(event)
    await within(waiter)
    b.ready()


async def test_ready_without_events_and_twice(context):
    r = resource.Resource(None)
    a, b = r.acquire(), r.acquire()
    await a.wait()
    a.ready()
    with pytest.raises(asyncio.InvalidStateError) as info:
        a.ready()
    assert isinstance(info.value, ordo.InvalidStateError)
    assert info.value.name == "ORDO_ERROR_INVALID_STATE"
    assert "already released" in info.value.message
    assert await within(b.wait()) == []
    b.ready(None)


async def test_wait_after_ready_raises_the_library_error():
    r = resource.Resource(None)
    a = r.acquire()
    a.ready()
    with pytest.raises(ordo.InvalidStateError, match="already released"):
        a.wait()


class _HasIntPtr:
    int_ptr = 1  # an address nothing holds: it must never reach the library


async def test_anything_but_an_event_holding_a_reference_is_refused():
    r = resource.Resource(None)
    a = r.acquire()
    for bad in (1, 0, ctypes.c_void_p(1), _HasIntPtr(), "not an event", None):
        with pytest.raises(TypeError, match="ordo.UncheckedEvent"):
            a.ready([bad])
    with pytest.raises(TypeError, match="positive int"):
        ordo.UncheckedEvent(0)
    released = ordo.ClEvent.__new__(ordo.ClEvent)
    released.int_ptr = None
    with pytest.raises(ValueError, match="released"):
        a.ready([released])
    a.ready()  # nothing changed: the first release still works


async def test_context_managers_give_the_value():
    value = object()
    r = resource.Resource(value)
    a, b = r.acquire(), r.acquire()
    assert a.value is value and r.value is value
    with a as got:
        assert got is value
        a.ready()
    async with b as got:
        assert got is value
        b.ready()


@pytest.mark.parametrize("use_async_with", [False, True])
async def test_leaving_the_block_without_ready_warns_and_releases(caplog, context,
                                                                 use_async_with):
    r = resource.Resource(None)
    a, b = r.acquire(), r.acquire()
    with caplog.at_level(logging.WARNING, logger="ordo.resource"):
        if use_async_with:
            async with a:
                await a.wait()
        else:
            with a:
                await a.wait()
    assert [(rec.name, rec.levelno, rec.getMessage()) for rec in caplog.records] == [
        ("ordo.resource", logging.WARNING, NOT_READY)]
    assert await within(b.wait()) == []
    with pytest.raises(asyncio.InvalidStateError):
        a.ready()  # the block released it
    b.ready()


async def test_no_warning_when_ready_was_called(caplog):
    r = resource.Resource(None)
    a = r.acquire()
    with caplog.at_level(logging.WARNING, logger="ordo.resource"):
        with a:
            await a.wait()
            a.ready()
    assert caplog.records == []


class Boom(Exception):
    pass


@pytest.mark.parametrize("use_async_with", [False, True])
async def test_an_exception_in_the_block_fails_the_successors(use_async_with):
    r = resource.Resource(None)
    a, b, c = r.acquire(), r.acquire(), r.acquire()
    error = Boom("chunk 0 broke")
    with pytest.raises(Boom):
        if use_async_with:
            async with a:
                raise error
        else:
            with a:
                raise error
    # The successor sees the very exception (as with katsdpsigproc), and
    # passes it on by letting it leave its own block.
    with pytest.raises(Boom) as seen:
        with b:
            await within(b.wait())
    assert seen.value is error
    with pytest.raises(Boom) as seen:
        await within(c.wait())
    assert seen.value is error
    c.ready()  # recovers: the chain goes on
    d = r.acquire()
    assert await within(d.wait()) == []
    d.ready()


async def test_a_failure_from_outside_python_becomes_an_ordo_error():
    r = resource.Resource(None)
    a, b = r.acquire(), r.acquire()
    _capi.ordo_ticket_fail(_capi.ordo_ticket(a._ticket_handle), _capi.ERROR_FAILED,
                           b"failed from C")
    with pytest.raises(ordo.FailedError) as info:
        await within(b.wait())
    assert info.value.status == _capi.ERROR_FAILED
    assert info.value.message == "failed from C"
    assert str(info.value) == "ORDO_ERROR_FAILED: failed from C"
    b.ready()


async def test_a_cancelled_wait_keeps_the_allocations_place(context):
    r = resource.Resource(None)
    a, b, c = r.acquire(), r.acquire(), r.acquire()
    first_wait = asyncio.create_task(b.wait_events())
    await spin()
    first_wait.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first_wait
    a.ready([completed_user_event(context)])
    c_grant = c.wait()
    await spin()
    assert not c_grant.done(), "c was granted although b, before it, was never released"
    events = await within(b.wait())  # b still holds its place
    assert len(events) == 1
    b.ready()
    assert await within(c_grant) == []
    c.ready()


async def test_a_wait_that_times_out_keeps_the_place():
    r = resource.Resource(None)
    a, b = r.acquire(), r.acquire()
    loop = asyncio.get_running_loop()
    with pytest.raises(asyncio.TimeoutError):
        await resource.wait_until(b.wait(), loop.time() + 0.05)
    assert b.wait().cancelled() is False  # a fresh future after the cancelled one
    a.ready()
    assert await within(b.wait()) == []
    b.ready()


async def test_a_dropped_allocation_is_released_with_a_warning(caplog):
    r = resource.Resource(None)
    a, b = r.acquire(), r.acquire()
    with caplog.at_level(logging.WARNING, logger="ordo.resource"):
        del a
        gc.collect()
    assert [rec.getMessage() for rec in caplog.records] == [
        "Resource allocation was garbage-collected without being made ready"]
    assert await within(b.wait()) == []
    b.ready()


async def test_the_resource_may_go_before_its_allocations():
    r = resource.Resource("v")
    a, b = r.acquire(), r.acquire()
    del r
    gc.collect()
    a.ready()
    assert await within(b.wait()) == []
    b.ready()


def test_the_value_lives_as_long_as_the_library_may_return_it():
    class Value:
        pass

    value = Value()
    alive = weakref.ref(value)
    r = resource.Resource(value)
    allocation = r.acquire()
    del value, r
    gc.collect()
    assert alive() is not None, "the value died while an allocation could still return it"
    address = ctypes.c_void_p()
    _capi.ordo_ticket_value(_capi.ordo_ticket(allocation._ticket_handle), ctypes.byref(address))
    assert address.value == id(alive())
    assert ctypes.cast(address, ctypes.py_object).value is alive()
    allocation.ready()
    del allocation
    gc.collect()
    assert alive() is None, "the value outlived every handle"


def test_a_loop_that_closes_with_waits_pending_leaks_nothing(context):
    event = completed_user_event(context)
    r = resource.Resource(None)
    a, b = r.acquire(), r.acquire()
    pending_before, fds_before = _bridge.pending(), _open_fds()
    loop = asyncio.new_event_loop()
    loop_fds = _open_fds() - fds_before

    never_set = user_event(context)

    async def start_waiting(allocation):
        return (allocation.wait(),
                asyncio.ensure_future(resource.async_wait_for_events([never_set])))

    grant, event_wait = loop.run_until_complete(start_waiting(b))
    assert _bridge.pending() == pending_before + 2
    assert _open_fds() == fds_before + loop_fds + 1  # one descriptor for the loop's waits
    loop.close()
    a.ready([event])  # the grant comes after its loop closed
    assert not grant.done()
    del grant, event_wait, b, loop
    gc.collect()
    assert _bridge.pending() == pending_before
    assert reference_count_returns_to(never_set, 1)  # the abandoned wait was cancelled
    complete(never_set)
    assert eventually(lambda: _open_fds() == fds_before)
    del a, r
    gc.collect()
    assert reference_count_returns_to(event, 1)


async def test_grants_released_from_another_thread_reach_the_loop(context):
    r = resource.Resource(None)
    allocations = [r.acquire() for _ in range(20)]
    grants = [a.wait() for a in allocations[1:]]

    def other_thread():
        for a in allocations:
            # the library calls back on this thread; the loop is woken
            a.ready([completed_user_event(context)])

    thread = threading.Thread(target=other_thread)
    thread.start()
    results = await within(asyncio.gather(*grants))
    thread.join()
    assert all(len(events) == 1 for events in results)


def _native_threads():
    return len(os.listdir("/proc/self/task"))


def _open_fds():
    return len(os.listdir("/proc/self/fd"))


async def test_many_waiters_need_no_thread_each(context):
    waiters = 300
    pairs = []
    for _ in range(waiters):
        r = resource.Resource(None)
        pairs.append((r.acquire(), r.acquire()))
    events = [user_event(context) for _ in range(waiters)]
    # Warm the library's service thread and OpenCL's threads up first.
    await within(resource.async_wait_for_events([completed_user_event(context)]))
    threads_before = _native_threads()
    for (first, _), event in zip(pairs, events):
        first.ready([event])
    tasks = [asyncio.create_task(second.wait_events()) for _, second in pairs]
    await spin()
    assert _bridge.pending() == waiters  # every host wait is registered, none done
    assert not any(t.done() for t in tasks)
    threads_during = _native_threads()
    for e in events:
        complete(e)
    await within(asyncio.gather(*tasks))
    for _, second in pairs:
        second.ready()
    assert _bridge.pending() == 0
    assert threads_during - threads_before < 4, \
        f"{threads_during - threads_before} threads appeared for {waiters} waits"
