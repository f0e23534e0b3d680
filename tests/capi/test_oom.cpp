// Allocation failure injected into the core, observed through the C ABI.
//
// For each C function that allocates, the sweep runs the call again and again
// with the 1st, 2nd, 3rd ... checked allocation failing
// (ordo::detail::fail_nth_allocation), until a run makes fewer allocations
// than the one that was to fail. Every run that hit the failure must return
// ORDO_ERROR_OUT_OF_MEMORY with its message and have no effect: outputs
// untouched, no ticket released or marked as having seen its grant, no
// callback registered, no cl_event reference kept; and the resource must
// still grant in ticket order afterwards.
//
// This binary links the core and the C layer statically (the hook is not
// exported from libordo.so) and uses only the C API otherwise.
#include "../../lib/error.hpp"
#include "../support/cl_env.hpp"

#include <functional>
#include <string>
#include <vector>

using namespace ordo_test;
using ordo::detail::fail_nth_allocation;
using ordo::detail::g_alloc_countdown;

namespace {

// A resource with three tickets, t[0] granted.
// Three tickets whose drops at the end (without ready) warn quietly: the
// capture, a base constructed first, outlives the chain.
struct QuietChain : LogCapture, Chain {
    QuietChain() : Chain(3) {}
};

// The resource still grants in order: two fresh tickets, the second granted
// only after the first releases.
void expect_usable(ordo_resource r) {
    ordo_ticket a = nullptr, b = nullptr;
    ASSERT_EQ(ordo_resource_acquire(r, &a), ORDO_OK);
    ASSERT_EQ(ordo_resource_acquire(r, &b), ORDO_OK);
    EXPECT_FALSE(granted(b));
    ASSERT_EQ(ordo_ticket_cancel(a), ORDO_OK);
    EXPECT_TRUE(granted(b));
    ASSERT_EQ(ordo_ticket_cancel(b), ORDO_OK);
    ordo_ticket_destroy(a);
    ordo_ticket_destroy(b);
}

// Runs call with the nth checked allocation failing; hit tells whether the
// call reached it.
template <class F>
int with_failure(long nth, F &&call, bool *hit) {
    fail_nth_allocation(nth);
    int status = call();
    *hit = g_alloc_countdown.load() == 0;
    fail_nth_allocation(0);
    return status;
}

constexpr long kMaxAllocations = 64;

} // namespace

// Each test below has the same shape: for nth = 1.. until the call no longer
// reaches the nth allocation, build a fresh state, run the call with the nth
// allocation failing, check the outcome, tear down.

TEST(OutOfMemory, ResourceCreate) {
    long injected = 0;
    for (long nth = 1; nth < kMaxAllocations; ++nth) {
        ordo_resource r = reinterpret_cast<ordo_resource>(&nth);
        bool hit = false;
        int status = with_failure(
            nth, [&] { return ordo_resource_create(nullptr, "r", &r); }, &hit);
        if (!hit) {
            ASSERT_EQ(status, ORDO_OK);
            expect_usable(r);
            ordo_resource_destroy(r);
            break;
        }
        ++injected;
        EXPECT_EQ(status, ORDO_ERROR_OUT_OF_MEMORY) << "nth " << nth;
        EXPECT_EQ(r, reinterpret_cast<ordo_resource>(&nth)) << "output changed, nth " << nth;
    }
    EXPECT_GE(injected, 2); // the resource and its handle
}

TEST(OutOfMemory, AcquireLeavesTheOrderIntact) {
    long injected = 0;
    for (long nth = 1; nth < kMaxAllocations; ++nth) {
        QuietChain c;
        ordo_ticket extra = reinterpret_cast<ordo_ticket>(&nth);
        bool hit = false;
        int status = with_failure(
            nth, [&] { return ordo_resource_acquire(c.r, &extra); }, &hit);
        if (!hit) {
            ASSERT_EQ(status, ORDO_OK);
            ordo_ticket_destroy(extra);
            break;
        }
        ++injected;
        EXPECT_EQ(status, ORDO_ERROR_OUT_OF_MEMORY) << "nth " << nth;
        EXPECT_NE(std::string(ordo_last_error_message()).find("ORDO_ERROR_OUT_OF_MEMORY"),
                  std::string::npos);
        EXPECT_EQ(extra, reinterpret_cast<ordo_ticket>(&nth));
        // The queue is exactly t0, t1, t2, then whatever comes next.
        EXPECT_TRUE(granted(c.t[0]));
        EXPECT_FALSE(granted(c.t[1]));
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], nullptr, 0));
        EXPECT_TRUE(granted(c.t[1]));
        EXPECT_FALSE(granted(c.t[2]));
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[1], nullptr, 0));
        EXPECT_TRUE(granted(c.t[2]));
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[2], nullptr, 0));
        expect_usable(c.r);
    }
    EXPECT_GE(injected, 1);
}

TEST(OutOfMemory, ReadyWithEventsReleasesNothing) {
    cl_event e[3] = {make_user_event(), make_user_event(), make_user_event()};
    long injected = 0;
    for (long nth = 1; nth < kMaxAllocations; ++nth) {
        QuietChain c;
        bool hit = false;
        int status = with_failure(
            nth, [&] { return ordo_ticket_ready(c.t[0], e, 3); }, &hit);
        if (!hit) {
            ASSERT_EQ(status, ORDO_OK);
            EXPECT_EQ(grant_events(c.t[1]).size(), 3u);
            break;
        }
        ++injected;
        EXPECT_EQ(status, ORDO_ERROR_OUT_OF_MEMORY) << "nth " << nth;
        for (cl_event x : e)
            EXPECT_EQ(reference_count(x), 1) << "a reference was kept, nth " << nth;
        EXPECT_FALSE(granted(c.t[1])) << "t0 was released by a failed call, nth " << nth;
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], e, 3)); // not released: a retry works
        EXPECT_EQ(grant_events(c.t[1]).size(), 3u);
    }
    EXPECT_GE(injected, 1);
    for (cl_event x : e) {
        EXPECT_TRUE(reference_count_returns_to(x, 1));
        clSetUserEventStatus(x, CL_COMPLETE);
        clReleaseEvent(x);
    }
}

TEST(OutOfMemory, FailReleasesNothing) {
    long injected = 0;
    for (long nth = 1; nth < kMaxAllocations; ++nth) {
        QuietChain c;
        bool hit = false;
        int status = with_failure(
            nth, [&] { return ordo_ticket_fail(c.t[0], -1001, "app"); }, &hit);
        if (!hit) {
            ASSERT_EQ(status, ORDO_OK);
            EXPECT_EQ(ordo_ticket_wait(c.t[1], soon(), nullptr, nullptr), -1001);
            break;
        }
        ++injected;
        EXPECT_EQ(status, ORDO_ERROR_OUT_OF_MEMORY) << "nth " << nth;
        EXPECT_FALSE(granted(c.t[1]));
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], nullptr, 0));
        EXPECT_TRUE(granted(c.t[1]));
    }
    EXPECT_GE(injected, 1);
}

// A grant future that could not be returned does not count as having seen
// the grant: a release before the grant still forwards the predecessor's
// events to the successor (ordo_ticket_ready).
TEST(OutOfMemory, FailedGrantFutureDoesNotMarkTheGrantSeen) {
    cl_event e0 = make_user_event();
    long injected = 0;
    for (long nth = 1; nth < kMaxAllocations; ++nth) {
        QuietChain c;
        ordo_future f = reinterpret_cast<ordo_future>(&nth);
        bool hit = false;
        int status = with_failure(
            nth, [&] { return ordo_ticket_grant_future(c.t[1], &f); }, &hit);
        if (!hit) {
            ASSERT_EQ(status, ORDO_OK);
            ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], &e0, 1));
            ORDO_EXPECT_OK(ordo_future_wait(f, soon(), 0));
            ordo_future_destroy(f);
            break;
        }
        ++injected;
        EXPECT_EQ(status, ORDO_ERROR_OUT_OF_MEMORY) << "nth " << nth;
        EXPECT_EQ(f, reinterpret_cast<ordo_future>(&nth));
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[1], nullptr, 0)); // before its grant
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], &e0, 1));
        EXPECT_EQ(grant_events(c.t[2]), std::vector<cl_event>{e0})
            << "t1 counted as having seen its grant after a failed call, nth " << nth;
    }
    EXPECT_GE(injected, 2); // the mirror future and its handle
    EXPECT_TRUE(reference_count_returns_to(e0, 1));
    clSetUserEventStatus(e0, CL_COMPLETE);
    clReleaseEvent(e0);
}

// Same for a host wait for the grant and its events that failed for want of
// memory, or that timed out waiting for the events: the holder was not given
// the events, so releasing without them must forward them.
TEST(OutOfMemory, FailedWaitCompleteDoesNotMarkTheGrantSeen) {
    cl_event e0 = make_user_event();
    long injected = 0;
    for (long nth = 1; nth < kMaxAllocations; ++nth) {
        QuietChain c;
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], &e0, 1));
        bool hit = false;
        int status = with_failure(
            nth, [&] { return ordo_ticket_wait_complete(c.t[1], ordo_now(), nullptr, nullptr); },
            &hit);
        if (hit) {
            ++injected;
            EXPECT_EQ(status, ORDO_ERROR_OUT_OF_MEMORY) << "nth " << nth;
        } else {
            EXPECT_EQ(status, ORDO_ERROR_TIMEOUT); // e0 is still pending
        }
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[1], nullptr, 0));
        EXPECT_EQ(grant_events(c.t[2]), std::vector<cl_event>{e0})
            << "t1 counted as having seen its grant after a failed wait, nth " << nth;
        if (!hit)
            break;
    }
    EXPECT_GE(injected, 1);
    // The timed-out wait for e0 lets go of it once e0 completes.
    clSetUserEventStatus(e0, CL_COMPLETE);
    EXPECT_TRUE(reference_count_returns_to(e0, 1));
    clReleaseEvent(e0);
}

// A device wait for events of another context allocates a bridge after the
// host wait for the grant.
TEST(OutOfMemory, FailedDeviceWaitDoesNotMarkTheGrantSeen) {
    ClEnv &env = cl_env();
    cl_int err = CL_SUCCESS;
    cl_context other = clCreateContext(nullptr, 1, &env.device, nullptr, nullptr, &err);
    ASSERT_EQ(err, CL_SUCCESS);
    cl_event foreign = make_user_event(other);
    long injected = 0;
    cl_event barrier = nullptr;
    for (long nth = 1; nth < kMaxAllocations; ++nth) {
        QuietChain c;
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], &foreign, 1));
        barrier = reinterpret_cast<cl_event>(&nth);
        bool hit = false;
        int status = with_failure(
            nth, [&] { return ordo_ticket_enqueue_wait(c.t[1], env.queue1, soon(), &barrier); },
            &hit);
        if (!hit) {
            ASSERT_EQ(status, ORDO_OK);
            ASSERT_NE(barrier, nullptr);
            ORDO_ASSERT_OK(ordo_ticket_ready(c.t[1], nullptr, 0));
            EXPECT_TRUE(grant_events(c.t[2]).empty()); // the barrier took care of it
            break;
        }
        ++injected;
        EXPECT_EQ(status, ORDO_ERROR_OUT_OF_MEMORY) << "nth " << nth;
        EXPECT_EQ(barrier, reinterpret_cast<cl_event>(&nth));
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[1], nullptr, 0));
        EXPECT_EQ(grant_events(c.t[2]), std::vector<cl_event>{foreign})
            << "t1 counted as having seen its grant after a failed device wait, nth " << nth;
    }
    EXPECT_GE(injected, 1);
    // Oclgrind runs the queue on the flushing thread: set the event first.
    clSetUserEventStatus(foreign, CL_COMPLETE);
    ASSERT_EQ(clFinish(env.queue1), CL_SUCCESS);
    EXPECT_TRUE(reference_count_returns_to(foreign, 1));
    EXPECT_TRUE(reference_count_returns_to(barrier, 1));
    clReleaseEvent(barrier);
    clReleaseEvent(foreign);
    clReleaseContext(other);
}

TEST(OutOfMemory, WaitEventsAsyncKeepsNoReference) {
    cl_event e[2] = {make_user_event(), make_user_event()};
    long injected = 0;
    for (long nth = 1; nth < kMaxAllocations; ++nth) {
        ordo_future f = reinterpret_cast<ordo_future>(&nth);
        bool hit = false;
        int status = with_failure(
            nth, [&] { return ordo_events_wait_async(e, 2, &f); }, &hit);
        if (!hit) {
            ASSERT_EQ(status, ORDO_OK);
            EXPECT_EQ(ordo_future_poll(f), ORDO_PENDING);
            ordo_future_destroy(f);
            break;
        }
        ++injected;
        EXPECT_EQ(status, ORDO_ERROR_OUT_OF_MEMORY) << "nth " << nth;
        EXPECT_EQ(f, reinterpret_cast<ordo_future>(&nth));
    }
    EXPECT_GE(injected, 2);
    // A wait whose handle could not be made may still hold its callbacks
    // until the events complete; then every reference is back.
    for (cl_event x : e)
        clSetUserEventStatus(x, CL_COMPLETE);
    for (cl_event x : e) {
        EXPECT_TRUE(reference_count_returns_to(x, 1));
        clReleaseEvent(x);
    }
}

TEST(OutOfMemory, PromisesAndFutures) {
    cl_event e[2] = {make_user_event(), make_user_event()}; // two: one is stored inline
    long injected = 0;
    for (long nth = 1; nth < kMaxAllocations; ++nth) {
        ordo_promise p = reinterpret_cast<ordo_promise>(&nth);
        bool hit = false;
        int status = with_failure(
            nth, [&] { return ordo_promise_create(&p); }, &hit);
        if (!hit) {
            ASSERT_EQ(status, ORDO_OK);
            ordo_promise_destroy(p);
            break;
        }
        ++injected;
        EXPECT_EQ(status, ORDO_ERROR_OUT_OF_MEMORY);
        EXPECT_EQ(p, reinterpret_cast<ordo_promise>(&nth));
    }
    EXPECT_GE(injected, 2);

    struct Calls {
        int count = 0;
        static void fn(void *data, int) { ++static_cast<Calls *>(data)->count; }
    };
    // Each call on a live promise and its future, failing at each allocation.
    const std::vector<
        std::pair<const char *, std::function<int(ordo_promise, ordo_future, Calls *)>>>
        calls = {
            {"complete",
             [&](ordo_promise p, ordo_future, Calls *) {
                 return ordo_promise_complete(p, e, 2);
             }},
            {"fail",
             [](ordo_promise p, ordo_future, Calls *) {
                 return ordo_promise_fail(p, -1001, "app");
             }},
            {"clone",
             [](ordo_promise, ordo_future f, Calls *) {
                 ordo_future g = nullptr;
                 int status = ordo_future_clone(f, &g);
                 ordo_future_destroy(g);
                 return status;
             }},
            {"on_complete",
             [](ordo_promise, ordo_future f, Calls *c) {
                 return ordo_future_on_complete(f, Calls::fn, c);
             }},
            {"promise_future",
             [](ordo_promise p, ordo_future, Calls *) {
                 ordo_future g = nullptr;
                 int status = ordo_promise_future(p, &g);
                 ordo_future_destroy(g);
                 return status;
             }},
        };
    for (const auto &entry : calls) {
        const char *name = entry.first;
        const auto &call = entry.second; // (clang 14 cannot capture structured bindings)
        long hits = 0;
        for (long nth = 1; nth < kMaxAllocations; ++nth) {
            ordo_promise p = nullptr;
            ordo_future f = nullptr;
            ORDO_ASSERT_OK(ordo_promise_create(&p));
            ORDO_ASSERT_OK(ordo_promise_future(p, &f));
            Calls c;
            bool hit = false;
            int status = with_failure(
                nth, [&] { return call(p, f, &c); }, &hit);
            if (hit) {
                ++hits;
                EXPECT_EQ(status, ORDO_ERROR_OUT_OF_MEMORY) << name << " nth " << nth;
                EXPECT_EQ(ordo_future_poll(f), ORDO_PENDING) << name << " nth " << nth;
                for (cl_event x : e)
                    EXPECT_EQ(reference_count(x), 1) << name << " nth " << nth;
            } else {
                EXPECT_EQ(status, ORDO_OK) << name;
            }
            // The promise still works; a callback that failed to register never runs.
            if (ordo_future_poll(f) == ORDO_PENDING)
                ORDO_ASSERT_OK(ordo_promise_complete(p, nullptr, 0));
            EXPECT_EQ(c.count, hit || std::string(name) != "on_complete" ? 0 : 1)
                << name << " nth " << nth;
            ordo_future_destroy(f);
            ordo_promise_destroy(p);
            if (!hit)
                break;
        }
        EXPECT_GE(hits, 1) << name;
    }
    for (cl_event x : e) {
        EXPECT_TRUE(reference_count_returns_to(x, 1));
        clSetUserEventStatus(x, CL_COMPLETE);
        clReleaseEvent(x);
    }
}

TEST(OutOfMemory, JobQueues) {
    long injected = 0;
    for (long nth = 1; nth < kMaxAllocations; ++nth) {
        ordo_job_queue q = reinterpret_cast<ordo_job_queue>(&nth);
        bool hit = false;
        int status = with_failure(
            nth, [&] { return ordo_job_queue_create(0, &q); }, &hit);
        if (!hit) {
            ASSERT_EQ(status, ORDO_OK);
            ordo_job_queue_destroy(q);
            break;
        }
        ++injected;
        EXPECT_EQ(status, ORDO_ERROR_OUT_OF_MEMORY);
        EXPECT_EQ(q, reinterpret_cast<ordo_job_queue>(&nth));
    }
    EXPECT_GE(injected, 2);

    for (bool bounded : {false, true}) {
        long hits = 0;
        for (long nth = 1; nth < kMaxAllocations; ++nth) {
            ordo_job_queue q = nullptr;
            ordo_promise p = nullptr;
            ordo_future f = nullptr;
            ORDO_ASSERT_OK(ordo_job_queue_create(bounded ? 2 : 0, &q));
            ORDO_ASSERT_OK(ordo_promise_create(&p));
            ORDO_ASSERT_OK(ordo_promise_future(p, &f));
            bool hit = false;
            int status = with_failure(
                nth, [&] { return ordo_job_queue_add(q, f, soon()); }, &hit);
            size_t size = 99, backlog = 99;
            ORDO_ASSERT_OK(ordo_job_queue_size(q, &size));
            ORDO_ASSERT_OK(ordo_job_queue_backlog(q, &backlog));
            if (hit) {
                ++hits;
                EXPECT_EQ(status, ORDO_ERROR_OUT_OF_MEMORY) << "nth " << nth;
                EXPECT_EQ(size, 0u);
                EXPECT_EQ(backlog, 0u);
            } else {
                EXPECT_EQ(status, ORDO_OK);
                EXPECT_EQ(size, 1u);
                EXPECT_EQ(backlog, 1u);
            }
            ORDO_ASSERT_OK(ordo_promise_complete(p, nullptr, 0));
            ORDO_ASSERT_OK(ordo_job_queue_backlog(q, &backlog));
            EXPECT_EQ(backlog, 0u);
            ORDO_EXPECT_OK(ordo_job_queue_finish(q, 0, soon()));
            ordo_future_destroy(f);
            ordo_promise_destroy(p);
            ordo_job_queue_destroy(q);
            if (!hit)
                break;
        }
        EXPECT_GE(hits, 1);
    }
}

// A release before the grant merges the predecessor's events with its own
// when the predecessor releases. If that merge cannot allocate, the
// successor fails with ORDO_ERROR_OUT_OF_MEMORY instead of running without
// the predecessor's events.
TEST(OutOfMemory, MergeOfAnEarlyReleaseFailsTheSuccessorInstead) {
    cl_event e0 = make_user_event(), e1 = make_user_event();
    long injected = 0;
    for (long nth = 1; nth < kMaxAllocations; ++nth) {
        QuietChain c;
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[1], &e1, 1)); // before its grant
        bool hit = false;
        int status = with_failure(
            nth, [&] { return ordo_ticket_ready(c.t[0], &e0, 1); }, &hit);
        if (!hit) {
            ASSERT_EQ(status, ORDO_OK);
            EXPECT_EQ(grant_events(c.t[2]).size(), 2u);
            break;
        }
        ++injected;
        if (status == ORDO_ERROR_OUT_OF_MEMORY) {
            // Nothing happened: the retry goes through.
            EXPECT_FALSE(granted(c.t[2]));
            ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], &e0, 1));
            EXPECT_EQ(grant_events(c.t[2]).size(), 2u);
        } else {
            ASSERT_EQ(status, ORDO_OK) << "nth " << nth;
            EXPECT_EQ(ordo_ticket_wait(c.t[2], soon(), nullptr, nullptr), ORDO_ERROR_OUT_OF_MEMORY)
                << "nth " << nth;
        }
    }
    EXPECT_GE(injected, 1);
    for (cl_event x : {e0, e1}) {
        EXPECT_TRUE(reference_count_returns_to(x, 1));
        clSetUserEventStatus(x, CL_COMPLETE);
        clReleaseEvent(x);
    }
}
