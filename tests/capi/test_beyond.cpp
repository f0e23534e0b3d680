// Beyond katsdpsigproc: shared and exclusive tickets, multi-resource tickets,
// deferred device waits, rings, diagnostics and tracing.
#include "../support/cl_env.hpp"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <latch>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

using namespace ordo_test;

namespace {

std::set<cl_event> events_of(ordo_ticket t) {
    const cl_event *events = nullptr;
    size_t n = 0;
    EXPECT_EQ(ordo_ticket_wait(t, ordo_now(), &events, &n), ORDO_OK);
    return std::set<cl_event>(events, events + n);
}

std::string dump_of(ordo_resource r) {
    size_t length = 0;
    EXPECT_EQ(ordo_diagnostics_dump(r, nullptr, 0, &length), ORDO_OK);
    std::string text(length + 1, '\0');
    EXPECT_EQ(ordo_diagnostics_dump(r, text.data(), text.size(), &length), ORDO_OK);
    text.resize(length);
    return text;
}

} // namespace

// E S S E S: readers run together after the first writer, the second writer
// after both readers (with the union of their events), the last reader after it.
TEST(SharedTickets, ReadersTogetherWritersAlone) {
    std::vector<cl_event> ev(5);
    for (auto &e : ev)
        e = make_user_event();
    {
        ordo_resource r = nullptr;
        ORDO_ASSERT_OK(ordo_resource_create(nullptr, "buffer", &r));
        ordo_ticket w1, s1, s2, w2, s3;
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &w1));
        ORDO_ASSERT_OK(ordo_resource_acquire_shared(r, &s1));
        ORDO_ASSERT_OK(ordo_resource_acquire_shared(r, &s2));
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &w2));
        ORDO_ASSERT_OK(ordo_resource_acquire_shared(r, &s3));
        EXPECT_TRUE(granted(w1));
        EXPECT_FALSE(granted(s1));
        EXPECT_FALSE(granted(s2));
        ORDO_ASSERT_OK(ordo_ticket_ready(w1, &ev[0], 1));
        EXPECT_EQ(events_of(s1), std::set<cl_event>{ev[0]});
        EXPECT_EQ(events_of(s2), std::set<cl_event>{ev[0]});
        EXPECT_FALSE(granted(w2));
        EXPECT_FALSE(granted(s3)); // never overtakes the earlier writer
        ORDO_ASSERT_OK(ordo_ticket_ready(s2, &ev[2], 1));
        EXPECT_FALSE(granted(w2));
        ORDO_ASSERT_OK(ordo_ticket_ready(s1, &ev[1], 1));
        EXPECT_EQ(events_of(w2), (std::set<cl_event>{ev[1], ev[2]}));
        EXPECT_FALSE(granted(s3));
        ORDO_ASSERT_OK(ordo_ticket_ready(w2, &ev[3], 1));
        EXPECT_EQ(events_of(s3), std::set<cl_event>{ev[3]});
        ORDO_ASSERT_OK(ordo_ticket_ready(s3, &ev[4], 1));
        for (auto t : {w1, s1, s2, w2, s3})
            ordo_ticket_destroy(t);
        ordo_resource_destroy(r);
    }
    for (auto e : ev) {
        EXPECT_TRUE(reference_count_returns_to(e, 1));
        clSetUserEventStatus(e, CL_COMPLETE);
        clReleaseEvent(e);
    }
}

// Random sequences of modes, random release order among grantable tickets,
// checked against a reference model of who may hold together and which
// events each must see.
TEST(SharedTickets, MatchesReferenceModelThroughTheCApi) {
    std::mt19937 rng(99);
    for (int round = 0; round < 25; ++round) {
        int n = 2 + static_cast<int>(rng() % 20);
        std::vector<bool> shared(n);
        std::vector<std::vector<int>> deps(n);
        int last_exclusive = -1;
        std::vector<int> group;
        for (int i = 0; i < n; ++i) {
            shared[i] = rng() % 3 != 0;
            if (!shared[i]) {
                deps[i] = !group.empty() ? group
                                         : (last_exclusive >= 0 ? std::vector<int>{last_exclusive}
                                                                : std::vector<int>{});
                group.clear();
                last_exclusive = i;
            } else {
                if (last_exclusive >= 0)
                    deps[i] = {last_exclusive};
                group.push_back(i);
            }
        }
        ordo_resource r = nullptr;
        ORDO_ASSERT_OK(ordo_resource_create(nullptr, "model", &r));
        std::vector<ordo_ticket> t(n);
        std::vector<cl_event> ev(n);
        for (int i = 0; i < n; ++i) {
            ORDO_ASSERT_OK(shared[i] ? ordo_resource_acquire_shared(r, &t[i])
                                     : ordo_resource_acquire(r, &t[i]));
            ev[i] = make_user_event();
        }
        std::vector<bool> released(n, false);
        for (int step = 0; step < n; ++step) {
            std::vector<int> can;
            for (int i = 0; i < n; ++i) {
                if (released[i])
                    continue;
                bool model = true;
                for (int d : deps[i])
                    model = model && released[d];
                ASSERT_EQ(granted(t[i]), model) << "round " << round << " ticket " << i;
                if (model)
                    can.push_back(i);
            }
            int pick = can[rng() % can.size()];
            std::set<cl_event> want;
            for (int d : deps[pick])
                want.insert(ev[d]);
            ASSERT_EQ(events_of(t[pick]), want);
            ORDO_ASSERT_OK(ordo_ticket_ready(t[pick], &ev[pick], 1));
            released[pick] = true;
        }
        for (auto x : t)
            ordo_ticket_destroy(x);
        ordo_resource_destroy(r);
        for (auto e : ev) {
            EXPECT_TRUE(reference_count_returns_to(e, 1));
            clSetUserEventStatus(e, CL_COMPLETE);
            clReleaseEvent(e);
        }
    }
}

TEST(MultiTickets, OneWaitOneReleaseUnionOfEvents) {
    cl_event ea = make_user_event(), eb = make_user_event(), done = make_user_event();
    {
        ordo_resource a, b;
        ORDO_ASSERT_OK(ordo_resource_create(nullptr, "a", &a));
        ORDO_ASSERT_OK(ordo_resource_create(nullptr, "b", &b));
        ordo_ticket ta, tb;
        ORDO_ASSERT_OK(ordo_resource_acquire(a, &ta));
        ORDO_ASSERT_OK(ordo_resource_acquire(b, &tb));
        ordo_resource both[] = {a, b};
        ordo_multi_ticket m;
        ORDO_ASSERT_OK(ordo_resource_acquire_many(both, nullptr, 2, &m));
        size_t n = 0;
        ORDO_ASSERT_OK(ordo_multi_ticket_size(m, &n));
        EXPECT_EQ(n, 2u);
        ORDO_ASSERT_OK(ordo_ticket_ready(ta, &ea, 1));
        EXPECT_EQ(ordo_multi_ticket_wait(m, soon(), nullptr, nullptr), ORDO_ERROR_TIMEOUT);
        ORDO_ASSERT_OK(ordo_ticket_ready(tb, &eb, 1));
        const cl_event *events = nullptr;
        ORDO_ASSERT_OK(ordo_multi_ticket_wait(m, soon(), &events, &n));
        EXPECT_EQ(std::set<cl_event>(events, events + n), (std::set<cl_event>{ea, eb}));
        // After: one ticket on each; one release frees both.
        ordo_ticket after_a, after_b;
        ORDO_ASSERT_OK(ordo_resource_acquire(a, &after_a));
        ORDO_ASSERT_OK(ordo_resource_acquire(b, &after_b));
        ORDO_ASSERT_OK(ordo_multi_ticket_ready(m, &done, 1));
        EXPECT_EQ(events_of(after_a), std::set<cl_event>{done});
        EXPECT_EQ(events_of(after_b), std::set<cl_event>{done});
        EXPECT_EQ(ordo_multi_ticket_ready(m, nullptr, 0), ORDO_ERROR_INVALID_STATE);
        ordo_multi_ticket_destroy(m);
        for (auto t : {ta, tb, after_a, after_b})
            ordo_ticket_destroy(t);
        ordo_resource_destroy(a);
        ordo_resource_destroy(b);
    }
    for (auto e : {ea, eb, done}) {
        EXPECT_TRUE(reference_count_returns_to(e, 1));
        clSetUserEventStatus(e, CL_COMPLETE);
        clReleaseEvent(e);
    }
}

TEST(MultiTickets, EachReleasedOnItsOwnAndBadInput) {
    ordo_resource a, b;
    ORDO_ASSERT_OK(ordo_resource_create(nullptr, "a", &a));
    ORDO_ASSERT_OK(ordo_resource_create(nullptr, "b", &b));
    ordo_resource both[] = {a, b};
    ordo_mode modes[] = {ORDO_SHARED, ORDO_EXCLUSIVE};
    ordo_multi_ticket m;
    ORDO_ASSERT_OK(ordo_resource_acquire_many(both, modes, 2, &m));
    ordo_ticket next_a;
    ORDO_ASSERT_OK(ordo_resource_acquire(a, &next_a));
    ORDO_ASSERT_OK(ordo_multi_ticket_wait(m, soon(), nullptr, nullptr));
    ORDO_ASSERT_OK(ordo_multi_ticket_ready_one(m, 0, nullptr, 0));
    EXPECT_TRUE(granted(next_a));
    EXPECT_EQ(ordo_multi_ticket_ready_one(m, 0, nullptr, 0), ORDO_ERROR_INVALID_STATE);
    EXPECT_EQ(ordo_multi_ticket_ready_one(m, 2, nullptr, 0), ORDO_ERROR_INVALID_ARGUMENT);
    ORDO_ASSERT_OK(ordo_multi_ticket_fail(m, ORDO_ERROR_FAILED, "b's work failed")); // b only
    ordo_ticket next_b;
    ORDO_ASSERT_OK(ordo_resource_acquire(b, &next_b));
    EXPECT_EQ(ordo_ticket_wait(next_b, soon(), nullptr, nullptr), ORDO_ERROR_FAILED);
    ordo_resource same[] = {a, a};
    ordo_multi_ticket bad = nullptr;
    EXPECT_EQ(ordo_resource_acquire_many(same, nullptr, 2, &bad), ORDO_ERROR_INVALID_ARGUMENT);
    ordo_mode wrong_mode[] = {static_cast<ordo_mode>(7), ORDO_EXCLUSIVE};
    EXPECT_EQ(ordo_resource_acquire_many(both, wrong_mode, 2, &bad), ORDO_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(ordo_resource_acquire_many(both, nullptr, 0, &bad), ORDO_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(ordo_resource_acquire_many(nullptr, nullptr, 2, &bad), ORDO_ERROR_INVALID_ARGUMENT);
    ordo_resource with_null[] = {a, nullptr};
    EXPECT_EQ(ordo_resource_acquire_many(with_null, nullptr, 2, &bad), ORDO_ERROR_INVALID_HANDLE);
    EXPECT_EQ(bad, nullptr);
    // Nothing was taken by the failed calls: next_a still comes right after m's ticket.
    ORDO_ASSERT_OK(ordo_ticket_ready(next_a, nullptr, 0));
    ordo_ticket last_a;
    ORDO_ASSERT_OK(ordo_resource_acquire(a, &last_a));
    EXPECT_TRUE(granted(last_a));
    ORDO_ASSERT_OK(ordo_ticket_ready(next_b, nullptr, 0));
    ORDO_ASSERT_OK(ordo_ticket_ready(last_a, nullptr, 0));
    ordo_multi_ticket_destroy(m);
    for (auto t : {next_a, next_b, last_a})
        ordo_ticket_destroy(t);
    ordo_resource_destroy(a);
    ordo_resource_destroy(b);
}

// Four threads take multi-tickets on overlapping resources, listed in
// opposite orders, and hold all of them while they work: with places taken
// one resource at a time this deadlocks; with ordo_resource_acquire_many it cannot.
TEST(MultiTickets, OverlappingAcquirersNeverDeadlock) {
    constexpr int kRounds = 300;
    ordo_resource r[3];
    for (auto &x : r)
        ORDO_ASSERT_OK(ordo_resource_create(nullptr, "overlap", &x));
    std::atomic<int> timeouts{0};
    std::atomic<int> inside[3] = {0, 0, 0};
    std::atomic<int> overlaps{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            std::mt19937 rng(t);
            for (int i = 0; i < kRounds; ++i) {
                std::vector<int> pick = {0, 1, 2};
                std::shuffle(pick.begin(), pick.end(), rng);
                pick.resize(2);
                ordo_resource set[] = {r[pick[0]], r[pick[1]]};
                ordo_multi_ticket m;
                EXPECT_EQ(ordo_resource_acquire_many(set, nullptr, 2, &m), ORDO_OK);
                if (ordo_multi_ticket_wait(m, eventually(), nullptr, nullptr) != ORDO_OK) {
                    timeouts.fetch_add(1);
                    ordo_multi_ticket_destroy(m);
                    return;
                }
                for (int k : pick)
                    if (inside[k].fetch_add(1) != 0)
                        overlaps.fetch_add(1);
                for (int k : pick)
                    inside[k].fetch_sub(1);
                EXPECT_EQ(ordo_multi_ticket_ready(m, nullptr, 0), ORDO_OK);
                ordo_multi_ticket_destroy(m);
            }
        });
    }
    for (auto &th : threads)
        th.join();
    EXPECT_EQ(timeouts.load(), 0);
    EXPECT_EQ(overlaps.load(), 0); // exclusive holders never overlap
    for (auto x : r)
        ordo_resource_destroy(x);
}

// Regression (a hang on Mesa's Rusticl, which completes the commands of a
// flushed batch only once all of them can): a deferred device wait enqueued
// its marker and its barrier without a flush between them, so the marker
// waited with the barrier, the barrier for ordo's user event, and ordo set
// that event only once the marker had ended. The marker is flushed first.
TEST(DeferredWait, BarrierCompletesWhenItsQueueIsFlushedOnce) {
    ORDO_SKIP_ON("oclgrind", "its clFlush runs the queue on this thread and waits there for the "
                             "deferred barrier's user event");
    ClEnv &env = cl_env();
    cl_int err = CL_SUCCESS;
    cl_command_queue q = clCreateCommandQueue(env.context, env.device, 0, &err);
    ASSERT_EQ(err, CL_SUCCESS);
    cl_event barrier = nullptr, after = nullptr;
    {
        Chain c(2);
        ORDO_ASSERT_OK(ordo_ticket_enqueue_wait_deferred(c.t[1], q, &barrier));
        ASSERT_EQ(clEnqueueMarkerWithWaitList(q, 0, nullptr, &after), CL_SUCCESS);
        ASSERT_EQ(clFlush(q), CL_SUCCESS); // once, with the barrier in the batch
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], nullptr, 0));
        ordo_future ended = nullptr;
        ORDO_ASSERT_OK(ordo_events_wait_async(&after, 1, &ended));
        ORDO_EXPECT_OK(ordo_future_wait(ended, eventually(), 0));
        EXPECT_EQ(execution_status(barrier), CL_COMPLETE);
        ordo_future_destroy(ended);
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[1], nullptr, 0));
    }
    EXPECT_EQ(clFinish(q), CL_SUCCESS);
    clReleaseEvent(after);
    EXPECT_TRUE(reference_count_returns_to(barrier, 1));
    clReleaseEvent(barrier);
    clReleaseCommandQueue(q);
}

// A three-stage chain of chunks (upload, copy, download on three queues)
// enqueued entirely with deferred device waits, behind a gate that opens
// only after the host has enqueued everything: the host never blocks.
TEST(DeferredWait, ThreeStageChainWithoutHostWaits) {
    ORDO_SKIP_ON("oclgrind", "its clFlush (inside ordo_ticket_ready) runs a queue that waits on "
                             "an unset user event on the calling thread, which is exactly what "
                             "this host must never do");
    ClEnv &env = cl_env();
    cl_int err = CL_SUCCESS;
    cl_command_queue q3 = clCreateCommandQueue(env.context, env.device, 0, &err);
    ASSERT_EQ(err, CL_SUCCESS);
    constexpr int chunks = 6;
    constexpr size_t n = 4096;
    cl_mem a = clCreateBuffer(env.context, CL_MEM_READ_WRITE, n * sizeof(float), nullptr, &err);
    cl_mem b = clCreateBuffer(env.context, CL_MEM_READ_WRITE, n * sizeof(float), nullptr, &err);
    std::vector<std::vector<float>> in(chunks, std::vector<float>(n)),
        out(chunks, std::vector<float>(n));
    for (int k = 0; k < chunks; ++k)
        std::fill(in[k].begin(), in[k].end(), float(k + 1));
    ordo_resource ra, rb;
    ORDO_ASSERT_OK(ordo_resource_create(a, "a", &ra));
    ORDO_ASSERT_OK(ordo_resource_create(b, "b", &rb));
    cl_event gate = make_user_event();
    // If any call below blocked on the device, the gate would never open:
    // the watchdog opens it after a deadline and the test fails.
    std::atomic<bool> enqueued{false}, watchdog_fired{false};
    std::latch done_enqueueing(1);
    std::thread watchdog([&] {
        ordo_deadline deadline = ordo_deadline_after(20'000'000'000);
        while (!enqueued.load() && ordo_now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        if (!enqueued.load()) {
            watchdog_fired = true;
            clSetUserEventStatus(gate, CL_COMPLETE);
        }
        done_enqueueing.wait();
    });
    std::vector<cl_event> last(chunks), barriers;
    std::vector<ordo_ticket> tickets;
    for (int k = 0; k < chunks; ++k) {
        ordo_ticket ta, tb;
        ORDO_ASSERT_OK(ordo_resource_acquire(ra, &ta));
        ORDO_ASSERT_OK(ordo_resource_acquire(rb, &tb));
        tickets.push_back(ta);
        tickets.push_back(tb);
        cl_event barrier, written, copied;
        ORDO_ASSERT_OK(ordo_ticket_enqueue_wait_deferred(ta, env.queue1, &barrier));
        barriers.push_back(barrier);
        ASSERT_EQ(clEnqueueWriteBuffer(env.queue1, a, CL_FALSE, 0, n * sizeof(float), in[k].data(),
                                       k == 0 ? 1 : 0, k == 0 ? &gate : nullptr, &written),
                  CL_SUCCESS);
        clFlush(env.queue1);
        ORDO_ASSERT_OK(ordo_ticket_enqueue_wait_deferred(tb, env.queue2, &barrier));
        barriers.push_back(barrier);
        ASSERT_EQ(
            clEnqueueCopyBuffer(env.queue2, a, b, 0, 0, n * sizeof(float), 1, &written, &copied),
            CL_SUCCESS);
        ORDO_ASSERT_OK(ordo_ticket_ready(ta, &copied, 1));
        ASSERT_EQ(clEnqueueReadBuffer(q3, b, CL_FALSE, 0, n * sizeof(float), out[k].data(), 1,
                                      &copied, &last[k]),
                  CL_SUCCESS);
        clFlush(q3);
        ORDO_ASSERT_OK(ordo_ticket_ready(tb, &last[k], 1));
        clReleaseEvent(written);
        clReleaseEvent(copied);
    }
    enqueued = true;
    // Nothing can have run yet: everything sits behind the gate.
    for (int k = 0; k < chunks; ++k)
        EXPECT_NE(execution_status(last[k]), CL_COMPLETE) << k;
    clSetUserEventStatus(gate, CL_COMPLETE);
    done_enqueueing.count_down();
    watchdog.join();
    EXPECT_FALSE(watchdog_fired.load());
    ASSERT_EQ(clWaitForEvents(chunks, last.data()), CL_SUCCESS);
    for (int k = 0; k < chunks; ++k)
        EXPECT_EQ(out[k], in[k]) << "chunk " << k;
    for (auto t : tickets)
        ordo_ticket_destroy(t);
    ordo_resource_destroy(ra);
    ordo_resource_destroy(rb);
    clFinish(env.queue1);
    clFinish(env.queue2);
    clFinish(q3);
    for (auto e : barriers) {
        EXPECT_EQ(execution_status(e), CL_COMPLETE);
        clReleaseEvent(e);
    }
    for (auto e : last)
        clReleaseEvent(e);
    clReleaseEvent(gate);
    clReleaseMemObject(a);
    clReleaseMemObject(b);
    clReleaseCommandQueue(q3);
}

TEST(DeferredWait, PredecessorFailureFailsTheBarrier) {
    ClEnv &env = cl_env();
    ordo_resource r;
    ordo_ticket a, b;
    ORDO_ASSERT_OK(ordo_resource_create(nullptr, "deferred", &r));
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &a));
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &b));
    cl_event barrier = nullptr;
    ORDO_ASSERT_OK(ordo_ticket_enqueue_wait_deferred(b, env.queue2, &barrier));
    EXPECT_NE(execution_status(barrier), CL_COMPLETE);
    ORDO_ASSERT_OK(ordo_ticket_fail(a, ORDO_ERROR_FAILED, "upload failed"));
    // Flushed only now: on Oclgrind a flush runs the queue on this thread.
    clFlush(env.queue2);
    ordo_future f;
    ORDO_ASSERT_OK(ordo_events_wait_async(&barrier, 1, &f));
    EXPECT_EQ(ordo_future_wait(f, eventually(), 0), ORDO_ERROR_EVENT_FAILED);
    ordo_future_destroy(f);
    EXPECT_EQ(ordo_ticket_enqueue_wait_deferred(b, nullptr, nullptr), ORDO_ERROR_INVALID_ARGUMENT);
    ORDO_ASSERT_OK(ordo_ticket_ready(b, nullptr, 0));
    EXPECT_EQ(ordo_ticket_enqueue_wait_deferred(b, env.queue2, nullptr), ORDO_ERROR_INVALID_STATE);
    ordo_ticket_destroy(a);
    ordo_ticket_destroy(b);
    ordo_resource_destroy(r);
    clFinish(env.queue2);
    clReleaseEvent(barrier);
}

TEST(Rings, HandOutResourcesInTurn) {
    int values[3] = {10, 11, 12};
    ordo_resource r[3];
    for (int i = 0; i < 3; ++i)
        ORDO_ASSERT_OK(ordo_resource_create(&values[i], "slot", &r[i]));
    ordo_ring ring;
    ORDO_ASSERT_OK(ordo_ring_create(r, 3, &ring));
    for (auto x : r)
        ordo_resource_destroy(x); // the ring keeps them
    std::vector<ordo_ticket> t(7);
    for (int k = 0; k < 7; ++k) {
        size_t index = 99;
        ORDO_ASSERT_OK(ordo_ring_acquire(ring, ORDO_EXCLUSIVE, &t[k], &index));
        EXPECT_EQ(index, static_cast<size_t>(k % 3));
        void *value = nullptr;
        ORDO_ASSERT_OK(ordo_ticket_value(t[k], &value));
        EXPECT_EQ(value, &values[k % 3]);
    }
    for (int k = 0; k < 3; ++k)
        EXPECT_TRUE(granted(t[k]));
    for (int k = 3; k < 7; ++k)
        EXPECT_FALSE(granted(t[k]));
    ORDO_ASSERT_OK(ordo_ticket_ready(t[0], nullptr, 0));
    EXPECT_TRUE(granted(t[3]));
    EXPECT_FALSE(granted(t[6]));
    ORDO_ASSERT_OK(ordo_ticket_ready(t[3], nullptr, 0));
    EXPECT_TRUE(granted(t[6]));
    size_t size = 0;
    ORDO_ASSERT_OK(ordo_ring_size(ring, &size));
    EXPECT_EQ(size, 3u);
    void *value = nullptr;
    EXPECT_EQ(ordo_ring_value(ring, 3, &value), ORDO_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(ordo_ring_acquire(ring, static_cast<ordo_mode>(5), &t[0], nullptr),
              ORDO_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(ordo_ring_create(nullptr, 2, &ring), ORDO_ERROR_INVALID_ARGUMENT);
    for (int k : {1, 2, 4, 5, 6})
        ORDO_ASSERT_OK(ordo_ticket_ready(t[k], nullptr, 0));
    for (auto x : t)
        ordo_ticket_destroy(x);
    ordo_ring_destroy(ring);
}

TEST(Diagnostics, DumpShowsHoldersWaitersAndEvents) {
    ORDO_ASSERT_OK(ordo_diagnostics_enable(1));
    cl_event e = make_user_event();
    ordo_resource r;
    ORDO_ASSERT_OK(ordo_resource_create(nullptr, "d_in[0]", &r));
    ordo_ticket a, b, c;
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &a));
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &b));
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &c));
    ORDO_ASSERT_OK(ordo_ticket_set_name(a, "chunk 0"));
    ORDO_ASSERT_OK(ordo_ticket_set_name(b, "chunk 1"));
    ORDO_ASSERT_OK(ordo_ticket_wait(a, soon(), nullptr, nullptr));
    std::string text = dump_of(r);
    EXPECT_NE(text.find("resource"), std::string::npos);
    EXPECT_NE(text.find("\"d_in[0]\""), std::string::npos) << text;
    EXPECT_NE(text.find("\"chunk 0\" exclusive"), std::string::npos) << text;
    EXPECT_NE(text.find("granted, held"), std::string::npos) << text;
    EXPECT_NE(text.find("not granted yet"), std::string::npos) << text;
    // b's holder waits on the host from another thread: the dump says so.
    std::thread waiter(
        [&] { EXPECT_EQ(ordo_ticket_wait_complete(b, eventually(), nullptr, nullptr), ORDO_OK); });
    ordo_deadline deadline = eventually();
    while (dump_of(r).find("host wait") == std::string::npos && ordo_now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_NE(dump_of(r).find("host wait"), std::string::npos);
    ORDO_ASSERT_OK(ordo_ticket_ready(a, &e, 1));
    // Granted, but its event has not completed: the dump shows the event's status.
    deadline = eventually();
    while (dump_of(r).find("CL_SUBMITTED") == std::string::npos && ordo_now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    text = dump_of(r);
    EXPECT_NE(text.find("predecessor's events"), std::string::npos) << text;
    clSetUserEventStatus(e, CL_COMPLETE);
    waiter.join();
    // Everything (NULL): lists this resource too.
    EXPECT_NE(dump_of(nullptr).find("\"d_in[0]\""), std::string::npos);
    // A small buffer is truncated and NUL-terminated; the full length is reported.
    char small[16];
    size_t length = 0;
    ORDO_ASSERT_OK(ordo_diagnostics_dump(r, small, sizeof small, &length));
    EXPECT_EQ(std::strlen(small), sizeof small - 1);
    EXPECT_GT(length, sizeof small);
    EXPECT_EQ(ordo_diagnostics_dump(r, nullptr, 4, &length), ORDO_ERROR_INVALID_ARGUMENT);
    for (auto t : {a, b, c}) {
        ordo_ticket_ready(t, nullptr, 0);
        ordo_ticket_destroy(t);
    }
    ordo_resource_destroy(r);
    ORDO_ASSERT_OK(ordo_diagnostics_enable(0));
    EXPECT_TRUE(reference_count_returns_to(e, 1));
    clReleaseEvent(e);
}

TEST(Diagnostics, LongWaitIsReportedWithADump) {
    LogCapture log;
    ORDO_ASSERT_OK(ordo_diagnostics_set_wait_warning(5'000'000));
    ordo_resource r;
    ORDO_ASSERT_OK(ordo_resource_create(nullptr, "slow buffer", &r));
    ordo_ticket a, b;
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &a));
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &b));
    ORDO_ASSERT_OK(ordo_ticket_set_name(a, "the slow one"));
    std::thread releaser([&] {
        ordo_deadline deadline = eventually();
        while (!log.contains("has waited") && ordo_now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        EXPECT_EQ(ordo_ticket_ready(a, nullptr, 0), ORDO_OK);
    });
    ORDO_EXPECT_OK(ordo_ticket_wait(b, eventually(), nullptr, nullptr));
    releaser.join();
    EXPECT_TRUE(log.contains("\"slow buffer\""));
    EXPECT_TRUE(log.contains("\"the slow one\""));
    ORDO_ASSERT_OK(ordo_diagnostics_set_wait_warning(0));
    EXPECT_EQ(ordo_diagnostics_set_wait_warning(-1), ORDO_ERROR_INVALID_ARGUMENT);
    ordo_ticket_ready(b, nullptr, 0);
    ordo_ticket_destroy(a);
    ordo_ticket_destroy(b);
    ordo_resource_destroy(r);
}

TEST(Tracing, ChromeTraceHasASliceAndAGrantPerTicket) {
    ORDO_ASSERT_OK(ordo_trace_start(1024));
    ORDO_ASSERT_OK(ordo_diagnostics_enable(1)); // to see when the waiter blocks
    ordo_resource r;
    ORDO_ASSERT_OK(ordo_resource_create(nullptr, "traced \"buffer\"", &r));
    constexpr int n = 5;
    std::vector<ordo_ticket> t(n);
    for (auto &x : t)
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &x));
    std::thread waiter(
        [&] { EXPECT_EQ(ordo_ticket_wait(t[1], eventually(), nullptr, nullptr), ORDO_OK); });
    ordo_deadline deadline = eventually();
    while (dump_of(r).find("host wait") == std::string::npos && ordo_now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ORDO_ASSERT_OK(ordo_diagnostics_enable(0));
    ORDO_ASSERT_OK(ordo_ticket_wait(t[0], soon(), nullptr, nullptr));
    ORDO_ASSERT_OK(ordo_ticket_ready(t[0], nullptr, 0));
    waiter.join();
    for (int i = 1; i < n; ++i) {
        ORDO_ASSERT_OK(ordo_ticket_wait(t[i], soon(), nullptr, nullptr));
        ORDO_ASSERT_OK(ordo_ticket_ready(t[i], nullptr, 0));
    }
    ORDO_ASSERT_OK(ordo_trace_stop());
    std::string path = ::testing::TempDir() + "ordo_trace.json";
    ORDO_ASSERT_OK(ordo_trace_write(path.c_str()));
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string json = ss.str();
    auto count = [&](const std::string &needle) {
        size_t c = 0;
        for (size_t p = json.find(needle); p != std::string::npos; p = json.find(needle, p + 1))
            ++c;
        return c;
    };
    EXPECT_EQ(json.rfind("{\"displayTimeUnit\"", 0), 0u);
    EXPECT_EQ(count("\"ph\":\"b\""), static_cast<size_t>(n));
    EXPECT_EQ(count("\"ph\":\"e\""), static_cast<size_t>(n));
    EXPECT_EQ(count("\"event\":\"granted\""), static_cast<size_t>(n));
    EXPECT_GE(count("\"ph\":\"B\""), 1u); // the other thread's host wait
    EXPECT_EQ(count("\"ph\":\"B\""), count("\"ph\":\"E\""));
    EXPECT_NE(json.find("traced \\\"buffer\\\""), std::string::npos); // escaped
    EXPECT_EQ(ordo_trace_write("/nonexistent-dir/trace.json"), ORDO_ERROR_SYSTEM);
    EXPECT_EQ(ordo_trace_start(0), ORDO_ERROR_INVALID_ARGUMENT);
    for (auto x : t)
        ordo_ticket_destroy(x);
    ordo_resource_destroy(r);
}

// Regression (ThreadSanitizer: a data race on a ticket's resource pointer).
// With tracing on, cancelling a grant future recorded the cancel with the
// resource's name read through the ticket, while the ticket's holder,
// destroying its handle on another thread, let go of the resource. Each
// record now names the ticket only; the name comes from its acquire record.
TEST(Tracing, CancelThroughTheGrantFutureRacesTheHoldersDestroy) {
    ORDO_ASSERT_OK(ordo_trace_start(4096));
    for (int round = 0; round < 500; ++round) {
        ordo_resource r = nullptr;
        ordo_ticket first = nullptr, second = nullptr;
        ordo_future grant = nullptr;
        ORDO_ASSERT_OK(ordo_resource_create(nullptr, "raced", &r));
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &first));
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &second));
        ORDO_ASSERT_OK(ordo_resource_destroy(r));
        ORDO_ASSERT_OK(ordo_ticket_grant_future(second, &grant));
        std::latch start(2);
        std::thread canceller([&] {
            start.arrive_and_wait();
            int status = ordo_future_cancel(grant);
            EXPECT_TRUE(status == ORDO_OK || status == ORDO_ERROR_INVALID_STATE)
                << ordo_last_error_message();
        });
        start.arrive_and_wait();
        ORDO_EXPECT_OK(ordo_ticket_destroy(second));
        canceller.join();
        ORDO_EXPECT_OK(ordo_ticket_ready(first, nullptr, 0));
        ORDO_EXPECT_OK(ordo_ticket_destroy(first));
        ORDO_EXPECT_OK(ordo_future_destroy(grant));
    }
    ORDO_ASSERT_OK(ordo_trace_stop());
    std::string path = ::testing::TempDir() + "ordo_trace_race.json";
    ORDO_ASSERT_OK(ordo_trace_write(path.c_str()));
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_NE(ss.str().find("\"name\":\"raced\""), std::string::npos);
}
