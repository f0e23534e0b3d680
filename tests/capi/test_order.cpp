// Rule 1 (docs/CONTRACT.md): grants happen in the order of the acquire calls, whatever order the
// holders start waiting in, on one host thread or several.
#include "../support/cl_env.hpp"

#include <algorithm>
#include <atomic>
#include <latch>
#include <random>
#include <thread>
#include <vector>

using namespace ordo_test;

namespace {

// Every ticket, once granted, records its position and releases at once, from
// the grant callback (which may run on whichever thread released the
// predecessor). Returns the recorded grant order.
struct GrantLog {
    std::atomic<int> next{0};
    std::vector<int> order;
    std::vector<ordo_ticket> tickets;
    std::atomic<int> out_of_order{0};

    explicit GrantLog(int n) : order(n, -1), tickets(n) {}
};

struct Holder {
    GrantLog *log;
    int index;
};

void on_grant(void *data, int status) {
    auto *h = static_cast<Holder *>(data);
    EXPECT_EQ(status, ORDO_OK);
    int position = h->log->next.fetch_add(1);
    h->log->order[h->index] = position;
    if (position != h->index)
        h->log->out_of_order.fetch_add(1);
    EXPECT_EQ(ordo_ticket_ready(h->log->tickets[h->index], nullptr, 0), ORDO_OK);
}

// Registers grant callbacks in `wait_order` from `threads` threads, with the
// first ticket held back until every callback is registered.
void run_callback_order(int n, const std::vector<int> &wait_order, int threads) {
    ordo_resource r = nullptr;
    ORDO_ASSERT_OK(ordo_resource_create(nullptr, "order", &r));
    GrantLog log(n);
    for (int i = 0; i < n; ++i)
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &log.tickets[i]));
    std::vector<Holder> holders(n);
    std::vector<ordo_future> grants(n, nullptr);
    for (int i = 0; i < n; ++i)
        holders[i] = Holder{&log, i};

    // Ticket 0 is "slow": its holder starts waiting last of all.
    std::vector<int> order;
    for (int i : wait_order)
        if (i != 0)
            order.push_back(i);
    std::vector<std::thread> pool;
    std::latch registered(threads);
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            for (size_t k = t; k < order.size(); k += threads) {
                int i = order[k];
                EXPECT_EQ(ordo_ticket_grant_future(log.tickets[i], &grants[i]), ORDO_OK);
                EXPECT_EQ(ordo_future_on_complete(grants[i], on_grant, &holders[i]), ORDO_OK);
            }
            registered.count_down();
        });
    }
    registered.wait();
    // Nobody may be granted while ticket 0 is unreleased.
    EXPECT_EQ(log.next.load(), 0);
    for (int i = 1; i < n; ++i)
        EXPECT_EQ(ordo_future_poll(grants[i]), ORDO_PENDING) << i;
    ORDO_EXPECT_OK(ordo_ticket_grant_future(log.tickets[0], &grants[0]));
    ORDO_EXPECT_OK(ordo_future_on_complete(grants[0], on_grant, &holders[0]));
    for (auto &th : pool)
        th.join();
    for (int i = 0; i < n; ++i)
        ORDO_EXPECT_OK(ordo_future_wait(grants[i], eventually(), 0));
    EXPECT_EQ(log.next.load(), n);
    EXPECT_EQ(log.out_of_order.load(), 0);
    for (int i = 0; i < n; ++i)
        EXPECT_EQ(log.order[i], i);
    for (int i = 0; i < n; ++i) {
        ordo_future_destroy(grants[i]);
        ordo_ticket_destroy(log.tickets[i]);
    }
    ordo_resource_destroy(r);
}

std::vector<int> reversed(int n) {
    std::vector<int> v(n);
    for (int i = 0; i < n; ++i)
        v[i] = n - 1 - i;
    return v;
}

std::vector<int> shuffled(int n, unsigned seed) {
    std::vector<int> v(n);
    for (int i = 0; i < n; ++i)
        v[i] = i;
    std::mt19937 rng(seed);
    std::shuffle(v.begin(), v.end(), rng);
    return v;
}

} // namespace

TEST(TicketOrder, ReverseWaitOrderOneThread) {
    run_callback_order(64, reversed(64), 1);
}
TEST(TicketOrder, ReverseWaitOrderFourThreads) {
    run_callback_order(256, reversed(256), 4);
}

TEST(TicketOrder, RandomWaitOrderOneThread) {
    for (unsigned seed = 1; seed <= 5; ++seed)
        run_callback_order(100, shuffled(100, seed), 1);
}

TEST(TicketOrder, RandomWaitOrderFourThreads) {
    for (unsigned seed = 1; seed <= 5; ++seed)
        run_callback_order(400, shuffled(400, seed), 4);
}

// Blocking host waits: four threads own a random share of the tickets each
// and wait for them in increasing order; the threads start in reverse order.
TEST(TicketOrder, BlockingWaitsOnFourThreads) {
    constexpr int n = 2000;
    ordo_resource r = nullptr;
    ORDO_ASSERT_OK(ordo_resource_create(nullptr, "blocking", &r));
    std::vector<ordo_ticket> tickets(n);
    for (auto &t : tickets)
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &t));
    std::vector<std::vector<int>> share(4);
    std::mt19937 rng(42);
    for (int i = 0; i < n; ++i)
        share[rng() % 4].push_back(i);
    std::atomic<int> next{0};
    std::atomic<int> violations{0};
    // The thread that owns ticket 0 starts last.
    int owner0 = 0;
    for (int t = 0; t < 4; ++t)
        if (!share[t].empty() && share[t][0] == 0)
            owner0 = t;
    std::latch others_waiting(3);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            if (t == owner0)
                others_waiting.wait();
            else
                others_waiting.count_down();
            for (int i : share[t]) {
                const cl_event *events = nullptr;
                size_t num = 99;
                int status = ordo_ticket_wait(tickets[i], eventually(), &events, &num);
                EXPECT_EQ(status, ORDO_OK) << ordo_last_error_message();
                EXPECT_EQ(num, 0u);
                if (next.fetch_add(1) != i)
                    violations.fetch_add(1);
                EXPECT_EQ(ordo_ticket_ready(tickets[i], nullptr, 0), ORDO_OK);
            }
        });
    }
    for (auto &th : threads)
        th.join();
    EXPECT_EQ(next.load(), n);
    EXPECT_EQ(violations.load(), 0);
    for (auto t : tickets)
        ordo_ticket_destroy(t);
    ordo_resource_destroy(r);
}

// Four threads acquire concurrently; tickets acquired by one thread keep
// that thread's order, and the grants form one total order.
TEST(TicketOrder, ConcurrentAcquirersKeepTheirOwnOrder) {
    constexpr int per_thread = 500;
    ordo_resource r = nullptr;
    ORDO_ASSERT_OK(ordo_resource_create(nullptr, "concurrent", &r));
    std::vector<std::vector<ordo_ticket>> tickets(4, std::vector<ordo_ticket>(per_thread));
    std::latch start(4);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            start.arrive_and_wait();
            for (auto &ticket : tickets[t])
                EXPECT_EQ(ordo_resource_acquire(r, &ticket), ORDO_OK);
        });
    for (auto &th : threads)
        th.join();
    // Release everything from one thread, in an order that respects each
    // thread's own sequence; each ticket must be granted before the next one
    // of the same thread.
    std::vector<size_t> position(4, 0);
    int released = 0;
    while (released < 4 * per_thread) {
        bool progress = false;
        for (int t = 0; t < 4; ++t) {
            if (position[t] == per_thread)
                continue;
            ordo_ticket ticket = tickets[t][position[t]];
            if (ordo_ticket_wait(ticket, ordo_now(), nullptr, nullptr) == ORDO_OK) {
                if (position[t] + 1 < per_thread) {
                    EXPECT_EQ(
                        ordo_ticket_wait(tickets[t][position[t] + 1], ordo_now(), nullptr, nullptr),
                        ORDO_ERROR_TIMEOUT);
                }
                ORDO_EXPECT_OK(ordo_ticket_ready(ticket, nullptr, 0));
                ++position[t];
                ++released;
                progress = true;
            }
        }
        ASSERT_TRUE(progress) << "no ticket could be granted: the order has a cycle";
    }
    for (auto &v : tickets)
        for (auto t : v)
            ordo_ticket_destroy(t);
    ordo_resource_destroy(r);
}

// A late holder keeps its place: the resource waits for it (no skipping).
TEST(TicketOrder, LateHolderIsNotSkipped) {
    ordo_resource r = nullptr;
    ORDO_ASSERT_OK(ordo_resource_create(nullptr, "late", &r));
    ordo_ticket a = nullptr, b = nullptr, c = nullptr;
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &a));
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &b));
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &c));
    ORDO_ASSERT_OK(ordo_ticket_wait(a, soon(), nullptr, nullptr));
    ORDO_ASSERT_OK(ordo_ticket_ready(a, nullptr, 0));
    // b never waits for a while; c must not be granted in the meantime.
    EXPECT_EQ(ordo_ticket_wait(c, soon(), nullptr, nullptr), ORDO_ERROR_TIMEOUT);
    ORDO_ASSERT_OK(ordo_ticket_wait(b, soon(), nullptr, nullptr));
    ORDO_ASSERT_OK(ordo_ticket_ready(b, nullptr, 0));
    ORDO_EXPECT_OK(ordo_ticket_wait(c, soon(), nullptr, nullptr));
    ordo_ticket_destroy(a);
    ordo_ticket_destroy(b);
    ordo_ticket_destroy(c);
    ordo_resource_destroy(r);
}
