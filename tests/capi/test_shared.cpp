// Shared and exclusive tickets (ordo_resource_acquire_shared): readers run
// together, writers alone, checked against a reference model.
#include "../support/capi_helpers.hpp"
#include "../support/cl_env.hpp"

#include <random>
#include <set>
#include <vector>

using namespace ordo_test;

// E S S E S: readers run together after the first writer, the second writer
// after both readers (with the union of their events), the last reader after it.
TEST(SharedTickets, ReadersTogetherWritersAlone) {
    std::vector<cl_event> ev(5);
    for (auto &e : ev)
        e = make_user_event();
    {
        ordo_resource r = nullptr;
        ORDO_ASSERT_OK(ordo_resource_create(nullptr, "buffer", &r));
        ordo_ticket w1, s1, s2, w2, s3;
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &w1));
        ORDO_ASSERT_OK(ordo_resource_acquire_shared(r, &s1));
        ORDO_ASSERT_OK(ordo_resource_acquire_shared(r, &s2));
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &w2));
        ORDO_ASSERT_OK(ordo_resource_acquire_shared(r, &s3));
        EXPECT_TRUE(granted(w1));
        EXPECT_FALSE(granted(s1));
        EXPECT_FALSE(granted(s2));
        ORDO_ASSERT_OK(ordo_ticket_ready(w1, &ev[0], 1));
        EXPECT_EQ(events_of(s1), std::set<cl_event>{ev[0]});
        EXPECT_EQ(events_of(s2), std::set<cl_event>{ev[0]});
        EXPECT_FALSE(granted(w2));
        EXPECT_FALSE(granted(s3)); // never overtakes the earlier writer
        ORDO_ASSERT_OK(ordo_ticket_ready(s2, &ev[2], 1));
        EXPECT_FALSE(granted(w2));
        ORDO_ASSERT_OK(ordo_ticket_ready(s1, &ev[1], 1));
        EXPECT_EQ(events_of(w2), (std::set<cl_event>{ev[1], ev[2]}));
        EXPECT_FALSE(granted(s3));
        ORDO_ASSERT_OK(ordo_ticket_ready(w2, &ev[3], 1));
        EXPECT_EQ(events_of(s3), std::set<cl_event>{ev[3]});
        ORDO_ASSERT_OK(ordo_ticket_ready(s3, &ev[4], 1));
        for (auto t : {w1, s1, s2, w2, s3})
            ordo_ticket_destroy(t);
        ordo_resource_destroy(r);
    }
    for (auto e : ev) {
        EXPECT_TRUE(reference_count_returns_to(e, 1));
        clSetUserEventStatus(e, CL_COMPLETE);
        clReleaseEvent(e);
    }
}

// Random sequences of modes, random release order among grantable tickets,
// checked against a reference model of who may hold together and which
// events each must see.
TEST(SharedTickets, MatchesReferenceModelThroughTheCApi) {
    std::mt19937 rng(99);
    for (int round = 0; round < 25; ++round) {
        int n = 2 + static_cast<int>(rng() % 20);
        std::vector<bool> shared(n);
        std::vector<std::vector<int>> deps(n);
        int last_exclusive = -1;
        std::vector<int> group;
        for (int i = 0; i < n; ++i) {
            shared[i] = rng() % 3 != 0;
            if (!shared[i]) {
                deps[i] = !group.empty() ? group
                                         : (last_exclusive >= 0 ? std::vector<int>{last_exclusive}
                                                                : std::vector<int>{});
                group.clear();
                last_exclusive = i;
            } else {
                if (last_exclusive >= 0)
                    deps[i] = {last_exclusive};
                group.push_back(i);
            }
        }
        ordo_resource r = nullptr;
        ORDO_ASSERT_OK(ordo_resource_create(nullptr, "model", &r));
        std::vector<ordo_ticket> t(n);
        std::vector<cl_event> ev(n);
        for (int i = 0; i < n; ++i) {
            ORDO_ASSERT_OK(shared[i] ? ordo_resource_acquire_shared(r, &t[i])
                                     : ordo_resource_acquire(r, &t[i]));
            ev[i] = make_user_event();
        }
        std::vector<bool> released(n, false);
        for (int step = 0; step < n; ++step) {
            std::vector<int> can;
            for (int i = 0; i < n; ++i) {
                if (released[i])
                    continue;
                bool model = true;
                for (int d : deps[i])
                    model = model && released[d];
                ASSERT_EQ(granted(t[i]), model) << "round " << round << " ticket " << i;
                if (model)
                    can.push_back(i);
            }
            int pick = can[rng() % can.size()];
            std::set<cl_event> want;
            for (int d : deps[pick])
                want.insert(ev[d]);
            ASSERT_EQ(events_of(t[pick]), want);
            ORDO_ASSERT_OK(ordo_ticket_ready(t[pick], &ev[pick], 1));
            released[pick] = true;
        }
        for (auto x : t)
            ordo_ticket_destroy(x);
        ordo_resource_destroy(r);
        for (auto e : ev) {
            EXPECT_TRUE(reference_count_returns_to(e, 1));
            clSetUserEventStatus(e, CL_COMPLETE);
            clReleaseEvent(e);
        }
    }
}
