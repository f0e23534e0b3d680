# cython: language_level=3, boundscheck=False, wraparound=False
"""The compiled part of the binding (Cython), linked against libordo.

- ``ResourceAllocation`` and ``ResourceBase`` (``Resource``'s base): the hot
  path (acquire, a grant already there, ready, destroy) in C, with no
  ctypes crossing; everything slower calls back into ``Resource``
  (``resource.py``).
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
from types import GenericAlias as _GenericAlias

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
    ctypedef void *ordo_promise
    ctypedef void *ordo_job_queue
    int ordo_promise_create(ordo_promise *out)
    int ordo_promise_future(ordo_promise promise, ordo_future *out)
    int ordo_promise_complete(ordo_promise promise, const cl_event *events, size_t num_events)
    int ordo_promise_fail(ordo_promise promise, int status, const char *message)
    int ordo_promise_destroy(ordo_promise promise)
    int ordo_future_destroy(ordo_future future)
    int ordo_job_queue_try_add(ordo_job_queue queue, ordo_future job)
    int ordo_job_queue_finish(ordo_job_queue queue, size_t max_remaining, ordo_deadline deadline)
    int ordo_events_wait_async(const cl_event *events, size_t num_events, ordo_future *out)
    int ordo_future_poll(ordo_future future)
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


# A cl_event[] for a list of addresses: on the stack up to 8, else on the
# heap (_events_free gives it back). Never copied: data may point into it.
cdef struct EventArray:
    cl_event small[8]
    cl_event *data
    size_t n


cdef int _events_fill(EventArray *a, list addresses) except -1:
    cdef size_t i
    a.n = len(addresses)
    a.data = a.small
    if a.n > 8:
        a.data = <cl_event *>malloc(a.n * sizeof(cl_event))
        if a.data == NULL:
            a.data = a.small
            raise MemoryError()
    for i in range(a.n):
        a.data[i] = <cl_event><uintptr_t>addresses[i]
    return 0


cdef void _events_free(EventArray *a):
    if a.data != a.small:
        free(a.data)
    a.data = a.small


cdef list _addresses(const cl_event *events, size_t n):
    cdef list out = []
    cdef size_t i
    for i in range(n):
        out.append(<uintptr_t>events[i])
    return out


# An iterator that ends at once with a value: what awaiting a GrantedFuture
# gives (a C type: the value travels in StopIteration unnormalised, so an
# await costs one small object and no exception instance).
cdef extern from *:
    """
    typedef struct { PyObject_HEAD PyObject *value; } OrdoDoneIter;
    static void ordo_done_iter_dealloc(PyObject *self) {
        Py_XDECREF(((OrdoDoneIter *)self)->value);
        PyObject_Free(self);
    }
    static PyObject *ordo_done_iter_next(PyObject *self) {
        OrdoDoneIter *it = (OrdoDoneIter *)self;
        if (it->value == NULL)
            return NULL; /* exhausted: a plain StopIteration */
        PyObject *value = it->value;
        it->value = NULL;
        _PyGen_SetStopIterationValue(value);
        Py_DECREF(value);
        return NULL;
    }
    static PyObject *ordo_done_iter_send(PyObject *self, PyObject *arg) {
        (void)arg;
        return ordo_done_iter_next(self);
    }
    static PyMethodDef ordo_done_iter_methods[] = {
        {"send", ordo_done_iter_send, METH_O, NULL},
        {NULL, NULL, 0, NULL},
    };
    static PyTypeObject OrdoDoneIterType = {
        PyVarObject_HEAD_INIT(NULL, 0)
        .tp_name = "ordo._native.DoneIterator",
        .tp_basicsize = sizeof(OrdoDoneIter),
        .tp_dealloc = ordo_done_iter_dealloc,
        .tp_flags = Py_TPFLAGS_DEFAULT,
        .tp_iter = PyObject_SelfIter,
        .tp_iternext = ordo_done_iter_next,
        .tp_methods = ordo_done_iter_methods,
    };
    static int ordo_done_iter_ready(void) { return PyType_Ready(&OrdoDoneIterType); }
    static PyObject *ordo_done_iter(PyObject *value) {
        OrdoDoneIter *it = PyObject_New(OrdoDoneIter, &OrdoDoneIterType);
        if (it == NULL)
            return NULL;
        Py_INCREF(value);
        it->value = value;
        return (PyObject *)it;
    }
    """
    int ordo_done_iter_ready() except -1
    object ordo_done_iter(object value)

ordo_done_iter_ready()


# Not tracked by the cycle collector: it refers only to its result (a new
# list of events) and its loop, neither of which refers back to it.
@cython.no_gc
@cython.final
cdef class GrantedFuture:
    """A future already done, as :meth:`ResourceAllocation.wait` returns for
    a grant that is there: what an ``asyncio.Future`` offers (``await``,
    ``result``, ``done``, callbacks, ``asyncio.wait_for``, ``gather``) at a
    fraction of its cost. It is never pending, so it is never cancelled."""

    cdef object _result
    cdef object _loop
    _asyncio_future_blocking = False

    def __await__(self):
        return ordo_done_iter(self._result)

    __iter__ = __await__

    def get_loop(self):
        if self._loop is None:
            self._loop = _running_loop()  # the loop of the wait, which is running it
        return self._loop

    def done(self):
        return True

    def cancelled(self):
        return False

    def cancel(self, msg=None):
        return False

    def result(self):
        return self._result

    def exception(self):
        return None

    def add_done_callback(self, fn, *, context=None):
        self.get_loop().call_soon(fn, self, context=context)

    def remove_done_callback(self, fn):
        return 0

    def __repr__(self):
        return f"<ordo.GrantedFuture finished result={self._result!r}>"


cdef object _Future = None        # asyncio.Future (the C type)
cdef object _running_loop = None  # asyncio.get_running_loop
cdef object _logger_resource = None
_NOT_READY = "Resource allocation was not explicitly made ready"


def init_asyncio(future_type, get_running_loop, resource_logger, message_of):
    global _Future, _running_loop, _logger_resource, _message_of
    _Future = future_type
    _running_loop = get_running_loop
    _logger_resource = resource_logger
    _message_of = message_of


cdef class ResourceAllocation  # (below)


cdef class ResourceBase:
    """:class:`ordo.resource.Resource`'s base: the library resource's handle,
    and ``acquire`` in C."""

    cdef public uintptr_t _handle_value
    cdef public object _loop
    cdef public object value

    def acquire(self):
        """Take the next place in the queue, at once (never waits).

        Allocations are granted in the order of the ``acquire`` calls.
        """
        cdef ResourceAllocation a = ResourceAllocation.__new__(ResourceAllocation)
        _check(ordo_resource_acquire(<ordo_resource>self._handle_value, &a._ticket))
        a._resource = self
        a.value = self.value
        return a


@cython.no_gc_clear  # __dealloc__ needs _resource, also when a cycle is collected
@cython.final
cdef class ResourceAllocation:
    """A place in a resource's queue (what :meth:`Resource.acquire` returns).

    Do not construct it directly. ``value`` is the resource's value.

    To use the resource, wait for the grant with :meth:`wait` (the
    predecessor's events, to make device work wait for) or
    :meth:`wait_events` (waits on the host until they are complete); when
    done from the host, call :meth:`ready` with the events of the work
    enqueued on the resource, exactly once. As in ``katsdpsigproc``, call
    ``ready`` only after the grant when you have called ``wait``: the
    successor then waits for this holder's events only.

    Generic in the type of the value (``ResourceAllocation[int]``). The
    ticket is destroyed with the object (released first, with no events
    and a warning, if it never was).
    """

    cdef ordo_ticket _ticket
    cdef bint _released
    cdef readonly ResourceBase _resource
    cdef object _grant
    cdef public object value

    def __init__(self, *args, **kwargs):
        raise TypeError("allocations are made by Resource.acquire()")

    @classmethod
    def __class_getitem__(cls, item):
        return _GenericAlias(cls, item)

    @property
    def _ticket_handle(self):
        return <uintptr_t>self._ticket

    @property
    def _is_released(self):
        return self._released

    def wait(self):
        """A future of the list of events the previous holder handed over.

        Every call returns the same future, unless it was cancelled: then a
        new one. Cancelling it does not give up this allocation's place. If
        the previous holder failed, the future raises its exception (or an
        :class:`ordo.PredecessorCancelledError` if it was cancelled).
        """
        cdef const cl_event *events = NULL
        cdef size_t n = 0
        cdef GrantedFuture granted
        grant = self._grant
        if grant is not None and not grant.cancelled():
            return grant
        if not self._released and ordo_ticket_wait(self._ticket, 0, &events, &n) == ORDO_OK:
            # Granted already (the usual case in a pipeline that keeps up).
            granted = <GrantedFuture>GrantedFuture.__new__(GrantedFuture)
            granted._loop = self._resource._loop  # None: the running loop, when asked
            granted._result = self._resource._events_out(_addresses(events, n)) if n else []
            grant = granted
        else:
            grant = self._resource._watch_grant(self)
        self._grant = grant
        return grant

    async def wait_events(self):
        """Wait for the grant and then for its events to complete on the host
        (a coroutine)."""
        events = await self.wait()
        if events:
            await self._resource._wait_for_events(events)

    def _ready(self, list addresses):
        cdef EventArray array
        try:
            _events_fill(&array, addresses)  # sets array.data first: freeing is safe
            _check(ordo_ticket_ready(self._ticket, array.data, array.n))
            self._released = True
        finally:
            _events_free(&array)

    def ready(self, events=None):
        """Hand the resource on: the next holder is granted, and must wait for
        ``events`` (the work this holder enqueued on the resource).

        The library retains the events and flushes their command queues.
        A second call raises :class:`ordo.InvalidStateError` (which is an
        :class:`asyncio.InvalidStateError`).
        """
        if events is None or (type(events) is list and not events):
            _check(ordo_ticket_ready(self._ticket, NULL, 0))
            self._released = True
            return
        self._resource._ready_with(self, events)

    def set_name(self, name):
        """Names this allocation in dumps and log messages (None clears it)."""
        self._resource._set_name(self, name)

    def _fail(self, exc):
        self._resource._fail(self, exc)
        self._released = True

    def __enter__(self):
        return self.value

    def __exit__(self, exc_type, exc_value, traceback):
        if self._released:
            return None
        if exc_value is not None:
            self._fail(exc_value)
        else:
            _logger_resource.warning(_NOT_READY)
            self.ready()
        return None

    async def __aenter__(self):
        return self.value

    async def __aexit__(self, exc_type, exc_value, traceback):
        return self.__exit__(exc_type, exc_value, traceback)

    def __dealloc__(self):
        if self._ticket == NULL:
            return
        if not self._released and ordo_ticket_ready(self._ticket, NULL, 0) == ORDO_OK:
            self._resource._dropped()  # (not if released through the C ABI directly)
        ordo_ticket_destroy(self._ticket)
        if ordo_py_log_pending():
            flush_log()


def events_wait(list addresses):
    """``ordo_events_wait_async`` on the addresses, polled at once:
    (ORDO_OK, 0) if every event is complete (the wait is gone already),
    else (ORDO_PENDING or the failure status, the future's handle)."""
    cdef EventArray array
    cdef ordo_future f = NULL
    cdef int status
    try:
        _events_fill(&array, addresses)  # sets array.data first: freeing is safe
        _check(ordo_events_wait_async(array.data, array.n, &f))
    finally:
        _events_free(&array)
    status = ordo_future_poll(f)
    if status == ORDO_OK:
        ordo_future_destroy(f)
        return ORDO_OK, 0
    return status, <uintptr_t>f


# ---------------------------------------------------------------------------
# Jobs of a JobQueue


@cython.final
cdef class Job:
    """One job of :class:`ordo.resource.JobQueue`: the asyncio future, and
    the library's view of it, a promise completed when the future is done
    (its future is what the library queue holds)."""

    cdef readonly object future
    cdef ordo_promise _promise
    cdef ordo_future _handle
    cdef public bint silent

    def __cinit__(self, future, uintptr_t queue):
        self.future = future
        _check(ordo_promise_create(&self._promise))
        _check(ordo_promise_future(self._promise, &self._handle))
        _check(ordo_job_queue_try_add(<ordo_job_queue>queue, self._handle))

    @property
    def handle(self):
        return <uintptr_t>self._handle

    def settle(self, _future=None):
        """Completes the promise as the future ended (once)."""
        cdef ordo_promise promise = self._promise
        if promise == NULL:
            return
        self._promise = NULL
        try:
            future = self.future
            if future.cancelled():
                ordo_promise_fail(promise, -10, b"the job was cancelled")  # ORDO_ERROR_CANCELLED
            elif future.exception() is not None:
                message = _message_of(future.exception()).encode("utf-8", "replace")
                ordo_promise_fail(promise, -9, message)  # ORDO_ERROR_FAILED
            else:
                ordo_promise_complete(promise, NULL, 0)
        finally:
            ordo_promise_destroy(promise)

    def remove_front(self, uintptr_t queue, size_t remaining):
        """Settles this front job and removes it from the library queue (a
        deadline in the past: the job is complete, so exactly it goes);
        returns the library's status."""
        self.settle()
        return ordo_job_queue_finish(<ordo_job_queue>queue, remaining, 0)

    def close(self):
        if self._promise != NULL:
            ordo_promise_destroy(self._promise)
            self._promise = NULL
        if self._handle != NULL:
            ordo_future_destroy(self._handle)
            self._handle = NULL

    def __dealloc__(self):
        if self._promise != NULL:
            ordo_promise_destroy(self._promise)
        if self._handle != NULL:
            ordo_future_destroy(self._handle)


cdef object _message_of = None  # resource._message_of, set by init_asyncio


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
