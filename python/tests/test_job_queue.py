"""JobQueue: add, clean, finish, len, bool, in."""
import asyncio
import ctypes

import pytest

from ordo import _capi, resource
from support import spin, within


def library_size(queue):
    size = ctypes.c_size_t()
    _capi.ordo_job_queue_size(queue._queue, ctypes.byref(size))
    return size.value


def library_backlog(queue):
    backlog = ctypes.c_size_t()
    _capi.ordo_job_queue_backlog(queue._queue, ctypes.byref(backlog))
    return backlog.value


async def test_add_len_bool_in():
    loop = asyncio.get_running_loop()
    jobs = resource.JobQueue()
    assert len(jobs) == 0 and not jobs
    first, second = loop.create_future(), loop.create_future()
    jobs.add(first)
    jobs.add(second)
    assert len(jobs) == 2 and jobs
    assert first in jobs and second in jobs
    assert loop.create_future() not in jobs
    assert library_backlog(jobs) == 2
    first.set_result(None)
    second.set_result(None)
    jobs.clean()
    assert len(jobs) == 0 and not jobs and first not in jobs


async def test_a_coroutine_becomes_a_task():
    jobs = resource.JobQueue()
    ran = []

    async def job():
        ran.append(True)
        return 7

    coroutine = job()
    jobs.add(coroutine)
    assert len(jobs) == 1 and coroutine not in jobs
    await within(jobs.finish())
    assert ran == [True] and len(jobs) == 0


async def test_clean_removes_completed_jobs_from_the_front_only():
    loop = asyncio.get_running_loop()
    jobs = resource.JobQueue()
    futures = [loop.create_future() for _ in range(4)]
    for f in futures:
        jobs.add(f)
    futures[1].set_result(None)
    jobs.clean()
    assert len(jobs) == 4, "clean removed a job behind a pending one"
    futures[0].set_result(None)
    jobs.clean()
    assert len(jobs) == 2 and futures[2] in jobs and futures[0] not in jobs
    assert library_size(jobs) == 2
    for f in futures[2:]:
        f.set_result(None)
    jobs.clean()
    assert not jobs


async def test_clean_raises_the_first_failure_and_keeps_the_rest():
    loop = asyncio.get_running_loop()
    jobs = resource.JobQueue()
    futures = [loop.create_future() for _ in range(4)]
    for f in futures:
        jobs.add(f)
    futures[0].set_result(None)
    futures[1].set_exception(KeyError("job 1"))
    futures[2].set_exception(ValueError("job 2"))
    with pytest.raises(KeyError):
        jobs.clean()
    assert len(jobs) == 2 and futures[2] in jobs
    with pytest.raises(ValueError):
        jobs.clean()
    assert len(jobs) == 1 and futures[3] in jobs
    jobs.clean()  # the pending one stays
    assert len(jobs) == 1
    futures[3].set_result(None)
    jobs.clean()
    assert not jobs


async def test_finish_waits_until_at_most_max_remaining():
    loop = asyncio.get_running_loop()
    jobs = resource.JobQueue()
    futures = [loop.create_future() for _ in range(5)]
    for f in futures:
        jobs.add(f)
    finisher = asyncio.create_task(jobs.finish(max_remaining=2))
    await spin()
    assert not finisher.done()
    futures[2].set_result(None)  # not at the front: finish still waits
    await spin()
    assert not finisher.done() and len(jobs) == 5
    futures[0].set_result(None)
    futures[1].set_result(None)
    await within(finisher)
    assert len(jobs) == 2 and futures[3] in jobs and futures[4] in jobs
    futures[3].set_result(None)
    futures[4].set_result(None)
    await within(jobs.finish())
    assert not jobs and library_size(jobs) == 0 and library_backlog(jobs) == 0


async def test_finish_raises_a_failed_job_and_removes_it():
    jobs = resource.JobQueue()

    async def broken():
        await asyncio.sleep(0)
        raise RuntimeError("job failed")

    async def fine():
        return 1

    jobs.add(broken())
    jobs.add(fine())
    with pytest.raises(RuntimeError, match="job failed"):
        await within(jobs.finish())
    assert len(jobs) == 1
    await within(jobs.finish())
    assert not jobs


async def test_cancelling_finish_cancels_the_job_it_waited_for():
    loop = asyncio.get_running_loop()
    jobs = resource.JobQueue()
    first, second = loop.create_future(), loop.create_future()
    jobs.add(first)
    jobs.add(second)
    finisher = asyncio.create_task(jobs.finish())
    await spin()
    finisher.cancel()
    with pytest.raises(asyncio.CancelledError):
        await finisher
    assert first.cancelled()
    second.set_result(None)
    jobs.clean()  # the cancelled job goes without raising
    assert not jobs


async def test_jobs_can_be_allocation_waits(context):
    r = resource.Resource(None)
    a, b = r.acquire(), r.acquire()
    jobs = resource.JobQueue()
    jobs.add(b.wait())
    await spin()
    assert len(jobs) == 1
    a.ready()
    await within(jobs.finish())
    assert not jobs
    b.ready()
