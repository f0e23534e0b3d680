// Rule 5 (docs/CONTRACT.md) and the future type: promises, callbacks, the pollable descriptor,
// cancellation, and asynchronous event waits without a thread per wait.
#include "../support/cl_env.hpp"

#include <algorithm>
#include <atomic>
#include <dirent.h>
#include <latch>
#include <poll.h>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace ordo_test;

namespace {

int thread_count() {
    int n = 0;
    DIR *dir = opendir("/proc/self/task");
    while (dirent *entry = readdir(dir))
        if (entry->d_name[0] != '.')
            ++n;
    closedir(dir);
    return n;
}

struct Recorder {
    std::atomic<int> calls{0};
    std::atomic<int> status{12345};
    std::thread::id thread;
};

void record(void *data, int status) {
    auto *r = static_cast<Recorder *>(data);
    r->status = status;
    r->thread = std::this_thread::get_id();
    r->calls.fetch_add(1);
}

bool readable(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

} // namespace

TEST(Promise, CallbackRunsOnceOnTheCompletingThread) {
    ordo_promise p = nullptr;
    ordo_future f = nullptr;
    ORDO_ASSERT_OK(ordo_promise_create(&p));
    ORDO_ASSERT_OK(ordo_promise_future(p, &f));
    Recorder r;
    ORDO_ASSERT_OK(ordo_future_on_complete(f, record, &r));
    EXPECT_EQ(r.calls.load(), 0);
    std::thread completer([&] { EXPECT_EQ(ordo_promise_complete(p, nullptr, 0), ORDO_OK); });
    std::thread::id completer_id = completer.get_id();
    completer.join();
    EXPECT_EQ(r.calls.load(), 1);
    EXPECT_EQ(r.status.load(), ORDO_OK);
    EXPECT_EQ(r.thread, completer_id);
    // Registered after completion: runs at once, here.
    Recorder late;
    ORDO_ASSERT_OK(ordo_future_on_complete(f, record, &late));
    EXPECT_EQ(late.calls.load(), 1);
    EXPECT_EQ(late.thread, std::this_thread::get_id());
    ordo_future_destroy(f);
    ordo_promise_destroy(p);
    EXPECT_EQ(r.calls.load(), 1);
}

TEST(Promise, FailureAndAbandonment) {
    ordo_promise p = nullptr;
    ordo_future f = nullptr, g = nullptr;
    ORDO_ASSERT_OK(ordo_promise_create(&p));
    ORDO_ASSERT_OK(ordo_promise_future(p, &f));
    ORDO_ASSERT_OK(ordo_future_clone(f, &g));
    ORDO_ASSERT_OK(ordo_promise_fail(p, ORDO_ERROR_FAILED, "network send failed"));
    EXPECT_EQ(ordo_future_wait(g, soon(), 0), ORDO_ERROR_FAILED);
    EXPECT_NE(std::string(ordo_last_error_message()).find("network send failed"),
              std::string::npos);
    ordo_future_destroy(f);
    ordo_future_destroy(g);
    ordo_promise_destroy(p);

    ORDO_ASSERT_OK(ordo_promise_create(&p));
    ORDO_ASSERT_OK(ordo_promise_future(p, &f));
    Recorder r;
    ORDO_ASSERT_OK(ordo_future_on_complete(f, record, &r));
    ordo_promise_destroy(p); // never completed
    EXPECT_EQ(r.calls.load(), 1);
    EXPECT_EQ(r.status.load(), ORDO_ERROR_ABANDONED);
    ordo_future_destroy(f);
}

TEST(Promise, EventsAreRetainedAndReturned) {
    cl_event e = make_user_event();
    ordo_promise p = nullptr;
    ordo_future f = nullptr;
    ORDO_ASSERT_OK(ordo_promise_create(&p));
    ORDO_ASSERT_OK(ordo_promise_future(p, &f));
    ORDO_ASSERT_OK(ordo_promise_complete(p, &e, 1));
    const cl_event *events = nullptr;
    size_t n = 0;
    ORDO_ASSERT_OK(ordo_future_events(f, &events, &n));
    ASSERT_EQ(n, 1u);
    EXPECT_EQ(events[0], e);
    EXPECT_EQ(reference_count(e), 2);
    ordo_promise_destroy(p);
    EXPECT_EQ(reference_count(e), 2); // the future still returns it
    ordo_future_destroy(f);
    EXPECT_TRUE(reference_count_returns_to(e, 1));
    clSetUserEventStatus(e, CL_COMPLETE);
    clReleaseEvent(e);
}

TEST(Future, DescriptorBecomesReadableOnCompletion) {
    ordo_promise p = nullptr;
    ordo_future f = nullptr;
    ORDO_ASSERT_OK(ordo_promise_create(&p));
    ORDO_ASSERT_OK(ordo_promise_future(p, &f));
    int fd = -1;
    ORDO_ASSERT_OK(ordo_future_fd(f, &fd));
    EXPECT_FALSE(readable(fd, 0));
    std::thread completer([&] { EXPECT_EQ(ordo_promise_complete(p, nullptr, 0), ORDO_OK); });
    EXPECT_TRUE(readable(fd, 10'000));
    completer.join();
    int again = -1;
    ORDO_ASSERT_OK(ordo_future_fd(f, &again));
    EXPECT_EQ(again, fd);
    ordo_future_destroy(f);
    ordo_promise_destroy(p);

    // Asked for after completion: readable at once.
    ORDO_ASSERT_OK(ordo_promise_create(&p));
    ORDO_ASSERT_OK(ordo_promise_future(p, &f));
    ORDO_ASSERT_OK(ordo_promise_complete(p, nullptr, 0));
    ORDO_ASSERT_OK(ordo_future_fd(f, &fd));
    EXPECT_TRUE(readable(fd, 0));
    ordo_future_destroy(f);
    ordo_promise_destroy(p);
}

TEST(Future, WaitWithCancelOnTimeout) {
    ordo_promise p = nullptr;
    ordo_future f = nullptr;
    ORDO_ASSERT_OK(ordo_promise_create(&p));
    ORDO_ASSERT_OK(ordo_promise_future(p, &f));
    EXPECT_EQ(ordo_future_wait(f, soon(), 0), ORDO_ERROR_TIMEOUT);
    EXPECT_EQ(ordo_future_poll(f), ORDO_PENDING); // untouched
    EXPECT_EQ(ordo_future_wait(f, soon(), ORDO_WAIT_CANCEL), ORDO_ERROR_TIMEOUT);
    EXPECT_EQ(ordo_future_poll(f), ORDO_ERROR_CANCELLED);
    EXPECT_EQ(ordo_promise_complete(p, nullptr, 0), ORDO_ERROR_INVALID_STATE);
    ordo_future_destroy(f);
    ordo_promise_destroy(p);
}

// Regression: a poll that returned a failure status left the thread's
// last error message as it was (an older call's message).
TEST(Future, PollOfAFailedFutureLeavesItsMessage) {
    ordo_promise p = nullptr;
    ordo_future f = nullptr;
    ORDO_ASSERT_OK(ordo_promise_create(&p));
    ORDO_ASSERT_OK(ordo_promise_future(p, &f));
    ORDO_ASSERT_OK(ordo_future_cancel(f));
    EXPECT_EQ(ordo_future_events(nullptr, nullptr, nullptr), ORDO_ERROR_INVALID_HANDLE);
    EXPECT_EQ(ordo_future_poll(f), ORDO_ERROR_CANCELLED);
    EXPECT_NE(std::string(ordo_last_error_message()).find("ORDO_ERROR_CANCELLED"),
              std::string::npos)
        << ordo_last_error_message();
    ordo_future_destroy(f);
    ordo_promise_destroy(p);
}

TEST(Future, CallbackMayDestroyItsOwnFuture) {
    ordo_promise p = nullptr;
    ordo_future f = nullptr;
    ORDO_ASSERT_OK(ordo_promise_create(&p));
    ORDO_ASSERT_OK(ordo_promise_future(p, &f));
    struct Ctx {
        ordo_future f;
        int status = 1;
    } ctx{f};
    ORDO_ASSERT_OK(ordo_future_on_complete(
        f,
        [](void *data, int status) {
            auto *c = static_cast<Ctx *>(data);
            c->status = ordo_future_destroy(c->f);
            (void)status;
        },
        &ctx));
    ORDO_ASSERT_OK(ordo_promise_complete(p, nullptr, 0));
    EXPECT_EQ(ctx.status, ORDO_OK);
    ordo_promise_destroy(p);
}

TEST(AsyncWait, EmptyListIsAlreadyDone) {
    ordo_future f = nullptr;
    ORDO_ASSERT_OK(ordo_events_wait_async(nullptr, 0, &f));
    EXPECT_EQ(ordo_future_poll(f), ORDO_OK);
    ordo_future_destroy(f);
}

TEST(AsyncWait, CompletesWhenAllEventsCompleteInAnyOrder) {
    constexpr int n = 16;
    ClEnv &env = cl_env();
    cl_int err = CL_SUCCESS;
    cl_context other = clCreateContext(nullptr, 1, &env.device, nullptr, nullptr, &err);
    ASSERT_EQ(err, CL_SUCCESS);
    std::vector<cl_event> events(n);
    for (int i = 0; i < n; ++i)
        events[i] = make_user_event(i % 2 ? other : env.context); // two contexts in one list
    ordo_future f = nullptr;
    ORDO_ASSERT_OK(ordo_events_wait_async(events.data(), n, &f));
    Recorder r;
    ORDO_ASSERT_OK(ordo_future_on_complete(f, record, &r));
    std::vector<int> order(n);
    for (int i = 0; i < n; ++i)
        order[i] = i;
    std::shuffle(order.begin(), order.end(), std::mt19937(7));
    std::thread completer([&] {
        for (int k = 0; k < n; ++k) {
            EXPECT_EQ(ordo_future_poll(f), ORDO_PENDING) << "completed before event " << k;
            clSetUserEventStatus(events[order[k]], CL_COMPLETE);
        }
    });
    ORDO_EXPECT_OK(ordo_future_wait(f, eventually(), 0));
    completer.join();
    EXPECT_EQ(r.calls.load(), 1);
    const cl_event *out = nullptr;
    size_t num = 0;
    ORDO_ASSERT_OK(ordo_future_events(f, &out, &num));
    EXPECT_EQ(num, static_cast<size_t>(n));
    ordo_future_destroy(f);
    for (auto e : events) {
        EXPECT_TRUE(reference_count_returns_to(e, 1));
        clReleaseEvent(e);
    }
    clReleaseContext(other);
}

TEST(AsyncWait, FailsWithTheFirstNegativeStatus) {
    cl_event ok = make_user_event();
    cl_event bad = make_user_event();
    cl_event list[] = {ok, bad};
    ordo_future f = nullptr;
    ORDO_ASSERT_OK(ordo_events_wait_async(list, 2, &f));
    std::thread failer([&] { clSetUserEventStatus(bad, -9); });
    EXPECT_EQ(ordo_future_wait(f, eventually(), 0), ORDO_ERROR_EVENT_FAILED);
    failer.join();
    cl_int cl_status = 0;
    ORDO_ASSERT_OK(ordo_future_failure(f, nullptr, nullptr, &cl_status));
    EXPECT_EQ(cl_status, -9);
    clSetUserEventStatus(ok, CL_COMPLETE);
    ordo_future_destroy(f);
    EXPECT_TRUE(reference_count_returns_to(ok, 1));
    EXPECT_TRUE(reference_count_returns_to(bad, 1));
    clReleaseEvent(ok);
    clReleaseEvent(bad);
}

TEST(AsyncWait, CancelFailsTheFutureAndReleasesLater) {
    cl_event e = make_user_event();
    ordo_future f = nullptr;
    ORDO_ASSERT_OK(ordo_events_wait_async(&e, 1, &f));
    ORDO_ASSERT_OK(ordo_future_cancel(f));
    EXPECT_EQ(ordo_future_poll(f), ORDO_ERROR_CANCELLED);
    ordo_future_destroy(f);
    clSetUserEventStatus(e, CL_COMPLETE);
    EXPECT_TRUE(reference_count_returns_to(e, 1));
    clReleaseEvent(e);
}

// 10,000 asynchronous waits pending at once: the process's thread count
// stays what it was (no thread per wait), and all complete.
TEST(AsyncWait, TenThousandPendingWaitsAddNoThreads) {
    constexpr int n = 10000;
    // Start the service thread and the runtime's threads before counting.
    {
        cl_event warm = make_user_event();
        ordo_future f = nullptr;
        ORDO_ASSERT_OK(ordo_events_wait_async(&warm, 1, &f));
        clSetUserEventStatus(warm, CL_COMPLETE);
        ORDO_ASSERT_OK(ordo_future_wait(f, eventually(), 0));
        ordo_future_destroy(f);
        clReleaseEvent(warm);
    }
    int before = thread_count();
    std::vector<cl_event> events(n);
    std::vector<ordo_future> futures(n);
    for (int i = 0; i < n; ++i) {
        events[i] = make_user_event();
        ORDO_ASSERT_OK(ordo_events_wait_async(&events[i], 1, &futures[i]));
    }
    int during = thread_count();
    for (int i = 0; i < n; ++i)
        EXPECT_EQ(ordo_future_poll(futures[i]), ORDO_PENDING);
    std::printf("[ measured ] threads before %d, with %d waits pending %d\n", before, n, during);
    EXPECT_EQ(during, before);
    std::thread completer([&] {
        for (int i = n - 1; i >= 0; --i)
            clSetUserEventStatus(events[i], CL_COMPLETE);
    });
    for (int i = 0; i < n; ++i)
        ORDO_EXPECT_OK(ordo_future_wait(futures[i], eventually(), 0));
    completer.join();
    EXPECT_EQ(thread_count(), before);
    for (int i = 0; i < n; ++i) {
        ordo_future_destroy(futures[i]);
        clReleaseEvent(events[i]);
    }
}
