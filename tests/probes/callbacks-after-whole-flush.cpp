// Probe: callbacks-after-whole-flush
//
// The quirk: the runtime calls a command's callbacks only once a whole clFlush/clFinish has run,
// although the command's status is CL_COMPLETE as soon as it has run; so a command flushed together
// with a later command that waits on an unset user event is CL_COMPLETE but does not call back
// until that user event is set.
// Seen on: Oclgrind 21.10.
//
// How the probe decides: on one in-order queue it enqueues a marker with a CL_COMPLETE callback,
// then a barrier waiting on an unset user event, and flushes once on a helper thread (Oclgrind
// runs the queue inside clFlush, which then waits for the user event). Once the marker's status is
// CL_COMPLETE (within 1 s) it gives the callback 0.5 s: "yes" if the callback has not come by then,
// "no" if it has. If the marker does not complete within 1 s the probe cannot tell ("unknown", as
// on a runtime with completes-flushed-batches-whole). Then it sets the user event and lets the
// queue finish (for at most 2 s) before exiting.
//
// Build alone: c++ -std=c++17 -pthread callbacks-after-whole-flush.cpp probe.cpp -lOpenCL

#include "probe.hpp"

#include <atomic>

namespace {

using namespace probe;

std::atomic<int> g_calls{0};

void CL_CALLBACK count_call(cl_event, cl_int, void *) {
    g_calls.fetch_add(1);
}

void scenario() {
    Cl cl = open_cl();
    cl_event user = user_event(cl);
    cl_event first = marker(cl, 0, nullptr);
    check(clSetEventCallback(first, CL_COMPLETE, count_call, nullptr), "clSetEventCallback");
    cl_event last = barrier(cl, 1, &user);
    in_background([q = cl.queue] { clFlush(q); });
    set_deadline(3.0, "unknown clGetEventInfo did not return within 3 s");
    const char *verdict = "unknown the marker did not complete within 1 s while the barrier "
                          "flushed with it waited (see completes-flushed-batches-whole)";
    if (wait_until(1.0, [first] { return status_of(first) == CL_COMPLETE; }))
        verdict = wait_until(0.5, [] { return g_calls.load() > 0; }) ? "no" : "yes";
    // The answer is known: let the queue finish, but never for long.
    set_deadline(2.0, verdict);
    check(clSetUserEventStatus(user, CL_COMPLETE), "clSetUserEventStatus");
    wait_until(2.0, [last] { return g_calls.load() > 0 && status_of(last) == CL_COMPLETE; });
    answer(verdict);
}

} // namespace

int main() {
    return probe::run("callbacks-after-whole-flush", scenario);
}
