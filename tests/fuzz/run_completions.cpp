// The fuzz driver's operations on completion queues (run.hpp): create, post
// (each with a tag of its own), read or wait with a passed deadline (with
// capacities from 0, refused, to 7) followed by the outstanding count, and
// destroys; and the end of an input's drain.
#include "run.hpp"

#include <ordo/ordo.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace fuzz_capi {

void Run::step_completion(Op op) {
    switch (op) {
    case kCompletionQueueCreate: {
        ordo_completion_queue q = nullptr;
        bool null_out = in_.byte() % 8 == 7;
        int status = ordo_completion_queue_create(null_out ? nullptr : &q);
        shadow_.check_planned("ordo_completion_queue_create",
                              null_out ? ORDO_ERROR_INVALID_ARGUMENT : ORDO_OK, status);
        if (status == ORDO_OK) {
            shadow_.completion_queue_created(q);
            keep(completion_queues_, q);
        }
        break;
    }
    case kCompletionQueuePost: {
        ordo_completion_queue q = pick(completion_queues_);
        ordo_future f = pick(futures_);
        uint64_t tag = next_tag_++;
        int expected = shadow_.plan_post(q, f);
        int status = ordo_completion_queue_post(q, f, tag);
        shadow_.check_planned("ordo_completion_queue_post", expected, status);
        if (status == ORDO_OK)
            shadow_.posted(q, f, tag);
        break;
    }
    case kCompletionQueueRead: {
        ordo_completion_queue q = pick(completion_queues_);
        uint8_t b = in_.byte();
        size_t capacity = b % 8;
        bool null_count = b % 32 == 31;
        bool wait = b / 8 % 2;
        ordo_completion out[8] = {};
        size_t n = 0;
        int status = wait ? ordo_completion_queue_wait(q, ordo_now() - 1, out, capacity,
                                                       null_count ? nullptr : &n)
                          : ordo_completion_queue_read(q, out, capacity, null_count ? nullptr : &n);
        shadow_.check_completions(wait ? "ordo_completion_queue_wait"
                                       : "ordo_completion_queue_read",
                                  q, capacity, null_count, status, out, n);
        size_t count = 0;
        shadow_.check_outstanding(q, ordo_completion_queue_outstanding(q, &count), count);
        break;
    }
    case kCompletionQueueDestroy: {
        ordo_completion_queue q = pick(completion_queues_);
        int status = ordo_completion_queue_destroy(q);
        shadow_.completion_queue_destroyed(q, status);
        forget(completion_queues_, q, status);
        break;
    }
    default:
        break;
    }
}

void Run::drain(ordo_completion_queue q) {
    ordo_deadline deadline = ordo_deadline_after(10'000'000'000);
    while (shadow_.unread(q) > 0) {
        ordo_completion out[8];
        size_t n = 0;
        int status = ordo_completion_queue_wait(q, deadline, out, 8, &n);
        if (status == ORDO_ERROR_TIMEOUT) {
            std::fprintf(stderr,
                         "fuzz_capi: VIOLATION of the contract: %zu posts gave no "
                         "completion once every future could complete\n",
                         shadow_.unread(q));
            std::abort();
        }
        shadow_.check_completions("ordo_completion_queue_wait", q, 8, false, status, out, n);
    }
    size_t count = 0;
    shadow_.check_outstanding(q, ordo_completion_queue_outstanding(q, &count), count);
}

} // namespace fuzz_capi
