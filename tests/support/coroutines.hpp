// Test support for the C++ wrapper's coroutines. Public headers only.
#pragma once

#include <ordo/ordo.hpp>

namespace ordo_test {

// Awaits ticket.completed(ex), resuming through ex; status becomes ORDO_OK,
// or the status of the ordo::Error it threw.
inline ordo::Task await_completed(ordo::Ticket &ticket, ordo::Executor ex, int &status) {
    try {
        co_await ticket.completed(ex);
        status = ORDO_OK;
    } catch (const ordo::Error &e) {
        status = e.status();
    }
}

} // namespace ordo_test
