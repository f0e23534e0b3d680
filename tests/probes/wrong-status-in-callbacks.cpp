// Probe: wrong-status-in-callbacks
//
// The quirk: the CL_COMPLETE callback of an event that failed receives a non-negative status
// (NVIDIA's driver passes 0, CL_COMPLETE) although
// clGetEventInfo(CL_EVENT_COMMAND_EXECUTION_STATUS) reports the negative one. Seen on: NVIDIA
// OpenCL 3.0, driver 580 (H200). POCL 3.1 and Rusticl 22.3 do not call back at all for a failed
// event (see no-callback-for-failed-events), which counts as "no" here.
//
// How the probe decides: it registers a CL_COMPLETE callback on a user event and on a marker that
// waits for it, sets the user event to -42, flushes (on a helper thread) and waits up to 1 s for
// the callbacks. "yes" if a callback came with a status >= 0 for an event whose clGetEventInfo
// status is negative; "no" if every callback that came had the negative status, or none came.
//
// Build alone: c++ -std=c++17 -pthread wrong-status-in-callbacks.cpp probe.cpp -lOpenCL

#include "probe.hpp"

#include <atomic>

namespace {

using namespace probe;

constexpr cl_int kNotCalled = 1000;
std::atomic<cl_int> g_user_status{kNotCalled};
std::atomic<cl_int> g_marker_status{kNotCalled};

void CL_CALLBACK record_status(cl_event, cl_int status, void *slot) {
    static_cast<std::atomic<cl_int> *>(slot)->store(status);
}

bool wrong(cl_int callback_status, cl_int info_status) {
    return callback_status != kNotCalled && callback_status >= 0 && info_status < 0;
}

void scenario() {
    Cl cl = open_cl();
    cl_event user = user_event(cl);
    check(clSetEventCallback(user, CL_COMPLETE, record_status, &g_user_status),
          "clSetEventCallback");
    cl_event behind = marker(cl, 1, &user);
    check(clSetEventCallback(behind, CL_COMPLETE, record_status, &g_marker_status),
          "clSetEventCallback");
    set_deadline(3.0, "unknown clSetUserEventStatus(-42) did not return within 3 s");
    check(clSetUserEventStatus(user, -42), "clSetUserEventStatus");
    in_background([q = cl.queue] { clFlush(q); });
    set_deadline(3.0, "unknown clGetEventInfo did not return within 3 s");
    wait_until(1.0,
               [] { return g_user_status.load() != kNotCalled && g_marker_status != kNotCalled; });
    cl_int user_info = status_of(user);
    cl_int marker_info = status_of(behind);
    if (wrong(g_user_status.load(), user_info) || wrong(g_marker_status.load(), marker_info))
        answer("yes");
    answer("no");
}

} // namespace

int main() {
    return probe::run("wrong-status-in-callbacks", scenario);
}
