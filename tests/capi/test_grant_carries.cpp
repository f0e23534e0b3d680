// What a grant carries (rules 6 and 7): a holder that has not *seen* its
// grant forwards its predecessor's events or failure when it releases; one
// that has, does not. Seeing means being handed the outcome: a wait that
// returned it, a grant future that delivered it. Taking a grant future, a
// wait that timed out, or a cancelled wait is not seeing.
#include "../support/cl_count.hpp"
#include "../support/cl_env.hpp"

#include <string>
#include <vector>

using namespace ordo_test;

namespace {

constexpr int kAppFailure = ORDO_STATUS_USER_BASE - 7;

// How the middle ticket of three gives its grant future up before the grant.
enum class GiveUp { kWaitWithCancel, kCancel, kDestroyTicket };

// t0, t1, t2 on one resource; t1 takes its grant future and gives it up
// (before the grant) as `how` says, then t0 releases with `e` or fails.
// Returns what t2's wait returned, with its events in *events.
int third_after_give_up(GiveUp how, bool fail_first, cl_event e, std::vector<cl_event> *events,
                        std::string *message) {
    Chain c(3);
    ordo_future grant = nullptr;
    EXPECT_EQ(ordo_ticket_grant_future(c.t[1], &grant), ORDO_OK);
    switch (how) {
    case GiveUp::kWaitWithCancel:
        EXPECT_EQ(ordo_future_wait(grant, ordo_deadline_after(1'000'000), ORDO_WAIT_CANCEL),
                  ORDO_ERROR_TIMEOUT);
        break;
    case GiveUp::kCancel:
        EXPECT_EQ(ordo_future_cancel(grant), ORDO_OK) << ordo_last_error_message();
        break;
    case GiveUp::kDestroyTicket:
        EXPECT_EQ(ordo_ticket_destroy(c.t[1]), ORDO_OK);
        c.t[1] = nullptr;
        break;
    }
    if (fail_first)
        EXPECT_EQ(ordo_ticket_fail(c.t[0], kAppFailure, "chunk 0 failed"), ORDO_OK);
    else
        EXPECT_EQ(ordo_ticket_ready(c.t[0], &e, 1), ORDO_OK);
    const cl_event *list = nullptr;
    size_t n = 0;
    int status = ordo_ticket_wait(c.t[2], soon(), &list, &n);
    if (status == ORDO_OK)
        events->assign(list, list + n);
    else
        *message = ordo_last_error_message();
    ordo_future_destroy(grant);
    return status;
}

class GrantFutureGivenUp : public ::testing::TestWithParam<GiveUp> {};

} // namespace

// Regression: taking a grant future marked the grant seen at once, so a
// ticket that gave its place up before the grant dropped the predecessor's
// events (the successor was granted with none) ...
TEST_P(GrantFutureGivenUp, SuccessorStillReceivesThePredecessorsEvents) {
    cl_event e = make_user_event();
    std::vector<cl_event> events;
    std::string message;
    EXPECT_EQ(third_after_give_up(GetParam(), false, e, &events, &message), ORDO_OK) << message;
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0], e);
    clSetUserEventStatus(e, CL_COMPLETE);
    EXPECT_TRUE(reference_count_returns_to(e, 1));
    clReleaseEvent(e);
}

// ... and turned the predecessor's failure into success.
TEST_P(GrantFutureGivenUp, SuccessorStillReceivesThePredecessorsFailure) {
    std::vector<cl_event> events;
    std::string message;
    EXPECT_EQ(third_after_give_up(GetParam(), true, nullptr, &events, &message), kAppFailure);
    EXPECT_NE(message.find("chunk 0 failed"), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(GrantCarries, GrantFutureGivenUp,
                         ::testing::Values(GiveUp::kWaitWithCancel, GiveUp::kCancel,
                                           GiveUp::kDestroyTicket),
                         [](const ::testing::TestParamInfo<GiveUp> &info) {
                             switch (info.param) {
                             case GiveUp::kWaitWithCancel:
                                 return "TimedOutWaitWithCancel";
                             case GiveUp::kCancel:
                                 return "Cancelled";
                             default:
                                 return "TicketDestroyed";
                             }
                         });

// A grant future that delivered the grant did hand it over: the holder's
// release then carries only its own events.
TEST(GrantCarries, GrantFutureThatDeliveredCountsAsSeen) {
    cl_event e = make_user_event();
    cl_event mine = make_user_event();
    {
        Chain c(3);
        ordo_future grant = nullptr;
        ORDO_ASSERT_OK(ordo_ticket_grant_future(c.t[1], &grant));
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], &e, 1));
        ORDO_ASSERT_OK(ordo_future_wait(grant, soon(), 0));
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[1], &mine, 1));
        EXPECT_EQ(grant_events(c.t[2]), std::vector<cl_event>{mine});
        ordo_future_destroy(grant);
    }
    for (cl_event x : {e, mine}) {
        clSetUserEventStatus(x, CL_COMPLETE);
        EXPECT_TRUE(reference_count_returns_to(x, 1));
        clReleaseEvent(x);
    }
}

// A grant future whose holder released before the grant came delivers the
// grant afterwards, but the release was made unseen: it forwards.
TEST(GrantCarries, ReleaseBeforeTheGrantFutureDeliveredForwards) {
    cl_event e = make_user_event();
    cl_event mine = make_user_event();
    {
        Chain c(3);
        ordo_future grant = nullptr;
        ORDO_ASSERT_OK(ordo_ticket_grant_future(c.t[1], &grant));
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[1], &mine, 1));
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], &e, 1));
        ORDO_EXPECT_OK(ordo_future_wait(grant, soon(), 0));
        EXPECT_EQ(grant_events(c.t[2]), (std::vector<cl_event>{e, mine}));
        ordo_future_destroy(grant);
    }
    for (cl_event x : {e, mine}) {
        clSetUserEventStatus(x, CL_COMPLETE);
        EXPECT_TRUE(reference_count_returns_to(x, 1));
        clReleaseEvent(x);
    }
}

// Regression: every ordo_ticket_wait_complete call registered one more
// clSetEventCallback and one more poller entry, so an event loop polling
// with a past deadline made 100,000 polls cost seconds and kept their
// records. One event wait per grant now serves every wait.
TEST(GrantCarries, PollingWaitCompleteRegistersOneCallbackPerEvent) {
    cl_event e = make_user_event();
    {
        Chain c(2);
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], &e, 1));
        uint64_t before = callback_registrations_on_this_thread();
        for (int i = 0; i < 10'000; ++i)
            ASSERT_EQ(ordo_ticket_wait_complete(c.t[1], ordo_now() - 1, nullptr, nullptr),
                      ORDO_ERROR_TIMEOUT);
        EXPECT_LE(callback_registrations_on_this_thread() - before, 1u);
        clSetUserEventStatus(e, CL_COMPLETE);
        ORDO_EXPECT_OK(ordo_ticket_wait_complete(c.t[1], eventually(), nullptr, nullptr));
        EXPECT_LE(callback_registrations_on_this_thread() - before, 1u);
    }
    EXPECT_TRUE(reference_count_returns_to(e, 1));
    clReleaseEvent(e);
}

// The same for shared tickets granted together (one grant, one wait) and
// for a multi-resource ticket (one union, one wait).
TEST(GrantCarries, PollingWaitCompleteOfSharedAndMultiTicketsRegistersOnce) {
    cl_event a = make_user_event();
    cl_event b = make_user_event();
    {
        ordo_resource r[2] = {};
        ordo_ticket first[2] = {}, readers[3] = {};
        for (int k = 0; k < 2; ++k) {
            ORDO_ASSERT_OK(ordo_resource_create(nullptr, "wait-once", &r[k]));
            ORDO_ASSERT_OK(ordo_resource_acquire(r[k], &first[k]));
        }
        for (auto &t : readers)
            ORDO_ASSERT_OK(ordo_resource_acquire_shared(r[0], &t));
        ordo_multi_ticket m = nullptr;
        ORDO_ASSERT_OK(ordo_resource_acquire_many(r, nullptr, 2, &m));
        ORDO_ASSERT_OK(ordo_ticket_ready(first[0], &a, 1));
        ORDO_ASSERT_OK(ordo_ticket_ready(first[1], &b, 1));
        uint64_t before = callback_registrations_on_this_thread();
        for (int i = 0; i < 1'000; ++i)
            for (auto t : readers)
                ASSERT_EQ(ordo_ticket_wait_complete(t, ordo_now() - 1, nullptr, nullptr),
                          ORDO_ERROR_TIMEOUT);
        EXPECT_LE(callback_registrations_on_this_thread() - before, 1u);
        for (auto t : readers)
            ORDO_ASSERT_OK(ordo_ticket_ready(t, nullptr, 0));
        before = callback_registrations_on_this_thread();
        for (int i = 0; i < 1'000; ++i)
            ASSERT_EQ(ordo_multi_ticket_wait_complete(m, ordo_now() - 1, nullptr, nullptr),
                      ORDO_ERROR_TIMEOUT);
        EXPECT_LE(callback_registrations_on_this_thread() - before, 2u);
        clSetUserEventStatus(a, CL_COMPLETE);
        clSetUserEventStatus(b, CL_COMPLETE);
        const cl_event *events = nullptr;
        size_t n = 0;
        ORDO_EXPECT_OK(ordo_multi_ticket_wait_complete(m, eventually(), &events, &n));
        EXPECT_EQ(n, 2u);
        ORDO_EXPECT_OK(ordo_multi_ticket_ready(m, nullptr, 0));
        ordo_multi_ticket_destroy(m);
        for (auto t : readers)
            ordo_ticket_destroy(t);
        for (int k = 0; k < 2; ++k) {
            ordo_ticket_destroy(first[k]);
            ordo_resource_destroy(r[k]);
        }
    }
    for (cl_event x : {a, b}) {
        EXPECT_TRUE(reference_count_returns_to(x, 1));
        clReleaseEvent(x);
    }
}

// A host wait whose events have all completed costs a status query, not a
// callback registration: waits for a grant's events, asynchronous waits and
// device waits on complete events register nothing.
TEST(GrantCarries, WaitsOnCompleteEventsRegisterNoCallback) {
    cl_event e = make_user_event();
    ASSERT_EQ(clSetUserEventStatus(e, CL_COMPLETE), CL_SUCCESS);
    {
        Chain c(3);
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], &e, 1));
        uint64_t before = callback_registrations_on_this_thread();
        const cl_event *events = nullptr;
        size_t n = 0;
        ORDO_ASSERT_OK(ordo_ticket_wait_complete(c.t[1], eventually(), &events, &n));
        EXPECT_EQ(n, 1u);
        ordo_future f = nullptr;
        ORDO_ASSERT_OK(ordo_events_wait_async(&e, 1, &f));
        EXPECT_EQ(ordo_future_poll(f), ORDO_OK);
        ORDO_ASSERT_OK(ordo_future_wait(f, eventually(), 0));
        ORDO_ASSERT_OK(ordo_future_destroy(f));
        EXPECT_EQ(callback_registrations_on_this_thread() - before, 0u)
            << "a wait on complete events registered an event callback";
        ORDO_ASSERT_OK(ordo_ticket_ready(c.t[1], &e, 1));
    }
    EXPECT_TRUE(reference_count_returns_to(e, 1));
    clReleaseEvent(e);
}
