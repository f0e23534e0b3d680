// Probe: flush-runs-queue-on-caller
//
// The quirk: clFlush runs the queue on the calling thread: with a command that waits on an unset
// user event, clFlush does not return until another thread sets that event.
// Seen on: Oclgrind 21.10.
//
// How the probe decides: it enqueues a marker that waits on an unset user event and calls clFlush
// on a helper thread. "no" if clFlush returns within 2 s; "yes" if it has not, after which the
// probe sets the user event (so that the flush can end) and exits.
//
// Build alone: c++ -std=c++17 -pthread flush-runs-queue-on-caller.cpp probe.cpp -lOpenCL

#include "probe.hpp"

#include <atomic>

namespace {

using namespace probe;

std::atomic<bool> g_flushed{false};

void scenario() {
    Cl cl = open_cl();
    cl_event user = user_event(cl);
    cl_event behind = marker(cl, 1, &user);
    (void)behind;
    in_background([q = cl.queue] {
        clFlush(q);
        g_flushed = true;
    });
    bool returned = wait_until(2.0, [] { return g_flushed.load(); });
    const char *verdict = returned ? "no" : "yes";
    // The answer is known: let the flush end, but never wait for long.
    set_deadline(2.0, verdict);
    check(clSetUserEventStatus(user, CL_COMPLETE), "clSetUserEventStatus");
    wait_until(2.0, [] { return g_flushed.load(); });
    answer(verdict);
}

} // namespace

int main() {
    return probe::run("flush-runs-queue-on-caller", scenario);
}
