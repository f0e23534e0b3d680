// The fuzz driver's operations on job queues (run.hpp): create, add (with a
// deadline, or trying), clean, finish, the size, backlog and contains
// queries, backlog futures, and destroys.
#include "run.hpp"

#include <ordo/ordo.h>

#include <cstdint>
#include <memory>

namespace fuzz_capi {

void Run::step_queue(Op op) {
    switch (op) {
    case kJobQueueCreate: {
        ordo_job_queue q = nullptr;
        uint8_t b = in_.byte();
        bool null_out = b % 16 == 15;
        int status = ordo_job_queue_create(b % 4, null_out ? nullptr : &q);
        shadow_.check_planned("ordo_job_queue_create",
                              null_out ? ORDO_ERROR_INVALID_ARGUMENT : ORDO_OK, status);
        if (status == ORDO_OK) {
            shadow_.queue_created(q, b % 4);
            keep(queues_, q);
        }
        break;
    }
    case kJobQueueAdd:
    case kJobQueueTryAdd: {
        ordo_job_queue q = pick(queues_);
        ordo_future f = pick(futures_);
        bool add = op == kJobQueueAdd;
        ordo_deadline d = add ? deadline() : 0;
        int expected = shadow_.plan_queue_add(q, f, add);
        int status = add ? ordo_job_queue_add(q, f, d) : ordo_job_queue_try_add(q, f);
        shadow_.check_queue_add(add ? "ordo_job_queue_add" : "ordo_job_queue_try_add", q, f,
                                expected, status);
        break;
    }
    case kJobQueueClean: {
        ordo_job_queue q = pick(queues_);
        shadow_.check_queue_clean(q, ordo_job_queue_clean(q));
        break;
    }
    case kJobQueueFinish: {
        ordo_job_queue q = pick(queues_);
        size_t max_remaining = in_.byte() % 4;
        ordo_deadline d = deadline();
        shadow_.check_queue_finish(q, max_remaining, ordo_job_queue_finish(q, max_remaining, d));
        break;
    }
    case kJobQueueQuery: {
        ordo_job_queue q = pick(queues_);
        ordo_future f = pick(futures_);
        size_t n = 0, backlog = 0;
        int contains = 0;
        uint8_t b = in_.byte();
        int size_status = ordo_job_queue_size(q, b % 8 == 7 ? nullptr : &n);
        int backlog_status = ordo_job_queue_backlog(q, b % 8 == 6 ? nullptr : &backlog);
        shadow_.check_queue_query(q, b % 8 == 7, size_status, n, b % 8 == 6, backlog_status,
                                  backlog);
        int c = ordo_job_queue_contains(q, f, b % 8 == 5 ? nullptr : &contains);
        Shadow::check_handle("ordo_job_queue_contains",
                             shadow_.queue_live(q) && shadow_.completion(f) != nullptr, c);
        break;
    }
    case kJobQueueBacklogFuture: {
        ordo_job_queue q = pick(queues_);
        ordo_future f = nullptr;
        uint8_t b = in_.byte();
        int status = ordo_job_queue_backlog_future(q, b % 4, b % 16 == 15 ? nullptr : &f);
        Shadow::check_handle("ordo_job_queue_backlog_future", shadow_.queue_live(q), status);
        if (status == ORDO_OK) {
            auto c = std::make_shared<ordo_fuzz::Completion>();
            c->kind = ordo_fuzz::Completion::kUnknown;
            shadow_.future_made(f, c);
            keep(futures_, f);
        }
        break;
    }
    case kJobQueueDestroy: {
        ordo_job_queue q = pick(queues_);
        int status = ordo_job_queue_destroy(q);
        shadow_.queue_destroyed(q, status);
        forget(queues_, q, status);
        break;
    }
    default: // another family's (Run::step dispatches)
        break;
    }
}

} // namespace fuzz_capi
