// Deferred device waits (ordo_ticket_enqueue_wait_deferred): the barrier
// enqueued before the grant, a chain of stages enqueued without host waits,
// and a predecessor's failure failing the barrier.
#include "../support/cl_env.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <latch>
#include <thread>
#include <vector>

using namespace ordo_test;

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
