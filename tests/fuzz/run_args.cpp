// The fuzz driver's helpers shared by the families of operations (run.hpp):
// destroying tickets, promises and multi-tickets through the shadow's plan,
// and building event list, deadline and resource list arguments from the
// input.
#include "run.hpp"

#include <ordo/ordo.h>

#include <cstdint>

namespace fuzz_capi {

int Run::destroy_ticket(ordo_ticket t) {
    int expected = shadow_.plan_destroy(t);
    int status = ordo_ticket_destroy(t);
    shadow_.check_planned("ordo_ticket_destroy", expected, status);
    forget(tickets_, t, status);
    return status;
}

void Run::destroy_promise(ordo_promise p) {
    int expected = shadow_.plan_promise_destroy(p);
    int status = ordo_promise_destroy(p);
    shadow_.check_planned("ordo_promise_destroy", expected, status);
    forget(promises_, p, status);
}

void Run::destroy_multi(ordo_multi_ticket m) {
    int expected = shadow_.plan_multi_destroy(m);
    int status = ordo_multi_ticket_destroy(m);
    shadow_.check_planned("ordo_multi_ticket_destroy", expected, status);
    forget(multis_, m, status);
}

Run::Events Run::events() {
    Events e;
    uint8_t b = in_.byte();
    if (b % 16 == 15) { // bad: NULL with a count
        e.count = b / 16 == 0 ? SIZE_MAX : b / 16;
        return e;
    }
    e.count = b % 5;
    for (size_t i = 0; i < e.count; ++i) {
        uint8_t k = in_.byte();
        e.list[i] = k % 16 == 15 ? nullptr : owned_[k % owned_.size()];
    }
    e.pointer = e.count == 0 && b / 16 % 2 ? nullptr : e.list;
    return e;
}

ordo_deadline Run::deadline() {
    return in_.byte() % 2 ? ordo_now() - 1 : ordo_now();
}

Run::Resources Run::resource_list() {
    Resources r;
    uint8_t b = in_.byte();
    if (b % 16 == 15) { // bad: NULL with a count
        r.count = b / 16 == 0 ? SIZE_MAX : b / 16;
        return r;
    }
    r.count = b % 5;
    for (size_t i = 0; i < r.count; ++i) {
        r.list[i] = pick(resources_);
        uint8_t m = in_.byte();
        r.modes[i] = static_cast<ordo_mode>(m % 8 == 7 ? m : m % 2); // sometimes a bad mode
    }
    r.pointer = r.list;
    r.mode_pointer = b / 16 % 2 ? nullptr : r.modes;
    return r;
}

int Run::expect_list(const Resources &r, bool with_modes, bool out_null) {
    if (out_null || r.count == 0 || r.pointer == nullptr)
        return ORDO_ERROR_INVALID_ARGUMENT;
    for (size_t i = 0; i < r.count; ++i) {
        if (!shadow_.resource_live(r.list[i]))
            return ORDO_ERROR_INVALID_HANDLE;
        if (with_modes && r.mode_pointer != nullptr && r.modes[i] != ORDO_EXCLUSIVE &&
            r.modes[i] != ORDO_SHARED)
            return ORDO_ERROR_INVALID_ARGUMENT;
    }
    if (with_modes)
        for (size_t i = 0; i < r.count; ++i)
            for (size_t j = i + 1; j < r.count; ++j)
                if (r.list[i] == r.list[j])
                    return ORDO_ERROR_INVALID_ARGUMENT;
    return ORDO_OK;
}

void Run::own(int status, cl_event barrier) {
    if (status == ORDO_OK && barrier != nullptr)
        owned_.push_back(barrier);
}

} // namespace fuzz_capi
