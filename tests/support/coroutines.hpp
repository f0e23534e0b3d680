// Test support for the C++ wrapper's coroutines. Public headers only.
#pragma once

#include <ordo/coro.hpp>

namespace ordo_test {

// Awaits ticket.completed(ex), resuming through ex; status becomes ORDO_OK,
// or the status of the ordo::Error it threw. (Defined out of line: clang 14
// fails on a coroutine in an inline function under -fsanitize=address.)
ordo::Task await_completed(ordo::Ticket &ticket, ordo::Executor ex, int &status);

} // namespace ordo_test
