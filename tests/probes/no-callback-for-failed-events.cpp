// Probe: no-callback-for-failed-events
//
// The quirk: an event that fails never calls its CL_COMPLETE callback (the specification calls
// CL_COMPLETE callbacks for a negative status too). A user event set to -42 fires only its
// CL_SUBMITTED callback, and a marker enqueued behind it ends with a negative status and does not
// call back either; clGetEventInfo does report the negative status.
// Seen on: POCL 3.1 and Mesa Rusticl 22.3 (NVIDIA's driver 580 calls back, with status 0).
//
// How the probe decides: it registers a CL_COMPLETE callback on a user event and on a marker that
// waits for it, sets the user event to -42, flushes the queue (on a helper thread: Oclgrind runs
// the queue inside clFlush) and waits up to 1 s. "yes" if the user event did not call back, or if
// the marker ended with a negative status without calling back; "no" otherwise.
//
// Build alone: c++ -std=c++17 -pthread no-callback-for-failed-events.cpp probe.cpp -lOpenCL

#include "probe.hpp"

#include <atomic>

namespace {

using namespace probe;

std::atomic<int> g_user_calls{0};
std::atomic<int> g_marker_calls{0};

void CL_CALLBACK count_call(cl_event, cl_int, void *calls) {
    static_cast<std::atomic<int> *>(calls)->fetch_add(1);
}

void scenario() {
    Cl cl = open_cl();
    cl_event user = user_event(cl);
    check(clSetEventCallback(user, CL_COMPLETE, count_call, &g_user_calls), "clSetEventCallback");
    cl_event behind = marker(cl, 1, &user);
    check(clSetEventCallback(behind, CL_COMPLETE, count_call, &g_marker_calls),
          "clSetEventCallback");
    set_deadline(3.0, "unknown clSetUserEventStatus(-42) did not return within 3 s");
    check(clSetUserEventStatus(user, -42), "clSetUserEventStatus");
    in_background([q = cl.queue] { clFlush(q); });
    set_deadline(3.0, "unknown clGetEventInfo did not return within 3 s");
    wait_until(1.0, [] { return g_user_calls.load() > 0 && g_marker_calls.load() > 0; });
    cl_int marker_status = status_of(behind);
    if (g_user_calls.load() == 0)
        answer("yes");
    if (marker_status < 0 && g_marker_calls.load() == 0)
        answer("yes");
    answer("no");
}

} // namespace

int main() {
    return probe::run("no-callback-for-failed-events", scenario);
}
