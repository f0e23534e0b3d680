// Completion queues.
#include "handles.hpp"

#include "../lib/completion_queue.hpp"

using namespace ordo::capi;

namespace {

void require_batch(ordo_completion *out, size_t capacity, size_t *count) {
    require(out, "out");
    require(count, "count");
    if (capacity == 0)
        throw Error(ORDO_ERROR_INVALID_ARGUMENT, "capacity is 0");
}

} // namespace

extern "C" {

ORDO_API int ordo_completion_queue_create(ordo_completion_queue *out) {
    return guarded([&] {
        require(out, "out");
        auto *h =
            Pool<CompletionQueueHandle>::create(CompletionQueueHandle{CompletionQueue::create()});
        *out = publish<CompletionQueueHandle, ordo_completion_queue_s>(h);
        return ORDO_OK;
    });
}

ORDO_API int ordo_completion_queue_fd(ordo_completion_queue queue, int *fd) {
    return answer<CompletionQueueHandle>(queue, "queue", fd, "fd",
                                         [](CompletionQueueHandle &h) { return h.queue->fd(); });
}

ORDO_API int ordo_completion_queue_post(ordo_completion_queue queue, ordo_future future,
                                        uint64_t tag) {
    return guarded([&] {
        CompletionQueue &q = *lookup<CompletionQueueHandle>(queue, "queue").queue;
        q.post(lookup<FutureHandle>(future, "future").future, tag);
        return ORDO_OK;
    });
}

ORDO_API int ordo_completion_queue_read(ordo_completion_queue queue, ordo_completion *out,
                                        size_t capacity, size_t *count) {
    return guarded([&] {
        CompletionQueue &q = *lookup<CompletionQueueHandle>(queue, "queue").queue;
        require_batch(out, capacity, count);
        *count = q.read(out, capacity);
        return ORDO_OK;
    });
}

ORDO_API int ordo_completion_queue_wait(ordo_completion_queue queue, ordo_deadline deadline,
                                        ordo_completion *out, size_t capacity, size_t *count) {
    return guarded([&] {
        CompletionQueue &q = *lookup<CompletionQueueHandle>(queue, "queue").queue;
        require_batch(out, capacity, count);
        Future::drain_deferred(); // as every host wait: nothing queued behind it
        *count = q.wait(out, capacity, deadline);
        return *count > 0 ? ORDO_OK : report(ORDO_ERROR_TIMEOUT, nullptr);
    });
}

ORDO_API int ordo_completion_queue_outstanding(ordo_completion_queue queue, size_t *count) {
    return answer<CompletionQueueHandle>(
        queue, "queue", count, "count",
        [](CompletionQueueHandle &h) { return h.queue->outstanding(); });
}

ORDO_API int ordo_completion_queue_destroy(ordo_completion_queue queue) {
    return guarded([&] {
        if (CompletionQueueHandle *h = retire<CompletionQueueHandle>(queue, "queue")) {
            h->queue->close();
            Pool<CompletionQueueHandle>::destroy(h);
        }
        return ORDO_OK;
    });
}

} // extern "C"
