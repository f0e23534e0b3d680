// Fault cases of the C++ wrapper: lifetimes around its run loop.
#include <ordo/ordo.hpp>

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
