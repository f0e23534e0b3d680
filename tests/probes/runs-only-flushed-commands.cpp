// Probe: runs-only-flushed-commands
//
// The quirk: the runtime does not start a command until its queue is flushed: a marker on a queue
// that is never flushed stays CL_QUEUED and never calls back.
// Seen on: Mesa Rusticl 22.3 (POCL 3.1 runs it anyway).
//
// How the probe decides: it enqueues a marker with an empty wait list, registers a CL_COMPLETE
// callback on it, never flushes, and polls its status for 1 s. "yes" if the marker neither reached
// CL_COMPLETE nor called back within 1 s, "no" otherwise.
//
// Build alone: c++ -std=c++17 -pthread runs-only-flushed-commands.cpp probe.cpp -lOpenCL

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
    cl_event lone = marker(cl, 0, nullptr);
    check(clSetEventCallback(lone, CL_COMPLETE, count_call, nullptr), "clSetEventCallback");
    set_deadline(3.0, "unknown clGetEventInfo did not return within 3 s");
    bool ran =
        wait_until(1.0, [lone] { return g_calls.load() > 0 || status_of(lone) == CL_COMPLETE; });
    answer(ran ? "no" : "yes");
}

} // namespace

int main() {
    return probe::run("runs-only-flushed-commands", scenario);
}
