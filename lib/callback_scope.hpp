// CallbackScope: marks the OpenCL callbacks of ours that run on this thread,
// and which event each is for. Some runtimes run an event's callbacks under
// that event's lock (quirks.hpp, callbacks_hold_the_event_lock), so nothing
// of ordo queries, flushes or waits on an event from inside its own
// callback; and no event reference is released on a callback thread (the
// service thread releases them). Both hold for user callbacks that such a
// callback runs, since they run inside the scope.
#pragma once

#include <ordo/ordo.h>

namespace ordo::detail {

class CallbackScope {
public:
    explicit CallbackScope(cl_event event) noexcept;
    ~CallbackScope();
    CallbackScope(const CallbackScope &) = delete;
    CallbackScope &operator=(const CallbackScope &) = delete;

    // True while this thread runs inside an OpenCL callback of ours.
    static bool active() noexcept;
    // True while this thread runs inside a callback of ours for event e (an
    // event whose status is then CL_COMPLETE, or the status the callback got).
    static bool inside_callback_of(cl_event e) noexcept;

private:
    cl_event event_;
    CallbackScope *outer_;
};

} // namespace ordo::detail
