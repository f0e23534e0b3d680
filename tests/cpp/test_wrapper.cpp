// The C++ wrapper (ordo.hpp): RAII, exceptions, the job queue, coroutines.
#include "../support/cl_env.hpp"
#include "../support/coroutines.hpp"
#include <array>

#include <ordo/coro.hpp>

#include <array>
#include <latch>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace ordo_test;

TEST(Wrapper, TicketDroppedDuringUnwindingFailsSuccessors) {
    ordo::Resource r(nullptr, "unwinding");
    ordo::Ticket next;
    try {
        ordo::Ticket first = r.acquire();
        next = r.acquire();
        first.wait();
        throw std::runtime_error("the upload failed");
    } catch (const std::runtime_error &) {
    }
    try {
        next.wait_until(ordo::deadline_after(std::chrono::seconds(1)));
        FAIL() << "the dropped ticket should have failed its successor";
    } catch (const ordo::Error &e) {
        EXPECT_EQ(e.status(), ORDO_ERROR_ABANDONED);
        EXPECT_NE(std::string(e.what()).find("exception"), std::string::npos);
    }
    next.ready();
}

TEST(Wrapper, TicketDroppedNormallyWarnsAndReleases) {
    LogCapture log;
    ordo::Resource r;
    ordo::Ticket second;
    {
        ordo::Ticket first = r.acquire();
        second = r.acquire();
    }
    EXPECT_TRUE(log.contains("ticket released without ready"));
    std::optional<std::vector<cl::Event>> events =
        second.wait_until(ordo::deadline_after(std::chrono::seconds(1)));
    ASSERT_TRUE(events.has_value());
    EXPECT_TRUE(events->empty());
    second.ready();
}

// One policy for every wait: a timeout is an empty optional (or false),
// never an exception; a failure is always one.
TEST(Wrapper, EveryWaitReportsATimeoutByValueAndAFailureByException) {
    ordo::Resource r, s;
    ordo::Ticket a = r.acquire(), b = r.acquire();
    cl::CommandQueue queue(cl_env().queue1, true);
    EXPECT_FALSE(b.wait_until(ordo::now()).has_value());
    EXPECT_FALSE(b.wait_view_until(ordo::now()).has_value());
    EXPECT_FALSE(b.wait_complete_until(ordo::now()).has_value());
    EXPECT_FALSE(b.enqueue_wait_until(queue, ordo::now()).has_value());
    ordo::Ticket s0 = s.acquire();
    ordo::MultiTicket m({r, s});
    EXPECT_FALSE(m.wait_until(ordo::now()).has_value());
    EXPECT_FALSE(m.wait_complete_until(ordo::now()).has_value());
    EXPECT_FALSE(m.enqueue_wait_until(queue, ordo::now()).has_value());
    ordo::Promise p;
    EXPECT_FALSE(p.future().wait_until(ordo::now()));
    ordo::JobQueue q(1);
    q.add(p.future());
    ordo::Promise p2;
    EXPECT_FALSE(q.add_until(p2.future(), ordo::now()));
    EXPECT_FALSE(q.finish_until(0, ordo::now()));

    a.fail(ORDO_ERROR_FAILED, "chunk a failed");
    try {
        b.wait_until(ordo::now());
        FAIL() << "a failure is an exception";
    } catch (const ordo::Error &e) {
        EXPECT_EQ(e.status(), ORDO_ERROR_FAILED);
    }
    EXPECT_THROW(b.wait_complete_until(ordo::now()), ordo::Error);
    EXPECT_THROW(b.wait(), ordo::Error);
    b.fail(ORDO_ERROR_FAILED, "passed on");
    s0.ready();
    EXPECT_THROW(m.wait_until(ordo::now()), ordo::Error);
    m.fail(ORDO_ERROR_FAILED, "passed on");
    p.fail(ORDO_ERROR_FAILED, "job failed");
    EXPECT_THROW(p.future().wait_until(ordo::now()), ordo::Error);
    EXPECT_THROW(q.finish_until(0, ordo::now()), ordo::Error);
}

// Regression: MultiTicket's destructor failed its tickets whenever it ran
// during unwinding, also after ready() had released them all; the refused
// fail call then overwrote the thread's last error message.
TEST(Wrapper, MultiTicketReleasedBeforeUnwindingIsNotFailedAgain) {
    ordo::Resource r, s;
    ordo::Ticket after_r;
    try {
        ordo::MultiTicket m({r, s});
        after_r = r.acquire();
        m.wait();
        m.ready_one(0);
        m.ready_one(1);
        EXPECT_TRUE(m.released());
        // A known last error, which a refused call would overwrite.
        EXPECT_EQ(ordo_ticket_ready(nullptr, nullptr, 0), ORDO_ERROR_INVALID_HANDLE);
        throw std::runtime_error("a later step failed");
    } catch (const std::runtime_error &) {
    }
    EXPECT_NE(std::string(ordo_last_error_message()).find("ORDO_ERROR_INVALID_HANDLE"),
              std::string::npos)
        << ordo_last_error_message();
    EXPECT_TRUE(after_r.wait_until(ordo::now()).has_value());
    after_r.ready();
}

TEST(Wrapper, MultiTicketUnwindingFailsOnlyWhatItHasNotReleased) {
    ordo::Resource r, s;
    ordo::Ticket after_r, after_s;
    try {
        ordo::MultiTicket m({r, s});
        after_r = r.acquire();
        after_s = s.acquire();
        m.wait();
        m.ready_one(0);
        EXPECT_FALSE(m.released());
        throw std::runtime_error("a later step failed");
    } catch (const std::runtime_error &) {
    }
    EXPECT_TRUE(after_r.wait_until(ordo::now()).has_value());
    try {
        after_s.wait_until(ordo::now());
        FAIL() << "the ticket not released should have failed";
    } catch (const ordo::Error &e) {
        EXPECT_EQ(e.status(), ORDO_ERROR_ABANDONED);
    }
    after_r.ready();
    after_s.ready();
}

TEST(Wrapper, FuturesCloneAndPromisesComplete) {
    ordo::Promise p;
    ordo::Future f = p.future();
    ordo::Future g = f; // a second handle, same completion
    EXPECT_FALSE(g.done());
    cl::UserEvent e(cl::Context(cl_env().context, true));
    p.complete({e});
    EXPECT_TRUE(f.done());
    ASSERT_EQ(g.events().size(), 1u);
    EXPECT_EQ(g.events()[0](), e());
    e.setStatus(CL_COMPLETE);
}

TEST(Wrapper, JobQueue) {
    ordo::JobQueue q(1);
    ordo::Promise a, b;
    q.add(a.future());
    EXPECT_FALSE(q.try_add(b.future()));
    a.fail(ORDO_ERROR_FAILED, "chunk a failed");
    EXPECT_TRUE(q.try_add(b.future()));
    EXPECT_THROW(q.clean(), ordo::Error);
    EXPECT_EQ(q.size(), 1u);
    b.complete();
    EXPECT_TRUE(q.finish_until(0, ordo::deadline_after(std::chrono::seconds(1))));
    EXPECT_TRUE(q.empty());
}

TEST(Wrapper, CompletionQueue) {
    ordo::CompletionQueue q;
    ordo::Promise a, b;
    q.post(a.future(), 1); // the queue keeps the temporary future
    q.post(b.future(), 2);
    EXPECT_EQ(q.outstanding(), 2u);
    std::array<ordo_completion, 4> batch{};
    EXPECT_EQ(q.read(batch), 0u);
    EXPECT_EQ(q.read_until(batch, ordo::deadline_after(std::chrono::milliseconds(1))), 0u);
    b.fail(ORDO_ERROR_FAILED, "b failed");
    a.complete();
    ASSERT_EQ(q.read_until(batch, ordo::never), 2u);
    EXPECT_EQ(batch[0].tag, 2u);
    EXPECT_EQ(batch[0].status, ORDO_ERROR_FAILED);
    EXPECT_EQ(batch[1].tag, 1u);
    EXPECT_EQ(batch[1].status, ORDO_OK);
    EXPECT_GE(q.fd(), 0);
    EXPECT_THROW(q.read(std::span<ordo_completion>()), ordo::Error);
}

namespace {

ordo::Task take_in_order(ordo::Ticket ticket, ordo::Executor ex, int index, std::vector<int> &order,
                         std::vector<std::thread::id> &threads) {
    std::vector<cl::Event> events = co_await ordo::granted(ticket, ex);
    order.push_back(index);
    threads.push_back(std::this_thread::get_id());
    ticket.ready();
}

} // namespace

TEST(Coroutines, GrantsResumeInTicketOrderOnTheRunLoop) {
    ordo::RunLoop loop;
    ordo::Resource r;
    std::vector<ordo::Ticket> tickets;
    for (int i = 0; i < 8; ++i)
        tickets.push_back(r.acquire());
    std::vector<int> order;
    std::vector<std::thread::id> threads;
    std::vector<ordo::Task> tasks;
    // Coroutines start (and suspend) in reverse ticket order.
    for (int i = 7; i >= 1; --i)
        tasks.push_back(take_in_order(std::move(tickets[i]), loop.executor(), i, order, threads));
    EXPECT_TRUE(order.empty());
    // Ticket 0 is released from another thread; every resumption still runs here.
    std::thread other([&] { tickets[0].ready(); });
    EXPECT_TRUE(loop.run_until(
        [&] {
            for (auto &t : tasks)
                if (!t.done())
                    return false;
            return true;
        },
        ordo::deadline_after(std::chrono::seconds(10))));
    other.join();
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4, 5, 6, 7}));
    for (auto id : threads)
        EXPECT_EQ(id, std::this_thread::get_id());
    for (auto &t : tasks)
        t.get();
}

TEST(Coroutines, CompletedWaitsForEventsWithoutBlocking) {
    ordo::RunLoop loop;
    ordo::Resource r;
    ordo::Ticket a = r.acquire(), b = r.acquire();
    cl::UserEvent e(cl::Context(cl_env().context, true));
    a.ready({e});
    int status = 1;
    ordo::Task task = ordo_test::await_completed(b, loop.executor(), status);
    EXPECT_FALSE(loop.run_until([&] { return task.done(); },
                                ordo::deadline_after(std::chrono::milliseconds(20))));
    std::thread setter([&] { e.setStatus(CL_COMPLETE); });
    EXPECT_TRUE(loop.run_until([&] { return task.done(); },
                               ordo::deadline_after(std::chrono::seconds(10))));
    setter.join();
    EXPECT_EQ(status, ORDO_OK);
    b.ready();
}

TEST(Coroutines, FailedEventThrowsInTheCoroutine) {
    ordo::RunLoop loop;
    ordo::Resource r;
    ordo::Ticket a = r.acquire(), b = r.acquire();
    cl::UserEvent e(cl::Context(cl_env().context, true));
    a.ready({e});
    int status = 1;
    ordo::Task task = ordo_test::await_completed(b, loop.executor(), status);
    std::thread setter([&] { e.setStatus(-5); });
    EXPECT_TRUE(loop.run_until([&] { return task.done(); },
                               ordo::deadline_after(std::chrono::seconds(10))));
    setter.join();
    EXPECT_EQ(status, ORDO_ERROR_EVENT_FAILED);
    b.ready();
}

TEST(Coroutines, DestroyedWhileSuspendedIsNeverResumed) {
    ordo::RunLoop loop;
    ordo::Resource r;
    ordo::Ticket a = r.acquire();
    std::vector<int> order;
    std::vector<std::thread::id> threads;
    {
        ordo::Task task = take_in_order(r.acquire(), loop.executor(), 1, order, threads);
        EXPECT_FALSE(task.done());
    }          // destroyed while suspended on its grant
    a.ready(); // completes the grant: the resumption is posted, and must do nothing
    int posted = 0;
    loop.post([&] { ++posted; });
    EXPECT_TRUE(loop.run_until([&] { return posted == 1; },
                               ordo::deadline_after(std::chrono::seconds(10))));
    EXPECT_TRUE(order.empty());
}

namespace {

ordo::Task hold_through_grant(ordo::Ticket ticket, ordo::Executor ex, bool completed) {
    if (completed)
        co_await ordo::completed(ticket, ex);
    else
        co_await ordo::granted(ticket, ex);
    ticket.ready();
}

ordo::Task fail_after_grant(ordo::Ticket ticket, ordo::Executor ex) {
    co_await ordo::granted(ticket, ex);
    throw std::runtime_error("the chunk's kernel failed");
}

} // namespace

// Regression: co_await ordo::granted(ticket, ex) and completed(ex) take a grant
// future, which counted as seeing the grant; a coroutine destroyed while
// suspended there released its ticket as seen, so the successor was granted
// without the predecessor's events.
TEST(Coroutines, DestroyedWhileSuspendedForwardsThePredecessorsEvents) {
    for (bool completed : {false, true}) {
        ordo::RunLoop loop;
        ordo::Resource r;
        ordo::Ticket first = r.acquire(), second = r.acquire(), third = r.acquire();
        cl::UserEvent e(cl::Context(cl_env().context, true));
        {
            ordo::Task task = hold_through_grant(std::move(second), loop.executor(), completed);
            EXPECT_FALSE(task.done());
        } // destroyed while suspended, before the grant
        // Complete already, so that every resumption is posted during
        // ready(), on this thread, while the loop lives.
        e.setStatus(CL_COMPLETE);
        first.ready({e});
        std::optional<std::vector<cl::Event>> events =
            third.wait_until(ordo::deadline_after(std::chrono::seconds(1)));
        ASSERT_TRUE(events.has_value());
        ASSERT_EQ(events->size(), 1u) << (completed ? "completed" : "granted");
        EXPECT_EQ((*events)[0](), e());
        third.ready();
    }
}

// Regression: a ticket passed to a coroutine as a parameter lives in the
// coroutine's frame and is destroyed with it, after the exception that
// escaped the body was caught by the promise: it was released as "ready
// without events" instead of failing its successor. ordo::Task destroys a
// frame that ended in an exception as an unwinding, so it fails now.
TEST(Coroutines, TicketParameterOfACoroutineThatThrewFailsItsSuccessor) {
    ordo::RunLoop loop;
    ordo::Resource r;
    ordo::Ticket first = r.acquire();
    ordo::Ticket second = r.acquire();
    ordo::Ticket third = r.acquire();
    {
        ordo::Task task = fail_after_grant(std::move(second), loop.executor());
        first.ready();
        EXPECT_TRUE(loop.run_until([&] { return task.done(); },
                                   ordo::deadline_after(std::chrono::seconds(10))));
        EXPECT_THROW(task.get(), std::runtime_error);
    }
    try {
        third.wait_until(ordo::deadline_after(std::chrono::seconds(1)));
        FAIL() << "the coroutine's ticket should have failed its successor";
    } catch (const ordo::Error &e) {
        EXPECT_EQ(e.status(), ORDO_ERROR_ABANDONED);
    }
    third.ready();
}
