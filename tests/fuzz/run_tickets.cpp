// The fuzz driver's operations on resources and tickets (run.hpp): create,
// acquire (exclusive, shared), values, waits for the grant (host, device,
// deferred device), grant futures, releases (ready, fail, cancel), names,
// and destroys.
#include "../support/cl_count.hpp"
#include "run.hpp"

#include <ordo/ordo.h>

#include <cstdint>
#include <cstdlib>

namespace fuzz_capi {

// ORDO_FUZZ_DEFERRED_ON_POCL=1: valid deferred device waits on POCL too.
const bool g_deferred_on_pocl = std::getenv("ORDO_FUZZ_DEFERRED_ON_POCL") != nullptr;

void Run::step_ticket(Op op) {
    switch (op) {
    case kResourceCreate: {
        ordo_resource r = nullptr;
        uint8_t b = in_.byte();
        int status = ordo_resource_create(b % 2 ? &in_ : nullptr, b % 4 < 2 ? "fuzz" : nullptr,
                                          b % 8 == 7 ? nullptr : &r);
        shadow_.check_planned("ordo_resource_create",
                              b % 8 == 7 ? ORDO_ERROR_INVALID_ARGUMENT : ORDO_OK, status);
        if (status == ORDO_OK) {
            shadow_.resource_created(r);
            keep(resources_, r);
        }
        break;
    }
    case kResourceValue: {
        void *v = nullptr;
        ordo_resource r = pick(resources_);
        uint8_t b = in_.byte();
        Shadow::check_handle("ordo_resource_value", shadow_.resource_live(r),
                             ordo_resource_value(r, b % 8 == 7 ? nullptr : &v));
        break;
    }
    case kAcquire:
    case kAcquireShared: {
        ordo_ticket t = nullptr;
        ordo_resource r = pick(resources_);
        bool out_null = in_.byte() % 8 == 7;
        bool shared = op == kAcquireShared;
        int status = shared ? ordo_resource_acquire_shared(r, out_null ? nullptr : &t)
                            : ordo_resource_acquire(r, out_null ? nullptr : &t);
        shadow_.check_planned("ordo_resource_acquire",
                              !shadow_.resource_live(r) ? ORDO_ERROR_INVALID_HANDLE
                              : out_null                ? ORDO_ERROR_INVALID_ARGUMENT
                                                        : ORDO_OK,
                              status);
        if (status == ORDO_OK) {
            shadow_.acquired(r, shared, t);
            keep(tickets_, t);
        }
        break;
    }
    case kResourceDestroy: {
        ordo_resource r = pick(resources_);
        int status = ordo_resource_destroy(r);
        shadow_.resource_destroyed(r, status);
        forget(resources_, r, status);
        break;
    }
    case kTicketValue: {
        void *v = nullptr;
        ordo_ticket t = pick(tickets_);
        uint8_t b = in_.byte();
        Shadow::check_handle("ordo_ticket_value", shadow_.ticket(t) != nullptr,
                             ordo_ticket_value(t, b % 8 == 7 ? nullptr : &v));
        break;
    }
    case kTicketWait:
    case kTicketWaitComplete: {
        ordo_ticket t = pick(tickets_);
        const cl_event *list = nullptr;
        size_t n = 0;
        uint8_t b = in_.byte();
        bool ask_events = b % 2, ask_n = b % 4 < 2;
        ordo_deadline d = deadline();
        uint64_t before = ordo_test::callback_registrations_on_this_thread();
        int status =
            op == kTicketWait
                ? ordo_ticket_wait(t, d, ask_events ? &list : nullptr, ask_n ? &n : nullptr)
                : ordo_ticket_wait_complete(t, d, ask_events ? &list : nullptr,
                                            ask_n ? &n : nullptr);
        uint64_t registered = ordo_test::callback_registrations_on_this_thread() - before;
        if (status == ORDO_OK && list != nullptr && n > 0)
            (void)list[n - 1]; // the borrowed array is readable
        bool both = ask_events && ask_n;
        if (op == kTicketWait)
            shadow_.check_wait(t, status, list, n, both);
        else
            shadow_.check_wait_complete(t, status, list, n, both, registered);
        break;
    }
    case kTicketEnqueueWait: {
        ordo_ticket t = pick(tickets_);
        uint8_t b = in_.byte();
        cl_event barrier = nullptr;
        bool null_queue = b % 4 == 3, ask = b % 2;
        int status = ordo_ticket_enqueue_wait(t, null_queue ? nullptr : g_cl.queue, deadline(),
                                              ask ? &barrier : nullptr);
        shadow_.check_enqueue_wait(t, null_queue, status, barrier, ask);
        if (status == ORDO_OK && barrier != nullptr)
            owned_.push_back(barrier); // a new reference, ours
        break;
    }
    case kTicketGrantFuture: {
        ordo_future f = nullptr;
        ordo_ticket t = pick(tickets_);
        bool null_out = in_.byte() % 8 == 7;
        int status = ordo_ticket_grant_future(t, null_out ? nullptr : &f);
        shadow_.grant_future_taken(t, null_out, status, f);
        if (status == ORDO_OK)
            keep(futures_, f);
        break;
    }
    case kTicketReady: {
        ordo_ticket t = pick(tickets_);
        Events e = events();
        int expected = shadow_.plan_ready(t, e.pointer, e.count);
        shadow_.check_planned("ordo_ticket_ready", expected,
                              ordo_ticket_ready(t, e.pointer, e.count));
        break;
    }
    case kTicketFail: {
        ordo_ticket t = pick(tickets_);
        uint8_t b = in_.byte();
        int status = in_.i32();
        const char *message = b % 2 ? "fuzz failure" : nullptr;
        int expected = shadow_.plan_fail(t, status, message);
        shadow_.check_planned("ordo_ticket_fail", expected, ordo_ticket_fail(t, status, message));
        break;
    }
    case kTicketCancel: {
        ordo_ticket t = pick(tickets_);
        int expected = shadow_.plan_cancel(t);
        shadow_.check_planned("ordo_ticket_cancel", expected, ordo_ticket_cancel(t));
        break;
    }
    case kTicketDestroy:
        destroy_ticket(pick(tickets_));
        break;
    case kTicketEnqueueWaitDeferred: {
        // Each on a queue of its own. On POCL 3.1 only with a NULL queue
        // (refused) by default: its deferred barriers whose predecessor
        // fails abort the process now and then (docs/RUNTIMES.md), about
        // once in 50,000 to 90,000 inputs, after the input that caused it.
        ordo_ticket t = pick(tickets_);
        uint8_t b = in_.byte();
        cl_command_queue queue = nullptr;
        if (b % 4 != 3 && (!g_cl.pocl || g_deferred_on_pocl)) {
            cl_device_id device = nullptr;
            clGetContextInfo(g_cl.context, CL_CONTEXT_DEVICES, sizeof device, &device, nullptr);
            cl_int err = CL_SUCCESS;
            queue = clCreateCommandQueue(g_cl.context, device, 0, &err);
            if (err != CL_SUCCESS)
                std::abort();
            deferred_queues_.push_back(queue);
        }
        cl_event barrier = nullptr;
        int status = ordo_ticket_enqueue_wait_deferred(t, queue, b % 2 ? &barrier : nullptr);
        shadow_.check_enqueue_wait_deferred(t, queue == nullptr, status, barrier);
        // Not an input of later calls: a ticket released with its own
        // successor's deferred barrier would wait for itself.
        if (status == ORDO_OK && barrier != nullptr)
            deferred_barriers_.push_back(barrier);
        if (queue != nullptr)
            clFlush(queue);
        break;
    }
    case kTicketSetName: {
        ordo_ticket t = pick(tickets_);
        uint8_t b = in_.byte();
        Shadow::check_handle("ordo_ticket_set_name", shadow_.ticket(t) != nullptr,
                             ordo_ticket_set_name(t, b % 4 == 3 ? nullptr : (b % 2 ? "fuzz" : "")));
        break;
    }
    default: // another family's (Run::step dispatches)
        break;
    }
}

} // namespace fuzz_capi
