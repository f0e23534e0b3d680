// Completion queues: many futures' completions on one descriptor.
#include "../support/capi_helpers.hpp"

#include <dirent.h>
#include <poll.h>

#include <algorithm>
#include <set>
#include <thread>
#include <vector>

using namespace ordo_test;

namespace {

// Whether fd is readable now (a poll with no timeout).
bool readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

int open_descriptors() {
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    while (dirent *e = readdir(d))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

struct Queue {
    ordo_completion_queue q = nullptr;
    int fd = -1;
    Queue() {
        EXPECT_EQ(ordo_completion_queue_create(&q), ORDO_OK);
        EXPECT_EQ(ordo_completion_queue_fd(q, &fd), ORDO_OK);
    }
    ~Queue() { EXPECT_EQ(ordo_completion_queue_destroy(q), ORDO_OK); }
    Queue(const Queue &) = delete;
    Queue &operator=(const Queue &) = delete;

    std::vector<ordo_completion> read(size_t capacity = 64) {
        std::vector<ordo_completion> out(capacity);
        size_t n = 99;
        EXPECT_EQ(ordo_completion_queue_read(q, out.data(), capacity, &n), ORDO_OK);
        out.resize(n);
        return out;
    }
    size_t outstanding() {
        size_t n = 99;
        EXPECT_EQ(ordo_completion_queue_outstanding(q, &n), ORDO_OK);
        return n;
    }
};

struct Promise {
    ordo_promise p = nullptr;
    ordo_future f = nullptr;
    Promise() {
        EXPECT_EQ(ordo_promise_create(&p), ORDO_OK);
        EXPECT_EQ(ordo_promise_future(p, &f), ORDO_OK);
    }
    ~Promise() {
        ordo_future_destroy(f);
        ordo_promise_destroy(p);
    }
    Promise(const Promise &) = delete;
    Promise &operator=(const Promise &) = delete;
};

std::vector<uint64_t> tags(const std::vector<ordo_completion> &c) {
    std::vector<uint64_t> t;
    for (const ordo_completion &x : c)
        t.push_back(x.tag);
    return t;
}

} // namespace

// Completions come out in the order the futures completed, each once, with
// its status; the descriptor is readable exactly while one is unread.
TEST(CompletionQueue, CompletionsInCompletionOrderWithStatuses) {
    Queue q;
    Promise a, b, c;
    ORDO_ASSERT_OK(ordo_completion_queue_post(q.q, a.f, 10));
    ORDO_ASSERT_OK(ordo_completion_queue_post(q.q, b.f, 20));
    ORDO_ASSERT_OK(ordo_completion_queue_post(q.q, c.f, 30));
    EXPECT_EQ(q.outstanding(), 3u);
    EXPECT_FALSE(readable(q.fd));
    EXPECT_TRUE(q.read().empty());

    ORDO_ASSERT_OK(ordo_promise_fail(c.p, ORDO_ERROR_FAILED, "c failed"));
    EXPECT_TRUE(readable(q.fd));
    ORDO_ASSERT_OK(ordo_promise_complete(a.p, nullptr, 0));
    std::vector<ordo_completion> got = q.read();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].tag, 30u);
    EXPECT_EQ(got[0].status, ORDO_ERROR_FAILED);
    EXPECT_EQ(got[1].tag, 10u);
    EXPECT_EQ(got[1].status, ORDO_OK);
    EXPECT_FALSE(readable(q.fd)) << "readable with nothing queued";
    EXPECT_EQ(q.outstanding(), 1u);

    ORDO_ASSERT_OK(ordo_promise_destroy(b.p)); // abandoned
    b.p = nullptr;
    got = q.read();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].tag, 20u);
    EXPECT_EQ(got[0].status, ORDO_ERROR_ABANDONED);
    EXPECT_EQ(q.outstanding(), 0u);
    EXPECT_TRUE(q.read().empty());
}

// A future complete when posted is queued during the post; posting twice
// gives two completions.
TEST(CompletionQueue, CompleteFutureIsQueuedByThePostAndEachPostCounts) {
    Queue q;
    Promise a;
    ORDO_ASSERT_OK(ordo_promise_complete(a.p, nullptr, 0));
    ORDO_ASSERT_OK(ordo_completion_queue_post(q.q, a.f, 1));
    EXPECT_TRUE(readable(q.fd));
    ORDO_ASSERT_OK(ordo_completion_queue_post(q.q, a.f, 2));
    EXPECT_EQ(tags(q.read()), (std::vector<uint64_t>{1, 2}));
}

// A batch is read in pieces of the caller's capacity; the descriptor stays
// readable until the last piece.
TEST(CompletionQueue, BatchReadInPiecesOfTheCapacity) {
    Queue q;
    std::vector<Promise> p(5);
    for (size_t i = 0; i < p.size(); ++i)
        ORDO_ASSERT_OK(ordo_completion_queue_post(q.q, p[i].f, i));
    for (Promise &x : p)
        ORDO_ASSERT_OK(ordo_promise_complete(x.p, nullptr, 0));
    EXPECT_EQ(tags(q.read(2)), (std::vector<uint64_t>{0, 1}));
    EXPECT_TRUE(readable(q.fd));
    EXPECT_EQ(tags(q.read(2)), (std::vector<uint64_t>{2, 3}));
    EXPECT_TRUE(readable(q.fd));
    EXPECT_EQ(tags(q.read(2)), (std::vector<uint64_t>{4}));
    EXPECT_FALSE(readable(q.fd));
}

// A post keeps its future, and the future's events, until the completion is
// read; destroying the queue drops unread completions and those to come,
// and every event reference comes back.
TEST(CompletionQueue, PostKeepsTheFutureUntilReadAndDestroyDropsEverything) {
    cl_event e = make_user_event();
    cl_int base = reference_count(e);
    {
        Queue q;
        Promise a;
        ORDO_ASSERT_OK(ordo_completion_queue_post(q.q, a.f, 7));
        ORDO_ASSERT_OK(ordo_future_destroy(a.f)); // the queue's reference remains
        a.f = nullptr;
        ORDO_ASSERT_OK(ordo_promise_complete(a.p, &e, 1));
        ORDO_ASSERT_OK(ordo_promise_destroy(a.p));
        a.p = nullptr;
        EXPECT_GT(reference_count(e), base) << "the posted future's events were dropped early";
        EXPECT_EQ(tags(q.read()), std::vector<uint64_t>{7});
    }
    EXPECT_TRUE(reference_count_returns_to(e, base));

    ordo_promise later = nullptr;
    {
        Queue q;
        Promise unread, pending;
        ORDO_ASSERT_OK(ordo_completion_queue_post(q.q, unread.f, 1));
        ORDO_ASSERT_OK(ordo_completion_queue_post(q.q, pending.f, 2));
        ORDO_ASSERT_OK(ordo_promise_complete(unread.p, &e, 1));
        std::swap(later, pending.p);
    } // the queue destroyed with one completion unread and one to come
    EXPECT_EQ(ordo_promise_complete(later, &e, 1), ORDO_OK); // discarded, nothing breaks
    ORDO_EXPECT_OK(ordo_promise_destroy(later));
    EXPECT_TRUE(reference_count_returns_to(e, base));
    clReleaseEvent(e);
}

// Ten thousand pending posts cost the queue's one descriptor; they complete
// in one batch with one wake-up.
TEST(CompletionQueue, TenThousandPendingPostsCostOneDescriptor) {
    constexpr int kPosts = 10'000;
    int before = open_descriptors();
    Queue q;
    std::vector<ordo_promise> promises(kPosts);
    for (int i = 0; i < kPosts; ++i) {
        ORDO_ASSERT_OK(ordo_promise_create(&promises[i]));
        ordo_future f;
        ORDO_ASSERT_OK(ordo_promise_future(promises[i], &f));
        ORDO_ASSERT_OK(ordo_completion_queue_post(q.q, f, i));
        ORDO_ASSERT_OK(ordo_future_destroy(f));
    }
    EXPECT_EQ(open_descriptors(), before + 1);
    EXPECT_EQ(q.outstanding(), size_t{kPosts});
    for (ordo_promise p : promises)
        ORDO_ASSERT_OK(ordo_promise_complete(p, nullptr, 0));
    std::vector<ordo_completion> got = q.read(kPosts + 1);
    ASSERT_EQ(got.size(), size_t{kPosts});
    for (int i = 0; i < kPosts; ++i)
        ASSERT_EQ(got[i].tag, uint64_t(i));
    EXPECT_FALSE(readable(q.fd));
    for (ordo_promise p : promises)
        ordo_promise_destroy(p);
}

// wait blocks until a completion is queued by another thread, or times out.
TEST(CompletionQueue, WaitEndsOnACompletionFromAnotherThreadOrAtTheDeadline) {
    Queue q;
    ordo_completion c{};
    size_t n = 99;
    EXPECT_EQ(ordo_completion_queue_wait(q.q, ordo_deadline_after(1'000'000), &c, 1, &n),
              ORDO_ERROR_TIMEOUT);
    EXPECT_EQ(n, 0u);

    Promise a;
    ORDO_ASSERT_OK(ordo_completion_queue_post(q.q, a.f, 5));
    std::atomic<long> waiter{0};
    std::thread t([&] {
        waiter = current_thread_id();
        EXPECT_EQ(ordo_completion_queue_wait(q.q, eventually(), &c, 1, &n), ORDO_OK);
    });
    ASSERT_TRUE(wait_until_blocked(waiter));
    ORDO_ASSERT_OK(ordo_promise_complete(a.p, nullptr, 0));
    t.join();
    EXPECT_EQ(n, 1u);
    EXPECT_EQ(c.tag, 5u);
    EXPECT_EQ(c.status, ORDO_OK);
}

// Grant futures and event waits post like any future; a cancelled post's
// future gives its cancellation as the completion.
TEST(CompletionQueue, GrantsEventWaitsAndCancellation) {
    Queue q;
    Chain c(2);
    cl_event e = make_user_event();
    ordo_future grant, events, cancelled;
    ORDO_ASSERT_OK(ordo_ticket_grant_future(c.t[1], &grant));
    ORDO_ASSERT_OK(ordo_events_wait_async(&e, 1, &events));
    ORDO_ASSERT_OK(ordo_events_wait_async(&e, 1, &cancelled));
    ORDO_ASSERT_OK(ordo_completion_queue_post(q.q, grant, 1));
    ORDO_ASSERT_OK(ordo_completion_queue_post(q.q, events, 2));
    ORDO_ASSERT_OK(ordo_completion_queue_post(q.q, cancelled, 3));
    ORDO_ASSERT_OK(ordo_future_cancel(cancelled));
    ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], &e, 1));
    ASSERT_EQ(clSetUserEventStatus(e, CL_COMPLETE), CL_SUCCESS);
    std::vector<ordo_completion> got;
    while (got.size() < 3) {
        ordo_completion batch[4];
        size_t n = 0;
        ORDO_ASSERT_OK(ordo_completion_queue_wait(q.q, eventually(), batch, 4, &n));
        got.insert(got.end(), batch, batch + n);
    }
    EXPECT_EQ(tags(got), (std::vector<uint64_t>{3, 1, 2}));
    EXPECT_EQ(got[0].status, ORDO_ERROR_CANCELLED);
    EXPECT_EQ(got[1].status, ORDO_OK);
    EXPECT_EQ(got[2].status, ORDO_OK);
    ordo_future_destroy(grant);
    ordo_future_destroy(events);
    ordo_future_destroy(cancelled);
    clReleaseEvent(e);
}

// Posting and reading from inside a future's callback (ordo.h allows both).
TEST(CompletionQueue, PostAndReadFromACallback) {
    struct Ctx {
        ordo_completion_queue q;
        ordo_future second;
        size_t read_in_callback = 99;
        int post_status = 1;
    } ctx{};
    Queue q;
    Promise first, second;
    ctx.q = q.q;
    ctx.second = second.f;
    ORDO_ASSERT_OK(ordo_completion_queue_post(q.q, first.f, 1));
    ORDO_ASSERT_OK(ordo_future_on_complete(
        first.f,
        [](void *p, int) {
            auto *c = static_cast<Ctx *>(p);
            c->post_status = ordo_completion_queue_post(c->q, c->second, 2);
            ordo_completion out[4];
            ordo_completion_queue_read(c->q, out, 4, &c->read_in_callback);
        },
        &ctx));
    ORDO_ASSERT_OK(ordo_promise_complete(first.p, nullptr, 0));
    EXPECT_EQ(ctx.post_status, ORDO_OK);
    EXPECT_EQ(ctx.read_in_callback, 1u) << "the first completion, read in its own callback";
    ORDO_ASSERT_OK(ordo_promise_complete(second.p, nullptr, 0));
    EXPECT_EQ(tags(q.read()), std::vector<uint64_t>{2});
}

// Producers on several threads, one reader: every tag exactly once.
TEST(CompletionQueue, ManyProducersOneReaderEveryTagOnce) {
    constexpr int kThreads = 4, kEach = 2'000;
    Queue q;
    std::vector<ordo_promise> promises(kThreads * kEach);
    for (size_t i = 0; i < promises.size(); ++i) {
        ORDO_ASSERT_OK(ordo_promise_create(&promises[i]));
        ordo_future f;
        ORDO_ASSERT_OK(ordo_promise_future(promises[i], &f));
        ORDO_ASSERT_OK(ordo_completion_queue_post(q.q, f, i));
        ordo_future_destroy(f);
    }
    std::vector<std::thread> producers;
    for (int t = 0; t < kThreads; ++t)
        producers.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i)
                ordo_promise_complete(promises[t * kEach + i], nullptr, 0);
        });
    std::vector<uint64_t> seen;
    while (seen.size() < promises.size()) {
        pollfd p{q.fd, POLLIN, 0};
        ASSERT_EQ(poll(&p, 1, 10'000), 1) << "no wake-up with completions due";
        for (const ordo_completion &c : q.read(256))
            seen.push_back(c.tag);
    }
    for (std::thread &t : producers)
        t.join();
    std::sort(seen.begin(), seen.end());
    for (size_t i = 0; i < seen.size(); ++i)
        ASSERT_EQ(seen[i], i);
    EXPECT_TRUE(q.read().empty());
    for (ordo_promise p : promises)
        ordo_promise_destroy(p);
}

// Bad input: a clear status, and nothing changes.
TEST(CompletionQueue, BadArgumentsChangeNothing) {
    Queue q;
    Promise a;
    ordo_completion c;
    size_t n;
    EXPECT_EQ(ordo_completion_queue_create(nullptr), ORDO_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(ordo_completion_queue_fd(q.q, nullptr), ORDO_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(ordo_completion_queue_post(nullptr, a.f, 1), ORDO_ERROR_INVALID_HANDLE);
    EXPECT_EQ(ordo_completion_queue_post(q.q, nullptr, 1), ORDO_ERROR_INVALID_HANDLE);
    EXPECT_EQ(ordo_completion_queue_post(reinterpret_cast<ordo_completion_queue>(a.f), a.f, 1),
              ORDO_ERROR_INVALID_HANDLE);
    EXPECT_NE(std::string(ordo_last_error_message()).find("ordo_future handle"), std::string::npos)
        << ordo_last_error_message();
    EXPECT_EQ(ordo_completion_queue_read(q.q, nullptr, 1, &n), ORDO_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(ordo_completion_queue_read(q.q, &c, 0, &n), ORDO_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(ordo_completion_queue_read(q.q, &c, 1, nullptr), ORDO_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(ordo_completion_queue_wait(q.q, ordo_now(), &c, 0, &n), ORDO_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(ordo_completion_queue_outstanding(q.q, nullptr), ORDO_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(q.outstanding(), 0u);

    ordo_completion_queue stale;
    ORDO_ASSERT_OK(ordo_completion_queue_create(&stale));
    ORDO_ASSERT_OK(ordo_completion_queue_destroy(stale));
    EXPECT_EQ(ordo_completion_queue_post(stale, a.f, 1), ORDO_ERROR_INVALID_HANDLE);
    EXPECT_EQ(ordo_completion_queue_destroy(stale), ORDO_ERROR_INVALID_HANDLE);
    EXPECT_EQ(ordo_completion_queue_destroy(nullptr), ORDO_OK);
    ORDO_ASSERT_OK(ordo_promise_complete(a.p, nullptr, 0));
    EXPECT_TRUE(q.read().empty()) << "a refused post queued a completion";
}
