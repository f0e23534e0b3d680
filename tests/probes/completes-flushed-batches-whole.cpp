// Probe: completes-flushed-batches-whole
//
// The quirk: the runtime completes the commands of one flushed batch only once the whole batch's
// dependencies are met: a marker flushed together with a later barrier that waits on an unset
// user event does not complete until that user event is set.
// Seen on: Mesa Rusticl 22.3.
//
// How the probe decides: on one in-order queue it enqueues a marker (empty wait list), then a
// barrier waiting on an unset user event, and flushes once (on a helper thread: Oclgrind runs the
// queue inside clFlush). "yes" if the marker has not reached CL_COMPLETE within 1 s, "no" if it
// has; then it sets the user event and lets the queue finish (for at most 2 s) before exiting.
//
// Build alone: c++ -std=c++17 -pthread completes-flushed-batches-whole.cpp probe.cpp -lOpenCL

#include "probe.hpp"

namespace {

using namespace probe;

void scenario() {
    Cl cl = open_cl();
    cl_event user = user_event(cl);
    cl_event first = marker(cl, 0, nullptr);
    cl_event last = barrier(cl, 1, &user);
    in_background([q = cl.queue] { clFlush(q); });
    set_deadline(3.0, "unknown clGetEventInfo did not return within 3 s");
    bool completed = wait_until(1.0, [first] { return status_of(first) == CL_COMPLETE; });
    const char *verdict = completed ? "no" : "yes";
    // The answer is known: let the queue finish, but never for long.
    set_deadline(2.0, verdict);
    check(clSetUserEventStatus(user, CL_COMPLETE), "clSetUserEventStatus");
    wait_until(2.0, [last] { return status_of(last) == CL_COMPLETE; });
    answer(verdict);
}

} // namespace

int main() {
    return probe::run("completes-flushed-batches-whole", scenario);
}
