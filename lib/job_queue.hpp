// JobQueue: a FIFO of futures that bounds the pending backlog.
//
// The queue holds its own reference to each job's completion. Its length
// counts every job not yet removed (clean/finish remove jobs from the front);
// its backlog counts the jobs not yet complete: a job is counted only if it
// is pending when added, under the same lock as the bound is checked, and
// counted out by its completion callback, so the backlog never exceeds the
// bound. One mutex guards the deque, the backlog count, the backlog
// watchers and the add calls' entries; it is never held while a job is
// waited for or while a callback runs.
#pragma once

#include "clock.hpp"
#include "future.hpp"
#include "thread_annotations.hpp"

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <vector>

namespace ordo::detail {

class JobQueue final : public RefCounted<JobQueue> {
public:
    // max_pending == 0: unbounded.
    static Ref<JobQueue> create(size_t max_pending);

    // Appends job, waiting while the backlog is at its bound. Returns ORDO_OK
    // or ORDO_ERROR_TIMEOUT (nothing added).
    int add(const Ref<Future> &job, Deadline deadline);
    // Appends job if the backlog is below its bound: ORDO_OK or
    // ORDO_ERROR_WOULD_BLOCK (nothing added).
    int try_add(const Ref<Future> &job);

    // Removes completed jobs from the front. Returns ORDO_OK, or the status
    // of the first failed job among those removed (*failure receives it).
    int clean(Ref<Failure> *failure);
    // Waits for front jobs and removes them until at most max_remaining
    // remain. Stops at the first failed job (removed, its status returned,
    // *failure set) or at the deadline (ORDO_ERROR_TIMEOUT).
    int finish(size_t max_remaining, Deadline deadline, Ref<Failure> *failure);

    size_t size();
    size_t backlog();
    bool contains(const Future *job);
    // A future that completes once the backlog is at most level.
    Ref<Future> backlog_at_most(size_t level);
    // The owner is gone: fails the backlog futures still waiting with
    // ORDO_ERROR_ABANDONED (only the queue could complete them; one that was
    // itself queued as a job would keep the queue alive for ever). Jobs are
    // not affected. Throws std::bad_alloc, changing nothing.
    void abandon();

private:
    friend class RefCounted<JobQueue>;
    explicit JobQueue(size_t max_pending) : max_pending_(max_pending) {}
    ~JobQueue() = default;

    struct Watcher {
        size_t level;
        Ref<Future> future;
    };
    struct Entry;
    int insert(const Ref<Future> &job, Deadline deadline, bool may_wait);
    static void on_job_done(Callback *self, Future &job) noexcept;

    const size_t max_pending_;
    Mutex mutex_;
    std::condition_variable room_; // with mutex_: the backlog fell
    std::deque<Ref<Future>> jobs_ ORDO_GUARDED_BY(mutex_);
    size_t backlog_ ORDO_GUARDED_BY(mutex_) = 0;
    std::vector<Watcher> watchers_ ORDO_GUARDED_BY(mutex_);
};

} // namespace ordo::detail
