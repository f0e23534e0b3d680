#include "event_list.hpp"

#include "callback_scope.hpp"
#include "error.hpp"
#include "service.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace ordo::detail {

void EventList::reserve(size_t n) {
    if (n <= cap_)
        return;
    if (n > UINT32_MAX)
        throw Error(ORDO_ERROR_INVALID_ARGUMENT, "too many events in one list");
    maybe_fail_allocation();
    // Doubling, within the 32-bit capacity (n itself fits, checked above).
    size_t cap = std::max(n, std::min(size_t{cap_} * 2, size_t{UINT32_MAX}));
    auto *array = static_cast<cl_event *>(std::malloc(cap * sizeof(cl_event)));
    if (array == nullptr)
        throw std::bad_alloc();
    std::memcpy(array, data(), size_ * sizeof(cl_event));
    if (cap_ > 1)
        std::free(many_);
    many_ = array;
    cap_ = static_cast<uint32_t>(cap);
}

EventList EventList::retain(const cl_event *events, size_t n) {
    EventList list;
    list.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        if (events[i] == nullptr)
            throw Error(ORDO_ERROR_INVALID_ARGUMENT, "events[" + std::to_string(i) + "] is NULL");
        cl_int err = clRetainEvent(events[i]);
        if (err != CL_SUCCESS)
            throw Error(ORDO_ERROR_INVALID_ARGUMENT,
                        "events[" + std::to_string(i) + "] is not a valid cl_event (" +
                            cl_error_name(err) + ")",
                        err);
        list.push_owned(events[i]);
    }
    return list;
}

bool EventList::contains(cl_event e) const noexcept {
    const cl_event *d = data();
    for (size_t i = 0; i < size_; ++i)
        if (d[i] == e)
            return true;
    return false;
}

EventList EventList::copy() const {
    EventList list;
    list.append_copy(*this);
    return list;
}

void EventList::append_copy(const EventList &other) {
    reserve(size_ + other.size_);
    const cl_event *d = other.data();
    for (size_t i = 0; i < other.size_; ++i) {
        if (contains(d[i]))
            continue;
        clRetainEvent(d[i]); // valid: other holds a reference
        push_owned(d[i]);
    }
}

void EventList::append(EventList &&other) {
    if (empty() && cap_ <= 1 && other.size_ <= 1) {
        *this = std::move(other);
        return;
    }
    reserve(size_ + other.size_);
    cl_event *d = other.mutable_data();
    size_t kept = 0;
    for (size_t i = 0; i < other.size_; ++i) {
        if (contains(d[i]))
            d[kept++] = d[i]; // a duplicate reference: other drops it below
        else
            push_owned(d[i]);
    }
    other.size_ = static_cast<uint32_t>(kept);
    other.clear();
}

void EventList::clear() noexcept {
    if (size_ != 0) {
        if (CallbackScope::active()) {
            // Never release an event from inside an OpenCL callback.
            EventList moved(std::move(*this));
            Service::instance().defer_release(std::move(moved));
            return;
        }
        release_events_now(data(), size_);
        size_ = 0;
    }
    if (cap_ > 1) {
        std::free(many_);
        cap_ = 1;
        one_ = nullptr;
    }
}

void release_events_now(const cl_event *events, size_t n) noexcept {
    for (size_t i = 0; i < n; ++i)
        clReleaseEvent(events[i]);
}

void flush_queues_of(const EventList &events) {
    cl_command_queue flushed[8];
    size_t num_flushed = 0;
    for (size_t i = 0; i < events.size(); ++i) {
        if (CallbackScope::inside_callback_of(events.data()[i]))
            continue; // complete, and perhaps locked by the runtime here
        // Only a command still CL_QUEUED may need a flush. The queue of a
        // command that was submitted, has run or has failed may already be
        // released by its owner and deleted: its handle must not be used.
        cl_int status = CL_QUEUED;
        check_cl(clGetEventInfo(events.data()[i], CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status,
                                &status, nullptr),
                 "clGetEventInfo(CL_EVENT_COMMAND_EXECUTION_STATUS)");
        if (status != CL_QUEUED)
            continue;
        cl_command_queue queue = nullptr;
        check_cl(
            clGetEventInfo(events.data()[i], CL_EVENT_COMMAND_QUEUE, sizeof queue, &queue, nullptr),
            "clGetEventInfo(CL_EVENT_COMMAND_QUEUE)");
        if (queue == nullptr)
            continue;
        bool seen = false;
        for (size_t j = 0; j < num_flushed; ++j)
            seen = seen || flushed[j] == queue;
        if (seen)
            continue;
        check_cl(clFlush(queue), "clFlush");
        if (num_flushed < 8)
            flushed[num_flushed++] = queue;
    }
}

} // namespace ordo::detail
