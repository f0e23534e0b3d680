// Fault cases around device waits: things going wrong around ordo must not
// break it. A cl_event that ends with an error status before or after a
// device wait's barrier is enqueued; deferred barriers failed by earlier
// commands on their queue; a command queue released while a device wait is
// pending on it. Every test ends with each cl_event's reference count back
// at its baseline.
#include "../support/capi_helpers.hpp"
#include "../support/cl_env.hpp"

#include <latch>
#include <string>
#include <thread>
#include <vector>

using namespace ordo_test;

namespace {

cl_command_queue new_queue() {
    cl_int err = CL_SUCCESS;
    cl_command_queue q = clCreateCommandQueue(cl_env().context, cl_env().device, 0, &err);
    EXPECT_EQ(err, CL_SUCCESS);
    return q;
}

} // namespace

// ---------------------------------------------------------------------------
// A cl_event that completes with an error status
// ---------------------------------------------------------------------------

// A device wait on an event that has already failed enqueues nothing and
// says so: POCL 3.1 neither runs nor fails a command whose wait list holds
// such an event, so a barrier on it would stay queued forever and stall
// every later command of the queue. Also for events of another context,
// bridged through a user event.
TEST(FailedEventStatus, DeviceWaitOnAnEventThatAlreadyFailed) {
    ClEnv &env = cl_env();
    cl_int err = CL_SUCCESS;
    cl_context other = clCreateContext(nullptr, 1, &env.device, nullptr, nullptr, &err);
    ASSERT_EQ(err, CL_SUCCESS);
    cl_event local = failed_event(-5);
    cl_event foreign = make_user_event(other);
    ASSERT_EQ(clSetUserEventStatus(foreign, -6), CL_SUCCESS);
    for (cl_event e : {local, foreign}) {
        Chain c(3);
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], &e, 1));
        cl_event barrier = reinterpret_cast<cl_event>(&c);
        EXPECT_EQ(ordo_ticket_enqueue_wait(c.t[1], env.queue1, soon(), &barrier),
                  ORDO_ERROR_EVENT_FAILED);
        EXPECT_NE(std::string(ordo_last_error_message()).find(e == local ? "-5" : "-6"),
                  std::string::npos)
            << ordo_last_error_message();
        EXPECT_EQ(barrier, reinterpret_cast<cl_event>(&c)) << "output changed";
        // The holder was not handed the events: releasing forwards them.
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[1], nullptr, 0));
        EXPECT_EQ(grant_events(c.t[2]), std::vector<cl_event>{e});
    }
    // The queue is not stalled.
    ASSERT_EQ(clFinish(env.queue1), CL_SUCCESS);
    for (cl_event e : {local, foreign}) {
        EXPECT_TRUE(reference_count_returns_to(e, 1));
        clReleaseEvent(e);
    }
    clReleaseContext(other);
}

// An event that fails after the barrier was enqueued fails the barrier,
// which ordo reports to whoever waits for it.
TEST(FailedEventStatus, DeviceWaitOnAnEventThatFailsLater) {
    ClEnv &env = cl_env();
    cl_event e = make_user_event();
    cl_event barrier = nullptr;
    {
        Chain c(3);
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], &e, 1));
        ORDO_ASSERT_OK(ordo_ticket_enqueue_wait(c.t[1], env.queue1, soon(), &barrier));
        ASSERT_NE(barrier, nullptr);
        ASSERT_EQ(clSetUserEventStatus(e, -5), CL_SUCCESS);
        ASSERT_EQ(clFlush(env.queue1), CL_SUCCESS);
        ordo_future done = nullptr;
        ORDO_ASSERT_OK(ordo_events_wait_async(&barrier, 1, &done));
        EXPECT_EQ(ordo_future_wait(done, eventually(), 0), ORDO_ERROR_EVENT_FAILED);
        ordo_future_destroy(done);
        // Released with the failed barrier, the failure reaches the next holder.
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[1], &barrier, 1));
        EXPECT_EQ(ordo_ticket_wait_complete(c.t[2], eventually(), nullptr, nullptr),
                  ORDO_ERROR_EVENT_FAILED);
    }
    // The barrier first: a runtime may keep a command's wait list as long as
    // the command's event lives (Rusticl, docs/RUNTIMES.md).
    EXPECT_TRUE(reference_count_returns_to(barrier, 1));
    clReleaseEvent(barrier);
    EXPECT_TRUE(reference_count_returns_to(e, 1));
    clReleaseEvent(e);
}

// Regression (found by the fuzzer: an abort inside POCL). POCL 3.1 frees a
// command whose event nobody holds any more and then uses it when an event it
// waits for fails (abort in pocl_update_event_failed). ordo released the
// barrier of a device wait at once when the caller did not ask for it; it
// now keeps it until the barrier has ended.
TEST(FailedEventStatus, DeviceWaitWithoutBarrierThenTheEventFails) {
    ClEnv &env = cl_env();
    cl_event e = make_user_event();
    {
        Chain c(3);
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], &e, 1));
        ORDO_ASSERT_OK(ordo_ticket_enqueue_wait(c.t[1], env.queue1, soon(), nullptr));
        ASSERT_EQ(clSetUserEventStatus(e, -7), CL_SUCCESS); // POCL aborted here
        ASSERT_EQ(clFinish(env.queue1), CL_SUCCESS);
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[1], nullptr, 0));
    }
    EXPECT_TRUE(reference_count_returns_to(e, 1));
    clReleaseEvent(e);
}

// Regression (found by ordo-stress: an abort inside POCL, in
// pocl_lock_events_inorder). A deferred device wait's barrier can end before
// ordo sets the user event it waits for: a command ahead of it on the same
// queue fails, and POCL fails the commands queued behind it. POCL 3.1 still
// notifies the barrier when that user event is set later, and by then has
// freed a barrier that nobody held any more. ordo now keeps its own
// reference to the barrier until it has set the user event, so the caller
// may let go of the barrier once it has ended (or at any time).
TEST(FailedEventStatus, DeferredBarrierFailedByAnEarlierCommandThenGranted) {
    ORDO_SKIP_ON("oclgrind rusticl", "a failed command does not fail the commands queued "
                                     "behind it on an in-order queue");
    for (bool predecessor_fails : {false, true}) {
        SCOPED_TRACE(predecessor_fails ? "predecessor fails" : "predecessor ready");
        cl_command_queue q = new_queue();
        cl_event gate = make_user_event();
        cl_event marker = nullptr;
        {
            Chain c(2);
            // A command that fails, ahead of the deferred barrier on q.
            ASSERT_EQ(clEnqueueMarkerWithWaitList(q, 1, &gate, &marker), CL_SUCCESS);
            cl_event barrier = nullptr;
            ORDO_ASSERT_OK(ordo_ticket_enqueue_wait_deferred(c.t[1], q, &barrier));
            ASSERT_NE(barrier, nullptr);
            ASSERT_EQ(clFlush(q), CL_SUCCESS);
            ASSERT_EQ(clSetUserEventStatus(gate, -5), CL_SUCCESS);
            // The barrier fails with the marker, before its ticket's grant.
            ordo_future ended = nullptr;
            ORDO_ASSERT_OK(ordo_events_wait_async(&barrier, 1, &ended));
            EXPECT_EQ(ordo_future_wait(ended, eventually(), 0), ORDO_ERROR_EVENT_FAILED);
            ordo_future_destroy(ended);
            ASSERT_EQ(ordo_events_flush_releases(eventually()), ORDO_OK);
            clReleaseEvent(barrier); // it has ended: the caller lets go of it
            // The grant sets the barrier's user event on this thread (POCL aborted here).
            if (predecessor_fails)
                ORDO_ASSERT_OK(ordo_ticket_fail(c.t[0], ORDO_STATUS_USER_BASE, "failed"));
            else
                ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], nullptr, 0));
            ORDO_ASSERT_OK(ordo_ticket_ready(c.t[1], nullptr, 0));
        }
        EXPECT_EQ(clFinish(q), CL_SUCCESS);
        EXPECT_TRUE(reference_count_returns_to(gate, 1));
        EXPECT_TRUE(reference_count_returns_to(marker, 1));
        clReleaseEvent(marker);
        clReleaseEvent(gate);
        clReleaseCommandQueue(q);
    }
}

// Regression (found by ordo-stress: the same abort in POCL). POCL 3.1 lets a
// command whose wait list failed end at once, ahead of the commands before
// it on its in-order queue, and still notifies it when those end: by then a
// barrier whose last reference was dropped after it ended has been freed.
// A deferred wait's barrier ended that way whenever its predecessor failed
// while earlier work on the queue was pending. ordo now sets the barrier's
// user event to a failure only once everything enqueued before the barrier
// has ended, so the barrier ends in queue order.
TEST(FailedEventStatus, DeferredBarrierOfAFailedPredecessorBehindPendingWork) {
    ORDO_SKIP_ON("oclgrind", "a command whose wait list failed does not end ahead of the commands "
                             "before it (the POCL behaviour this test pins)");
    for (bool take : {false, true}) {
        SCOPED_TRACE(take ? "barrier taken and released" : "no barrier asked for");
        cl_command_queue q = new_queue();
        cl_event gate = make_user_event();
        cl_event pending = nullptr; // earlier work on q
        ASSERT_EQ(clEnqueueMarkerWithWaitList(q, 1, &gate, &pending), CL_SUCCESS);
        {
            Chain c(2);
            cl_event barrier = nullptr;
            ORDO_ASSERT_OK(ordo_ticket_enqueue_wait_deferred(c.t[1], q, take ? &barrier : nullptr));
            ASSERT_EQ(clFlush(q), CL_SUCCESS);
            ordo_future ended = nullptr;
            if (take)
                ORDO_ASSERT_OK(ordo_events_wait_async(&barrier, 1, &ended));
            ORDO_ASSERT_OK(ordo_ticket_fail(c.t[0], ORDO_STATUS_USER_BASE, "failed"));
            if (take) {
                // Not before the earlier work: the barrier ends in queue order.
                EXPECT_EQ(ordo_future_wait(ended, soon(), 0), ORDO_ERROR_TIMEOUT);
                clReleaseEvent(barrier); // the caller may let go of it at any time
            }
            ASSERT_EQ(ordo_events_flush_releases(eventually()), ORDO_OK);
            ASSERT_EQ(clSetUserEventStatus(gate, CL_COMPLETE), CL_SUCCESS); // POCL aborted here
            if (take) {
                EXPECT_EQ(ordo_future_wait(ended, eventually(), 0), ORDO_ERROR_EVENT_FAILED);
                ordo_future_destroy(ended);
            }
            ORDO_ASSERT_OK(ordo_ticket_ready(c.t[1], nullptr, 0));
        }
        EXPECT_EQ(clFinish(q), CL_SUCCESS);
        EXPECT_TRUE(reference_count_returns_to(pending, 1));
        clReleaseEvent(pending);
        clReleaseEvent(gate);
        clReleaseCommandQueue(q);
    }
}

// Regression (a race, found under ThreadSanitizer: "use of an invalid
// mutex" inside POCL in about one run in eight of the test above). POCL 3.1
// runs the marker's callbacks on its callback thread before its device
// thread tells the barrier that the marker ended: a user event failed from
// that callback failed and freed the barrier while the device thread was
// still to tell it. ordo now fails the user event only once POCL has let
// go of the marker. Many rounds, each racing once, and nothing else slow.
TEST(FailedEventStatus, DeferredBarriersOfFailedPredecessorsInManyRounds) {
    ORDO_SKIP_ON("oclgrind rusticl", "a failed command does not fail the commands queued "
                                     "behind it on an in-order queue");
    constexpr int kRounds = 200;
    cl_command_queue q = new_queue();
    // A marker behind each barrier, which fails with it. POCL 3.1 locks a
    // command that failed once more after it dropped its own reference to
    // it: these are released only once every round is over.
    std::vector<cl_event> behind(kRounds, nullptr);
    for (int round = 0; round < kRounds; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        cl_event gate = make_user_event();
        cl_event pending = nullptr; // earlier work on q
        ASSERT_EQ(clEnqueueMarkerWithWaitList(q, 1, &gate, &pending), CL_SUCCESS);
        {
            Chain c(2);
            ORDO_ASSERT_OK(ordo_ticket_enqueue_wait_deferred(c.t[1], q, nullptr));
            ASSERT_EQ(clEnqueueMarkerWithWaitList(q, 0, nullptr, &behind[round]), CL_SUCCESS);
            ASSERT_EQ(clFlush(q), CL_SUCCESS);
            ORDO_ASSERT_OK(ordo_ticket_fail(c.t[0], ORDO_STATUS_USER_BASE, "failed"));
            ASSERT_EQ(clSetUserEventStatus(gate, CL_COMPLETE), CL_SUCCESS);
            ORDO_ASSERT_OK(ordo_ticket_ready(c.t[1], nullptr, 0));
        }
        EXPECT_EQ(clFinish(q), CL_SUCCESS);
        EXPECT_LT(execution_status(behind[round]), 0);
        EXPECT_TRUE(reference_count_returns_to(pending, 1));
        clReleaseEvent(pending);
        clReleaseEvent(gate);
    }
    for (cl_event e : behind) {
        EXPECT_TRUE(reference_count_returns_to(e, 1));
        clReleaseEvent(e);
    }
    clReleaseCommandQueue(q);
}

// ---------------------------------------------------------------------------
// A command queue released while a device wait is pending on it
// ---------------------------------------------------------------------------

namespace {

// Releases queue while gate is still unset, then sets gate. Oclgrind runs a
// queue on the thread that flushes it, and releasing flushes: there the
// release blocks until the gate is set, so the gate is set from here while
// the release runs on another thread.
void release_queue_then_set(cl_command_queue queue, cl_event gate, cl_int status) {
    std::latch releasing(1);
    std::thread releaser([&] {
        releasing.count_down();
        EXPECT_EQ(clReleaseCommandQueue(queue), CL_SUCCESS);
    });
    releasing.wait();
    if (!on_oclgrind())
        releaser.join(); // the queue is gone before the gate opens
    EXPECT_EQ(clSetUserEventStatus(gate, status), CL_SUCCESS);
    if (releaser.joinable())
        releaser.join();
}

} // namespace

TEST(ReleasedQueue, BarrierStillCompletesAndChains) {
    cl_event gate = make_user_event();
    cl_event barrier = nullptr;
    {
        Chain c(3);
        cl_command_queue q = new_queue();
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], &gate, 1));
        ORDO_ASSERT_OK(ordo_ticket_enqueue_wait(c.t[1], q, soon(), &barrier));
        ASSERT_NE(barrier, nullptr);
        release_queue_then_set(q, gate, CL_COMPLETE);
        ordo_future done = nullptr;
        ORDO_ASSERT_OK(ordo_events_wait_async(&barrier, 1, &done));
        ORDO_EXPECT_OK(ordo_future_wait(done, eventually(), 0));
        ordo_future_destroy(done);
        // Releasing with an event of the released queue flushes nothing
        // harmful, and the successor waits for it.
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[1], &barrier, 1));
        ORDO_EXPECT_OK(ordo_ticket_wait_complete(c.t[2], eventually(), nullptr, nullptr));
    }
    // The barrier first: a runtime may keep a command's wait list as long as
    // the command's event lives (Rusticl, docs/RUNTIMES.md).
    EXPECT_TRUE(reference_count_returns_to(barrier, 1));
    clReleaseEvent(barrier);
    EXPECT_TRUE(reference_count_returns_to(gate, 1));
    clReleaseEvent(gate);
}

TEST(ReleasedQueue, FailedGateFailsTheBarrier) {
    cl_event gate = make_user_event();
    cl_event barrier = nullptr;
    {
        Chain c(2);
        cl_command_queue q = new_queue();
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], &gate, 1));
        ORDO_ASSERT_OK(ordo_ticket_enqueue_wait(c.t[1], q, soon(), &barrier));
        ASSERT_NE(barrier, nullptr);
        release_queue_then_set(q, gate, -8);
        ordo_future done = nullptr;
        ORDO_ASSERT_OK(ordo_events_wait_async(&barrier, 1, &done));
        EXPECT_EQ(ordo_future_wait(done, eventually(), 0), ORDO_ERROR_EVENT_FAILED);
        ordo_future_destroy(done);
    }
    // The barrier first: a runtime may keep a command's wait list as long as
    // the command's event lives (Rusticl, docs/RUNTIMES.md).
    EXPECT_TRUE(reference_count_returns_to(barrier, 1));
    clReleaseEvent(barrier);
    EXPECT_TRUE(reference_count_returns_to(gate, 1));
    clReleaseEvent(gate);
}

// Events of another context are bridged through a user event of the queue's
// context: the queue goes away while the bridge is pending.
TEST(ReleasedQueue, PendingBridgeStillCompletes) {
    ClEnv &env = cl_env();
    cl_int err = CL_SUCCESS;
    cl_context other = clCreateContext(nullptr, 1, &env.device, nullptr, nullptr, &err);
    ASSERT_EQ(err, CL_SUCCESS);
    cl_event foreign = make_user_event(other);
    cl_event barrier = nullptr;
    {
        Chain c(2);
        cl_command_queue q = new_queue();
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], &foreign, 1));
        ORDO_ASSERT_OK(ordo_ticket_enqueue_wait(c.t[1], q, soon(), &barrier));
        ASSERT_NE(barrier, nullptr);
        release_queue_then_set(q, foreign, CL_COMPLETE);
        ordo_future done = nullptr;
        ORDO_ASSERT_OK(ordo_events_wait_async(&barrier, 1, &done));
        ORDO_EXPECT_OK(ordo_future_wait(done, eventually(), 0));
        ordo_future_destroy(done);
    }
    EXPECT_TRUE(reference_count_returns_to(foreign, 1));
    EXPECT_TRUE(reference_count_returns_to(barrier, 1));
    clReleaseEvent(foreign);
    clReleaseEvent(barrier);
    clReleaseContext(other);
}
