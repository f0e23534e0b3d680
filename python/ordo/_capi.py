"""Every ctypes declaration of the binding: finding and loading libordo, checking
its version, the prototypes of the C ABI (include/ordo/ordo.h), and turning
the library's statuses into exceptions.

Lookup order for the library:

1. the environment variable ``ORDO_LIBRARY``: a path to ``libordo.so*`` or to
   the directory holding it; when it is set nothing else is tried;
2. the package's own directory (where ``pip install`` puts it);
3. the build tree: ``libordo.so.0`` in a meson build directory at the top of
   the source tree this package sits in (``build`` first);
4. the system's library paths (``dlopen("libordo.so.0")``: ``LD_LIBRARY_PATH``,
   the ld.so cache, the default directories).
"""

import ctypes
import importlib.util
import os
import pathlib
import sys

from . import errors

#: The ABI this binding was written for: major version, and least minor version.
ABI_MAJOR = 0
ABI_MINOR = 3
SONAME = f"libordo.so.{ABI_MAJOR}"

# --------------------------------------------------------------------------
# Types

c_int = ctypes.c_int
c_uint = ctypes.c_uint
c_size_t = ctypes.c_size_t
c_char_p = ctypes.c_char_p
c_void_p = ctypes.c_void_p
ordo_deadline = ctypes.c_int64
cl_int = ctypes.c_int32
cl_event = ctypes.c_void_p


class _Handle(ctypes.c_void_p):
    """Base of the opaque handle types: each kind is its own ctypes type, so a
    handle of one kind cannot be passed where another is declared."""


class ordo_future(_Handle):
    pass


class ordo_promise(_Handle):
    pass


class ordo_resource(_Handle):
    pass


class ordo_ticket(_Handle):
    pass


class ordo_job_queue(_Handle):
    pass


#: void (*ordo_callback_fn)(void *user_data, int status)
CALLBACK_FN = ctypes.CFUNCTYPE(None, c_void_p, c_int)
#: void (*ordo_log_fn)(void *user_data, int level, const char *message)
LOG_FN = ctypes.CFUNCTYPE(None, c_void_p, c_int, c_char_p)

OK = 0
PENDING = 1
ERROR_INVALID_ARGUMENT = -1
ERROR_INVALID_HANDLE = -2
ERROR_INVALID_STATE = -3
ERROR_TIMEOUT = -4
ERROR_WOULD_BLOCK = -5
ERROR_FAILED = -9
ERROR_CANCELLED = -10
STATUS_USER_BASE = errors.STATUS_USER_BASE
DEADLINE_NEVER = 2**63 - 1
WAIT_CANCEL = 1

# --------------------------------------------------------------------------
# Finding and loading the library


def _build_tree_candidates():
    root = pathlib.Path(__file__).resolve().parent.parent.parent
    if not (root / "include" / "ordo" / "ordo.h").is_file():
        return []
    dirs = [root / "build"]
    try:
        dirs += sorted(d for d in root.iterdir() if d.is_dir() and d not in dirs)
    except OSError:
        pass
    return [str(d / SONAME) for d in dirs
            if (d / "meson-private").is_dir() and (d / SONAME).is_file()]


def _load():
    """Loads libordo; returns (CDLL, where it came from)."""
    env = os.environ.get("ORDO_LIBRARY")
    if env:
        path = os.path.join(env, SONAME) if os.path.isdir(env) else env
        try:
            return ctypes.CDLL(path), path
        except OSError as exc:
            raise errors.LibraryError(
                f"ordo: ORDO_LIBRARY={env!r} does not name a loadable libordo ({exc})") from None
    tried = []
    # Installed with pip: libordo lies in the package, beside ordo._native.
    here = pathlib.Path(__file__).resolve().parent
    packaged = [str(here / name) for name in ("libordo.so", SONAME) if (here / name).exists()]
    candidates = packaged + _build_tree_candidates()
    for path in candidates + [SONAME]:
        try:
            return ctypes.CDLL(path), path
        except OSError as exc:
            tried.append(f"{path}: {exc}")
    raise errors.LibraryError(
        "ordo: libordo was not found. Set ORDO_LIBRARY to the path of libordo.so, build it "
        "with meson in this source tree, or install it. Tried:\n  " + "\n  ".join(tried))


def check_version(found, path):
    """Raises LibraryError unless the version (major, minor, patch) can serve this binding.

    From 1.0 on, a later minor version of the same major version keeps the
    ABI; before 1.0 a minor version may rename functions, so 0.y must match.
    """
    major, minor, patch = found
    if ABI_MAJOR == 0:
        if (major, minor) == (0, ABI_MINOR):
            return
        wanted = f"0.{ABI_MINOR}.x (before 1.0, each minor version has its own ABI)"
    else:
        if major == ABI_MAJOR and minor >= ABI_MINOR:
            return
        wanted = f"{ABI_MAJOR}.{ABI_MINOR} or a later {ABI_MAJOR}.x"
    raise errors.LibraryError(
        f"ordo: {path} is libordo {major}.{minor}.{patch}, but this binding needs "
        f"{wanted}; point ORDO_LIBRARY at a matching build")


lib, library_path = _load()
#: Whether libordo came from the package itself (installed with pip).
packaged = os.path.dirname(os.path.abspath(library_path)) == os.path.dirname(
    os.path.abspath(__file__))

try:
    _version = lib.ordo_version
except AttributeError:
    raise errors.LibraryError(f"ordo: {library_path} has no ordo_version(): not libordo") from None
_version.argtypes = [ctypes.POINTER(c_int)] * 3
_version.restype = c_int


def version():
    """The (major, minor, patch) of the loaded library."""
    major, minor, patch = c_int(), c_int(), c_int()
    _version(ctypes.byref(major), ctypes.byref(minor), ctypes.byref(patch))
    return major.value, minor.value, patch.value


check_version(version(), library_path)


def _load_native():
    """The compiled module ordo._native: in the package (pip install), else
    the file ORDO_NATIVE names (a build tree's python/_native*.so, as
    `meson test` sets it). It links against the libordo loaded above."""
    try:
        from . import _native
        return _native
    except ImportError:
        path = os.environ.get("ORDO_NATIVE")
        if not path:
            raise errors.LibraryError(
                "ordo: the compiled module ordo._native is missing: install the binding with "
                "pip (see python/README.md), or set ORDO_NATIVE to a build's "
                "python/_native*.so") from None
    spec = importlib.util.spec_from_file_location("ordo._native", path)
    if spec is None:
        raise errors.LibraryError(f"ordo: ORDO_NATIVE={path!r} is not a Python extension module")
    module = importlib.util.module_from_spec(spec)
    sys.modules["ordo._native"] = module
    spec.loader.exec_module(module)
    return module


native = _load_native()

# --------------------------------------------------------------------------
# Statuses and errors

lib.ordo_status_string.argtypes = [c_int]
lib.ordo_status_string.restype = c_char_p
lib.ordo_status_description.argtypes = [c_int]
lib.ordo_status_description.restype = c_char_p
lib.ordo_last_error_message.argtypes = []
lib.ordo_last_error_message.restype = c_char_p


def status_name(status):
    return lib.ordo_status_string(status).decode()


def _text(raw):
    return raw.decode("utf-8", errors="replace") if raw else ""


def make_error(status, message, cl_status=0):
    """The exception for a status and a message (without the name prefix)."""
    return errors.error_class(status)(status, status_name(status), message, cl_status)


def last_error(status):
    """The exception for a failed call on this thread: its status and the
    thread's last error message (which the library prefixes with the name)."""
    message = _text(lib.ordo_last_error_message())
    prefix = status_name(status) + ": "
    if message.startswith(prefix):
        message = message[len(prefix):]
    return make_error(status, message)


def raise_last_error(status):
    raise last_error(status)


native.init(raise_last_error)


def _errcheck(result, func, args):
    if result < 0:
        raise last_error(result)
    return result


def _declare(name, argtypes, restype=c_int, check=True):
    try:
        fn = getattr(lib, name)
    except AttributeError:
        raise errors.LibraryError(
            f"ordo: {library_path} lacks {name}(), which its version "
            f"{'.'.join(map(str, version()))} should have") from None
    fn.argtypes = argtypes
    fn.restype = restype
    if check and restype is c_int:
        fn.errcheck = _errcheck
    return fn


_P = ctypes.POINTER
_out_events = _P(_P(cl_event))

# Calls with check=True raise on a negative status. The others return a status
# that the caller interprets (a failure status there is a result, not an error).
ordo_now = _declare("ordo_now", [], ordo_deadline)
ordo_deadline_after = _declare("ordo_deadline_after", [ctypes.c_int64], ordo_deadline)
ordo_log_set_callback = _declare("ordo_log_set_callback", [LOG_FN, c_void_p])
ordo_log_set_level = _declare("ordo_log_set_level", [c_int])
ordo_log_get_level = _declare("ordo_log_get_level", [], c_int, check=False)
ordo_events_flush_releases = _declare("ordo_events_flush_releases", [ordo_deadline])

ordo_future_poll = _declare("ordo_future_poll", [ordo_future], check=False)
ordo_future_wait = _declare("ordo_future_wait", [ordo_future, ordo_deadline, c_uint],
                            check=False)
ordo_future_events = _declare("ordo_future_events",
                              [ordo_future, _out_events, _P(c_size_t)])
ordo_future_failure = _declare("ordo_future_failure",
                               [ordo_future, _P(c_int), _P(c_char_p), _P(cl_int)])
ordo_future_on_complete = _declare("ordo_future_on_complete",
                                   [ordo_future, CALLBACK_FN, c_void_p])
ordo_future_fd = _declare("ordo_future_fd", [ordo_future, _P(c_int)])
ordo_future_cancel = _declare("ordo_future_cancel", [ordo_future], check=False)
ordo_future_clone = _declare("ordo_future_clone", [ordo_future, _P(ordo_future)])
ordo_future_destroy = _declare("ordo_future_destroy", [ordo_future])

ordo_promise_create = _declare("ordo_promise_create", [_P(ordo_promise)])
ordo_promise_future = _declare("ordo_promise_future", [ordo_promise, _P(ordo_future)])
ordo_promise_complete = _declare("ordo_promise_complete",
                                 [ordo_promise, _P(cl_event), c_size_t])
ordo_promise_fail = _declare("ordo_promise_fail", [ordo_promise, c_int, c_char_p])
ordo_promise_destroy = _declare("ordo_promise_destroy", [ordo_promise])

ordo_events_wait_async = _declare("ordo_events_wait_async",
                                  [_P(cl_event), c_size_t, _P(ordo_future)])

ordo_resource_create = _declare("ordo_resource_create",
                                [c_void_p, c_char_p, _P(ordo_resource)])
ordo_resource_value = _declare("ordo_resource_value", [ordo_resource, _P(c_void_p)])
ordo_resource_acquire = _declare("ordo_resource_acquire", [ordo_resource, _P(ordo_ticket)])
ordo_resource_destroy = _declare("ordo_resource_destroy", [ordo_resource])

ordo_ticket_value = _declare("ordo_ticket_value", [ordo_ticket, _P(c_void_p)])
ordo_ticket_wait = _declare("ordo_ticket_wait",
                            [ordo_ticket, ordo_deadline, _out_events, _P(c_size_t)],
                            check=False)
ordo_ticket_wait_complete = _declare("ordo_ticket_wait_complete",
                                     [ordo_ticket, ordo_deadline, _out_events, _P(c_size_t)],
                                     check=False)
ordo_ticket_enqueue_wait = _declare("ordo_ticket_enqueue_wait",
                                    [ordo_ticket, c_void_p, ordo_deadline, _P(cl_event)],
                                    check=False)
ordo_ticket_grant_future = _declare("ordo_ticket_grant_future", [ordo_ticket, _P(ordo_future)])
ordo_ticket_ready = _declare("ordo_ticket_ready", [ordo_ticket, _P(cl_event), c_size_t])
ordo_ticket_fail = _declare("ordo_ticket_fail", [ordo_ticket, c_int, c_char_p])
ordo_ticket_cancel = _declare("ordo_ticket_cancel", [ordo_ticket])
ordo_ticket_destroy = _declare("ordo_ticket_destroy", [ordo_ticket])

ordo_job_queue_create = _declare("ordo_job_queue_create", [c_size_t, _P(ordo_job_queue)])
ordo_job_queue_add = _declare("ordo_job_queue_add", [ordo_job_queue, ordo_future, ordo_deadline])
ordo_job_queue_try_add = _declare("ordo_job_queue_try_add", [ordo_job_queue, ordo_future])
ordo_job_queue_clean = _declare("ordo_job_queue_clean", [ordo_job_queue], check=False)
ordo_job_queue_finish = _declare("ordo_job_queue_finish",
                                 [ordo_job_queue, c_size_t, ordo_deadline], check=False)
ordo_job_queue_size = _declare("ordo_job_queue_size", [ordo_job_queue, _P(c_size_t)])
ordo_job_queue_backlog = _declare("ordo_job_queue_backlog", [ordo_job_queue, _P(c_size_t)])
ordo_job_queue_contains = _declare("ordo_job_queue_contains",
                                   [ordo_job_queue, ordo_future, _P(c_int)])
ordo_job_queue_backlog_future = _declare("ordo_job_queue_backlog_future",
                                         [ordo_job_queue, c_size_t, _P(ordo_future)])
ordo_job_queue_destroy = _declare("ordo_job_queue_destroy", [ordo_job_queue])

ordo_diagnostics_enable = _declare("ordo_diagnostics_enable", [c_int])
ordo_ticket_set_name = _declare("ordo_ticket_set_name", [ordo_ticket, c_char_p])
ordo_diagnostics_dump = _declare("ordo_diagnostics_dump",
                                 [ordo_resource, c_char_p, c_size_t, _P(c_size_t)])
ordo_diagnostics_set_wait_warning = _declare("ordo_diagnostics_set_wait_warning",
                                             [ctypes.c_int64])
ordo_trace_start = _declare("ordo_trace_start", [c_size_t])
ordo_trace_stop = _declare("ordo_trace_stop", [])
ordo_trace_write = _declare("ordo_trace_write", [c_char_p])

# --------------------------------------------------------------------------
# Small helpers over the declarations


def new_handle(create, handle_type, *args):
    """Calls create(*args, &out) and returns out."""
    out = handle_type()
    create(*args, ctypes.byref(out))
    return out


def events_array(pointers):
    """A cl_event[] for a list of addresses (ints); (array, count)."""
    count = len(pointers)
    if count == 0:
        return None, 0
    return (cl_event * count)(*pointers), count


def future_events(future):
    """The addresses of a DONE future's events (borrowed: valid while the handle lives)."""
    events = _P(cl_event)()
    count = c_size_t()
    ordo_future_events(future, ctypes.byref(events), ctypes.byref(count))
    return [events[i] for i in range(count.value)]


def poll_ticket(ticket):
    """The predecessor's event addresses if the ticket has been granted (and
    did not fail), else None; never waits."""
    events = _P(cl_event)()
    count = c_size_t()
    status = ordo_ticket_wait(ticket, 0, ctypes.byref(events), ctypes.byref(count))
    if status != OK:
        return None
    return [events[i] for i in range(count.value)]


def future_failure(future):
    """The exception for a FAILED future: (status, message, exception)."""
    status, message, cl_status = c_int(), c_char_p(), cl_int()
    ordo_future_failure(future, ctypes.byref(status), ctypes.byref(message),
                        ctypes.byref(cl_status))
    text = _text(message.value)
    return status.value, text, make_error(status.value, text, cl_status.value)


def now():
    """Nanoseconds on the monotonic clock that deadlines use."""
    return ordo_now()


def dump(resource):
    """ordo_diagnostics_dump of a resource handle (None: every resource), as text."""
    length = c_size_t()
    ordo_diagnostics_dump(resource, None, 0, ctypes.byref(length))
    buffer = ctypes.create_string_buffer(length.value + 1)
    ordo_diagnostics_dump(resource, buffer, len(buffer), ctypes.byref(length))
    return _text(buffer.value)


# --------------------------------------------------------------------------
# The two OpenCL functions the binding calls itself (for ordo.ClEvent, when
# PyOpenCL is not there to hold event references), loaded on first use.

_opencl = None


def opencl():
    """The OpenCL ICD loader, with clRetainEvent and clReleaseEvent declared."""
    global _opencl
    if _opencl is None:
        cl = ctypes.CDLL("libOpenCL.so.1")
        for name in ("clRetainEvent", "clReleaseEvent"):
            fn = getattr(cl, name)
            fn.argtypes = [cl_event]
            fn.restype = cl_int
        _opencl = cl
    return _opencl
