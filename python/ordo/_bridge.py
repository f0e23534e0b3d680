"""Library futures as asyncio futures: one completion queue per event loop,
no thread per wait, and no Python code on foreign threads.

A library future that is already complete is delivered at once (one poll).
One that is pending is posted, with a tag, to its loop's completion queue
(``ordo_completion_queue``, through ordo._native): one descriptor per loop,
watched with ``loop.add_reader``, however many waits are pending. When it is
readable, the loop's own thread reads the whole batch of completions and
delivers each to its waiter, which reads the outcome (retaining the events
for PyOpenCL) and destroys its handle. The library's threads, and OpenCL's,
only make the descriptor readable.

Why not ``ordo_future_on_complete`` with a ctypes callback: such a callback
takes the GIL on whichever thread completes the future, often an OpenCL
runtime thread, and while the interpreter finalizes CPython ends any other
thread that tries to take the GIL with ``pthread_exit``, whose forced unwind
through the library's noexcept frames calls ``std::terminate``. Why not a
descriptor per wait (``ordo_future_fd``): a thousand pending waits would
need a thousand descriptors.

Lifetimes: a waiter owns its library future handle until the outcome is
delivered, or until the asyncio future is cancelled (an event wait is then
cancelled in the library too; a ticket's grant never is: the allocation
keeps its place); the queue's own reference to the future lasts until its
completion is read, or until the queue goes with its loop.
"""

import asyncio
import weakref

from . import _capi

_live = set()  # ids of the waiters that hold a library handle
# loop -> weak reference to its _LoopQueue. A queue is held by its loop's
# reader (so pending waits live as long as the open loop) and by its
# waiters; once the loop closes (dropping its readers), a queue whose
# futures nobody holds any more is collected with them.
_queues = weakref.WeakKeyDictionary()


def get_loop(loop=None):
    """The given loop, else the running loop, else the thread's current loop."""
    if loop is not None:
        return loop
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.get_event_loop()


class _LoopQueue:
    """A loop's completion queue and the waiters of its pending posts."""

    __slots__ = ("loop", "queue", "waiters", "next_tag", "__weakref__")

    def __init__(self, loop):
        self.loop = weakref.ref(loop)  # the loop owns this (through _queues), not the reverse
        self.queue = _capi.native.CompletionQueue()
        self.waiters = {}  # tag -> _Waiter
        self.next_tag = 1
        loop.add_reader(self.queue.fd, self.drain)

    def post(self, waiter):
        tag = self.next_tag
        self.next_tag += 1
        self.queue.post(waiter.handle.value, tag)
        self.waiters[tag] = waiter
        return tag

    def drain(self):
        """On the loop's thread: every completion queued, in one batch."""
        for tag, status in self.queue.read():
            waiter = self.waiters.pop(tag, None)
            if waiter is not None:  # None: its asyncio future was cancelled
                waiter.deliver(status)


def _queue_of(loop):
    ref = _queues.get(loop)
    q = ref() if ref is not None else None
    if q is None:
        q = _LoopQueue(loop)
        _queues[loop] = weakref.ref(q)
    return q


class _Waiter:
    __slots__ = ("queue", "tag", "future", "handle", "convert", "cancel_with_future", "timer")

    def __init__(self, future, handle, convert, cancel_with_future):
        self.queue = None
        self.tag = None
        self.future = future
        self.handle = handle
        self.convert = convert
        self.cancel_with_future = cancel_with_future
        self.timer = None
        _live.add(id(self))

    def close(self, abandon=False):
        """Destroys the handle (idempotent). With abandon, nobody will see the
        outcome: an event wait is cancelled in the library too, so that it
        drops its events at once."""
        handle, self.handle = self.handle, None
        if handle is None:
            return
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.queue is not None:
            self.queue.waiters.pop(self.tag, None)
        try:
            if abandon and self.cancel_with_future:
                _capi.ordo_future_cancel(handle)  # ORDO_ERROR_INVALID_STATE if complete
        finally:
            _live.discard(id(self))
            _capi.ordo_future_destroy(handle)

    def deliver(self, status):
        """On the loop's thread: the library future completed with status."""
        if self.handle is None:
            return
        try:
            if not self.future.done():
                try:
                    result = self.convert(self.handle, status)
                except BaseException as exc:  # the converted failure
                    self.future.set_exception(exc)
                else:
                    self.future.set_result(result)
        finally:
            self.close()

    def on_asyncio_done(self, future):
        if future.cancelled():
            self.close(abandon=True)

    def __del__(self):
        # Reached with a handle only once its loop (and the loop's queue)
        # went away while the library future was still pending.
        try:
            self.close(abandon=True)
        except Exception:
            pass


def watch(handle, convert, loop=None, cancel_with_future=False, warn_after=None, warn=None):
    """An asyncio future for a library future.

    Takes over ``handle`` (an ``ordo_future``). When the library future
    completes, ``convert(handle, status)`` runs on the loop's thread and its
    return value (or the exception it raises) becomes the asyncio future's
    result. With ``cancel_with_future``, cancelling the asyncio future also
    cancels the library future; in every case it stops the watch. With
    ``warn_after`` (seconds) and ``warn``, ``warn()`` runs on the loop if the
    wait lasts that long.
    """
    loop = get_loop(loop)
    future = loop.create_future()
    waiter = _Waiter(future, handle, convert, cancel_with_future)
    try:
        status = _capi.ordo_future_poll(handle)
        if status != _capi.PENDING:
            # Complete already (a grant whose predecessor has released, events
            # that have finished): no post, no trip through the loop.
            waiter.deliver(status)
            return future
        queue = _queue_of(loop)
        waiter.queue = queue
        waiter.tag = queue.post(waiter)
        future.add_done_callback(waiter.on_asyncio_done)
        if warn_after is not None and warn is not None:
            waiter.timer = loop.call_later(warn_after, warn)
    except BaseException:
        waiter.close()
        raise
    return future


def pending():
    """How many library futures are being watched (for tests: leaks)."""
    return len(_live)


def descriptors():
    """How many completion queues (one descriptor each) the binding holds."""
    return sum(1 for ref in _queues.values() if ref() is not None)
