#include "model.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace ordo_model {

Events make_events(const void *const *events, size_t n) {
    Events out;
    out.reserve(n);
    for (size_t i = 0; i < n; ++i)
        out.push_back(reinterpret_cast<Event>(events[i]));
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

Events merged(const Events &a, const Events &b) {
    Events out;
    out.reserve(a.size() + b.size());
    std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
    return out;
}

Outcome Outcome::done(Events events) {
    Outcome o;
    o.events = std::move(events);
    return o;
}

Outcome Outcome::failure(int status, std::string message) {
    Outcome o;
    o.failed = true;
    o.status = status;
    o.message = std::move(message);
    return o;
}

bool Outcome::operator==(const Outcome &other) const {
    if (failed != other.failed)
        return false;
    return failed ? status == other.status && message == other.message : events == other.events;
}

std::string Outcome::describe() const {
    char buf[64];
    if (failed) {
        std::snprintf(buf, sizeof buf, "failure %d \"", status);
        return buf + message + "\"";
    }
    std::string s = "events {";
    for (size_t i = 0; i < events.size(); ++i) {
        std::snprintf(buf, sizeof buf, "%s%#llx", i ? ", " : "",
                      static_cast<unsigned long long>(events[i]));
        s += buf;
    }
    return s + "}";
}

Possible Possible::unknown_outcome() {
    Possible p;
    p.unknown_ = true;
    return p;
}

bool Possible::allows(const Outcome &o) const {
    return unknown_ || std::find(outcomes_.begin(), outcomes_.end(), o) != outcomes_.end();
}

void Possible::add(Outcome o) {
    if (unknown_ || std::find(outcomes_.begin(), outcomes_.end(), o) != outcomes_.end())
        return;
    if (outcomes_.size() == kCap) {
        outcomes_.clear();
        unknown_ = true;
        return;
    }
    outcomes_.push_back(std::move(o));
}

std::string Possible::describe() const {
    if (unknown_)
        return "(unknown)";
    std::string s;
    for (size_t i = 0; i < outcomes_.size(); ++i)
        s += (i ? " or " : "") + outcomes_[i].describe();
    return s.empty() ? "(nothing)" : s;
}

// ---------------------------------------------------------------------------

int Chains::add_resource() {
    resources_.emplace_back();
    resources_.back().before_first.add(Outcome::done({}));
    return static_cast<int>(resources_.size() - 1);
}

Chains::Ticket &Chains::ticket(TicketId t) {
    Resource &r = resources_.at(static_cast<size_t>(t.resource));
    if (t.position < r.ticket_base || t.position - r.ticket_base >= r.tickets.size())
        throw std::logic_error("model: no such ticket (forgotten, or never acquired)");
    return r.tickets[t.position - r.ticket_base];
}

const Chains::Ticket &Chains::ticket(TicketId t) const {
    return const_cast<Chains *>(this)->ticket(t);
}

TicketId Chains::acquire(int index, Mode mode) {
    Resource &r = resources_.at(static_cast<size_t>(index));
    uint64_t position = r.ticket_base + r.tickets.size();
    uint64_t next_unit = r.unit_base + r.units.size();
    // A group holds at most 65,535 shared tickets; the next starts a new one.
    bool join = mode == Mode::kShared && !r.units.empty() && r.units.back().group &&
                !r.units.back().closed && r.units.back().members.size() < 0xffff;
    if (!join) {
        if (!r.units.empty() && r.units.back().group)
            r.units.back().closed = true;
        r.units.emplace_back();
        r.units.back().group = mode == Mode::kShared;
    } else {
        --next_unit;
    }
    r.units.back().members.push_back(position);
    Ticket t;
    t.mode = mode;
    t.unit = join ? next_unit : r.unit_base + r.units.size() - 1;
    r.tickets.push_back(std::move(t));
    settle(r); // a group that just closed may be final now
    return TicketId{index, position};
}

void Chains::release(TicketId id, Ticket how) {
    Ticket &t = ticket(id);
    if (t.released)
        throw std::logic_error("model: a ticket released twice");
    t.released = true;
    t.failed = how.failed;
    t.status = how.status;
    t.message = std::move(how.message);
    t.events = std::move(how.events);
    t.seen = how.seen;
    Resource &r = resources_[static_cast<size_t>(id.resource)];
    ++unit(r, t.unit).released;
    settle(r);
}

void Chains::ready(TicketId t, Events events, Seen seen) {
    Ticket how;
    how.events = std::move(events);
    how.seen = seen;
    release(t, std::move(how));
}

void Chains::fail(TicketId t, int status, std::string message, Seen seen) {
    Ticket how;
    how.failed = true;
    how.status = status;
    how.message = std::move(message);
    how.seen = seen;
    release(t, std::move(how));
}

void Chains::release_nothing(TicketId t, Seen seen) {
    Ticket how;
    how.seen = seen;
    release(t, std::move(how));
}

bool Chains::released(TicketId t) const {
    return ticket(t).released;
}

uint64_t Chains::unit_of(TicketId t) const {
    return ticket(t).unit;
}

std::optional<Possible> *Chains::grant_slot(Resource &r, uint64_t u) {
    if (u == 0)
        return nullptr;
    if (u - 1 < r.unit_base)
        throw std::logic_error("model: the grant of a unit already collected");
    return &unit(r, u - 1).outcome;
}

namespace {

// What a holder's release hands on, given its grant g.
Outcome handed_on(const Outcome &g, bool failed, int status, const std::string &message,
                  const Events &events, bool seen) {
    if (failed)
        return Outcome::failure(status, message);
    if (seen)
        return Outcome::done(events);
    if (g.failed)
        return g;
    return Outcome::done(merged(g.events, events));
}

} // namespace

void Chains::settle(Resource &r) {
    for (uint64_t &u = r.first_unsettled; u < r.unit_base + r.units.size(); ++u) {
        Unit &x = unit(r, u);
        bool complete = x.released == x.members.size() && (!x.group || x.closed);
        if (!complete)
            return;
        const Possible *grant = nullptr;
        if (u == 0) {
            grant = &r.before_first;
        } else {
            std::optional<Possible> &before = unit(r, u - 1).outcome;
            if (!before)
                return;
            grant = &*before;
        }
        Possible out;
        if (grant->unknown()) {
            out = Possible::unknown_outcome();
        } else {
            for (const Outcome &g : grant->outcomes()) {
                // Every combination of seen / not seen for members whose
                // holder may or may not have seen the grant.
                std::vector<const Ticket *> members;
                size_t maybes = 0;
                for (uint64_t p : x.members) {
                    members.push_back(&r.tickets[p - r.ticket_base]);
                    maybes += members.back()->seen == Seen::kMaybe;
                }
                if (maybes > 5) {
                    out = Possible::unknown_outcome();
                    break;
                }
                for (uint64_t mask = 0; mask < (uint64_t{1} << maybes); ++mask) {
                    size_t k = 0;
                    std::vector<Outcome> each;
                    for (const Ticket *t : members) {
                        bool seen = t->seen == Seen::kYes;
                        if (t->seen == Seen::kMaybe)
                            seen = (mask >> k++) & 1;
                        each.push_back(
                            handed_on(g, t->failed, t->status, t->message, t->events, seen));
                    }
                    bool any_failed = false;
                    Events all;
                    for (const Outcome &o : each) {
                        if (o.failed) {
                            any_failed = true;
                            out.add(o); // the group fails with one of them
                        } else {
                            all = merged(all, o.events);
                        }
                    }
                    if (!any_failed)
                        out.add(Outcome::done(std::move(all)));
                }
                if (out.unknown())
                    break;
            }
        }
        x.outcome = std::move(out);
    }
}

std::optional<Possible> Chains::grant_of(TicketId id) {
    Resource &r = resources_.at(static_cast<size_t>(id.resource));
    Ticket &t = ticket(id);
    if (t.unit == 0)
        return r.before_first;
    std::optional<Possible> *slot = grant_slot(r, t.unit);
    return *slot;
}

bool Chains::observe_grant(TicketId id, const Outcome &o, std::string *why) {
    Resource &r = resources_.at(static_cast<size_t>(id.resource));
    Ticket &t = ticket(id);
    ++checked_;
    std::optional<Possible> *slot = t.unit == 0 ? nullptr : grant_slot(r, t.unit);
    if (slot != nullptr && !*slot) {
        *why = "granted before every ticket its grant waits for had released";
        return false;
    }
    const Possible &allowed = slot == nullptr ? r.before_first : **slot;
    if (allowed.unknown()) {
        ++unknown_;
        return true;
    }
    if (!allowed.allows(o)) {
        *why = "granted with " + o.describe() + ", the contract allows " + allowed.describe();
        return false;
    }
    if (slot != nullptr && allowed.outcomes().size() > 1) {
        Possible narrowed;
        narrowed.add(o);
        **slot = std::move(narrowed);
    }
    return true;
}

std::string Chains::explain(TicketId id, int depth) const {
    const Resource &r = resources_.at(static_cast<size_t>(id.resource));
    const Ticket &t = ticket(id);
    std::string out;
    for (uint64_t u = t.unit; u > r.unit_base && depth-- > 0;) {
        --u;
        const Unit &x = r.units[u - r.unit_base];
        out += "; unit " + std::to_string(u) + (x.group ? " (group)" : "") + ":";
        for (uint64_t p : x.members) {
            const Ticket &m = r.tickets[p - r.ticket_base];
            out += " #" + std::to_string(p) + (m.released ? "" : " unreleased");
            if (m.released)
                out += m.failed ? " fail" : " ready " + Outcome::done(m.events).describe();
            out += m.seen == Seen::kYes     ? " seen"
                   : m.seen == Seen::kMaybe ? " maybe-seen"
                                            : " unseen";
        }
        if (x.outcome)
            out += " -> " + x.outcome->describe();
    }
    return out;
}

void Chains::forget(TicketId id) {
    ticket(id).forgotten = true;
    collect(resources_.at(static_cast<size_t>(id.resource)));
}

// Drops the front unit while the unit after it is final and every ticket of
// that unit is forgotten (nobody can ask for its grant any more), and every
// ticket of the front unit is forgotten too.
void Chains::collect(Resource &r) {
    auto all_forgotten = [&](const Unit &u) {
        for (uint64_t p : u.members)
            if (!r.tickets[p - r.ticket_base].forgotten)
                return false;
        return true;
    };
    while (r.units.size() >= 2) {
        Unit &front = r.units[0];
        Unit &next = r.units[1];
        if (!front.outcome || !next.outcome || !all_forgotten(front) || !all_forgotten(next))
            return;
        if (r.first_unsettled <= r.unit_base + 1)
            return;
        size_t drop = front.members.size();
        r.units.pop_front();
        ++r.unit_base;
        for (size_t i = 0; i < drop; ++i)
            r.tickets.pop_front();
        r.ticket_base += drop;
    }
}

// ---------------------------------------------------------------------------

void JobQueueModel::added(uint64_t job, bool job_complete) {
    jobs_.push_back(Job{job, job_complete});
    backlog_ += !job_complete;
}

void JobQueueModel::completed(uint64_t job) {
    for (Job &j : jobs_) {
        if (j.id == job && !j.complete) {
            j.complete = true;
            --backlog_;
        }
    }
}

size_t JobQueueModel::remove_completed_front(size_t max_remaining) {
    size_t removed = 0;
    while (jobs_.size() > max_remaining && !jobs_.empty() && jobs_.front().complete) {
        jobs_.pop_front();
        ++removed;
    }
    return removed;
}

} // namespace ordo_model
