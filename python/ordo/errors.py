"""Exceptions raised by the ordo binding.

Every failure the library reports becomes an :class:`OrdoError` (or one of
its subclasses, chosen by the status code) that carries the library's status,
its name, its message and, where an OpenCL status lies behind it, that status.
Where a Python exception family fits, the subclass also belongs to it, so
``except ValueError`` or ``except asyncio.InvalidStateError`` still work.
"""

import asyncio


class OrdoError(Exception):
    """A failure reported by libordo.

    Attributes
    ----------
    status : int
        The ordo status code (negative).
    name : str
        The status code's name, as ``ordo_status_string`` gives it.
    message : str
        The library's message.
    cl_status : int
        The OpenCL status behind the failure, or 0.
    """

    def __init__(self, status, name, message, cl_status=0):
        self.status = status
        self.name = name
        self.message = message
        self.cl_status = cl_status
        super().__init__(self._text())

    def _text(self):
        text = f"{self.name}: {self.message}"
        if self.cl_status:
            text += f" (OpenCL status {self.cl_status})"
        return text

    def __str__(self):
        return self._text()


class InvalidArgumentError(OrdoError, ValueError):
    """ORDO_ERROR_INVALID_ARGUMENT: an argument is invalid."""


class InvalidHandleError(OrdoError, ValueError):
    """ORDO_ERROR_INVALID_HANDLE: a handle is NULL, of another kind, or destroyed."""


class InvalidStateError(OrdoError, asyncio.InvalidStateError):
    """ORDO_ERROR_INVALID_STATE: for example a second ``ready`` on one allocation."""


class OrdoTimeoutError(OrdoError, TimeoutError):
    """ORDO_ERROR_TIMEOUT: a deadline passed."""


class WouldBlockError(OrdoError):
    """ORDO_ERROR_WOULD_BLOCK: the operation would have to wait."""


class OutOfMemoryError(OrdoError, MemoryError):
    """ORDO_ERROR_OUT_OF_MEMORY."""


class OpenCLError(OrdoError):
    """ORDO_ERROR_OPENCL: an OpenCL call made by the library failed."""


class EventFailedError(OrdoError):
    """ORDO_ERROR_EVENT_FAILED: a cl_event ended with a negative execution status
    (``cl_status`` holds it)."""


class FailedError(OrdoError):
    """ORDO_ERROR_FAILED, or an application status: the work was failed by its owner."""


class OrdoCancelledError(OrdoError):
    """ORDO_ERROR_CANCELLED: the work or the wait was cancelled in the library."""


class AbandonedError(OrdoError):
    """ORDO_ERROR_ABANDONED: the producer went away before completing."""


class OrdoSystemError(OrdoError):
    """ORDO_ERROR_SYSTEM: an operating-system call failed."""


class InternalError(OrdoError):
    """ORDO_ERROR_INTERNAL."""


class LibraryError(ImportError):
    """libordo could not be found or loaded, or is a version this binding cannot use."""


_BY_STATUS = {
    -1: InvalidArgumentError,
    -2: InvalidHandleError,
    -3: InvalidStateError,
    -4: OrdoTimeoutError,
    -5: WouldBlockError,
    -6: OutOfMemoryError,
    -7: OpenCLError,
    -8: EventFailedError,
    -9: FailedError,
    -10: OrdoCancelledError,
    -11: AbandonedError,
    -12: OrdoSystemError,
    -13: InternalError,
}

#: Application statuses are at or below this (ORDO_STATUS_USER_BASE).
STATUS_USER_BASE = -1000


def error_class(status):
    """The exception class for a status code."""
    if status <= STATUS_USER_BASE:
        return FailedError
    return _BY_STATUS.get(status, OrdoError)
