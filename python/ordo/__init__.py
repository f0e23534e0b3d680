"""ordo for Python: ticket-ordered resources whose hand-over is chained to
OpenCL events, with the asyncio API of ``katsdpsigproc.resource``.

A pure-Python binding: it loads libordo with ctypes (see :mod:`ordo._capi`
for where it looks) and checks the library's version on import.

>>> from ordo import resource          # instead of: from katsdpsigproc import resource
"""

from . import _capi
from ._events import ClEvent
from .errors import (AbandonedError, EventFailedError, FailedError, InternalError,
                     InvalidArgumentError, InvalidHandleError, InvalidStateError, LibraryError,
                     OpenCLError, OrdoCancelledError, OrdoError, OrdoSystemError,
                     OrdoTimeoutError, OutOfMemoryError, WouldBlockError)
from .resource import (JobQueue, Resource, ResourceAllocation, async_wait_for_events,
                       wait_until)
from . import resource

#: Where the loaded library came from.
library_path = _capi.library_path


def library_version():
    """The (major, minor, patch) version of the loaded libordo."""
    return _capi.version()


def flush_releases(timeout=10.0):
    """Wait until the library has released every cl_event reference it dropped
    on an OpenCL callback thread (do it before releasing OpenCL contexts, or
    before checking reference counts). Raises :class:`OrdoTimeoutError` after
    ``timeout`` seconds."""
    _capi.ordo_events_flush_releases(_capi.ordo_deadline_after(int(timeout * 1e9)))


__all__ = [
    "Resource", "ResourceAllocation", "JobQueue", "async_wait_for_events", "wait_until",
    "resource", "ClEvent", "library_path", "library_version", "flush_releases",
    "OrdoError", "InvalidArgumentError", "InvalidHandleError", "InvalidStateError",
    "OrdoTimeoutError", "WouldBlockError", "OutOfMemoryError", "OpenCLError",
    "EventFailedError", "FailedError", "OrdoCancelledError", "AbandonedError",
    "OrdoSystemError", "InternalError", "LibraryError",
]
