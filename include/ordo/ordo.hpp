// ordo.hpp - header-only C++20 wrapper over the C ABI of ordo.h.
//
// Handles. Every class here owns one C handle (detail::Handle): moving
// transfers it, destruction destroys it, and copying a Future clones the
// handle (both refer to the same completion). The other classes move only.
//
// Errors and timeouts, one policy for every wait. A call that fails throws
// ordo::Error with the status and the library's message; a wait whose
// future or predecessor failed throws the failure the same way. A wait
// never throws for a timeout: X() waits without limit and returns what X
// gives, X_until(deadline) returns std::nullopt (or false, when X gives
// nothing) once the deadline passes; ordo::never as the deadline makes the
// two the same. try_add is the one non-blocking call that can refuse: it
// returns false.
//
// Nothing here changes what ordo.h documents about threads, callbacks and
// cl_event ownership. OpenCL objects come and go as OpenCL-CLHPP types
// (cl::Event, cl::CommandQueue) or as raw handles. Coroutine support is in
// <ordo/coro.hpp>.
//
// Define CL_HPP_TARGET_OPENCL_VERSION / CL_HPP_MINIMUM_OPENCL_VERSION before
// including this header to choose them; both default to 120.
#ifndef ORDO_ORDO_HPP
#define ORDO_ORDO_HPP

#ifndef CL_HPP_TARGET_OPENCL_VERSION
#define CL_HPP_TARGET_OPENCL_VERSION 120
#endif
#ifndef CL_HPP_MINIMUM_OPENCL_VERSION
#define CL_HPP_MINIMUM_OPENCL_VERSION 120
#endif
#include <CL/opencl.hpp>

#include <ordo/ordo.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace ordo {

// A failed call, or a failed wait.
class Error : public std::runtime_error {
public:
    Error(int status, const std::string &message) : std::runtime_error(message), status_(status) {}
    int status() const noexcept { return status_; }

private:
    int status_;
};

// Absolute deadlines on the monotonic clock, in nanoseconds.
using Deadline = ordo_deadline;
inline constexpr Deadline never = ORDO_DEADLINE_NEVER;
inline Deadline now() noexcept {
    return ordo_now();
}
template <class Rep, class Period>
Deadline deadline_after(std::chrono::duration<Rep, Period> timeout) noexcept {
    return ordo_deadline_after(
        std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count());
}

// How a ticket holds its resource.
enum class Mode : int { exclusive = ORDO_EXCLUSIVE, shared = ORDO_SHARED };

// Borrowed events, valid as long as the handle they came from.
using EventSpan = std::span<const cl_event>;

namespace detail {

inline int check(int status) {
    if (status < 0)
        throw Error(status, ordo_last_error_message());
    return status;
}
// A wait's status: true if it ended, false on timeout; throws on failure.
inline bool check_wait(int status) {
    if (status == ORDO_ERROR_TIMEOUT)
        return false;
    check(status);
    return true;
}
// Polls return ORDO_PENDING, ORDO_OK or a failure status; only a bad
// handle is an error of the call itself.
inline int check_poll(int status) {
    if (status == ORDO_ERROR_INVALID_HANDLE)
        throw Error(status, ordo_last_error_message());
    return status;
}
inline std::vector<cl::Event> to_events(EventSpan events) {
    std::vector<cl::Event> out;
    out.reserve(events.size());
    for (cl_event e : events)
        out.emplace_back(e, true); // retains: the vector owns its references
    return out;
}
static_assert(sizeof(cl::Event) == sizeof(cl_event), "cl::Event wraps exactly a cl_event");
inline EventSpan raw(const std::vector<cl::Event> &events) {
    return {events.empty() ? nullptr : reinterpret_cast<const cl_event *>(events.data()),
            events.size()};
}
inline ordo_mode raw(Mode mode) noexcept {
    return static_cast<ordo_mode>(mode);
}
// How many frames of ordo::Task coroutines (coro.hpp) that ended with an
// exception this thread is destroying right now: their parameters are
// destroyed then, after the exception was caught, and a Ticket among them
// fails as if unwinding.
inline int &failed_frames_being_destroyed() noexcept {
    thread_local int n = 0;
    return n;
}

// One owned C handle of type H, destroyed by Destroy (which accepts NULL).
template <class H, int (*Destroy)(H)>
class Handle {
public:
    Handle() noexcept = default;
    // Takes over a handle the caller owns.
    explicit Handle(H handle) noexcept : h_(handle) {}
    Handle(Handle &&other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
    Handle &operator=(Handle &&other) noexcept {
        Handle(std::move(other)).swap(*this);
        return *this;
    }
    Handle(const Handle &) = delete;
    Handle &operator=(const Handle &) = delete;
    ~Handle() { Destroy(h_); }

    H get() const noexcept { return h_; }
    explicit operator bool() const noexcept { return h_ != nullptr; }
    // Gives the handle up to the caller, who must destroy it.
    H release() noexcept { return std::exchange(h_, nullptr); }
    void swap(Handle &other) noexcept { std::swap(h_, other.h_); }

protected:
    // For constructors that create the handle through an out parameter.
    H *out() noexcept { return &h_; }

private:
    H h_ = nullptr;
};

// Calls make(&out) and wraps out; for the functions that return handles.
template <class T, class H, class Make>
T made(Make &&make) {
    H handle = nullptr;
    check(make(&handle));
    return T(handle);
}

// What a ticket and a multi-ticket share, written once over the C functions
// that make it (the same signatures for both): the waits, each as x(),
// waiting without limit, and x_until(deadline), empty on timeout; and the
// count of places not released yet, which the destructor fails when it runs
// during stack unwinding (see Ticket).
template <class H, int (*Destroy)(H), int (*Wait)(H, ordo_deadline, const cl_event **, size_t *),
          int (*WaitComplete)(H, ordo_deadline, const cl_event **, size_t *),
          int (*EnqueueWait)(H, cl_command_queue, ordo_deadline, cl_event *),
          int (*Fail)(H, int, const char *)>
class Holder : public Handle<H, Destroy> {
public:
    using Handle<H, Destroy>::get;

    Holder(Holder &&other) noexcept
        : Handle<H, Destroy>(std::move(other)), unreleased_(std::exchange(other.unreleased_, 0)),
          uncaught_(other.uncaught_) {}
    Holder &operator=(Holder &&other) noexcept {
        Holder(std::move(other)).swap(*this);
        return *this;
    }
    ~Holder() {
        if (*this && unreleased_ > 0 &&
            (std::uncaught_exceptions() > uncaught_ || failed_frames_being_destroyed() > 0))
            Fail(get(), ORDO_ERROR_ABANDONED, "ticket dropped while an exception was propagating");
    }
    void swap(Holder &other) noexcept {
        Handle<H, Destroy>::swap(other);
        std::swap(unreleased_, other.unreleased_);
        std::swap(uncaught_, other.uncaught_);
    }

    // True once every place was released (together or one by one).
    bool released() const noexcept { return unreleased_ == 0; }

    // Host wait for the grant: the predecessors' events, or throws their
    // failure. The view borrows them (valid while this handle lives).
    std::vector<cl::Event> wait() const { return to_events(wait_view()); }
    std::optional<std::vector<cl::Event>> wait_until(Deadline deadline) const {
        return owned(wait_view_until(deadline));
    }
    EventSpan wait_view() const { return *wait_view_until(never); }
    std::optional<EventSpan> wait_view_until(Deadline deadline) const {
        return waited(Wait, deadline);
    }

    // Host wait for the grant and for its events to complete.
    std::vector<cl::Event> wait_complete() const { return *wait_complete_until(never); }
    std::optional<std::vector<cl::Event>> wait_complete_until(Deadline deadline) const {
        return owned(waited(WaitComplete, deadline));
    }

    // Device wait: a barrier on queue for the predecessors' events. Returns
    // the barrier's event, or a null cl::Event when nothing was enqueued.
    cl::Event enqueue_wait(cl_command_queue queue) const {
        return *enqueue_wait_until(queue, never);
    }
    std::optional<cl::Event> enqueue_wait_until(cl_command_queue queue, Deadline deadline) const {
        cl_event barrier = nullptr;
        if (!check_wait(EnqueueWait(get(), queue, deadline, &barrier)))
            return std::nullopt;
        return barrier != nullptr ? cl::Event(barrier, false) : cl::Event();
    }
    cl::Event enqueue_wait(const cl::CommandQueue &queue) const { return enqueue_wait(queue()); }
    std::optional<cl::Event> enqueue_wait_until(const cl::CommandQueue &queue,
                                                Deadline deadline) const {
        return enqueue_wait_until(queue(), deadline);
    }

protected:
    Holder() noexcept = default;
    // Takes over a handle the caller owns, holding `places` unreleased.
    Holder(H handle, size_t places) noexcept : Handle<H, Destroy>(handle), unreleased_(places) {}
    using Handle<H, Destroy>::out;
    // Every place, or one, was released (by a call that succeeded).
    void released_all(size_t places = 0) noexcept { unreleased_ = places; }
    void released_one() noexcept { --unreleased_; }

private:
    template <class F>
    std::optional<EventSpan> waited(F wait, Deadline deadline) const {
        const cl_event *events = nullptr;
        size_t n = 0;
        if (!check_wait(wait(get(), deadline, &events, &n)))
            return std::nullopt;
        return EventSpan(events, n);
    }
    static std::optional<std::vector<cl::Event>> owned(std::optional<EventSpan> events) {
        if (!events)
            return std::nullopt;
        return to_events(*events);
    }

    size_t unreleased_ = 0;
    int uncaught_ = std::uncaught_exceptions();
};

} // namespace detail

// ---------------------------------------------------------------------------
// Future: one completion (see ordo_future in ordo.h).
class Future : public detail::Handle<ordo_future, ordo_future_destroy> {
public:
    Future() noexcept = default;
    // Takes over a handle the caller owns.
    explicit Future(ordo_future handle) noexcept : Handle(handle) {}
    Future(const Future &other) : Handle() {
        if (other)
            detail::check(ordo_future_clone(other.get(), out()));
    }
    Future(Future &&) noexcept = default;
    Future &operator=(Future other) noexcept {
        swap(other);
        return *this;
    }

    // ORDO_PENDING, ORDO_OK or the failure status.
    int poll() const { return detail::check_poll(ordo_future_poll(get())); }
    bool done() const { return poll() != ORDO_PENDING; }

    // Waits; throws Error if the future failed.
    void wait() const { wait_until(never); }
    // False on timeout (with ORDO_WAIT_CANCEL in flags, also cancels).
    bool wait_until(Deadline deadline, unsigned flags = 0) const {
        return detail::check_wait(ordo_future_wait(get(), deadline, flags));
    }

    // The events of a done future (borrowed, valid while this handle lives).
    EventSpan events_view() const {
        const cl_event *events = nullptr;
        size_t n = 0;
        detail::check(ordo_future_events(get(), &events, &n));
        return {events, n};
    }
    std::vector<cl::Event> events() const { return detail::to_events(events_view()); }

    // Runs f(status) once on completion; see ordo.h for the thread.
    template <class F>
    void on_complete(F &&f) const {
        using Fn = std::decay_t<F>;
        auto holder = std::make_unique<Fn>(std::forward<F>(f));
        detail::check(ordo_future_on_complete(
            get(),
            [](void *data, int status) {
                std::unique_ptr<Fn> fn(static_cast<Fn *>(data));
                (*fn)(status);
            },
            holder.get()));
        holder.release();
    }

    int fd() const {
        int fd = -1;
        detail::check(ordo_future_fd(get(), &fd));
        return fd;
    }
    void cancel() const { detail::check(ordo_future_cancel(get())); }
};

// ---------------------------------------------------------------------------
// Promise: a future the caller completes.
class Promise : public detail::Handle<ordo_promise, ordo_promise_destroy> {
public:
    Promise() { detail::check(ordo_promise_create(out())); }

    Future future() const {
        return detail::made<Future, ordo_future>(
            [&](ordo_future *f) { return ordo_promise_future(get(), f); });
    }
    void complete(const std::vector<cl::Event> &events = {}) const {
        complete(detail::raw(events));
    }
    void complete(EventSpan events) const {
        detail::check(ordo_promise_complete(get(), events.data(), events.size()));
    }
    void fail(int status, const std::string &message) const {
        detail::check(ordo_promise_fail(get(), status, message.c_str()));
    }
};

// A future that completes once all the events have (ordo_events_wait_async).
inline Future wait_events_async(EventSpan events) {
    return detail::made<Future, ordo_future>(
        [&](ordo_future *f) { return ordo_events_wait_async(events.data(), events.size(), f); });
}
inline Future wait_events_async(const std::vector<cl::Event> &events) {
    return wait_events_async(detail::raw(events));
}

// The completions of any number of futures on one descriptor (ordo.h,
// "Completion queues"): post futures with tags, watch fd(), read batches.
class CompletionQueue
    : public detail::Handle<ordo_completion_queue, ordo_completion_queue_destroy> {
public:
    CompletionQueue() { detail::check(ordo_completion_queue_create(out())); }

    // Readable while a completion is unread; owned by the queue.
    int fd() const {
        int fd = -1;
        detail::check(ordo_completion_queue_fd(get(), &fd));
        return fd;
    }
    void post(const Future &future, uint64_t tag) const {
        detail::check(ordo_completion_queue_post(get(), future.get(), tag));
    }
    // Up to out.size() (>= 1) completions into out, oldest first; never
    // blocks. Returns how many.
    size_t read(std::span<ordo_completion> out) const {
        size_t n = 0;
        detail::check(ordo_completion_queue_read(get(), out.data(), out.size(), &n));
        return n;
    }
    // read(), first waiting for a completion; 0 if the deadline passed.
    size_t read_until(std::span<ordo_completion> out, Deadline deadline) const {
        size_t n = 0;
        detail::check_wait(ordo_completion_queue_wait(get(), deadline, out.data(), out.size(), &n));
        return n;
    }
    // Posts whose completions were not read yet.
    size_t outstanding() const {
        size_t n = 0;
        detail::check(ordo_completion_queue_outstanding(get(), &n));
        return n;
    }
};

// ---------------------------------------------------------------------------
// JobQueue: a FIFO of futures bounding the pending backlog (ordo_job_queue).
class JobQueue : public detail::Handle<ordo_job_queue, ordo_job_queue_destroy> {
public:
    explicit JobQueue(size_t max_pending = 0) {
        detail::check(ordo_job_queue_create(max_pending, out()));
    }

    // Appends job, first waiting for room.
    void add(const Future &job) const { add_until(job, never); }
    // False if the deadline passed first (nothing added).
    bool add_until(const Future &job, Deadline deadline) const {
        return detail::check_wait(ordo_job_queue_add(get(), job.get(), deadline));
    }
    // False if the backlog is at its bound (nothing added).
    bool try_add(const Future &job) const {
        int status = ordo_job_queue_try_add(get(), job.get());
        if (status == ORDO_ERROR_WOULD_BLOCK)
            return false;
        detail::check(status);
        return true;
    }
    // Throws Error with the first failure among the removed jobs.
    void clean() const { detail::check(ordo_job_queue_clean(get())); }
    // Waits until at most max_remaining jobs remain; throws Error if a
    // removed job failed.
    void finish(size_t max_remaining = 0) const { finish_until(max_remaining, never); }
    // False if the deadline passed first.
    bool finish_until(size_t max_remaining, Deadline deadline) const {
        return detail::check_wait(ordo_job_queue_finish(get(), max_remaining, deadline));
    }
    size_t size() const {
        size_t n = 0;
        detail::check(ordo_job_queue_size(get(), &n));
        return n;
    }
    bool empty() const { return size() == 0; }
    size_t backlog() const {
        size_t n = 0;
        detail::check(ordo_job_queue_backlog(get(), &n));
        return n;
    }
    bool contains(const Future &job) const {
        int c = 0;
        detail::check(ordo_job_queue_contains(get(), job.get(), &c));
        return c != 0;
    }
    Future backlog_at_most(size_t level) const {
        return detail::made<Future, ordo_future>(
            [&](ordo_future *f) { return ordo_job_queue_backlog_future(get(), level, f); });
    }
};

// ---------------------------------------------------------------------------
// Ticket: a place in a resource's queue (see ordo_ticket in ordo.h).
//
// A Ticket destroyed without release is released by the library: as a
// failure (ORDO_ERROR_ABANDONED) when destroyed during stack unwinding, so
// successors learn that this chunk's work did not happen; otherwise with no
// events and the warning "ticket released without ready". "During stack
// unwinding" means: a local destroyed while an exception passes through its
// scope, or a parameter of an ordo::Task coroutine (coro.hpp) whose body an
// exception left (the frame, parameters included, is destroyed with the
// Task). A parameter of another coroutine type is destroyed with its frame,
// after the exception was caught: move it into a local of the body to get
// the failure.
class Ticket
    : public detail::Holder<ordo_ticket, ordo_ticket_destroy, ordo_ticket_wait,
                            ordo_ticket_wait_complete, ordo_ticket_enqueue_wait, ordo_ticket_fail> {
public:
    Ticket() noexcept = default;
    // Takes over a handle the caller owns (an unreleased ticket).
    explicit Ticket(ordo_ticket handle) noexcept : Holder(handle, handle != nullptr ? 1 : 0) {}

    // Deferred device wait (see ordo_ticket_enqueue_wait_deferred): enqueued
    // at once, honoured by the device once the grant and its events are done.
    cl::Event enqueue_wait_deferred(cl_command_queue queue) const {
        cl_event barrier = nullptr;
        detail::check(ordo_ticket_enqueue_wait_deferred(get(), queue, &barrier));
        return cl::Event(barrier, false);
    }
    cl::Event enqueue_wait_deferred(const cl::CommandQueue &queue) const {
        return enqueue_wait_deferred(queue());
    }
    Future grant_future() const {
        return detail::made<Future, ordo_future>(
            [&](ordo_future *f) { return ordo_ticket_grant_future(get(), f); });
    }
    // Names the ticket in dumps and log messages.
    void set_name(const std::string &name) const {
        detail::check(ordo_ticket_set_name(get(), name.c_str()));
    }

    void ready(const std::vector<cl::Event> &events = {}) { ready(detail::raw(events)); }
    void ready(EventSpan events) {
        detail::check(ordo_ticket_ready(get(), events.data(), events.size()));
        released_all();
    }
    void ready(std::initializer_list<cl_event> events) {
        ready(EventSpan(events.begin(), events.size()));
    }
    void fail(int status, const std::string &message) {
        detail::check(ordo_ticket_fail(get(), status, message.c_str()));
        released_all();
    }
    void cancel() {
        detail::check(ordo_ticket_cancel(get()));
        released_all();
    }

    void *value() const {
        void *v = nullptr;
        detail::check(ordo_ticket_value(get(), &v));
        return v;
    }
    template <class T>
    T *value_as() const {
        return static_cast<T *>(value());
    }
};

// ---------------------------------------------------------------------------
// Resource: a user value and a FIFO of tickets.
class Resource : public detail::Handle<ordo_resource, ordo_resource_destroy> {
public:
    explicit Resource(void *value = nullptr, const char *name = nullptr) {
        detail::check(ordo_resource_create(value, name, out()));
    }

    Ticket acquire(Mode mode = Mode::exclusive) const {
        return detail::made<Ticket, ordo_ticket>([&](ordo_ticket *t) {
            return mode == Mode::shared ? ordo_resource_acquire_shared(get(), t)
                                        : ordo_resource_acquire(get(), t);
        });
    }
    // A shared place: consecutive shared tickets are granted together.
    Ticket acquire_shared() const { return acquire(Mode::shared); }
    // A readable account of this resource's queue (see ordo_diagnostics_dump).
    std::string dump() const;
    void *value() const {
        void *v = nullptr;
        detail::check(ordo_resource_value(get(), &v));
        return v;
    }
};

// ---------------------------------------------------------------------------
// MultiTicket: tickets on several resources at once (ordo_resource_acquire_many).
//
// Destroyed during stack unwinding (as a Ticket), it fails the tickets it
// has not released; otherwise the library releases them with a warning.
class MultiTicket : public detail::Holder<ordo_multi_ticket, ordo_multi_ticket_destroy,
                                          ordo_multi_ticket_wait, ordo_multi_ticket_wait_complete,
                                          ordo_multi_ticket_enqueue_wait, ordo_multi_ticket_fail> {
public:
    // modes: one per resource; empty means all exclusive.
    MultiTicket(std::initializer_list<std::reference_wrapper<const Resource>> resources,
                std::vector<Mode> modes = {}) {
        std::vector<ordo_resource> raw;
        for (const Resource &r : resources)
            raw.push_back(r.get());
        if (!modes.empty() && modes.size() != raw.size())
            throw Error(ORDO_ERROR_INVALID_ARGUMENT, "one mode per resource");
        std::vector<ordo_mode> raw_modes;
        for (Mode m : modes)
            raw_modes.push_back(detail::raw(m));
        detail::check(ordo_resource_acquire_many(
            raw.data(), raw_modes.empty() ? nullptr : raw_modes.data(), raw.size(), out()));
        released_all(raw.size()); // none released: all held
    }

    size_t size() const {
        size_t n = 0;
        detail::check(ordo_multi_ticket_size(get(), &n));
        return n;
    }
    // The waits (Holder) give the union of every predecessor's events, or
    // throw the first failure.

    // Releases every ticket not released yet.
    void ready(const std::vector<cl::Event> &events = {}) {
        EventSpan e = detail::raw(events);
        detail::check(ordo_multi_ticket_ready(get(), e.data(), e.size()));
        released_all();
    }
    void fail(int status, const std::string &message) {
        detail::check(ordo_multi_ticket_fail(get(), status, message.c_str()));
        released_all();
    }
    // Releases the index-th ticket alone.
    void ready_one(size_t index, const std::vector<cl::Event> &events = {}) {
        EventSpan e = detail::raw(events);
        detail::check(ordo_multi_ticket_ready_one(get(), index, e.data(), e.size()));
        released_one();
    }
    void fail_one(size_t index, int status, const std::string &message) {
        detail::check(ordo_multi_ticket_fail_one(get(), index, status, message.c_str()));
        released_one();
    }
};

// ---------------------------------------------------------------------------
// Ring: chunk k uses resource k mod N (ordo_ring).
class Ring : public detail::Handle<ordo_ring, ordo_ring_destroy> {
public:
    explicit Ring(const std::vector<std::reference_wrapper<const Resource>> &resources) {
        std::vector<ordo_resource> raw;
        for (const Resource &r : resources)
            raw.push_back(r.get());
        detail::check(ordo_ring_create(raw.data(), raw.size(), out()));
    }

    // The next resource's ticket; *index (if given) receives which resource.
    // The arguments are in ordo_ring_acquire's order.
    Ticket acquire(Mode mode = Mode::exclusive, size_t *index = nullptr) const {
        return detail::made<Ticket, ordo_ticket>(
            [&](ordo_ticket *t) { return ordo_ring_acquire(get(), detail::raw(mode), t, index); });
    }
    size_t size() const {
        size_t n = 0;
        detail::check(ordo_ring_size(get(), &n));
        return n;
    }
    void *value(size_t index) const {
        void *v = nullptr;
        detail::check(ordo_ring_value(get(), index, &v));
        return v;
    }
};

// ---------------------------------------------------------------------------
// Diagnostics and tracing.
inline void enable_diagnostics(bool enable = true) {
    detail::check(ordo_diagnostics_enable(enable ? 1 : 0));
}
// A readable account of a resource's queue, or of every resource's.
inline std::string dump(const Resource *resource = nullptr) {
    size_t length = 0;
    ordo_resource r = resource != nullptr ? resource->get() : nullptr;
    detail::check(ordo_diagnostics_dump(r, nullptr, 0, &length));
    std::string text(length + 1, '\0');
    detail::check(ordo_diagnostics_dump(r, text.data(), text.size(), &length));
    text.resize(std::min(length, text.size() - 1));
    return text;
}
inline std::string Resource::dump() const {
    return ordo::dump(this);
}
template <class Rep, class Period>
void set_wait_warning(std::chrono::duration<Rep, Period> threshold) {
    detail::check(ordo_diagnostics_set_wait_warning(
        std::chrono::duration_cast<std::chrono::nanoseconds>(threshold).count()));
}
inline void trace_start(size_t capacity = 1 << 16) {
    detail::check(ordo_trace_start(capacity));
}
inline void trace_stop() {
    detail::check(ordo_trace_stop());
}
inline void trace_write(const std::string &path) {
    detail::check(ordo_trace_write(path.c_str()));
}

} // namespace ordo

#endif // ORDO_ORDO_HPP
