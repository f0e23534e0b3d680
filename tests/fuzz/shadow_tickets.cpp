// The shadow's resources and tickets (shadow.hpp): creates and destroys of
// resources, acquires, the waits for a grant (host, and device, immediate
// or deferred), grant futures, and the releases' plans.
#include "shadow.hpp"
#include "shadow_internal.hpp"

namespace ordo_fuzz {

// ---------------------------------------------------------------------------
// Resources

void Shadow::resource_created(ordo_resource r) {
    resources_[key(r)] = {model_.add_resource(), true};
}

bool Shadow::resource_live(ordo_resource r) const {
    auto it = resources_.find(key(r));
    return it != resources_.end() && it->second.second;
}

void Shadow::resource_destroyed(ordo_resource r, int status) {
    if (r == nullptr)
        return expect("ordo_resource_destroy(NULL)", ORDO_OK, status);
    expect("ordo_resource_destroy", resource_live(r) ? ORDO_OK : ORDO_ERROR_INVALID_HANDLE, status);
    if (status == ORDO_OK)
        resources_[key(r)].second = false;
}

// ---------------------------------------------------------------------------
// Tickets

void Shadow::acquired(ordo_resource r, bool shared, ordo_ticket t) {
    auto rec = std::make_shared<TicketRec>();
    rec->id = model_.acquire(resources_.at(key(r)).first,
                             shared ? ordo_model::Mode::kShared : ordo_model::Mode::kExclusive);
    tickets_[key(t)] = rec;
    all_tickets_.push_back(rec);
    deliver(); // the first ticket (or one behind released ones) is granted at once
}

std::shared_ptr<TicketRec> Shadow::ticket(ordo_ticket t) const {
    auto it = tickets_.find(key(t));
    if (it == tickets_.end() || !it->second->live)
        return nullptr;
    return it->second;
}

void Shadow::check_wait(ordo_ticket h, int status, const cl_event *events, size_t n,
                        bool asked_events) {
    auto t = ticket(h);
    if (!t)
        return expect("ordo_ticket_wait on a bad handle", ORDO_ERROR_INVALID_HANDLE, status);
    if (t->released)
        return expect("ordo_ticket_wait after release", ORDO_ERROR_INVALID_STATE, status);
    if (!t->grant_done)
        return expect("ordo_ticket_wait before the grant", ORDO_ERROR_TIMEOUT, status);
    // Granted: the grant's outcome, whatever status a failure carries.
    if (status == ORDO_OK) {
        if (asked_events)
            observe(*t,
                    Outcome::done(
                        ordo_model::make_events(reinterpret_cast<const void *const *>(events), n)),
                    "ordo_ticket_wait");
    } else {
        observe(*t, Outcome::failure(status, last_message(status)), "ordo_ticket_wait");
    }
    t->seen = true;
}

// What a host wait for the grant and its events, or a device wait, may
// answer once the grant came: for each outcome the model allows, its
// failure; or, with events, success or (runtime's timing) a timeout or an
// event failure.
struct GrantedWait {
    bool failure_allowed(const Possible &p, int status) const {
        if (p.unknown())
            return true;
        for (const Outcome &o : p.outcomes())
            if (o.failed && o.status == status)
                return true;
        return false;
    }
    static bool events_allowed(const Possible &p) {
        if (p.unknown())
            return true;
        for (const Outcome &o : p.outcomes())
            if (!o.failed && !o.events.empty())
                return true;
        return false;
    }
};

void Shadow::check_wait_complete(ordo_ticket h, int status, const cl_event *events, size_t n,
                                 bool asked_events, uint64_t registrations) {
    const char *call = "ordo_ticket_wait_complete";
    auto t = ticket(h);
    if (!t)
        return expect(call, ORDO_ERROR_INVALID_HANDLE, status);
    if (t->released)
        return expect(call, ORDO_ERROR_INVALID_STATE, status);
    if (!t->grant_done)
        return expect(call, ORDO_ERROR_TIMEOUT, status);
    Possible p = grant_possible(*t);
    auto grant_key = std::make_pair(t->id.resource, model_.unit_of(t->id));
    if (grant_waits_made_[grant_key] && registrations != 0)
        violation(std::string(call) + " registered " + std::to_string(registrations) +
                  " more event callbacks for a grant whose events it already waits for");
    if (status == ORDO_OK) {
        if (asked_events) {
            Events got = ordo_model::make_events(reinterpret_cast<const void *const *>(events), n);
            observe(*t, Outcome::done(got), call);
            if (!all_complete(got))
                violation(std::string(call) + " returned before its events completed");
        }
        t->seen = true;
        // With events, the wait for them exists now.
        grant_waits_made_[grant_key] =
            grant_waits_made_[grant_key] || GrantedWait::events_allowed(p);
        return;
    }
    if (GrantedWait{}.failure_allowed(p, status)) {
        observe(*t, Outcome::failure(status, last_message(status)), call);
        t->seen = true;
        return;
    }
    if ((status == ORDO_ERROR_TIMEOUT || status == ORDO_ERROR_EVENT_FAILED) &&
        GrantedWait::events_allowed(p)) {
        if (status == ORDO_ERROR_EVENT_FAILED && !p.unknown()) {
            bool failed = false;
            for (const Outcome &o : p.outcomes())
                failed = failed || (!o.failed && any_failed(o.events));
            if (!failed)
                violation(std::string(call) +
                          " returned ORDO_ERROR_EVENT_FAILED, but no event of the grant failed");
        }
        grant_waits_made_[grant_key] = true;
        return;
    }
    violation(std::string(call) + " returned " + ordo_status_string(status) + " (" +
              ordo_last_error_message() + "); the grant carries " + p.describe());
}

void Shadow::check_enqueue_wait(ordo_ticket h, bool null_queue, int status, cl_event barrier,
                                bool asked_barrier) {
    auto t = ticket(h);
    if (!t)
        return expect("ordo_ticket_enqueue_wait on a bad handle", ORDO_ERROR_INVALID_HANDLE,
                      status);
    if (null_queue)
        return expect("ordo_ticket_enqueue_wait on a NULL queue", ORDO_ERROR_INVALID_ARGUMENT,
                      status);
    if (t->released)
        return expect("ordo_ticket_enqueue_wait after release", ORDO_ERROR_INVALID_STATE, status);
    if (!t->grant_done)
        return expect("ordo_ticket_enqueue_wait before the grant", ORDO_ERROR_TIMEOUT, status);
    Possible p = grant_possible(*t);
    if (status == ORDO_OK) {
        t->seen = true;
        if (!asked_barrier || p.unknown())
            return;
        // One of the outcomes: none with events gives no barrier.
        bool ok = false;
        for (const Outcome &o : p.outcomes()) {
            if (o.failed)
                continue;
            if (o.events.empty() == (barrier == nullptr)) {
                ok = true;
                if (barrier != nullptr && p.outcomes().size() == 1)
                    barriers_.push_back(Barrier{barrier, nullptr, o.events, false});
            }
        }
        if (!ok)
            violation(std::string("ordo_ticket_enqueue_wait gave ") +
                      (barrier ? "a barrier" : "no barrier") + "; the grant carries " +
                      p.describe());
        return;
    }
    if (GrantedWait{}.failure_allowed(p, status)) {
        observe(*t, Outcome::failure(status, last_message(status)), "ordo_ticket_enqueue_wait");
        t->seen = true;
        return;
    }
    if (status == ORDO_ERROR_EVENT_FAILED && GrantedWait::events_allowed(p)) {
        bool failed = p.unknown();
        for (const Outcome &o : p.outcomes())
            failed = failed || (!o.failed && any_failed(o.events));
        if (!failed)
            violation("ordo_ticket_enqueue_wait returned ORDO_ERROR_EVENT_FAILED, but no event of "
                      "the grant failed");
        return;
    }
    violation(std::string("ordo_ticket_enqueue_wait returned ") + ordo_status_string(status) +
              " (" + ordo_last_error_message() + "); the grant carries " + p.describe());
}

void Shadow::check_enqueue_wait_deferred(ordo_ticket h, bool null_queue, int status,
                                         cl_event barrier) {
    auto t = ticket(h);
    if (!t)
        return expect("ordo_ticket_enqueue_wait_deferred on a bad handle",
                      ORDO_ERROR_INVALID_HANDLE, status);
    if (t->released)
        return expect("ordo_ticket_enqueue_wait_deferred after release", ORDO_ERROR_INVALID_STATE,
                      status);
    if (null_queue)
        return expect("ordo_ticket_enqueue_wait_deferred on a NULL queue",
                      ORDO_ERROR_INVALID_ARGUMENT, status);
    expect("ordo_ticket_enqueue_wait_deferred", ORDO_OK, status);
    t->seen = true;
    if (barrier != nullptr)
        barriers_.push_back(Barrier{barrier, t, {}, true});
}

void Shadow::grant_future_taken(ordo_ticket h, bool null_out, int status, ordo_future f) {
    auto t = ticket(h);
    if (!t)
        return expect("ordo_ticket_grant_future on a bad handle", ORDO_ERROR_INVALID_HANDLE,
                      status);
    if (null_out)
        return expect("ordo_ticket_grant_future(out NULL)", ORDO_ERROR_INVALID_ARGUMENT, status);
    if (t->released)
        return expect("ordo_ticket_grant_future after release", ORDO_ERROR_INVALID_STATE, status);
    expect("ordo_ticket_grant_future", ORDO_OK, status);
    auto c = std::make_shared<Completion>();
    c->kind = Completion::kGrant;
    c->id = next_id_++;
    c->ticket = t.get();
    t->grant_futures.push_back(c);
    if (t->grant_done)
        t->seen = true; // delivered at once, on this call
    future_made(f, c);
}

int Shadow::plan_ready(ordo_ticket h, const cl_event *events, size_t n) {
    auto t = ticket(h);
    if (!t)
        return ORDO_ERROR_INVALID_HANDLE;
    if (n != 0 && events == nullptr)
        return ORDO_ERROR_INVALID_ARGUMENT;
    if (t->released)
        return ORDO_ERROR_INVALID_STATE;
    if (events_argument_status(events, n) != ORDO_OK)
        return ORDO_ERROR_INVALID_ARGUMENT;
    model_.ready(t->id, ordo_model::make_events(reinterpret_cast<const void *const *>(events), n),
                 seen_at_release(*t));
    t->released = true;
    deliver();
    return ORDO_OK;
}

int Shadow::plan_fail(ordo_ticket h, int status, const char *message) {
    auto t = ticket(h);
    if (!t)
        return ORDO_ERROR_INVALID_HANDLE;
    if (!failure_status(status))
        return ORDO_ERROR_INVALID_ARGUMENT;
    if (t->released)
        return ORDO_ERROR_INVALID_STATE;
    model_.fail(t->id, status, message != nullptr ? message : "failed", seen_at_release(*t));
    t->released = true;
    deliver();
    return ORDO_OK;
}

int Shadow::plan_cancel(ordo_ticket h) {
    auto t = ticket(h);
    if (!t)
        return ORDO_ERROR_INVALID_HANDLE;
    if (t->released)
        return ORDO_ERROR_INVALID_STATE;
    model_.release_nothing(t->id, seen_at_release(*t));
    t->released = true;
    deliver();
    return ORDO_OK;
}

int Shadow::plan_destroy(ordo_ticket h) {
    if (h == nullptr)
        return ORDO_OK;
    auto t = ticket(h);
    if (!t)
        return ORDO_ERROR_INVALID_HANDLE;
    t->live = false;
    if (!t->released) {
        model_.release_nothing(t->id, seen_at_release(*t));
        t->released = true;
        deliver();
    }
    return ORDO_OK;
}

} // namespace ordo_fuzz
