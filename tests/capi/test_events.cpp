// Rules 3 and 4 (docs/CONTRACT.md): event chaining, the three ways to wait, and cl_event
// reference counts back to their baseline once all handles are gone.
#include "../support/cl_env.hpp"

#include <atomic>
#include <latch>
#include <thread>
#include <vector>

using namespace ordo_test;

namespace {

struct Pair {
    ordo_resource r = nullptr;
    ordo_ticket first = nullptr;
    ordo_ticket second = nullptr;
    Pair() {
        EXPECT_EQ(ordo_resource_create(nullptr, "pair", &r), ORDO_OK);
        EXPECT_EQ(ordo_resource_acquire(r, &first), ORDO_OK);
        EXPECT_EQ(ordo_resource_acquire(r, &second), ORDO_OK);
    }
    ~Pair() {
        ordo_ticket_destroy(first);
        ordo_ticket_destroy(second);
        ordo_resource_destroy(r);
    }
};

} // namespace

TEST(EventChaining, SuccessorReceivesTheReleasedEvents) {
    cl_event e1 = make_user_event();
    cl_event e2 = make_user_event();
    {
        Pair p;
        ORDO_ASSERT_OK(ordo_ticket_wait(p.first, soon(), nullptr, nullptr));
        cl_event released[] = {e1, e2};
        ORDO_ASSERT_OK(ordo_ticket_ready(p.first, released, 2));
        EXPECT_EQ(reference_count(e1), 2); // ours and the library's
        const cl_event *events = nullptr;
        size_t n = 0;
        ORDO_ASSERT_OK(ordo_ticket_wait(p.second, soon(), &events, &n));
        ASSERT_EQ(n, 2u);
        EXPECT_EQ(events[0], e1);
        EXPECT_EQ(events[1], e2);
        ORDO_ASSERT_OK(ordo_ticket_ready(p.second, nullptr, 0));
    }
    EXPECT_TRUE(reference_count_returns_to(e1, 1));
    EXPECT_TRUE(reference_count_returns_to(e2, 1));
    clSetUserEventStatus(e1, CL_COMPLETE);
    clSetUserEventStatus(e2, CL_COMPLETE);
    clReleaseEvent(e1);
    clReleaseEvent(e2);
}

TEST(EventChaining, WaitCompleteReturnsOnlyOnceEventsComplete) {
    cl_event e = make_user_event();
    {
        Pair p;
        ORDO_ASSERT_OK(ordo_ticket_ready(p.first, &e, 1));
        // Granted, but the event has not completed.
        EXPECT_EQ(ordo_ticket_wait_complete(p.second, soon(), nullptr, nullptr),
                  ORDO_ERROR_TIMEOUT);
        std::latch waiting(1);
        std::thread setter([&] {
            waiting.wait();
            clSetUserEventStatus(e, CL_COMPLETE);
        });
        waiting.count_down();
        const cl_event *events = nullptr;
        size_t n = 0;
        ORDO_EXPECT_OK(ordo_ticket_wait_complete(p.second, eventually(), &events, &n));
        EXPECT_EQ(n, 1u);
        EXPECT_EQ(execution_status(e), CL_COMPLETE);
        setter.join();
        ORDO_ASSERT_OK(ordo_ticket_ready(p.second, nullptr, 0));
    }
    EXPECT_TRUE(reference_count_returns_to(e, 1));
    clReleaseEvent(e);
}

TEST(EventChaining, ReferenceCountsReturnToBaselineAfterLongChain) {
    constexpr int n = 200;
    std::vector<cl_event> events(n);
    for (auto &e : events)
        e = make_user_event();
    {
        ordo_resource r = nullptr;
        ORDO_ASSERT_OK(ordo_resource_create(nullptr, "chain", &r));
        std::vector<ordo_ticket> tickets(n);
        for (auto &t : tickets)
            ORDO_ASSERT_OK(ordo_resource_acquire(r, &t));
        ordo_resource_destroy(r); // tickets keep the shared state alive
        // Half release before their grant, so events are merged on the way.
        for (int i = n - 1; i >= 0; i -= 2)
            ORDO_ASSERT_OK(ordo_ticket_ready(tickets[i], &events[i], 1));
        ordo_future last_grant = nullptr;
        for (int i = 0; i < n; i += 2) {
            ORDO_ASSERT_OK(ordo_ticket_wait(tickets[i], soon(), nullptr, nullptr));
            ORDO_ASSERT_OK(ordo_ticket_ready(tickets[i], &events[i], 1));
        }
        for (auto t : tickets)
            ordo_ticket_destroy(t);
        (void)last_grant;
    }
    for (auto e : events)
        clSetUserEventStatus(e, CL_COMPLETE);
    for (auto e : events) {
        EXPECT_TRUE(reference_count_returns_to(e, 1));
        clReleaseEvent(e);
    }
}

// Release before grant (rule 6): the successor receives the predecessor's
// events together with the early holder's, once the predecessor releases.
TEST(EventChaining, ReleaseBeforeGrantMergesEvents) {
    cl_event e0 = make_user_event();
    cl_event e1 = make_user_event();
    {
        ordo_resource r = nullptr;
        ordo_ticket t0 = nullptr, t1 = nullptr, t2 = nullptr;
        ORDO_ASSERT_OK(ordo_resource_create(nullptr, "early", &r));
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &t0));
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &t1));
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &t2));
        ORDO_ASSERT_OK(ordo_ticket_ready(t1, &e1, 1)); // before its grant
        EXPECT_EQ(ordo_ticket_wait(t2, soon(), nullptr, nullptr), ORDO_ERROR_TIMEOUT);
        ORDO_ASSERT_OK(ordo_ticket_ready(t0, &e0, 1));
        const cl_event *events = nullptr;
        size_t n = 0;
        ORDO_ASSERT_OK(ordo_ticket_wait(t2, soon(), &events, &n));
        ASSERT_EQ(n, 2u);
        EXPECT_EQ(events[0], e0);
        EXPECT_EQ(events[1], e1);
        for (auto t : {t0, t1, t2})
            ordo_ticket_destroy(t);
        ordo_resource_destroy(r);
    }
    EXPECT_TRUE(reference_count_returns_to(e0, 1));
    EXPECT_TRUE(reference_count_returns_to(e1, 1));
    clSetUserEventStatus(e0, CL_COMPLETE);
    clSetUserEventStatus(e1, CL_COMPLETE);
    clReleaseEvent(e0);
    clReleaseEvent(e1);
}

// A holder that saw its grant hands on only its own events.
TEST(EventChaining, SeenGrantIsNotForwarded) {
    cl_event e0 = make_user_event();
    cl_event e1 = make_user_event();
    {
        ordo_resource r = nullptr;
        ordo_ticket t0 = nullptr, t1 = nullptr, t2 = nullptr;
        ORDO_ASSERT_OK(ordo_resource_create(nullptr, "seen", &r));
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &t0));
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &t1));
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &t2));
        ORDO_ASSERT_OK(ordo_ticket_ready(t0, &e0, 1));
        ORDO_ASSERT_OK(ordo_ticket_wait(t1, soon(), nullptr, nullptr));
        ORDO_ASSERT_OK(ordo_ticket_ready(t1, &e1, 1));
        const cl_event *events = nullptr;
        size_t n = 0;
        ORDO_ASSERT_OK(ordo_ticket_wait(t2, soon(), &events, &n));
        ASSERT_EQ(n, 1u);
        EXPECT_EQ(events[0], e1);
        for (auto t : {t0, t1, t2})
            ordo_ticket_destroy(t);
        ordo_resource_destroy(r);
    }
    clSetUserEventStatus(e0, CL_COMPLETE);
    clSetUserEventStatus(e1, CL_COMPLETE);
    clReleaseEvent(e0);
    clReleaseEvent(e1);
}

// Rule 4, device wait: the second queue's read must see the first queue's
// write, which is held back by a gate until after the read was enqueued.
TEST(DeviceWait, SecondQueueSeesFirstQueueWrite) {
    ClEnv &env = cl_env();
    constexpr size_t n = 1 << 16;
    cl_int err = CL_SUCCESS;
    cl_mem buffer =
        clCreateBuffer(env.context, CL_MEM_READ_WRITE, n * sizeof(float), nullptr, &err);
    ASSERT_EQ(err, CL_SUCCESS);
    std::vector<float> zeros(n, 0.0f), pattern(n), result(n, -1.0f);
    for (size_t i = 0; i < n; ++i)
        pattern[i] = static_cast<float>(i % 1000) + 0.5f;
    ASSERT_EQ(clEnqueueWriteBuffer(env.queue2, buffer, CL_TRUE, 0, n * sizeof(float), zeros.data(),
                                   0, nullptr, nullptr),
              CL_SUCCESS);

    cl_event gate = make_user_event();
    cl_event written = nullptr;
    ASSERT_EQ(clEnqueueWriteBuffer(env.queue1, buffer, CL_FALSE, 0, n * sizeof(float),
                                   pattern.data(), 1, &gate, &written),
              CL_SUCCESS);
    ordo_resource r = nullptr;
    ordo_ticket writer = nullptr, reader = nullptr;
    ORDO_ASSERT_OK(ordo_resource_create(buffer, "buffer", &r));
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &writer));
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &reader));

    // Oclgrind's clFlush (inside ready) runs the queue on this thread until
    // the gate opens, so the gate is opened from another thread.
    std::latch releasing(1);
    std::thread opener([&] {
        releasing.wait();
        clSetUserEventStatus(gate, CL_COMPLETE);
    });
    if (!on_oclgrind())
        ORDO_ASSERT_OK(ordo_ticket_ready(writer, &written, 1));
    releasing.count_down();
    if (on_oclgrind())
        ORDO_ASSERT_OK(ordo_ticket_ready(writer, &written, 1));

    cl_event barrier = nullptr;
    ORDO_ASSERT_OK(ordo_ticket_enqueue_wait(reader, env.queue2, eventually(), &barrier));
    ASSERT_NE(barrier, nullptr);
    cl_event read = nullptr;
    ASSERT_EQ(clEnqueueReadBuffer(env.queue2, buffer, CL_FALSE, 0, n * sizeof(float), result.data(),
                                  0, nullptr, &read),
              CL_SUCCESS);
    ORDO_ASSERT_OK(ordo_ticket_ready(reader, &read, 1));
    ASSERT_EQ(clWaitForEvents(1, &read), CL_SUCCESS);
    opener.join();
    // POCL keeps references to the last events of each queue and of each
    // buffer: finish the queues and drop the buffer before counting.
    clFinish(env.queue1);
    clFinish(env.queue2);
    clReleaseMemObject(buffer);
    EXPECT_EQ(result, pattern);

    ordo_ticket_destroy(writer);
    ordo_ticket_destroy(reader);
    ordo_resource_destroy(r);
    // The commands that wait first: a runtime may keep a command's wait list
    // as long as the command's event lives (Rusticl, docs/RUNTIMES.md).
    EXPECT_TRUE(reference_count_returns_to(barrier, 1));
    EXPECT_TRUE(reference_count_returns_to(read, 1));
    clReleaseEvent(barrier);
    clReleaseEvent(read);
    EXPECT_TRUE(reference_count_returns_to(written, 1));
    clReleaseEvent(written);
    clReleaseEvent(gate);
}

// A device wait with nothing to wait for enqueues nothing.
TEST(DeviceWait, NoEventsEnqueuesNothing) {
    ClEnv &env = cl_env();
    Pair p;
    cl_event barrier = reinterpret_cast<cl_event>(&p);
    ORDO_ASSERT_OK(ordo_ticket_enqueue_wait(p.first, env.queue1, soon(), &barrier));
    EXPECT_EQ(barrier, nullptr);
}

// Events of another context are bridged through a user event of the queue's
// context: the barrier completes only after the foreign event does.
TEST(DeviceWait, ForeignContextEventsAreBridged) {
    ClEnv &env = cl_env();
    cl_int err = CL_SUCCESS;
    cl_context other = clCreateContext(nullptr, 1, &env.device, nullptr, nullptr, &err);
    ASSERT_EQ(err, CL_SUCCESS);
    cl_event foreign = make_user_event(other);
    cl_event barrier = nullptr;
    {
        Pair p;
        ORDO_ASSERT_OK(ordo_ticket_ready(p.first, &foreign, 1));
        ORDO_ASSERT_OK(ordo_ticket_enqueue_wait(p.second, env.queue1, soon(), &barrier));
        ASSERT_NE(barrier, nullptr);
        ordo_future done = nullptr;
        ORDO_ASSERT_OK(ordo_events_wait_async(&barrier, 1, &done));
        // Oclgrind's clFlush runs the barrier on this thread until the bridge
        // is set, so the foreign event is set from another thread.
        std::latch flushing(1);
        std::thread setter([&] {
            flushing.wait();
            EXPECT_EQ(ordo_future_wait(done, soon(), 0), ORDO_ERROR_TIMEOUT);
            EXPECT_NE(execution_status(barrier), CL_COMPLETE);
            clSetUserEventStatus(foreign, CL_COMPLETE);
        });
        flushing.count_down();
        ASSERT_EQ(clFlush(env.queue1), CL_SUCCESS);
        ORDO_EXPECT_OK(ordo_future_wait(done, eventually(), 0));
        setter.join();
        ordo_future_destroy(done);
        ORDO_ASSERT_OK(ordo_ticket_ready(p.second, nullptr, 0));
    }
    EXPECT_TRUE(reference_count_returns_to(foreign, 1));
    EXPECT_TRUE(reference_count_returns_to(barrier, 1));
    clReleaseEvent(foreign);
    clReleaseEvent(barrier);
    clReleaseContext(other);
}

// ready() flushes each event's queue: the successor's host wait for
// completion returns even though nobody else flushed the queue.
TEST(DeviceWait, ReadyFlushesTheEventQueue) {
    ClEnv &env = cl_env();
    cl_event marker = nullptr;
    ASSERT_EQ(clEnqueueMarkerWithWaitList(env.queue1, 0, nullptr, &marker), CL_SUCCESS);
    {
        Pair p;
        ORDO_ASSERT_OK(ordo_ticket_ready(p.first, &marker, 1));
        ORDO_EXPECT_OK(ordo_ticket_wait_complete(p.second, eventually(), nullptr, nullptr));
    }
    EXPECT_TRUE(reference_count_returns_to(marker, 1));
    clReleaseEvent(marker);
}
