// The shadow's core (shadow.hpp), shared by its families of calls: a
// violation's report, the OpenCL statuses of events, the events argument
// check, the handle check, what the model says of a grant (its outcomes,
// their delivery to grant futures, whether the owner saw it) and of what it
// is observed to carry, and, at the end of an input, the device waits'
// barriers. The families: shadow_tickets.cpp (resources and tickets),
// shadow_futures.cpp (futures, promises, event waits), shadow_queues.cpp
// (job queues), shadow_multi.cpp (multi-resource tickets and rings).
#include "shadow.hpp"
#include "shadow_internal.hpp"

#include <cstdio>
#include <cstdlib>

namespace ordo_fuzz {

void Shadow::violation(const std::string &what) {
    std::fprintf(stderr, "fuzz_capi: VIOLATION of the contract: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

cl_int Shadow::status_of(Event e) const {
    cl_int s = CL_QUEUED;
    clGetEventInfo(reinterpret_cast<cl_event>(e), CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof s, &s,
                   nullptr);
    return s;
}

bool Shadow::all_complete(const Events &events) const {
    for (Event e : events)
        if (status_of(e) != CL_COMPLETE)
            return false;
    return true;
}

bool Shadow::any_failed(const Events &events) const {
    for (Event e : events)
        if (status_of(e) < 0)
            return true;
    return false;
}

int Shadow::events_argument_status(const cl_event *events, size_t n) const {
    if (n != 0 && events == nullptr)
        return ORDO_ERROR_INVALID_ARGUMENT;
    for (size_t i = 0; i < n; ++i)
        if (events[i] == nullptr)
            return ORDO_ERROR_INVALID_ARGUMENT;
    return ORDO_OK;
}

Possible Shadow::grant_possible(const TicketRec &t) {
    std::optional<Possible> p = model_.grant_of(t.id);
    if (!p)
        violation("internal: a grant the shadow thinks complete has no outcome in the model");
    return *p;
}

void Shadow::deliver() {
    for (auto &t : all_tickets_) {
        if (t->grant_done || !model_.grant_of(t->id))
            continue;
        t->grant_done = true;
        for (auto &f : t->grant_futures)
            if (!f->cancelled)
                t->delivered_op = op_; // a grant future delivers it
    }
}

ordo_model::Seen Shadow::seen_at_release(const TicketRec &t) const {
    if (t.seen)
        return ordo_model::Seen::kYes;
    if (t.delivered_op == 0)
        return ordo_model::Seen::kNo;
    // Delivered during this very call, and released from a callback of that
    // call: the delivery may still be queued behind the callback.
    return in_callback_ && t.delivered_op == op_ ? ordo_model::Seen::kMaybe
                                                 : ordo_model::Seen::kYes;
}

void Shadow::check_handle(const char *call, bool valid, int status) {
    if (!valid && status != ORDO_ERROR_INVALID_HANDLE)
        violation(std::string(call) + " on a bad handle returned " + ordo_status_string(status));
    if (valid && status == ORDO_ERROR_INVALID_HANDLE)
        violation(std::string(call) + " refused a live handle: " + ordo_last_error_message());
}

void Shadow::observe(const TicketRec &t, const Outcome &o, const char *how) {
    std::string why;
    if (!model_.observe_grant(t.id, o, &why))
        violation(std::string(how) + " of ticket " + std::to_string(t.id.position) +
                  " on resource " + std::to_string(t.id.resource) + ": " + why);
}

void Shadow::check_planned(const char *call, int expected, int status) {
    expect(call, expected, status);
}

// ---------------------------------------------------------------------------
// Device waits

void Shadow::check_barriers() {
    for (const Barrier &b : barriers_) {
        cl_int s = status_of(reinterpret_cast<Event>(b.event));
        if (!b.deferred) {
            if (s == CL_COMPLETE && !all_complete(b.inputs))
                violation("a device wait's barrier completed before the grant's events did");
            if (s < 0 && !any_failed(b.inputs))
                violation("a device wait's barrier failed though no event of the grant did");
            continue;
        }
        if (!b.ticket->grant_done)
            continue;
        Possible p = grant_possible(*b.ticket);
        if (p.unknown())
            continue;
        bool complete_allowed = false, failure_allowed = false;
        for (const Outcome &o : p.outcomes()) {
            complete_allowed = complete_allowed || (!o.failed && all_complete(o.events));
            failure_allowed = failure_allowed || o.failed || any_failed(o.events);
        }
        if (s == CL_COMPLETE && !complete_allowed)
            violation("a deferred device wait's barrier completed though its grant " +
                      p.describe() + " did not complete");
        if (s < 0 && !failure_allowed)
            violation("a deferred device wait's barrier failed though its grant " + p.describe() +
                      " did not");
    }
}

} // namespace ordo_fuzz
