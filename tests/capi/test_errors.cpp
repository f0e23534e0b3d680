// Rule 10 (docs/CONTRACT.md): every C function answers bad input with the documented status and
// a message, and changes nothing.
#include "../support/cl_env.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

using namespace ordo_test;

namespace {

// Every call that takes a handle of one kind, as a function of that handle.
template <class H>
using Call = std::function<int(H)>;

std::vector<std::pair<const char *, Call<ordo_ticket>>> ticket_calls() {
    static cl_event none[1] = {nullptr};
    return {
        {"value",
         [](ordo_ticket t) {
             void *v;
             return ordo_ticket_value(t, &v);
         }},
        {"wait",
         [](ordo_ticket t) {
             return ordo_ticket_wait(t, ordo_now(), nullptr, nullptr);
         }},
        {"wait_complete",
         [](ordo_ticket t) {
             return ordo_ticket_wait_complete(t, ordo_now(), nullptr, nullptr);
         }},
        {"enqueue_wait",
         [](ordo_ticket t) {
             return ordo_ticket_enqueue_wait(t, cl_env().queue1, ordo_now(), nullptr);
         }},
        {"grant_future",
         [](ordo_ticket t) {
             ordo_future f;
             return ordo_ticket_grant_future(t, &f);
         }},
        {"ready",
         [](ordo_ticket t) {
             return ordo_ticket_ready(t, none, 0);
         }},
        {"fail",
         [](ordo_ticket t) {
             return ordo_ticket_fail(t, ORDO_ERROR_FAILED, "x");
         }},
        {"cancel",
         [](ordo_ticket t) {
             return ordo_ticket_cancel(t);
         }},
        {"destroy",
         [](ordo_ticket t) {
             return ordo_ticket_destroy(t);
         }},
    };
}

std::vector<std::pair<const char *, Call<ordo_resource>>> resource_calls() {
    return {
        {"value",
         [](ordo_resource r) {
             void *v;
             return ordo_resource_value(r, &v);
         }},
        {"acquire",
         [](ordo_resource r) {
             ordo_ticket t;
             return ordo_resource_acquire(r, &t);
         }},
        {"destroy",
         [](ordo_resource r) {
             return ordo_resource_destroy(r);
         }},
    };
}

std::vector<std::pair<const char *, Call<ordo_future>>> future_calls() {
    return {
        {"poll",
         [](ordo_future f) {
             return ordo_future_poll(f);
         }},
        {"wait",
         [](ordo_future f) {
             return ordo_future_wait(f, ordo_now(), 0);
         }},
        {"events",
         [](ordo_future f) {
             const cl_event *e;
             size_t n;
             return ordo_future_events(f, &e, &n);
         }},
        {"failure",
         [](ordo_future f) {
             return ordo_future_failure(f, nullptr, nullptr, nullptr);
         }},
        {"on_complete",
         [](ordo_future f) {
             return ordo_future_on_complete(
                 f, [](void *, int) {}, nullptr);
         }},
        {"fd",
         [](ordo_future f) {
             int fd;
             return ordo_future_fd(f, &fd);
         }},
        {"cancel",
         [](ordo_future f) {
             return ordo_future_cancel(f);
         }},
        {"clone",
         [](ordo_future f) {
             ordo_future g;
             return ordo_future_clone(f, &g);
         }},
        {"destroy",
         [](ordo_future f) {
             return ordo_future_destroy(f);
         }},
    };
}

std::vector<std::pair<const char *, Call<ordo_promise>>> promise_calls() {
    return {
        {"future",
         [](ordo_promise p) {
             ordo_future f;
             return ordo_promise_future(p, &f);
         }},
        {"complete",
         [](ordo_promise p) {
             return ordo_promise_complete(p, nullptr, 0);
         }},
        {"fail",
         [](ordo_promise p) {
             return ordo_promise_fail(p, ORDO_ERROR_FAILED, "x");
         }},
        {"destroy",
         [](ordo_promise p) {
             return ordo_promise_destroy(p);
         }},
    };
}

std::vector<std::pair<const char *, Call<ordo_multi_ticket>>> multi_calls() {
    return {
        {"size",
         [](ordo_multi_ticket m) {
             size_t n;
             return ordo_multi_ticket_size(m, &n);
         }},
        {"wait",
         [](ordo_multi_ticket m) {
             return ordo_multi_ticket_wait(m, ordo_now(), nullptr, nullptr);
         }},
        {"wait_complete",
         [](ordo_multi_ticket m) {
             return ordo_multi_ticket_wait_complete(m, ordo_now(), nullptr, nullptr);
         }},
        {"enqueue_wait",
         [](ordo_multi_ticket m) {
             return ordo_multi_ticket_enqueue_wait(m, cl_env().queue1, ordo_now(), nullptr);
         }},
        {"ready",
         [](ordo_multi_ticket m) {
             return ordo_multi_ticket_ready(m, nullptr, 0);
         }},
        {"fail",
         [](ordo_multi_ticket m) {
             return ordo_multi_ticket_fail(m, ORDO_ERROR_FAILED, "x");
         }},
        {"ready_one",
         [](ordo_multi_ticket m) {
             return ordo_multi_ticket_ready_one(m, 0, nullptr, 0);
         }},
        {"fail_one",
         [](ordo_multi_ticket m) {
             return ordo_multi_ticket_fail_one(m, 0, -1, "x");
         }},
        {"destroy",
         [](ordo_multi_ticket m) {
             return ordo_multi_ticket_destroy(m);
         }},
    };
}

std::vector<std::pair<const char *, Call<ordo_ring>>> ring_calls() {
    return {
        {"acquire",
         [](ordo_ring r) {
             ordo_ticket t;
             return ordo_ring_acquire(r, ORDO_EXCLUSIVE, &t, nullptr);
         }},
        {"size",
         [](ordo_ring r) {
             size_t n;
             return ordo_ring_size(r, &n);
         }},
        {"value",
         [](ordo_ring r) {
             void *v;
             return ordo_ring_value(r, 0, &v);
         }},
        {"destroy",
         [](ordo_ring r) {
             return ordo_ring_destroy(r);
         }},
    };
}

std::vector<std::pair<const char *, Call<ordo_job_queue>>> job_queue_calls() {
    static ordo_future job = [] {
        ordo_future f = nullptr;
        ordo_events_wait_async(nullptr, 0, &f);
        return f;
    }();
    return {
        {"add",
         [](ordo_job_queue q) {
             return ordo_job_queue_add(q, job, ordo_now());
         }},
        {"try_add",
         [](ordo_job_queue q) {
             return ordo_job_queue_try_add(q, job);
         }},
        {"clean",
         [](ordo_job_queue q) {
             return ordo_job_queue_clean(q);
         }},
        {"finish",
         [](ordo_job_queue q) {
             return ordo_job_queue_finish(q, 0, ordo_now());
         }},
        {"size",
         [](ordo_job_queue q) {
             size_t n;
             return ordo_job_queue_size(q, &n);
         }},
        {"backlog",
         [](ordo_job_queue q) {
             size_t n;
             return ordo_job_queue_backlog(q, &n);
         }},
        {"contains",
         [](ordo_job_queue q) {
             int c;
             return ordo_job_queue_contains(q, job, &c);
         }},
        {"backlog_future",
         [](ordo_job_queue q) {
             ordo_future f;
             return ordo_job_queue_backlog_future(q, 0, &f);
         }},
        {"destroy",
         [](ordo_job_queue q) {
             return ordo_job_queue_destroy(q);
         }},
    };
}

template <class H, class Calls>
void expect_invalid_handle(H handle, const Calls &calls, const char *what, bool destroy_ok) {
    for (const auto &[name, call] : calls) {
        if (handle == nullptr && std::string(name) == "destroy") {
            EXPECT_EQ(call(handle), ORDO_OK) << what << " destroy(NULL) is accepted";
            continue;
        }
        if (!destroy_ok && std::string(name) == "destroy")
            continue;
        EXPECT_EQ(call(handle), ORDO_ERROR_INVALID_HANDLE) << what << ": " << name;
        EXPECT_NE(std::string(ordo_last_error_message()).find("ORDO_ERROR_INVALID_HANDLE"),
                  std::string::npos)
            << ordo_last_error_message();
    }
}

} // namespace

TEST(BadHandles, NullIsRejectedByEveryFunction) {
    expect_invalid_handle<ordo_ticket>(nullptr, ticket_calls(), "NULL ticket", true);
    expect_invalid_handle<ordo_resource>(nullptr, resource_calls(), "NULL resource", true);
    expect_invalid_handle<ordo_future>(nullptr, future_calls(), "NULL future", true);
    expect_invalid_handle<ordo_promise>(nullptr, promise_calls(), "NULL promise", true);
    expect_invalid_handle<ordo_multi_ticket>(nullptr, multi_calls(), "NULL multi-ticket", true);
    expect_invalid_handle<ordo_ring>(nullptr, ring_calls(), "NULL ring", true);
    expect_invalid_handle<ordo_job_queue>(nullptr, job_queue_calls(), "NULL job queue", true);
    EXPECT_NE(std::string(ordo_last_error_message()), "");
}

TEST(BadHandles, WrongKindIsRejectedByEveryFunction) {
    ordo_resource r = nullptr;
    ordo_ticket t = nullptr;
    ordo_promise p = nullptr;
    ordo_future f = nullptr;
    ORDO_ASSERT_OK(ordo_resource_create(nullptr, "kinds", &r));
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &t));
    ORDO_ASSERT_OK(ordo_promise_create(&p));
    ORDO_ASSERT_OK(ordo_promise_future(p, &f));
    expect_invalid_handle(reinterpret_cast<ordo_ticket>(r), ticket_calls(), "resource as ticket",
                          true);
    expect_invalid_handle(reinterpret_cast<ordo_resource>(t), resource_calls(),
                          "ticket as resource", true);
    expect_invalid_handle(reinterpret_cast<ordo_future>(p), future_calls(), "promise as future",
                          true);
    expect_invalid_handle(reinterpret_cast<ordo_promise>(f), promise_calls(), "future as promise",
                          true);
    expect_invalid_handle(reinterpret_cast<ordo_multi_ticket>(t), multi_calls(),
                          "ticket as multi-ticket", true);
    expect_invalid_handle(reinterpret_cast<ordo_ring>(r), ring_calls(), "resource as ring", true);
    expect_invalid_handle(reinterpret_cast<ordo_job_queue>(f), job_queue_calls(),
                          "future as job queue", true);
    // Nothing changed: every handle still works as its own kind.
    EXPECT_EQ(ordo_ticket_wait(t, soon(), nullptr, nullptr), ORDO_OK);
    EXPECT_EQ(ordo_future_poll(f), ORDO_PENDING);
    ORDO_EXPECT_OK(ordo_ticket_ready(t, nullptr, 0));
    ORDO_EXPECT_OK(ordo_promise_complete(p, nullptr, 0));
    EXPECT_EQ(ordo_future_poll(f), ORDO_OK);
    ORDO_EXPECT_OK(ordo_ticket_destroy(t));
    ORDO_EXPECT_OK(ordo_resource_destroy(r));
    ORDO_EXPECT_OK(ordo_future_destroy(f));
    ORDO_EXPECT_OK(ordo_promise_destroy(p));
}

TEST(BadHandles, DestroyedHandlesAreRejected) {
    ordo_resource r = nullptr;
    ordo_ticket t = nullptr;
    ordo_promise p = nullptr;
    ordo_future f = nullptr;
    ORDO_ASSERT_OK(ordo_resource_create(nullptr, "dead", &r));
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &t));
    ORDO_ASSERT_OK(ordo_promise_create(&p));
    ORDO_ASSERT_OK(ordo_promise_future(p, &f));
    ORDO_ASSERT_OK(ordo_ticket_ready(t, nullptr, 0));
    ORDO_ASSERT_OK(ordo_ticket_destroy(t));
    ORDO_ASSERT_OK(ordo_resource_destroy(r));
    ORDO_ASSERT_OK(ordo_future_destroy(f));
    ORDO_ASSERT_OK(ordo_promise_destroy(p));
    ordo_resource r2 = nullptr;
    ordo_multi_ticket m = nullptr;
    ordo_ring ring = nullptr;
    ordo_job_queue q = nullptr;
    ORDO_ASSERT_OK(ordo_resource_create(nullptr, "dead too", &r2));
    ORDO_ASSERT_OK(ordo_resource_acquire_many(&r2, nullptr, 1, &m));
    ORDO_ASSERT_OK(ordo_ring_create(&r2, 1, &ring));
    ORDO_ASSERT_OK(ordo_job_queue_create(0, &q));
    ORDO_ASSERT_OK(ordo_multi_ticket_ready(m, nullptr, 0));
    ORDO_ASSERT_OK(ordo_multi_ticket_destroy(m));
    ORDO_ASSERT_OK(ordo_ring_destroy(ring));
    ORDO_ASSERT_OK(ordo_job_queue_destroy(q));
    ORDO_ASSERT_OK(ordo_resource_destroy(r2));
    expect_invalid_handle(m, multi_calls(), "destroyed multi-ticket", true);
    expect_invalid_handle(ring, ring_calls(), "destroyed ring", true);
    expect_invalid_handle(q, job_queue_calls(), "destroyed job queue", true);
    // Destroying twice is answered too.
    expect_invalid_handle(t, ticket_calls(), "destroyed ticket", true);
    expect_invalid_handle(r, resource_calls(), "destroyed resource", true);
    expect_invalid_handle(f, future_calls(), "destroyed future", true);
    expect_invalid_handle(p, promise_calls(), "destroyed promise", true);
}

// Regression: a destroyed ticket's handle passed the check as soon as the
// next acquire reused its memory, and ordo_ticket_ready(stale) released
// the new owner's ticket. Every reuse of a handle's slot now changes its
// generation, which each call checks.
TEST(BadHandles, StaleTicketHandleIsRejectedAfterItsSlotIsReused) {
    std::vector<ordo_ticket> stale;
    for (int i = 0; i < 200; ++i) { // more than a thread's cache of free slots
        ordo_resource r = nullptr;
        ordo_ticket t = nullptr;
        ORDO_ASSERT_OK(ordo_resource_create(nullptr, "stale", &r));
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &t));
        ORDO_ASSERT_OK(ordo_ticket_ready(t, nullptr, 0));
        ORDO_ASSERT_OK(ordo_ticket_destroy(t));
        ORDO_ASSERT_OK(ordo_resource_destroy(r)); // the ticket's memory is free now
        stale.push_back(t);
    }
    ordo_resource r = nullptr;
    ORDO_ASSERT_OK(ordo_resource_create(nullptr, "new owner", &r));
    std::vector<ordo_ticket> fresh(stale.size());
    for (auto &t : fresh)
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &t));
    for (ordo_ticket t : stale) {
        EXPECT_EQ(ordo_ticket_ready(t, nullptr, 0), ORDO_ERROR_INVALID_HANDLE);
        EXPECT_EQ(ordo_ticket_wait(t, ordo_now() - 1, nullptr, nullptr), ORDO_ERROR_INVALID_HANDLE);
        EXPECT_EQ(ordo_ticket_destroy(t), ORDO_ERROR_INVALID_HANDLE);
    }
    // The new owners' tickets were not touched: none was released.
    ORDO_EXPECT_OK(ordo_ticket_wait(fresh[0], soon(), nullptr, nullptr));
    EXPECT_EQ(ordo_ticket_wait(fresh[1], ordo_now() - 1, nullptr, nullptr), ORDO_ERROR_TIMEOUT);
    for (auto t : fresh) {
        ORDO_EXPECT_OK(ordo_ticket_ready(t, nullptr, 0));
        ORDO_EXPECT_OK(ordo_ticket_destroy(t));
    }
    ORDO_EXPECT_OK(ordo_resource_destroy(r));
}

// Regression (valgrind: invalid reads): slots beyond the free lists' caps
// went back to the system, so checking a long-dead handle read freed
// memory. Slot memory is kept now, and every stale handle is answered,
// also once its slot serves a new handle.
TEST(BadHandles, ThousandsOfStaleHandlesAreRejected) {
    constexpr int n = 10'000;
    std::vector<ordo_future> stale(n);
    ordo_promise p = nullptr;
    ORDO_ASSERT_OK(ordo_promise_create(&p));
    for (auto &f : stale)
        ORDO_ASSERT_OK(ordo_promise_future(p, &f));
    for (auto f : stale)
        ORDO_ASSERT_OK(ordo_future_destroy(f));
    for (auto f : stale)
        ASSERT_EQ(ordo_future_poll(f), ORDO_ERROR_INVALID_HANDLE);
    std::vector<ordo_future> fresh(n);
    for (auto &f : fresh)
        ORDO_ASSERT_OK(ordo_promise_future(p, &f));
    for (auto f : stale) {
        ASSERT_EQ(ordo_future_poll(f), ORDO_ERROR_INVALID_HANDLE);
        ASSERT_EQ(ordo_future_destroy(f), ORDO_ERROR_INVALID_HANDLE);
    }
    for (auto f : fresh) {
        ASSERT_EQ(ordo_future_poll(f), ORDO_PENDING);
        ORDO_ASSERT_OK(ordo_future_destroy(f));
    }
    ORDO_EXPECT_OK(ordo_promise_destroy(p));
}

TEST(BadArguments, NullOutputsAndBadCounts) {
    ordo_resource r = nullptr;
    ordo_ticket t = nullptr;
    ORDO_ASSERT_OK(ordo_resource_create(nullptr, "args", &r));
    EXPECT_EQ(ordo_resource_create(nullptr, "x", nullptr), ORDO_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(ordo_last_error_message()).find("out is NULL"), std::string::npos);
    EXPECT_EQ(ordo_resource_acquire(r, nullptr), ORDO_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(ordo_resource_value(r, nullptr), ORDO_ERROR_INVALID_ARGUMENT);
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &t));
    EXPECT_EQ(ordo_ticket_value(t, nullptr), ORDO_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(ordo_ticket_grant_future(t, nullptr), ORDO_ERROR_INVALID_ARGUMENT);
    // events NULL with a count: rejected, ticket still unreleased.
    EXPECT_EQ(ordo_ticket_ready(t, nullptr, 3), ORDO_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(ordo_last_error_message()).find("num_events is 3"), std::string::npos);
    // A NULL event inside the array: rejected, the valid one is not kept.
    cl_event e = make_user_event();
    cl_event with_null[] = {e, nullptr};
    EXPECT_EQ(ordo_ticket_ready(t, with_null, 2), ORDO_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(ordo_last_error_message()).find("events[1] is NULL"), std::string::npos);
    EXPECT_EQ(reference_count(e), 1);
    // Failure statuses must be negative.
    EXPECT_EQ(ordo_ticket_fail(t, 0, "not a failure"), ORDO_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(ordo_ticket_fail(t, 5, "not a failure"), ORDO_ERROR_INVALID_ARGUMENT);
    // A NULL queue for a device wait.
    EXPECT_EQ(ordo_ticket_enqueue_wait(t, nullptr, soon(), nullptr), ORDO_ERROR_INVALID_ARGUMENT);
    // After all that the ticket is still unreleased and works.
    ORDO_EXPECT_OK(ordo_ticket_ready(t, &e, 1));
    EXPECT_EQ(reference_count(e), 2);
    ordo_ticket_destroy(t);
    ordo_resource_destroy(r);
    EXPECT_TRUE(reference_count_returns_to(e, 1));
    clSetUserEventStatus(e, CL_COMPLETE);
    clReleaseEvent(e);

    ordo_future f = nullptr;
    EXPECT_EQ(ordo_events_wait_async(nullptr, 1, &f), ORDO_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(ordo_events_wait_async(nullptr, 0, nullptr), ORDO_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(ordo_promise_create(nullptr), ORDO_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(ordo_log_set_level(12345), ORDO_ERROR_INVALID_ARGUMENT);
}

TEST(Misuse, SecondReleaseIsRejectedAndChangesNothing) {
    cl_event first = make_user_event();
    cl_event second = make_user_event();
    {
        ordo_resource r = nullptr;
        ordo_ticket a = nullptr, b = nullptr;
        ORDO_ASSERT_OK(ordo_resource_create(nullptr, "twice", &r));
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &a));
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &b));
        ORDO_ASSERT_OK(ordo_ticket_ready(a, &first, 1));
        EXPECT_EQ(ordo_ticket_ready(a, &second, 1), ORDO_ERROR_INVALID_STATE);
        EXPECT_NE(std::string(ordo_last_error_message()).find("already released"),
                  std::string::npos);
        EXPECT_EQ(reference_count(second), 1);
        EXPECT_EQ(ordo_ticket_fail(a, ORDO_ERROR_FAILED, "late"), ORDO_ERROR_INVALID_STATE);
        EXPECT_EQ(ordo_ticket_cancel(a), ORDO_ERROR_INVALID_STATE);
        // Waits after release are misuse too.
        EXPECT_EQ(ordo_ticket_wait(a, soon(), nullptr, nullptr), ORDO_ERROR_INVALID_STATE);
        EXPECT_EQ(ordo_ticket_wait_complete(a, soon(), nullptr, nullptr), ORDO_ERROR_INVALID_STATE);
        ordo_future f = nullptr;
        EXPECT_EQ(ordo_ticket_grant_future(a, &f), ORDO_ERROR_INVALID_STATE);
        // The successor sees exactly the first release.
        const cl_event *events = nullptr;
        size_t n = 0;
        ORDO_ASSERT_OK(ordo_ticket_wait(b, soon(), &events, &n));
        ASSERT_EQ(n, 1u);
        EXPECT_EQ(events[0], first);
        ORDO_ASSERT_OK(ordo_ticket_ready(b, nullptr, 0));
        ordo_ticket_destroy(a);
        ordo_ticket_destroy(b);
        ordo_resource_destroy(r);
    }
    EXPECT_TRUE(reference_count_returns_to(first, 1));
    for (cl_event e : {first, second}) {
        clSetUserEventStatus(e, CL_COMPLETE);
        clReleaseEvent(e);
    }
}

TEST(Misuse, FutureQueriesInTheWrongState) {
    ordo_promise p = nullptr;
    ordo_future f = nullptr;
    ORDO_ASSERT_OK(ordo_promise_create(&p));
    ORDO_ASSERT_OK(ordo_promise_future(p, &f));
    const cl_event *events = nullptr;
    size_t n = 0;
    EXPECT_EQ(ordo_future_events(f, &events, &n), ORDO_ERROR_INVALID_STATE);
    EXPECT_EQ(ordo_future_failure(f, nullptr, nullptr, nullptr), ORDO_ERROR_INVALID_STATE);
    EXPECT_EQ(ordo_future_events(f, nullptr, &n), ORDO_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(ordo_future_wait(f, ordo_now(), 0x80), ORDO_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(ordo_future_on_complete(f, nullptr, nullptr), ORDO_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(ordo_promise_fail(p, 0, "no"), ORDO_ERROR_INVALID_ARGUMENT);
    ORDO_ASSERT_OK(ordo_promise_complete(p, nullptr, 0));
    EXPECT_EQ(ordo_promise_complete(p, nullptr, 0), ORDO_ERROR_INVALID_STATE);
    EXPECT_EQ(ordo_promise_fail(p, ORDO_ERROR_FAILED, "late"), ORDO_ERROR_INVALID_STATE);
    EXPECT_EQ(ordo_future_poll(f), ORDO_OK); // unchanged by the rejected calls
    EXPECT_EQ(ordo_future_failure(f, nullptr, nullptr, nullptr), ORDO_ERROR_INVALID_STATE);
    EXPECT_EQ(ordo_future_cancel(f), ORDO_ERROR_INVALID_STATE);
    EXPECT_EQ(ordo_future_poll(f), ORDO_OK);
    ordo_future_destroy(f);
    ordo_promise_destroy(p);
}

TEST(Misuse, ReleaseFutureOfATicketCannotBeCancelledThroughItsSuccessor) {
    // A grant future can be cancelled (it gives the ticket's place up); the
    // predecessor's release behind it is not touched.
    ordo_resource r = nullptr;
    ordo_ticket a = nullptr, b = nullptr, c = nullptr;
    ORDO_ASSERT_OK(ordo_resource_create(nullptr, "cancel", &r));
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &a));
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &b));
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &c));
    ordo_future gb = nullptr;
    ORDO_ASSERT_OK(ordo_ticket_grant_future(b, &gb));
    ORDO_ASSERT_OK(ordo_future_cancel(gb));
    EXPECT_EQ(ordo_future_poll(gb), ORDO_ERROR_CANCELLED);
    EXPECT_EQ(ordo_ticket_ready(b, nullptr, 0), ORDO_ERROR_INVALID_STATE); // place given up
    // a still holds: c waits for a, not for b.
    EXPECT_EQ(ordo_ticket_wait(c, soon(), nullptr, nullptr), ORDO_ERROR_TIMEOUT);
    ORDO_ASSERT_OK(ordo_ticket_ready(a, nullptr, 0));
    ORDO_EXPECT_OK(ordo_ticket_wait(c, soon(), nullptr, nullptr));
    ORDO_EXPECT_OK(ordo_ticket_ready(c, nullptr, 0));
    ordo_future_destroy(gb);
    for (auto t : {a, b, c})
        ordo_ticket_destroy(t);
    ordo_resource_destroy(r);
}

// Regression (found by the fuzzer's model): a ticket failed with status
// ORDO_ERROR_TIMEOUT made its successor's wait answer ORDO_ERROR_TIMEOUT with
// the message of a timeout, which no caller can tell from one. The statuses
// by which a call answers about itself are refused as failure statuses.
TEST(BadArguments, FailureStatusesAWaitAnswersAboutItselfAreRefused) {
    Chain c(2);
    ordo_promise p = nullptr;
    ORDO_ASSERT_OK(ordo_promise_create(&p));
    ordo_multi_ticket m = nullptr;
    ORDO_ASSERT_OK(ordo_resource_acquire_many(&c.r, nullptr, 1, &m));
    for (int status : {ORDO_ERROR_INVALID_ARGUMENT, ORDO_ERROR_INVALID_HANDLE,
                       ORDO_ERROR_INVALID_STATE, ORDO_ERROR_TIMEOUT, ORDO_ERROR_WOULD_BLOCK}) {
        EXPECT_EQ(ordo_ticket_fail(c.t[0], status, "x"), ORDO_ERROR_INVALID_ARGUMENT) << status;
        EXPECT_EQ(ordo_promise_fail(p, status, "x"), ORDO_ERROR_INVALID_ARGUMENT) << status;
        EXPECT_EQ(ordo_multi_ticket_fail(m, status, "x"), ORDO_ERROR_INVALID_ARGUMENT) << status;
        EXPECT_EQ(ordo_multi_ticket_fail_one(m, 0, status, "x"), ORDO_ERROR_INVALID_ARGUMENT)
            << status;
    }
    // Nothing changed; a failure a wait can return is passed on as it is.
    ORDO_EXPECT_OK(ordo_ticket_fail(c.t[0], ORDO_ERROR_EVENT_FAILED, "an upload failed"));
    EXPECT_EQ(ordo_ticket_wait(c.t[1], soon(), nullptr, nullptr), ORDO_ERROR_EVENT_FAILED);
    EXPECT_NE(std::string(ordo_last_error_message()).find("an upload failed"), std::string::npos);
    ORDO_EXPECT_OK(ordo_ticket_fail(c.t[1], ORDO_ERROR_EVENT_FAILED, "passed on"));
    ORDO_EXPECT_OK(ordo_multi_ticket_fail(m, ORDO_ERROR_CANCELLED, "given up"));
    ordo_multi_ticket_destroy(m);
    ORDO_EXPECT_OK(ordo_promise_fail(p, ORDO_STATUS_USER_BASE, "the application's"));
    ordo_promise_destroy(p);
}

// Regression: a trace buffer too large to allocate answered
// ORDO_ERROR_INTERNAL.
TEST(BadArguments, TraceCapacityTooLarge) {
    for (size_t capacity : {SIZE_MAX, SIZE_MAX / 2, size_t{1} << 40}) {
        int status = ordo_trace_start(capacity);
        EXPECT_TRUE(status == ORDO_ERROR_INVALID_ARGUMENT || status == ORDO_ERROR_OUT_OF_MEMORY)
            << capacity << ": " << ordo_last_error_message();
    }
    ordo_trace_stop();
}

TEST(Statuses, NamesAndDescriptionsCoverEveryCode) {
#define ORDO_CHECK_NAME(name, value, description)                                                  \
    EXPECT_STREQ(ordo_status_string(value), #name);                                                \
    EXPECT_STREQ(ordo_status_description(value), description);
    ORDO_STATUS_LIST(ORDO_CHECK_NAME)
#undef ORDO_CHECK_NAME
    EXPECT_STREQ(ordo_status_string(ORDO_STATUS_USER_BASE - 5), "ORDO_STATUS_USER");
    EXPECT_STREQ(ordo_status_string(-999), "ORDO_STATUS_UNKNOWN");
}

TEST(Version, RuntimeMatchesHeader) {
    int major = -1, minor = -1, patch = -1;
    EXPECT_EQ(ordo_version(&major, &minor, &patch), ORDO_VERSION);
    EXPECT_EQ(major, ORDO_VERSION_MAJOR);
    EXPECT_EQ(minor, ORDO_VERSION_MINOR);
    EXPECT_EQ(patch, ORDO_VERSION_PATCH);
    EXPECT_EQ(ordo_version(nullptr, nullptr, nullptr), ORDO_VERSION);
}

TEST(Logging, LevelFiltersAndHookReceives) {
    int saved = ordo_log_get_level();
    LogCapture log;
    ORDO_ASSERT_OK(ordo_log_set_level(ORDO_LOG_ERROR));
    {
        ordo_resource r = nullptr;
        ordo_ticket t = nullptr;
        ORDO_ASSERT_OK(ordo_resource_create(nullptr, "quiet", &r));
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &t));
        ordo_ticket_destroy(t); // a warning, below the level
        ordo_resource_destroy(r);
    }
    EXPECT_TRUE(log.records().empty());
    ORDO_ASSERT_OK(ordo_log_set_level(ORDO_LOG_WARNING));
    {
        ordo_resource r = nullptr;
        ordo_ticket t = nullptr;
        ORDO_ASSERT_OK(ordo_resource_create(nullptr, "loud", &r));
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &t));
        ordo_ticket_destroy(t);
        ordo_resource_destroy(r);
    }
    EXPECT_TRUE(log.contains("ticket released without ready (resource \"loud\")"));
    ORDO_ASSERT_OK(ordo_log_set_level(saved));
}
