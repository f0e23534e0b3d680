// Multi-resource tickets: ordo_resource_acquire_many and ordo_multi_ticket_*.
#include "handles.hpp"

#include <vector>

using namespace ordo::capi;

namespace {

MultiTicket &multi(ordo_multi_ticket m) {
    return lookup<MultiTicket>(m, "ticket");
}

} // namespace

extern "C" {

ORDO_API int ordo_resource_acquire_many(const ordo_resource *resources, const ordo_mode *modes,
                                        size_t n, ordo_multi_ticket *out) {
    return guarded([&] {
        require(out, "out");
        // Each resource's handle, then its mode, in order (the first bad one
        // is reported).
        std::vector<Mode> list_modes;
        std::vector<Ref<Resource>> held =
            resources_of(resources, n, "no resource to acquire", modes, &list_modes);
        std::vector<Resource *> list(n);
        for (size_t i = 0; i < n; ++i)
            list[i] = held[i].get();
        MultiTicket *m = Pool<MultiTicket>::create(list, list_modes);
        *out = publish<MultiTicket, ordo_multi_ticket_s>(m);
        return ORDO_OK;
    });
}

ORDO_API int ordo_multi_ticket_size(ordo_multi_ticket ticket, size_t *n) {
    return guarded([&] {
        MultiTicket &m = multi(ticket);
        require(n, "n");
        *n = m.size();
        return ORDO_OK;
    });
}

ORDO_API int ordo_multi_ticket_wait(ordo_multi_ticket ticket, ordo_deadline deadline,
                                    const cl_event **events, size_t *num_events) {
    return guarded(
        [&] { return report_wait(wait_for_grant(multi(ticket), deadline), events, num_events); });
}

ORDO_API int ordo_multi_ticket_wait_complete(ordo_multi_ticket ticket, ordo_deadline deadline,
                                             const cl_event **events, size_t *num_events) {
    return guarded(
        [&] { return report_wait(wait_complete(multi(ticket), deadline), events, num_events); });
}

ORDO_API int ordo_multi_ticket_enqueue_wait(ordo_multi_ticket ticket, cl_command_queue queue,
                                            ordo_deadline deadline, cl_event *barrier) {
    return guarded([&] {
        cl_event made = nullptr;
        WaitResult result =
            enqueue_wait(multi(ticket), queue, deadline, barrier != nullptr ? &made : nullptr);
        if (result.status == ORDO_OK && barrier != nullptr)
            *barrier = made;
        return report_wait(result, nullptr, nullptr);
    });
}

ORDO_API int ordo_multi_ticket_ready(ordo_multi_ticket ticket, const cl_event *events,
                                     size_t num_events) {
    return guarded([&] {
        MultiTicket &m = multi(ticket);
        require_events(events, num_events);
        m.ready(EventList::retain(events, num_events));
        return ORDO_OK;
    });
}

ORDO_API int ordo_multi_ticket_fail(ordo_multi_ticket ticket, int status, const char *message) {
    return guarded([&] {
        MultiTicket &m = multi(ticket);
        m.fail(failure_of(status, message));
        return ORDO_OK;
    });
}

ORDO_API int ordo_multi_ticket_ready_one(ordo_multi_ticket ticket, size_t index,
                                         const cl_event *events, size_t num_events) {
    return guarded([&] {
        Ticket &t = multi(ticket).ticket(index);
        require_events(events, num_events);
        if (t.released())
            throw Error(ORDO_ERROR_INVALID_STATE, "the ticket was already released");
        t.ready(EventList::retain(events, num_events));
        return ORDO_OK;
    });
}

ORDO_API int ordo_multi_ticket_fail_one(ordo_multi_ticket ticket, size_t index, int status,
                                        const char *message) {
    return guarded([&] {
        Ticket &t = multi(ticket).ticket(index);
        t.fail(failure_of(status, message));
        return ORDO_OK;
    });
}

ORDO_API int ordo_multi_ticket_destroy(ordo_multi_ticket ticket) {
    return guarded([&] { return destroy_handle<MultiTicket>(ticket, "ticket"); });
}

} // extern "C"
