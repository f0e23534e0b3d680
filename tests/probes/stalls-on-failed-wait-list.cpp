// Probe: stalls-on-failed-wait-list
//
// The quirk: a command enqueued with a wait list that holds an event which has already failed is
// never run nor failed, so it (and every later command of its in-order queue) stalls. (A failure
// after the enqueue fails the command, as it should.)
// Seen on: POCL 3.1.
//
// How the probe decides: it sets a user event to -42, then enqueues a marker waiting on it on one
// in-order queue and a barrier waiting on it on another, and flushes both (on a helper thread).
// "yes" if either command has neither reached CL_COMPLETE nor a negative status within 1 s; "no"
// if both ended (a runtime that refuses such an enqueue with an error does not stall either).
//
// Build alone: c++ -std=c++17 -pthread stalls-on-failed-wait-list.cpp probe.cpp -lOpenCL

#include "probe.hpp"

namespace {

using namespace probe;

bool ended(cl_event event) {
    cl_int status = status_of(event);
    return status == CL_COMPLETE || status < 0;
}

void scenario() {
    Cl cl = open_cl();
    cl_int err = CL_SUCCESS;
    cl_command_queue other = clCreateCommandQueue(cl.context, cl.device, 0, &err);
    if (err != CL_SUCCESS)
        unusable("clCreateCommandQueue", err);
    cl_event user = user_event(cl);
    check(clSetUserEventStatus(user, -42), "clSetUserEventStatus");
    cl_event behind = nullptr;
    cl_event fenced = nullptr;
    cl_int marker_err = clEnqueueMarkerWithWaitList(cl.queue, 1, &user, &behind);
    cl_int barrier_err = clEnqueueBarrierWithWaitList(other, 1, &user, &fenced);
    in_background([q = cl.queue, other] {
        clFlush(q);
        clFlush(other);
    });
    set_deadline(3.0, "unknown clGetEventInfo did not return within 3 s");
    bool marker_ended = marker_err != CL_SUCCESS;
    bool barrier_ended = barrier_err != CL_SUCCESS;
    wait_until(1.0, [&] {
        marker_ended = marker_ended || ended(behind);
        barrier_ended = barrier_ended || ended(fenced);
        return marker_ended && barrier_ended;
    });
    // A stalled command is never freed: exit at once, without clFinish.
    answer(marker_ended && barrier_ended ? "no" : "yes");
}

} // namespace

int main() {
    return probe::run("stalls-on-failed-wait-list", scenario);
}
