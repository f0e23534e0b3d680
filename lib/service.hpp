// The service thread: the library's one thread, started on first need.
//
// It does the work that must not happen on an OpenCL callback thread or
// that needs a clock:
//  - releases cl_event references dropped on callback threads;
//  - polls the status of events being waited for, with backoff, because some
//    runtimes (POCL 3.1) never call back for a command that failed: a failed
//    event is noticed within ORDO_FAILURE_POLL_BOUND_MS;
//  - keeps waits whose callbacks may never come reachable (the graveyard)
//    until their callbacks have all run.
// The number of threads never grows with the number of waiters.
#pragma once

#include "event_list.hpp"

#include "immortal.hpp"
#include "thread_annotations.hpp"

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

namespace ordo::detail {

class Service;

// Something the service thread polls until it is unwatched or says it is
// finished. The watch_* fields belong to the service and are guarded by its
// mutex.
class Pollable {
public:
    virtual void retain() noexcept = 0;
    virtual void release() noexcept = 0;
    // Polls once, without holding any lock of the service; returns false
    // once nothing more is to be polled.
    virtual bool poll() noexcept = 0;
    // True once the object may be dropped from the graveyard.
    virtual bool buried_and_quiet() const noexcept = 0;

protected:
    ~Pollable() = default;

private:
    friend class Service;
    Pollable *watch_prev_ = nullptr;
    Pollable *watch_next_ = nullptr;
    int64_t watch_due_ = 0;
    int64_t watch_interval_ = 0;
    bool watch_linked_ = false;
};

class Service {
public:
    // The process-wide instance (immortal, its thread started lazily).
    static Service &instance() noexcept;

    // Releases the references on the service thread. Never throws; if even
    // that is impossible (no memory), releases them here as a last resort.
    void defer_release(EventList events) noexcept;
    // Polls p (first after 1 ms, then backing off to 64 ms) until unwatch(p)
    // or p->poll() returns false. Holds a reference meanwhile.
    void watch(Pollable *p);
    // Polls p as soon as the service thread can, and from then on backs off
    // again from the first interval. Nothing if p is not watched (any more).
    // Safe from any thread, including callback threads.
    void poll_soon(Pollable *p) noexcept;
    // Stops polling p (if still watched) and drops the service's reference.
    // Safe from any thread, including callback threads: the poller holds no
    // lock while it calls into OpenCL.
    void unwatch(Pollable *p) noexcept;
    // Keeps p referenced until p->buried_and_quiet().
    void bury(Pollable *p) noexcept;

    // Blocks until every release deferred so far has been done, or the
    // deadline; false on timeout.
    bool flush_releases(int64_t deadline) noexcept;
    // The number of objects polled and buried right now.
    size_t watched_count() noexcept;
    // The rounds so far that polled at least one object (for tests).
    uint64_t polling_rounds() noexcept;

private:
    friend class Immortal<Service>;
    Service() = default;
    void ensure_started() ORDO_REQUIRES(mutex_);
    void link(Pollable *p) noexcept ORDO_REQUIRES(mutex_);
    void unlink(Pollable *p) noexcept ORDO_REQUIRES(mutex_);
    void run() noexcept;

    Mutex mutex_;
    std::condition_variable wake_;    // with mutex_
    std::condition_variable drained_; // with mutex_
    std::vector<EventList> releases_ ORDO_GUARDED_BY(mutex_);
    Pollable *watched_ ORDO_GUARDED_BY(mutex_) = nullptr; // each holds a reference
    size_t num_watched_ ORDO_GUARDED_BY(mutex_) = 0;
    std::vector<Pollable *> graveyard_ ORDO_GUARDED_BY(mutex_); // each holds a reference
    uint64_t releases_requested_ ORDO_GUARDED_BY(mutex_) = 0;
    uint64_t releases_done_ ORDO_GUARDED_BY(mutex_) = 0;
    int64_t next_due_ ORDO_GUARDED_BY(mutex_) = INT64_MAX;
    bool poll_now_ ORDO_GUARDED_BY(mutex_) = false; // poll_soon: no batching delay
    uint64_t polling_rounds_ ORDO_GUARDED_BY(mutex_) = 0;
    bool started_ ORDO_GUARDED_BY(mutex_) = false;
};

} // namespace ordo::detail
