// Fault cases of the C++ wrapper: lifetimes around its run loop, and
// coroutines awaiting events that have already failed.
#include "../support/cl_env.hpp"
#include "../support/coroutines.hpp"

#include <ordo/coro.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

// Regression (found by ThreadSanitizer in the coroutine tests): RunLoop::post
// signalled its condition variable after unlocking, so the loop could run the
// work, return from run_until and be destroyed while post() was still inside
// notify_one(). A loop must be destroyable as soon as it has run the work
// that another thread posted.
TEST(RunLoop, MayBeDestroyedRightAfterRunningPostedWork) {
    for (int i = 0; i < 2000; ++i) {
        std::thread poster;
        {
            ordo::RunLoop loop;
            std::atomic<bool> done{false};
            poster = std::thread([&] { loop.post([&] { done = true; }); });
            ASSERT_TRUE(loop.run_until([&] { return done.load(); },
                                       ordo::deadline_after(std::chrono::seconds(10))));
        } // the loop is gone; the poster may still be returning from post()
        poster.join();
    }
}

// Regression (found by ThreadSanitizer in ordo-coroutines): the awaiter of
// Ticket::completed stored the status of registering its event-wait callback
// after the callback could already have run and stored the events' failure,
// overwriting it with ORDO_OK. With an event that has already failed the
// callback runs at once, inside the registration: the coroutine resumed as
// if the events had completed.
TEST(Coroutines, CompletedOnAnEventThatAlreadyFailedThrows) {
    ordo::RunLoop loop;
    ordo::Resource r;
    ordo::Ticket a = r.acquire(), b = r.acquire();
    cl::UserEvent e(cl::Context(ordo_test::cl_env().context, true));
    e.setStatus(-5);
    a.ready({e});
    int status = 1;
    ordo::Task task = ordo_test::await_completed(b, loop.executor(), status);
    EXPECT_TRUE(loop.run_until([&] { return task.done(); },
                               ordo::deadline_after(std::chrono::seconds(10))));
    EXPECT_EQ(status, ORDO_ERROR_EVENT_FAILED);
    b.ready();
}
