#include "ticket.hpp"

#include "device_wait.hpp"
#include "diagnostics.hpp"
#include "error.hpp"
#include "event_wait.hpp"
#include "log.hpp"
#include "pool.hpp"
#include "quirks.hpp"
#include "resource.hpp"
#include "trace.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ordo::detail {
namespace {

Ref<Failure> out_of_memory() noexcept {
    static Failure *oom = new Failure(ORDO_ERROR_OUT_OF_MEMORY, "out of memory");
    return Ref<Failure>(oom);
}

// Mirrors a ticket's grant; cancelling it gives the ticket's place up.
// Taking one is not seeing the grant: the ticket has seen it only once this
// future has delivered the grant's outcome (completed with it), which a
// cancel that came first prevents.
class GrantFuture final : public Future, private Callback {
public:
    explicit GrantFuture(Ref<Ticket> ticket) noexcept : ticket_(std::move(ticket)) {}

    void attach(Future &grant) noexcept {
        retain(); // held by the callback
        fn = [](Callback *cb, Future &grant) noexcept {
            auto *self = static_cast<GrantFuture *>(cb);
            Outcome outcome;
            bool copied = true;
            try {
                outcome = grant.copy_outcome();
            } catch (...) {
                outcome.failure = out_of_memory();
                copied = false;
            }
            if (self->begin_completion()) {
                if (copied)
                    self->ticket_->mark_seen(); // before anyone can see this future complete
                self->finish_owned(std::move(outcome));
            }
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

} // namespace

Ticket::Ticket(Resource &resource, Mode mode) noexcept
    : flags_(mode == Mode::kShared ? kShared : 0), acquired_at_(coarse_now_ns()),
      resource_(&resource) {}

Ticket::~Ticket() {
    if (flags_.load(std::memory_order_relaxed) & kHasInfo)
        forget_ticket_info(this);
    if (group_ != nullptr)
        group_->release();
}

Ref<Future> Ticket::grant_for_walk() const noexcept {
    std::lock_guard lock(link_mutex_);
    return grant_;
}

void Ticket::drop_grant() noexcept {
    // Only diagnostics walk from one ticket to its grant, and only tickets in
    // their side table (kHasInfo, set by the holder) can be reached.
    if (!(flags_.load(std::memory_order_acquire) & kHasInfo)) {
        grant_.reset();
        return;
    }
    Ref<Future> dropped;
    {
        std::lock_guard lock(link_mutex_);
        dropped.swap(grant_);
    }
}

void Ticket::destroy() noexcept {
    Pool<Ticket>::destroy(this);
}

void Ticket::mark_seen() noexcept {
    if (flags_.load(std::memory_order_relaxed) & kSeen)
        return; // the common case on repeated waits: no read-modify-write
    // Whoever sets the flag records the grant, once.
    if (!(flags_.fetch_or(kSeen, std::memory_order_acq_rel) & kSeen) && tracing())
        trace(TraceKind::kGrant, *this);
}

Future &Ticket::grant() const {
    if (flags_.load(std::memory_order_acquire) & kReleased)
        throw Error(ORDO_ERROR_INVALID_STATE, "the ticket was already released");
    return *grant_;
}

int Ticket::blocking_wait(Future &f, Deadline deadline) {
    int64_t threshold = wait_warning();
    std::optional<HostWaitScope> scope;
    if (threshold > 0 || diagnostics_enabled())
        scope.emplace(*this);
    if (tracing())
        trace(TraceKind::kWaitBegin, *this);
    int status;
    Deadline warn_at = threshold > 0 ? deadline_after(threshold) : kNever;
    if (warn_at < deadline && (status = f.wait(warn_at)) != ORDO_ERROR_TIMEOUT) {
        // Done before the warning was due.
    } else {
        if (warn_at < deadline)
            log(ORDO_LOG_WARNING, "a holder has waited %.1f ms on resource \"%s\":\n%s",
                threshold / 1e6, resource_->name().c_str(), dump(resource_.get()).c_str());
        status = f.wait(deadline);
    }
    if (tracing())
        trace(TraceKind::kWaitEnd, *this);
    return status;
}

WaitResult Ticket::wait_grant(Deadline deadline) {
    Future &g = grant();
    WaitResult result;
    result.status = g.is_complete() ? g.poll() : blocking_wait(g, deadline);
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

void Ticket::wait_for_events(WaitResult &result, std::atomic<Future *> &slot, Deadline deadline) {
    Ref<Future> done = cached_events_wait(slot, *result.events);
    int status = done->is_complete() ? done->poll() : blocking_wait(*done, deadline);
    if (status != ORDO_OK) {
        result.status = status;
        if (status != ORDO_ERROR_TIMEOUT)
            result.failure = done->failure_ref();
    }
}

// The grant counts as seen only once the holder is handed its outcome: a
// wait for the events that times out or fails leaves the holder without the
// events, so a release must still forward them.
WaitResult Ticket::wait_complete(Deadline deadline) {
    WaitResult result = wait_grant(deadline);
    if (result.status == ORDO_ERROR_TIMEOUT)
        return result;
    if (result.status == ORDO_OK && !result.events->empty()) {
        wait_for_events(result, grant_->events_wait_slot(), deadline);
        if (result.status != ORDO_OK)
            return result;
    }
    mark_seen();
    return result;
}

WaitResult Ticket::enqueue_wait(cl_command_queue queue, Deadline deadline, cl_event *barrier) {
    cl_context context = queue_context(queue);
    WaitResult result = wait_grant(deadline);
    if (result.status == ORDO_ERROR_TIMEOUT)
        return result;
    if (result.status != ORDO_OK || result.events->empty()) {
        if (result.status == ORDO_OK && barrier != nullptr)
            *barrier = nullptr;
        mark_seen();
        return result;
    }
    // Throws, marking nothing, if an event already failed (nothing is then
    // enqueued) or the enqueue fails.
    enqueue_barrier(queue, context, *result.events, barrier);
    mark_seen(); // only now does the device wait for the events
    return result;
}

namespace {

// Completes a deferred wait's user event once the grant and its events are
// done. The barrier may end before that (a command ahead of it on its queue
// failed), yet POCL 3.1 still notifies it when the user event is set: ordo
// keeps its own reference to the barrier until then, and until it has ended.
// And POCL 3.1 ends a command whose wait list failed at once, ahead of the
// commands before it on its in-order queue, which still notify it when they
// end: so the user event is set only once a marker enqueued just before the
// barrier has ended (the grant is looked at only then), and the barrier
// ends in queue order. A failure is set only once POCL has let go of the
// marker too (fail_user_event_after).
struct DeferredWait : Callback {
    EventList ahead;     // the marker, until the user event is set
    cl_event user_event; // ordo's reference, until set
    cl_event barrier;    // ordo's reference, until set and ended
    bool in_steps;       // the queue's runtime finishes commands in steps (quirks.hpp)
    Ref<Future> grant;   // until the work ahead of the barrier has ended
};

void settle_deferred(DeferredWait *d, cl_int status) noexcept {
    if (status < 0 && d->in_steps)
        fail_user_event_after(std::move(d->ahead), d->user_event, status, d->barrier);
    else
        set_user_event(d->user_event, status, d->barrier);
    delete d; // drops the marker (through the service thread from a callback)
}

void on_deferred_events(Callback *self, Future &done) noexcept {
    settle_deferred(static_cast<DeferredWait *>(self),
                    done.state() == Future::kDone ? CL_COMPLETE : failure_status_for_event(done));
}

void on_deferred_grant(Callback *self, Future &grant) noexcept {
    auto *d = static_cast<DeferredWait *>(self);
    if (grant.state() == Future::kFailed) {
        settle_deferred(d, failure_status_for_event(grant));
        return;
    }
    Ref<Future> done;
    try {
        done = cached_events_wait(grant.events_wait_slot(), grant.events());
    } catch (...) {
        settle_deferred(d, CL_OUT_OF_HOST_MEMORY);
        return;
    }
    d->fn = on_deferred_events;
    done->on_complete(d);
}

// The work enqueued ahead of the barrier has ended: now the grant decides.
void on_work_ahead_ended(Callback *self, Future &) noexcept {
    auto *d = static_cast<DeferredWait *>(self);
    Ref<Future> grant = std::move(d->grant);
    d->fn = on_deferred_grant;
    grant->on_complete(d);
}

} // namespace

void Ticket::enqueue_wait_deferred(cl_command_queue queue, cl_event *barrier) {
    Future &g = grant();
    cl_context context = queue_context(queue);
    maybe_fail_allocation();
    auto deferred = std::make_unique<DeferredWait>();
    deferred->grant = Ref<Future>(&g);
    Quirks quirks = quirks_of_queue(queue);
    deferred->in_steps = quirks.finishes_commands_in_steps;
    cl_event marker = nullptr;
    check_cl(clEnqueueMarkerWithWaitList(queue, 0, nullptr, &marker),
             "clEnqueueMarkerWithWaitList");
    // If this throws, the marker is released: a command left to run, which
    // has no effect.
    EventList ahead = EventList::adopt(marker);
    // The marker must run on its own: a runtime that completes a flushed
    // batch only as a whole (quirks.hpp, completes_flushed_batches_whole)
    // would otherwise wait with it for the barrier, which waits for the user
    // event that is set only once the marker has ended. Not where a flush
    // runs the queue on this thread (it could block on earlier deferred
    // barriers of the queue).
    if (!quirks.flush_runs_queue_on_caller)
        check_cl(clFlush(queue), "clFlush");
    Ref<Future> ahead_ended = wait_events_async(ahead); // holds its own reference
    cl_int err = CL_SUCCESS;
    cl_event user_event = clCreateUserEvent(context, &err);
    check_cl(err, "clCreateUserEvent");
    cl_event made = nullptr;
    err = clEnqueueBarrierWithWaitList(queue, 1, &user_event, &made);
    if (err != CL_SUCCESS) {
        clSetUserEventStatus(user_event, CL_INVALID_OPERATION); // never left pending
        clReleaseEvent(user_event);
        check_cl(err, "clEnqueueBarrierWithWaitList");
    }
    if (barrier != nullptr) {
        clRetainEvent(made); // the caller's; ordo keeps its own (settle_deferred)
        *barrier = made;
    }
    // The device now waits for the predecessor's events: releasing this
    // ticket need not forward them.
    flags_.fetch_or(kSeen, std::memory_order_acq_rel);
    deferred->ahead = std::move(ahead);
    deferred->user_event = user_event;
    deferred->barrier = made;
    deferred->fn = on_work_ahead_ended;
    ahead_ended->on_complete(deferred.release());
}

Ref<Future> Ticket::grant_future() {
    Future &g = grant();
    maybe_fail_allocation();
    auto mirror = Ref<GrantFuture>::adopt(new GrantFuture(Ref<Ticket>(this)));
    mirror->attach(g);
    return mirror;
}

void Ticket::ready(EventList events) {
    if (flags_.load(std::memory_order_acquire) & kReleased)
        throw Error(ORDO_ERROR_INVALID_STATE, "the ticket was already released");
    flush_queues_of(events);
    Outcome outcome;
    outcome.events = std::move(events);
    release_with(std::move(outcome), TraceKind::kRelease);
}

void Ticket::fail_release(Ref<Failure> failure) {
    Outcome outcome;
    outcome.failure = std::move(failure);
    release_with(std::move(outcome), TraceKind::kFail);
}

void Ticket::cancel_place() {
    release_with(Outcome{}, TraceKind::kCancel);
}

// Completing the release runs the successors' callbacks, which may destroy
// this ticket (ordo.h allows a callback to destroy the ticket whose release
// it reports): from there on, nothing here touches the ticket.
void Ticket::release_with(Outcome outcome, TraceKind kind) {
    claim_release(std::move(outcome), kind);
    complete_release();
}

void Ticket::claim_release(Outcome outcome, TraceKind kind) {
    uint32_t f = flags_.fetch_or(kReleased, std::memory_order_acq_rel);
    if (f & kReleased)
        throw Error(ORDO_ERROR_INVALID_STATE, "the ticket was already released");
    if (tracing())
        trace(kind, *this);
    // Until the release completes, events_/failure_ hold what is released.
    events_ = std::move(outcome.events);
    failure_ = std::move(outcome.failure);
    if (f & kSeen)
        flags_.fetch_or(kSeenAtRelease, std::memory_order_relaxed);
}

void Ticket::complete_release() noexcept {
    Future &g = *grant_;
    bool seen = flags_.load(std::memory_order_relaxed) & kSeenAtRelease;
    if (g.is_complete()) {
        resolve(g, seen);
        return;
    }
    // Release before grant: finish once the predecessor has released.
    retain(); // held by the callback
    fn = on_grant;
    g.on_complete(this);
}

void Ticket::on_grant(Callback *cb, Future &grant) noexcept {
    auto *self = static_cast<Ticket *>(cb);
    self->resolve(grant, self->flags_.load(std::memory_order_relaxed) & kSeenAtRelease);
    self->release(); // the callback's reference; resolve() left it alive
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
    // The grant is not needed any more (g may be gone after this).
    uint32_t f = flags_.fetch_or(kResolved, std::memory_order_acq_rel);
    if (f & kHolderGone)
        drop_grant();
    if (group_ != nullptr) {
        Ref<SharedGroup> group(group_); // this ticket may be gone once it completes
        finish_owned(Outcome{});
        group->member_done(std::move(out));
    } else {
        // The one release owns the completion: no need to race for it.
        finish_owned(std::move(out));
    }
}

void Ticket::drop_holder(bool warn) noexcept {
    uint32_t f = flags_.fetch_or(kHolderGone, std::memory_order_acq_rel);
    if (!(f & kReleased)) {
        if (warn)
            log(ORDO_LOG_WARNING, "ticket released without ready (resource \"%s\")",
                resource_->name().c_str());
        try {
            release_with(Outcome{}, TraceKind::kCancel);
        } catch (...) {
            // Released concurrently by another thread: nothing left to do.
        }
        // resolve() drops the grant. The holder's reference keeps this alive.
    } else if (f & kResolved) {
        drop_grant();
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
