// Test support shared by several C ABI test files, over the public headers
// only (like cl_env.hpp).
#pragma once

#include "cl_env.hpp"

#include <set>

namespace ordo_test {

// The events t was granted with, as a set (a poll: t must be granted).
inline std::set<cl_event> events_of(ordo_ticket t) {
    const cl_event *events = nullptr;
    size_t n = 0;
    EXPECT_EQ(ordo_ticket_wait(t, ordo_now(), &events, &n), ORDO_OK);
    return std::set<cl_event>(events, events + n);
}

// A user event already set to an error status.
inline cl_event failed_event(cl_int status) {
    cl_event e = make_user_event();
    EXPECT_EQ(clSetUserEventStatus(e, status), CL_SUCCESS);
    return e;
}

} // namespace ordo_test
