// Fault cases around job queues: a job queue destroyed with its backlog
// futures pending.
#include "../support/cl_env.hpp"

using namespace ordo_test;

// ---------------------------------------------------------------------------
// A job queue destroyed with its backlog futures pending
// ---------------------------------------------------------------------------

// Regression (found by the fuzzer as a leak): a backlog future added as a job
// to its own queue can be completed only by that queue, and the queue was
// kept alive by the job's completion callback: once every handle was gone,
// the queue and its futures were never freed. The queue's backlog futures
// now fail with ORDO_ERROR_ABANDONED when its handle is destroyed, like a
// promise's future when the promise is.
TEST(DestroyedJobQueue, BacklogFutureQueuedInItsOwnQueueIsAbandoned) {
    ordo_job_queue q = nullptr;
    ordo_promise p = nullptr;
    ordo_future job = nullptr, backlog = nullptr;
    ORDO_ASSERT_OK(ordo_job_queue_create(0, &q));
    ORDO_ASSERT_OK(ordo_promise_create(&p));
    ORDO_ASSERT_OK(ordo_promise_future(p, &job));
    ORDO_ASSERT_OK(ordo_job_queue_add(q, job, soon()));
    ORDO_ASSERT_OK(ordo_job_queue_backlog_future(q, 0, &backlog));
    ORDO_ASSERT_OK(ordo_job_queue_add(q, backlog, soon())); // waits for itself
    ORDO_ASSERT_OK(ordo_promise_complete(p, nullptr, 0));
    EXPECT_EQ(ordo_future_poll(backlog), ORDO_PENDING);
    ORDO_ASSERT_OK(ordo_job_queue_destroy(q));
    EXPECT_EQ(ordo_future_poll(backlog), ORDO_ERROR_ABANDONED);
    ordo_future_destroy(backlog);
    ordo_future_destroy(job);
    ordo_promise_destroy(p);
}

// Jobs are not affected by the queue's destruction; a backlog future that
// was still waiting for them is abandoned.
TEST(DestroyedJobQueue, JobsAreUnaffected) {
    ordo_job_queue q = nullptr;
    ordo_promise p = nullptr;
    ordo_future job = nullptr, backlog = nullptr, done = nullptr;
    ORDO_ASSERT_OK(ordo_job_queue_create(1, &q));
    ORDO_ASSERT_OK(ordo_promise_create(&p));
    ORDO_ASSERT_OK(ordo_promise_future(p, &job));
    ORDO_ASSERT_OK(ordo_job_queue_add(q, job, soon()));
    ORDO_ASSERT_OK(ordo_job_queue_backlog_future(q, 0, &backlog));
    ORDO_ASSERT_OK(ordo_job_queue_backlog_future(q, 1, &done)); // already at its level
    ORDO_ASSERT_OK(ordo_job_queue_destroy(q));
    EXPECT_EQ(ordo_future_poll(backlog), ORDO_ERROR_ABANDONED);
    EXPECT_EQ(ordo_future_poll(done), ORDO_OK);
    EXPECT_EQ(ordo_future_poll(job), ORDO_PENDING);
    ORDO_ASSERT_OK(ordo_promise_complete(p, nullptr, 0));
    EXPECT_EQ(ordo_future_poll(job), ORDO_OK);
    for (ordo_future f : {backlog, done, job})
        ordo_future_destroy(f);
    ordo_promise_destroy(p);
}
