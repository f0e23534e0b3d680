// Internals: SharedGroup (lib/shared_group.hpp), the shared tickets between
// two exclusive ones. Directly: the group's future completes once it is
// closed and every member has handed its release on, with the union of the
// members' events or the first failure. Through Resource and Ticket: the
// members are granted together with the events of the exclusive ticket
// before them, the exclusive ticket after them receives the union of
// theirs, and a full group (65,535 members) is followed by a new group
// granted after it (ordo.h, ordo_resource_acquire_shared).
#include "../../lib/clock.hpp"
#include "../../lib/resource.hpp"
#include "../../lib/shared_group.hpp"
#include "../support/core_cl.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <set>
#include <vector>

using namespace ordo::detail;
using ordo_core_test::UserEvents;

namespace {

constexpr int kFirstFailure = ORDO_STATUS_USER_BASE - 5;
constexpr int kSecondFailure = ORDO_STATUS_USER_BASE - 6;

using Counts = std::vector<cl_uint>;
using Events = std::set<cl_event>;

// A group as Resource makes one, after a completed predecessor, with no
// member holding a reference (the group's own is the only one).
Ref<SharedGroup> make_group() {
    auto *group = new SharedGroup;
    group->pred = Future::make_done().detach();
    group->settle_joins(0);
    return Ref<SharedGroup>::adopt(group);
}

Outcome events_outcome(const UserEvents &ev, std::initializer_list<size_t> which) {
    Outcome o;
    for (size_t i : which) {
        cl_event e = ev[i];
        o.events.append(EventList::retain(&e, 1));
    }
    return o;
}

Outcome failure_outcome(int status, const char *message) {
    Outcome o;
    o.failure = Failure::make(status, message);
    return o;
}

Events as_set(const EventList &list) {
    return Events(list.data(), list.data() + list.size());
}

// Whether t is granted (a poll, which counts as seeing the grant).
bool granted(Ticket &t) {
    return t.wait(now_ns() - 1).status == ORDO_OK;
}

// The events t was granted with (t must be granted; a poll).
Events grant_events(Ticket &t) {
    WaitResult w = t.wait(now_ns() - 1);
    EXPECT_EQ(w.status, ORDO_OK);
    return w.status == ORDO_OK ? as_set(*w.events) : Events{};
}

EventList retained(cl_event e) {
    return EventList::retain(&e, 1);
}

void drop_all(std::vector<Ref<Ticket>> &tickets) {
    for (auto &t : tickets)
        t->drop_holder(false);
    tickets.clear();
}

} // namespace

// Closed with three members expected, the group completes with the third
// member's hand-on, not before: with the union of the members' events,
// each held once.
TEST(SharedGroup, CompletesOnceClosedAndEveryMemberHandedOn) {
    UserEvents ev(3);
    {
        Ref<SharedGroup> group = make_group();
        group->member_done(events_outcome(ev, {0, 1}));
        group->close(3);
        EXPECT_FALSE(group->is_complete());
        group->member_done(events_outcome(ev, {1}));
        EXPECT_FALSE(group->is_complete());
        group->member_done(events_outcome(ev, {0, 2}));
        ASSERT_EQ(group->state(), Future::kDone);
        EXPECT_EQ(as_set(group->events()), (Events{ev[0], ev[1], ev[2]}));
        EXPECT_EQ(group->events().size(), 3u);
        EXPECT_EQ(ev.held(), (Counts{1, 1, 1}));
    }
    EXPECT_EQ(ev.held(), (Counts{0, 0, 0}));
}

// Every member handed on before the group closes: it completes when closed.
TEST(SharedGroup, CompletesWhenClosedAfterItsLastMember) {
    UserEvents ev(2);
    Ref<SharedGroup> group = make_group();
    group->member_done(events_outcome(ev, {0}));
    group->member_done(events_outcome(ev, {1}));
    EXPECT_FALSE(group->is_complete()); // more members may still join
    group->close(2);
    ASSERT_EQ(group->state(), Future::kDone);
    EXPECT_EQ(as_set(group->events()), (Events{ev[0], ev[1]}));
}

// The first failure a member hands on is the group's; later failures and
// every member's events are dropped.
TEST(SharedGroup, FirstFailureWins) {
    UserEvents ev(2);
    {
        Ref<SharedGroup> group = make_group();
        group->member_done(events_outcome(ev, {0}));
        group->member_done(failure_outcome(kFirstFailure, "first"));
        group->member_done(failure_outcome(kSecondFailure, "second"));
        group->member_done(events_outcome(ev, {1}));
        group->close(4);
        ASSERT_EQ(group->state(), Future::kFailed);
        EXPECT_EQ(group->poll(), kFirstFailure);
        EXPECT_EQ(group->failure().message(), "first");
        EXPECT_TRUE(group->events().empty());
        EXPECT_EQ(ev.held(), (Counts{0, 0}));
    }
}

// Nobody can cancel a group: it completes only through its members.
TEST(SharedGroup, RefusesCancel) {
    Ref<SharedGroup> group = make_group();
    EXPECT_FALSE(group->cancel());
    EXPECT_EQ(group->state(), Future::kPending);
    group->close(0);
    EXPECT_EQ(group->state(), Future::kDone);
}

// E S S S E: the three shared tickets are granted together, each with the
// first exclusive ticket's events; the second exclusive ticket only once all
// three have released, with the union of their events.
TEST(SharedGroup, MembersGrantedTogetherAndTheNextExclusiveGetsTheUnion) {
    UserEvents ev(4);
    {
        Ref<Resource> r = Resource::create(nullptr, "group");
        std::vector<Ref<Ticket>> t;
        t.push_back(r->acquire(Mode::kExclusive));
        for (int i = 0; i < 3; ++i)
            t.push_back(r->acquire(Mode::kShared));
        t.push_back(r->acquire(Mode::kExclusive));
        EXPECT_TRUE(granted(*t[0]));
        for (int i = 1; i <= 3; ++i)
            EXPECT_FALSE(granted(*t[i])) << i;
        t[0]->ready(retained(ev[0]));
        for (int i = 1; i <= 3; ++i)
            EXPECT_EQ(grant_events(*t[i]), Events{ev[0]}) << i;
        EXPECT_FALSE(granted(*t[4]));
        t[2]->ready(retained(ev[2]));
        t[1]->ready(retained(ev[1]));
        EXPECT_FALSE(granted(*t[4])) << "granted before the last member released";
        t[3]->ready(retained(ev[3]));
        EXPECT_EQ(grant_events(*t[4]), (Events{ev[1], ev[2], ev[3]}));
        t[4]->ready(EventList{});
        drop_all(t);
    }
    EXPECT_EQ(ev.held(), (Counts{0, 0, 0, 0}));
}

// Members that never saw their grant (one released before it, two after it
// without a wait) forward its events with their own: the next exclusive
// ticket receives them, each once.
TEST(SharedGroup, UnseenMembersForwardTheirGrantsEventsOnce) {
    UserEvents ev(3);
    {
        Ref<Resource> r = Resource::create(nullptr, "unseen");
        std::vector<Ref<Ticket>> t;
        t.push_back(r->acquire(Mode::kExclusive));
        for (int i = 0; i < 3; ++i)
            t.push_back(r->acquire(Mode::kShared));
        t.push_back(r->acquire(Mode::kExclusive));
        t[1]->ready(retained(ev[1])); // before its grant
        t[0]->ready(retained(ev[0]));
        t[2]->ready(EventList{});
        EXPECT_FALSE(granted(*t[4]));
        t[3]->ready(retained(ev[2]));
        WaitResult w = t[4]->wait(now_ns() - 1);
        ASSERT_EQ(w.status, ORDO_OK);
        EXPECT_EQ(as_set(*w.events), (Events{ev[0], ev[1], ev[2]}));
        EXPECT_EQ(w.events->size(), 3u);
        t[4]->ready(EventList{});
        drop_all(t);
    }
    EXPECT_EQ(ev.held(), (Counts{0, 0, 0}));
}

// A member's failure reaches the exclusive ticket after the group, even
// though the other members released with ready().
TEST(SharedGroup, MemberFailureReachesTheNextExclusiveTicket) {
    Ref<Resource> r = Resource::create(nullptr, "failing member");
    std::vector<Ref<Ticket>> t;
    for (int i = 0; i < 3; ++i)
        t.push_back(r->acquire(Mode::kShared));
    t.push_back(r->acquire(Mode::kExclusive));
    for (int i = 0; i < 3; ++i)
        EXPECT_TRUE(granted(*t[i])) << i; // the first tickets: granted at once
    t[0]->ready(EventList{});
    t[1]->fail(Failure::make(kFirstFailure, "a reader failed"));
    t[2]->ready(EventList{});
    WaitResult w = t[3]->wait(now_ns() - 1);
    EXPECT_EQ(w.status, kFirstFailure);
    ASSERT_TRUE(w.failure);
    EXPECT_EQ(w.failure->message(), "a reader failed");
    t[3]->ready(EventList{});
    drop_all(t);
}

// A group holds at most 65,535 members: the next shared ticket starts a new
// group, granted only once every member of the full one has released, with
// the union of their events; the exclusive ticket after it comes last.
TEST(SharedGroup, FullGroupIsFollowedByANewGroupGrantedAfterIt) {
    constexpr int kFull = 0xffff;
    UserEvents ev(3);
    {
        Ref<Resource> r = Resource::create(nullptr, "full");
        std::vector<Ref<Ticket>> full;
        full.reserve(kFull);
        for (int i = 0; i < kFull; ++i)
            full.push_back(r->acquire(Mode::kShared));
        Ref<Ticket> next = r->acquire(Mode::kShared);
        Ref<Ticket> last = r->acquire(Mode::kExclusive);
        EXPECT_TRUE(granted(*full.front()));
        EXPECT_TRUE(granted(*full.back()));
        EXPECT_FALSE(granted(*next));
        full[0]->ready(retained(ev[0]));
        for (int i = 1; i < kFull - 1; ++i)
            full[i]->ready(EventList{});
        EXPECT_FALSE(granted(*next)) << "granted before the full group's last member released";
        full[kFull - 1]->ready(retained(ev[1]));
        EXPECT_EQ(grant_events(*next), (Events{ev[0], ev[1]}));
        EXPECT_FALSE(granted(*last));
        next->ready(retained(ev[2]));
        EXPECT_EQ(grant_events(*last), Events{ev[2]});
        last->ready(EventList{});
        drop_all(full);
        next->drop_holder(false);
        last->drop_holder(false);
    }
    EXPECT_EQ(ev.held(), (Counts{0, 0, 0}));
}
