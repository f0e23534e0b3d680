#include "shadow.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

namespace ordo_fuzz {
namespace {

// What ordo.h calls a failure status.
bool failure_status(int status) {
    return status < 0 && status != ORDO_ERROR_INVALID_ARGUMENT &&
           status != ORDO_ERROR_INVALID_HANDLE && status != ORDO_ERROR_INVALID_STATE &&
           status != ORDO_ERROR_TIMEOUT && status != ORDO_ERROR_WOULD_BLOCK;
}

constexpr int kEither = Shadow::kRuntimeDecides;

std::string status_name(int status) {
    return status == kEither ? "(either)" : ordo_status_string(status);
}

// The message of the thread's last error without its "NAME: " prefix.
std::string last_message(int status) {
    std::string m = ordo_last_error_message();
    std::string prefix = std::string(ordo_status_string(status)) + ": ";
    return m.rfind(prefix, 0) == 0 ? m.substr(prefix.size()) : m;
}

} // namespace

void Shadow::violation(const std::string &what) {
    std::fprintf(stderr, "fuzz_capi: VIOLATION of the contract: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

static void expect(const char *call, int expected, int status) {
    if (expected != kEither && status != expected)
        Shadow::violation(std::string(call) + " returned " + status_name(status) + " (" +
                          ordo_last_error_message() + "), the contract says " +
                          status_name(expected));
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

bool Shadow::queue_live(ordo_job_queue q) const {
    auto it = queues_.find(key(q));
    return it != queues_.end() && it->second.live;
}

bool Shadow::multi_live(ordo_multi_ticket m) const {
    auto it = multis_.find(key(m));
    return it != multis_.end() && it->second.live;
}

bool Shadow::promise_live(ordo_promise p) const {
    auto it = promises_.find(key(p));
    return it != promises_.end() && it->second.second;
}

void Shadow::observe(const TicketRec &t, const Outcome &o, const char *how) {
    std::string why;
    if (!model_.observe_grant(t.id, o, &why))
        violation(std::string(how) + " of ticket " + std::to_string(t.id.position) +
                  " on resource " + std::to_string(t.id.resource) + ": " + why);
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

void Shadow::check_planned(const char *call, int expected, int status) {
    expect(call, expected, status);
}

// ---------------------------------------------------------------------------
// Futures and promises

void Shadow::future_made(ordo_future f, std::shared_ptr<Completion> c) {
    futures_[key(f)] = {std::move(c), true};
}

std::shared_ptr<Completion> Shadow::completion(ordo_future f) const {
    auto it = futures_.find(key(f));
    if (it == futures_.end() || !it->second.second)
        return nullptr;
    return it->second.first;
}

std::optional<int> Shadow::state_of(const Completion &c, Possible *possible) {
    if (c.cancelled)
        return ORDO_ERROR_CANCELLED;
    switch (c.kind) {
    case Completion::kGrant: {
        if (!c.ticket->grant_done)
            return ORDO_PENDING;
        Possible p = grant_possible(*c.ticket);
        if (possible != nullptr)
            *possible = p;
        if (p.unknown())
            return std::nullopt;
        std::set<int> statuses;
        for (const Outcome &o : p.outcomes())
            statuses.insert(o.failed ? o.status : ORDO_OK);
        if (statuses.size() != 1)
            return std::nullopt;
        return *statuses.begin();
    }
    case Completion::kPromise:
        if (!c.settled)
            return ORDO_PENDING;
        return c.outcome.failed ? c.outcome.status : ORDO_OK;
    case Completion::kDone:
        return ORDO_OK;
    default:
        return std::nullopt;
    }
}

void Shadow::check_poll(ordo_future f, int status) {
    auto c = completion(f);
    if (!c)
        return expect("ordo_future_poll on a bad handle", ORDO_ERROR_INVALID_HANDLE, status);
    std::optional<int> state = state_of(*c);
    if (state)
        return expect("ordo_future_poll", *state, status);
    if (c->kind == Completion::kEventWait) {
        if (status == ORDO_OK && !all_complete(c->events))
            violation("an event wait completed before its events did");
        if (status == ORDO_ERROR_EVENT_FAILED && !any_failed(c->events))
            violation("an event wait failed though none of its events did");
    }
}

int Shadow::plan_future_wait(ordo_future f, unsigned flags) {
    auto c = completion(f);
    if (!c)
        return ORDO_ERROR_INVALID_HANDLE;
    if ((flags & ~ORDO_WAIT_CANCEL) != 0)
        return ORDO_ERROR_INVALID_ARGUMENT;
    std::optional<int> state = state_of(*c);
    if (!state)
        return kEither;
    if (*state != ORDO_PENDING)
        return *state;
    if (flags & ORDO_WAIT_CANCEL)
        plan_future_cancel(f); // a pending future the shadow knows: the cancel wins
    return ORDO_ERROR_TIMEOUT;
}

void Shadow::check_future_wait(ordo_future f, unsigned flags, int expected, int status) {
    expect("ordo_future_wait", expected, status);
    auto c = completion(f);
    if (expected == kEither && c && c->kind == Completion::kEventWait) {
        check_poll(f, status == ORDO_ERROR_TIMEOUT ? ORDO_PENDING : status);
        if (status == ORDO_ERROR_TIMEOUT && (flags & ORDO_WAIT_CANCEL))
            c->kind = Completion::kUnknown; // cancelled or not: the runtime decided
    }
}

void Shadow::check_future_events(ordo_future f, int status, const cl_event *events, size_t n) {
    auto c = completion(f);
    if (!c)
        return expect("ordo_future_events on a bad handle", ORDO_ERROR_INVALID_HANDLE, status);
    if (status == ORDO_ERROR_INVALID_ARGUMENT)
        return; // a NULL output (the harness passes some)
    Possible p;
    std::optional<int> state = state_of(*c, &p);
    if (!state) {
        if (status == ORDO_OK && c->kind == Completion::kEventWait) {
            Events got = ordo_model::make_events(reinterpret_cast<const void *const *>(events), n);
            if (got != c->events)
                violation("an event wait completed with other events than it waited for");
        }
        if (status == ORDO_OK && c->kind == Completion::kGrant)
            observe(*c->ticket,
                    Outcome::done(
                        ordo_model::make_events(reinterpret_cast<const void *const *>(events), n)),
                    "a grant future");
        return;
    }
    if (*state != ORDO_OK)
        return expect("ordo_future_events of a future not done", ORDO_ERROR_INVALID_STATE, status);
    expect("ordo_future_events", ORDO_OK, status);
    Events got = ordo_model::make_events(reinterpret_cast<const void *const *>(events), n);
    switch (c->kind) {
    case Completion::kGrant:
        observe(*c->ticket, Outcome::done(got), "a grant future");
        break;
    case Completion::kPromise:
        if (got != c->outcome.events)
            violation("a promise's future carries other events than it was completed with");
        break;
    default:
        if (!got.empty())
            violation("a future done with no events has events");
    }
}

void Shadow::check_future_failure(ordo_future f, int status, int failure_status,
                                  const char *message) {
    auto c = completion(f);
    if (!c)
        return expect("ordo_future_failure on a bad handle", ORDO_ERROR_INVALID_HANDLE, status);
    std::optional<int> state = state_of(*c);
    if (!state) {
        if (status == ORDO_OK && c->kind == Completion::kGrant && message != nullptr)
            observe(*c->ticket, Outcome::failure(failure_status, message), "a grant future");
        return;
    }
    if (*state >= 0)
        return expect("ordo_future_failure of a future not failed", ORDO_ERROR_INVALID_STATE,
                      status);
    expect("ordo_future_failure", ORDO_OK, status);
    if (failure_status != *state)
        violation("ordo_future_failure gave status " + std::to_string(failure_status) +
                  ", the future failed with " + std::to_string(*state));
    if (message == nullptr || *state == ORDO_ERROR_CANCELLED)
        return;
    if (c->kind == Completion::kGrant)
        observe(*c->ticket, Outcome::failure(failure_status, message), "a grant future");
    else if (c->kind == Completion::kPromise && c->outcome.message != message)
        violation("a promise's future carries another failure message than it was failed with");
}

int Shadow::plan_future_cancel(ordo_future f) {
    auto c = completion(f);
    if (!c)
        return ORDO_ERROR_INVALID_HANDLE;
    std::optional<int> state = state_of(*c);
    if (!state) {
        if (c->kind == Completion::kEventWait)
            c->kind = Completion::kUnknown; // the runtime decides; nothing more to check
        return kEither;
    }
    if (*state != ORDO_PENDING)
        return ORDO_ERROR_INVALID_STATE;
    c->cancelled = true;
    if (c->kind == Completion::kGrant && !c->ticket->released) {
        // The cancel gives the ticket's place up.
        model_.release_nothing(c->ticket->id, seen_at_release(*c->ticket));
        c->ticket->released = true;
        deliver();
    }
    return ORDO_OK;
}

void Shadow::future_destroyed(ordo_future f, int status) {
    if (f == nullptr)
        return expect("ordo_future_destroy(NULL)", ORDO_OK, status);
    expect("ordo_future_destroy", completion(f) ? ORDO_OK : ORDO_ERROR_INVALID_HANDLE, status);
    if (status == ORDO_OK)
        futures_[key(f)].second = false;
}

void Shadow::promise_created(ordo_promise p) {
    auto c = std::make_shared<Completion>();
    c->kind = Completion::kPromise;
    c->id = next_id_++;
    promises_[key(p)] = {c, true};
}

static std::shared_ptr<Completion>
live_promise(const std::map<uintptr_t, std::pair<std::shared_ptr<Completion>, bool>> &m,
             ordo_promise p) {
    auto it = m.find(reinterpret_cast<uintptr_t>(p));
    if (it == m.end() || !it->second.second)
        return nullptr;
    return it->second.first;
}

void Shadow::promise_future(ordo_promise p, int status, ordo_future f) {
    auto c = live_promise(promises_, p);
    if (!c)
        return expect("ordo_promise_future on a bad handle", ORDO_ERROR_INVALID_HANDLE, status);
    if (f == nullptr)
        return expect("ordo_promise_future(out NULL)", ORDO_ERROR_INVALID_ARGUMENT, status);
    expect("ordo_promise_future", ORDO_OK, status);
    future_made(f, c);
}

int Shadow::plan_promise_complete(ordo_promise p, const cl_event *events, size_t n) {
    auto c = live_promise(promises_, p);
    if (!c)
        return ORDO_ERROR_INVALID_HANDLE;
    if (n != 0 && events == nullptr)
        return ORDO_ERROR_INVALID_ARGUMENT;
    if (c->settled || c->cancelled)
        return ORDO_ERROR_INVALID_STATE;
    if (events_argument_status(events, n) != ORDO_OK)
        return ORDO_ERROR_INVALID_ARGUMENT;
    c->settled = true;
    c->outcome =
        Outcome::done(ordo_model::make_events(reinterpret_cast<const void *const *>(events), n));
    return ORDO_OK;
}

int Shadow::plan_promise_fail(ordo_promise p, int status, const char *message) {
    auto c = live_promise(promises_, p);
    if (!c)
        return ORDO_ERROR_INVALID_HANDLE;
    if (!failure_status(status))
        return ORDO_ERROR_INVALID_ARGUMENT;
    if (c->settled || c->cancelled)
        return ORDO_ERROR_INVALID_STATE;
    c->settled = true;
    c->outcome = Outcome::failure(status, message != nullptr ? message : "failed");
    return ORDO_OK;
}

int Shadow::plan_promise_destroy(ordo_promise p) {
    if (p == nullptr)
        return ORDO_OK;
    auto c = live_promise(promises_, p);
    if (!c)
        return ORDO_ERROR_INVALID_HANDLE;
    promises_[key(p)].second = false;
    if (!c->settled && !c->cancelled) {
        c->settled = true;
        c->outcome = Outcome::failure(ORDO_ERROR_ABANDONED,
                                      "the promise was destroyed before it was completed");
    }
    return ORDO_OK;
}

void Shadow::event_wait_made(const cl_event *events, size_t n, ordo_future f) {
    auto c = std::make_shared<Completion>();
    c->id = next_id_++;
    c->kind = n == 0 ? Completion::kDone : Completion::kEventWait;
    c->events = ordo_model::make_events(reinterpret_cast<const void *const *>(events), n);
    future_made(f, c);
}

// ---------------------------------------------------------------------------
// Job queues

void Shadow::queue_created(ordo_job_queue q, size_t max_pending) {
    QueueRec rec;
    rec.model = std::make_unique<ordo_model::JobQueueModel>(max_pending);
    queues_[key(q)] = std::move(rec);
}

void Shadow::refresh(QueueRec &q) {
    for (auto &c : q.jobs) {
        std::optional<int> state = state_of(*c);
        if (state && *state != ORDO_PENDING)
            q.model->completed(c->id);
    }
}

int Shadow::plan_queue_add(ordo_job_queue qh, ordo_future f, bool may_wait) {
    auto it = queues_.find(key(qh));
    if (it == queues_.end() || !it->second.live)
        return ORDO_ERROR_INVALID_HANDLE;
    auto c = completion(f);
    if (!c)
        return ORDO_ERROR_INVALID_HANDLE;
    QueueRec &q = it->second;
    std::optional<int> state = state_of(*c);
    if (!q.exact || !state)
        return kEither;
    refresh(q);
    if (q.model->must_accept(*state != ORDO_PENDING))
        return ORDO_OK;
    return may_wait ? ORDO_ERROR_TIMEOUT : ORDO_ERROR_WOULD_BLOCK;
}

void Shadow::check_queue_add(const char *call, ordo_job_queue qh, ordo_future f, int expected,
                             int status) {
    expect(call, expected, status);
    if (status != ORDO_OK)
        return;
    QueueRec &q = queues_.at(key(qh));
    auto c = completion(f);
    std::optional<int> state = state_of(*c);
    if (!state)
        q.exact = false;
    if (q.exact) {
        q.model->added(c->id, *state != ORDO_PENDING);
        q.jobs.push_back(c);
    }
}

void Shadow::check_queue_clean(ordo_job_queue qh, int status) {
    auto it = queues_.find(key(qh));
    if (it == queues_.end() || !it->second.live)
        return expect("ordo_job_queue_clean on a bad handle", ORDO_ERROR_INVALID_HANDLE, status);
    QueueRec &q = it->second;
    if (!q.exact)
        return;
    refresh(q);
    int expected = ORDO_OK;
    while (!q.jobs.empty()) {
        std::optional<int> state = state_of(*q.jobs.front());
        if (!state || *state == ORDO_PENDING)
            break;
        if (expected == ORDO_OK && *state < 0)
            expected = *state;
        q.jobs.erase(q.jobs.begin());
        q.model->remove_completed_front(q.model->size() - 1);
    }
    expect("ordo_job_queue_clean", expected, status);
}

void Shadow::check_queue_finish(ordo_job_queue qh, size_t max_remaining, int status) {
    auto it = queues_.find(key(qh));
    if (it == queues_.end() || !it->second.live)
        return expect("ordo_job_queue_finish on a bad handle", ORDO_ERROR_INVALID_HANDLE, status);
    QueueRec &q = it->second;
    if (!q.exact)
        return;
    refresh(q);
    int expected = ORDO_OK;
    while (q.jobs.size() > max_remaining) {
        std::optional<int> state = state_of(*q.jobs.front());
        if (*state == ORDO_PENDING) {
            expected = ORDO_ERROR_TIMEOUT;
            break;
        }
        q.jobs.erase(q.jobs.begin());
        q.model->remove_completed_front(q.model->size() - 1);
        if (*state < 0) {
            expected = *state;
            break;
        }
    }
    expect("ordo_job_queue_finish", expected, status);
}

void Shadow::check_queue_query(ordo_job_queue qh, bool size_null, int size_status, size_t size,
                               bool backlog_null, int backlog_status, size_t backlog) {
    auto it = queues_.find(key(qh));
    if (it == queues_.end() || !it->second.live) {
        expect("ordo_job_queue_size on a bad handle", ORDO_ERROR_INVALID_HANDLE, size_status);
        return expect("ordo_job_queue_backlog on a bad handle", ORDO_ERROR_INVALID_HANDLE,
                      backlog_status);
    }
    expect("ordo_job_queue_size", size_null ? ORDO_ERROR_INVALID_ARGUMENT : ORDO_OK, size_status);
    expect("ordo_job_queue_backlog", backlog_null ? ORDO_ERROR_INVALID_ARGUMENT : ORDO_OK,
           backlog_status);
    QueueRec &q = it->second;
    if (backlog_status == ORDO_OK && q.model->max_pending() != 0 &&
        backlog > q.model->max_pending())
        violation("a job queue bounded at " + std::to_string(q.model->max_pending()) +
                  " has a backlog of " + std::to_string(backlog));
    if (!q.exact)
        return;
    refresh(q);
    if (size_status == ORDO_OK && size != q.model->size())
        violation("ordo_job_queue_size gave " + std::to_string(size) + ", the queue holds " +
                  std::to_string(q.model->size()));
    if (backlog_status == ORDO_OK && backlog != q.model->backlog())
        violation("ordo_job_queue_backlog gave " + std::to_string(backlog) +
                  ", the contract says " + std::to_string(q.model->backlog()));
}

void Shadow::queue_destroyed(ordo_job_queue qh, int status) {
    if (qh == nullptr)
        return expect("ordo_job_queue_destroy(NULL)", ORDO_OK, status);
    auto it = queues_.find(key(qh));
    bool live = it != queues_.end() && it->second.live;
    expect("ordo_job_queue_destroy", live ? ORDO_OK : ORDO_ERROR_INVALID_HANDLE, status);
    if (status == ORDO_OK)
        it->second.live = false;
}

// ---------------------------------------------------------------------------
// Multi-resource tickets

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

// ---------------------------------------------------------------------------

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
