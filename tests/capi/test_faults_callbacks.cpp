// Fault cases around callbacks: callbacks of grant futures, event waits and
// backlog futures that destroy their own future or the ticket being
// released, use the event they are called back for, or acquire on the same
// resource. Every test ends with each cl_event's reference count back at
// its baseline.
#include "../support/cl_env.hpp"

#include <atomic>
#include <thread>
#include <vector>

using namespace ordo_test;

// ---------------------------------------------------------------------------
// Callbacks that destroy their own future, or acquire on the same resource
// ---------------------------------------------------------------------------

namespace {

struct SelfDestroy {
    ordo_future future = nullptr;
    std::atomic<int> calls{0};
    std::atomic<int> destroy_status{12345};
    std::atomic<int> status{12345};
    static void fn(void *data, int status) {
        auto *s = static_cast<SelfDestroy *>(data);
        s->status = status;
        s->destroy_status = ordo_future_destroy(s->future);
        s->calls.fetch_add(1);
    }
};

} // namespace

TEST(Callbacks, GrantFutureCallbackDestroysItsFuture) {
    Chain c(2);
    SelfDestroy s;
    ORDO_ASSERT_OK(ordo_ticket_grant_future(c.t[1], &s.future));
    ORDO_ASSERT_OK(ordo_future_on_complete(s.future, SelfDestroy::fn, &s));
    ORDO_ASSERT_OK(ordo_ticket_ready(c.t[0], nullptr, 0));
    EXPECT_EQ(s.calls.load(), 1);
    EXPECT_EQ(s.status.load(), ORDO_OK);
    EXPECT_EQ(s.destroy_status.load(), ORDO_OK);
}

// Regression (found in review; valgrind: an invalid read in drop_grant,
// then a second release): a callback may destroy the very ticket whose
// release it reports. ordo_ticket_ready ran the successor's grant callbacks
// inside the release and then went on touching the ticket (its flags, its
// grant, the trace). The callback here destroys the releasing ticket and the
// successor, so the callbacks hold the last references.
namespace {

struct DestroyBoth {
    ordo_ticket releasing = nullptr;
    ordo_ticket successor = nullptr;
    ordo_future grant = nullptr;
    std::atomic<int> calls{0};
    std::atomic<int> statuses{0};
    static void fn(void *data, int status) {
        auto *d = static_cast<DestroyBoth *>(data);
        int s = status;
        s |= ordo_ticket_destroy(d->releasing);
        s |= ordo_ticket_destroy(d->successor);
        s |= ordo_future_destroy(d->grant);
        d->statuses = s;
        d->calls.fetch_add(1);
    }
};

} // namespace

TEST(Callbacks, GrantCallbackDestroysTheTicketBeingReleased) {
    for (bool tracing : {false, true}) {
        if (tracing)
            ORDO_ASSERT_OK(ordo_trace_start(64));
        cl_event e = make_user_event();
        ordo_resource r = nullptr;
        DestroyBoth d;
        ORDO_ASSERT_OK(ordo_resource_create(nullptr, "destroyed in a callback", &r));
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &d.releasing));
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &d.successor));
        ordo_resource_destroy(r);
        ORDO_ASSERT_OK(ordo_ticket_wait(d.releasing, soon(), nullptr, nullptr));
        ORDO_ASSERT_OK(ordo_ticket_grant_future(d.successor, &d.grant));
        ORDO_ASSERT_OK(ordo_future_on_complete(d.grant, DestroyBoth::fn, &d));
        ORDO_EXPECT_OK(ordo_ticket_ready(d.releasing, &e, 1));
        EXPECT_EQ(d.calls.load(), 1);
        EXPECT_EQ(d.statuses.load(), ORDO_OK);
        clSetUserEventStatus(e, CL_COMPLETE);
        EXPECT_TRUE(reference_count_returns_to(e, 1));
        clReleaseEvent(e);
        ordo_trace_stop();
    }
}

// The same through a release before the grant: the releasing ticket is
// resolved from its own grant's callback, when its predecessor releases.
TEST(Callbacks, GrantCallbackDestroysATicketReleasedBeforeItsGrant) {
    ordo_resource r = nullptr;
    ordo_ticket first = nullptr;
    DestroyBoth d;
    ORDO_ASSERT_OK(ordo_resource_create(nullptr, "released early", &r));
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &first));
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &d.releasing));
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &d.successor));
    ordo_resource_destroy(r);
    ORDO_ASSERT_OK(ordo_ticket_grant_future(d.successor, &d.grant));
    ORDO_ASSERT_OK(ordo_future_on_complete(d.grant, DestroyBoth::fn, &d));
    ORDO_ASSERT_OK(ordo_ticket_ready(d.releasing, nullptr, 0)); // before its grant
    EXPECT_EQ(d.calls.load(), 0);
    ORDO_EXPECT_OK(ordo_ticket_ready(first, nullptr, 0));
    EXPECT_EQ(d.calls.load(), 1);
    EXPECT_EQ(d.statuses.load(), ORDO_OK);
    ordo_ticket_destroy(first);
}

// Regression (a hang on Mesa's Rusticl, which runs an event's callbacks
// under that event's lock): ordo queried the event it was called back for
// (to check the status for NVIDIA's runtime), and so did ordo calls that a
// user callback made inside it (a release with that very event flushes its
// queue after reading its status). Rusticl's queue thread deadlocked on
// itself. ordo never queries an event from its own callback now. The user
// callback here releases a ticket with the event whose wait it reports and
// waits for it asynchronously again.
namespace {

struct InsideEventCallback {
    cl_event event = nullptr;
    ordo_ticket ticket = nullptr;
    ordo_future again = nullptr;
    std::atomic<int> statuses{12345};
    std::atomic<bool> done{false};
    static void fn(void *data, int status) {
        auto *c = static_cast<InsideEventCallback *>(data);
        int s = status;
        s |= ordo_ticket_ready(c->ticket, &c->event, 1);
        s |= ordo_events_wait_async(&c->event, 1, &c->again);
        c->statuses = s;
        c->done = true;
    }
};

} // namespace

TEST(Callbacks, CallbackOfAnEventWaitUsesThatEvent) {
    cl_event e = make_user_event();
    {
        Chain c(2);
        InsideEventCallback inside;
        inside.event = e;
        inside.ticket = c.t[0];
        ordo_future waited = nullptr;
        ORDO_ASSERT_OK(ordo_events_wait_async(&e, 1, &waited));
        ORDO_ASSERT_OK(ordo_future_on_complete(waited, InsideEventCallback::fn, &inside));
        std::thread setter([&] { clSetUserEventStatus(e, CL_COMPLETE); });
        ORDO_EXPECT_OK(ordo_future_wait(waited, eventually(), 0));
        ordo_deadline deadline = eventually();
        while (!inside.done.load() && ordo_now() < deadline)
            std::this_thread::yield();
        setter.join();
        ASSERT_TRUE(inside.done.load()) << "the callback did not return";
        EXPECT_EQ(inside.statuses.load(), ORDO_OK);
        ORDO_EXPECT_OK(ordo_future_wait(inside.again, eventually(), 0));
        EXPECT_EQ(grant_events(c.t[1]), std::vector<cl_event>{e});
        ordo_future_destroy(inside.again);
        ordo_future_destroy(waited);
    }
    EXPECT_TRUE(reference_count_returns_to(e, 1));
    clReleaseEvent(e);
}

// Registered on a completed future, the callback runs at once, inside
// ordo_future_on_complete, and destroys the handle that call was given.
TEST(Callbacks, ImmediateCallbackDestroysItsFuture) {
    Chain c(1);
    SelfDestroy s;
    ORDO_ASSERT_OK(ordo_ticket_grant_future(c.t[0], &s.future));
    ORDO_ASSERT_OK(ordo_future_on_complete(s.future, SelfDestroy::fn, &s));
    EXPECT_EQ(s.calls.load(), 1);
    EXPECT_EQ(s.destroy_status.load(), ORDO_OK);
}

// An asynchronous wait completes on an OpenCL runtime thread; its callback
// drops the last handle there (the event references go to the service
// thread, never released on the callback thread).
TEST(Callbacks, EventWaitCallbackDestroysItsFutureOnARuntimeThread) {
    cl_event e = make_user_event();
    SelfDestroy s;
    ORDO_ASSERT_OK(ordo_events_wait_async(&e, 1, &s.future));
    ORDO_ASSERT_OK(ordo_future_on_complete(s.future, SelfDestroy::fn, &s));
    ASSERT_EQ(clSetUserEventStatus(e, CL_COMPLETE), CL_SUCCESS);
    ordo_deadline deadline = eventually();
    while (s.calls.load() == 0 && ordo_now() < deadline)
        std::this_thread::yield();
    EXPECT_EQ(s.calls.load(), 1);
    EXPECT_EQ(s.destroy_status.load(), ORDO_OK);
    EXPECT_TRUE(reference_count_returns_to(e, 1));
    clReleaseEvent(e);
}

TEST(Callbacks, BacklogFutureCallbackDestroysItsFuture) {
    ordo_job_queue q = nullptr;
    ordo_promise p = nullptr;
    ordo_future job = nullptr;
    ORDO_ASSERT_OK(ordo_job_queue_create(0, &q));
    ORDO_ASSERT_OK(ordo_promise_create(&p));
    ORDO_ASSERT_OK(ordo_promise_future(p, &job));
    ORDO_ASSERT_OK(ordo_job_queue_add(q, job, soon()));
    SelfDestroy s;
    ORDO_ASSERT_OK(ordo_job_queue_backlog_future(q, 0, &s.future));
    ORDO_ASSERT_OK(ordo_future_on_complete(s.future, SelfDestroy::fn, &s));
    ORDO_ASSERT_OK(ordo_promise_complete(p, nullptr, 0));
    EXPECT_EQ(s.calls.load(), 1);
    EXPECT_EQ(s.destroy_status.load(), ORDO_OK);
    ordo_future_destroy(job);
    ordo_promise_destroy(p);
    ordo_job_queue_destroy(q);
}

namespace {

// Each link's grant callback acquires the next ticket on the same resource,
// registers the same callback on its grant, then releases and destroys its
// own ticket and grant future. Records the order in which links ran.
struct Relay {
    ordo_resource resource = nullptr;
    int limit = 0;
    std::vector<int> ran;
    std::atomic<int> errors{0};
};

struct Link {
    Relay *relay;
    int index;
    ordo_ticket ticket = nullptr;
    ordo_future grant = nullptr;
};

void start_link(Relay *relay, int index);

void on_granted(void *data, int status) {
    auto *link = static_cast<Link *>(data);
    Relay *relay = link->relay;
    if (status != ORDO_OK)
        relay->errors.fetch_add(1);
    relay->ran.push_back(link->index);
    if (link->index + 1 < relay->limit)
        start_link(relay, link->index + 1); // acquired before this link releases
    if (ordo_ticket_ready(link->ticket, nullptr, 0) != ORDO_OK)
        relay->errors.fetch_add(1);
    if (ordo_ticket_destroy(link->ticket) != ORDO_OK || ordo_future_destroy(link->grant) != ORDO_OK)
        relay->errors.fetch_add(1);
    delete link;
}

void start_link(Relay *relay, int index) {
    auto *link = new Link{relay, index};
    if (ordo_resource_acquire(relay->resource, &link->ticket) != ORDO_OK ||
        ordo_ticket_grant_future(link->ticket, &link->grant) != ORDO_OK ||
        ordo_future_on_complete(link->grant, on_granted, link) != ORDO_OK)
        relay->errors.fetch_add(1);
}

} // namespace

// Ten thousand links, each acquired from the previous link's callback: they
// run in ticket order, iteratively (a recursion ten thousand deep would
// overflow the sanitizers' stacks), and all of them run.
TEST(Callbacks, CallbackAcquiresOnTheSameResource) {
    Relay relay;
    relay.limit = 10'000;
    ORDO_ASSERT_OK(ordo_resource_create(nullptr, "relay", &relay.resource));
    ordo_ticket first = nullptr;
    ORDO_ASSERT_OK(ordo_resource_acquire(relay.resource, &first));
    start_link(&relay, 0); // waits for `first`
    EXPECT_TRUE(relay.ran.empty());
    ORDO_ASSERT_OK(ordo_ticket_ready(first, nullptr, 0));
    ASSERT_EQ(relay.ran.size(), static_cast<size_t>(relay.limit));
    for (int i = 0; i < relay.limit; ++i)
        ASSERT_EQ(relay.ran[i], i);
    EXPECT_EQ(relay.errors.load(), 0);
    ordo_ticket_destroy(first);
    ordo_resource_destroy(relay.resource);
}

// The same from an OpenCL runtime thread: an event wait's callback acquires
// on a resource that the main thread holds; the links it starts come after
// the main thread's ticket and run in order once it releases.
TEST(Callbacks, RuntimeThreadCallbackAcquiresOnTheSameResource) {
    cl_event e = make_user_event();
    struct Context {
        Relay relay;
        ordo_promise acquired = nullptr;
    } ctx;
    ctx.relay.limit = 100;
    ORDO_ASSERT_OK(ordo_resource_create(nullptr, "relay", &ctx.relay.resource));
    ORDO_ASSERT_OK(ordo_promise_create(&ctx.acquired));
    ordo_future acquired = nullptr;
    ORDO_ASSERT_OK(ordo_promise_future(ctx.acquired, &acquired));
    ordo_ticket first = nullptr;
    ORDO_ASSERT_OK(ordo_resource_acquire(ctx.relay.resource, &first));
    ordo_future wait = nullptr;
    ORDO_ASSERT_OK(ordo_events_wait_async(&e, 1, &wait));
    ORDO_ASSERT_OK(ordo_future_on_complete(
        wait,
        [](void *data, int) {
            auto *c = static_cast<Context *>(data);
            start_link(&c->relay, 0);
            ordo_promise_complete(c->acquired, nullptr, 0);
        },
        &ctx));
    ASSERT_EQ(clSetUserEventStatus(e, CL_COMPLETE), CL_SUCCESS);
    ORDO_ASSERT_OK(ordo_future_wait(acquired, eventually(), 0));
    EXPECT_TRUE(ctx.relay.ran.empty()); // queued behind `first`
    ORDO_ASSERT_OK(ordo_ticket_ready(first, nullptr, 0));
    ordo_ticket last = nullptr;
    ORDO_ASSERT_OK(ordo_resource_acquire(ctx.relay.resource, &last));
    ORDO_EXPECT_OK(ordo_ticket_wait(last, eventually(), nullptr, nullptr));
    ASSERT_EQ(ctx.relay.ran.size(), static_cast<size_t>(ctx.relay.limit));
    for (int i = 0; i < ctx.relay.limit; ++i)
        EXPECT_EQ(ctx.relay.ran[i], i);
    EXPECT_EQ(ctx.relay.errors.load(), 0);
    ordo_ticket_destroy(last);
    ordo_ticket_destroy(first);
    ordo_future_destroy(wait);
    ordo_future_destroy(acquired);
    ordo_promise_destroy(ctx.acquired);
    ordo_resource_destroy(ctx.relay.resource);
    EXPECT_TRUE(reference_count_returns_to(e, 1));
    clReleaseEvent(e);
}
