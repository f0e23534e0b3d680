// Job queues.
#include "handles.hpp"

namespace ordo::capi {
ordo_future new_future_handle(Ref<Future> future);
} // namespace ordo::capi

using namespace ordo::capi;

extern "C" {

ORDO_API int ordo_job_queue_create(size_t max_pending, ordo_job_queue *out) {
    return guarded([&] {
        require(out, "out");
        JobQueueHandle *h =
            Pool<JobQueueHandle>::create(JobQueueHandle{JobQueue::create(max_pending)});
        *out = publish<JobQueueHandle, ordo_job_queue_s>(h);
        return ORDO_OK;
    });
}

ORDO_API int ordo_job_queue_add(ordo_job_queue queue, ordo_future job, ordo_deadline deadline) {
    return guarded([&] {
        JobQueue &q = *lookup<JobQueueHandle>(queue, "queue").queue;
        Ref<Future> f = lookup<FutureHandle>(job, "job").future;
        return report(q.add(f, deadline), nullptr);
    });
}

ORDO_API int ordo_job_queue_try_add(ordo_job_queue queue, ordo_future job) {
    return guarded([&] {
        JobQueue &q = *lookup<JobQueueHandle>(queue, "queue").queue;
        Ref<Future> f = lookup<FutureHandle>(job, "job").future;
        int status = q.try_add(f);
        if (status == ORDO_ERROR_WOULD_BLOCK)
            return set_last_error(status, "the job queue's backlog is at its bound");
        return status;
    });
}

ORDO_API int ordo_job_queue_clean(ordo_job_queue queue) {
    return guarded([&] {
        Ref<Failure> failure;
        int status = lookup<JobQueueHandle>(queue, "queue").queue->clean(&failure);
        return report(status, failure.get());
    });
}

ORDO_API int ordo_job_queue_finish(ordo_job_queue queue, size_t max_remaining,
                                   ordo_deadline deadline) {
    return guarded([&] {
        Ref<Failure> failure;
        int status =
            lookup<JobQueueHandle>(queue, "queue").queue->finish(max_remaining, deadline, &failure);
        return report(status, failure.get());
    });
}

ORDO_API int ordo_job_queue_size(ordo_job_queue queue, size_t *size) {
    return answer<JobQueueHandle>(queue, "queue", size, "size",
                                  [&](JobQueueHandle &h) { return h.queue->size(); });
}

ORDO_API int ordo_job_queue_backlog(ordo_job_queue queue, size_t *backlog) {
    return answer<JobQueueHandle>(queue, "queue", backlog, "backlog",
                                  [&](JobQueueHandle &h) { return h.queue->backlog(); });
}

ORDO_API int ordo_job_queue_contains(ordo_job_queue queue, ordo_future job, int *contains) {
    return guarded([&] {
        JobQueue &q = *lookup<JobQueueHandle>(queue, "queue").queue;
        Future *f = lookup<FutureHandle>(job, "job").future.get();
        require(contains, "contains");
        *contains = q.contains(f) ? 1 : 0;
        return ORDO_OK;
    });
}

ORDO_API int ordo_job_queue_backlog_future(ordo_job_queue queue, size_t level, ordo_future *out) {
    return guarded([&] {
        JobQueue &q = *lookup<JobQueueHandle>(queue, "queue").queue;
        require(out, "out");
        *out = new_future_handle(q.backlog_at_most(level));
        return ORDO_OK;
    });
}

ORDO_API int ordo_job_queue_destroy(ordo_job_queue queue) {
    return guarded([&] {
        if (queue == nullptr)
            return ORDO_OK;
        lookup<JobQueueHandle>(queue, "queue").queue->abandon(); // may throw: nothing changed
        if (JobQueueHandle *h = retire<JobQueueHandle>(queue, "queue"))
            Pool<JobQueueHandle>::destroy(h);
        return ORDO_OK;
    });
}

} // extern "C"
