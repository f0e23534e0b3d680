// Internals: Future (lib/future.hpp), one completion shared by reference:
// completed or failed exactly once, callbacks run exactly once (oldest
// first, at once when registered late, deferred when completed from inside
// a callback), deadlines, the events a completed future carries, and the
// eventfd that becomes readable on completion.
#include "../../lib/clock.hpp"
#include "../../lib/future.hpp"
#include "../support/core_cl.hpp"

#include <gtest/gtest.h>

#include <latch>
#include <poll.h>
#include <string>
#include <thread>
#include <vector>

using namespace ordo::detail;
using ordo_core_test::UserEvents;

namespace {

constexpr int kAppFailure = ORDO_STATUS_USER_BASE - 3;

using Counts = std::vector<cl_uint>;
using Log = std::vector<int>;

// A callback node that logs its id each time it runs, and what it saw.
struct Recorder : Callback {
    Log *log;
    int id;
    int calls = 0;
    Future::State seen = Future::kPending;
    Recorder(Log &l, int i) : log(&l), id(i) { fn = &Recorder::run; }
    static void run(Callback *self, Future &future) noexcept {
        auto *r = static_cast<Recorder *>(self);
        ++r->calls;
        r->seen = future.state();
        r->log->push_back(r->id);
    }
};

// Whether fd is readable now (poll(2) with a zero timeout).
bool readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

Deadline past() {
    return now_ns() - 1;
}

} // namespace

// The first completion wins; later ones are refused and change nothing (a
// refused list's references are dropped).
TEST(Future, CompletesExactlyOnce) {
    UserEvents ev(2);
    {
        Ref<Future> f = Future::make_pending();
        EXPECT_EQ(f->state(), Future::kPending);
        EXPECT_FALSE(f->is_complete());
        EXPECT_EQ(f->poll(), ORDO_PENDING);
        EXPECT_TRUE(f->complete(EventList::retain(ev.data(), 1)));
        EXPECT_EQ(f->state(), Future::kDone);
        EXPECT_TRUE(f->is_complete());
        EXPECT_EQ(f->poll(), ORDO_OK);
        EXPECT_FALSE(f->complete(EventList::retain(ev.data() + 1, 1)));
        EXPECT_FALSE(f->fail(Failure::make(kAppFailure, "too late")));
        EXPECT_FALSE(f->cancel());
        EXPECT_EQ(f->state(), Future::kDone);
        EXPECT_EQ(f->poll(), ORDO_OK);
        ASSERT_EQ(f->events().size(), 1u);
        EXPECT_EQ(f->events().data()[0], ev[0]);
        EXPECT_EQ(ev.held(), (Counts{1, 0}));
    }
    EXPECT_EQ(ev.held(), (Counts{0, 0}));
}

TEST(Future, FailsExactlyOnce) {
    UserEvents ev(1);
    Ref<Future> f = Future::make_pending();
    EXPECT_TRUE(f->fail(Failure::make(kAppFailure, "first")));
    EXPECT_EQ(f->state(), Future::kFailed);
    EXPECT_EQ(f->poll(), kAppFailure);
    EXPECT_EQ(f->wait(past()), kAppFailure);
    EXPECT_FALSE(f->fail(Failure::make(kAppFailure - 1, "second")));
    EXPECT_FALSE(f->complete(EventList::retain(ev.data(), 1)));
    EXPECT_FALSE(f->cancel());
    EXPECT_EQ(f->state(), Future::kFailed);
    EXPECT_EQ(f->failure().status(), kAppFailure);
    EXPECT_EQ(f->failure().message(), "first");
    EXPECT_TRUE(f->events().empty());
    EXPECT_EQ(ev.held(), Counts{0});
}

// The default cancel fails a pending future with ORDO_ERROR_CANCELLED, once.
TEST(Future, CancelFailsAPendingFuture) {
    Ref<Future> f = Future::make_pending();
    EXPECT_TRUE(f->cancel());
    EXPECT_EQ(f->state(), Future::kFailed);
    EXPECT_EQ(f->poll(), ORDO_ERROR_CANCELLED);
    EXPECT_FALSE(f->cancel());
    EXPECT_FALSE(f->complete(EventList{}));
    EXPECT_EQ(f->poll(), ORDO_ERROR_CANCELLED);
}

// Callbacks registered before completion run once, at completion, oldest
// first; one registered after it runs at once, inside on_complete; refused
// completions run none again.
TEST(Future, CallbacksRunExactlyOnce) {
    Log log;
    Recorder a(log, 1), b(log, 2), c(log, 3), late(log, 4);
    Ref<Future> f = Future::make_pending();
    f->on_complete(&a);
    f->on_complete(&b);
    f->on_complete(&c);
    EXPECT_TRUE(log.empty());
    ASSERT_TRUE(f->complete(EventList{}));
    EXPECT_EQ(log, (Log{1, 2, 3}));
    f->on_complete(&late);
    EXPECT_EQ(log, (Log{1, 2, 3, 4}));
    EXPECT_FALSE(f->complete(EventList{}));
    EXPECT_FALSE(f->fail(Failure::make(kAppFailure, "too late")));
    EXPECT_EQ(log, (Log{1, 2, 3, 4}));
    for (Recorder *r : {&a, &b, &c, &late}) {
        EXPECT_EQ(r->calls, 1) << r->id;
        EXPECT_EQ(r->seen, Future::kDone) << r->id;
    }
}

TEST(Future, CallbacksOfAFailedFutureRunOnceAndSeeTheFailure) {
    Log log;
    Recorder a(log, 1), late(log, 2);
    Ref<Future> f = Future::make_pending();
    f->on_complete(&a);
    ASSERT_TRUE(f->fail(Failure::make(kAppFailure, "failed")));
    f->on_complete(&late);
    EXPECT_EQ(log, (Log{1, 2}));
    EXPECT_EQ(a.seen, Future::kFailed);
    EXPECT_EQ(late.seen, Future::kFailed);
}

namespace {

// Registers `inner` on the future it is called back for, logging around it.
struct Registrar : Callback {
    Recorder *inner;
    Log *log;
    Registrar(Recorder &i, Log &l) : inner(&i), log(&l) { fn = &Registrar::run; }
    static void run(Callback *self, Future &future) noexcept {
        auto *r = static_cast<Registrar *>(self);
        r->log->push_back(10);
        future.on_complete(r->inner);
        r->log->push_back(11);
    }
};

// Completes `other` from inside the callback, logging around it.
struct Completer : Callback {
    Future *other;
    Log *log;
    bool other_complete_inside = false;
    Completer(Future &o, Log &l) : other(&o), log(&l) { fn = &Completer::run; }
    static void run(Callback *self, Future &) noexcept {
        auto *c = static_cast<Completer *>(self);
        c->log->push_back(10);
        c->other->complete(EventList{});
        c->other_complete_inside = c->other->is_complete();
        c->log->push_back(11);
    }
};

} // namespace

// A callback that registers another on its own (completed) future: that
// one runs at once, inside the registration, exactly once.
TEST(Future, CallbackRegisteredFromACallbackRunsAtOnce) {
    Log log;
    Recorder inner(log, 2);
    Registrar outer(inner, log);
    Ref<Future> f = Future::make_pending();
    f->on_complete(&outer);
    ASSERT_TRUE(f->complete(EventList{}));
    EXPECT_EQ(log, (Log{10, 2, 11}));
    EXPECT_EQ(inner.calls, 1);
}

// A future completed from inside a callback is complete at once, but its
// callbacks wait for the outer callback to return (no nested dispatch).
TEST(Future, NestedCompletionRunsCallbacksAfterTheOuterOne) {
    Log log;
    Ref<Future> first = Future::make_pending(), second = Future::make_pending();
    Recorder after(log, 2);
    second->on_complete(&after);
    Completer outer(*second, log);
    first->on_complete(&outer);
    ASSERT_TRUE(first->complete(EventList{}));
    EXPECT_TRUE(outer.other_complete_inside);
    EXPECT_EQ(log, (Log{10, 11, 2}));
    EXPECT_EQ(after.calls, 1);
}

// A pending future's wait with a deadline already past times out at once;
// one with a deadline ahead times out no earlier than it.
TEST(Future, PendingWaitTimesOutAtItsDeadline) {
    Ref<Future> f = Future::make_pending();
    EXPECT_EQ(f->wait(past()), ORDO_ERROR_TIMEOUT);
    EXPECT_EQ(f->wait(0), ORDO_ERROR_TIMEOUT);
    Deadline deadline = deadline_after(2'000'000);
    EXPECT_EQ(f->wait(deadline), ORDO_ERROR_TIMEOUT);
    EXPECT_GE(now_ns(), deadline);
    EXPECT_EQ(f->state(), Future::kPending);
    EXPECT_EQ(f->poll(), ORDO_PENDING);
    ASSERT_TRUE(f->complete(EventList{}));
    EXPECT_EQ(f->wait(past()), ORDO_OK); // complete: the deadline does not matter
}

// A host wait without a deadline ends when another thread completes the
// future, with the events it was completed with.
TEST(Future, WaitEndsWhenCompletedOnAnotherThread) {
    UserEvents ev(1);
    Ref<Future> f = Future::make_pending();
    std::latch started(1);
    std::thread completer([&] {
        started.wait();
        f->complete(EventList::retain(ev.data(), 1));
    });
    started.count_down();
    EXPECT_EQ(f->wait(deadline_after(10'000'000'000)), ORDO_OK);
    completer.join();
    ASSERT_EQ(f->events().size(), 1u);
    EXPECT_EQ(f->events().data()[0], ev[0]);
}

// A completed future carries its events, with one reference each, for as
// long as it lives; copy_outcome() takes references of its own.
TEST(Future, CarriesTheEventsItWasCompletedWith) {
    UserEvents ev(3);
    {
        Ref<Future> f = Future::make_done(EventList::retain(ev.data(), 3));
        EXPECT_EQ(f->state(), Future::kDone);
        ASSERT_EQ(f->events().size(), 3u);
        for (size_t i = 0; i < 3; ++i)
            EXPECT_EQ(f->events().data()[i], ev[i]);
        EXPECT_EQ(ev.held(), (Counts{1, 1, 1}));
        {
            Outcome copy = f->copy_outcome();
            EXPECT_FALSE(copy.failure);
            EXPECT_EQ(copy.events.size(), 3u);
            EXPECT_EQ(ev.held(), (Counts{2, 2, 2}));
        }
        EXPECT_EQ(ev.held(), (Counts{1, 1, 1}));
        // The copy of a failed future's outcome is its failure, no events.
        Ref<Future> failed = Future::make_pending();
        ASSERT_TRUE(failed->fail(Failure::make(kAppFailure, "failed")));
        Outcome copy = failed->copy_outcome();
        EXPECT_EQ(copy.failure.get(), &failed->failure());
        EXPECT_TRUE(copy.events.empty());
    }
    EXPECT_EQ(ev.held(), (Counts{0, 0, 0}));
}

// The eventfd becomes readable when the future completes (or fails), not
// before; one made after completion is readable at once.
TEST(Future, FdBecomesReadableOnCompletion) {
    Ref<Future> f = Future::make_pending();
    int fd = f->fd();
    ASSERT_GE(fd, 0);
    EXPECT_EQ(f->fd(), fd); // one per future
    EXPECT_FALSE(readable(fd));
    ASSERT_TRUE(f->complete(EventList{}));
    EXPECT_TRUE(readable(fd));

    Ref<Future> failed = Future::make_pending();
    int failed_fd = failed->fd();
    EXPECT_FALSE(readable(failed_fd));
    ASSERT_TRUE(failed->fail(Failure::make(kAppFailure, "failed")));
    EXPECT_TRUE(readable(failed_fd));

    Ref<Future> done = Future::make_done();
    EXPECT_TRUE(readable(done->fd()));
}
