// The waits a holder makes, written once for a ticket and a multi-ticket.
//
// A Holder provides:
//   WaitResult wait_grant(Deadline)  waits for its grant (a multi-ticket:
//                                    every grant) without marking it seen,
//                                    except that a failure it returns counts
//                                    as handed to the holder;
//   void mark_seen()                 the holder was handed the grant;
//   Ticket &events_waiter()          whose host wait an events wait blocks as;
//   std::atomic<Future *> &events_slot()  the one wait for the grant's events.
//
// The grant counts as seen only once the holder is handed its outcome: a
// wait for the events that times out or fails leaves the holder without the
// events, so a release must still forward them.
#pragma once

#include "device_wait.hpp"
#include "ticket.hpp"

namespace ordo::detail {

template <class Holder>
WaitResult wait_for_grant(Holder &h, Deadline deadline) {
    WaitResult result = h.wait_grant(deadline);
    if (result.status == ORDO_OK)
        h.mark_seen();
    return result;
}

template <class Holder>
WaitResult wait_complete(Holder &h, Deadline deadline) {
    WaitResult result = h.wait_grant(deadline);
    if (result.status != ORDO_OK)
        return result;
    if (!result.events->empty()) {
        h.events_waiter().wait_for_events(result, h.events_slot(), deadline);
        if (result.status != ORDO_OK)
            return result;
    }
    h.mark_seen();
    return result;
}

// Waits on the host for the grant, then enqueues one barrier on queue for
// its events; *barrier (if given) receives a new reference, or nullptr if
// nothing was enqueued. Throws, marking nothing, if an event already failed
// (nothing is then enqueued) or the enqueue fails.
template <class Holder>
WaitResult enqueue_wait(Holder &h, cl_command_queue queue, Deadline deadline, cl_event *barrier) {
    cl_context context = queue_context(queue);
    WaitResult result = h.wait_grant(deadline);
    if (result.status != ORDO_OK)
        return result;
    if (result.events->empty()) {
        if (barrier != nullptr)
            *barrier = nullptr;
    } else {
        enqueue_barrier(queue, context, *result.events, barrier);
    }
    h.mark_seen(); // only now does the device wait for the events
    return result;
}

} // namespace ordo::detail
