// The shadow's job queues (shadow.hpp): the reference model of each queue,
// kept exact while every job's completion is known to the shadow, checked
// against adds, cleans, finishes and the size and backlog queries.
#include "shadow.hpp"
#include "shadow_internal.hpp"

namespace ordo_fuzz {

// ---------------------------------------------------------------------------
// Job queues

bool Shadow::queue_live(ordo_job_queue q) const {
    auto it = queues_.find(key(q));
    return it != queues_.end() && it->second.live;
}

void Shadow::queue_created(ordo_job_queue q, size_t max_pending) {
    QueueRec rec;
    rec.model = std::make_unique<ordo_model::JobQueueModel>(max_pending);
    queues_[key(q)] = std::move(rec);
}

void Shadow::refresh(QueueRec &q) {
    for (auto &c : q.jobs) {
        std::optional<int> state = state_of(*c);
        if (state && *state != ORDO_PENDING)
            q.model->completed(c->id);
    }
}

int Shadow::plan_queue_add(ordo_job_queue qh, ordo_future f, bool may_wait) {
    auto it = queues_.find(key(qh));
    if (it == queues_.end() || !it->second.live)
        return ORDO_ERROR_INVALID_HANDLE;
    auto c = completion(f);
    if (!c)
        return ORDO_ERROR_INVALID_HANDLE;
    QueueRec &q = it->second;
    std::optional<int> state = state_of(*c);
    if (!q.exact || !state)
        return kEither;
    refresh(q);
    if (q.model->must_accept(*state != ORDO_PENDING))
        return ORDO_OK;
    return may_wait ? ORDO_ERROR_TIMEOUT : ORDO_ERROR_WOULD_BLOCK;
}

void Shadow::check_queue_add(const char *call, ordo_job_queue qh, ordo_future f, int expected,
                             int status) {
    expect(call, expected, status);
    if (status != ORDO_OK)
        return;
    QueueRec &q = queues_.at(key(qh));
    auto c = completion(f);
    std::optional<int> state = state_of(*c);
    if (!state)
        q.exact = false;
    if (q.exact) {
        q.model->added(c->id, *state != ORDO_PENDING);
        q.jobs.push_back(c);
    }
}

void Shadow::check_queue_clean(ordo_job_queue qh, int status) {
    auto it = queues_.find(key(qh));
    if (it == queues_.end() || !it->second.live)
        return expect("ordo_job_queue_clean on a bad handle", ORDO_ERROR_INVALID_HANDLE, status);
    QueueRec &q = it->second;
    if (!q.exact)
        return;
    refresh(q);
    int expected = ORDO_OK;
    while (!q.jobs.empty()) {
        std::optional<int> state = state_of(*q.jobs.front());
        if (!state || *state == ORDO_PENDING)
            break;
        if (expected == ORDO_OK && *state < 0)
            expected = *state;
        q.jobs.erase(q.jobs.begin());
        q.model->remove_completed_front(q.model->size() - 1);
    }
    expect("ordo_job_queue_clean", expected, status);
}

void Shadow::check_queue_finish(ordo_job_queue qh, size_t max_remaining, int status) {
    auto it = queues_.find(key(qh));
    if (it == queues_.end() || !it->second.live)
        return expect("ordo_job_queue_finish on a bad handle", ORDO_ERROR_INVALID_HANDLE, status);
    QueueRec &q = it->second;
    if (!q.exact)
        return;
    refresh(q);
    int expected = ORDO_OK;
    while (q.jobs.size() > max_remaining) {
        std::optional<int> state = state_of(*q.jobs.front());
        if (*state == ORDO_PENDING) {
            expected = ORDO_ERROR_TIMEOUT;
            break;
        }
        q.jobs.erase(q.jobs.begin());
        q.model->remove_completed_front(q.model->size() - 1);
        if (*state < 0) {
            expected = *state;
            break;
        }
    }
    expect("ordo_job_queue_finish", expected, status);
}

void Shadow::check_queue_query(ordo_job_queue qh, bool size_null, int size_status, size_t size,
                               bool backlog_null, int backlog_status, size_t backlog) {
    auto it = queues_.find(key(qh));
    if (it == queues_.end() || !it->second.live) {
        expect("ordo_job_queue_size on a bad handle", ORDO_ERROR_INVALID_HANDLE, size_status);
        return expect("ordo_job_queue_backlog on a bad handle", ORDO_ERROR_INVALID_HANDLE,
                      backlog_status);
    }
    expect("ordo_job_queue_size", size_null ? ORDO_ERROR_INVALID_ARGUMENT : ORDO_OK, size_status);
    expect("ordo_job_queue_backlog", backlog_null ? ORDO_ERROR_INVALID_ARGUMENT : ORDO_OK,
           backlog_status);
    QueueRec &q = it->second;
    if (backlog_status == ORDO_OK && q.model->max_pending() != 0 &&
        backlog > q.model->max_pending())
        violation("a job queue bounded at " + std::to_string(q.model->max_pending()) +
                  " has a backlog of " + std::to_string(backlog));
    if (!q.exact)
        return;
    refresh(q);
    if (size_status == ORDO_OK && size != q.model->size())
        violation("ordo_job_queue_size gave " + std::to_string(size) + ", the queue holds " +
                  std::to_string(q.model->size()));
    if (backlog_status == ORDO_OK && backlog != q.model->backlog())
        violation("ordo_job_queue_backlog gave " + std::to_string(backlog) +
                  ", the contract says " + std::to_string(q.model->backlog()));
}

void Shadow::queue_destroyed(ordo_job_queue qh, int status) {
    if (qh == nullptr)
        return expect("ordo_job_queue_destroy(NULL)", ORDO_OK, status);
    auto it = queues_.find(key(qh));
    bool live = it != queues_.end() && it->second.live;
    expect("ordo_job_queue_destroy", live ? ORDO_OK : ORDO_ERROR_INVALID_HANDLE, status);
    if (status == ORDO_OK)
        it->second.live = false;
}

} // namespace ordo_fuzz
