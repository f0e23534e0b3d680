// Probe: keeps-extra-event-references
//
// The quirk: the runtime holds references of its own to events that have completed, for a while
// after the wait, so a CL_EVENT_REFERENCE_COUNT read after a wait is higher than the references
// the program holds. Seen on Rusticl 22.3 as: a completed command keeps a reference to each event
// of its wait list for as long as its own event lives (POCL 3.1 drops it once the command has run).
// Seen on: Mesa Rusticl 22.3.
//
// How the probe decides: in each of 10 rounds it enqueues a marker A (empty wait list), flushes,
// waits for it, and reads A's reference count 20 ms later; then it enqueues a marker B waiting on
// A, flushes, waits for B and reads A's count again 20 ms later. The program holds one reference to
// A throughout. A round counts if either read is above 1; "yes" if more than half of the rounds
// count, "no" if none does, "unknown" in between. The reads wait 20 ms because POCL 3.1 often holds
// a reference for well under a millisecond after clWaitForEvents returns: a read at once would say
// "yes" there at random. (Writes are not used: POCL 3.1 keeps the last event of each buffer until
// the buffer is released, a documented reference of another kind.)
//
// Build alone: c++ -std=c++17 -pthread keeps-extra-event-references.cpp probe.cpp -lOpenCL

#include "probe.hpp"

#include <chrono>
#include <cstdio>
#include <thread>

namespace {

using namespace probe;

constexpr int kRounds = 10;

// The event's reference count, 20 ms from now.
cl_uint references_later(cl_event event) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    cl_uint count = 0;
    check(clGetEventInfo(event, CL_EVENT_REFERENCE_COUNT, sizeof count, &count, nullptr),
          "clGetEventInfo(CL_EVENT_REFERENCE_COUNT)");
    return count;
}

void scenario() {
    Cl cl = open_cl();
    set_deadline(5.0, "unknown the rounds did not finish within 5 s");
    int counted = 0;
    for (int round = 0; round < kRounds; ++round) {
        cl_event first = marker(cl, 0, nullptr);
        check(clFlush(cl.queue), "clFlush");
        check(clWaitForEvents(1, &first), "clWaitForEvents");
        bool above = references_later(first) > 1;
        cl_event second = marker(cl, 1, &first);
        check(clFlush(cl.queue), "clFlush");
        check(clWaitForEvents(1, &second), "clWaitForEvents");
        above = references_later(first) > 1 || above;
        counted += above ? 1 : 0;
        check(clFinish(cl.queue), "clFinish");
        check(clReleaseEvent(second), "clReleaseEvent");
        check(clReleaseEvent(first), "clReleaseEvent");
    }
    if (counted > kRounds / 2)
        answer("yes");
    if (counted == 0)
        answer("no");
    char verdict[128];
    std::snprintf(verdict, sizeof verdict, "unknown an extra reference in only %d of %d rounds",
                  counted, kRounds);
    answer(verdict);
}

} // namespace

int main() {
    return probe::run("keeps-extra-event-references", scenario);
}
