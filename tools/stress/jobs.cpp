// The job queue: one bounded queue shared by every thread, fed with
// promises' futures (completed or failed later by whoever added them) and
// futures already complete, and checked against the reference model of its
// length and backlog (tests/model). The threads' job calls and the
// completions of the jobs' promises are serialised by jobs_mutex, so the
// model knows the backlog exactly after each call; a checker thread reads
// the backlog meanwhile, without that lock, and it must never exceed the
// bound (a job already complete is never counted).
#include "stress.hpp"

namespace ordo_stress {

void Worker::job_operation() {
    Jobs &q = *s_.jobs;
    g_count.jobs.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(q.mutex);
    switch (roll(8u)) {
    case 0:
    case 1:
    case 2:
    case 3: {
        // Add a pending promise's future, or one already complete.
        bool complete = roll(3u) == 0;
        Jobs::Job job;
        job.id = q.next_id++;
        ordo_future f = q.done;
        if (!complete) {
            CHECK_STATUS(ordo_promise_create(&job.promise), check_status_ == ORDO_OK);
            CHECK_STATUS(ordo_promise_future(job.promise, &job.future), check_status_ == ORDO_OK);
            f = job.future;
        }
        bool try_add = roll(2u) == 0;
        int expected = q.model.must_accept(complete)
                           ? ORDO_OK
                           : (try_add ? ORDO_ERROR_WOULD_BLOCK : ORDO_ERROR_TIMEOUT);
        int status = try_add ? ordo_job_queue_try_add(q.queue, f)
                             : ordo_job_queue_add(q.queue, f, ordo_now());
        if (status != expected)
            violation("%s of a %s job with %zu of %zu pending returned %s, the contract says %s",
                      try_add ? "ordo_job_queue_try_add" : "ordo_job_queue_add",
                      complete ? "complete" : "pending", q.model.backlog(), q.model.max_pending(),
                      ordo_status_string(status), ordo_status_string(expected));
        if (status == ORDO_OK)
            q.model.added(job.id, complete);
        if (!complete) {
            if (status == ORDO_OK)
                q.pending.push_back(job);
            else
                q.drop(job);
        }
        break;
    }
    case 4:
    case 5: {
        // Complete (or fail) one of the pending jobs.
        if (q.pending.empty())
            break;
        size_t k = roll(q.pending.size());
        Jobs::Job job = q.pending[k];
        q.pending[k] = q.pending.back();
        q.pending.pop_back();
        if (roll(4u) == 0)
            CHECK_STATUS(ordo_promise_fail(job.promise, kAppFailure, "stress job failed"),
                         check_status_ == ORDO_OK);
        else
            CHECK_STATUS(ordo_promise_complete(job.promise, nullptr, 0), check_status_ == ORDO_OK);
        q.model.completed(job.id);
        q.drop(job);
        break;
    }
    case 6: {
        // Remove what completed at the front.
        q.model.remove_completed_front(0);
        int status = ordo_job_queue_clean(q.queue);
        if (status != ORDO_OK && status != kAppFailure)
            violation("ordo_job_queue_clean returned %s", ordo_status_string(status));
        break;
    }
    default: {
        size_t size = 0, backlog = 0;
        CHECK_STATUS(ordo_job_queue_size(q.queue, &size), check_status_ == ORDO_OK);
        CHECK_STATUS(ordo_job_queue_backlog(q.queue, &backlog), check_status_ == ORDO_OK);
        if (size != q.model.size() || backlog != q.model.backlog())
            violation("the job queue holds %zu jobs, %zu pending; the contract says %zu, %zu", size,
                      backlog, q.model.size(), q.model.backlog());
    }
    }
}

void Jobs::drop(Job &job) {
    ordo_future_destroy(job.future);
    ordo_promise_destroy(job.promise);
    job.future = nullptr;
    job.promise = nullptr;
}

void Jobs::start() {
    CHECK_STATUS(ordo_job_queue_create(model.max_pending(), &queue), check_status_ == ORDO_OK);
    CHECK_STATUS(ordo_events_wait_async(nullptr, 0, &done), check_status_ == ORDO_OK);
    checker_ = std::thread([this] {
        while (!stop_.load(std::memory_order_acquire)) {
            size_t backlog = 0;
            CHECK_STATUS(ordo_job_queue_backlog(queue, &backlog), check_status_ == ORDO_OK);
            ++reads_;
            if (backlog > model.max_pending() && over_++ < 5)
                violation("the job queue bounded at %zu had a backlog of %zu", model.max_pending(),
                          backlog);
            if (reads_ % 64 == 0)
                std::this_thread::yield();
        }
    });
}

void Jobs::stop() {
    stop_.store(true, std::memory_order_release);
    checker_.join();
    std::lock_guard lock(mutex);
    for (Job &job : pending) {
        ordo_promise_complete(job.promise, nullptr, 0);
        drop(job);
    }
    pending.clear();
    CHECK_STATUS(ordo_job_queue_finish(queue, 0, ordo_deadline_after(10'000'000'000)),
                 check_status_ == ORDO_OK || check_status_ == kAppFailure);
    ordo_job_queue_destroy(queue);
    ordo_future_destroy(done);
}

} // namespace ordo_stress
