"""cl_events between Python and the library.

Going in, an event may be a ``pyopencl.Event``, any object with an ``int_ptr``
attribute (the cl_event's address, as PyOpenCL names it), a ``ctypes.c_void_p``
or a plain int address. The library retains what it keeps, so the caller's
objects need not outlive the call.

Coming out, events are ``pyopencl.Event`` objects, each holding its own
reference (``Event.from_int_ptr(address, retain=True)``), so they stay valid
after the library has let go of its own, and PyOpenCL accepts them in
``wait_for=``. Without PyOpenCL they are :class:`ClEvent` objects, which hold a
reference the same way and expose ``int_ptr``.
"""

import ctypes

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


def addresses(events):
    """The cl_event addresses of an iterable of events (None: no events)."""
    if events is None:
        return []
    out = []
    for event in events:
        if isinstance(event, int) and not isinstance(event, bool):
            out.append(event)
        elif isinstance(event, ctypes.c_void_p):
            out.append(event.value or 0)
        elif hasattr(event, "int_ptr"):
            out.append(event.int_ptr)
        else:
            raise TypeError("an event must be a pyopencl.Event, an object with int_ptr, or a "
                            f"cl_event address (int), not {type(event).__name__}")
    return out


def wrap(pointers):
    """Python event objects, each with its own reference, for borrowed addresses."""
    if not pointers:
        return []
    make = _factory()
    return [make(p) for p in pointers]
