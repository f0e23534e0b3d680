#include "event_wait.hpp"

#include "callback_scope.hpp"
#include "error.hpp"
#include "log.hpp"
#include "quirks.hpp"
#include "service.hpp"

#include <cstdio>
#include <memory>
#include <new>

namespace ordo::detail {
namespace {

// How an EventWait settles and who drops its event references:
//  - callbacks count down `remaining_`; the last one completes the future,
//    which takes over the references as its result. The poller also counts
//    down an event it finds CL_COMPLETE before its callback came (Oclgrind
//    calls back only once a whole flush has run, which may be waiting for
//    what this wait leads to); a slot's `fired` exchange makes each event
//    count once;
//  - a callback with a negative status, the poller finding one, or a cancel
//    fails the future; the references are then dropped by whichever of the
//    settler and a poll in progress finishes last (kPolling/kReleasePending),
//    so the poller never reads an event that was released under it.
class EventWait final : public Future, public Pollable {
public:
    explicit EventWait(EventList events)
        : held_(std::move(events)), slots_(new Slot[held_.size()]) {
        for (size_t i = 0; i < held_.size(); ++i) {
            slots_[i].owner = this;
            slots_[i].event = held_.data()[i];
        }
    }

    void retain() noexcept override { Future::retain(); }
    void release() noexcept override { Future::release(); }

    // Registers the callbacks. Throws only before anything was registered.
    void start() {
        size_t n = held_.size();
        remaining_.store(static_cast<uint32_t>(n) + 1, std::memory_order_relaxed);
        verify_.store(some_platform_has_wrong_status_in_callbacks(), std::memory_order_relaxed);
        bool registered = false;
        for (size_t i = 0; i < n; ++i) {
            cl_int status = CL_COMPLETE; // an event whose callback runs here is complete
            if (!CallbackScope::inside_callback_of(slots_[i].event)) {
                cl_int err = clGetEventInfo(slots_[i].event, CL_EVENT_COMMAND_EXECUTION_STATUS,
                                            sizeof status, &status, nullptr);
                if (err != CL_SUCCESS) {
                    if (!registered)
                        check_cl(err, "clGetEventInfo(CL_EVENT_COMMAND_EXECUTION_STATUS)");
                    settle_failure(ORDO_ERROR_OPENCL, err, "clGetEventInfo failed");
                    break;
                }
            }
            if (status < 0) {
                settle_event_failure(slots_[i].event, status);
                break;
            }
            if (status == CL_COMPLETE) {
                slots_[i].fired.store(true, std::memory_order_relaxed);
                count_down();
                continue;
            }
            Future::retain(); // held by the registration until it fires
            outstanding_.fetch_add(1, std::memory_order_relaxed);
            cl_int err = clSetEventCallback(slots_[i].event, CL_COMPLETE, on_event, &slots_[i]);
            if (err != CL_SUCCESS) {
                outstanding_.fetch_sub(1, std::memory_order_relaxed);
                Future::release();
                if (!registered)
                    check_cl(err, "clSetEventCallback");
                settle_failure(ORDO_ERROR_OPENCL, err, "clSetEventCallback failed");
                break;
            }
            registered = true;
        }
        count_down(); // the guard taken above
        if (registered && !is_complete()) {
            try {
                Service::instance().watch(this);
                // A settle that ran before the watch could not unwatch.
                if (flags_.load(std::memory_order_acquire) & kSettled)
                    Service::instance().unwatch(this);
            } catch (...) {
                // Without the poller a failed event is reported only by
                // runtimes that call back for failures, and callbacks are
                // trusted: count what completed before they were.
                log(ORDO_LOG_WARNING, "cannot watch events for failure: out of memory");
                verify_.store(false, std::memory_order_release);
                poll();
            }
        }
    }

    bool cancel() noexcept override { return settle_failure(ORDO_ERROR_CANCELLED, 0, "cancelled"); }

    bool poll() noexcept override {
        uint32_t f = flags_.load(std::memory_order_acquire);
        do {
            if (f & kSettled)
                return false;
        } while (!flags_.compare_exchange_weak(f, f | kPolling, std::memory_order_acquire,
                                               std::memory_order_acquire));
        for (size_t i = 0; i < held_size_for_poll(); ++i) {
            if (slots_[i].fired.load(std::memory_order_relaxed))
                continue;
            cl_int status = 0;
            if (clGetEventInfo(slots_[i].event, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status,
                               &status, nullptr) != CL_SUCCESS)
                continue;
            if (status < 0) {
                settle_event_failure(slots_[i].event, status);
                break;
            }
            if (status == CL_COMPLETE && !slots_[i].fired.exchange(true, std::memory_order_acq_rel))
                count_down(); // its callback, when it comes, counts nothing
        }
        f = flags_.fetch_and(~kPolling, std::memory_order_acq_rel);
        if (f & kReleasePending)
            held_.clear();
        return !(f & kSettled);
    }

    bool buried_and_quiet() const noexcept override {
        return outstanding_.load(std::memory_order_acquire) == 0;
    }

private:
    struct Slot {
        EventWait *owner = nullptr;
        cl_event event = nullptr; // immutable after construction
        std::atomic<bool> fired{false};
    };
    static constexpr uint32_t kSettled = 1, kPolling = 2, kReleasePending = 4;

    size_t held_size_for_poll() const noexcept { return num_slots_; }

    // Never queries the event (a runtime may hold its lock here). A callback
    // that reports success counts the event, unless a runtime in this
    // process reports success for failed events (wrong_status_in_callbacks):
    // then the service thread reads the event's status first.
    static void CL_CALLBACK on_event(cl_event event, cl_int status, void *user_data) {
        CallbackScope scope(event);
        auto *slot = static_cast<Slot *>(user_data);
        EventWait *self = slot->owner;
        if (status < 0)
            self->settle_event_failure(event, status); // settles at most once
        else if (self->verify_.load(std::memory_order_acquire))
            Service::instance().poll_soon(self);
        else if (!slot->fired.exchange(true, std::memory_order_acq_rel))
            self->count_down();
        self->outstanding_.fetch_sub(1, std::memory_order_acq_rel);
        self->Future::release();
    }

    void count_down() noexcept {
        if (remaining_.fetch_sub(1, std::memory_order_acq_rel) != 1)
            return;
        uint32_t f = flags_.fetch_or(kSettled, std::memory_order_acq_rel);
        if (f & kSettled)
            return;
        // Every event completed: the result owns the references now. The
        // poller reads only the immutable slot handles, which stay valid
        // while it holds its reference to this future.
        complete(std::move(held_));
        Service::instance().unwatch(this);
    }

    void settle_event_failure(cl_event event, cl_int status) noexcept {
        char message[160];
        std::snprintf(message, sizeof message, "cl_event %p ended with execution status %d (%s)",
                      static_cast<void *>(event), status, cl_error_name(status).c_str());
        settle_failure(ORDO_ERROR_EVENT_FAILED, status, message);
    }

    bool settle_failure(int status, cl_int cl_status, const char *message) noexcept {
        uint32_t f = flags_.fetch_or(kSettled, std::memory_order_acq_rel);
        if (f & kSettled)
            return false;
        Ref<Failure> failure;
        try {
            failure = Failure::make(status, message, cl_status);
        } catch (...) {
            failure = Failure::out_of_memory();
        }
        fail(std::move(failure));
        f = flags_.fetch_or(kReleasePending, std::memory_order_acq_rel);
        if (!(f & kPolling))
            held_.clear();
        if (outstanding_.load(std::memory_order_acquire) != 0)
            Service::instance().bury(this); // some runtimes never call back after a failure
        Service::instance().unwatch(this);
        return true;
    }

    EventList held_;
    std::unique_ptr<Slot[]> slots_;
    size_t num_slots_ = held_.size();
    std::atomic<uint32_t> remaining_{0};
    std::atomic<uint32_t> outstanding_{0};
    std::atomic<uint32_t> flags_{0};
    std::atomic<bool> verify_{false}; // callbacks' success is checked by the poller

public:
    ~EventWait() override = default;
};

} // namespace

Ref<Future> wait_events_async(const EventList &events) {
    if (events.empty())
        return Future::make_done();
    maybe_fail_allocation();
    auto wait = Ref<EventWait>::adopt(new EventWait(events.copy()));
    wait->start();
    return wait;
}

Ref<Future> cached_events_wait(std::atomic<Future *> &slot, const EventList &events) {
    Future *kept = slot.load(std::memory_order_acquire);
    if (kept != nullptr)
        return Ref<Future>(kept);
    Ref<Future> made = wait_events_async(events);
    if (slot.compare_exchange_strong(kept, made.get(), std::memory_order_acq_rel,
                                     std::memory_order_acquire)) {
        made->retain(); // the slot's
        return made;
    }
    // Another thread installed its wait first: use that one. Ours lets go
    // of its event references now (its callbacks, once registered, still
    // come; OpenCL cannot unregister them).
    made->cancel();
    return Ref<Future>(kept);
}

Ref<Future> wait_events_async(const cl_event *events, size_t n) {
    if (n == 0)
        return Future::make_done();
    EventList list = EventList::retain(events, n);
    maybe_fail_allocation();
    auto wait = Ref<EventWait>::adopt(new EventWait(std::move(list)));
    wait->start();
    return wait;
}

} // namespace ordo::detail
