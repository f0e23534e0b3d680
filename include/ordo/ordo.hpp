// ordo.hpp - header-only C++20 wrapper over the C ABI of ordo.h.
//
// Every class here owns one C handle: moving transfers it, destruction
// destroys it, copying a Future clones the handle (both refer to the same
// completion). Failures become ordo::Error exceptions carrying the status and
// the library's message; nothing here changes what ordo.h documents about
// threads, callbacks and cl_event ownership. OpenCL objects come and go as
// OpenCL-CLHPP types (cl::Event, cl::CommandQueue) or as raw handles.
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
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <coroutine>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace ordo {

// A failed call, or a failed or timed-out wait.
class Error : public std::runtime_error {
public:
    Error(int status, const std::string &message) : std::runtime_error(message), status_(status) {}
    int status() const noexcept { return status_; }

private:
    int status_;
};

namespace detail {
inline int check(int status) {
    if (status < 0)
        throw Error(status, ordo_last_error_message());
    return status;
}
// Polls return ORDO_PENDING, ORDO_OK or a failure status; only a bad
// handle is an error of the call itself.
inline int check_poll(int status) {
    if (status == ORDO_ERROR_INVALID_HANDLE)
        throw Error(status, ordo_last_error_message());
    return status;
}
inline std::vector<cl::Event> to_events(const cl_event *events, size_t n) {
    std::vector<cl::Event> out;
    out.reserve(n);
    for (size_t i = 0; i < n; ++i)
        out.emplace_back(events[i], true); // retains: the vector owns its references
    return out;
}
static_assert(sizeof(cl::Event) == sizeof(cl_event), "cl::Event wraps exactly a cl_event");
inline const cl_event *raw(const std::vector<cl::Event> &events) {
    return events.empty() ? nullptr : reinterpret_cast<const cl_event *>(events.data());
}
// How many frames of ordo::Task coroutines that ended with an exception this
// thread is destroying right now: their parameters are destroyed then, after
// the exception was caught, and a Ticket among them fails as if unwinding.
inline int &failed_frames_being_destroyed() noexcept {
    thread_local int n = 0;
    return n;
}
} // namespace detail

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

// Borrowed events, valid as long as the handle they came from.
using EventSpan = std::span<const cl_event>;

// Runs the function that resumes a coroutine, where it likes (see Coroutines).
using Executor = std::function<void(std::function<void()>)>;

// ---------------------------------------------------------------------------
// Future: one completion (see ordo_future in ordo.h).
class Future {
public:
    Future() noexcept = default;
    // Takes over a handle the caller owns.
    explicit Future(ordo_future handle) noexcept : h_(handle) {}
    Future(const Future &other) : h_(nullptr) {
        if (other.h_ != nullptr)
            detail::check(ordo_future_clone(other.h_, &h_));
    }
    Future(Future &&other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
    Future &operator=(Future other) noexcept {
        std::swap(h_, other.h_);
        return *this;
    }
    ~Future() { ordo_future_destroy(h_); }

    ordo_future get() const noexcept { return h_; }
    explicit operator bool() const noexcept { return h_ != nullptr; }
    ordo_future release() noexcept { return std::exchange(h_, nullptr); }

    // ORDO_PENDING, ORDO_OK or the failure status.
    int poll() const { return detail::check_poll(ordo_future_poll(h_)); }
    bool done() const { return poll() != ORDO_PENDING; }

    // Waits; false on timeout; throws Error if the future failed.
    bool wait_until(Deadline deadline, unsigned flags = 0) const {
        int status = ordo_future_wait(h_, deadline, flags);
        if (status == ORDO_ERROR_TIMEOUT)
            return false;
        detail::check(status);
        return true;
    }
    void wait() const { wait_until(never); }

    // The events of a done future (borrowed, valid while this handle lives).
    EventSpan events_view() const {
        const cl_event *events = nullptr;
        size_t n = 0;
        detail::check(ordo_future_events(h_, &events, &n));
        return {events, n};
    }
    std::vector<cl::Event> events() const {
        EventSpan s = events_view();
        return detail::to_events(s.data(), s.size());
    }

    // Runs f(status) once on completion; see ordo.h for the thread.
    template <class F>
    void on_complete(F &&f) const {
        using Fn = std::decay_t<F>;
        auto holder = std::make_unique<Fn>(std::forward<F>(f));
        detail::check(ordo_future_on_complete(
            h_,
            [](void *data, int status) {
                std::unique_ptr<Fn> fn(static_cast<Fn *>(data));
                (*fn)(status);
            },
            holder.get()));
        holder.release();
    }

    int fd() const {
        int fd = -1;
        detail::check(ordo_future_fd(h_, &fd));
        return fd;
    }
    void cancel() const { detail::check(ordo_future_cancel(h_)); }

private:
    ordo_future h_ = nullptr;
};

// ---------------------------------------------------------------------------
// Promise: a future the caller completes.
class Promise {
public:
    Promise() { detail::check(ordo_promise_create(&h_)); }
    Promise(Promise &&other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
    Promise &operator=(Promise other) noexcept {
        std::swap(h_, other.h_);
        return *this;
    }
    ~Promise() { ordo_promise_destroy(h_); }

    ordo_promise get() const noexcept { return h_; }
    Future future() const {
        ordo_future f = nullptr;
        detail::check(ordo_promise_future(h_, &f));
        return Future(f);
    }
    void complete(const std::vector<cl::Event> &events = {}) const {
        detail::check(ordo_promise_complete(h_, detail::raw(events), events.size()));
    }
    void complete(std::span<const cl_event> events) const {
        detail::check(ordo_promise_complete(h_, events.data(), events.size()));
    }
    void fail(int status, const std::string &message) const {
        detail::check(ordo_promise_fail(h_, status, message.c_str()));
    }

private:
    ordo_promise h_ = nullptr;
};

// A future that completes once all the events have (ordo_wait_events_async).
inline Future wait_events_async(std::span<const cl_event> events) {
    ordo_future f = nullptr;
    detail::check(ordo_wait_events_async(events.data(), events.size(), &f));
    return Future(f);
}
inline Future wait_events_async(const std::vector<cl::Event> &events) {
    ordo_future f = nullptr;
    detail::check(ordo_wait_events_async(detail::raw(events), events.size(), &f));
    return Future(f);
}

// ---------------------------------------------------------------------------
// JobQueue: a FIFO of futures bounding the pending backlog (ordo_job_queue).
class JobQueue {
public:
    explicit JobQueue(size_t max_pending = 0) {
        detail::check(ordo_job_queue_create(max_pending, &h_));
    }
    JobQueue(JobQueue &&other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
    JobQueue &operator=(JobQueue other) noexcept {
        std::swap(h_, other.h_);
        return *this;
    }
    ~JobQueue() { ordo_job_queue_destroy(h_); }

    ordo_job_queue get() const noexcept { return h_; }

    // Waits for room; false if the deadline passed (nothing added).
    bool add(const Future &job, Deadline deadline = never) const {
        int status = ordo_job_queue_add(h_, job.get(), deadline);
        if (status == ORDO_ERROR_TIMEOUT)
            return false;
        detail::check(status);
        return true;
    }
    // False if the backlog is at its bound (nothing added).
    bool try_add(const Future &job) const {
        int status = ordo_job_queue_try_add(h_, job.get());
        if (status == ORDO_ERROR_WOULD_BLOCK)
            return false;
        detail::check(status);
        return true;
    }
    // Throws Error with the first failure among the removed jobs.
    void clean() const { detail::check(ordo_job_queue_clean(h_)); }
    // False on timeout; throws Error if a removed job failed.
    bool finish(size_t max_remaining = 0, Deadline deadline = never) const {
        int status = ordo_job_queue_finish(h_, max_remaining, deadline);
        if (status == ORDO_ERROR_TIMEOUT)
            return false;
        detail::check(status);
        return true;
    }
    size_t size() const {
        size_t n = 0;
        detail::check(ordo_job_queue_size(h_, &n));
        return n;
    }
    bool empty() const { return size() == 0; }
    size_t backlog() const {
        size_t n = 0;
        detail::check(ordo_job_queue_backlog(h_, &n));
        return n;
    }
    bool contains(const Future &job) const {
        int c = 0;
        detail::check(ordo_job_queue_contains(h_, job.get(), &c));
        return c != 0;
    }
    Future backlog_at_most(size_t level) const {
        ordo_future f = nullptr;
        detail::check(ordo_job_queue_backlog_future(h_, level, &f));
        return Future(f);
    }

private:
    ordo_job_queue h_ = nullptr;
};

// ---------------------------------------------------------------------------
// Ticket: a place in a resource's queue (see ordo_ticket in ordo.h).
//
// A Ticket destroyed without release is released by the library: as a
// failure (ORDO_ERROR_ABANDONED) when destroyed during stack unwinding, so
// successors learn that this chunk's work did not happen; otherwise with no
// events and the warning "ticket released without ready". "During stack
// unwinding" means: a local destroyed while an exception passes through its
// scope, or a parameter of an ordo::Task coroutine whose body an exception
// left (the frame, parameters included, is destroyed with the Task). A
// parameter of another coroutine type is destroyed with its frame, after the
// exception was caught: move it into a local of the body to get the failure.
class Ticket {
public:
    Ticket() noexcept = default;
    // Takes over a handle the caller owns.
    explicit Ticket(ordo_ticket handle) noexcept : h_(handle) {}
    Ticket(Ticket &&other) noexcept
        : h_(std::exchange(other.h_, nullptr)), released_(other.released_) {}
    Ticket &operator=(Ticket other) noexcept {
        std::swap(h_, other.h_);
        std::swap(released_, other.released_);
        return *this;
    }
    ~Ticket() {
        if (h_ != nullptr && !released_ &&
            (std::uncaught_exceptions() > uncaught_ || detail::failed_frames_being_destroyed() > 0))
            ordo_ticket_fail(h_, ORDO_ERROR_ABANDONED,
                             "ticket dropped while an exception was propagating");
        ordo_ticket_destroy(h_);
    }

    ordo_ticket get() const noexcept { return h_; }
    explicit operator bool() const noexcept { return h_ != nullptr; }

    // Host wait for the grant; returns the predecessor's events (borrowed).
    // Throws Error with ORDO_ERROR_TIMEOUT, or with the predecessor's failure.
    EventSpan wait_view(Deadline deadline = never) const {
        const cl_event *events = nullptr;
        size_t n = 0;
        detail::check(ordo_ticket_wait(h_, deadline, &events, &n));
        return {events, n};
    }
    std::vector<cl::Event> wait(Deadline deadline = never) const {
        EventSpan s = wait_view(deadline);
        return detail::to_events(s.data(), s.size());
    }
    // Host wait for the grant and for its events to complete.
    std::vector<cl::Event> wait_complete(Deadline deadline = never) const {
        const cl_event *events = nullptr;
        size_t n = 0;
        detail::check(ordo_ticket_wait_complete(h_, deadline, &events, &n));
        return detail::to_events(events, n);
    }
    // Device wait: a barrier on queue for the predecessor's events. Returns
    // the barrier's event, or a null cl::Event when nothing was enqueued.
    cl::Event enqueue_wait(cl_command_queue queue, Deadline deadline = never) const {
        cl_event barrier = nullptr;
        detail::check(ordo_ticket_enqueue_wait(h_, queue, deadline, &barrier));
        return barrier != nullptr ? cl::Event(barrier, false) : cl::Event();
    }
    cl::Event enqueue_wait(const cl::CommandQueue &queue, Deadline deadline = never) const {
        return enqueue_wait(queue(), deadline);
    }
    // Deferred device wait (see ordo_ticket_enqueue_wait_deferred): enqueued
    // at once, honoured by the device once the grant and its events are done.
    cl::Event enqueue_wait_deferred(cl_command_queue queue) const {
        cl_event barrier = nullptr;
        detail::check(ordo_ticket_enqueue_wait_deferred(h_, queue, &barrier));
        return cl::Event(barrier, false);
    }
    cl::Event enqueue_wait_deferred(const cl::CommandQueue &queue) const {
        return enqueue_wait_deferred(queue());
    }
    Future grant_future() const {
        ordo_future f = nullptr;
        detail::check(ordo_ticket_grant_future(h_, &f));
        return Future(f);
    }
    // Names the ticket in dumps and log messages.
    void set_name(const std::string &name) const {
        detail::check(ordo_ticket_set_name(h_, name.c_str()));
    }

    void ready(const std::vector<cl::Event> &events = {}) {
        detail::check(ordo_ticket_ready(h_, detail::raw(events), events.size()));
        released_ = true;
    }
    void ready(std::span<const cl_event> events) {
        detail::check(ordo_ticket_ready(h_, events.data(), events.size()));
        released_ = true;
    }
    void ready(std::initializer_list<cl_event> events) {
        ready(std::span<const cl_event>(events.begin(), events.size()));
    }
    void fail(int status, const std::string &message) {
        detail::check(ordo_ticket_fail(h_, status, message.c_str()));
        released_ = true;
    }
    void cancel() {
        detail::check(ordo_ticket_cancel(h_));
        released_ = true;
    }

    void *value() const {
        void *v = nullptr;
        detail::check(ordo_ticket_value(h_, &v));
        return v;
    }
    template <class T>
    T *value_as() const {
        return static_cast<T *>(value());
    }

    // co_await ticket.granted(executor): the predecessor's events, or throws.
    auto granted(Executor executor) const;
    // co_await ticket.completed(executor): also waits for those events to
    // complete, without blocking any thread.
    auto completed(Executor executor) const;

private:
    ordo_ticket h_ = nullptr;
    bool released_ = false;
    int uncaught_ = std::uncaught_exceptions();
};

// ---------------------------------------------------------------------------
// Coroutines (C++20).
//
// co_await works in any coroutine type on a Future, on a ticket's grant
// (Ticket::granted) and on "grant and events complete" (Ticket::completed).
// A suspended coroutine is resumed through the Executor the caller names,
// never on the thread that completed the future (possibly an OpenCL runtime
// thread): the executor receives a function that resumes the coroutine and
// runs it where it likes (an event loop, a pool). RunLoop below is a tiny
// single-threaded one. If the coroutine is destroyed while suspended, the
// posted function does nothing.
namespace detail {

// Shared by an awaiter and the callback that resumes it; two references.
struct Resumer {
    std::atomic<int> refs{2};
    std::atomic<bool> abandoned{false};
    std::coroutine_handle<> handle;
    Executor executor;
    int status = ORDO_OK;
    Future stage;  // the future being awaited
    Future events; // Ticket::completed: the wait for the grant's events
    bool then_events = false;

    void drop() noexcept {
        if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1)
            delete this;
    }
    // Hands the resumption (and the callback's reference) to the executor.
    // The reference goes with the posted function, run or not: an executor
    // that discards work (a loop shutting down) leaks nothing.
    void post() {
        std::shared_ptr<Resumer> self(this, [](Resumer *r) { r->drop(); });
        executor([self] {
            if (!self->abandoned.load(std::memory_order_acquire))
                self->handle.resume();
        });
    }
    static void on_complete(void *data, int status) {
        auto *r = static_cast<Resumer *>(data);
        r->status = status;
        if (status == ORDO_OK && r->then_events) {
            // Grant done: now wait, without blocking, for its events.
            r->then_events = false;
            const cl_event *events = nullptr;
            size_t n = 0;
            ordo_future f = nullptr;
            if ((r->status = ordo_future_events(r->stage.get(), &events, &n)) == ORDO_OK &&
                (r->status = ordo_wait_events_async(events, n, &f)) == ORDO_OK) {
                r->events = Future(f);
                // Once registered, the callback may run at once or on another
                // thread and set r->status: only a failed registration is ours.
                int registered = ordo_future_on_complete(f, &Resumer::on_complete, r);
                if (registered == ORDO_OK)
                    return;
                r->status = registered;
            }
        }
        r->post();
    }
};

class Awaiter {
public:
    Awaiter(Future future, Executor executor, bool then_events)
        : future_(std::move(future)), executor_(std::move(executor)), then_events_(then_events) {}
    Awaiter(const Awaiter &) = delete;
    Awaiter &operator=(const Awaiter &) = delete;
    ~Awaiter() {
        if (r_ != nullptr) {
            r_->abandoned.store(true, std::memory_order_release);
            r_->drop();
        }
    }

    bool await_ready() const { return !then_events_ && future_.done(); }
    void await_suspend(std::coroutine_handle<> h) {
        r_ = new Resumer;
        r_->handle = h;
        r_->executor = executor_;
        r_->stage = future_;
        r_->then_events = then_events_;
        int status = ordo_future_on_complete(future_.get(), &Resumer::on_complete, r_);
        if (status != ORDO_OK) {
            r_->refs.store(1);
            check(status);
        }
    }
    // The events of the awaited future; throws Error if it failed.
    std::vector<cl::Event> await_resume() {
        if (r_ != nullptr && r_->status != ORDO_OK && r_->status != ORDO_PENDING) {
            const char *message = nullptr;
            Future &failed = r_->events ? r_->events : r_->stage;
            int status = r_->status;
            if (ordo_future_failure(failed.get(), nullptr, &message, nullptr) == ORDO_OK)
                throw Error(status, message);
            throw Error(status, ordo_last_error_message());
        }
        if (r_ == nullptr && future_.poll() != ORDO_OK) {
            const char *message = nullptr;
            ordo_future_failure(future_.get(), nullptr, &message, nullptr);
            throw Error(future_.poll(), message != nullptr ? message : "failed");
        }
        return future_.events();
    }

private:
    Future future_;
    Executor executor_;
    bool then_events_;
    Resumer *r_ = nullptr;
};

} // namespace detail

// co_await ordo::resume_on(future, executor): the future's events, or throws.
inline detail::Awaiter resume_on(Future future, Executor executor) {
    return detail::Awaiter(std::move(future), std::move(executor), false);
}

inline auto Ticket::granted(Executor executor) const {
    return detail::Awaiter(grant_future(), std::move(executor), false);
}
inline auto Ticket::completed(Executor executor) const {
    return detail::Awaiter(grant_future(), std::move(executor), true);
}

// A single-threaded run loop: an Executor for tests, examples and programs
// that want one thread to run all their coroutines. post() is thread-safe.
class RunLoop {
public:
    Executor executor() {
        return [this](std::function<void()> work) {
            post(std::move(work));
        };
    }
    void post(std::function<void()> work) {
        // Notified under the lock: once the loop can see the work it may run
        // it and be destroyed, so post() must be done with wake_ by then.
        std::lock_guard lock(mutex_);
        work_.push_back(std::move(work));
        wake_.notify_one();
    }
    // Runs posted work on this thread until done() holds; false if the
    // deadline passed first.
    template <class Predicate>
    bool run_until(Predicate done, Deadline deadline = never) {
        for (;;) {
            if (done())
                return true;
            std::function<void()> work;
            {
                std::unique_lock lock(mutex_);
                while (work_.empty()) {
                    if (deadline == never)
                        wake_.wait(lock);
                    else if (wake_.wait_until(lock, std::chrono::steady_clock::time_point(
                                                        std::chrono::nanoseconds(deadline))) ==
                                 std::cv_status::timeout &&
                             work_.empty())
                        return done();
                }
                work = std::move(work_.front());
                work_.pop_front();
            }
            work();
        }
    }

private:
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> work_; // guarded by mutex_
};

// A coroutine type that starts at once and keeps its result for whoever
// owns it: done() once it finished, get() rethrows what escaped it.
class Task {
public:
    struct promise_type {
        std::exception_ptr error;
        Task get_return_object() {
            return Task(std::coroutine_handle<promise_type>::from_promise(*this));
        }
        std::suspend_never initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept { return {}; }
        void return_void() noexcept {}
        void unhandled_exception() noexcept { error = std::current_exception(); }
    };
    Task(Task &&other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
    Task &operator=(Task other) noexcept {
        std::swap(h_, other.h_);
        return *this;
    }
    ~Task() {
        if (!h_)
            return;
        bool failed = h_.done() && h_.promise().error != nullptr;
        detail::failed_frames_being_destroyed() += failed;
        h_.destroy();
        detail::failed_frames_being_destroyed() -= failed;
    }
    bool done() const noexcept { return !h_ || h_.done(); }
    void get() const {
        if (h_ && h_.promise().error)
            std::rethrow_exception(h_.promise().error);
    }

private:
    explicit Task(std::coroutine_handle<promise_type> h) : h_(h) {}
    std::coroutine_handle<promise_type> h_;
};

// ---------------------------------------------------------------------------
// Resource: a user value and a FIFO of tickets.
class Resource {
public:
    explicit Resource(void *value = nullptr, const char *name = nullptr) {
        detail::check(ordo_resource_create(value, name, &h_));
    }
    Resource(Resource &&other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
    Resource &operator=(Resource other) noexcept {
        std::swap(h_, other.h_);
        return *this;
    }
    ~Resource() { ordo_resource_destroy(h_); }

    ordo_resource get() const noexcept { return h_; }

    Ticket acquire() const {
        ordo_ticket t = nullptr;
        detail::check(ordo_resource_acquire(h_, &t));
        return Ticket(t);
    }
    // A shared place: consecutive shared tickets are granted together.
    Ticket acquire_shared() const {
        ordo_ticket t = nullptr;
        detail::check(ordo_resource_acquire_shared(h_, &t));
        return Ticket(t);
    }
    // A readable account of this resource's queue (see ordo_dump).
    std::string dump() const;
    void *value() const {
        void *v = nullptr;
        detail::check(ordo_resource_value(h_, &v));
        return v;
    }

private:
    ordo_resource h_ = nullptr;
};

// ---------------------------------------------------------------------------
// MultiTicket: tickets on several resources at once (ordo_acquire_many).
class MultiTicket {
public:
    // modes: ORDO_EXCLUSIVE / ORDO_SHARED per resource; empty means all exclusive.
    MultiTicket(std::initializer_list<std::reference_wrapper<const Resource>> resources,
                std::vector<int> modes = {}) {
        std::vector<ordo_resource> raw;
        for (const Resource &r : resources)
            raw.push_back(r.get());
        if (!modes.empty() && modes.size() != raw.size())
            throw Error(ORDO_ERROR_INVALID_ARGUMENT, "one mode per resource");
        detail::check(
            ordo_acquire_many(raw.data(), modes.empty() ? nullptr : modes.data(), raw.size(), &h_));
    }
    MultiTicket(MultiTicket &&other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
    MultiTicket &operator=(MultiTicket other) noexcept {
        std::swap(h_, other.h_);
        return *this;
    }
    ~MultiTicket() {
        if (h_ != nullptr && std::uncaught_exceptions() > uncaught_)
            ordo_multi_ticket_fail(h_, ORDO_ERROR_ABANDONED,
                                   "ticket dropped while an exception was propagating");
        ordo_multi_ticket_destroy(h_);
    }

    ordo_multi_ticket get() const noexcept { return h_; }
    // The union of every predecessor's events.
    std::vector<cl::Event> wait(Deadline deadline = never) const {
        const cl_event *events = nullptr;
        size_t n = 0;
        detail::check(ordo_multi_ticket_wait(h_, deadline, &events, &n));
        return detail::to_events(events, n);
    }
    std::vector<cl::Event> wait_complete(Deadline deadline = never) const {
        const cl_event *events = nullptr;
        size_t n = 0;
        detail::check(ordo_multi_ticket_wait_complete(h_, deadline, &events, &n));
        return detail::to_events(events, n);
    }
    cl::Event enqueue_wait(const cl::CommandQueue &queue, Deadline deadline = never) const {
        cl_event barrier = nullptr;
        detail::check(ordo_multi_ticket_enqueue_wait(h_, queue(), deadline, &barrier));
        return barrier != nullptr ? cl::Event(barrier, false) : cl::Event();
    }
    void ready(const std::vector<cl::Event> &events = {}) const {
        detail::check(ordo_multi_ticket_ready(h_, detail::raw(events), events.size()));
    }
    void ready_one(size_t index, const std::vector<cl::Event> &events = {}) const {
        detail::check(ordo_multi_ticket_ready_one(h_, index, detail::raw(events), events.size()));
    }
    void fail(int status, const std::string &message) const {
        detail::check(ordo_multi_ticket_fail(h_, status, message.c_str()));
    }

private:
    ordo_multi_ticket h_ = nullptr;
    int uncaught_ = std::uncaught_exceptions();
};

// ---------------------------------------------------------------------------
// Ring: chunk k uses resource k mod N (ordo_ring).
class Ring {
public:
    explicit Ring(const std::vector<std::reference_wrapper<const Resource>> &resources) {
        std::vector<ordo_resource> raw;
        for (const Resource &r : resources)
            raw.push_back(r.get());
        detail::check(ordo_ring_create(raw.data(), raw.size(), &h_));
    }
    Ring(Ring &&other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
    Ring &operator=(Ring other) noexcept {
        std::swap(h_, other.h_);
        return *this;
    }
    ~Ring() { ordo_ring_destroy(h_); }

    ordo_ring get() const noexcept { return h_; }
    // The next resource's ticket; *index (if given) receives which resource.
    Ticket acquire(size_t *index = nullptr, int mode = ORDO_EXCLUSIVE) const {
        ordo_ticket t = nullptr;
        detail::check(ordo_ring_acquire(h_, mode, &t, index));
        return Ticket(t);
    }
    size_t size() const {
        size_t n = 0;
        detail::check(ordo_ring_size(h_, &n));
        return n;
    }
    void *value(size_t index) const {
        void *v = nullptr;
        detail::check(ordo_ring_value(h_, index, &v));
        return v;
    }

private:
    ordo_ring h_ = nullptr;
};

// ---------------------------------------------------------------------------
// Diagnostics and tracing.
inline void enable_diagnostics(bool enable = true) {
    ordo_diagnostics_enable(enable ? 1 : 0);
}
// A readable account of a resource's queue, or of every resource's.
inline std::string dump(const Resource *resource = nullptr) {
    size_t length = 0;
    ordo_resource r = resource != nullptr ? resource->get() : nullptr;
    detail::check(ordo_dump(r, nullptr, 0, &length));
    std::string text(length + 1, '\0');
    detail::check(ordo_dump(r, text.data(), text.size(), &length));
    text.resize(std::min(length, text.size() - 1));
    return text;
}
inline std::string Resource::dump() const {
    return ordo::dump(this);
}
template <class Rep, class Period>
void set_wait_warning(std::chrono::duration<Rep, Period> threshold) {
    detail::check(ordo_set_wait_warning(
        std::chrono::duration_cast<std::chrono::nanoseconds>(threshold).count()));
}
inline void trace_start(size_t capacity = 1 << 16) {
    detail::check(ordo_trace_start(capacity));
}
inline void trace_stop() {
    ordo_trace_stop();
}
inline void trace_write(const std::string &path) {
    detail::check(ordo_trace_write(path.c_str()));
}

} // namespace ordo

#endif // ORDO_ORDO_HPP
