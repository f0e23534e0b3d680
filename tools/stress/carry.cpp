// What every grant carries, against the reference model of the contract
// (tests/model): each tracked resource has the model of its chain, fed with
// every acquire (in ticket order, under the acquire lock) and every release
// (just before the release call, with what the holder had seen), and asked
// about every grant a holder is handed: its events exactly, or its failure.
#include "stress.hpp"

#include <string>

namespace ordo_stress {
namespace {

const char kFailureMessage[] = "stress failure";

std::string without_status_prefix(const char *message, int status) {
    std::string m = message != nullptr ? message : "";
    std::string prefix = std::string(ordo_status_string(status)) + ": ";
    return m.rfind(prefix, 0) == 0 ? m.substr(prefix.size()) : m;
}

// Only of events known to be alive (ours, or ordo's while it holds them).
cl_int status_of(ordo_model::Event e) {
    cl_int s = CL_QUEUED;
    clGetEventInfo(reinterpret_cast<cl_event>(e), CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof s, &s,
                   nullptr);
    return s;
}

} // namespace

Ticket::~Ticket() {
    if (!tracked || model_id.resource < 0)
        return;
    std::lock_guard lock(res->model_mutex);
    res->model.forget(model_id);
}

void model_acquire(Ticket &t) {
    Resource &r = *t.res;
    std::lock_guard lock(r.model_mutex);
    if (r.model_resource < 0)
        r.model_resource = r.model.add_resource();
    t.model_id =
        r.model.acquire(r.model_resource, t.mode == Mode::kShared ? ordo_model::Mode::kShared
                                                                  : ordo_model::Mode::kExclusive);
}

ordo_model::Seen seen_at_release(const Ticket &t, bool blocked) {
    if (t.seen || t.grant_future_delivered.load(std::memory_order_acquire))
        return ordo_model::Seen::kYes;
    if (t.seen_maybe)
        return ordo_model::Seen::kMaybe;
    if (t.grant_future_taken && !t.grant_future_cancelled && !blocked)
        return ordo_model::Seen::kMaybe; // it may deliver right now, on another thread
    return ordo_model::Seen::kNo;
}

void model_ready(Ticket &t, const cl_event *events, size_t n, ordo_model::Seen seen) {
    if (!t.tracked)
        return;
    std::lock_guard lock(t.res->model_mutex);
    t.res->model.ready(t.model_id,
                       ordo_model::make_events(reinterpret_cast<const void *const *>(events), n),
                       seen);
}

void model_fail(Ticket &t, ordo_model::Seen seen) {
    if (!t.tracked)
        return;
    std::lock_guard lock(t.res->model_mutex);
    t.res->model.fail(t.model_id, kAppFailure, kFailureMessage, seen);
}

void model_nothing(Ticket &t, ordo_model::Seen seen) {
    if (!t.tracked)
        return;
    std::lock_guard lock(t.res->model_mutex);
    t.res->model.release_nothing(t.model_id, seen);
}

void check_grant(Ticket &t, int status, const cl_event *events, size_t n, bool events_known,
                 const char *message, const char *how) {
    if (!t.tracked || (status == ORDO_OK && !events_known))
        return;
    ordo_model::Outcome o =
        status == ORDO_OK
            ? ordo_model::Outcome::done(
                  ordo_model::make_events(reinterpret_cast<const void *const *>(events), n))
            : ordo_model::Outcome::failure(status, without_status_prefix(message, status));
    std::string why;
    bool allowed;
    {
        std::lock_guard lock(t.res->model_mutex);
        allowed = t.res->model.observe_grant(t.model_id, o, &why);
        if (!allowed)
            why += t.res->model.explain(t.model_id);
    }
    g_count.grants_carried.fetch_add(1, std::memory_order_relaxed);
    if (!allowed)
        violation("resource %d: %s ticket %llu (%s): %s", t.res->index, mode_name(t.mode),
                  static_cast<unsigned long long>(t.position), how, why.c_str());
}

std::optional<ordo_model::Possible> model_grant(Ticket &t) {
    if (!t.tracked)
        return std::nullopt;
    std::lock_guard lock(t.res->model_mutex);
    return t.res->model.grant_of(t.model_id);
}

bool events_wait_made(Ticket &t) {
    if (!t.tracked)
        return false;
    std::lock_guard lock(t.res->model_mutex);
    uint64_t unit = t.res->model.unit_of(t.model_id);
    return unit < t.res->events_waits_made.size() && t.res->events_waits_made[unit];
}

void note_events_wait_made(Ticket &t) {
    if (!t.tracked)
        return;
    std::lock_guard lock(t.res->model_mutex);
    uint64_t unit = t.res->model.unit_of(t.model_id);
    if (unit >= t.res->events_waits_made.size())
        t.res->events_waits_made.resize(unit + 1024);
    t.res->events_waits_made[unit] = true;
}

// The grant's events are read from ordo (its own references keep them
// alive while the holder is; the model's may be gone by now), and checked
// against the model like any grant handed to the holder.
void check_barriers(Ticket &t) {
    if (t.barriers.empty())
        return;
    // The barriers' statuses first: what a barrier waited for ended before
    // it, so an event read after it cannot be less advanced.
    std::vector<cl_int> barrier_status;
    for (const Ticket::Barrier &b : t.barriers)
        barrier_status.push_back(status_of(reinterpret_cast<ordo_model::Event>(b.event)));
    const cl_event *events = nullptr;
    size_t n = 0;
    int grant = t.handle != nullptr ? ordo_ticket_wait(t.handle, ordo_now() - 1, &events, &n)
                                    : ORDO_ERROR_INVALID_HANDLE;
    if (grant == ORDO_OK || grant == kAppFailure)
        check_grant(t, grant, events, n, true, ordo_last_error_message(), "a device wait's grant");
    bool events_complete = true;
    for (size_t k = 0; grant == ORDO_OK && k < n; ++k)
        events_complete = events_complete && ended(events[k]) &&
                          status_of(reinterpret_cast<ordo_model::Event>(events[k])) == CL_COMPLETE;
    for (size_t i = 0; i < t.barriers.size(); ++i) {
        const Ticket::Barrier &b = t.barriers[i];
        if (barrier_status[i] != CL_COMPLETE)
            continue; // (not whether it failed only if its grant did: a failure that
                      // runs down an in-order queue fails later commands too, POCL)
        g_count.barriers_checked.fetch_add(1, std::memory_order_relaxed);
        if (grant == ORDO_ERROR_TIMEOUT)
            violation("resource %d: ticket %llu's %s completed before its grant", t.res->index,
                      static_cast<unsigned long long>(t.position),
                      b.deferred ? "deferred device wait" : "device wait");
        else if (grant == ORDO_OK && !events_complete)
            violation("resource %d: ticket %llu's %s completed before the grant's events did",
                      t.res->index, static_cast<unsigned long long>(t.position),
                      b.deferred ? "deferred device wait" : "device wait");
        else if (grant == kAppFailure && b.deferred)
            violation("resource %d: ticket %llu's deferred device wait completed, though its "
                      "predecessor failed",
                      t.res->index, static_cast<unsigned long long>(t.position));
    }
    t.barriers.clear();
}

std::vector<ordo_model::Events> possible_unions(const std::vector<Ticket *> &parts) {
    std::vector<ordo_model::Events> unions{{}};
    for (Ticket *t : parts) {
        if (!t->tracked)
            return {};
        std::optional<ordo_model::Possible> p = model_grant(*t);
        if (!p || p->unknown())
            return {};
        std::vector<ordo_model::Events> next;
        for (const ordo_model::Events &u : unions)
            for (const ordo_model::Outcome &o : p->outcomes())
                if (!o.failed)
                    next.push_back(ordo_model::merged(u, o.events));
        if (next.size() > 64)
            return {};
        unions = std::move(next);
    }
    return unions;
}

} // namespace ordo_stress
