// Events: created by the threads, completed later by the completer thread,
// and checked for their reference count at the end.
#include "stress.hpp"

#include <chrono>

namespace ordo_stress {

bool ended(cl_event e) {
    cl_int s = CL_QUEUED;
    clGetEventInfo(e, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof s, &s, nullptr);
    return s <= CL_COMPLETE;
}

cl_event Events::make_user_event() {
    cl_int err = CL_SUCCESS;
    cl_event e = clCreateUserEvent(context_, &err);
    if (err != CL_SUCCESS) {
        violation("clCreateUserEvent failed: %d", err);
        return nullptr;
    }
    g_count.events_created.fetch_add(1, std::memory_order_relaxed);
    return e;
}

void Events::complete_later(cl_event e, int64_t delay_ns) {
    std::lock_guard lock(mutex_);
    pending_.push_back({e, ordo_now() + delay_ns});
    wake_.notify_one();
}

void Events::track(cl_event e) {
    std::lock_guard lock(mutex_);
    tracked_.push_back(e);
}

void Events::start() {
    thread_ = std::thread([this] { run(); });
}

void Events::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

// Events back at their baseline are released as they are found, so that
// the commands among them let go of the events they waited for: a runtime
// may keep a command's wait list as long as the command's event lives
// (Rusticl, docs/RUNTIMES.md). What is still above its baseline at the
// deadline is reported.
void Events::check_baselines(int64_t bound_ns) {
    ordo_deadline deadline = ordo_now() + bound_ns;
    ordo_events_flush_releases(deadline);
    std::vector<cl_event> left = std::move(tracked_);
    tracked_.clear();
    for (;;) {
        std::vector<cl_event> above;
        for (cl_event e : left) {
            cl_uint count = 0;
            clGetEventInfo(e, CL_EVENT_REFERENCE_COUNT, sizeof count, &count, nullptr);
            if (count == 1) {
                g_count.events_checked.fetch_add(1, std::memory_order_relaxed);
                clReleaseEvent(e);
            } else if (count == 0) {
                violation("cl_event %p: reference count 0 at the end, baseline 1",
                          static_cast<void *>(e));
            } else {
                above.push_back(e);
            }
        }
        left = std::move(above);
        if (left.empty() || ordo_now() > deadline)
            break;
        ordo_events_flush_releases(deadline);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    for (cl_event e : left) {
        cl_uint count = 0;
        clGetEventInfo(e, CL_EVENT_REFERENCE_COUNT, sizeof count, &count, nullptr);
        violation("cl_event %p: reference count %u at the end, baseline 1", static_cast<void *>(e),
                  count);
        clReleaseEvent(e);
    }
}

void Events::run() {
    std::unique_lock lock(mutex_);
    int64_t next_reap = ordo_now();
    for (;;) {
        int64_t now = ordo_now();
        std::vector<cl_event> due;
        for (size_t i = 0; i < pending_.size();) {
            if (stopping_ || pending_[i].due <= now) {
                due.push_back(pending_[i].event);
                pending_[i] = pending_.back();
                pending_.pop_back();
            } else {
                ++i;
            }
        }
        bool reap = now >= next_reap;
        std::vector<cl_event> candidates;
        if (reap) {
            candidates.swap(tracked_);
            next_reap = now + 50'000'000;
        }
        bool stop = stopping_ && pending_.empty();
        lock.unlock();
        for (cl_event e : due)
            clSetUserEventStatus(e, CL_COMPLETE);
        // Events back to their baseline with a final status are done with:
        // ordo holds no reference, and none will be handed to it again.
        std::vector<cl_event> keep;
        for (cl_event e : candidates) {
            cl_uint count = 0;
            cl_int status = CL_QUEUED;
            clGetEventInfo(e, CL_EVENT_REFERENCE_COUNT, sizeof count, &count, nullptr);
            clGetEventInfo(e, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, nullptr);
            if (count == 1 && status <= CL_COMPLETE) {
                g_count.events_checked.fetch_add(1, std::memory_order_relaxed);
                clReleaseEvent(e);
            } else
                keep.push_back(e);
        }
        lock.lock();
        tracked_.insert(tracked_.end(), due.begin(), due.end());
        tracked_.insert(tracked_.end(), keep.begin(), keep.end());
        if (stop)
            return;
        if (due.empty())
            wake_.wait_for(lock, std::chrono::microseconds(200));
    }
}

} // namespace ordo_stress
