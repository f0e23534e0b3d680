#include "job_queue.hpp"

#include "error.hpp"

#include <chrono>

namespace ordo::detail {
namespace {

std::chrono::steady_clock::time_point to_steady(Deadline deadline) {
    // libstdc++'s steady_clock is CLOCK_MONOTONIC, the clock of deadlines.
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline));
}

} // namespace

// Counts a job out of the backlog when it completes. Holds the queue.
struct JobQueue::JobCallback : Callback {
    Ref<JobQueue> queue;
};

Ref<JobQueue> JobQueue::create(size_t max_pending) {
    maybe_fail_allocation();
    return Ref<JobQueue>::adopt(new JobQueue(max_pending));
}

void JobQueue::push(std::unique_lock<std::mutex> &lock, Ref<Future> job) {
    maybe_fail_allocation();
    auto *cb = new JobCallback;
    cb->fn = [](Callback *self, Future &) noexcept {
        auto *c = static_cast<JobCallback *>(self);
        c->queue->job_completed();
        delete c;
    };
    cb->queue = Ref<JobQueue>(this);
    try {
        jobs_.push_back(job);
    } catch (...) {
        delete cb;
        throw;
    }
    ++backlog_;
    lock.unlock();
    job->on_complete(cb); // may run job_completed() at once
}

void JobQueue::job_completed() noexcept {
    std::vector<Ref<Future>> ready;
    {
        std::lock_guard lock(mutex_);
        --backlog_;
        for (size_t i = 0; i < watchers_.size();) {
            if (backlog_ <= watchers_[i].level) {
                ready.push_back(std::move(watchers_[i].future));
                watchers_[i] = std::move(watchers_.back());
                watchers_.pop_back();
            } else {
                ++i;
            }
        }
    }
    room_.notify_all();
    for (auto &f : ready)
        f->complete(EventList{});
}

int JobQueue::add(Ref<Future> job, Deadline deadline) {
    std::unique_lock lock(mutex_);
    if (max_pending_ != 0 && !job->is_complete()) {
        while (backlog_ >= max_pending_) {
            if (deadline == kNever)
                room_.wait(lock);
            else if (room_.wait_until(lock, to_steady(deadline)) == std::cv_status::timeout &&
                     backlog_ >= max_pending_)
                return ORDO_ERROR_TIMEOUT;
        }
    }
    push(lock, std::move(job));
    return ORDO_OK;
}

int JobQueue::try_add(Ref<Future> job) {
    std::unique_lock lock(mutex_);
    if (max_pending_ != 0 && !job->is_complete() && backlog_ >= max_pending_)
        return ORDO_ERROR_WOULD_BLOCK;
    push(lock, std::move(job));
    return ORDO_OK;
}

int JobQueue::clean(Ref<Failure> *failure) {
    int status = ORDO_OK;
    std::vector<Ref<Future>> removed; // dropped outside the lock
    {
        std::lock_guard lock(mutex_);
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
            std::lock_guard lock(mutex_);
            if (jobs_.size() <= max_remaining)
                return ORDO_OK;
            front = jobs_.front();
        }
        int status = front->wait(deadline);
        if (status == ORDO_ERROR_TIMEOUT)
            return status;
        {
            std::lock_guard lock(mutex_);
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
    std::lock_guard lock(mutex_);
    return jobs_.size();
}

size_t JobQueue::backlog() {
    std::lock_guard lock(mutex_);
    return backlog_;
}

bool JobQueue::contains(const Future *job) {
    std::lock_guard lock(mutex_);
    for (const auto &j : jobs_)
        if (j.get() == job)
            return true;
    return false;
}

Ref<Future> JobQueue::backlog_at_most(size_t level) {
    Ref<Future> f = Future::make_pending();
    {
        std::lock_guard lock(mutex_);
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
        std::lock_guard lock(mutex_);
        abandoned.swap(watchers_);
    }
    for (auto &w : abandoned)
        w.future->fail(failure);
}

} // namespace ordo::detail
