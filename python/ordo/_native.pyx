# cython: language_level=3, boundscheck=False, wraparound=False
"""The compiled part of the binding (Cython), linked against libordo.

- ``Allocation``: the hot path of :class:`ordo.resource.ResourceAllocation`
  (acquire, a grant already there, ready, destroy) in C, with no ctypes
  crossing; everything slower goes back to Python (``resource.py``).
- ``CompletionQueue``: one ``ordo_completion_queue`` per event loop, read in
  batches (``_bridge.py``).
- The library's log, routed into Python's ``logging``: the C hook only
  copies each record into a queue, on whatever thread logs; the records go
  to the ``ordo`` logger the next time the binding runs Python (after each
  of its library calls that may log, and on each completion queue read),
  so no library or OpenCL thread ever runs Python code.
"""

cimport cython
from libc.stdint cimport int64_t, uint64_t, uintptr_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy, strlen

import logging

cdef extern from "<pthread.h>" nogil:
    ctypedef struct pthread_mutex_t:
        pass
    int pthread_mutex_init(pthread_mutex_t *mutex, void *attr)
    int pthread_mutex_lock(pthread_mutex_t *mutex)
    int pthread_mutex_unlock(pthread_mutex_t *mutex)

cdef extern from "ordo/ordo.h" nogil:
    ctypedef void *cl_event
    ctypedef void *ordo_ticket
    ctypedef void *ordo_resource
    ctypedef void *ordo_future
    ctypedef void *ordo_completion_queue
    ctypedef int64_t ordo_deadline
    ctypedef struct ordo_completion:
        uint64_t tag
        int status
    enum:
        ORDO_OK
        ORDO_PENDING
    ctypedef void (*ordo_log_fn)(void *user_data, int level, const char *message)
    int ordo_log_set_callback(ordo_log_fn fn, void *user_data)
    int ordo_resource_acquire(ordo_resource resource, ordo_ticket *out)
    int ordo_ticket_wait(ordo_ticket ticket, ordo_deadline deadline, const cl_event **events,
                         size_t *num_events)
    int ordo_ticket_ready(ordo_ticket ticket, const cl_event *events, size_t num_events)
    int ordo_ticket_destroy(ordo_ticket ticket)
    int ordo_completion_queue_create(ordo_completion_queue *out)
    int ordo_completion_queue_fd(ordo_completion_queue queue, int *fd)
    int ordo_completion_queue_post(ordo_completion_queue queue, ordo_future future,
                                   uint64_t tag)
    int ordo_completion_queue_read(ordo_completion_queue queue, ordo_completion *out,
                                   size_t capacity, size_t *count)
    int ordo_completion_queue_outstanding(ordo_completion_queue queue, size_t *count)
    int ordo_completion_queue_destroy(ordo_completion_queue queue)

# ---------------------------------------------------------------------------
# The log

cdef struct LogRecord:
    LogRecord *next
    int level
    char *message

cdef pthread_mutex_t _log_mutex
cdef LogRecord *_log_head = NULL
cdef LogRecord *_log_tail = NULL
pthread_mutex_init(&_log_mutex, NULL)

# Whether records are queued: set under the mutex, read without it as a
# hint (an atomic, so that the read is not a data race).
cdef extern from *:
    """
    static int ordo_py_log_pending_ = 0;
    static inline int ordo_py_log_pending(void) {
        return __atomic_load_n(&ordo_py_log_pending_, __ATOMIC_ACQUIRE);
    }
    static inline void ordo_py_set_log_pending(int v) {
        __atomic_store_n(&ordo_py_log_pending_, v, __ATOMIC_RELEASE);
    }
    """
    int ordo_py_log_pending() nogil
    void ordo_py_set_log_pending(int v) nogil

_logger = logging.getLogger("ordo")
_LEVELS = {10: logging.DEBUG, 20: logging.INFO, 30: logging.WARNING, 40: logging.ERROR}


cdef void _on_log(void *user_data, int level, const char *message) nogil:
    # Any thread, GIL or not: copy and queue (dropped if out of memory).
    global _log_head, _log_tail
    cdef size_t n = strlen(message)
    cdef LogRecord *r = <LogRecord *>malloc(sizeof(LogRecord) + n + 1)
    if r == NULL:
        return
    r.next = NULL
    r.level = level
    r.message = <char *>(r + 1)
    memcpy(r.message, message, n + 1)
    pthread_mutex_lock(&_log_mutex)
    if _log_tail != NULL:
        _log_tail.next = r
    else:
        _log_head = r
    _log_tail = r
    ordo_py_set_log_pending(1)
    pthread_mutex_unlock(&_log_mutex)


cpdef flush_log():
    """Hands the queued library log records to the ``ordo`` logger."""
    global _log_head, _log_tail
    cdef LogRecord *r
    cdef LogRecord *next
    if not ordo_py_log_pending():
        return
    pthread_mutex_lock(&_log_mutex)
    r = _log_head
    _log_head = NULL
    _log_tail = NULL
    ordo_py_set_log_pending(0)
    pthread_mutex_unlock(&_log_mutex)
    while r != NULL:
        next = r.next
        try:
            _logger.log(_LEVELS.get(r.level, logging.WARNING),
                        r.message.decode("utf-8", "replace"))
        finally:
            free(r)
        r = next


def route_log(bint on):
    """Routes the library's log into Python's logging (or back to stderr)."""
    if on:
        ordo_log_set_callback(_on_log, NULL)
    else:
        ordo_log_set_callback(NULL, NULL)

# ---------------------------------------------------------------------------
# Allocations

cdef object _raise_last_error  # set by init(): status -> raises the library's error


def init(raise_last_error):
    global _raise_last_error
    _raise_last_error = raise_last_error


cdef inline int _check(int status) except -1:
    if status < 0:
        _raise_last_error(status)
    return status


cdef list _addresses(const cl_event *events, size_t n):
    cdef list out = []
    cdef size_t i
    for i in range(n):
        out.append(<uintptr_t>events[i])
    return out


@cython.no_gc_clear  # __dealloc__ needs _resource, also when a cycle is collected
cdef class Allocation:
    """A ticket: ``ResourceAllocation``'s base. The ticket is destroyed with
    the object (released first, with no events and a warning, if it never
    was)."""

    cdef ordo_ticket _ticket
    cdef bint _released
    cdef public object _resource
    cdef public object _grant
    cdef public object value

    def __cinit__(self, resource, uintptr_t resource_handle):
        self._resource = resource
        self.value = resource.value
        _check(ordo_resource_acquire(<ordo_resource>resource_handle, &self._ticket))

    @property
    def _ticket_handle(self):
        return <uintptr_t>self._ticket

    @property
    def _is_released(self):
        return self._released

    def _mark_released(self):
        self._released = True

    def _poll(self):
        """The predecessor's event addresses if granted without failure,
        else None (never waits; None after the release)."""
        cdef const cl_event *events = NULL
        cdef size_t n = 0
        if self._released:
            return None
        if ordo_ticket_wait(self._ticket, 0, &events, &n) != ORDO_OK:
            return None
        return _addresses(events, n)

    def wait(self):
        """A future of the list of events the previous holder handed over.

        Every call returns the same future, unless it was cancelled: then a
        new one. Cancelling it does not give up this allocation's place. If
        the previous holder failed, the future raises its exception (or an
        :class:`ordo.PredecessorCancelledError` if it was cancelled).
        """
        cdef const cl_event *events = NULL
        cdef size_t n = 0
        grant = self._grant
        if grant is not None and not grant.cancelled():
            return grant
        if not self._released and ordo_ticket_wait(self._ticket, 0, &events, &n) == ORDO_OK:
            # Granted already (the usual case in a pipeline that keeps up).
            self._grant = self._resource._done_future(_addresses(events, n) if n else [])
            return self._grant
        self._grant = self._resource._watch_grant(self)
        return self._grant

    def _ready(self, list addresses):
        cdef cl_event small[8]
        cdef cl_event *array = small
        cdef size_t n = len(addresses), i
        if n > 8:
            array = <cl_event *>malloc(n * sizeof(cl_event))
            if array == NULL:
                raise MemoryError()
        try:
            for i in range(n):
                array[i] = <cl_event><uintptr_t>addresses[i]
            _check(ordo_ticket_ready(self._ticket, array, n))
            self._released = True
        finally:
            if array != small:
                free(array)

    def ready(self, events=None):
        """Hand the resource on: the next holder is granted, and must wait for
        ``events`` (the work this holder enqueued on the resource).

        The library retains the events and flushes their command queues.
        A second call raises :class:`ordo.InvalidStateError` (which is an
        :class:`asyncio.InvalidStateError`).
        """
        if events is None or (type(events) is list and not events):
            self._ready([])
            return
        self._resource._ready_with(self, events)

    def __dealloc__(self):
        if self._ticket == NULL:
            return
        if not self._released and ordo_ticket_ready(self._ticket, NULL, 0) == ORDO_OK:
            self._resource._dropped()  # (not if released through the C ABI directly)
        ordo_ticket_destroy(self._ticket)
        if ordo_py_log_pending():
            flush_log()

# ---------------------------------------------------------------------------
# Completion queues


cdef class CompletionQueue:
    """An ``ordo_completion_queue``: ``fd``, ``post(future, tag)``, ``read()``."""

    cdef ordo_completion_queue _queue
    cdef readonly int fd

    def __cinit__(self):
        _check(ordo_completion_queue_create(&self._queue))
        _check(ordo_completion_queue_fd(self._queue, &self.fd))

    def post(self, uintptr_t future, uint64_t tag):
        _check(ordo_completion_queue_post(self._queue, <ordo_future>future, tag))

    def read(self):
        """The completions queued, oldest first, as (tag, status) pairs."""
        cdef ordo_completion batch[256]
        cdef size_t n = 256, i
        cdef list out = []
        while n == 256:
            _check(ordo_completion_queue_read(self._queue, batch, 256, &n))
            for i in range(n):
                out.append((batch[i].tag, batch[i].status))
        if ordo_py_log_pending():
            flush_log()
        return out

    @property
    def outstanding(self):
        cdef size_t n = 0
        _check(ordo_completion_queue_outstanding(self._queue, &n))
        return n

    def close(self):
        if self._queue != NULL:
            ordo_completion_queue_destroy(self._queue)
            self._queue = NULL

    def __dealloc__(self):
        if self._queue != NULL:
            ordo_completion_queue_destroy(self._queue)
