// Asynchronous waits for cl_events, with no thread per wait.
#pragma once

#include "future.hpp"

namespace ordo::detail {

// A future that completes DONE (carrying references to the same events) once
// every event reached CL_COMPLETE, or FAILED with ORDO_ERROR_EVENT_FAILED as
// soon as one has a negative execution status. Empty input: already DONE.
// Throws Error(ORDO_ERROR_INVALID_ARGUMENT) for an invalid event and
// Error(ORDO_ERROR_OPENCL) if the runtime refuses a callback, before any
// state is kept.
Ref<Future> wait_events_async(const cl_event *events, size_t n);
Ref<Future> wait_events_async(const EventList &events);

// The one wait for `events` that slot keeps (slot owns a reference to it):
// made by the first caller, the same future for every later one, so that
// waiting again and again (a poll with a past deadline) registers nothing
// more with the runtime. Throws as wait_events_async, keeping nothing.
Ref<Future> cached_events_wait(std::atomic<Future *> &slot, const EventList &events);

} // namespace ordo::detail
