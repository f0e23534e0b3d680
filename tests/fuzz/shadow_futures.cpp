// The shadow's futures, promises and waits for events (shadow.hpp): the
// state of a completion as the shadow knows it, and the checks of polls,
// waits, events, failures, cancels and destroys of futures, of promises'
// futures, completions, failures and destroys, and of event waits.
#include "shadow.hpp"
#include "shadow_internal.hpp"

#include <set>

namespace ordo_fuzz {

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

bool Shadow::promise_live(ordo_promise p) const {
    auto it = promises_.find(key(p));
    return it != promises_.end() && it->second.second;
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

} // namespace ordo_fuzz
