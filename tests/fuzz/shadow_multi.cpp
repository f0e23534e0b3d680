// The shadow's multi-resource tickets and rings (shadow.hpp): a
// multi-ticket's parts in the model, its waits' union of events, its
// releases' plans; a ring's members and turns.
#include "shadow.hpp"
#include "shadow_internal.hpp"

#include <algorithm>
#include <cstdint>

namespace ordo_fuzz {

// ---------------------------------------------------------------------------
// Multi-resource tickets

bool Shadow::multi_live(ordo_multi_ticket m) const {
    auto it = multis_.find(key(m));
    return it != multis_.end() && it->second.live;
}

void Shadow::multi_acquired(const ordo_resource *resources, size_t n, const ordo_mode *modes,
                            ordo_multi_ticket m) {
    MultiRec rec;
    for (size_t i = 0; i < n; ++i) {
        auto t = std::make_shared<TicketRec>();
        bool shared = modes != nullptr && modes[i] == ORDO_SHARED;
        t->id = model_.acquire(resources_.at(key(resources[i])).first,
                               shared ? ordo_model::Mode::kShared : ordo_model::Mode::kExclusive);
        t->live = false; // no handle of its own
        rec.parts.push_back(t);
        all_tickets_.push_back(t);
    }
    multis_[key(m)] = std::move(rec);
    deliver();
}

std::vector<Possible> Shadow::part_grants(MultiRec &m, bool *pending, size_t *failed_part) {
    std::vector<Possible> out;
    *pending = false;
    *failed_part = SIZE_MAX;
    for (size_t i = 0; i < m.parts.size(); ++i) {
        TicketRec &t = *m.parts[i];
        if (t.released)
            continue;
        if (!t.grant_done) {
            *pending = true;
            return out;
        }
        out.push_back(grant_possible(t));
        bool all_failed = !out.back().unknown();
        for (const Outcome &o : out.back().outcomes())
            all_failed = all_failed && o.failed;
        if (all_failed) {
            *failed_part = i;
            return out;
        }
    }
    return out;
}

void Shadow::check_union(MultiRec &m, const cl_event *events, size_t n) {
    Events got = ordo_model::make_events(reinterpret_cast<const void *const *>(events), n);
    if (m.union_events) {
        if (got != *m.union_events)
            violation("a multi-ticket's wait gave another union of events than its first wait");
        return;
    }
    m.union_events = got;
    // Every union the parts' possible grants allow.
    std::vector<Events> unions{{}};
    for (auto &t : m.parts) {
        if (t->released)
            continue;
        Possible p = grant_possible(*t);
        if (p.unknown())
            return;
        std::vector<Events> next;
        for (const Events &u : unions)
            for (const Outcome &o : p.outcomes())
                if (!o.failed)
                    next.push_back(ordo_model::merged(u, o.events));
        if (next.size() > 64)
            return; // too many to follow
        unions = std::move(next);
    }
    if (std::find(unions.begin(), unions.end(), got) == unions.end())
        violation("a multi-ticket was granted with a union of events the contract does not "
                  "allow");
}

void Shadow::check_multi_wait(ordo_multi_ticket h, int status, const cl_event *events, size_t n,
                              bool asked_events, bool complete, uint64_t registrations) {
    const char *call = complete ? "ordo_multi_ticket_wait_complete" : "ordo_multi_ticket_wait";
    auto it = multis_.find(key(h));
    if (it == multis_.end() || !it->second.live)
        return expect(call, ORDO_ERROR_INVALID_HANDLE, status);
    MultiRec &m = it->second;
    bool any = false;
    for (auto &t : m.parts)
        any = any || !t->released;
    if (!any)
        return expect(call, ORDO_ERROR_INVALID_STATE, status);
    bool pending = false;
    size_t failed_part = SIZE_MAX;
    std::vector<Possible> grants = part_grants(m, &pending, &failed_part);
    if (pending)
        return expect(call, ORDO_ERROR_TIMEOUT, status);
    if (failed_part != SIZE_MAX) {
        observe(*m.parts[failed_part], Outcome::failure(status, last_message(status)), call);
        m.parts[failed_part]->seen = true;
        return;
    }
    bool mixed = false; // some part may have failed or not
    for (const Possible &g : grants) {
        mixed = mixed || g.unknown();
        for (const Outcome &o : g.outcomes())
            mixed = mixed || o.failed;
    }
    if (status != ORDO_OK && status != ORDO_ERROR_TIMEOUT && status != ORDO_ERROR_EVENT_FAILED) {
        if (!mixed)
            violation(std::string(call) + " returned " + ordo_status_string(status) + " (" +
                      ordo_last_error_message() + "); every part was granted without failure");
        return;
    }
    if (status != ORDO_OK && !complete) {
        if (!mixed)
            violation(std::string(call) + " returned " + ordo_status_string(status) +
                      " for grants that came");
        return;
    }
    if (complete && m.union_wait_made && registrations != 0)
        violation(std::string(call) + " registered " + std::to_string(registrations) +
                  " more event callbacks for a union it already waits for");
    if (status == ORDO_ERROR_TIMEOUT || status == ORDO_ERROR_EVENT_FAILED) {
        m.union_wait_made = true;
        return;
    }
    if (status != ORDO_OK)
        return;
    if (asked_events) {
        check_union(m, events, n);
        if (complete && !all_complete(*m.union_events))
            violation(std::string(call) + " returned before the union of events completed");
    }
    if (complete && m.union_events && !m.union_events->empty())
        m.union_wait_made = true;
    for (auto &t : m.parts)
        if (!t->released)
            t->seen = true;
}

void Shadow::check_multi_enqueue_wait(ordo_multi_ticket h, bool null_queue, int status,
                                      cl_event barrier, bool asked_barrier) {
    const char *call = "ordo_multi_ticket_enqueue_wait";
    auto it = multis_.find(key(h));
    if (it == multis_.end() || !it->second.live)
        return expect(call, ORDO_ERROR_INVALID_HANDLE, status);
    if (null_queue)
        return expect(call, ORDO_ERROR_INVALID_ARGUMENT, status);
    MultiRec &m = it->second;
    bool any = false;
    for (auto &t : m.parts)
        any = any || !t->released;
    if (!any)
        return expect(call, ORDO_ERROR_INVALID_STATE, status);
    bool pending = false;
    size_t failed_part = SIZE_MAX;
    part_grants(m, &pending, &failed_part);
    if (pending)
        return expect(call, ORDO_ERROR_TIMEOUT, status);
    if (failed_part != SIZE_MAX) {
        observe(*m.parts[failed_part], Outcome::failure(status, last_message(status)), call);
        m.parts[failed_part]->seen = true;
        return;
    }
    if (status == ORDO_OK) {
        for (auto &t : m.parts)
            if (!t->released)
                t->seen = true;
        if (asked_barrier && m.union_events && m.union_events->empty() != (barrier == nullptr))
            violation(std::string(call) + " gave " + (barrier ? "a barrier" : "no barrier") +
                      " for a union of " + std::to_string(m.union_events->size()) + " events");
        if (asked_barrier && barrier != nullptr && m.union_events)
            barriers_.push_back(Barrier{barrier, nullptr, *m.union_events, false});
    }
}

int Shadow::plan_multi_ready(ordo_multi_ticket h, const cl_event *events, size_t n) {
    auto it = multis_.find(key(h));
    if (it == multis_.end() || !it->second.live)
        return ORDO_ERROR_INVALID_HANDLE;
    if (events_argument_status(events, n) != ORDO_OK)
        return ORDO_ERROR_INVALID_ARGUMENT;
    bool any = false;
    for (auto &t : it->second.parts)
        any = any || !t->released;
    if (!any)
        return ORDO_ERROR_INVALID_STATE;
    Events released = ordo_model::make_events(reinterpret_cast<const void *const *>(events), n);
    for (auto &t : it->second.parts) {
        if (t->released)
            continue;
        model_.ready(t->id, released, seen_at_release(*t));
        t->released = true;
    }
    deliver();
    return ORDO_OK;
}

int Shadow::plan_multi_fail(ordo_multi_ticket h, int status, const char *message) {
    auto it = multis_.find(key(h));
    if (it == multis_.end() || !it->second.live)
        return ORDO_ERROR_INVALID_HANDLE;
    if (!failure_status(status))
        return ORDO_ERROR_INVALID_ARGUMENT;
    bool any = false;
    for (auto &t : it->second.parts)
        any = any || !t->released;
    if (!any)
        return ORDO_ERROR_INVALID_STATE;
    for (auto &t : it->second.parts) {
        if (t->released)
            continue;
        model_.fail(t->id, status, message != nullptr ? message : "failed", seen_at_release(*t));
        t->released = true;
    }
    deliver();
    return ORDO_OK;
}

int Shadow::plan_multi_ready_one(ordo_multi_ticket h, size_t index, const cl_event *events,
                                 size_t n) {
    auto it = multis_.find(key(h));
    if (it == multis_.end() || !it->second.live)
        return ORDO_ERROR_INVALID_HANDLE;
    if (index >= it->second.parts.size())
        return ORDO_ERROR_INVALID_ARGUMENT;
    if (n != 0 && events == nullptr)
        return ORDO_ERROR_INVALID_ARGUMENT;
    TicketRec &t = *it->second.parts[index];
    if (t.released)
        return ORDO_ERROR_INVALID_STATE;
    if (events_argument_status(events, n) != ORDO_OK)
        return ORDO_ERROR_INVALID_ARGUMENT;
    model_.ready(t.id, ordo_model::make_events(reinterpret_cast<const void *const *>(events), n),
                 seen_at_release(t));
    t.released = true;
    deliver();
    return ORDO_OK;
}

int Shadow::plan_multi_fail_one(ordo_multi_ticket h, size_t index, int status,
                                const char *message) {
    auto it = multis_.find(key(h));
    if (it == multis_.end() || !it->second.live)
        return ORDO_ERROR_INVALID_HANDLE;
    if (index >= it->second.parts.size() || !failure_status(status))
        return ORDO_ERROR_INVALID_ARGUMENT;
    TicketRec &t = *it->second.parts[index];
    if (t.released)
        return ORDO_ERROR_INVALID_STATE;
    model_.fail(t.id, status, message != nullptr ? message : "failed", seen_at_release(t));
    t.released = true;
    deliver();
    return ORDO_OK;
}

int Shadow::plan_multi_destroy(ordo_multi_ticket h) {
    if (h == nullptr)
        return ORDO_OK;
    auto it = multis_.find(key(h));
    if (it == multis_.end() || !it->second.live)
        return ORDO_ERROR_INVALID_HANDLE;
    it->second.live = false;
    for (auto &t : it->second.parts) {
        if (t->released)
            continue;
        model_.release_nothing(t->id, seen_at_release(*t));
        t->released = true;
    }
    deliver();
    return ORDO_OK;
}

// ---------------------------------------------------------------------------
// Rings

void Shadow::ring_created(const ordo_resource *resources, size_t n, ordo_ring ring) {
    RingRec rec;
    for (size_t i = 0; i < n; ++i)
        rec.members.push_back(resources_.at(key(resources[i])).first);
    rings_[key(ring)] = std::move(rec);
}

bool Shadow::ring_live(ordo_ring ring) const {
    auto it = rings_.find(key(ring));
    return it != rings_.end() && it->second.live;
}

void Shadow::ring_acquired(ordo_ring ring, bool shared, ordo_ticket t, const size_t *index) {
    RingRec &g = rings_.at(key(ring));
    size_t expected = static_cast<size_t>(g.turns % g.members.size());
    ++g.turns;
    if (index != nullptr && *index != expected)
        violation("a ring handed out resource " + std::to_string(*index) + " out of turn (" +
                  std::to_string(expected) + " was next)");
    auto rec = std::make_shared<TicketRec>();
    rec->id = model_.acquire(g.members[expected],
                             shared ? ordo_model::Mode::kShared : ordo_model::Mode::kExclusive);
    tickets_[key(t)] = rec;
    all_tickets_.push_back(rec);
    deliver();
}

void Shadow::ring_destroyed(ordo_ring ring, int status) {
    if (ring == nullptr)
        return expect("ordo_ring_destroy(NULL)", ORDO_OK, status);
    expect("ordo_ring_destroy", ring_live(ring) ? ORDO_OK : ORDO_ERROR_INVALID_HANDLE, status);
    if (status == ORDO_OK)
        rings_[key(ring)].live = false;
}

} // namespace ordo_fuzz
