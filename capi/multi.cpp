// Multi-resource tickets and rings.
#include "handles.hpp"

#include <vector>

using namespace ordo::capi;

namespace {

MultiTicket &multi(ordo_multi_ticket m) {
    return lookup<MultiTicket>(m, "ticket");
}

} // namespace

extern "C" {

ORDO_API int ordo_acquire_many(const ordo_resource *resources, const int *modes, size_t n,
                               ordo_multi_ticket *out) {
    return guarded([&] {
        require(out, "out");
        if (n == 0)
            throw Error(ORDO_ERROR_INVALID_ARGUMENT, "n is 0: no resource to acquire");
        require(resources, "resources");
        std::vector<Resource *> list(n);
        std::vector<Mode> list_modes(n, Mode::kExclusive);
        for (size_t i = 0; i < n; ++i) {
            std::string name = "resources[" + std::to_string(i) + "]";
            list[i] = lookup<ResourceHandle>(resources[i], name.c_str()).resource.get();
            if (modes != nullptr)
                list_modes[i] = mode_of(modes[i]);
        }
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
    return guarded([&] { return report_wait(multi(ticket).wait(deadline), events, num_events); });
}

ORDO_API int ordo_multi_ticket_wait_complete(ordo_multi_ticket ticket, ordo_deadline deadline,
                                             const cl_event **events, size_t *num_events) {
    return guarded(
        [&] { return report_wait(multi(ticket).wait_complete(deadline), events, num_events); });
}

ORDO_API int ordo_multi_ticket_enqueue_wait(ordo_multi_ticket ticket, cl_command_queue queue,
                                            ordo_deadline deadline, cl_event *barrier) {
    return guarded([&] {
        cl_event made = nullptr;
        WaitResult result =
            multi(ticket).enqueue_wait(queue, deadline, barrier != nullptr ? &made : nullptr);
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
        require_failure_status(status);
        m.fail(Failure::make(status, message != nullptr ? message : "failed"));
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
        require_failure_status(status);
        t.fail(Failure::make(status, message != nullptr ? message : "failed"));
        return ORDO_OK;
    });
}

ORDO_API int ordo_multi_ticket_destroy(ordo_multi_ticket ticket) {
    return guarded([&] {
        if (MultiTicket *m = retire<MultiTicket>(ticket, "ticket"))
            Pool<MultiTicket>::destroy(m);
        return ORDO_OK;
    });
}

ORDO_API int ordo_ring_create(const ordo_resource *resources, size_t n, ordo_ring *out) {
    return guarded([&] {
        require(out, "out");
        if (n == 0)
            throw Error(ORDO_ERROR_INVALID_ARGUMENT, "n is 0: a ring needs a resource");
        require(resources, "resources");
        std::vector<Ref<Resource>> list;
        list.reserve(n);
        for (size_t i = 0; i < n; ++i) {
            std::string name = "resources[" + std::to_string(i) + "]";
            list.push_back(lookup<ResourceHandle>(resources[i], name.c_str()).resource);
        }
        Ring *ring = Pool<Ring>::create(std::move(list));
        *out = publish<Ring, ordo_ring_s>(ring);
        return ORDO_OK;
    });
}

ORDO_API int ordo_ring_acquire(ordo_ring ring, int mode, ordo_ticket *out, size_t *index) {
    return guarded([&] {
        Ring &r = lookup<Ring>(ring, "ring");
        Mode m = mode_of(mode);
        require(out, "out");
        size_t i = 0;
        *out = publish<Ticket, ordo_ticket_s>(r.acquire(m, &i).detach());
        if (index != nullptr)
            *index = i;
        return ORDO_OK;
    });
}

ORDO_API int ordo_ring_size(ordo_ring ring, size_t *n) {
    return guarded([&] {
        Ring &r = lookup<Ring>(ring, "ring");
        require(n, "n");
        *n = r.size();
        return ORDO_OK;
    });
}

ORDO_API int ordo_ring_value(ordo_ring ring, size_t index, void **value) {
    return guarded([&] {
        Ring &r = lookup<Ring>(ring, "ring");
        require(value, "value");
        *value = r.resource(index).value();
        return ORDO_OK;
    });
}

ORDO_API int ordo_ring_destroy(ordo_ring ring) {
    return guarded([&] {
        if (Ring *r = retire<Ring>(ring, "ring"))
            Pool<Ring>::destroy(r);
        return ORDO_OK;
    });
}

} // extern "C"
