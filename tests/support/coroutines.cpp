#include "coroutines.hpp"

namespace ordo_test {

ordo::Task await_completed(ordo::Ticket &ticket, ordo::Executor ex, int &status) {
    try {
        co_await ordo::completed(ticket, ex);
        status = ORDO_OK;
    } catch (const ordo::Error &e) {
        status = e.status();
    }
}

} // namespace ordo_test
