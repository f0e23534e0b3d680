// The fast cycle (lib/ticket.hpp): an exclusive ticket on an idle resource
// is granted without reference counting. The contract is the same on both
// paths; these tests take each way into and out of it and check what the
// next holder receives, the value, the references and the counts of the
// path taken (ordo_diagnostics_fast_path, where the build counts).
#include "../support/cl_env.hpp"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace ordo_test;

namespace {

// The counts now, or nullopt-like {false} where this build does not count.
struct Counts {
    bool counted = false;
    ordo_fast_path_counts c{};
};
Counts counts() {
    Counts out;
    out.counted = ordo_diagnostics_fast_path(&out.c) == ORDO_OK;
    return out;
}
#define EXPECT_COUNT_GREW(before, field, by)                                                       \
    do {                                                                                           \
        Counts now_ = counts();                                                                    \
        if (now_.counted) {                                                                        \
            EXPECT_EQ(now_.c.field - (before).c.field, uint64_t{by}) << #field;                    \
        }                                                                                          \
    } while (0)

void cycle(ordo_resource r) {
    ordo_ticket t = nullptr;
    ASSERT_EQ(ordo_resource_acquire(r, &t), ORDO_OK);
    size_t n = 99;
    ASSERT_EQ(ordo_ticket_wait(t, soon(), nullptr, &n), ORDO_OK);
    EXPECT_EQ(n, 0u);
    ASSERT_EQ(ordo_ticket_ready(t, nullptr, 0), ORDO_OK);
    ASSERT_EQ(ordo_ticket_destroy(t), ORDO_OK);
}

TEST(FastCycle, UncontendedCyclesStayOnTheFastPath) {
    ordo_resource r = nullptr;
    ASSERT_EQ(ordo_resource_create(nullptr, "fast", &r), ORDO_OK);
    Counts before = counts();
    for (int i = 0; i < 100; ++i)
        cycle(r);
    EXPECT_COUNT_GREW(before, acquired, 100);
    EXPECT_COUNT_GREW(before, put_back, 100);
    EXPECT_COUNT_GREW(before, left, 0);
    ordo_resource_destroy(r);
}

TEST(FastCycle, SecondReadyIsRefusedAndChangesNothing) {
    int value = 7;
    ordo_resource r = nullptr;
    ASSERT_EQ(ordo_resource_create(&value, "fast", &r), ORDO_OK);
    ordo_ticket t = nullptr;
    ASSERT_EQ(ordo_resource_acquire(r, &t), ORDO_OK);
    ASSERT_EQ(ordo_ticket_ready(t, nullptr, 0), ORDO_OK);
    EXPECT_EQ(ordo_ticket_ready(t, nullptr, 0), ORDO_ERROR_INVALID_STATE);
    EXPECT_EQ(ordo_ticket_cancel(t), ORDO_ERROR_INVALID_STATE);
    EXPECT_EQ(ordo_ticket_wait(t, soon(), nullptr, nullptr), ORDO_ERROR_INVALID_STATE);
    void *v = nullptr;
    EXPECT_EQ(ordo_ticket_value(t, &v), ORDO_OK);
    EXPECT_EQ(v, &value);
    ASSERT_EQ(ordo_ticket_destroy(t), ORDO_OK);
    cycle(r); // still idle
    ordo_resource_destroy(r);
}

// A resource and a user event for its tickets' releases; at the end (the
// resource's handle destroyed unless a test did), the event completes and
// every reference to it must have come back.
class FastCycleEvents : public ::testing::Test {
protected:
    void SetUp() override {
        e = make_user_event();
        base = reference_count(e);
        ASSERT_EQ(ordo_resource_create(nullptr, "fast", &r), ORDO_OK);
    }
    void TearDown() override {
        ordo_resource_destroy(r);
        clSetUserEventStatus(e, CL_COMPLETE);
        EXPECT_TRUE(reference_count_returns_to(e, base));
        clReleaseEvent(e);
    }
    cl_event e = nullptr;
    cl_int base = 0;
    ordo_resource r = nullptr;
};

// A successor queued behind a fast ticket receives its events.
TEST_F(FastCycleEvents, SuccessorBehindFastTicketGetsItsEvents) {
    Counts before = counts();
    ordo_ticket a = nullptr, b = nullptr;
    ASSERT_EQ(ordo_resource_acquire(r, &a), ORDO_OK);
    ASSERT_EQ(ordo_resource_acquire(r, &b), ORDO_OK);
    EXPECT_FALSE(granted(b));
    ASSERT_EQ(ordo_ticket_ready(a, &e, 1), ORDO_OK);
    ASSERT_EQ(ordo_ticket_destroy(a), ORDO_OK);
    EXPECT_EQ(grant_events(b), std::vector<cl_event>{e});
    ASSERT_EQ(ordo_ticket_ready(b, nullptr, 0), ORDO_OK);
    ASSERT_EQ(ordo_ticket_destroy(b), ORDO_OK);
    EXPECT_COUNT_GREW(before, acquired, 1);
    EXPECT_COUNT_GREW(before, replaced, 1);
    EXPECT_COUNT_GREW(before, idle_again, 1); // b handed on nothing from the tail
    cycle(r);
    EXPECT_COUNT_GREW(before, acquired, 2);
}

// A fast ticket released with events and no successor: the next ticket
// gets the events (not the fast path: the tail is not idle).
TEST_F(FastCycleEvents, ReleaseWithEventsLeavesThemForTheNextTicket) {
    ordo_ticket a = nullptr, b = nullptr;
    ASSERT_EQ(ordo_resource_acquire(r, &a), ORDO_OK);
    ASSERT_EQ(ordo_ticket_ready(a, &e, 1), ORDO_OK);
    ASSERT_EQ(ordo_ticket_destroy(a), ORDO_OK);
    ASSERT_EQ(ordo_resource_acquire(r, &b), ORDO_OK);
    EXPECT_EQ(grant_events(b), std::vector<cl_event>{e});
    ASSERT_EQ(ordo_ticket_destroy(b), ORDO_OK); // released without ready: a warning
}

TEST(FastCycle, FailureOfFastTicketReachesTheNext) {
    ordo_resource r = nullptr;
    ASSERT_EQ(ordo_resource_create(nullptr, "fast", &r), ORDO_OK);
    ordo_ticket a = nullptr, b = nullptr;
    ASSERT_EQ(ordo_resource_acquire(r, &a), ORDO_OK);
    ASSERT_EQ(ordo_ticket_fail(a, ORDO_STATUS_USER_BASE - 1, "fast failed"), ORDO_OK);
    ASSERT_EQ(ordo_ticket_destroy(a), ORDO_OK);
    ASSERT_EQ(ordo_resource_acquire(r, &b), ORDO_OK);
    EXPECT_EQ(ordo_ticket_wait(b, soon(), nullptr, nullptr), ORDO_STATUS_USER_BASE - 1);
    EXPECT_NE(std::string(ordo_last_error_message()).find("fast failed"), std::string::npos);
    ASSERT_EQ(ordo_ticket_ready(b, nullptr, 0), ORDO_OK); // recovered
    ASSERT_EQ(ordo_ticket_destroy(b), ORDO_OK);
    cycle(r);
    ordo_resource_destroy(r);
}

// The resource's handle destroyed while a fast ticket holds it: the ticket
// keeps working and frees the resource (ASan sees any use after free).
TEST(FastCycle, ResourceHandleGoesFirstWithNothingHandedOn) {
    int value = 3;
    ordo_resource r = nullptr;
    ASSERT_EQ(ordo_resource_create(&value, "orphan", &r), ORDO_OK);
    Counts before = counts();
    ordo_ticket t = nullptr;
    ASSERT_EQ(ordo_resource_acquire(r, &t), ORDO_OK);
    ASSERT_EQ(ordo_resource_destroy(r), ORDO_OK);
    void *v = nullptr;
    ASSERT_EQ(ordo_ticket_value(t, &v), ORDO_OK);
    EXPECT_EQ(v, &value);
    ASSERT_EQ(ordo_ticket_wait(t, soon(), nullptr, nullptr), ORDO_OK);
    ASSERT_EQ(ordo_ticket_ready(t, nullptr, 0), ORDO_OK);
    ASSERT_EQ(ordo_ticket_value(t, &v), ORDO_OK); // the resource may be gone: the value is kept
    EXPECT_EQ(v, &value);
    ASSERT_EQ(ordo_ticket_destroy(t), ORDO_OK);
    EXPECT_COUNT_GREW(before, orphans, 1);
}

TEST_F(FastCycleEvents, ResourceHandleGoesFirstWithEvents) {
    Counts before = counts();
    ordo_ticket t = nullptr;
    ASSERT_EQ(ordo_resource_acquire(r, &t), ORDO_OK);
    ASSERT_EQ(ordo_resource_destroy(r), ORDO_OK);
    r = nullptr; // the fixture's destroy then does nothing
    ASSERT_EQ(ordo_ticket_ready(t, &e, 1), ORDO_OK);
    ASSERT_EQ(ordo_ticket_destroy(t), ORDO_OK);
    EXPECT_COUNT_GREW(before, orphans, 1);
}

TEST(FastCycle, ResourceHandleGoesFirstThenDestroyWithoutReady) {
    ordo_resource r = nullptr;
    ASSERT_EQ(ordo_resource_create(nullptr, "orphan", &r), ORDO_OK);
    ordo_ticket t = nullptr;
    ASSERT_EQ(ordo_resource_acquire(r, &t), ORDO_OK);
    ASSERT_EQ(ordo_resource_destroy(r), ORDO_OK);
    LogCapture log;
    ASSERT_EQ(ordo_ticket_destroy(t), ORDO_OK); // warns, naming the resource
}

// A grant future of a fast ticket: delivered at once; cancelling it after
// the grant changes nothing; the holder still releases.
TEST(FastCycle, GrantFutureOfFastTicket) {
    ordo_resource r = nullptr;
    ASSERT_EQ(ordo_resource_create(nullptr, "fast", &r), ORDO_OK);
    ordo_ticket t = nullptr;
    ASSERT_EQ(ordo_resource_acquire(r, &t), ORDO_OK);
    ordo_future g = nullptr;
    ASSERT_EQ(ordo_ticket_grant_future(t, &g), ORDO_OK);
    EXPECT_EQ(ordo_future_wait(g, soon(), 0), ORDO_OK);
    ASSERT_EQ(ordo_ticket_ready(t, nullptr, 0), ORDO_OK);
    ASSERT_EQ(ordo_ticket_destroy(t), ORDO_OK); // the future still holds the ticket
    ASSERT_EQ(ordo_future_destroy(g), ORDO_OK);
    cycle(r);
    ordo_resource_destroy(r);
}

// Two threads release the same fast ticket at once: exactly one succeeds,
// and the resource is idle afterwards (the next cycle is fast again).
TEST(FastCycle, ConcurrentReleasesOfOneTicket) {
    ordo_resource r = nullptr;
    ASSERT_EQ(ordo_resource_create(nullptr, "fast", &r), ORDO_OK);
    for (int round = 0; round < 50; ++round) {
        ordo_ticket t = nullptr;
        ASSERT_EQ(ordo_resource_acquire(r, &t), ORDO_OK);
        std::atomic<int> go{0}, ok{0};
        auto release = [&](bool cancel) {
            go.fetch_add(1);
            while (go.load() < 2)
                std::this_thread::yield();
            if ((cancel ? ordo_ticket_cancel(t) : ordo_ticket_ready(t, nullptr, 0)) == ORDO_OK)
                ok.fetch_add(1);
        };
        std::thread a(release, false), b(release, true);
        a.join();
        b.join();
        EXPECT_EQ(ok.load(), 1);
        ASSERT_EQ(ordo_ticket_destroy(t), ORDO_OK);
    }
    Counts before = counts();
    cycle(r);
    EXPECT_COUNT_GREW(before, acquired, 1);
    ordo_resource_destroy(r);
}

// Every way of releasing a fast ticket, two at a time from two threads,
// each pair also against a successor acquiring from a third thread and
// against the resource's handle going first: exactly one release succeeds,
// the others are refused, and the next ticket is handed exactly what the
// winner released (its events, its failure, or nothing). The event's
// references all come back.
TEST(FastCycle, ReleasesRaceEachOtherAndASuccessor) {
    enum How { kReadyNothing, kCancel, kReadyEvent, kFail, kHows };
    constexpr int kFailStatus = ORDO_STATUS_USER_BASE - 2;
    cl_event e = make_user_event();
    cl_int base = reference_count(e);
    Counts before = counts();
    int rounds = 0;
    for (int a = 0; a < kHows; ++a)
        for (int b = a; b < kHows; ++b)
            for (int rival = 0; rival < 3; ++rival) // none, a successor, the handle's destroy
                for (int repeat = 0; repeat < 40; ++repeat, ++rounds) {
                    ordo_resource r = nullptr;
                    ASSERT_EQ(ordo_resource_create(nullptr, "raced", &r), ORDO_OK);
                    ordo_ticket t = nullptr, next = nullptr;
                    ASSERT_EQ(ordo_resource_acquire(r, &t), ORDO_OK);
                    std::atomic<int> go{0};
                    int status[2] = {0, 0};
                    auto start = [&] {
                        go.fetch_add(1);
                        while (go.load() < 3)
                            std::this_thread::yield();
                    };
                    auto release = [&](int how, int *out) {
                        start();
                        switch (how) {
                        case kReadyNothing:
                            *out = ordo_ticket_ready(t, nullptr, 0);
                            break;
                        case kCancel:
                            *out = ordo_ticket_cancel(t);
                            break;
                        case kReadyEvent:
                            *out = ordo_ticket_ready(t, &e, 1);
                            break;
                        default:
                            *out = ordo_ticket_fail(t, kFailStatus, "raced");
                            break;
                        }
                    };
                    std::thread x(release, a, &status[0]), y(release, b, &status[1]);
                    start();
                    int rival_status = ORDO_OK;
                    if (rival == 1)
                        rival_status = ordo_resource_acquire(r, &next);
                    else if (rival == 2)
                        rival_status = ordo_resource_destroy(r);
                    x.join();
                    y.join();
                    ASSERT_EQ(rival_status, ORDO_OK);
                    ASSERT_TRUE((status[0] == ORDO_OK) != (status[1] == ORDO_OK))
                        << "how " << a << " and " << b << " gave " << status[0] << ", "
                        << status[1];
                    int winner = status[0] == ORDO_OK ? a : b;
                    EXPECT_EQ(status[0] == ORDO_OK ? status[1] : status[0],
                              ORDO_ERROR_INVALID_STATE);
                    ASSERT_EQ(ordo_ticket_destroy(t), ORDO_OK);
                    if (rival == 2)
                        continue; // nobody can come next; ASan sees the resource freed once
                    if (rival == 0) {
                        ASSERT_EQ(ordo_resource_acquire(r, &next), ORDO_OK);
                    }
                    const cl_event *got = nullptr;
                    size_t n = 99;
                    int waited = ordo_ticket_wait(next, soon(), &got, &n);
                    if (winner == kFail) {
                        EXPECT_EQ(waited, kFailStatus);
                    } else {
                        ASSERT_EQ(waited, ORDO_OK);
                        ASSERT_EQ(n, winner == kReadyEvent ? 1u : 0u) << "winner " << winner;
                        if (n == 1) {
                            EXPECT_EQ(got[0], e);
                        }
                    }
                    ASSERT_EQ(ordo_ticket_ready(next, nullptr, 0), ORDO_OK);
                    ASSERT_EQ(ordo_ticket_destroy(next), ORDO_OK);
                    cycle(r); // the resource works on
                    ASSERT_EQ(ordo_resource_destroy(r), ORDO_OK);
                }
    clSetUserEventStatus(e, CL_COMPLETE);
    EXPECT_TRUE(reference_count_returns_to(e, base));
    clReleaseEvent(e);
    // Each way out of the fast cycle ran: put back, made plain by a release
    // or by a successor, and left to delete an orphan.
    Counts now = counts();
    if (now.counted) {
        EXPECT_GT(now.c.put_back - before.c.put_back, 0u);
        EXPECT_GT(now.c.replaced - before.c.replaced, 0u);
        EXPECT_GT(now.c.left - before.c.left, now.c.replaced - before.c.replaced);
        EXPECT_GT(now.c.orphans - before.c.orphans, 0u);
    }
    EXPECT_GT(rounds, 0);
}

// Acquires racing on one resource from several threads, never waiting:
// every ticket is granted in order and the resource ends idle.
TEST(FastCycle, RacingAcquiresKeepOrder) {
    ordo_resource r = nullptr;
    ASSERT_EQ(ordo_resource_create(nullptr, "fast", &r), ORDO_OK);
    std::atomic<long> holders{0}, overlaps{0};
    auto work = [&] {
        for (int i = 0; i < 2000; ++i) {
            ordo_ticket t = nullptr;
            ASSERT_EQ(ordo_resource_acquire(r, &t), ORDO_OK);
            ASSERT_EQ(ordo_ticket_wait(t, eventually(), nullptr, nullptr), ORDO_OK);
            if (holders.fetch_add(1) != 0)
                overlaps.fetch_add(1);
            holders.fetch_sub(1);
            ASSERT_EQ(ordo_ticket_ready(t, nullptr, 0), ORDO_OK);
            ASSERT_EQ(ordo_ticket_destroy(t), ORDO_OK);
        }
    };
    std::thread a(work), b(work), c(work);
    a.join();
    b.join();
    c.join();
    EXPECT_EQ(overlaps.load(), 0);
    Counts before = counts();
    cycle(r);
    EXPECT_COUNT_GREW(before, acquired, 1);
    ordo_resource_destroy(r);
}

} // namespace
