// Rings of interchangeable resources (ordo_ring_*): resources handed out in
// turn.
#include "../support/cl_env.hpp"

#include <vector>

using namespace ordo_test;

TEST(Rings, HandOutResourcesInTurn) {
    int values[3] = {10, 11, 12};
    ordo_resource r[3];
    for (int i = 0; i < 3; ++i)
        ORDO_ASSERT_OK(ordo_resource_create(&values[i], "slot", &r[i]));
    ordo_ring ring;
    ORDO_ASSERT_OK(ordo_ring_create(r, 3, &ring));
    for (auto x : r)
        ordo_resource_destroy(x); // the ring keeps them
    std::vector<ordo_ticket> t(7);
    for (int k = 0; k < 7; ++k) {
        size_t index = 99;
        ORDO_ASSERT_OK(ordo_ring_acquire(ring, ORDO_EXCLUSIVE, &t[k], &index));
        EXPECT_EQ(index, static_cast<size_t>(k % 3));
        void *value = nullptr;
        ORDO_ASSERT_OK(ordo_ticket_value(t[k], &value));
        EXPECT_EQ(value, &values[k % 3]);
    }
    for (int k = 0; k < 3; ++k)
        EXPECT_TRUE(granted(t[k]));
    for (int k = 3; k < 7; ++k)
        EXPECT_FALSE(granted(t[k]));
    ORDO_ASSERT_OK(ordo_ticket_ready(t[0], nullptr, 0));
    EXPECT_TRUE(granted(t[3]));
    EXPECT_FALSE(granted(t[6]));
    ORDO_ASSERT_OK(ordo_ticket_ready(t[3], nullptr, 0));
    EXPECT_TRUE(granted(t[6]));
    size_t size = 0;
    ORDO_ASSERT_OK(ordo_ring_size(ring, &size));
    EXPECT_EQ(size, 3u);
    void *value = nullptr;
    EXPECT_EQ(ordo_ring_value(ring, 3, &value), ORDO_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(ordo_ring_acquire(ring, static_cast<ordo_mode>(5), &t[0], nullptr),
              ORDO_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(ordo_ring_create(nullptr, 2, &ring), ORDO_ERROR_INVALID_ARGUMENT);
    for (int k : {1, 2, 4, 5, 6})
        ORDO_ASSERT_OK(ordo_ticket_ready(t[k], nullptr, 0));
    for (auto x : t)
        ordo_ticket_destroy(x);
    ordo_ring_destroy(ring);
}
