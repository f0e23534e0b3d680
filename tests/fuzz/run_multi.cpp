// The fuzz driver's operations on multi-resource tickets and rings
// (run.hpp): acquire_many, size, waits (host and device), releases of all
// parts or of one, destroys; rings' create, acquire, queries and destroys.
#include "../support/cl_count.hpp"
#include "run.hpp"

#include <ordo/ordo.h>

#include <cstdint>

namespace fuzz_capi {

void Run::step_multi(Op op) {
    switch (op) {
    case kAcquireMany: {
        Resources r = resource_list();
        ordo_multi_ticket m = nullptr;
        bool out_null = in_.byte() % 8 == 7;
        int expected = expect_list(r, true, out_null);
        int status =
            ordo_resource_acquire_many(r.pointer, r.mode_pointer, r.count, out_null ? nullptr : &m);
        shadow_.check_planned("ordo_resource_acquire_many", expected, status);
        if (status == ORDO_OK) {
            shadow_.multi_acquired(r.list, r.count, r.mode_pointer, m);
            keep(multis_, m);
        }
        break;
    }
    case kMultiSize: {
        size_t n = 0;
        ordo_multi_ticket m = pick(multis_);
        bool null_n = in_.byte() % 8 == 7;
        Shadow::check_handle("ordo_multi_ticket_size", shadow_.multi_live(m),
                             ordo_multi_ticket_size(m, null_n ? nullptr : &n));
        break;
    }
    case kMultiWait:
    case kMultiWaitComplete: {
        ordo_multi_ticket m = pick(multis_);
        const cl_event *list = nullptr;
        size_t n = 0;
        uint8_t b = in_.byte();
        bool ask_events = b % 2, ask_n = b % 4 < 2;
        ordo_deadline d = deadline();
        bool complete = op == kMultiWaitComplete;
        uint64_t before = ordo_test::callback_registrations_on_this_thread();
        int status = complete ? ordo_multi_ticket_wait_complete(m, d, ask_events ? &list : nullptr,
                                                                ask_n ? &n : nullptr)
                              : ordo_multi_ticket_wait(m, d, ask_events ? &list : nullptr,
                                                       ask_n ? &n : nullptr);
        uint64_t registered = ordo_test::callback_registrations_on_this_thread() - before;
        if (status == ORDO_OK && list != nullptr && n > 0)
            (void)list[n - 1];
        shadow_.check_multi_wait(m, status, list, n, ask_events && ask_n, complete, registered);
        break;
    }
    case kMultiEnqueueWait: {
        ordo_multi_ticket m = pick(multis_);
        uint8_t b = in_.byte();
        cl_event barrier = nullptr;
        bool null_queue = b % 4 == 3, ask = b % 2;
        int status = ordo_multi_ticket_enqueue_wait(m, null_queue ? nullptr : g_cl.queue,
                                                    deadline(), ask ? &barrier : nullptr);
        shadow_.check_multi_enqueue_wait(m, null_queue, status, barrier, ask);
        own(status, barrier);
        break;
    }
    case kMultiReady: {
        ordo_multi_ticket m = pick(multis_);
        Events e = events();
        int expected = shadow_.plan_multi_ready(m, e.pointer, e.count);
        shadow_.check_planned("ordo_multi_ticket_ready", expected,
                              ordo_multi_ticket_ready(m, e.pointer, e.count));
        break;
    }
    case kMultiFail: {
        ordo_multi_ticket m = pick(multis_);
        uint8_t b = in_.byte();
        int status = in_.i32();
        const char *message = b % 2 ? "fuzz failure" : nullptr;
        int expected = shadow_.plan_multi_fail(m, status, message);
        shadow_.check_planned("ordo_multi_ticket_fail", expected,
                              ordo_multi_ticket_fail(m, status, message));
        break;
    }
    case kMultiReadyOne: {
        ordo_multi_ticket m = pick(multis_);
        size_t index = in_.byte() % 6; // often out of range
        Events e = events();
        int expected = shadow_.plan_multi_ready_one(m, index, e.pointer, e.count);
        shadow_.check_planned("ordo_multi_ticket_ready_one", expected,
                              ordo_multi_ticket_ready_one(m, index, e.pointer, e.count));
        break;
    }
    case kMultiFailOne: {
        ordo_multi_ticket m = pick(multis_);
        size_t index = in_.byte() % 6;
        int status = in_.i32();
        const char *message = in_.byte() % 2 ? "fuzz" : nullptr;
        int expected = shadow_.plan_multi_fail_one(m, index, status, message);
        shadow_.check_planned("ordo_multi_ticket_fail_one", expected,
                              ordo_multi_ticket_fail_one(m, index, status, message));
        break;
    }
    case kMultiDestroy:
        destroy_multi(pick(multis_));
        break;
    case kRingCreate: {
        Resources r = resource_list();
        ordo_ring ring = nullptr;
        bool out_null = in_.byte() % 8 == 7;
        int expected = expect_list(r, false, out_null);
        int status = ordo_ring_create(r.pointer, r.count, out_null ? nullptr : &ring);
        shadow_.check_planned("ordo_ring_create", expected, status);
        if (status == ORDO_OK) {
            shadow_.ring_created(r.list, r.count, ring);
            keep(rings_, ring);
        }
        break;
    }
    case kRingAcquire: {
        ordo_ring ring = pick(rings_);
        uint8_t b = in_.byte();
        ordo_ticket t = nullptr;
        size_t index = 0;
        int mode = b % 8 == 7 ? b : b % 2;
        bool null_out = b % 16 == 14, null_index = b % 4 == 3;
        int status = ordo_ring_acquire(ring, static_cast<ordo_mode>(mode), null_out ? nullptr : &t,
                                       null_index ? nullptr : &index);
        int expected = !shadow_.ring_live(ring) ? ORDO_ERROR_INVALID_HANDLE
                       : (mode != ORDO_EXCLUSIVE && mode != ORDO_SHARED)
                           ? ORDO_ERROR_INVALID_ARGUMENT
                       : null_out ? ORDO_ERROR_INVALID_ARGUMENT
                                  : ORDO_OK;
        shadow_.check_planned("ordo_ring_acquire", expected, status);
        if (status == ORDO_OK) {
            shadow_.ring_acquired(ring, mode == ORDO_SHARED, t, null_index ? nullptr : &index);
            keep(tickets_, t);
        }
        break;
    }
    case kRingQuery: {
        ordo_ring ring = pick(rings_);
        uint8_t b = in_.byte();
        size_t n = 0;
        void *value = nullptr;
        Shadow::check_handle("ordo_ring_size", shadow_.ring_live(ring),
                             ordo_ring_size(ring, b % 8 == 7 ? nullptr : &n));
        size_t index = in_.byte() % 6;
        Shadow::check_handle("ordo_ring_value", shadow_.ring_live(ring),
                             ordo_ring_value(ring, index, b % 8 == 6 ? nullptr : &value));
        break;
    }
    case kRingDestroy: {
        ordo_ring ring = pick(rings_);
        int status = ordo_ring_destroy(ring);
        shadow_.ring_destroyed(ring, status);
        forget(rings_, ring, status);
        break;
    }
    default: // another family's (Run::step dispatches)
        break;
    }
}

} // namespace fuzz_capi
