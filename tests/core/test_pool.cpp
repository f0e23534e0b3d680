// Internals: Pool<T> (lib/pool.hpp), the type-stable storage of the objects
// that C handles point at: create/destroy, the slot of an object and back,
// indices that never change, free slots reused first in, first out, and a
// thread's cache handed back at thread exit. Each test uses a type of its
// own, so each starts with a pool (arenas, global list, this thread's
// cache) that nothing else has touched.
#include "../../lib/pool.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace ordo::detail;

namespace {

template <int N>
struct Probe {
    static inline int constructed = 0;
    static inline int destroyed = 0;
    explicit Probe(uint64_t v) : value(v) { ++constructed; }
    ~Probe() { ++destroyed; }
    uint64_t value;
};

template <int N>
uint32_t index_of(Probe<N> *p) {
    return Pool<Probe<N>>::slot_of(p)->index;
}

// Far more creations than any cache or first arena holds: a bound for the
// loops that wait for a slot to come back.
constexpr int kBound = 10'000;

// Creates objects until each index of `wanted` has been handed out again
// (or kBound objects), returning the indices of `wanted` in the order they
// came back. The objects made stay alive (in `live`) until the caller
// destroys them, so no slot is handed out twice meanwhile.
template <int N>
std::vector<uint32_t> reappearance(const std::vector<uint32_t> &wanted,
                                   std::vector<Probe<N> *> &live) {
    std::vector<uint32_t> order;
    for (int i = 0; i < kBound && order.size() < wanted.size(); ++i) {
        Probe<N> *p = Pool<Probe<N>>::create(uint64_t(i));
        live.push_back(p);
        if (std::find(wanted.begin(), wanted.end(), index_of(p)) != wanted.end())
            order.push_back(index_of(p));
    }
    return order;
}

template <int N>
void destroy_all(std::vector<Probe<N> *> &live) {
    for (auto *p : live)
        Pool<Probe<N>>::destroy(p);
    live.clear();
}

} // namespace

// create() constructs in a slot with the arguments given; destroy() runs
// the destructor once.
TEST(Pool, CreateConstructsAndDestroyDestructsOnce) {
    using P = Pool<Probe<1>>;
    Probe<1> *a = P::create(uint64_t{7});
    Probe<1> *b = P::create(uint64_t{8});
    EXPECT_NE(a, b);
    EXPECT_EQ(a->value, 7u);
    EXPECT_EQ(b->value, 8u);
    EXPECT_EQ(Probe<1>::constructed, 2);
    EXPECT_EQ(Probe<1>::destroyed, 0);
    P::destroy(a);
    EXPECT_EQ(Probe<1>::destroyed, 1);
    EXPECT_EQ(b->value, 8u); // untouched by its neighbour's destruction
    P::destroy(b);
    EXPECT_EQ(Probe<1>::destroyed, 2);
    EXPECT_EQ(Probe<1>::constructed, 2);
}

namespace {

// Records the index of the slot it is constructed in, then throws.
struct Throwing {
    static inline uint32_t last_index = UINT32_MAX;
    explicit Throwing(bool fail) : value(0) {
        last_index = Pool<Throwing>::slot_of(this)->index;
        if (fail)
            throw std::runtime_error("constructor failed");
    }
    uint64_t value;
};

} // namespace

// A constructor that throws: the exception comes out of create(), and the
// slot it had taken goes back to the pool (it is handed out again).
TEST(Pool, ThrowingConstructorGivesItsSlotBack) {
    using P = Pool<Throwing>;
    EXPECT_THROW(P::create(true), std::runtime_error);
    uint32_t taken = Throwing::last_index;
    ASSERT_NE(taken, UINT32_MAX);
    std::vector<Throwing *> live;
    bool back = false;
    for (int i = 0; i < kBound && !back; ++i) {
        live.push_back(P::create(false));
        back = P::slot_of(live.back())->index == taken;
    }
    EXPECT_TRUE(back) << "slot " << taken << " was never handed out again";
    for (auto *t : live)
        P::destroy(t);
}

// slot_of, object_of and slot_at agree for every object, over more than
// one arena; indices that no arena holds give nullptr.
TEST(Pool, SlotOfObjectOfAndSlotAtRoundTrip) {
    using P = Pool<Probe<2>>;
    std::vector<Probe<2> *> live;
    for (int i = 0; i < 1000; ++i)
        live.push_back(P::create(uint64_t(i)));
    std::vector<uint32_t> indices;
    for (size_t i = 0; i < live.size(); ++i) {
        P::Slot *slot = P::slot_of(live[i]);
        EXPECT_EQ(static_cast<void *>(slot->storage), static_cast<void *>(live[i]));
        EXPECT_EQ(P::object_of(slot), live[i]);
        ASSERT_EQ(P::slot_at(slot->index), slot) << "index " << slot->index;
        EXPECT_EQ(P::object_of(P::slot_at(slot->index))->value, i);
        indices.push_back(slot->index);
    }
    std::sort(indices.begin(), indices.end());
    EXPECT_EQ(std::adjacent_find(indices.begin(), indices.end()), indices.end())
        << "two live objects share an index";
    EXPECT_EQ(P::slot_at(uint32_t{1} << 27), nullptr); // an arena not made yet
    EXPECT_EQ(P::slot_at(UINT32_MAX), nullptr);        // beyond every arena
    destroy_all(live);
}

// A slot keeps its index, and the generation the C layer wrote in it,
// when it is freed and handed out again.
TEST(Pool, SlotKeepsItsIndexAndGenerationAcrossReuse) {
    using P = Pool<Probe<3>>;
    Probe<3> *a = P::create(uint64_t{1});
    P::Slot *slot = P::slot_of(a);
    uint32_t index = slot->index;
    slot->generation.store(5);
    P::destroy(a);
    std::vector<Probe<3> *> live;
    std::vector<uint32_t> order = reappearance<3>({index}, live);
    ASSERT_EQ(order.size(), 1u) << "slot " << index << " was never handed out again";
    Probe<3> *again = nullptr;
    for (auto *p : live)
        if (index_of(p) == index)
            again = p;
    ASSERT_NE(again, nullptr);
    EXPECT_EQ(P::slot_of(again), slot);
    EXPECT_EQ(slot->index, index);
    EXPECT_EQ(P::slot_at(index), slot);
    EXPECT_EQ(slot->generation.load(), 5u);
    EXPECT_EQ(again->value,
              static_cast<uint64_t>(std::find(live.begin(), live.end(), again) - live.begin()));
    destroy_all(live);
}

// Free slots come back first in, first out: in the order they were freed,
// not the reverse.
TEST(Pool, FreedSlotsAreReusedFirstInFirstOut) {
    using P = Pool<Probe<4>>;
    std::vector<Probe<4> *> first;
    for (int i = 0; i < 8; ++i)
        first.push_back(P::create(uint64_t(i)));
    std::vector<uint32_t> freed;
    for (int k : {3, 1, 7, 0}) {
        freed.push_back(index_of(first[k]));
        P::destroy(first[k]);
        first[k] = nullptr;
    }
    std::vector<Probe<4> *> live;
    EXPECT_EQ(reappearance<4>(freed, live), freed);
    destroy_all(live);
    for (auto *p : first)
        if (p != nullptr)
            P::destroy(p);
}

// A thread that made and freed objects leaves its cached slots to the
// others when it exits: this thread (whose own cache is empty) is handed
// them, in the order the other thread freed them.
TEST(Pool, ThreadCacheHandsItsSlotsBackAtThreadExit) {
    using P = Pool<Probe<5>>;
    std::vector<uint32_t> freed;
    std::thread worker([&] {
        std::vector<Probe<5> *> made;
        for (int i = 0; i < 10; ++i)
            made.push_back(P::create(uint64_t(i)));
        for (auto *p : made) {
            freed.push_back(index_of(p));
            P::destroy(p);
        }
    });
    worker.join();
    ASSERT_EQ(freed.size(), 10u);
    std::vector<Probe<5> *> live;
    EXPECT_EQ(reappearance<5>(freed, live), freed);
    destroy_all(live);
}
