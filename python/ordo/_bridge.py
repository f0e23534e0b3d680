"""Library futures as asyncio futures, with no thread per wait and no Python
code on foreign threads.

A library future that is already complete is delivered at once (one poll).
For one that is pending, the binding asks the library for its pollable
descriptor (``ordo_future_fd``: an eventfd that the completing thread makes
readable) and watches it with ``loop.add_reader``; when it becomes readable
the loop's own thread reads the outcome, retains the events for PyOpenCL and
destroys the handle. The library's threads, and OpenCL's, never enter Python.

Why not ``ordo_future_on_complete`` with a ctypes callback: such a callback
takes the GIL on whichever thread completes the future, often an OpenCL
runtime thread. While the interpreter finalizes, CPython ends any other
thread that tries to take the GIL with ``pthread_exit``; its forced unwind
through the library's noexcept C++ frames calls ``std::terminate``, so a
program that exits while an event callback is in flight aborts (seen on
POCL). A descriptor has no such window.

Lifetimes: a waiter owns its library future handle and its reader. Both go
once the outcome is delivered, or when the asyncio future is cancelled (an
event wait is then cancelled in the library too; a ticket's grant never is:
the allocation keeps its place), or when the waiter is collected after its
loop has closed. Each pending wait holds one descriptor until then.
"""

import asyncio
import ctypes

from . import _capi

_live = set()  # ids of the waiters that hold a library handle


def get_loop(loop=None):
    """The given loop, else the running loop, else the thread's current loop."""
    if loop is not None:
        return loop
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.get_event_loop()


class _Waiter:
    __slots__ = ("loop", "future", "handle", "fd", "convert", "cancel_with_future")

    def __init__(self, loop, future, handle, convert, cancel_with_future):
        self.loop = loop
        self.future = future
        self.handle = handle
        self.fd = None
        self.convert = convert
        self.cancel_with_future = cancel_with_future
        _live.add(id(self))

    def close(self, abandon=False):
        """Stops watching and destroys the handle (idempotent). With abandon,
        nobody will see the outcome: an event wait is cancelled in the library
        too, so that it drops its events at once."""
        handle, self.handle = self.handle, None
        if handle is None:
            return
        fd, self.fd = self.fd, None
        try:
            if fd is not None:
                # Before the handle goes: the descriptor lives as long as it.
                self.loop.remove_reader(fd)
            if abandon and self.cancel_with_future:
                _capi.ordo_future_cancel(handle)  # ORDO_ERROR_INVALID_STATE if complete
        finally:
            _live.discard(id(self))
            _capi.ordo_future_destroy(handle)

    def deliver(self):
        """On the loop's thread: the library future may have completed."""
        if self.handle is None:
            return
        status = _capi.ordo_future_poll(self.handle)
        if status == _capi.PENDING:
            return  # (the descriptor is written only at completion)
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
        # Reached with a handle only once the loop has closed and dropped
        # its reader while the library future was still pending.
        try:
            self.close(abandon=True)
        except Exception:
            pass


def watch(handle, convert, loop=None, cancel_with_future=False):
    """An asyncio future for a library future.

    Takes over ``handle`` (an ``ordo_future``). When the library future
    completes, ``convert(handle, status)`` runs on the loop's thread and its
    return value (or the exception it raises) becomes the asyncio future's
    result. With ``cancel_with_future``, cancelling the asyncio future also
    cancels the library future; in every case it stops the watch.
    """
    loop = get_loop(loop)
    future = loop.create_future()
    waiter = _Waiter(loop, future, handle, convert, cancel_with_future)
    try:
        if _capi.ordo_future_poll(handle) != _capi.PENDING:
            # Complete already (a grant whose predecessor has released, events
            # that have finished): no descriptor, no trip through the loop.
            waiter.deliver()
            return future
        fd = ctypes.c_int()
        _capi.ordo_future_fd(handle, ctypes.byref(fd))
        loop.add_reader(fd.value, waiter.deliver)
        waiter.fd = fd.value
        future.add_done_callback(waiter.on_asyncio_done)
    except BaseException:
        waiter.close()
        raise
    return future


def pending():
    """How many library futures are being watched (for tests: leaks)."""
    return len(_live)
