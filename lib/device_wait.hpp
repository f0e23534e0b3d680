// Device-side waits: barriers on a command queue for a list of cl_events,
// with events of other contexts bridged through user events.
#pragma once

#include "future.hpp"
#include "quirks.hpp"

namespace ordo::detail {

// The queue's context. Throws Error(ORDO_ERROR_INVALID_ARGUMENT) for a NULL
// or invalid queue.
cl_context queue_context(cl_command_queue queue);

// Enqueues on queue a barrier that waits for every event (which must not be
// empty). Events of another context than context are waited for through a
// user event of context, completed once they are. *barrier (if given)
// receives a new reference to the barrier's event, or nullptr if nothing was
// left to wait for (an event whose callback runs on this thread is
// complete); without barrier, the barrier is kept as keep_command says.
// Throws Error(ORDO_ERROR_EVENT_FAILED), enqueuing nothing, if an event has
// already failed.
void enqueue_barrier(cl_command_queue queue, cl_context context, const EventList &events,
                     cl_event *barrier);

// Takes over a command's event that nobody else holds: kept until the
// command has ended where the runtime frees unheld commands
// (quirks.frees_unheld_commands), dropped otherwise.
void keep_command(cl_event command, const Quirks &quirks) noexcept;

// Sets user_event to status and drops the reference taken over; then keeps
// keep (a reference taken over, may be null) as keep_until_ended does.
void set_user_event(cl_event user_event, cl_int status, cl_event keep) noexcept;

// Takes over a reference to a command's event and drops it once the event
// has ended. POCL 3.1 frees a command whose event nobody holds and then uses
// it when an event the command waits for changes status: hold a command's
// event until the events it waits for are set and it has ended.
void keep_until_ended(cl_event event) noexcept;

// Sets user_event to a failure status as set_user_event does, but only once
// the runtime has let go of `ahead` (one event, taken over), the command
// enqueued just before keep: POCL 3.1 calls a command's callbacks before it
// tells the commands that wait for it, so failing a user event that keep
// waits for right after ahead's callback races ahead's device thread still
// telling keep (a freed keep, or keep run and failed at once). ordo's
// reference being the last one left is the sign that ahead is finished (it
// is polled for on the service thread, within a bound).
void fail_user_event_after(EventList ahead, cl_event user_event, cl_int status,
                           cl_event keep) noexcept;

// The negative status a user event is given when what it stands for failed.
cl_int failure_status_for_event(const Future &failed) noexcept;

} // namespace ordo::detail
