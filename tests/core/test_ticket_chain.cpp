// Internals: long chains, shared groups against a reference model, and
// allocation failure injected into the core.
#include "../../lib/error.hpp"
#include "../../lib/resource.hpp"
#include "../../lib/service.hpp"

#include <gtest/gtest.h>

#include <map>
#include <new>
#include <random>
#include <set>
#include <vector>

using namespace ordo::detail;

namespace {

cl_context test_context() {
    static cl_context context = [] {
        cl_platform_id platform;
        cl_device_id device;
        clGetPlatformIDs(1, &platform, nullptr);
        clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &device, nullptr);
        cl_int err;
        return clCreateContext(nullptr, 1, &device, nullptr, nullptr, &err);
    }();
    return context;
}

cl_event user_event() {
    cl_int err;
    return clCreateUserEvent(test_context(), &err);
}

bool granted(Ticket &t) {
    return t.wait(now_ns() - 1).status == ORDO_OK;
}

} // namespace

// A million tickets released before their grant resolve iteratively when the
// first releases: no recursion a million deep.
TEST(Chain, MillionEarlyReleasesDoNotRecurse) {
    constexpr int n = 1'000'000;
    Ref<Resource> r = Resource::create(nullptr, "deep");
    Ref<Ticket> first = r->acquire();
    std::vector<Ref<Ticket>> rest;
    rest.reserve(n);
    for (int i = 0; i < n; ++i) {
        rest.push_back(r->acquire());
        rest.back()->ready(EventList{});
    }
    Ref<Ticket> last = r->acquire();
    EXPECT_FALSE(granted(*last));
    first->ready(EventList{});
    EXPECT_TRUE(granted(*last));
    for (auto &t : rest)
        t->drop_holder(false);
    first->drop_holder(false);
    last->ready(EventList{});
    last->drop_holder(false);
}

// Shared and exclusive tickets against a reference model: at every step, the
// set of granted tickets and the events each receives match the model.
TEST(SharedGroups, MatchReferenceModel) {
    std::mt19937 rng(1234);
    for (int round = 0; round < 40; ++round) {
        int n = 2 + static_cast<int>(rng() % 30);
        std::vector<Mode> modes(n);
        for (auto &m : modes)
            m = rng() % 2 ? Mode::kShared : Mode::kExclusive;
        // Model: dependencies and expected events of each ticket.
        std::vector<std::vector<int>> deps(n);
        int last_exclusive = -1;
        std::vector<int> open_group;
        for (int i = 0; i < n; ++i) {
            if (modes[i] == Mode::kExclusive) {
                if (!open_group.empty())
                    deps[i] = open_group;
                else if (last_exclusive >= 0)
                    deps[i] = {last_exclusive};
                open_group.clear();
                last_exclusive = i;
            } else {
                if (last_exclusive >= 0)
                    deps[i] = {last_exclusive};
                open_group.push_back(i);
            }
        }
        Ref<Resource> r = Resource::create(nullptr, "model");
        std::vector<Ref<Ticket>> tickets;
        for (int i = 0; i < n; ++i)
            tickets.push_back(r->acquire(modes[i]));
        std::vector<cl_event> events(n);
        for (auto &e : events)
            e = user_event();
        std::vector<bool> released(n, false);
        for (int step = 0; step < n; ++step) {
            std::vector<int> grantable;
            for (int i = 0; i < n; ++i) {
                if (released[i])
                    continue;
                bool model = true;
                for (int d : deps[i])
                    model = model && released[d];
                ASSERT_EQ(granted(*tickets[i]), model)
                    << "round " << round << " ticket " << i << " step " << step;
                if (model)
                    grantable.push_back(i);
            }
            ASSERT_FALSE(grantable.empty());
            int pick = grantable[rng() % grantable.size()];
            WaitResult w = tickets[pick]->wait(now_ns());
            ASSERT_EQ(w.status, ORDO_OK);
            std::set<cl_event> got(w.events->data(), w.events->data() + w.events->size());
            std::set<cl_event> want;
            for (int d : deps[pick])
                want.insert(events[d]);
            ASSERT_EQ(got, want) << "round " << round << " ticket " << pick;
            tickets[pick]->ready(EventList::retain(&events[pick], 1));
            released[pick] = true;
        }
        for (auto &t : tickets)
            t->drop_holder(false);
        tickets.clear();
        r.reset();
        for (auto e : events) {
            clSetUserEventStatus(e, CL_COMPLETE);
            clReleaseEvent(e);
        }
    }
}

// More joins than the tail word can count start a new group: ordering stays
// correct (the new group waits for the full one).
TEST(SharedGroups, FullGroupChainsANewGroup) {
    Ref<Resource> r = Resource::create(nullptr, "full");
    std::vector<Ref<Ticket>> shared;
    for (int i = 0; i < 0xffff + 10; ++i)
        shared.push_back(r->acquire(Mode::kShared));
    Ref<Ticket> exclusive = r->acquire(Mode::kExclusive);
    EXPECT_TRUE(granted(*shared.front()));
    EXPECT_TRUE(granted(*shared[0xfffe]));
    EXPECT_FALSE(granted(*shared[0xffff])); // in the second group
    for (int i = 0; i < 0xffff; ++i)
        shared[i]->ready(EventList{});
    EXPECT_TRUE(granted(*shared[0xffff]));
    EXPECT_FALSE(granted(*exclusive));
    for (size_t i = 0xffff; i < shared.size(); ++i)
        shared[i]->ready(EventList{});
    EXPECT_TRUE(granted(*exclusive));
    exclusive->ready(EventList{});
    for (auto &t : shared)
        t->drop_holder(false);
    exclusive->drop_holder(false);
}

// An allocation that fails inside acquire reports out-of-memory and leaves
// the resource usable, its order intact.
TEST(FaultInjection, FailedAllocationLeavesResourceUsable) {
    Ref<Resource> r = Resource::create(nullptr, "oom");
    Ref<Ticket> a = r->acquire();
    fail_nth_allocation(1);
    EXPECT_THROW(r->acquire(), std::bad_alloc);
    fail_nth_allocation(0);
    Ref<Ticket> b = r->acquire();
    EXPECT_TRUE(granted(*a));
    EXPECT_FALSE(granted(*b));
    a->ready(EventList{});
    EXPECT_TRUE(granted(*b));
    b->ready(EventList{});
    a->drop_holder(false);
    b->drop_holder(false);

    // Shared acquire allocates a ticket and a group: fail each in turn.
    for (long nth = 1; nth <= 2; ++nth) {
        Ref<Ticket> c = r->acquire(Mode::kExclusive);
        fail_nth_allocation(nth);
        EXPECT_THROW(r->acquire(Mode::kShared), std::bad_alloc);
        fail_nth_allocation(0);
        Ref<Ticket> d = r->acquire(Mode::kShared);
        EXPECT_TRUE(granted(*c));
        EXPECT_FALSE(granted(*d));
        c->ready(EventList{});
        EXPECT_TRUE(granted(*d));
        d->ready(EventList{});
        c->drop_holder(false);
        d->drop_holder(false);
    }
}
