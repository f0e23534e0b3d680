#include "multi_ticket.hpp"

#include "device_wait.hpp"
#include "error.hpp"
#include "event_wait.hpp"
#include "holder_wait.hpp"

#include "thread_annotations.hpp"
#include <mutex>

namespace ordo::detail {

MultiTicket::MultiTicket(const std::vector<Resource *> &resources, const std::vector<Mode> &modes)
    : tickets_(Resource::acquire_all(resources, modes)) {}

MultiTicket::~MultiTicket() {
    for (auto &t : tickets_)
        t->drop_holder(true);
    if (Future *wait = union_wait_.load(std::memory_order_acquire))
        wait->release();
}

Ticket &MultiTicket::ticket(size_t i) const {
    if (i >= tickets_.size())
        throw Error(ORDO_ERROR_INVALID_ARGUMENT, "index " + std::to_string(i) +
                                                     " is out of range (" +
                                                     std::to_string(tickets_.size()) + " tickets)");
    return *tickets_[i];
}

WaitResult MultiTicket::wait_grant(Deadline deadline) {
    EventList merged;
    bool any = false;
    for (auto &t : tickets_) {
        if (t->released())
            continue;
        any = true;
        WaitResult r = t->wait_grant(deadline); // a failure: marked seen
        if (r.status != ORDO_OK)
            return r;
        merged.append_copy(*r.events);
    }
    if (!any)
        throw Error(ORDO_ERROR_INVALID_STATE, "every ticket was already released");
    WaitResult result;
    Lock lock(mutex_);
    if (!have_union_) {
        union_ = std::move(merged);
        have_union_ = true;
    }
    result.events = &union_;
    return result;
}

void MultiTicket::mark_seen() noexcept {
    for (auto &t : tickets_)
        if (!t->released())
            t->mark_seen();
}

// The wait for the union blocks as the first unreleased ticket's host wait.
Ticket &MultiTicket::events_waiter() const noexcept {
    for (auto &t : tickets_)
        if (!t->released())
            return *t;
    return *tickets_.front(); // not reached: wait_grant found one unreleased
}

// A release runs successors' callbacks, which may destroy this object (the
// handle whose parts they report): the tickets still to release are taken
// out first, and nothing of this is touched after the first release.
std::vector<Ref<Ticket>> MultiTicket::unreleased() const {
    std::vector<Ref<Ticket>> parts;
    for (auto &t : tickets_)
        if (!t->released())
            parts.push_back(t);
    if (parts.empty())
        throw Error(ORDO_ERROR_INVALID_STATE, "every ticket was already released");
    return parts;
}

void MultiTicket::ready(const EventList &events) {
    std::vector<Ref<Ticket>> parts = unreleased();
    flush_queues_of(events);
    std::vector<Outcome> outcomes(parts.size());
    for (auto &o : outcomes)
        o.events = events.copy(); // every allocation first
    release(parts, outcomes, TraceKind::kRelease);
}

void MultiTicket::fail(const Ref<Failure> &failure) {
    std::vector<Ref<Ticket>> parts = unreleased();
    std::vector<Outcome> outcomes(parts.size());
    for (auto &o : outcomes)
        o.failure = failure;
    release(parts, outcomes, TraceKind::kFail);
}

// Every part is claimed before any release completes, so a callback that
// destroys this multi-ticket finds them all released.
void MultiTicket::release(std::vector<Ref<Ticket>> &parts, std::vector<Outcome> &outcomes,
                          TraceKind kind) {
    size_t claimed = 0;
    try {
        for (; claimed < parts.size(); ++claimed)
            parts[claimed]->claim_release(std::move(outcomes[claimed]), kind);
    } catch (...) {
        // Released meanwhile by another thread (ready_one): complete the
        // parts claimed, report the rest.
        for (size_t i = 0; i < claimed; ++i)
            parts[i]->complete_release();
        throw;
    }
    for (auto &t : parts)
        t->complete_release();
}

} // namespace ordo::detail
