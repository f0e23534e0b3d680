// Device-side waits: barriers on a command queue for a list of cl_events,
// with events of other contexts bridged through user events.
#pragma once

#include "future.hpp"

namespace ordo::detail {

// The queue's context. Throws Error(ORDO_ERROR_INVALID_ARGUMENT) for a NULL
// or invalid queue.
cl_context queue_context(cl_command_queue queue);

// Enqueues on queue a barrier that waits for every event (which must not be
// empty). Events of another context than context are waited for through a
// user event of context, completed once they are. *barrier (if given)
// receives a new reference to the barrier's event.
void enqueue_barrier(cl_command_queue queue, cl_context context, const EventList &events,
                     cl_event *barrier);

// Completes user_event (taking over the caller's reference to it) when done
// completes: CL_COMPLETE if it is DONE, a negative status if it FAILED. keep
// (a reference taken over, may be null) is a command that waits for
// user_event: it is kept until user_event is set and it has ended.
void complete_user_event_when(Future &done, cl_event user_event, cl_event keep = nullptr) noexcept;

// Sets user_event to status and drops the reference taken over; then keeps
// keep (a reference taken over, may be null) as keep_until_ended does.
void set_user_event(cl_event user_event, cl_int status, cl_event keep) noexcept;

// Takes over a reference to a command's event and drops it once the event
// has ended. POCL 3.1 frees a command whose event nobody holds and then uses
// it when an event the command waits for changes status: hold a command's
// event until the events it waits for are set and it has ended.
void keep_until_ended(cl_event event) noexcept;

// The negative status a user event is given when what it stands for failed.
cl_int failure_status_for_event(const Future &failed) noexcept;

} // namespace ordo::detail
