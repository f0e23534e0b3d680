"""The asyncio API of ``katsdpsigproc.resource``, on top of libordo.

A program written against ``katsdpsigproc.resource`` switches by changing its
import (``from ordo import resource``). The names, arguments and behaviour are
the same:

- :class:`Resource` ``(value)``; :meth:`Resource.acquire` takes the next place
  in the resource's queue at once and returns a :class:`ResourceAllocation`.
  Allocations are granted strictly in the order of the ``acquire`` calls,
  whatever order their holders start waiting in.
- :meth:`ResourceAllocation.wait` returns a future of the events that the
  previous holder handed over; :meth:`~ResourceAllocation.wait_events` also
  waits until they are complete; :meth:`~ResourceAllocation.ready` hands the
  resource on, with the events of the work this holder enqueued. Used as a
  context manager (``with`` or ``async with``), an allocation gives the
  resource's value; an exception that leaves the block fails the allocation,
  so the next holders' ``wait()`` raise that exception; leaving the block
  without ``ready`` logs "Resource allocation was not explicitly made ready"
  on this module's logger and releases it with no events.
- :class:`JobQueue`, :func:`async_wait_for_events` and :func:`wait_until`.

What the library adds: the order and the hand-over of events live in
libordo, the core that the C and C++ APIs use too; no thread waits
for device events (the library's pollable descriptors wake the event loop,
and no library or OpenCL thread ever runs Python code); the events
a holder hands over are retained by the library until nothing can return
them; a dropped allocation is released instead of blocking its successors
for ever (with a warning on this module's logger); cancelling a wait never
costs an allocation its place.

Events must hold a reference to their cl_event: ``pyopencl.Event`` objects,
``katsdpsigproc.opencl.Event`` objects or :class:`ordo.ClEvent`; a bare
address only wrapped in :class:`ordo.UncheckedEvent`; anything else raises
``TypeError``. ``wait()`` hands back the very event objects the previous
holder passed to ``ready()``, as katsdpsigproc does; other events come back
as ``pyopencl.Event`` objects holding their own reference (or
:class:`ordo.ClEvent` without PyOpenCL), ready for ``wait_for=``.

:class:`Resource` and :class:`ResourceAllocation` are generic in the type
of the value (``Resource[Buffer]``, ``ResourceAllocation[int]``).
"""

import asyncio
import collections
import ctypes
import logging
import threading
import typing

from . import _bridge, _capi, _events, diagnostics, errors

_logger = logging.getLogger(__name__)

_NOT_READY = "Resource allocation was not explicitly made ready"
_DROPPED = "Resource allocation was garbage-collected without being made ready"

# How many exceptions a resource remembers, so that its successors raise the
# very exception a holder failed with; an older failure reaches them as an
# ordo.FailedError carrying its message.
_FAILURES_KEPT = 64
_USER_STATUSES = 1 << 20
# How many handed-over event objects a resource remembers for the next
# holder (the ones not yet collected by it); beyond that, the next holder
# gets new pyopencl.Event objects for the same cl_events.
_EVENTS_KEPT = 256


def _message_of(exc):
    text = str(exc)
    name = type(exc).__name__
    return (f"{name}: {text}" if text else name).replace("\0", "\\0")


async def async_wait_for_events(events, loop=None):
    """Wait until every event is complete (a coroutine).

    No thread waits: the library registers OpenCL callbacks, and its
    descriptor wakes the event loop. Raises :class:`ordo.EventFailedError` (with ``cl_status``) if
    an event ends with a negative execution status. Cancelling the coroutine
    cancels the library's wait and drops its references to the events.
    """
    pointers = _events.addresses(events)
    if not pointers:
        return
    status, handle = _capi.native.events_wait(pointers)
    if status == _capi.OK:
        return  # complete already: no future, no trip through the loop
    await _bridge.watch(_capi.ordo_future(handle), _event_wait_result, loop,
                        cancel_with_future=True)


def _event_wait_result(handle, status):
    if status != _capi.OK:
        raise _capi.future_failure(handle)[2]
    return None


async def wait_until(future, when, loop=None):
    """Like :func:`asyncio.wait_for`, but with an absolute deadline ``when``
    on the loop's clock (``loop.time()``).

    Returns the result of ``future`` (an awaitable) if it completes first;
    otherwise cancels it and raises :class:`asyncio.TimeoutError`.
    """
    loop = _bridge.get_loop(loop)
    inner = asyncio.ensure_future(future, loop=loop)
    woken = loop.create_future()

    def wake(*_):
        if not woken.done():
            woken.set_result(None)

    timer = loop.call_at(when, wake)
    inner.add_done_callback(wake)
    try:
        await woken
    finally:
        timer.cancel()
        inner.remove_done_callback(wake)
    if inner.done():
        return inner.result()
    inner.cancel()
    raise asyncio.TimeoutError()


_T = typing.TypeVar("_T")


class PredecessorCancelledError(errors.OrdoCancelledError):
    """Raised to the successors of a holder whose task was cancelled while it
    held the allocation (inside ``with``): the successor was not cancelled
    itself, its predecessor was. ``__cause__`` is the predecessor's
    ``CancelledError``."""


#: What :meth:`Resource.acquire` returns: compiled (``ordo._native``), generic
#: in the type of the value (``ResourceAllocation[int]``; ``_native.pyi``
#: declares it to type checkers as ``typing.Generic``).
ResourceAllocation = _capi.native.ResourceAllocation
_capi.native.init_asyncio(asyncio.Future, asyncio.get_running_loop, _logger, _message_of)


class Resource(_capi.native.ResourceBase, typing.Generic[_T]):
    """A shared thing (a device buffer, a host buffer, a queue) and the queue
    of its allocations.

    Parameters
    ----------
    value : object
        What is shared; any Python object, kept alive while the resource or
        any of its allocations lives. It is available as ``value``.
    loop : asyncio.AbstractEventLoop, optional
        The event loop of the futures handed out; by default, the running
        loop at the time of each ``wait``.
    name : str, optional
        A name for the library's diagnostics (:meth:`dump`, log messages,
        traces).
    """

    def __init__(self, value: _T, loop: typing.Optional[asyncio.AbstractEventLoop] = None, *,
                 name: typing.Optional[str] = None) -> None:
        self.value = value
        self._loop = loop
        self._name = name
        self._failures = collections.OrderedDict()
        self._next_failure = 0
        self._handed = collections.OrderedDict()
        self._lock = threading.Lock()
        encoded = None if name is None else str(name).encode("utf-8", "replace")
        # The library holds the value's address; this object (and every
        # allocation, through it) holds the value.
        self._handle = _capi.new_handle(_capi.ordo_resource_create, _capi.ordo_resource,
                                        ctypes.c_void_p(id(value)), encoded)
        self._handle_value = self._handle.value

    def dump(self) -> str:
        """A readable account of this resource's queue (``ordo_diagnostics_dump``):
        each pending allocation, whether it holds or waits and since when,
        and its predecessor's events with their status. Allocations are
        listed when named (:meth:`ResourceAllocation.set_name`), or all of
        them with :func:`ordo.enable_diagnostics`."""
        return _capi.dump(self._handle)

    # -- what the compiled allocation calls back for -------------------------

    async def _wait_for_events(self, events):
        await async_wait_for_events(events, loop=self._loop)

    def _set_name(self, allocation, name):
        encoded = None if name is None else str(name).encode("utf-8", "replace")
        _capi.ordo_ticket_set_name(_capi.ordo_ticket(allocation._ticket_handle), encoded)

    def _fail(self, allocation, exc):
        status, message = self._remember_failure(exc)
        _capi.ordo_ticket_fail(_capi.ordo_ticket(allocation._ticket_handle), status,
                               message.encode("utf-8", "replace"))

    def _watch_grant(self, allocation):
        # After the release the library refuses (ordo.InvalidStateError).
        handle = _capi.new_handle(_capi.ordo_ticket_grant_future, _capi.ordo_future,
                                  _capi.ordo_ticket(allocation._ticket_handle))
        after = diagnostics.wait_warning_seconds()
        return _bridge.watch(handle, self._grant_result, self._loop,
                             warn_after=after, warn=self._warn_long_wait if after else None)

    def _warn_long_wait(self):
        after = diagnostics.wait_warning_seconds() or 0.0
        name = self._name if self._name is not None else "(unnamed)"
        _logger.warning("a holder has waited %.1f ms on resource %r:\n%s", after * 1e3, name,
                        self.dump())

    def _ready_with(self, allocation, events):
        given = _events.unpack(events)
        self._events_in(given)  # before the next holder can be granted
        try:
            allocation._ready([address for address, _ in given])
        except BaseException:
            self._events_forget(given)
            raise

    def _dropped(self):
        _logger.warning(_DROPPED)

    # -------------------------------------------------------------------------

    def _remember_failure(self, exc):
        self._next_failure = (self._next_failure + 1) % _USER_STATUSES
        status = _capi.STATUS_USER_BASE - 1 - self._next_failure
        message = _message_of(exc)
        self._failures[status] = (message, exc)
        self._failures.move_to_end(status)
        while len(self._failures) > _FAILURES_KEPT:
            self._failures.popitem(last=False)
        return status, message

    def _events_in(self, given):
        """Remembers the event objects a holder handed over (those that hold
        their own reference), so that the next holder gets them back as they
        are."""
        with self._lock:
            for address, event in given:
                if event is not None:
                    self._handed[address] = event
                    self._handed.move_to_end(address)
            while len(self._handed) > _EVENTS_KEPT:
                self._handed.popitem(last=False)

    def _events_forget(self, given):
        with self._lock:
            for address, event in given:
                if self._handed.get(address) is event:
                    del self._handed[address]

    def _events_out(self, addresses):
        """The event objects for the addresses of a grant: those handed over
        (then forgotten: only the next holder gets them), else new wrappers."""
        with self._lock:
            known = [self._handed.pop(address, None) for address in addresses]
        return [event if event is not None else _events.wrap([address])[0]
                for address, event in zip(addresses, known)]

    def _grant_result(self, handle, status):
        if status == _capi.OK:
            return self._events_out(_capi.future_events(handle))
        status, message, error = _capi.future_failure(handle)
        known = self._failures.get(status)
        if known is not None and known[0] == message:
            exc = known[1]
            if isinstance(exc, asyncio.CancelledError):
                raise PredecessorCancelledError(
                    status, "ORDO_ERROR_CANCELLED",
                    "the previous holder of the resource was cancelled") from exc
            raise exc
        raise error

    def __del__(self):
        handle = self.__dict__.get("_handle")
        if handle is not None:
            self._handle = None
            _capi.ordo_resource_destroy(handle)


class JobQueue:
    """The in-flight jobs of a pipeline, oldest first.

    The order and the count live in a library job queue; each job is an
    awaitable (a coroutine is wrapped in a task), mirrored there by a promise
    completed when it finishes.
    """

    def __init__(self):
        self._queue = _capi.new_handle(_capi.ordo_job_queue_create, _capi.ordo_job_queue, 0)
        self._queue_value = self._queue.value
        self._jobs = collections.deque()

    def add(self, job):
        """Append a job (a future or any awaitable; a coroutine becomes a task)."""
        future = asyncio.ensure_future(job)
        entry = _capi.native.Job(future, self._queue_value)
        self._jobs.append(entry)
        if future.done():
            entry.settle()  # at once, rather than through a callback the loop schedules
        else:
            future.add_done_callback(entry.settle)

    def _remove_front(self):
        entry = self._jobs[0]
        status = entry.remove_front(self._queue_value, len(self._jobs) - 1)
        if status == _capi.ERROR_TIMEOUT or status == _capi.ERROR_INVALID_HANDLE:
            raise _capi.last_error(status)
        self._jobs.popleft()
        entry.close()
        if not entry.silent:
            entry.future.result()  # raises the job's exception, if it failed

    def clean(self):
        """Remove the completed jobs at the front of the queue.

        If one of them failed, it is removed and its exception raised; the
        jobs after it stay.
        """
        while self._jobs and self._jobs[0].future.done():
            self._remove_front()

    async def finish(self, max_remaining=0):
        """Wait for jobs, oldest first, until at most ``max_remaining`` remain
        (a coroutine).

        A failed job is removed and its exception raised. Cancelling
        ``finish`` also cancels the job it was waiting for, whose outcome is
        then not reported.
        """
        while len(self._jobs) > max_remaining:
            entry = self._jobs[0]
            if not entry.future.done():
                # Wait for the job without taking its outcome (raised below,
                # once the job is removed from the queue).
                woken = asyncio.get_running_loop().create_future()

                def wake(_job, woken=woken):
                    if not woken.done():
                        woken.set_result(None)

                entry.future.add_done_callback(wake)
                try:
                    await woken
                except asyncio.CancelledError:
                    entry.future.remove_done_callback(wake)
                    entry.future.cancel()
                    entry.silent = True
                    raise
            if self._jobs and self._jobs[0] is entry:
                self._remove_front()

    def __len__(self):
        size = ctypes.c_size_t()
        _capi.ordo_job_queue_size(self._queue, ctypes.byref(size))
        return size.value

    def __bool__(self):
        return len(self) > 0

    def __contains__(self, item):
        for entry in self._jobs:
            if entry.future is item:
                found = ctypes.c_int()
                _capi.ordo_job_queue_contains(self._queue, _capi.ordo_future(entry.handle),
                                              ctypes.byref(found))
                return bool(found.value)
        return False

    def __del__(self):
        queue = self.__dict__.get("_queue")
        if queue is not None:
            self._queue = None
            _capi.ordo_job_queue_destroy(queue)


__all__ = ["wait_until", "async_wait_for_events", "Resource", "ResourceAllocation", "JobQueue",
           "PredecessorCancelledError"]
