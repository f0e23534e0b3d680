// Probe: callbacks-hold-the-event-lock
//
// The quirk: the runtime runs an event's callbacks while holding that event's lock, so
// clGetEventInfo on the same event from inside its own callback never returns (and, for a user
// event, neither does the clSetUserEventStatus that fired the callback).
// Seen on: Mesa Rusticl 22.3.
//
// How the probe decides: a CL_COMPLETE callback on a user event calls
// clGetEventInfo(CL_EVENT_COMMAND_EXECUTION_STATUS) on that event; a helper thread sets the event
// to CL_COMPLETE. "no" if that clGetEventInfo returns within 2 s; "yes" if the callback was entered
// but its clGetEventInfo had not returned 2 s after the event was set; "unknown" if the callback
// was not called at all.
//
// Build alone: c++ -std=c++17 -pthread callbacks-hold-the-event-lock.cpp probe.cpp -lOpenCL

#include "probe.hpp"

#include <atomic>

namespace {

using namespace probe;

std::atomic<bool> g_entered{false};
std::atomic<bool> g_returned{false};

void CL_CALLBACK query_own_status(cl_event event, cl_int, void *) {
    g_entered = true;
    cl_int status = 0;
    clGetEventInfo(event, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, nullptr);
    g_returned = true;
}

void scenario() {
    Cl cl = open_cl();
    cl_event user = user_event(cl);
    check(clSetEventCallback(user, CL_COMPLETE, query_own_status, nullptr), "clSetEventCallback");
    set_deadline(5.0, "unknown the probe did not finish within 5 s");
    in_background([user] { clSetUserEventStatus(user, CL_COMPLETE); });
    if (wait_until(2.0, [] { return g_returned.load(); }))
        answer("no");
    if (g_entered.load())
        answer("yes");
    answer("unknown the user event's CL_COMPLETE callback was not called within 2 s");
}

} // namespace

int main() {
    return probe::run("callbacks-hold-the-event-lock", scenario);
}
