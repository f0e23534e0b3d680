"""cl_events between Python and the library.

Going in, an event may be a ``pyopencl.Event``, a ``katsdpsigproc.opencl.Event``
(which wraps one), any object with an ``int_ptr`` attribute (the cl_event's
address, as PyOpenCL names it), a ``ctypes.c_void_p`` or a plain int address.
The library retains what it keeps, so the caller's objects need not outlive
the call.

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


def _holds_reference(event):
    """True for event objects known to keep their cl_event alive."""
    if isinstance(event, ClEvent):
        return True
    pyopencl = sys.modules.get("pyopencl")
    return pyopencl is not None and isinstance(event, pyopencl.Event)


def _one(event):
    if isinstance(event, int) and not isinstance(event, bool):
        return event, None
    if isinstance(event, ctypes.c_void_p):
        return event.value or 0, None
    inner = getattr(event, "_pyopencl_event", None)  # katsdpsigproc.opencl.Event
    if inner is not None and hasattr(inner, "int_ptr"):
        return inner.int_ptr, event if _holds_reference(inner) else None
    if hasattr(event, "int_ptr"):
        return event.int_ptr, event if _holds_reference(event) else None
    raise TypeError("an event must be a pyopencl.Event, a katsdpsigproc.opencl.Event, an object "
                    f"with int_ptr, or a cl_event address (int), not {type(event).__name__}")


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
