"""cl_events between Python and the library.

Going in, an event must be an object that holds a reference to its
cl_event, so that a stale address can never reach the library: a
``pyopencl.Event`` (any subclass), a ``katsdpsigproc.opencl.Event`` (which
wraps one), or an :class:`ordo.ClEvent`. A bare address is accepted only
wrapped in :class:`ordo.UncheckedEvent`, whose name says what it is; any
other object (an int, a ctypes pointer, an object that merely has an
``int_ptr``) raises ``TypeError``. The library retains what it keeps, so
the caller's objects need not outlive the call.

Coming out (see ``Resource._events_out``), a holder gets back the very event
objects its predecessor handed over, as with katsdpsigproc, where those hold
their own reference; any other address becomes a ``pyopencl.Event`` holding
its own reference (``Event.from_int_ptr(address, retain=True)``), which stays
valid after the library has let go of its own and which PyOpenCL accepts in
``wait_for=``; without PyOpenCL, a :class:`ClEvent`, which holds a reference
the same way and exposes ``int_ptr``.
"""

import ctypes
import sys

from . import _capi

_make = None


class ClEvent:
    """A reference to a cl_event, for programs that do not use PyOpenCL.

    It retains the event when created and releases it when collected (or on
    :meth:`release`); ``int_ptr`` is the cl_event's address.
    """

    def __init__(self, address):
        err = _capi.opencl().clRetainEvent(ctypes.c_void_p(address))
        if err != 0:
            raise ValueError(f"clRetainEvent failed with OpenCL status {err}")
        self.int_ptr = address

    def release(self):
        """Drops the reference now (idempotent)."""
        address, self.int_ptr = self.int_ptr, None
        if address:
            _capi.opencl().clReleaseEvent(ctypes.c_void_p(address))

    def __del__(self):
        try:
            self.release()
        except Exception:  # interpreter shutdown: the loader may be gone
            pass

    def __repr__(self):
        return f"<ordo.ClEvent {self.int_ptr:#x}>" if self.int_ptr else "<ordo.ClEvent released>"


def _factory():
    global _make
    if _make is None:
        try:
            import pyopencl
        except ImportError:
            _make = ClEvent
        else:
            def _make(address):
                return pyopencl.Event.from_int_ptr(address, retain=True)
    return _make


class UncheckedEvent:
    """A bare cl_event address, for events that no Python object holds (from
    another binding, or from C). Nothing checks it: the address must name a
    live cl_event for as long as the call that takes it runs (the library
    retains what it keeps). Prefer a ``pyopencl.Event`` or an
    :class:`ClEvent`, which hold their own reference."""

    __slots__ = ("int_ptr",)

    def __init__(self, address):
        if isinstance(address, bool) or not isinstance(address, int) or address <= 0:
            raise TypeError(f"UncheckedEvent takes a cl_event address (a positive int), "
                            f"not {address!r}")
        self.int_ptr = address

    def __repr__(self):
        return f"<ordo.UncheckedEvent {self.int_ptr:#x}>"


def _pyopencl_event_type():
    pyopencl = sys.modules.get("pyopencl")
    return None if pyopencl is None else pyopencl.Event


def _one(event):
    if isinstance(event, ClEvent):
        if event.int_ptr is None:
            raise ValueError("the ordo.ClEvent was released")
        return event.int_ptr, event
    if isinstance(event, UncheckedEvent):
        return event.int_ptr, None
    cl_type = _pyopencl_event_type()
    if cl_type is not None:
        if isinstance(event, cl_type):
            return event.int_ptr, event
        inner = getattr(event, "_pyopencl_event", None)  # katsdpsigproc.opencl.Event
        if isinstance(inner, cl_type):
            return inner.int_ptr, event
    raise TypeError("an event must be a pyopencl.Event, a katsdpsigproc.opencl.Event or an "
                    "ordo.ClEvent (objects that hold a reference to their cl_event), or a bare "
                    f"address wrapped in ordo.UncheckedEvent; not {type(event).__name__}")


def unpack(events):
    """[(address, object)] for an iterable of events (None: no events).

    The object is the event itself where it holds a reference to its
    cl_event (so it can be handed to the next holder as it is), else None.
    """
    if events is None:
        return []
    return [_one(event) for event in events]


def addresses(events):
    """The cl_event addresses of an iterable of events (None: no events)."""
    return [address for address, _ in unpack(events)]


def wrap(pointers):
    """Python event objects, each with its own reference, for borrowed addresses."""
    if not pointers:
        return []
    make = _factory()
    return [make(p) for p in pointers]
