// Device waits: barriers on a command queue for a list of cl_events, with
// events of other contexts bridged through user events of the queue's
// context. (The deferred device wait is deferred_wait.hpp.)
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

// The negative status a user event is given when what it stands for failed.
cl_int failure_status_for_event(const Future &failed) noexcept;

} // namespace ordo::detail
