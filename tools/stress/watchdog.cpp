// The watchdog: grant futures and asynchronous waits that should have
// completed, and blocking waits that overrun their deadlines; and the
// callbacks of grant futures and asynchronous waits.
#include "stress.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace ordo_stress {

void Watchdog::watch_grant(TicketPtr t) {
    std::lock_guard lock(mutex_);
    grants_.push_back(std::move(t));
}

void Watchdog::watch_async(std::unique_ptr<AsyncWait> w) {
    std::lock_guard lock(mutex_);
    asyncs_.push_back(std::move(w));
}

void Watchdog::start() {
    thread_ = std::thread([this] {
        std::unique_lock lock(stop_mutex_);
        while (!stop_) {
            stop_wake_.wait_for(lock, std::chrono::milliseconds(20));
            lock.unlock();
            sweep(false);
            lock.lock();
        }
    });
}

void Watchdog::stop() {
    {
        std::lock_guard lock(stop_mutex_);
        stop_ = true;
    }
    stop_wake_.notify_one();
    thread_.join();
}

void Watchdog::drain() {
    ordo_deadline deadline = ordo_now() + bound_;
    for (;;) {
        sweep(false);
        {
            std::lock_guard lock(mutex_);
            if (grants_.empty() && asyncs_.empty())
                return;
        }
        if (ordo_now() > deadline)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    sweep(true);
}

void Watchdog::give_up() {
    std::fflush(stderr);
    std::printf("ordo-stress: FAIL: seed %llu, stuck call\n",
                static_cast<unsigned long long>(g_seed));
    std::fflush(stdout);
    std::_Exit(1);
}

void Watchdog::sweep(bool final) {
    int64_t now = ordo_now();
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < grants_.size();) {
        Ticket &t = *grants_[i];
        if (!t.callback_pending.load(std::memory_order_acquire)) {
            grants_[i] = std::move(grants_.back());
            grants_.pop_back();
            continue;
        }
        if (predecessors_released(t)) {
            if (t.callback_eligible_since == 0)
                t.callback_eligible_since = now;
            if (final || now - t.callback_eligible_since > bound_) {
                violation("resource %d: the grant future of %s ticket %llu has not completed "
                          "%.1f s after every earlier ticket was released",
                          t.res->index, t.tracked ? "tracked" : "free",
                          static_cast<unsigned long long>(t.position),
                          (now - t.callback_eligible_since) / 1e9);
                t.callback_pending.store(false);
            }
        }
        ++i;
    }
    for (size_t i = 0; i < asyncs_.size();) {
        AsyncWait &w = *asyncs_[i];
        int status = ordo_future_poll(w.future);
        if (status != ORDO_PENDING && w.callbacks.load(std::memory_order_acquire) == 1) {
            if (status != ORDO_OK && status != ORDO_ERROR_EVENT_FAILED)
                violation("asynchronous wait ended with %s", ordo_status_string(status));
            ordo_future_destroy(w.future);
            for (cl_event e : w.events)
                clReleaseEvent(e);
            asyncs_[i] = std::move(asyncs_.back());
            asyncs_.pop_back();
            continue;
        }
        bool settled = true;
        for (cl_event e : w.events) {
            cl_int s = CL_QUEUED;
            clGetEventInfo(e, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof s, &s, nullptr);
            settled = settled && s <= CL_COMPLETE;
        }
        if (settled) {
            if (w.eligible_since == 0)
                w.eligible_since = now;
            if (final || now - w.eligible_since > bound_) {
                violation("an asynchronous wait for %zu event(s) is still %s %.1f s after "
                          "its events ended",
                          w.events.size(), status == ORDO_PENDING ? "pending" : "uncalled",
                          (now - w.eligible_since) / 1e9);
                w.eligible_since = now + (int64_t{1} << 62); // report once
            }
        }
        ++i;
    }
    for (WaitSlot &slot : slots_) {
        uint64_t g = slot.generation.load(std::memory_order_acquire);
        const char *what = slot.what.load(std::memory_order_acquire);
        int count = slot.count.load(std::memory_order_acquire);
        int index[kMaxParts] = {};
        uint64_t position[kMaxParts] = {}, need[kMaxParts] = {};
        bool tracked[kMaxParts] = {};
        for (int k = 0; k < count && k < kMaxParts; ++k) {
            index[k] = slot.resource[k].load(std::memory_order_acquire);
            position[k] = slot.position[k].load(std::memory_order_acquire);
            need[k] = slot.need[k].load(std::memory_order_acquire);
            tracked[k] = slot.tracked[k].load(std::memory_order_acquire);
        }
        int64_t deadline = slot.deadline.load(std::memory_order_acquire);
        if (g % 2 == 0 || slot.generation.load(std::memory_order_acquire) != g)
            continue; // nothing in progress, or it just changed
        if (g != slot.seen_generation) {
            slot.seen_generation = g;
            slot.eligible_since = 0;
        }
        if (deadline != ORDO_DEADLINE_NEVER && now > deadline + bound_) {
            violation("%s (resource %d, ticket %llu) overran its deadline by %.1f s", what,
                      count > 0 ? index[0] : -1, static_cast<unsigned long long>(position[0]),
                      (now - deadline) / 1e9);
            give_up();
        }
        bool eligible = true;
        for (int k = 0; k < count && k < kMaxParts; ++k)
            if (tracked[k] && advance_frontier(*resources_[index[k]]) < need[k])
                eligible = false;
        if (!eligible)
            continue;
        if (slot.eligible_since == 0)
            slot.eligible_since = now;
        if (now - slot.eligible_since > bound_) {
            // A waiter left waiting (a lost wake-up, or a deadlock).
            violation("%s for %d ticket(s) (resource %d, %s ticket %llu) is still blocked "
                      "%.1f s after every ticket it waits for was released",
                      what, count, index[0], tracked[0] ? "tracked" : "free",
                      static_cast<unsigned long long>(position[0]),
                      (now - slot.eligible_since) / 1e9);
            give_up();
        }
    }
}

// ---------------------------------------------------------------------------
// Callbacks
// ---------------------------------------------------------------------------

void on_grant_future(void *data, int status) {
    auto *cb = static_cast<GrantCallback *>(data);
    Ticket &t = *cb->ticket;
    g_count.grant_callbacks.fetch_add(1, std::memory_order_relaxed);
    if (status == ORDO_OK || status == kAppFailure) {
        observe_grant(t, "grant future callback");
        check_grant_future(t, cb->clone, status, "grant future callback");
    } else if (status != ORDO_ERROR_CANCELLED) {
        violation("resource %d: grant future of ticket %llu completed with %s", t.res->index,
                  static_cast<unsigned long long>(t.position), ordo_status_string(status));
    }
    ordo_future_destroy(cb->clone);
    t.callback_pending.store(false, std::memory_order_release);
    delete cb;
}

void on_async_wait(void *data, int) {
    static_cast<AsyncWait *>(data)->callbacks.fetch_add(1, std::memory_order_acq_rel);
}

} // namespace ordo_stress
