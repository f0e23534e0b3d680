// Rules 7, 8 and 12: failure travels and can be recovered from; a dropped
// ticket cannot deadlock; deadlines; failed cl_events fail their waiters.
#include "../support/cl_env.hpp"

#include <latch>
#include <string>
#include <thread>
#include <vector>

using namespace ordo_test;

namespace {

constexpr int kAppFailure = ORDO_STATUS_USER_BASE - 1;

} // namespace

TEST(Failure, TravelsToSuccessorsWithItsMessage) {
    Chain c(3);
    ORDO_ASSERT_OK(ordo_ticket_fail(c.t[0], kAppFailure, "upload of chunk 0 failed"));
    EXPECT_EQ(ordo_ticket_wait(c.t[1], soon(), nullptr, nullptr), kAppFailure);
    EXPECT_NE(std::string(ordo_last_error_message()).find("upload of chunk 0 failed"),
              std::string::npos);
    // Passing it on.
    ORDO_ASSERT_OK(ordo_ticket_fail(c.t[1], kAppFailure, "upload of chunk 0 failed"));
    EXPECT_EQ(ordo_ticket_wait(c.t[2], soon(), nullptr, nullptr), kAppFailure);
    // The grant future reports the same.
    ordo_future f = nullptr;
    ORDO_ASSERT_OK(ordo_ticket_grant_future(c.t[2], &f));
    EXPECT_EQ(ordo_future_wait(f, soon(), 0), kAppFailure);
    int status = 0;
    const char *message = nullptr;
    ORDO_ASSERT_OK(ordo_future_failure(f, &status, &message, nullptr));
    EXPECT_EQ(status, kAppFailure);
    EXPECT_STREQ(message, "upload of chunk 0 failed");
    ordo_future_destroy(f);
}

TEST(Failure, SuccessorThatSawItMayRecover) {
    cl_event e = make_user_event();
    {
        Chain c(3);
        ORDO_ASSERT_OK(ordo_ticket_fail(c.t[0], kAppFailure, "bad chunk"));
        EXPECT_EQ(ordo_ticket_wait(c.t[1], soon(), nullptr, nullptr), kAppFailure);
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[1], &e, 1)); // recovered
        const cl_event *events = nullptr;
        size_t n = 0;
        ORDO_ASSERT_OK(ordo_ticket_wait(c.t[2], soon(), &events, &n));
        ASSERT_EQ(n, 1u);
        EXPECT_EQ(events[0], e);
    }
    clSetUserEventStatus(e, CL_COMPLETE);
    clReleaseEvent(e);
}

TEST(Failure, UnseenFailurePassesThroughEarlyRelease) {
    Chain c(3);
    ORDO_ASSERT_OK(ordo_ticket_ready(c.t[1], nullptr, 0)); // before its grant, never saw it
    ORDO_ASSERT_OK(ordo_ticket_fail(c.t[0], kAppFailure, "lost"));
    EXPECT_EQ(ordo_ticket_wait(c.t[2], soon(), nullptr, nullptr), kAppFailure);
}

TEST(Failure, FailBeforeGrantTakesEffectAfterThePredecessor) {
    Chain c(3);
    ORDO_ASSERT_OK(ordo_ticket_fail(c.t[1], kAppFailure, "decided early"));
    // The successor is not told before the predecessor is done.
    EXPECT_EQ(ordo_ticket_wait(c.t[2], soon(), nullptr, nullptr), ORDO_ERROR_TIMEOUT);
    ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], nullptr, 0));
    EXPECT_EQ(ordo_ticket_wait(c.t[2], soon(), nullptr, nullptr), kAppFailure);
}

TEST(DroppedTicket, ReleasedWithAWarningAndNoEvents) {
    LogCapture log;
    cl_event e = make_user_event();
    {
        Chain c(3);
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], &e, 1));
        ORDO_ASSERT_OK(ordo_ticket_wait(c.t[1], soon(), nullptr, nullptr));
        ordo_ticket_destroy(c.t[1]); // never released
        c.t[1] = nullptr;
        EXPECT_TRUE(log.contains("ticket released without ready"));
        const cl_event *events = nullptr;
        size_t n = 99;
        ORDO_ASSERT_OK(ordo_ticket_wait(c.t[2], soon(), &events, &n));
        EXPECT_EQ(n, 0u);
    }
    clSetUserEventStatus(e, CL_COMPLETE);
    EXPECT_TRUE(reference_count_returns_to(e, 1));
    clReleaseEvent(e);
}

TEST(DroppedTicket, UnwaitedDropForwardsThePredecessorEvents) {
    LogCapture log;
    cl_event e = make_user_event();
    {
        Chain c(3);
        ordo_ticket_destroy(c.t[1]); // dropped before its grant
        c.t[1] = nullptr;
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], &e, 1));
        const cl_event *events = nullptr;
        size_t n = 0;
        ORDO_ASSERT_OK(ordo_ticket_wait(c.t[2], soon(), &events, &n));
        ASSERT_EQ(n, 1u);
        EXPECT_EQ(events[0], e);
    }
    EXPECT_TRUE(log.contains("ticket released without ready"));
    clSetUserEventStatus(e, CL_COMPLETE);
    clReleaseEvent(e);
}

TEST(DroppedTicket, CancelGivesThePlaceUpSilently) {
    LogCapture log;
    Chain c(3);
    ORDO_ASSERT_OK(ordo_ticket_cancel(c.t[1]));
    ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], nullptr, 0));
    ORDO_EXPECT_OK(ordo_ticket_wait(c.t[2], soon(), nullptr, nullptr));
    ordo_ticket_destroy(c.t[1]);
    c.t[1] = nullptr;
    EXPECT_FALSE(log.contains("without ready"));
}

TEST(Deadline, PastDeadlinePollsAndTimesOut) {
    Chain c(2);
    ordo_deadline before = ordo_now();
    EXPECT_EQ(ordo_ticket_wait(c.t[1], before - 1, nullptr, nullptr), ORDO_ERROR_TIMEOUT);
    EXPECT_EQ(ordo_ticket_wait(c.t[0], before - 1, nullptr, nullptr), ORDO_OK);
}

TEST(Deadline, WaitEndsNoEarlierThanItsDeadline) {
    Chain c(2);
    ordo_deadline deadline = ordo_deadline_after(30'000'000);
    EXPECT_EQ(ordo_ticket_wait(c.t[1], deadline, nullptr, nullptr), ORDO_ERROR_TIMEOUT);
    EXPECT_GE(ordo_now(), deadline);
    // A timeout touches nothing: the ticket can still be waited for and granted.
    ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], nullptr, 0));
    ORDO_EXPECT_OK(ordo_ticket_wait(c.t[1], soon(), nullptr, nullptr));
}

TEST(Deadline, WaitReturnsWhenGrantedFromAnotherThread) {
    Chain c(2);
    std::latch about_to_wait(1);
    std::thread releaser([&] {
        about_to_wait.wait();
        EXPECT_EQ(ordo_ticket_ready(c.t[0], nullptr, 0), ORDO_OK);
    });
    about_to_wait.count_down();
    ORDO_EXPECT_OK(ordo_ticket_wait(c.t[1], eventually(), nullptr, nullptr));
    releaser.join();
}

TEST(Deadline, DeadlineAfterSaturates) {
    EXPECT_EQ(ordo_deadline_after(INT64_MAX), ORDO_DEADLINE_NEVER);
    ordo_deadline passed = ordo_deadline_after(-1);
    EXPECT_LT(passed, ordo_now());
}

// A cl_event ending with a negative status fails the waiter with its own
// status, also on POCL (which calls no CL_COMPLETE callback for it).
class FailedEvent : public ::testing::TestWithParam<bool> {};

TEST_P(FailedEvent, FailsHostWaitForEvents) {
    bool with_deadline = GetParam();
    cl_event e = make_user_event();
    {
        Chain c(2);
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], &e, 1));
        std::latch waiting(1);
        std::thread failer([&] {
            waiting.wait();
            clSetUserEventStatus(e, -42);
        });
        waiting.count_down();
        ordo_deadline deadline = with_deadline ? eventually() : ORDO_DEADLINE_NEVER;
        EXPECT_EQ(ordo_ticket_wait_complete(c.t[1], deadline, nullptr, nullptr),
                  ORDO_ERROR_EVENT_FAILED);
        EXPECT_NE(std::string(ordo_last_error_message()).find("-42"), std::string::npos)
            << ordo_last_error_message();
        failer.join();
        // The grant itself succeeded: the holder may still release.
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[1], nullptr, 0));
    }
    EXPECT_TRUE(reference_count_returns_to(e, 1));
    clReleaseEvent(e);
}

TEST_P(FailedEvent, FailsCommandThatDependedOnIt) {
    bool with_deadline = GetParam();
    ClEnv &env = cl_env();
    cl_event gate = make_user_event();
    cl_event marker = nullptr;
    ASSERT_EQ(clEnqueueMarkerWithWaitList(env.queue1, 1, &gate, &marker), CL_SUCCESS);
    ordo_future f = nullptr;
    ORDO_ASSERT_OK(ordo_events_wait_async(&marker, 1, &f));
    // Oclgrind's clFlush runs the marker on this thread, blocking until the
    // gate is set: set it from another thread.
    std::latch flushing(1);
    std::thread failer([&] {
        flushing.wait();
        clSetUserEventStatus(gate, -7);
    });
    flushing.count_down();
    ASSERT_EQ(clFlush(env.queue1), CL_SUCCESS);
    failer.join();
    ordo_deadline deadline = with_deadline ? eventually() : ORDO_DEADLINE_NEVER;
    EXPECT_EQ(ordo_future_wait(f, deadline, 0), ORDO_ERROR_EVENT_FAILED);
    cl_int cl_status = 0;
    ORDO_ASSERT_OK(ordo_future_failure(f, nullptr, nullptr, &cl_status));
    EXPECT_LT(cl_status, 0);
    ordo_future_destroy(f);
    EXPECT_TRUE(reference_count_returns_to(marker, 1));
    clReleaseEvent(marker);
    clReleaseEvent(gate);
}

INSTANTIATE_TEST_SUITE_P(WithAndWithoutDeadline, FailedEvent, ::testing::Bool(),
                         [](const auto &info) { return info.param ? "Deadline" : "NoDeadline"; });

TEST(FailedEvent, AlreadyFailedEventFailsAtOnce) {
    cl_event e = make_user_event();
    clSetUserEventStatus(e, -3);
    ordo_future f = nullptr;
    ORDO_ASSERT_OK(ordo_events_wait_async(&e, 1, &f));
    EXPECT_EQ(ordo_future_poll(f), ORDO_ERROR_EVENT_FAILED);
    ordo_future_destroy(f);
    EXPECT_TRUE(reference_count_returns_to(e, 1));
    clReleaseEvent(e);
}
