// MultiTicket: tickets on several resources taken at once (Resource::acquire_all),
// waited for together and released together or one by one.
#pragma once

#include "futex.hpp"
#include "resource.hpp"
#include "ticket.hpp"

#include <vector>

namespace ordo::detail {

class MultiTicket {
public:
    MultiTicket(const std::vector<Resource *> &resources, const std::vector<Mode> &modes);
    ~MultiTicket();
    MultiTicket(const MultiTicket &) = delete;
    MultiTicket &operator=(const MultiTicket &) = delete;

    size_t size() const noexcept { return tickets_.size(); }
    Ticket &ticket(size_t i) const;

    // Releases every ticket not released yet with the same events.
    // Error(ORDO_ERROR_INVALID_STATE) if all were released already.
    void ready(const EventList &events);
    void fail(const Ref<Failure> &failure);

    // The Holder of holder_wait.hpp, whose waits (wait_for_grant,
    // wait_complete, enqueue_wait) are a multi-ticket's. wait_grant waits for
    // every grant: ORDO_OK with the union of the predecessors' events
    // (borrowed, valid while this object lives; fixed by the first wait that
    // got every grant), or the first failure or timeout met. Tickets already
    // released are skipped.
    WaitResult wait_grant(Deadline deadline);
    void mark_seen() noexcept;
    Ticket &events_waiter() const noexcept;
    std::atomic<Future *> &events_slot() noexcept { return union_wait_; }

private:
    // The tickets not released yet; Error(ORDO_ERROR_INVALID_STATE) if none.
    std::vector<Ref<Ticket>> unreleased() const;
    static void release(std::vector<Ref<Ticket>> &parts, std::vector<Outcome> &outcomes,
                        TraceKind kind);

    std::vector<Ref<Ticket>> tickets_;
    SmallMutex mutex_;
    EventList union_ ORDO_GUARDED_BY(mutex_);
    bool have_union_ ORDO_GUARDED_BY(mutex_) = false;
    std::atomic<Future *> union_wait_{nullptr}; // the wait for union_ (cached_events_wait)
};

} // namespace ordo::detail
