// Tickets on several resources at once (ordo_resource_acquire_many): one
// wait and one release for all, each part released on its own, bad input,
// and no deadlock among overlapping acquirers.
#include "../support/capi_helpers.hpp"
#include "../support/cl_env.hpp"

#include <algorithm>
#include <atomic>
#include <random>
#include <set>
#include <thread>
#include <vector>

using namespace ordo_test;

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
