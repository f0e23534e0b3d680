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

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
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
// Ticket: a place in a resource's queue (see ordo_ticket in ordo.h).
//
// A Ticket destroyed without release is released by the library: as a
// failure (ORDO_ERROR_ABANDONED) when destroyed during stack unwinding, so
// successors learn that this chunk's work did not happen; otherwise with no
// events and the warning "ticket released without ready".
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
        if (h_ != nullptr && !released_ && std::uncaught_exceptions() > uncaught_)
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
    Future grant_future() const {
        ordo_future f = nullptr;
        detail::check(ordo_ticket_grant_future(h_, &f));
        return Future(f);
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

private:
    ordo_ticket h_ = nullptr;
    bool released_ = false;
    int uncaught_ = std::uncaught_exceptions();
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
    void *value() const {
        void *v = nullptr;
        detail::check(ordo_resource_value(h_, &v));
        return v;
    }

private:
    ordo_resource h_ = nullptr;
};

} // namespace ordo

#endif // ORDO_ORDO_HPP
