"""Helpers for the binding's tests."""
import time

import pyopencl as cl


def eventually(predicate, timeout=10.0):
    """Polls predicate until it holds or the (generous) deadline passes."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


def completed_user_event(context):
    event = cl.UserEvent(context)
    event.set_status(cl.command_execution_status.COMPLETE)
    return event


def user_event(context):
    return cl.UserEvent(context)


def complete(event):
    event.set_status(cl.command_execution_status.COMPLETE)


async def spin(times=50):
    """Lets the event loop run its ready callbacks a number of times: enough
    for anything already delivered to be seen (for checks that something has
    NOT happened, which the library's order guarantees)."""
    import asyncio
    for _ in range(times):
        await asyncio.sleep(0)


async def within(awaitable, seconds=20.0):
    """Awaits with a generous limit, so that a bug fails the test instead of
    hanging the suite."""
    import asyncio
    return await asyncio.wait_for(awaitable, seconds)


def reference_count_returns_to(event, expected, timeout=10.0):
    """True once the event's reference count is back to expected after ordo
    dropped its references (the library releases some on its service thread);
    False if it goes below (a reference released twice) or stays above."""
    import ordo
    ordo.flush_releases()
    deadline = time.monotonic() + timeout
    while True:
        count = event.reference_count
        if count == expected:
            return True
        if count < expected or time.monotonic() > deadline:
            return False
        time.sleep(0.001)
