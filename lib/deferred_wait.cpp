#include "deferred_wait.hpp"

#include "device_wait.hpp"
#include "error.hpp"
#include "event_wait.hpp"
#include "log.hpp"
#include "quirks.hpp"

#include <cassert>

namespace ordo::detail {
namespace {

// How long a failed deferred wait waits for the runtime to let go of the
// marker before it acts anyway (a runtime that keeps references of its own).
constexpr int64_t kLetGoBoundNs = 2'000'000'000;

cl_uint reference_count(cl_event e) noexcept {
    cl_uint count = 0;
    if (clGetEventInfo(e, CL_EVENT_REFERENCE_COUNT, sizeof count, &count, nullptr) != CL_SUCCESS)
        return 0;
    return count;
}

} // namespace

void DeferredWait::start(Future &grant, cl_command_queue queue, cl_event *barrier) {
    cl_context context = queue_context(queue);
    Quirks quirks = quirks_of_queue(queue);
    maybe_fail_allocation();
    auto d = Ref<DeferredWait>::adopt(new DeferredWait);
    d->grant_ = Ref<Future>(&grant);
    d->in_steps_ = quirks.finishes_commands_in_steps;
    cl_event marker = nullptr;
    check_cl(clEnqueueMarkerWithWaitList(queue, 0, nullptr, &marker),
             "clEnqueueMarkerWithWaitList");
    // If what follows throws, the marker is released: a command left to
    // run, which has no effect.
    d->marker_ = EventList::adopt(marker);
    // The marker must run on its own: a runtime that completes a flushed
    // batch only as a whole (completes-flushed-batches-whole) would otherwise
    // wait with it for the barrier, which waits for the user event that is
    // set only once the marker has ended. Not where a flush runs the queue on
    // this thread (it could block on earlier deferred barriers of the queue).
    if (!quirks.flush_runs_queue_on_caller)
        check_cl(clFlush(queue), "clFlush");
    Ref<Future> ahead = wait_events_async(d->marker_); // holds its own reference
    cl_int err = CL_SUCCESS;
    d->user_event_ = clCreateUserEvent(context, &err);
    check_cl(err, "clCreateUserEvent");
    err = clEnqueueBarrierWithWaitList(queue, 1, &d->user_event_, &d->barrier_);
    if (err != CL_SUCCESS) {
        clSetUserEventStatus(d->user_event_, CL_INVALID_OPERATION); // never left pending
        check_cl(err, "clEnqueueBarrierWithWaitList");
    }
    if (barrier != nullptr) {
        clRetainEvent(d->barrier_); // the caller's; the machine keeps its own
        *barrier = d->barrier_;
    }
    // From here the machine runs on its own, holding its own reference.
    d->stage_ = Stage::kWorkAhead;
    d.detach()->wait_for(std::move(ahead));
}

DeferredWait::~DeferredWait() {
    assert(stage_ == Stage::kDone);
    if (user_event_ != nullptr)
        EventList::adopt(user_event_); // dropped (through the service thread on a callback)
    if (barrier_ != nullptr)
        EventList::adopt(barrier_);
}

void DeferredWait::enter(Stage from, Stage to) noexcept {
    assert(stage_ == from);
    (void)from;
    stage_ = to;
}

void DeferredWait::wait_for(Ref<Future> f) noexcept {
    waiting_ = std::move(f);
    fn = on_completed;
    waiting_->on_complete(this); // may advance at once, on this thread
}

void DeferredWait::on_completed(Callback *self, Future &) noexcept {
    static_cast<DeferredWait *>(self)->advance();
}

void DeferredWait::advance() noexcept {
    Ref<Future> done = std::move(waiting_);
    switch (stage_) {
    case Stage::kWorkAhead: {
        // The work ahead of the barrier has ended: now the grant decides.
        enter(Stage::kWorkAhead, Stage::kGrant);
        wait_for(std::move(grant_));
        return;
    }
    case Stage::kGrant: {
        if (done->state() == Future::kFailed)
            return decide(failure_status_for_event(*done));
        Ref<Future> events;
        try {
            events = cached_events_wait(done->events_wait_slot(), done->events());
        } catch (...) {
            return decide(CL_OUT_OF_HOST_MEMORY);
        }
        enter(Stage::kGrant, Stage::kEvents);
        wait_for(std::move(events));
        return;
    }
    case Stage::kEvents:
        return decide(done->state() == Future::kDone ? CL_COMPLETE
                                                     : failure_status_for_event(*done));
    case Stage::kBarrier:
        // The barrier has ended: the runtime is done with it.
        enter(Stage::kBarrier, Stage::kDone);
        RefCounted::release(); // the machine's own reference
        return;
    case Stage::kLetGo:
    case Stage::kDone:
        break;
    }
    assert(false && "a deferred wait advanced by a completion in a stage that awaits none");
}

void DeferredWait::decide(cl_int status) noexcept {
    assert(stage_ == Stage::kGrant || stage_ == Stage::kEvents);
    status_ = status;
    if (status < 0 && in_steps_) {
        // finishes-commands-in-steps: the runtime calls the marker's callbacks
        // before it tells the barrier that the marker ended; failing the user
        // event in that window races the runtime's own thread. Once ordo's
        // reference to the marker is the last one, the runtime is done with it.
        stage_ = Stage::kLetGo;
        give_up_ = now_ns() + kLetGoBoundNs;
        try {
            Service::instance().watch(this);
            return;
        } catch (...) {
            // No service thread: the race is the lesser evil.
        }
    }
    set_user_event();
}

bool DeferredWait::poll() noexcept {
    assert(stage_ == Stage::kLetGo);
    bool late = now_ns() >= give_up_;
    if (!late && reference_count(marker_.data()[0]) > 1)
        return true; // the runtime still holds the marker
    if (late)
        log(ORDO_LOG_DEBUG, "the OpenCL runtime still holds a marker after %lld ms: going on",
            static_cast<long long>(kLetGoBoundNs / 1'000'000));
    set_user_event();
    return false;
}

void DeferredWait::set_user_event() noexcept {
    clSetUserEventStatus(user_event_, status_);
    EventList::adopt(std::exchange(user_event_, nullptr)); // dropped, never on a callback thread
    marker_.clear();
    stage_ = Stage::kBarrier;
    // The barrier may have ended before (a command ahead of it failed), yet
    // a runtime may still use it when the user event is set: kept until it
    // has ended.
    Ref<Future> ended;
    try {
        ended = wait_events_async(&barrier_, 1); // holds its own reference
    } catch (...) {
        // Without memory for the wait: let go of the barrier at once.
        enter(Stage::kBarrier, Stage::kDone);
        RefCounted::release();
        return;
    }
    wait_for(std::move(ended));
}

} // namespace ordo::detail
