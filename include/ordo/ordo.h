/*
 * ordo.h - ticket-ordered resources whose release is chained to cl_events.
 *
 * This header is ordo's C ABI and its reference manual. Values in it are
 * never renumbered or reused. From version 1.0 on, a program built against
 * version X.Y runs with any library X.Z, Z >= Y (same major version, same
 * ABI). Before 1.0, a minor version may rename or change functions
 * (CHANGELOG.md lists each change): a program needs the 0.Y it was built
 * for, and the loader refuses a library without the names it uses.
 *
 * ---------------------------------------------------------------------------
 * The model
 * ---------------------------------------------------------------------------
 * A *resource* (ordo_resource) is something several chunks of a streaming
 * program share: a device buffer, a host buffer, a queue. Each chunk takes a
 * *ticket* (ordo_ticket) on the resource with ordo_resource_acquire(). Tickets
 * are *granted* strictly in the order they were acquired, whatever order their
 * holders start waiting in. A holder *releases* its ticket with
 * ordo_ticket_ready(), handing over the cl_events that its work on the
 * resource produced; the next holder is then granted and receives those
 * events, and must make its own device work wait for them (on the host, or
 * on the device without the CPU waiting).
 *
 * A *future* (ordo_future) is one completion: PENDING, then either DONE, with
 * a list of cl_events, or FAILED, with a status and a message. The same type
 * serves a ticket's grant, an asynchronous wait for cl_events, a job in a job
 * queue and a user promise.
 *
 * ---------------------------------------------------------------------------
 * Conventions that hold for every function
 * ---------------------------------------------------------------------------
 * Status. Every function that can fail returns an int status: ORDO_OK (0) on
 *   success, a negative ORDO_ERROR_* code otherwise. ordo_status_string()
 *   names any code. On failure a message is left for the calling thread
 *   (ordo_last_error_message()), output parameters are left untouched, and
 *   the library's state is unchanged: a call that fails has no effect.
 *
 * Handles. Each object kind has its own opaque handle type, created by an
 *   ordo_*_create or returned through an out parameter, and destroyed by its
 *   ordo_*_destroy, which accepts NULL. Each handle is owned by the caller
 *   and must be destroyed exactly once. A handle is a 64-bit value, not a
 *   pointer the caller may dereference: it names a slot of memory that the
 *   library never gives back to the system, its kind, and the slot's
 *   generation, which changes each time the slot serves a new handle (slots
 *   are reused first in, first out). Every function checks its handles and
 *   answers ORDO_ERROR_INVALID_HANDLE, changing nothing, for NULL, for a
 *   handle of another kind, and for a handle already destroyed before the
 *   call began, also once its slot serves a new handle (until the slot has
 *   served 2^31 more handles). A value that never was a handle is refused
 *   when it names no slot or the wrong generation, which is likely but not
 *   certain: pass only handles.
 *
 * Threads. Every function may be called from any thread, concurrently, also
 *   on the same handle, except that a handle must not be used during or
 *   after its own destroy call. No function blocks except those whose name
 *   says wait or finish and ordo_job_queue_add on a bounded queue at its
 *   bound, which all take a deadline. The library is not usable in a child
 *   process made by fork() (its service thread is not there, and neither is
 *   the OpenCL runtime's state): a child calls exec first.
 *
 * Seeing a grant. Whether a release forwards the predecessor's outcome
 *   depends on whether the holder has *seen* its grant: been handed the
 *   outcome (the predecessor's events, or its failure). A ticket has seen
 *   its grant once ordo_ticket_wait, ordo_ticket_wait_complete or
 *   ordo_ticket_enqueue_wait returned ORDO_OK or the predecessor's failure
 *   for it, once ordo_ticket_enqueue_wait_deferred made the device wait for
 *   it, or once a grant future of it completed with the grant's outcome; a
 *   multi-ticket's waits see the grants of all its unreleased tickets
 *   together, on the same terms. A wait that timed out, a wait for the
 *   events that failed (ORDO_ERROR_EVENT_FAILED from wait_complete), an
 *   enqueue_wait that enqueued nothing because of an error, taking a grant
 *   future, and a grant future cancelled before the grant are not seeing.
 *   A holder that releases (ready, fail, cancel, or destroying the handle)
 *   without having seen its grant forwards: its successor receives the
 *   predecessor's events together with the holder's, or the predecessor's
 *   failure. A holder that has seen it releases only what it releases with
 *   (and recovers from a failure with ready). The functions below refer to
 *   this rule as "seeing".
 *
 * Callbacks. A registration that fails never calls back; one that succeeds
 *   calls back exactly once. Callbacks run on the thread that completes the
 *   future: a thread inside an ordo call (ready, fail, complete, destroy),
 *   ordo's service thread, or an OpenCL runtime thread that reports an event
 *   completion. A callback therefore must not block: it may call any ordo
 *   function except those that wait or finish, and any non-blocking OpenCL
 *   function (clFlush, clEnqueue* with blocking = CL_FALSE,
 *   clSetUserEventStatus, clRetainEvent, clGetEventInfo); it must not call
 *   clFinish, clWaitForEvents, or a blocking read/write/map. A future
 *   completed from within a callback runs its own callbacks on the same
 *   thread after the outer callback returns (no unbounded recursion). A
 *   callback must return normally: no longjmp, no pthread_exit, no C++
 *   exception out of it (the library's frames below it are noexcept, and
 *   unwinding through them terminates the process). A binding for a
 *   language whose runtime may kill foreign threads (Python at shutdown)
 *   should use ordo_future_fd instead of callbacks.
 *
 * cl_events. A function that is given cl_events retains what it keeps
 *   (clRetainEvent) and releases each reference exactly once when nothing can
 *   return it any more, never from inside an OpenCL callback: the caller's
 *   own references are never taken over. cl_events handed back to the caller
 *   are borrowed: they stay valid as long as the handle they came from, and
 *   the caller retains them to keep them longer. When every handle is gone,
 *   every event's reference count is back where the caller left it.
 *
 * Deadlines. Every wait takes an absolute deadline, ordo_deadline,
 *   nanoseconds on the monotonic clock (ordo_now()). ORDO_DEADLINE_NEVER
 *   waits without limit, ordo_deadline_after() turns a timeout into a
 *   deadline, and a deadline in the past polls. A wait that reaches its
 *   deadline returns ORDO_ERROR_TIMEOUT and changes nothing.
 */
#ifndef ORDO_ORDO_H
#define ORDO_ORDO_H

#include <stddef.h>
#include <stdint.h>

/*
 * OpenCL version. ordo's own functions need only OpenCL 1.2. An includer that
 * has not defined CL_TARGET_OPENCL_VERSION gets what CL/cl.h itself would
 * choose, 300 (OpenCL 3.0, where the 1.2 API such as clCreateCommandQueue is
 * marked deprecated), defined here without CL/cl.h's warning; define it before
 * including this header to target another version (120 keeps the 1.2 API
 * undeprecated). ordo.h defines nothing else of OpenCL's.
 */
#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 300
#endif
#include <CL/cl.h>

#if defined(ORDO_BUILDING_LIBRARY)
#define ORDO_API __attribute__((visibility("default")))
#else
#define ORDO_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ===========================================================================
 * Versions
 * ======================================================================== */

#define ORDO_VERSION_MAJOR 0
#define ORDO_VERSION_MINOR 3
#define ORDO_VERSION_PATCH 0
/** The version this header describes, as one comparable integer. */
#define ORDO_MAKE_VERSION(major, minor, patch) ((major)*10000 + (minor)*100 + (patch))
#define ORDO_VERSION ORDO_MAKE_VERSION(ORDO_VERSION_MAJOR, ORDO_VERSION_MINOR, ORDO_VERSION_PATCH)

/**
 * The version of the library actually loaded, as ORDO_MAKE_VERSION() packs
 * it; any of the pointers may be NULL. A program that dlopens libordo checks
 * that the major version is the one it was written for.
 */
ORDO_API int ordo_version(int *major, int *minor, int *patch);

/* ===========================================================================
 * Status codes
 * ======================================================================== */

/*
 * X(name, value, description): the one list from which the enum, the names
 * and the descriptions are generated. Values are never renumbered or reused.
 */
#define ORDO_STATUS_LIST(X)                                                                        \
    X(ORDO_OK, 0, "success")                                                                       \
    X(ORDO_PENDING, 1, "the future has not completed yet")                                         \
    /* What a call answers about itself (never a failure status, see below). */                    \
    X(ORDO_ERROR_INVALID_ARGUMENT, -1, "an argument is invalid (NULL pointer, bad count)")         \
    X(ORDO_ERROR_INVALID_HANDLE, -2, "a handle is NULL, of another kind, or destroyed")            \
    X(ORDO_ERROR_INVALID_STATE, -3, "the operation is not valid in the object's state")            \
    X(ORDO_ERROR_TIMEOUT, -4, "the deadline passed before the wait ended")                         \
    X(ORDO_ERROR_WOULD_BLOCK, -5, "the operation would have to wait")                              \
    /* Failures of memory, of OpenCL, of the device's work. */                                     \
    X(ORDO_ERROR_OUT_OF_MEMORY, -6, "memory allocation failed")                                    \
    X(ORDO_ERROR_OPENCL, -7, "an OpenCL call failed")                                              \
    X(ORDO_ERROR_EVENT_FAILED, -8, "a cl_event ended with a negative execution status")            \
    /* Failures the program reports, or that its choices cause. */                                 \
    X(ORDO_ERROR_FAILED, -9, "the work was failed by its owner")                                   \
    X(ORDO_ERROR_CANCELLED, -10, "the wait or the work was cancelled")                             \
    X(ORDO_ERROR_ABANDONED, -11, "the producer was destroyed before completing")                   \
    /* Failures of the operating system, or of ordo itself. */                                     \
    X(ORDO_ERROR_SYSTEM, -12, "an operating-system call failed")                                   \
    X(ORDO_ERROR_INTERNAL, -13, "internal error in ordo")

/*
 * A *failure status* (what ordo_ticket_fail, ordo_promise_fail and the
 * multi-ticket fail functions take) is any negative value except the five
 * by which a call answers about itself: ORDO_ERROR_INVALID_ARGUMENT,
 * ORDO_ERROR_INVALID_HANDLE, ORDO_ERROR_INVALID_STATE, ORDO_ERROR_TIMEOUT and
 * ORDO_ERROR_WOULD_BLOCK (a successor's wait could not tell them apart).
 * Passing on a failure a wait returned is always allowed.
 */
typedef enum ordo_status {
#define ORDO_STATUS_ENUM_(name, value, description) name = value,
    ORDO_STATUS_LIST(ORDO_STATUS_ENUM_)
#undef ORDO_STATUS_ENUM_
    /** Applications may use their own failure statuses at or below this. */
    ORDO_STATUS_USER_BASE = -1000
} ordo_status;

/**
 * The name of a status ("ORDO_ERROR_TIMEOUT"); "ORDO_STATUS_USER" for an
 * application status at or below ORDO_STATUS_USER_BASE, "ORDO_STATUS_UNKNOWN"
 * for any other value. Never NULL; a static string.
 */
ORDO_API const char *ordo_status_string(int status);

/** A one-line English description of a status. Never NULL; a static string. */
ORDO_API const char *ordo_status_description(int status);

/**
 * The message left by the most recent failed ordo call on this thread, or ""
 * if none has failed. Valid until the next ordo call on the same thread.
 * Never NULL.
 */
ORDO_API const char *ordo_last_error_message(void);

/* ===========================================================================
 * Deadlines
 * ======================================================================== */

/** Nanoseconds on CLOCK_MONOTONIC: an absolute point in time. */
typedef int64_t ordo_deadline;

/** A deadline that never passes. */
#define ORDO_DEADLINE_NEVER INT64_MAX

/** The current time on the clock that deadlines use. */
ORDO_API ordo_deadline ordo_now(void);

/**
 * The deadline timeout_ns nanoseconds from now (saturating at
 * ORDO_DEADLINE_NEVER; a negative timeout gives a deadline already passed).
 */
ORDO_API ordo_deadline ordo_deadline_after(int64_t timeout_ns);

/* ===========================================================================
 * Logging
 * ======================================================================== */

typedef enum ordo_log_level {
    ORDO_LOG_DEBUG = 10,
    ORDO_LOG_INFO = 20,
    ORDO_LOG_WARNING = 30,
    ORDO_LOG_ERROR = 40,
    ORDO_LOG_OFF = 100
} ordo_log_level;

/**
 * Receives the library's log records: level, and a NUL-terminated message
 * that is valid only during the call. It may run on any thread, including an
 * OpenCL runtime thread, and must not block or call back into ordo's logging
 * functions.
 */
typedef void (*ordo_log_fn)(void *user_data, int level, const char *message);

/**
 * Routes log records to fn (NULL restores the default, which writes
 * "ordo: <level>: <message>" lines to stderr). The change is atomic: a record
 * being written while the hook changes goes to the old or the new hook.
 * The previous hook may still be running on another thread when this
 * returns.
 */
ORDO_API int ordo_log_set_callback(ordo_log_fn fn, void *user_data);

/**
 * Sets the least level that is logged. The initial level is read from the
 * environment variable ORDO_LOG (debug, info, warning, error or off) the first
 * time the library logs or this is called, and is ORDO_LOG_WARNING if unset.
 * Returns ORDO_ERROR_INVALID_ARGUMENT for a level not in ordo_log_level.
 */
ORDO_API int ordo_log_set_level(int level);

/** The least level currently logged. */
ORDO_API int ordo_log_get_level(void);

/* ===========================================================================
 * Futures
 * ======================================================================== */

/**
 * One completion, shared by everyone who holds a handle to it. States:
 *   PENDING -> DONE (with a list of cl_events, possibly empty)
 *   PENDING -> FAILED (with a status < 0 and a message).
 * A completed future never changes again. A future handle keeps the
 * completion (and its cl_events) alive; several handles may refer to the
 * same completion (ordo_future_clone).
 *
 * Memory ordering: everything the completing thread did before completing
 * happens-before whatever a thread does after observing the completion
 * (through a wait, a poll, a callback or the file descriptor).
 */
typedef struct ordo_future_s *ordo_future;

/** Callback for ordo_future_on_complete: status is ORDO_OK or the failure. */
typedef void (*ordo_callback_fn)(void *user_data, int status);

/** Flags for ordo_future_wait. */
#define ORDO_WAIT_CANCEL 1u /**< on timeout, cancel the future (ordo_future_cancel) */

/**
 * Non-blocking state query: ORDO_PENDING, ORDO_OK (done), the failure status
 * (failed; its message is then also the thread's last error message), or
 * ORDO_ERROR_INVALID_HANDLE.
 */
ORDO_API int ordo_future_poll(ordo_future future);

/**
 * Waits until the future completes or the deadline passes. Returns ORDO_OK
 * when done, the failure status when failed (its message is then also the
 * thread's last error message), or ORDO_ERROR_TIMEOUT. With
 * ORDO_WAIT_CANCEL in flags, a wait that times out also cancels the future
 * and still returns ORDO_ERROR_TIMEOUT; without it a timeout touches
 * nothing. Must not be called from a callback.
 */
ORDO_API int ordo_future_wait(ordo_future future, ordo_deadline deadline, unsigned flags);

/**
 * The events of a DONE future: *events receives a borrowed array (NULL when
 * there are none) valid while this handle lives, *num_events its length.
 * ORDO_ERROR_INVALID_STATE if the future is pending or failed.
 */
ORDO_API int ordo_future_events(ordo_future future, const cl_event **events, size_t *num_events);

/**
 * The failure of a FAILED future: *status receives its status, *message a
 * borrowed string valid while this handle lives, *cl_status the OpenCL
 * status behind it (0 if none). Any pointer may be NULL.
 * ORDO_ERROR_INVALID_STATE if the future is pending or done.
 */
ORDO_API int ordo_future_failure(ordo_future future, int *status, const char **message,
                                 cl_int *cl_status);

/**
 * Calls fn(user_data, status) once, when the future completes; at once, on
 * the calling thread, if it already has. See "Callbacks" above for the thread
 * it runs on and what it may do. The callback stays registered even if the
 * handle is destroyed first.
 */
ORDO_API int ordo_future_on_complete(ordo_future future, ordo_callback_fn fn, void *user_data);

/**
 * A file descriptor that becomes readable (an eventfd) once the future has
 * completed, for poll/epoll/select or an event loop. It belongs to the
 * completion: do not read from or close it; it stays valid while any handle
 * to the future lives. ORDO_ERROR_SYSTEM if no descriptor can be made.
 */
ORDO_API int ordo_future_fd(ordo_future future, int *fd);

/**
 * Cancels a pending future: an asynchronous event wait or a promise's future
 * fails with ORDO_ERROR_CANCELLED; a ticket's grant future fails with
 * ORDO_ERROR_CANCELLED and its ticket gives up its place (ordo_ticket_cancel).
 * Returns ORDO_ERROR_INVALID_STATE, changing nothing, if the future has
 * already completed or cannot be cancelled (a ticket's release future).
 */
ORDO_API int ordo_future_cancel(ordo_future future);

/** A second handle to the same completion; destroy each. */
ORDO_API int ordo_future_clone(ordo_future future, ordo_future *out);

/** Destroys a handle (NULL is accepted). Callbacks already registered still run. */
ORDO_API int ordo_future_destroy(ordo_future future);

/* ===========================================================================
 * Promises: futures the caller completes
 * ======================================================================== */

/**
 * The producing side of a future, so that any host work (a network send, a
 * host computation) can be ordered and queued like device work. Destroying a
 * promise that was never completed fails its future with
 * ORDO_ERROR_ABANDONED.
 */
typedef struct ordo_promise_s *ordo_promise;

/** Creates a promise whose future is pending. */
ORDO_API int ordo_promise_create(ordo_promise *out);

/** A new handle to the promise's future. */
ORDO_API int ordo_promise_future(ordo_promise promise, ordo_future *out);

/**
 * Completes the future as DONE with the given events (retained; num_events may
 * be 0 and events then NULL). ORDO_ERROR_INVALID_STATE if already completed.
 * Callbacks run on the calling thread before this returns.
 */
ORDO_API int ordo_promise_complete(ordo_promise promise, const cl_event *events, size_t num_events);

/**
 * Completes the future as FAILED. status must be a failure status (see
 * "Status codes"); message may be NULL. ORDO_ERROR_INVALID_STATE if already
 * completed.
 */
ORDO_API int ordo_promise_fail(ordo_promise promise, int status, const char *message);

/**
 * Destroys the promise handle (NULL is accepted); a future never completed
 * fails with ORDO_ERROR_ABANDONED, running its callbacks on this thread.
 */
ORDO_API int ordo_promise_destroy(ordo_promise promise);

/* ===========================================================================
 * Completion queues: many waits, one descriptor
 * ======================================================================== */

/**
 * Gathers the completions of any number of futures for one consumer, such
 * as an event loop: the futures are posted with the caller's tags, and the
 * consumer reads completions in batches, on its own thread, when the
 * queue's one descriptor is readable. No callback runs on the consumer's
 * behalf on any other thread, any number of pending posts costs that one
 * descriptor, and a batch of completions costs one wake-up.
 *
 * - Order: completions are read oldest first, in the order the futures
 *   completed as the queue saw it; a future complete when posted is queued
 *   during the post call. Each post gives exactly one completion (a future
 *   posted twice gives two).
 * - References: a post keeps the future alive until its completion is read
 *   (the caller may destroy its own handle at once). The queue never
 *   completes or cancels a future; ordo_future_cancel on a posted future
 *   fails it, and that failure is then its completion.
 * - Descriptor: readable exactly while an unread completion is queued;
 *   owned by the queue (never read, write or close it; watch it with poll,
 *   epoll or an event loop).
 * - Destroying the queue drops its unread completions and the completions
 *   still to come; the futures themselves go on unaffected.
 * - Thread safety: every function may be called from any thread, and all
 *   but ordo_completion_queue_wait from callbacks; reading from several
 *   threads at once is allowed (each completion is read once).
 */
typedef struct ordo_completion_queue_s *ordo_completion_queue;

/** One completion read from a completion queue. */
typedef struct ordo_completion {
    uint64_t tag; /**< the tag given to ordo_completion_queue_post */
    int status;   /**< ORDO_OK (the future is done) or its failure status */
} ordo_completion;

/**
 * Creates a completion queue with its descriptor (ORDO_ERROR_SYSTEM if the
 * process has no descriptor left).
 */
ORDO_API int ordo_completion_queue_create(ordo_completion_queue *out);

/** *fd receives the queue's descriptor (see above), valid until destroy. */
ORDO_API int ordo_completion_queue_fd(ordo_completion_queue queue, int *fd);

/** Posts future with tag: one completion is queued once the future completes. */
ORDO_API int ordo_completion_queue_post(ordo_completion_queue queue, ordo_future future,
                                        uint64_t tag);

/**
 * Moves up to capacity (>= 1) queued completions into out, oldest first;
 * *count receives how many (0 if none is queued). Never blocks.
 */
ORDO_API int ordo_completion_queue_read(ordo_completion_queue queue, ordo_completion *out,
                                        size_t capacity, size_t *count);

/**
 * As ordo_completion_queue_read, but first waits until a completion is
 * queued or the deadline passes: ORDO_OK with *count >= 1, or
 * ORDO_ERROR_TIMEOUT with *count == 0. Must not be called from a callback.
 */
ORDO_API int ordo_completion_queue_wait(ordo_completion_queue queue, ordo_deadline deadline,
                                        ordo_completion *out, size_t capacity, size_t *count);

/** *count receives the posts whose completions were not read yet. */
ORDO_API int ordo_completion_queue_outstanding(ordo_completion_queue queue, size_t *count);

/** Destroys the queue (NULL is accepted); see above for what it drops. */
ORDO_API int ordo_completion_queue_destroy(ordo_completion_queue queue);

/* ===========================================================================
 * Events: asynchronous waits and deferred releases
 * ======================================================================== */

/**
 * A future that completes DONE, carrying the same events, once every event
 * has reached CL_COMPLETE, or FAILED with ORDO_ERROR_EVENT_FAILED (cl_status =
 * the event's execution status) once one has a negative execution status,
 * within ORDO_FAILURE_POLL_BOUND_MS milliseconds of the failure. Events may
 * belong to several contexts. No thread waits: the library registers event
 * callbacks, and its one service thread polls where a runtime's callbacks
 * fall short (docs/RUNTIMES.md), so the future may complete on that thread.
 * num_events == 0 gives a future already DONE. Cancelling the future
 * (ordo_future_cancel) fails it at once and drops the library's event
 * references; since OpenCL cannot unregister a callback, a small record of
 * the wait lives on until the runtime calls back (for the process's
 * lifetime, on a runtime that never calls back for a failed event).
 */
ORDO_API int ordo_events_wait_async(const cl_event *events, size_t num_events, ordo_future *out);

/** The bound, in milliseconds, on how late a failed event is noticed. */
#define ORDO_FAILURE_POLL_BOUND_MS 100

/**
 * Waits until every cl_event reference that the library dropped on an OpenCL
 * callback thread before this call has been released by its service thread
 * (references are never released on a callback thread). Call it before
 * tearing down OpenCL contexts, or before checking reference counts.
 * ORDO_ERROR_TIMEOUT if the deadline passes first. Must not be called from a
 * callback.
 */
ORDO_API int ordo_events_flush_releases(ordo_deadline deadline);

/* ===========================================================================
 * Resources and tickets
 * ======================================================================== */

/**
 * A shared thing plus a FIFO of tickets. The handle may be destroyed while
 * tickets exist; the shared state lives until the last ticket ends. The
 * user value is never freed or dereferenced by the library.
 */
typedef struct ordo_resource_s *ordo_resource;

/**
 * A place in a resource's queue. Lifecycle:
 *   acquired -> (granted) -> released (ready / fail / cancel) -> destroyed.
 * Waits are allowed until the ticket is released; release is allowed once.
 * Destroying a ticket that was never released releases it as
 * ordo_ticket_ready(ticket, NULL, 0) would and logs the warning
 * "ticket released without ready" (the C++ wrapper fails it instead when
 * destroyed during stack unwinding).
 */
typedef struct ordo_ticket_s *ordo_ticket;

/**
 * How a ticket holds its resource. C++ sees the enum with int as its fixed
 * underlying type (the same size and representation as C's), so a value
 * outside the list, which the functions taking one reject, is well defined.
 */
#ifdef __cplusplus
typedef enum ordo_mode : int {
#else
typedef enum ordo_mode {
#endif
    ORDO_EXCLUSIVE = 0, /**< alone: granted after every earlier ticket released */
    ORDO_SHARED = 1     /**< beside the shared tickets next to it (readers) */
} ordo_mode;

/**
 * Creates a resource carrying value (may be NULL). name may be NULL; it is
 * copied and used in diagnostics and log messages.
 */
ORDO_API int ordo_resource_create(void *value, const char *name, ordo_resource *out);

/** The user value given at creation. */
ORDO_API int ordo_resource_value(ordo_resource resource, void **value);

/**
 * Takes the next place in the resource's queue: O(1), never blocks, safe from
 * any thread and from callbacks. Tickets are granted in the order of the
 * acquire calls (calls that overlap in time on different threads are
 * ordered as they happen to land). The first ticket on a resource is granted
 * at once, with no events.
 */
ORDO_API int ordo_resource_acquire(ordo_resource resource, ordo_ticket *out);

/**
 * Takes a *shared* place: consecutive shared tickets are granted together
 * (readers of a buffer run side by side), each receiving the events of the
 * exclusive ticket before them. An exclusive ticket (ordo_resource_acquire)
 * is granted only once every earlier ticket has released, and receives the
 * union of the events of the shared tickets just before it. Ticket order
 * still rules: a shared ticket never overtakes an earlier exclusive one.
 * O(1) and never blocks, like ordo_resource_acquire. (A group holds at most
 * 65,535 shared tickets; the next shared ticket starts a new group that is
 * granted after that one.)
 */
ORDO_API int ordo_resource_acquire_shared(ordo_resource resource, ordo_ticket *out);

/**
 * Destroys the resource handle (NULL is accepted). Tickets already taken
 * keep the resource's queue alive and are granted as usual.
 */
ORDO_API int ordo_resource_destroy(ordo_resource resource);

/** The user value of the ticket's resource. */
ORDO_API int ordo_ticket_value(ordo_ticket ticket, void **value);

/**
 * Host wait for the grant only. On success *events (borrowed, valid while the
 * ticket handle lives) and *num_events receive the predecessor's events, which
 * the holder must make its device work wait for; either pointer may be NULL.
 * If the predecessor failed, returns its failure status (its message is the
 * thread's last error message); the holder may then recover (ready) or pass
 * the failure on (fail). ORDO_ERROR_TIMEOUT if the deadline passes;
 * ORDO_ERROR_INVALID_STATE after the ticket was released.
 */
ORDO_API int ordo_ticket_wait(ordo_ticket ticket, ordo_deadline deadline, const cl_event **events,
                              size_t *num_events);

/**
 * Host wait for the grant and for every predecessor event to reach
 * CL_COMPLETE (without clWaitForEvents and without a thread per waiter).
 * An event with a negative execution status gives ORDO_ERROR_EVENT_FAILED,
 * within ORDO_FAILURE_POLL_BOUND_MS of its failure. Otherwise as
 * ordo_ticket_wait. Only a call that returns ORDO_OK or the predecessor's
 * failure counts as seeing.
 */
ORDO_API int ordo_ticket_wait_complete(ordo_ticket ticket, ordo_deadline deadline,
                                       const cl_event **events, size_t *num_events);

/**
 * Device wait: waits on the host for the grant only, then enqueues on queue a
 * barrier (clEnqueueBarrierWithWaitList) that waits for the predecessor's
 * events, so the commands enqueued after it wait on the device. Events of
 * another context than the queue's are bridged through a user event of the
 * queue's context that the library sets once they complete. With no events
 * to wait for nothing is enqueued (an empty wait list would wait for the
 * whole queue) and *barrier, if given, receives NULL; otherwise *barrier, if
 * given, receives the barrier's event, a new reference the caller releases.
 * The queue is not flushed. Errors as ordo_ticket_wait, plus ORDO_ERROR_OPENCL
 * if the enqueue fails (the message names the OpenCL error), and
 * ORDO_ERROR_EVENT_FAILED, enqueuing nothing, if one of the events has already
 * ended with a negative execution status (on some runtimes a command that
 * waits for such an event neither runs nor fails, which would stall the
 * queue). Counts as seeing when it returns ORDO_OK or the predecessor's
 * failure. With barrier NULL, ordo keeps the barrier's event until the
 * barrier has ended; a caller who takes it should do the same (some runtimes
 * abort when an event fails while a command waiting for it has no reference
 * left outside the runtime: docs/RUNTIMES.md).
 */
ORDO_API int ordo_ticket_enqueue_wait(ordo_ticket ticket, cl_command_queue queue,
                                      ordo_deadline deadline, cl_event *barrier);

/**
 * Deferred device wait (opt-in). Enqueues on queue at once, without waiting
 * on the host for anything, a barrier that the device honours once the
 * ticket is granted and the predecessor's events have completed: the
 * barrier waits for a user event of the queue's context, which the library
 * sets to CL_COMPLETE then (from whichever thread completes the last of
 * them), or to a negative status if the predecessor failed or an event
 * failed. *barrier (may be NULL) receives a new reference to the barrier,
 * which the caller may release at any time (ordo keeps its own until it has
 * set the user event and the barrier has ended). The user event is set only
 * once everything enqueued on queue before the barrier has ended (a marker
 * tells), so that the barrier ends in queue order even when it fails; on a
 * runtime that is not done with a command when it reports it ended, a
 * failure is set only once the runtime has let go of the marker too (the
 * service thread polls for it). Counts as seeing. Errors:
 * ORDO_ERROR_INVALID_ARGUMENT for a bad queue, ORDO_ERROR_OPENCL if the
 * enqueue fails (the user event is then set to an error status, never left
 * pending), ORDO_ERROR_INVALID_STATE after release.
 *
 * Why it is opt-in: commands queued behind an incomplete user event may
 * stall a runtime's queue (some drivers stop submitting the commands behind
 * it too); a runtime may run a flushed queue on the flushing thread until
 * the user event is set, so that thread must not be the one that would
 * release the predecessor; every pending user event must be set before the
 * OpenCL objects it refers to are released (release the predecessor, or
 * destroy its ticket, and let the work queued before the barrier end,
 * before tearing down the queue or the context); nothing the predecessor
 * releases with may depend on the barrier (a cycle the device never
 * leaves). Where a predecessor may fail, some runtimes are safer with
 * ordo_ticket_enqueue_wait. docs/RUNTIMES.md has each runtime's facts.
 */
ORDO_API int ordo_ticket_enqueue_wait_deferred(ordo_ticket ticket, cl_command_queue queue,
                                               cl_event *barrier);

/**
 * A future of the grant: DONE with the predecessor's events, or FAILED with
 * the predecessor's failure. Cancelling it before the grant fails it with
 * ORDO_ERROR_CANCELLED and cancels the ticket (ordo_ticket_cancel). Its
 * completing with the grant's outcome counts as seeing; taking it does not.
 */
ORDO_API int ordo_ticket_grant_future(ordo_ticket ticket, ordo_future *out);

/**
 * Releases the ticket: the next holder is granted and receives these events
 * (retained; each event's command queue is flushed so that the successor
 * never waits for a command that was never submitted). events may be NULL
 * when num_events is 0; a NULL event, or one the OpenCL runtime refuses to
 * retain, gives ORDO_ERROR_INVALID_ARGUMENT and nothing changes (how far a
 * runtime checks what it is given is up to the runtime: POCL accepts any
 * of its objects).
 *
 * Release before grant is legal: the successor is granted only once the
 * predecessor releases, and receives what "Seeing a grant" says. A holder
 * that has seen a failure recovers by calling this.
 * ORDO_ERROR_INVALID_STATE if the ticket was already released.
 */
ORDO_API int ordo_ticket_ready(ordo_ticket ticket, const cl_event *events, size_t num_events);

/**
 * Releases the ticket as failed: successors' waits return status (a failure
 * status, see "Status codes"; else ORDO_ERROR_INVALID_ARGUMENT) and message
 * (may be NULL). The failure takes effect once the predecessor has
 * released, never earlier. ORDO_ERROR_INVALID_STATE if already released.
 */
ORDO_API int ordo_ticket_fail(ordo_ticket ticket, int status, const char *message);

/**
 * Gives the ticket's place up without a warning: the successor is granted as
 * if this ticket had released with no events (and receives what "Seeing a
 * grant" says). ORDO_ERROR_INVALID_STATE if already released.
 */
ORDO_API int ordo_ticket_cancel(ordo_ticket ticket);

/**
 * Destroys the ticket handle (NULL is accepted). An unreleased ticket is
 * released as by ordo_ticket_ready(ticket, NULL, 0), with the warning
 * "ticket released without ready" through the log hook.
 */
ORDO_API int ordo_ticket_destroy(ordo_ticket ticket);

/* ===========================================================================
 * Job queues
 * ======================================================================== */

/**
 * A FIFO of futures that bounds the *pending* backlog of a pipeline: add a
 * future per chunk (a ticket's grant, a promise, an event wait), and the
 * queue tells when there is room, and which job failed.
 *
 * Its *length* counts the jobs added and not yet removed; clean and finish
 * remove completed jobs from the front, each job once, so a failed job is
 * reported exactly once. Its *backlog* counts the jobs added while pending
 * that have not completed yet (a job is counted out by its completion, a
 * moment after it completes); a job already complete when it is added is
 * never counted. A bounded queue (max_pending > 0) never lets its backlog
 * exceed max_pending: add waits for room, try_add answers
 * ORDO_ERROR_WOULD_BLOCK; a job that is complete, or completes while add
 * waits, never waits. The queue keeps its own reference to each job's
 * completion: the caller may destroy its future handle after adding.
 * Thread-safe; the waits take deadlines and must not be called from a
 * callback.
 */
typedef struct ordo_job_queue_s *ordo_job_queue;

/** Creates a job queue; max_pending == 0 makes it unbounded. */
ORDO_API int ordo_job_queue_create(size_t max_pending, ordo_job_queue *out);

/**
 * Appends job, first waiting (until deadline) while the backlog is at its
 * bound and the job is pending. ORDO_ERROR_TIMEOUT: nothing was added (a
 * small record of the call stays with the job until the job completes).
 */
ORDO_API int ordo_job_queue_add(ordo_job_queue queue, ordo_future job, ordo_deadline deadline);

/** Appends job if there is room now, else ORDO_ERROR_WOULD_BLOCK (nothing added). */
ORDO_API int ordo_job_queue_try_add(ordo_job_queue queue, ordo_future job);

/**
 * Removes the completed jobs at the front (stopping at the first pending
 * one). Returns ORDO_OK, or the status of the first failed job among those
 * removed, its message being the thread's last error message.
 */
ORDO_API int ordo_job_queue_clean(ordo_job_queue queue);

/**
 * Waits for the front jobs, removing each as it completes, until at most
 * max_remaining jobs remain; the later jobs are not touched. Stops at the
 * first failed job, which is removed and whose status is returned (message as
 * for clean), or at the deadline with ORDO_ERROR_TIMEOUT.
 */
ORDO_API int ordo_job_queue_finish(ordo_job_queue queue, size_t max_remaining,
                                   ordo_deadline deadline);

/** The number of jobs in the queue (complete or not). */
ORDO_API int ordo_job_queue_size(ordo_job_queue queue, size_t *size);

/** The number of jobs in the queue that have not completed. */
ORDO_API int ordo_job_queue_backlog(ordo_job_queue queue, size_t *backlog);

/** *contains = 1 if a job with job's completion is in the queue, else 0. */
ORDO_API int ordo_job_queue_contains(ordo_job_queue queue, ordo_future job, int *contains);

/**
 * A future that completes (DONE, no events) once the backlog is at most
 * level: at once if it already is. Use its callback or its file descriptor
 * (ordo_future_fd) to learn when a bounded queue has room again.
 */
ORDO_API int ordo_job_queue_backlog_future(ordo_job_queue queue, size_t level, ordo_future *out);

/**
 * Destroys the handle (NULL accepted); pending jobs are not affected. Backlog
 * futures (ordo_job_queue_backlog_future) that have not completed fail with
 * ORDO_ERROR_ABANDONED.
 */
ORDO_API int ordo_job_queue_destroy(ordo_job_queue queue);

/* ===========================================================================
 * Multi-resource tickets
 * ======================================================================== */

/**
 * Tickets on several resources taken at once. Two ordo_resource_acquire_many calls on
 * overlapping resources never interleave their places, so holders of
 * multi-tickets cannot deadlock through lock order (a plain acquire running
 * concurrently may land between the places of one call; it holds a single
 * resource and cannot close a cycle). One wait covers every grant; one
 * release releases every ticket still held, or each is released on its own.
 * Destroying it releases (with the usual warning) the tickets not released.
 */
typedef struct ordo_multi_ticket_s *ordo_multi_ticket;

/**
 * Takes a ticket on each of resources[0..n), n >= 1, in modes[i] (modes may
 * be NULL: all exclusive; a value not in ordo_mode gives
 * ORDO_ERROR_INVALID_ARGUMENT). A resource may appear only once
 * (ORDO_ERROR_INVALID_ARGUMENT). Never waits for any holder; it only
 * serialises against other ordo_resource_acquire_many calls on the same
 * resources.
 */
ORDO_API int ordo_resource_acquire_many(const ordo_resource *resources, const ordo_mode *modes,
                                        size_t n, ordo_multi_ticket *out);

/** *n receives the number of tickets (the n given at acquire). */
ORDO_API int ordo_multi_ticket_size(ordo_multi_ticket ticket, size_t *n);

/**
 * Waits for every grant (skipping tickets already released one by one).
 * On ORDO_OK, *events and *num_events receive the union of the predecessors'
 * events (borrowed, valid while the handle lives); otherwise the first
 * failure (of the tickets in the order given to ordo_resource_acquire_many) or
 * ORDO_ERROR_TIMEOUT, as ordo_ticket_wait. The union is fixed by the first
 * wait of any kind that got every grant: later waits return the same
 * array, also once tickets were released one by one.
 */
ORDO_API int ordo_multi_ticket_wait(ordo_multi_ticket ticket, ordo_deadline deadline,
                                    const cl_event **events, size_t *num_events);

/**
 * As ordo_multi_ticket_wait, then waits for that union to complete, as
 * ordo_ticket_wait_complete does.
 */
ORDO_API int ordo_multi_ticket_wait_complete(ordo_multi_ticket ticket, ordo_deadline deadline,
                                             const cl_event **events, size_t *num_events);

/**
 * Host wait for every grant, then one barrier on queue for the union, as
 * ordo_ticket_enqueue_wait does for one ticket (the same errors; *barrier
 * receives NULL when the union is empty).
 */
ORDO_API int ordo_multi_ticket_enqueue_wait(ordo_multi_ticket ticket, cl_command_queue queue,
                                            ordo_deadline deadline, cl_event *barrier);

/**
 * Releases every ticket not yet released, each with the same events.
 * ORDO_ERROR_INVALID_STATE if all were released already.
 */
ORDO_API int ordo_multi_ticket_ready(ordo_multi_ticket ticket, const cl_event *events,
                                     size_t num_events);

/**
 * Releases every ticket not yet released as failed, with status and message
 * (as ordo_ticket_fail). ORDO_ERROR_INVALID_STATE if all were released
 * already.
 */
ORDO_API int ordo_multi_ticket_fail(ordo_multi_ticket ticket, int status, const char *message);

/**
 * Releases the index-th ticket (in the order given at acquire) alone, as
 * ordo_ticket_ready. ORDO_ERROR_INVALID_ARGUMENT for an index out of range,
 * ORDO_ERROR_INVALID_STATE if that ticket was released already.
 */
ORDO_API int ordo_multi_ticket_ready_one(ordo_multi_ticket ticket, size_t index,
                                         const cl_event *events, size_t num_events);

/** Releases the index-th ticket alone as failed, as ordo_ticket_fail. */
ORDO_API int ordo_multi_ticket_fail_one(ordo_multi_ticket ticket, size_t index, int status,
                                        const char *message);

/**
 * Destroys the handle (NULL is accepted). Tickets not released yet are
 * released as ordo_ticket_destroy releases one, with its warning.
 */
ORDO_API int ordo_multi_ticket_destroy(ordo_multi_ticket ticket);

/* ===========================================================================
 * Rings of interchangeable resources
 * ======================================================================== */

/**
 * N-buffering: chunk k uses resource k mod N. A ring hands out the next
 * resource's ticket, in order, so a program writes one call per chunk. The
 * ring keeps the resources' shared state alive; their handles stay the
 * caller's (and may be destroyed).
 */
typedef struct ordo_ring_s *ordo_ring;

/**
 * A ring over resources[0..n), n >= 1, in that order; the first acquire
 * takes resources[0]. A resource may appear more than once.
 */
ORDO_API int ordo_ring_create(const ordo_resource *resources, size_t n, ordo_ring *out);

/**
 * A ticket in mode on the next resource of the ring; *index (may be NULL)
 * receives which. The turn and the acquire are one step under a short lock:
 * concurrent callers take turns in the order they get it. A mode not in
 * ordo_mode gives ORDO_ERROR_INVALID_ARGUMENT and takes no turn.
 */
ORDO_API int ordo_ring_acquire(ordo_ring ring, ordo_mode mode, ordo_ticket *out, size_t *index);

/** *n receives the number of resources in the ring. */
ORDO_API int ordo_ring_size(ordo_ring ring, size_t *n);

/** The user value of the index-th resource. */
ORDO_API int ordo_ring_value(ordo_ring ring, size_t index, void **value);

/** Destroys the ring handle (NULL is accepted); tickets taken stay valid. */
ORDO_API int ordo_ring_destroy(ordo_ring ring);

/* ===========================================================================
 * Diagnostics and tracing
 * ======================================================================== */

/**
 * Turns the ticket registry on or off (initially on if the environment
 * variable ORDO_DIAGNOSTICS is set to anything but "" or "0"). While on,
 * every acquire also records its ticket in a table guarded by one mutex (so
 * acquire then takes that lock), and ordo_diagnostics_dump lists every pending ticket.
 * While off, ordo_diagnostics_dump lists only named tickets and tickets whose holder is
 * waiting on the host.
 */
ORDO_API int ordo_diagnostics_enable(int enable);

/** Names a ticket for dumps and log messages (copied; NULL clears it). */
ORDO_API int ordo_ticket_set_name(ordo_ticket ticket, const char *name);

/**
 * Writes a readable account of a resource's queue (NULL: of every resource):
 * each pending ticket, whether it holds or waits, since when, the host
 * thread waiting for it, and its predecessor's events with their execution
 * status. Writes at most capacity - 1 characters and a NUL into buffer (NULL
 * when capacity is 0); *length (may be NULL) receives the full length, so a
 * caller can retry with a larger buffer.
 */
ORDO_API int ordo_diagnostics_dump(ordo_resource resource, char *buffer, size_t capacity,
                                   size_t *length);

/**
 * How often the fast cycle ran, all resources together, since the library
 * was loaded. An exclusive ticket acquired while its resource is idle (its
 * last ticket released with no events, or none was ever taken; no ticket
 * waiting; diagnostics and tracing off) is granted at once, without
 * reference counting; released with no events before another ticket queued
 * behind it, it leaves its resource idle again at the cost of two atomic
 * operations. Any other case turns it into a full ticket at its release, with
 * the same contract. These counts show which a program gets.
 */
typedef struct ordo_fast_path_counts {
    uint64_t acquired;   /**< exclusive tickets granted on the fast path */
    uint64_t put_back;   /**< of those, released with nothing to hand on: the resource idle again */
    uint64_t left;       /**< of those, made full tickets at their release (events, a failure, or a
                            successor) */
    uint64_t replaced;   /**< of those left, the ones another ticket had queued behind */
    uint64_t orphans;    /**< resources freed by their fast ticket (the handle destroyed first) */
    uint64_t idle_again; /**< full tickets whose release made their resource idle again */
    uint64_t lost_races; /**< fast acquires that another acquire overtook (granted the full way) */
} ordo_fast_path_counts;

/**
 * Fills *counts. ORDO_ERROR_INVALID_STATE if this build of the library does
 * not count (meson option fast_path_counts: release builds do not, since
 * counting costs the fast path an atomic add per count).
 */
ORDO_API int ordo_diagnostics_fast_path(ordo_fast_path_counts *counts);

/**
 * Reports, through the log hook at ORDO_LOG_WARNING and with a dump of the
 * resource, every host wait for a grant (or a grant's events) that has lasted
 * threshold_ns; 0 (the default) turns it off. The report is made once per
 * wait, by the waiting thread, which then goes on waiting.
 */
ORDO_API int ordo_diagnostics_set_wait_warning(int64_t threshold_ns);

/**
 * Starts recording every acquire, grant (as seen by its holder), release and
 * host wait into a ring buffer of capacity records (the oldest overwritten),
 * dropping earlier records. Costs each recorded operation a few atomic
 * writes; off by default, when it costs one load. ORDO_ERROR_INVALID_ARGUMENT
 * for a capacity of 0 or above 2^24 records; ORDO_ERROR_OUT_OF_MEMORY if the
 * buffer cannot be allocated.
 */
ORDO_API int ordo_trace_start(size_t capacity);

/** Stops recording (the records stay until the next start). */
ORDO_API int ordo_trace_stop(void);

/**
 * Writes the records as Chrome trace-event JSON (chrome://tracing, Perfetto):
 * one async slice per ticket from acquire to release, named after its
 * resource, with an instant at its grant, and each host wait as a slice on
 * its thread. ORDO_ERROR_SYSTEM if the file cannot be written.
 */
ORDO_API int ordo_trace_write(const char *path);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ORDO_ORDO_H */
