"""ordo for Python: ticket-ordered resources whose hand-over is chained to
OpenCL events, with the asyncio API of ``katsdpsigproc.resource``.

It loads libordo (see :mod:`ordo._capi` for where it looks) and checks the
library's version on import; the hot path and the completion queues are a
compiled module (``ordo._native``), the rest is ctypes.

>>> from ordo import resource          # instead of: from katsdpsigproc import resource
"""

import atexit

from . import _capi
from ._events import ClEvent, UncheckedEvent
from .errors import (AbandonedError, EventFailedError, FailedError, InternalError,
                     InvalidArgumentError, InvalidHandleError, InvalidStateError, LibraryError,
                     OpenCLError, OrdoCancelledError, OrdoError, OrdoSystemError,
                     OrdoTimeoutError, OutOfMemoryError, WouldBlockError)
from .resource import (JobQueue, PredecessorCancelledError, Resource, ResourceAllocation,
                       async_wait_for_events, wait_until)
from . import diagnostics, resource

# The library's log goes to the "ordo" logger (ordo.diagnostics); back to
# stderr at exit, before the interpreter stops running Python.
_capi.native.route_log(True)


@atexit.register
def _unroute_log():
    _capi.native.route_log(False)
    _capi.native.flush_log()

#: Where the loaded library came from.
library_path = _capi.library_path


def library_version():
    """The (major, minor, patch) version of the loaded libordo."""
    return _capi.version()


_LIBRARY_LEVELS = ((10, 10), (20, 20), (30, 30), (40, 40))


def set_log_level(level):
    """The least level the library logs (a ``logging`` level: DEBUG, INFO,
    WARNING, ERROR; above ERROR turns it off). The ``ordo`` logger's own
    level filters the records further."""
    for python_level, library_level in _LIBRARY_LEVELS:
        if level <= python_level:
            _capi.ordo_log_set_level(library_level)
            return
    _capi.ordo_log_set_level(100)


def flush_releases(timeout=10.0):
    """Wait until the library has released every cl_event reference it dropped
    on an OpenCL callback thread (do it before releasing OpenCL contexts, or
    before checking reference counts). Raises :class:`OrdoTimeoutError` after
    ``timeout`` seconds."""
    _capi.ordo_events_flush_releases(_capi.ordo_deadline_after(int(timeout * 1e9)))


__all__ = [
    "Resource", "ResourceAllocation", "JobQueue", "async_wait_for_events", "wait_until",
    "resource", "diagnostics", "ClEvent", "UncheckedEvent", "PredecessorCancelledError",
    "set_log_level", "library_path", "library_version", "flush_releases",
    "OrdoError", "InvalidArgumentError", "InvalidHandleError", "InvalidStateError",
    "OrdoTimeoutError", "WouldBlockError", "OutOfMemoryError", "OpenCLError",
    "EventFailedError", "FailedError", "OrdoCancelledError", "AbandonedError",
    "OrdoSystemError", "InternalError", "LibraryError",
]
