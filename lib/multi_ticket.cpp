#include "multi_ticket.hpp"

#include "device_wait.hpp"
#include "error.hpp"
#include "event_wait.hpp"

#include <mutex>

namespace ordo::detail {

MultiTicket::MultiTicket(const std::vector<Resource *> &resources, const std::vector<Mode> &modes)
    : tickets_(Resource::acquire_all(resources, modes)) {}

MultiTicket::~MultiTicket() {
    for (auto &t : tickets_)
        t->drop_holder(true);
}

Ticket &MultiTicket::ticket(size_t i) const {
    if (i >= tickets_.size())
        throw Error(ORDO_ERROR_INVALID_ARGUMENT, "index " + std::to_string(i) +
                                                     " is out of range (" +
                                                     std::to_string(tickets_.size()) + " tickets)");
    return *tickets_[i];
}

WaitResult MultiTicket::wait_grants(Deadline deadline) {
    EventList merged;
    bool any = false;
    for (auto &t : tickets_) {
        if (t->released())
            continue;
        any = true;
        WaitResult r = t->wait_grant(deadline);
        if (r.status != ORDO_OK) {
            if (r.status != ORDO_ERROR_TIMEOUT)
                t->mark_seen(); // its failure is what the holder is handed
            return r;
        }
        merged.append_copy(*r.events);
    }
    if (!any)
        throw Error(ORDO_ERROR_INVALID_STATE, "every ticket was already released");
    WaitResult result;
    std::lock_guard lock(mutex_);
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

WaitResult MultiTicket::wait(Deadline deadline) {
    WaitResult result = wait_grants(deadline);
    if (result.status == ORDO_OK)
        mark_seen();
    return result;
}

// As for a single ticket, the grants count as seen only once the holder is
// handed their outcome.
WaitResult MultiTicket::wait_complete(Deadline deadline) {
    WaitResult result = wait_grants(deadline);
    if (result.status != ORDO_OK)
        return result;
    if (!result.events->empty()) {
        Ref<Future> done = wait_events_async(*result.events);
        int status = done->wait(deadline);
        if (status != ORDO_OK) {
            result.status = status;
            if (status != ORDO_ERROR_TIMEOUT)
                result.failure = done->failure_ref();
            return result;
        }
    }
    mark_seen();
    return result;
}

WaitResult MultiTicket::enqueue_wait(cl_command_queue queue, Deadline deadline, cl_event *barrier) {
    cl_context context = queue_context(queue);
    WaitResult result = wait_grants(deadline);
    if (result.status != ORDO_OK)
        return result;
    if (result.events->empty()) {
        if (barrier != nullptr)
            *barrier = nullptr;
    } else {
        enqueue_barrier(queue, context, *result.events, barrier);
    }
    mark_seen(); // only now does the device wait for the events
    return result;
}

void MultiTicket::ready(const EventList &events) {
    bool any = false;
    flush_queues_of(events);
    for (auto &t : tickets_) {
        if (t->released())
            continue;
        t->ready(events.copy());
        any = true;
    }
    if (!any)
        throw Error(ORDO_ERROR_INVALID_STATE, "every ticket was already released");
}

void MultiTicket::fail_release(const Ref<Failure> &failure) {
    bool any = false;
    for (auto &t : tickets_) {
        if (t->released())
            continue;
        t->fail_release(failure);
        any = true;
    }
    if (!any)
        throw Error(ORDO_ERROR_INVALID_STATE, "every ticket was already released");
}

} // namespace ordo::detail
