"""The library's diagnostics from Python: dumps of resources' queues, the
long-wait warning, tracing, and its log in Python's ``logging``.

The library's log records reach the ``ordo`` logger (routed at import; the
C hook only queues each record, and the binding hands them to ``logging``
on the loop's thread after its next library call, or at
:func:`flush_log`). A long-wait warning reports, with a dump of the
resource, every wait for a grant that lasts longer than the threshold:
the binding's asynchronous waits (``ResourceAllocation.wait``), and the
library's host waits.
"""

import typing

from . import _capi

_wait_warning = None  # seconds, or None


def enable(on: bool = True) -> None:
    """Records every allocation for :func:`dump` (``ordo_diagnostics_enable``);
    off, dumps list only named allocations and those with a waiting holder."""
    _capi.ordo_diagnostics_enable(1 if on else 0)


def dump() -> str:
    """A readable account of every resource's queue (``ordo_diagnostics_dump``)."""
    return _capi.dump(None)


def set_wait_warning(seconds: typing.Optional[float]) -> None:
    """Warns (on the ``ordo`` logger, with a dump) about every wait for a
    grant that lasts ``seconds``; None or 0 turns it off."""
    global _wait_warning
    _wait_warning = seconds if seconds else None
    _capi.ordo_diagnostics_set_wait_warning(int((seconds or 0) * 1e9))


def wait_warning_seconds() -> typing.Optional[float]:
    return _wait_warning


def trace_start(capacity: int = 1 << 16) -> None:
    """Starts recording acquires, grants, releases and host waits (a ring of
    ``capacity`` records)."""
    _capi.ordo_trace_start(capacity)


def trace_stop() -> None:
    _capi.ordo_trace_stop()


def trace_write(path: str) -> None:
    """Writes the records as Chrome trace-event JSON (chrome://tracing, Perfetto)."""
    _capi.ordo_trace_write(str(path).encode())


def flush_log() -> None:
    """Hands the library's queued log records to the ``ordo`` logger now."""
    _capi.native.flush_log()


__all__ = ["enable", "dump", "set_wait_warning", "wait_warning_seconds", "trace_start",
           "trace_stop", "trace_write", "flush_log"]
