// Resources and tickets.
#include "handles.hpp"

#include "../lib/diagnostics.hpp"

namespace ordo::capi {

ordo_future new_future_handle(Ref<Future> future);

std::vector<Ref<Resource>> resources_of(const ordo_resource *resources, size_t n, const char *empty,
                                        const ordo_mode *modes, std::vector<Mode> *out_modes) {
    if (n == 0)
        throw Error(ORDO_ERROR_INVALID_ARGUMENT, std::string("n is 0: ") + empty);
    require(resources, "resources");
    std::vector<Ref<Resource>> list;
    list.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        std::string name = "resources[" + std::to_string(i) + "]";
        list.push_back(lookup<ResourceHandle>(resources[i], name.c_str()).resource);
        if (out_modes != nullptr)
            out_modes->push_back(modes != nullptr ? mode_of(modes[i]) : Mode::kExclusive);
    }
    return list;
}

} // namespace ordo::capi

using namespace ordo::capi;

extern "C" {

ORDO_API int ordo_resource_create(void *value, const char *name, ordo_resource *out) {
    return guarded([&] {
        require(out, "out");
        Ref<Resource> resource = Resource::create(value, name != nullptr ? name : "");
        ResourceHandle *h = Pool<ResourceHandle>::create(ResourceHandle{std::move(resource)});
        *out = publish<ResourceHandle, ordo_resource_s>(h);
        return ORDO_OK;
    });
}

ORDO_API int ordo_resource_value(ordo_resource resource, void **value) {
    return guarded([&] {
        ResourceHandle &r = lookup<ResourceHandle>(resource, "resource");
        require(value, "value");
        *value = r.resource->value();
        return ORDO_OK;
    });
}

ORDO_API int ordo_resource_acquire(ordo_resource resource, ordo_ticket *out) {
    return answer<ResourceHandle>(resource, "resource", out, "out", [&](ResourceHandle &r) {
        return publish<Ticket, ordo_ticket_s>(r.resource->acquire().detach());
    });
}

ORDO_API int ordo_resource_acquire_shared(ordo_resource resource, ordo_ticket *out) {
    return answer<ResourceHandle>(resource, "resource", out, "out", [&](ResourceHandle &r) {
        return publish<Ticket, ordo_ticket_s>(r.resource->acquire(Mode::kShared).detach());
    });
}

ORDO_API int ordo_resource_destroy(ordo_resource resource) {
    return guarded([&] { return destroy_handle<ResourceHandle>(resource, "resource"); });
}

ORDO_API int ordo_ticket_value(ordo_ticket ticket, void **value) {
    return guarded([&] {
        Ticket &t = lookup<Ticket>(ticket, "ticket");
        require(value, "value");
        *value = t.value();
        return ORDO_OK;
    });
}

ORDO_API int ordo_ticket_wait(ordo_ticket ticket, ordo_deadline deadline, const cl_event **events,
                              size_t *num_events) {
    return guarded([&] {
        return report_wait(lookup<Ticket>(ticket, "ticket").wait(deadline), events, num_events);
    });
}

ORDO_API int ordo_ticket_wait_complete(ordo_ticket ticket, ordo_deadline deadline,
                                       const cl_event **events, size_t *num_events) {
    return guarded([&] {
        return report_wait(lookup<Ticket>(ticket, "ticket").wait_complete(deadline), events,
                           num_events);
    });
}

ORDO_API int ordo_ticket_enqueue_wait(ordo_ticket ticket, cl_command_queue queue,
                                      ordo_deadline deadline, cl_event *barrier) {
    return guarded([&] {
        Ticket &t = lookup<Ticket>(ticket, "ticket");
        cl_event made = nullptr;
        WaitResult result = t.enqueue_wait(queue, deadline, barrier != nullptr ? &made : nullptr);
        if (result.status == ORDO_OK && barrier != nullptr)
            *barrier = made;
        return report(result.status, result.failure.get());
    });
}

ORDO_API int ordo_ticket_enqueue_wait_deferred(ordo_ticket ticket, cl_command_queue queue,
                                               cl_event *barrier) {
    return guarded([&] {
        // The core keeps its own reference to the barrier until it has
        // ended; *barrier gets one only if asked for.
        lookup<Ticket>(ticket, "ticket").enqueue_wait_deferred(queue, barrier);
        return ORDO_OK;
    });
}

ORDO_API int ordo_ticket_set_name(ordo_ticket ticket, const char *name) {
    return guarded([&] {
        Ticket &t = lookup<Ticket>(ticket, "ticket");
        if (t.holder_gone())
            throw Error(ORDO_ERROR_INVALID_HANDLE, "ticket is being destroyed");
        set_ticket_name(t, name != nullptr ? name : "");
        return ORDO_OK;
    });
}

ORDO_API int ordo_ticket_grant_future(ordo_ticket ticket, ordo_future *out) {
    return guarded([&] {
        Ticket &t = lookup<Ticket>(ticket, "ticket");
        require(out, "out");
        // The handle first: taking the grant future marks the grant seen,
        // which a call that fails must not do.
        FutureHandle *h = Pool<FutureHandle>::create(FutureHandle{});
        try {
            h->future = t.grant_future();
        } catch (...) {
            Pool<FutureHandle>::destroy(h);
            throw;
        }
        *out = publish<FutureHandle, ordo_future_s>(h);
        return ORDO_OK;
    });
}

ORDO_API int ordo_ticket_ready(ordo_ticket ticket, const cl_event *events, size_t num_events) {
    return guarded([&] {
        Ticket &t = lookup<Ticket>(ticket, "ticket");
        require_events(events, num_events);
        if (num_events == 0) {
            t.ready_nothing(); // refuses a released ticket
            return ORDO_OK;
        }
        if (t.released()) // before the events are retained
            throw Error(ORDO_ERROR_INVALID_STATE, "the ticket was already released");
        t.ready(EventList::retain(events, num_events));
        return ORDO_OK;
    });
}

ORDO_API int ordo_ticket_fail(ordo_ticket ticket, int status, const char *message) {
    return guarded([&] {
        Ticket &t = lookup<Ticket>(ticket, "ticket");
        Ref<Failure> failure = failure_of(status, message);
        if (t.released())
            throw Error(ORDO_ERROR_INVALID_STATE, "the ticket was already released");
        t.fail(std::move(failure));
        return ORDO_OK;
    });
}

ORDO_API int ordo_ticket_cancel(ordo_ticket ticket) {
    return guarded([&] {
        lookup<Ticket>(ticket, "ticket").cancel(true);
        return ORDO_OK;
    });
}

ORDO_API int ordo_ticket_destroy(ordo_ticket ticket) {
    return guarded([&] {
        if (Ticket *t = retire<Ticket>(ticket, "ticket"))
            t->destroy_by_holder();
        return ORDO_OK;
    });
}

} // extern "C"
