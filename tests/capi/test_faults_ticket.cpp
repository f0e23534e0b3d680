// Fault cases around tickets and resources: things going wrong around ordo
// must not break it. A cl_event that ends with an error status reaches every
// kind of wait for a grant and passes through early releases; a resource is
// destroyed with a thousand tickets queued. Every test ends with each
// cl_event's reference count back at its baseline.
#include "../support/capi_helpers.hpp"
#include "../support/cl_env.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <latch>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace ordo_test;

// ---------------------------------------------------------------------------
// A cl_event that completes with an error status
// ---------------------------------------------------------------------------

// Every way of waiting for a grant whose events failed reports the failure:
// the grant itself succeeds, the wait for its events does not.
TEST(FailedEventStatus, ReachesEveryKindOfWait) {
    cl_event e = failed_event(-5);
    {
        Chain c(2);
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], &e, 1));
        EXPECT_EQ(ordo_ticket_wait_complete(c.t[1], eventually(), nullptr, nullptr),
                  ORDO_ERROR_EVENT_FAILED);
        EXPECT_NE(std::string(ordo_last_error_message()).find("-5"), std::string::npos)
            << ordo_last_error_message();
    }
    {
        // The grant future completes DONE with the event; an async wait for
        // that event fails with its status.
        Chain c(2);
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], &e, 1));
        ordo_future grant = nullptr, done = nullptr;
        ORDO_ASSERT_OK(ordo_ticket_grant_future(c.t[1], &grant));
        ORDO_ASSERT_OK(ordo_future_wait(grant, soon(), 0));
        const cl_event *events = nullptr;
        size_t n = 0;
        ORDO_ASSERT_OK(ordo_future_events(grant, &events, &n));
        ASSERT_EQ(n, 1u);
        ORDO_ASSERT_OK(ordo_events_wait_async(events, n, &done));
        EXPECT_EQ(ordo_future_wait(done, eventually(), 0), ORDO_ERROR_EVENT_FAILED);
        cl_int cl_status = 0;
        ORDO_ASSERT_OK(ordo_future_failure(done, nullptr, nullptr, &cl_status));
        EXPECT_EQ(cl_status, -5);
        ordo_future_destroy(done);
        ordo_future_destroy(grant);
    }
    {
        // As a job: the job queue reports it once.
        ordo_job_queue q = nullptr;
        ordo_future job = nullptr;
        ORDO_ASSERT_OK(ordo_job_queue_create(4, &q));
        ORDO_ASSERT_OK(ordo_events_wait_async(&e, 1, &job));
        ORDO_ASSERT_OK(ordo_job_queue_add(q, job, eventually()));
        EXPECT_EQ(ordo_job_queue_finish(q, 0, eventually()), ORDO_ERROR_EVENT_FAILED);
        ORDO_EXPECT_OK(ordo_job_queue_clean(q));
        ordo_future_destroy(job);
        ordo_job_queue_destroy(q);
    }
    EXPECT_TRUE(reference_count_returns_to(e, 1));
    clReleaseEvent(e);
}

// One event failing while waiters on several resources block without a
// deadline: every waiter wakes with the failure (no runtime callback needed).
TEST(FailedEventStatus, WakesEveryBlockedWaiter) {
    constexpr int kWaiters = 4;
    cl_event e = make_user_event();
    {
        std::deque<Chain> chains; // never moves its elements
        for (int i = 0; i < kWaiters; ++i) {
            chains.emplace_back(2);
            ORDO_ASSERT_OK(ordo_ticket_ready(chains.back().t[0], &e, 1));
        }
        std::latch started(kWaiters);
        std::vector<std::thread> waiters;
        std::atomic<int> failed{0};
        for (int i = 0; i < kWaiters; ++i)
            waiters.emplace_back([&, i] {
                started.count_down();
                if (ordo_ticket_wait_complete(chains[i].t[1], ORDO_DEADLINE_NEVER, nullptr,
                                              nullptr) == ORDO_ERROR_EVENT_FAILED)
                    failed.fetch_add(1);
            });
        started.wait();
        ASSERT_EQ(clSetUserEventStatus(e, -33), CL_SUCCESS);
        for (auto &w : waiters)
            w.join();
        EXPECT_EQ(failed.load(), kWaiters);
    }
    EXPECT_TRUE(reference_count_returns_to(e, 1));
    clReleaseEvent(e);
}

// A holder that releases before its grant forwards a failed event, and the
// successor's wait for it fails in turn.
TEST(FailedEventStatus, TravelsThroughAnEarlyRelease) {
    cl_event e = make_user_event();
    {
        Chain c(3);
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[1], nullptr, 0)); // before its grant
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], &e, 1));
        ASSERT_EQ(clSetUserEventStatus(e, -12), CL_SUCCESS);
        EXPECT_EQ(ordo_ticket_wait_complete(c.t[2], eventually(), nullptr, nullptr),
                  ORDO_ERROR_EVENT_FAILED);
    }
    EXPECT_TRUE(reference_count_returns_to(e, 1));
    clReleaseEvent(e);
}

// Regression: a wait for the grant and its events that ends without handing
// the events over (a timeout, or a failed event) did count as having seen
// the grant, so a release that followed dropped the predecessor's events and
// the successor ran without waiting for them.
TEST(FailedEventStatus, TimedOutWaitCompleteDoesNotCountAsSeen) {
    cl_event e = make_user_event();
    {
        Chain c(3);
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], &e, 1));
        EXPECT_EQ(ordo_ticket_wait_complete(c.t[1], soon(), nullptr, nullptr), ORDO_ERROR_TIMEOUT);
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[1], nullptr, 0));
        EXPECT_EQ(grant_events(c.t[2]), std::vector<cl_event>{e});
    }
    ASSERT_EQ(clSetUserEventStatus(e, CL_COMPLETE), CL_SUCCESS);
    EXPECT_TRUE(reference_count_returns_to(e, 1));
    clReleaseEvent(e);
}

TEST(FailedEventStatus, FailedWaitCompleteDoesNotCountAsSeen) {
    cl_event e = failed_event(-21);
    {
        Chain c(3);
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], &e, 1));
        EXPECT_EQ(ordo_ticket_wait_complete(c.t[1], eventually(), nullptr, nullptr),
                  ORDO_ERROR_EVENT_FAILED);
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[1], nullptr, 0));
        EXPECT_EQ(grant_events(c.t[2]), std::vector<cl_event>{e});
        EXPECT_EQ(ordo_ticket_wait_complete(c.t[2], eventually(), nullptr, nullptr),
                  ORDO_ERROR_EVENT_FAILED);
        // A holder that did see the grant (a plain wait) may recover.
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[2], nullptr, 0));
    }
    EXPECT_TRUE(reference_count_returns_to(e, 1));
    clReleaseEvent(e);
}

// ---------------------------------------------------------------------------
// A resource destroyed with a thousand tickets still queued
// ---------------------------------------------------------------------------

constexpr int kQueued = 1000;

TEST(DestroyedResource, ThousandQueuedTicketsKeepTheirOrder) {
    int value = 42;
    std::vector<cl_event> events(kQueued);
    for (auto &e : events)
        e = make_user_event();
    {
        Chain c(kQueued, &value);
        ORDO_ASSERT_OK(ordo_resource_destroy(c.r));
        c.r = nullptr;
        for (int i = 0; i < kQueued; ++i) {
            void *v = nullptr;
            ORDO_ASSERT_OK(ordo_ticket_value(c.t[i], &v));
            ASSERT_EQ(v, &value);
            std::vector<cl_event> got = grant_events(c.t[i]);
            if (i == 0) {
                ASSERT_TRUE(got.empty());
            } else {
                ASSERT_EQ(got, std::vector<cl_event>{events[i - 1]}) << "ticket " << i;
            }
            if (i + 1 < kQueued) {
                ASSERT_FALSE(granted(c.t[i + 1])) << "ticket " << i + 1 << " granted early";
            }
            ORDO_ASSERT_OK(ordo_ticket_ready(c.t[i], &events[i], 1));
        }
    }
    for (auto e : events) {
        EXPECT_TRUE(reference_count_returns_to(e, 1));
        clSetUserEventStatus(e, CL_COMPLETE);
        clReleaseEvent(e);
    }
}

// The tickets are dropped unreleased, in random order, while threads block on
// some of them: every wait ends and the last ticket is granted. (Dropped
// holders that never saw their grant forward the first ticket's event; the
// first waiter saw it, so it stops there.)
TEST(DestroyedResource, ThousandQueuedTicketsDroppedInRandomOrder) {
    LogCapture log;
    cl_event e = make_user_event();
    {
        Chain c(kQueued);
        ordo_future last_grant = nullptr;
        ORDO_ASSERT_OK(ordo_ticket_grant_future(c.t[kQueued - 1], &last_grant));
        ORDO_ASSERT_OK(ordo_resource_destroy(c.r));
        c.r = nullptr;
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], &e, 1));
        // Waiters block (without a deadline) on a few tickets, each ending
        // with the wait and giving the ticket's place up.
        const std::vector<int> watched = {250, 500, 750};
        std::latch started(static_cast<std::ptrdiff_t>(watched.size()));
        std::vector<std::thread> waiters;
        std::atomic<int> woke{0};
        for (int i : watched)
            waiters.emplace_back([&, i] {
                started.count_down();
                if (ordo_ticket_wait(c.t[i], ORDO_DEADLINE_NEVER, nullptr, nullptr) == ORDO_OK)
                    woke.fetch_add(1);
                EXPECT_EQ(ordo_ticket_cancel(c.t[i]), ORDO_OK);
            });
        started.wait();
        std::vector<int> order;
        for (int i = 1; i < kQueued - 1; ++i)
            if (std::find(watched.begin(), watched.end(), i) == watched.end())
                order.push_back(i);
        std::shuffle(order.begin(), order.end(), std::mt19937(7));
        for (int i : order) {
            ordo_ticket_destroy(c.t[i]);
            c.t[i] = nullptr;
        }
        for (auto &w : waiters)
            w.join();
        EXPECT_EQ(woke.load(), static_cast<int>(watched.size()));
        ORDO_ASSERT_OK(ordo_future_wait(last_grant, eventually(), 0));
        const cl_event *events = nullptr;
        size_t n = 0;
        ORDO_ASSERT_OK(ordo_future_events(last_grant, &events, &n));
        // The watched holders saw their grants, so the event stops at the
        // first of them; the last ticket receives none.
        EXPECT_EQ(n, 0u);
        ordo_future_destroy(last_grant);
    }
    EXPECT_EQ(log.records().size(), static_cast<size_t>(kQueued - 2 - 3 + 1));
    EXPECT_TRUE(reference_count_returns_to(e, 1));
    clSetUserEventStatus(e, CL_COMPLETE);
    clReleaseEvent(e);
}
