// Internals: EventList (lib/event_list.hpp), the owner of cl_event
// references, checked by the events' OpenCL reference counts: every event in
// a list holds one reference taken by the list and dropped exactly once by
// it. On this thread (no OpenCL callback running) the list releases at
// once; inside a callback scope it hands its references to the service
// thread.
#include "../../lib/callback_scope.hpp"
#include "../../lib/clock.hpp"
#include "../../lib/error.hpp"
#include "../../lib/event_list.hpp"
#include "../../lib/service.hpp"
#include "../support/core_cl.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

using namespace ordo::detail;
using ordo_core_test::UserEvents;

namespace {

using Counts = std::vector<cl_uint>;

std::vector<cl_event> contents(const EventList &list) {
    return std::vector<cl_event>(list.data(), list.data() + list.size());
}

} // namespace

// One reference per event while the list lives, none after; a single event
// (kept inline) and several (on the heap) alike.
TEST(EventList, RetainTakesOneReferenceEachAndDestructionDropsIt) {
    UserEvents ev(3);
    {
        EventList one = EventList::retain(ev.data(), 1);
        EXPECT_EQ(ev.held(), (Counts{1, 0, 0}));
        EventList three = EventList::retain(ev.data(), 3);
        EXPECT_EQ(ev.held(), (Counts{2, 1, 1}));
        EXPECT_EQ(contents(three), (std::vector<cl_event>{ev[0], ev[1], ev[2]}));
        EXPECT_EQ(contents(one), std::vector<cl_event>{ev[0]});
        EXPECT_TRUE(three.contains(ev[2]));
        EXPECT_FALSE(one.contains(ev[1]));
    }
    EXPECT_EQ(ev.held(), (Counts{0, 0, 0}));
}

// A NULL entry is refused, naming it, and the list keeps nothing of the
// entries before it.
TEST(EventList, RetainRefusesANullEntryAndHoldsNothing) {
    UserEvents ev(2);
    cl_event with_null[] = {ev[0], ev[1], nullptr};
    try {
        EventList list = EventList::retain(with_null, 3);
        ADD_FAILURE() << "a NULL event was accepted";
    } catch (const Error &e) {
        EXPECT_EQ(e.status(), ORDO_ERROR_INVALID_ARGUMENT);
        EXPECT_NE(e.message().find("events[2]"), std::string::npos) << e.message();
    }
    EXPECT_EQ(ev.held(), (Counts{0, 0}));
}

// adopt() takes over the caller's reference: it adds none, and drops it.
TEST(EventList, AdoptTakesOverTheCallersReference) {
    UserEvents ev(1);
    ASSERT_EQ(clRetainEvent(ev[0]), CL_SUCCESS);
    EXPECT_EQ(ev.held(), Counts{1});
    {
        EventList list = EventList::adopt(ev[0]);
        EXPECT_EQ(ev.held(), Counts{1});
        EXPECT_EQ(contents(list), std::vector<cl_event>{ev[0]});
    }
    EXPECT_EQ(ev.held(), Counts{0});
}

TEST(EventList, CopyTakesItsOwnReferences) {
    UserEvents ev(3);
    {
        EventList list = EventList::retain(ev.data(), 3);
        {
            EventList copy = list.copy();
            EXPECT_EQ(ev.held(), (Counts{2, 2, 2}));
            EXPECT_EQ(contents(copy), contents(list));
        }
        EXPECT_EQ(ev.held(), (Counts{1, 1, 1}));
    }
    EXPECT_EQ(ev.held(), (Counts{0, 0, 0}));
}

// append_copy() takes a reference for each event not already in the list,
// none for those that are, and leaves the other list as it was.
TEST(EventList, AppendCopyTakesReferencesOnlyForNewEvents) {
    UserEvents ev(3);
    {
        EventList a = EventList::retain(ev.data(), 2);     // e0 e1
        EventList b = EventList::retain(ev.data() + 1, 2); // e1 e2
        a.append_copy(b);
        EXPECT_EQ(contents(a), (std::vector<cl_event>{ev[0], ev[1], ev[2]}));
        EXPECT_EQ(contents(b), (std::vector<cl_event>{ev[1], ev[2]}));
        EXPECT_EQ(ev.held(), (Counts{1, 2, 2}));
    }
    EXPECT_EQ(ev.held(), (Counts{0, 0, 0}));
}

// append() takes over the other list's references: a duplicate's reference
// is dropped, the rest move, and the other list is left empty.
TEST(EventList, AppendTakesOverReferencesAndDropsDuplicates) {
    UserEvents ev(3);
    {
        EventList a = EventList::retain(ev.data(), 2);     // e0 e1
        EventList b = EventList::retain(ev.data() + 1, 2); // e1 e2
        EXPECT_EQ(ev.held(), (Counts{1, 2, 1}));
        a.append(std::move(b));
        EXPECT_TRUE(b.empty());
        EXPECT_EQ(contents(a), (std::vector<cl_event>{ev[0], ev[1], ev[2]}));
        EXPECT_EQ(ev.held(), (Counts{1, 1, 1}));
        // Into an empty list, one event: moved as it is.
        EventList c;
        EventList d = EventList::retain(ev.data(), 1);
        c.append(std::move(d));
        EXPECT_TRUE(d.empty());
        EXPECT_EQ(contents(c), std::vector<cl_event>{ev[0]});
        EXPECT_EQ(ev.held(), (Counts{2, 1, 1}));
    }
    EXPECT_EQ(ev.held(), (Counts{0, 0, 0}));
}

// Moves transfer the references: a moved-from list holds nothing (its
// destruction drops nothing), and assigning into a list drops what it held.
TEST(EventList, MovesTransferReferencesAndMovedFromListsHoldNothing) {
    UserEvents ev(4);
    {
        EventList target;
        {
            EventList many = EventList::retain(ev.data(), 3);
            EventList moved(std::move(many));
            EXPECT_TRUE(many.empty());
            EXPECT_EQ(many.size(), 0u);
            EXPECT_EQ(ev.held(), (Counts{1, 1, 1, 0}));
            EventList one = EventList::retain(ev.data() + 3, 1);
            EventList moved_one(std::move(one));
            EXPECT_TRUE(one.empty());
            EXPECT_EQ(ev.held(), (Counts{1, 1, 1, 1}));
            target = std::move(moved);
            EXPECT_TRUE(moved.empty());
            // Leaving: moved_one drops e3; many, one and moved drop nothing.
        }
        EXPECT_EQ(ev.held(), (Counts{1, 1, 1, 0}));
        EXPECT_EQ(contents(target), (std::vector<cl_event>{ev[0], ev[1], ev[2]}));
        // Assigned over, the list drops its own events and holds the new one.
        target = EventList::retain(ev.data() + 3, 1);
        EXPECT_EQ(ev.held(), (Counts{0, 0, 0, 1}));
        EXPECT_EQ(contents(target), std::vector<cl_event>{ev[3]});
    }
    EXPECT_EQ(ev.held(), (Counts{0, 0, 0, 0}));
}

// clear() drops each reference once: a second clear and the destruction
// after it drop nothing more.
TEST(EventList, ClearDropsEachReferenceOnce) {
    UserEvents ev(3);
    {
        EventList list = EventList::retain(ev.data(), 3);
        list.clear();
        EXPECT_TRUE(list.empty());
        EXPECT_EQ(ev.held(), (Counts{0, 0, 0}));
        list.clear();
        EXPECT_EQ(ev.held(), (Counts{0, 0, 0}));
    }
    EXPECT_EQ(ev.held(), (Counts{0, 0, 0}));
}

// Inside an OpenCL callback of ours (a callback scope) a list releases
// nothing itself: the service thread drops its references, exactly once
// each, by the time a flush of the deferred releases returns.
TEST(EventList, DestroyedInACallbackScopeReleasedByTheService) {
    UserEvents ev(3);
    {
        CallbackScope scope(ev[0]);
        EventList list = EventList::retain(ev.data(), 3);
        EXPECT_EQ(ev.held(), (Counts{1, 1, 1}));
    }
    ASSERT_TRUE(Service::instance().flush_releases(deadline_after(10'000'000'000)));
    EXPECT_EQ(ev.held(), (Counts{0, 0, 0}));
}
