// The harness of the runtime-quirk probes (tests/probes/<quirk>.cpp): what every probe shares, so
// that a probe's file holds only its comment and its scenario. C++17, OpenCL C API only.
//
// A probe's main() is `return probe::run("<quirk>", scenario);`. run() forks before any OpenCL
// call; the child does all the OpenCL work (scenario()), sends its one answer line through a pipe
// and ends with _exit() at once (a runtime may be deadlocked, so nothing is cleaned up). A watchdog
// thread in the child answers when the current deadline passes (set_deadline). The parent prints
// the child's line; if none comes (the child crashed, or hung for kParentLimitSeconds) it prints an
// "unknown" line; if the child found OpenCL unusable the parent exits 2. A probe that judges by
// how its child ends passes a judge of its own.
//
// Output: one line "<quirk> yes|no|unknown <reason>" on stdout, exit status 0; exit status 2 when
// there is no usable OpenCL (no platform, device, context or queue).
#pragma once

// The probes use the OpenCL 1.2 API only (clCreateCommandQueue is deprecated from 2.0 on).
#undef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>

#include <chrono>
#include <string>
#include <thread>
#include <utility>

namespace probe {

using Clock = std::chrono::steady_clock;

// How long the parent waits for the child's answer (and its end) before killing it.
constexpr int kParentLimitSeconds = 20;

// The child's work: the scenario. It answers (answer(), or the watchdog) and never returns
// normally; if it does, the probe answers "unknown".
using Scenario = void (*)();

// Parent: prints the probe's line from the child's end: whether it ended (closed the pipe) within
// kParentLimitSeconds, its wait status, and all it wrote to the pipe. Returns main()'s status.
using Judge = int (*)(bool ended, int status, std::string text);

// The probe's main(): runs `scenario` in a forked child and judges its end with `judge` (by
// default judge_answer).
int run(const char *quirk, Scenario scenario, Judge judge = nullptr);

// The quirk's name, as given to run().
const char *quirk();

// ---- Parent ------------------------------------------------------------------------------------

// The default judge: prints the child's first line, or an "unknown" line saying what became of
// the child; returns 2 if the child found OpenCL unusable.
int judge_answer(bool ended, int status, std::string text);

// ---- Child -------------------------------------------------------------------------------------

// Sends "<quirk> <verdict>" to the parent and ends the process. Only the first call answers; a
// later one (another thread) waits for the process to end.
[[noreturn]] void answer(const char *verdict);

// OpenCL itself is unusable (no platform, device, context or queue): exits 2.
[[noreturn]] void unusable(const char *what, cl_int err);

// A call of the scenario failed, so the probe cannot tell: answers "unknown <what> failed with N".
void check(cl_int err, const char *what);

// From now on, answer `verdict` unless something else answers within `seconds`.
void set_deadline(double seconds, const char *verdict);

// Writes `text` to the parent as it is (not an answer); returns whether all of it was written.
bool send_to_parent(const char *text);

// Polls `done` every millisecond for at most `seconds`; returns whether it became true.
template <class F>
bool wait_until(double seconds, F done) {
    auto end = Clock::now() +
               std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    while (!done()) {
        if (Clock::now() >= end)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

// Runs `f` on a detached helper thread (it may never return).
template <class F>
void in_background(F f) {
    std::thread(std::move(f)).detach();
}

// The event's CL_EVENT_COMMAND_EXECUTION_STATUS (check()ed).
cl_int status_of(cl_event event);

struct Cl {
    cl_device_id device;
    cl_context context;
    cl_command_queue queue; // in order
};

// The first device of the first platform, a context and an in-order queue (unusable() if not).
Cl open_cl();

// A user event, a marker and a barrier on cl.queue (check()ed).
cl_event user_event(const Cl &cl);
cl_event marker(const Cl &cl, cl_uint count, const cl_event *wait_list);
cl_event barrier(const Cl &cl, cl_uint count, const cl_event *wait_list);

} // namespace probe
