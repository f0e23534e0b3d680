#include "service.hpp"

#include "clock.hpp"
#include "immortal.hpp"
#include "log.hpp"

#include <algorithm>
#include <chrono>
#include <pthread.h>
#include <thread>

namespace ordo::detail {
namespace {

constexpr int64_t kFirstPollNs = 1'000'000;
constexpr int64_t kMaxPollNs = 64'000'000;
// A timed round starts this much after the first poll falls due, so that
// polls due close together share one round (one walk of the watched list):
// without it, waits registered a few microseconds apart each woke the
// thread for a walk of all of them (10,000 pending waits: quadratic).
constexpr int64_t kPollBatchNs = 500'000;
constexpr int64_t kGraveyardSweepNs = 100'000'000;
static_assert(kMaxPollNs + kPollBatchNs < int64_t{ORDO_FAILURE_POLL_BOUND_MS} * 1'000'000);

} // namespace

Service &Service::instance() noexcept {
    // The thread may outlive static destruction at exit.
    static Immortal<Service> service;
    return service.get();
}

void Service::ensure_started() {
    if (started_)
        return;
    std::thread thread([this] { run(); });
    pthread_setname_np(thread.native_handle(), "ordo-service");
    thread.detach();
    started_ = true;
}

void Service::link(Pollable *p) noexcept {
    p->watch_prev_ = nullptr;
    p->watch_next_ = watched_;
    if (watched_ != nullptr)
        watched_->watch_prev_ = p;
    watched_ = p;
    p->watch_linked_ = true;
    ++num_watched_;
}

void Service::unlink(Pollable *p) noexcept {
    if (p->watch_prev_ != nullptr)
        p->watch_prev_->watch_next_ = p->watch_next_;
    else
        watched_ = p->watch_next_;
    if (p->watch_next_ != nullptr)
        p->watch_next_->watch_prev_ = p->watch_prev_;
    p->watch_prev_ = p->watch_next_ = nullptr;
    p->watch_linked_ = false;
    --num_watched_;
}

void Service::defer_release(EventList events) noexcept {
    if (events.empty())
        return;
    UniqueLock lock(mutex_);
    try {
        ensure_started();
        releases_.push_back(std::move(events));
        ++releases_requested_;
    } catch (...) {
        lock.unlock();
        release_events_now(events.data(), events.size());
        return;
    }
    lock.unlock();
    wake_.notify_one();
}

void Service::watch(Pollable *p) {
    int64_t due = now_ns() + kFirstPollNs;
    bool earlier;
    {
        Lock lock(mutex_);
        ensure_started();
        p->retain();
        p->watch_due_ = due;
        p->watch_interval_ = kFirstPollNs;
        link(p);
        earlier = due < next_due_;
        if (earlier)
            next_due_ = due;
    }
    if (earlier)
        wake_.notify_one();
}

void Service::poll_soon(Pollable *p) noexcept {
    {
        Lock lock(mutex_);
        if (!p->watch_linked_)
            return;
        int64_t now = now_ns();
        p->watch_due_ = now;
        p->watch_interval_ = kFirstPollNs;
        next_due_ = now;
        poll_now_ = true;
    }
    wake_.notify_one();
}

void Service::unwatch(Pollable *p) noexcept {
    {
        Lock lock(mutex_);
        if (!p->watch_linked_)
            return;
        unlink(p);
    }
    p->release();
}

void Service::bury(Pollable *p) noexcept {
    Lock lock(mutex_);
    try {
        ensure_started();
        graveyard_.push_back(p);
        p->retain();
    } catch (...) {
        // Without memory the object stays referenced only by its pending
        // callbacks; it is freed if and when they run.
    }
}

bool Service::flush_releases(int64_t deadline) noexcept {
    UniqueLock lock(mutex_);
    uint64_t target = releases_requested_;
    while (releases_done_ < target) {
        if (now_ns() >= deadline)
            return false;
        if (deadline == INT64_MAX)
            drained_.wait(lock.native());
        else // an absolute time: no arithmetic that could overflow
            drained_.wait_until(lock.native(), to_steady(deadline));
    }
    return true;
}

size_t Service::watched_count() noexcept {
    Lock lock(mutex_);
    return num_watched_ + graveyard_.size();
}

uint64_t Service::polling_rounds() noexcept {
    Lock lock(mutex_);
    return polling_rounds_;
}

void Service::run() noexcept {
    std::vector<EventList> releases;
    std::vector<Pollable *> due;   // each holds a reference taken for the poll
    std::vector<Pollable *> quiet; // each holds the graveyard's reference
    int64_t next_sweep = now_ns() + kGraveyardSweepNs;
    UniqueLock lock(mutex_);
    for (;;) {
        int64_t now = now_ns();
        int64_t round_at = poll_now_ || next_due_ > INT64_MAX - kPollBatchNs
                               ? next_due_
                               : next_due_ + kPollBatchNs;
        if (releases_.empty() && round_at > now) {
            int64_t until = std::min(round_at, graveyard_.empty() ? INT64_MAX : next_sweep);
            if (until == INT64_MAX)
                wake_.wait(lock.native());
            else if (until > now)
                wake_.wait_for(lock.native(), std::chrono::nanoseconds(until - now));
            now = now_ns();
        }
        poll_now_ = false;
        releases.swap(releases_);
        uint64_t batch = releases.size();
        int64_t next_due = INT64_MAX;
        for (Pollable *p = watched_; p != nullptr; p = p->watch_next_) {
            if (p->watch_due_ <= now) {
                try {
                    due.push_back(p);
                    p->retain();
                } catch (...) {
                    // Polled on a later round.
                }
                p->watch_interval_ = std::min(p->watch_interval_ * 2, kMaxPollNs);
                p->watch_due_ = now + p->watch_interval_;
            }
            next_due = std::min(next_due, p->watch_due_);
        }
        next_due_ = next_due;
        if (!due.empty())
            ++polling_rounds_;
        if (now >= next_sweep) {
            next_sweep = now + kGraveyardSweepNs;
            auto quiet_end =
                std::stable_partition(graveyard_.begin(), graveyard_.end(),
                                      [](Pollable *p) { return !p->buried_and_quiet(); });
            quiet.assign(quiet_end, graveyard_.end());
            graveyard_.erase(quiet_end, graveyard_.end());
        }
        lock.unlock();

        for (EventList &list : releases)
            list.clear();
        releases.clear();
        for (Pollable *p : quiet)
            p->release();
        quiet.clear();
        for (Pollable *p : due) {
            if (!p->poll())
                unwatch(p);
            p->release();
        }
        due.clear();

        lock.lock();
        releases_done_ += batch;
        if (batch != 0)
            drained_.notify_all();
    }
}

} // namespace ordo::detail
