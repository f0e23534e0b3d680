// Rings of interchangeable resources: ordo_ring_*.
#include "handles.hpp"

using namespace ordo::capi;

extern "C" {

ORDO_API int ordo_ring_create(const ordo_resource *resources, size_t n, ordo_ring *out) {
    return guarded([&] {
        require(out, "out");
        Ring *ring = Pool<Ring>::create(resources_of(resources, n, "a ring needs a resource"));
        *out = publish<Ring, ordo_ring_s>(ring);
        return ORDO_OK;
    });
}

ORDO_API int ordo_ring_acquire(ordo_ring ring, ordo_mode mode, ordo_ticket *out, size_t *index) {
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
    return answer<Ring>(ring, "ring", n, "n", [&](Ring &r) { return r.size(); });
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
    return guarded([&] { return destroy_handle<Ring>(ring, "ring"); });
}

} // extern "C"
