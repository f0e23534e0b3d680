#include "job_queue.hpp"

#include "error.hpp"

#include <chrono>

namespace ordo::detail {

// One per add call. While the call runs it wakes the call if the job
// completes meanwhile (a job already complete never waits); once the job is
// counted in the backlog it counts it out when the job completes. Fields
// guarded by queue->mutex_. Freed by whichever of the job's completion
// (fired) and the adding call (settled) comes second; never registered on
// the job, it is the call's alone.
struct JobQueue::Entry : Callback {
    Ref<JobQueue> queue;
    bool fired = false;
    bool counted = false;
    bool settled = false;
};

Ref<JobQueue> JobQueue::create(size_t max_pending) {
    maybe_fail_allocation();
    return Ref<JobQueue>::adopt(new JobQueue(max_pending));
}

void JobQueue::on_job_done(Callback *self, Future &) noexcept {
    auto *e = static_cast<Entry *>(self);
    JobQueue &q = *e->queue;
    std::vector<Ref<Future>> ready;
    bool free_now;
    {
        Lock lock(q.mutex_);
        e->fired = true;
        if (e->counted) {
            --q.backlog_;
            for (size_t i = 0; i < q.watchers_.size();) {
                if (q.backlog_ <= q.watchers_[i].level) {
                    ready.push_back(std::move(q.watchers_[i].future));
                    q.watchers_[i] = std::move(q.watchers_.back());
                    q.watchers_.pop_back();
                } else {
                    ++i;
                }
            }
        }
        free_now = e->settled;
    }
    q.room_.notify_all(); // room, or an add waiting for this very job
    for (auto &f : ready)
        f->complete(EventList{});
    if (free_now)
        delete e; // drops its reference to the queue: nothing of q after this
}

int JobQueue::add(const Ref<Future> &job, Deadline deadline) {
    return insert(job, deadline, true);
}

int JobQueue::try_add(const Ref<Future> &job) {
    return insert(job, kNever, false);
}

// The backlog counts a job only if it was pending when it was counted, and
// under the same lock as the bound is checked: it never exceeds the bound,
// and never counts a job that was complete when it was added.
int JobQueue::insert(const Ref<Future> &job, Deadline deadline, bool may_wait) {
    maybe_fail_allocation();
    auto *e = new Entry;
    e->fn = on_job_done;
    e->queue = Ref<JobQueue>(this);
    bool registered = false;
    int status = ORDO_OK;
    UniqueLock lock(mutex_);
    try {
        for (;;) {
            if (e->fired || job->is_complete()) {
                jobs_.push_back(job); // complete: never counted, never waits
                break;
            }
            if (max_pending_ == 0 || backlog_ < max_pending_) {
                jobs_.push_back(job);
                ++backlog_;
                e->counted = true;
                break;
            }
            if (!may_wait) {
                status = ORDO_ERROR_WOULD_BLOCK;
                break;
            }
            if (!registered) {
                // From now on the job's completion wakes this wait.
                lock.unlock();
                job->on_complete(e);
                registered = true;
                lock.lock();
                continue;
            }
            if (deadline == kNever) {
                room_.wait(lock.native());
            } else if (room_.wait_until(lock.native(), to_steady(deadline)) ==
                           std::cv_status::timeout &&
                       !e->fired && backlog_ >= max_pending_) {
                status = ORDO_ERROR_TIMEOUT;
                break;
            }
        }
    } catch (...) {
        e->settled = true;
        bool free_now = !registered || e->fired;
        lock.unlock();
        if (free_now)
            delete e;
        throw;
    }
    e->settled = true;
    if (registered) {
        bool free_now = e->fired;
        lock.unlock();
        if (free_now)
            delete e;
        return status;
    }
    lock.unlock();
    if (e->counted)
        job->on_complete(e); // counts it out when it completes (may be at once)
    else
        delete e;
    return status;
}

int JobQueue::clean(Ref<Failure> *failure) {
    int status = ORDO_OK;
    std::vector<Ref<Future>> removed; // dropped outside the lock
    {
        Lock lock(mutex_);
        while (!jobs_.empty() && jobs_.front()->is_complete()) {
            Ref<Future> job = std::move(jobs_.front());
            jobs_.pop_front();
            if (status == ORDO_OK && job->state() == Future::kFailed) {
                status = job->failure().status();
                *failure = job->failure_ref();
            }
            removed.push_back(std::move(job));
        }
    }
    return status;
}

int JobQueue::finish(size_t max_remaining, Deadline deadline, Ref<Failure> *failure) {
    for (;;) {
        Ref<Future> front;
        {
            Lock lock(mutex_);
            if (jobs_.size() <= max_remaining)
                return ORDO_OK;
            front = jobs_.front();
        }
        int status = front->wait(deadline);
        if (status == ORDO_ERROR_TIMEOUT)
            return status;
        {
            Lock lock(mutex_);
            // Another thread may have removed it meanwhile.
            if (!jobs_.empty() && jobs_.front().get() == front.get())
                jobs_.pop_front();
            else
                continue;
        }
        if (status != ORDO_OK) {
            *failure = front->failure_ref();
            return status;
        }
    }
}

size_t JobQueue::size() {
    Lock lock(mutex_);
    return jobs_.size();
}

size_t JobQueue::backlog() {
    Lock lock(mutex_);
    return backlog_;
}

bool JobQueue::contains(const Future *job) {
    Lock lock(mutex_);
    for (const auto &j : jobs_)
        if (j.get() == job)
            return true;
    return false;
}

Ref<Future> JobQueue::backlog_at_most(size_t level) {
    Ref<Future> f = Future::make_pending();
    {
        Lock lock(mutex_);
        if (backlog_ > level) {
            watchers_.push_back(Watcher{level, f});
            return f;
        }
    }
    f->complete(EventList{});
    return f;
}

void JobQueue::abandon() {
    Ref<Failure> failure = Failure::make(ORDO_ERROR_ABANDONED, "the job queue was destroyed");
    std::vector<Watcher> abandoned;
    {
        Lock lock(mutex_);
        abandoned.swap(watchers_);
    }
    for (auto &w : abandoned)
        w.future->fail(failure);
}

} // namespace ordo::detail
