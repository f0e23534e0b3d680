#include "ticket.hpp"

#include "error.hpp"
#include "event_wait.hpp"
#include "log.hpp"
#include "pool.hpp"
#include "resource.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace ordo::detail {
namespace {

Ref<Failure> out_of_memory() noexcept {
    static Failure *oom = new Failure(ORDO_ERROR_OUT_OF_MEMORY, "out of memory");
    return Ref<Failure>(oom);
}

// Mirrors a ticket's grant; cancelling it gives the ticket's place up.
class GrantFuture final : public Future, private Callback {
public:
    explicit GrantFuture(Ref<Ticket> ticket) noexcept : ticket_(std::move(ticket)) {}

    void attach(Future &grant) noexcept {
        retain(); // held by the callback
        fn = [](Callback *cb, Future &grant) noexcept {
            auto *self = static_cast<GrantFuture *>(cb);
            Outcome outcome;
            try {
                outcome = grant.copy_outcome();
            } catch (...) {
                outcome.failure = out_of_memory();
            }
            self->finish(std::move(outcome));
            self->release();
        };
        grant.on_complete(this);
    }

    bool cancel() noexcept override {
        if (!Future::cancel())
            return false;
        try {
            ticket_->cancel_place();
        } catch (const Error &) {
            // Already released: nothing to give up.
        }
        return true;
    }

private:
    Ref<Ticket> ticket_;
};

// Completes a user event of the queue's context once foreign events complete.
struct Bridge : Callback {
    cl_event user_event;
};

void finish_bridge(Callback *cb, Future &done) noexcept {
    auto *bridge = static_cast<Bridge *>(cb);
    cl_int status = CL_COMPLETE;
    if (done.state() == Future::kFailed) {
        status = done.failure().cl_status() < 0 ? done.failure().cl_status() : -1;
    }
    clSetUserEventStatus(bridge->user_event, status);
    EventList::adopt(bridge->user_event); // drops our reference, never on a callback thread
    delete bridge;
}

} // namespace

Ticket::Ticket(Resource &resource, Mode mode) noexcept : mode_(mode), resource_(&resource) {}

Ticket::~Ticket() {
    if (group_ != nullptr)
        group_->release();
}

void Ticket::destroy() noexcept {
    Pool<Ticket>::destroy(this);
}

Future &Ticket::grant() const {
    if (flags_.load(std::memory_order_acquire) & kReleased)
        throw Error(ORDO_ERROR_INVALID_STATE, "the ticket was already released");
    return *grant_;
}

void Ticket::mark_seen() noexcept {
    if (!(flags_.load(std::memory_order_relaxed) & kSeen))
        flags_.fetch_or(kSeen, std::memory_order_acq_rel);
}

WaitResult Ticket::wait_grant(Deadline deadline) {
    Future &g = grant();
    WaitResult result;
    result.status = g.wait(deadline);
    if (result.status == ORDO_ERROR_TIMEOUT)
        return result;
    if (result.status == ORDO_OK)
        result.events = &g.events();
    else
        result.failure = g.failure_ref();
    return result;
}

WaitResult Ticket::wait(Deadline deadline) {
    WaitResult result = wait_grant(deadline);
    if (result.status != ORDO_ERROR_TIMEOUT)
        mark_seen();
    return result;
}

// The grant counts as seen only once the holder is handed its outcome: a
// wait for the events that times out or fails leaves the holder without the
// events, so a release must still forward them.
WaitResult Ticket::wait_complete(Deadline deadline) {
    WaitResult result = wait_grant(deadline);
    if (result.status == ORDO_ERROR_TIMEOUT)
        return result;
    if (result.status != ORDO_OK || result.events->empty()) {
        mark_seen();
        return result;
    }
    Ref<Future> done = wait_events_async(*result.events);
    int status = done->wait(deadline);
    if (status != ORDO_OK) {
        result.status = status;
        if (status != ORDO_ERROR_TIMEOUT)
            result.failure = done->failure_ref();
        return result;
    }
    mark_seen();
    return result;
}

WaitResult Ticket::enqueue_wait(cl_command_queue queue, Deadline deadline, cl_event *barrier) {
    if (queue == nullptr)
        throw Error(ORDO_ERROR_INVALID_ARGUMENT, "queue is NULL");
    cl_context context = nullptr;
    cl_int err = clGetCommandQueueInfo(queue, CL_QUEUE_CONTEXT, sizeof context, &context, nullptr);
    if (err != CL_SUCCESS)
        throw Error(ORDO_ERROR_INVALID_ARGUMENT,
                    "queue is not a valid cl_command_queue (" + cl_error_name(err) + ")", err);
    WaitResult result = wait_grant(deadline);
    if (result.status == ORDO_ERROR_TIMEOUT)
        return result;
    if (result.status != ORDO_OK) {
        mark_seen();
        return result;
    }
    const EventList &events = *result.events;
    if (events.empty()) {
        if (barrier != nullptr)
            *barrier = nullptr;
        mark_seen();
        return result;
    }
    std::vector<cl_event> wait_list;
    wait_list.reserve(events.size() + 1);
    std::vector<cl_event> foreign;
    for (size_t i = 0; i < events.size(); ++i) {
        cl_event e = events.data()[i];
        cl_context event_context = nullptr;
        check_cl(clGetEventInfo(e, CL_EVENT_CONTEXT, sizeof event_context, &event_context, nullptr),
                 "clGetEventInfo(CL_EVENT_CONTEXT)");
        // POCL 3.1 neither runs nor fails a command whose wait list holds an
        // event that has already failed: a barrier on it would stall the
        // queue for good. (An event that fails after the enqueue fails the
        // barrier, as it should.)
        cl_int status = CL_COMPLETE;
        check_cl(
            clGetEventInfo(e, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, nullptr),
            "clGetEventInfo(CL_EVENT_COMMAND_EXECUTION_STATUS)");
        if (status < 0) {
            result.status = ORDO_ERROR_EVENT_FAILED;
            result.failure = Failure::make(ORDO_ERROR_EVENT_FAILED,
                                           "cl_event " + std::to_string(i) +
                                               " of the grant ended with execution status " +
                                               std::to_string(status) + " (" +
                                               cl_error_name(status) + "); nothing was enqueued",
                                           status);
            return result;
        }
        (event_context == context ? wait_list : foreign).push_back(e);
    }
    Ref<Future> done;
    std::unique_ptr<Bridge> bridge;
    if (!foreign.empty()) {
        done = wait_events_async(foreign.data(), foreign.size());
        bridge = std::make_unique<Bridge>();
        bridge->fn = finish_bridge;
        bridge->user_event = clCreateUserEvent(context, &err);
        check_cl(err, "clCreateUserEvent");
        wait_list.push_back(bridge->user_event);
    }
    err = clEnqueueBarrierWithWaitList(queue, static_cast<cl_uint>(wait_list.size()),
                                       wait_list.data(), barrier);
    // The bridge is armed only once the barrier is enqueued, for the same
    // reason: its user event may be set to a failure status at once. It sets
    // and drops the user event even if the enqueue failed.
    if (bridge)
        done->on_complete(bridge.release());
    check_cl(err, "clEnqueueBarrierWithWaitList");
    mark_seen(); // only now does the device wait for the events
    return result;
}

Ref<Future> Ticket::grant_future() {
    Future &g = grant();
    maybe_fail_allocation();
    auto mirror = Ref<GrantFuture>::adopt(new GrantFuture(Ref<Ticket>(this)));
    mark_seen();
    mirror->attach(g);
    return mirror;
}

void Ticket::ready(EventList events) {
    if (flags_.load(std::memory_order_acquire) & kReleased)
        throw Error(ORDO_ERROR_INVALID_STATE, "the ticket was already released");
    flush_queues_of(events);
    Outcome outcome;
    outcome.events = std::move(events);
    release_with(std::move(outcome));
}

void Ticket::fail_release(Ref<Failure> failure) {
    Outcome outcome;
    outcome.failure = std::move(failure);
    release_with(std::move(outcome));
}

void Ticket::cancel_place() {
    release_with(Outcome{});
}

void Ticket::release_with(Outcome outcome) {
    uint32_t f = flags_.fetch_or(kReleased, std::memory_order_acq_rel);
    if (f & kReleased)
        throw Error(ORDO_ERROR_INVALID_STATE, "the ticket was already released");
    bool seen = f & kSeen;
    // Until the release completes, events_/failure_ hold what is released.
    events_ = std::move(outcome.events);
    failure_ = std::move(outcome.failure);
    Future &g = *grant_;
    if (g.is_complete()) {
        resolve(g, seen);
        return;
    }
    // Release before grant: finish once the predecessor has released.
    seen_at_release_ = seen;
    retain(); // held by the callback
    fn = on_grant;
    g.on_complete(this);
}

void Ticket::on_grant(Callback *cb, Future &grant) noexcept {
    auto *self = static_cast<Ticket *>(cb);
    self->resolve(grant, self->seen_at_release_);
    self->release();
}

void Ticket::resolve(Future &g, bool seen) noexcept {
    Outcome out;
    out.events = std::move(events_);
    out.failure = std::move(failure_);
    if (g.state() == kFailed) {
        // A failure the holder never saw passes on; a holder that saw it and
        // released with ready() has recovered.
        if (!out.failure && !seen) {
            out.events.clear();
            out.failure = g.failure_ref();
        }
    } else if (!seen && !out.failure && !g.events().empty()) {
        // Release before grant: the successor waits for both.
        try {
            EventList merged = g.events().copy();
            merged.append(std::move(out.events));
            out.events = std::move(merged);
        } catch (...) {
            out.events.clear();
            out.failure = out_of_memory();
        }
    }
    if (group_ != nullptr) {
        complete(EventList{});
        group_->member_done(std::move(out));
    } else {
        finish(std::move(out));
    }
    uint32_t f = flags_.fetch_or(kResolved, std::memory_order_acq_rel);
    if (f & kHolderGone)
        grant_.reset();
}

void Ticket::drop_holder(bool warn) noexcept {
    uint32_t f = flags_.fetch_or(kHolderGone, std::memory_order_acq_rel);
    if (!(f & kReleased)) {
        if (warn)
            log(ORDO_LOG_WARNING, "ticket released without ready (resource \"%s\")",
                resource_->name().c_str());
        try {
            release_with(Outcome{});
        } catch (...) {
            // Released concurrently by another thread: nothing left to do.
        }
        // resolve() drops the grant.
    } else if (f & kResolved) {
        grant_.reset();
    }
    resource_.reset();
}

// ---------------------------------------------------------------------------

SharedGroup::~SharedGroup() {
    if (pred != nullptr)
        pred->release();
}

void SharedGroup::discard(SharedGroup *unused) noexcept {
    unused->pred = nullptr;
    delete unused;
}

void SharedGroup::member_done(Outcome outcome) noexcept {
    merging_.lock();
    if (!failed_) {
        if (outcome.failure) {
            failed_ = std::move(outcome.failure);
            accumulated_.clear();
        } else {
            try {
                accumulated_.append(std::move(outcome.events));
            } catch (...) {
                failed_ = out_of_memory();
                accumulated_.clear();
            }
        }
    }
    merging_.unlock();
    check(counts_.fetch_add(1, std::memory_order_acq_rel) + 1);
}

void SharedGroup::close(uint32_t joins) noexcept {
    uint64_t add = kClosed | (uint64_t{joins} << kExpectedShift);
    check(counts_.fetch_add(add, std::memory_order_acq_rel) + add);
}

void SharedGroup::check(uint64_t counts) noexcept {
    bool closed = counts & kClosed;
    uint64_t expected = (counts & ~kClosed) >> kExpectedShift;
    uint64_t released = counts & 0xffffffffu;
    if (!closed || expected != released)
        return;
    // Counts only grow, so exactly one caller sees them meet.
    Outcome out;
    merging_.lock();
    out.events = std::move(accumulated_);
    out.failure = std::move(failed_);
    merging_.unlock();
    finish(std::move(out));
}

} // namespace ordo::detail
