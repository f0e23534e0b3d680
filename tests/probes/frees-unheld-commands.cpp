// Probe: frees-unheld-commands
//
// The quirk: a command nobody holds an event of is freed while it still waits for an event, and
// used when that event fails: the process aborts (POCL: pocl_update_event_failed).
// Seen on: POCL 3.1.
//
// How the probe decides: in a forked child it first runs a control: a barrier waiting on an unset
// user event, its event held, the user event set to -42, clFinish; "unknown" if that does not
// return within 3 s. Then the same on a fresh context and queue, with the barrier's event released
// at once. The freed command is used when the user event fails: "yes" if the child then died by a
// signal, exited with a non-zero status or hung in clSetUserEventStatus or clFinish for 3 s (which
// of these happens depends on what the freed memory holds: MALLOC_PERTURB_=144 makes POCL 3.1
// spin), "no" if it exited 0.
//
// Build alone: c++ -std=c++17 -pthread frees-unheld-commands.cpp probe.cpp -lOpenCL

#include "probe.hpp"

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace probe;

// A barrier waiting on an unset user event, on its own queue (nothing failed queued before it);
// the user event fails with -42, then clFinish. With `hold` the barrier's event is kept to the end
// of the process (releasing a failed command's event late can itself free it early on POCL), else
// it is released at once.
void fail_a_wait(bool hold) {
    Cl cl = open_cl();
    cl_event user = user_event(cl);
    cl_event waiter = barrier(cl, 1, &user);
    if (!hold)
        check(clReleaseEvent(waiter), "clReleaseEvent");
    check(clSetUserEventStatus(user, -42), "clSetUserEventStatus");
    clFinish(cl.queue); // its status does not matter: the child's end does
}

void scenario() {
    set_deadline(3.0, "unknown with the waiting command's event held, clSetUserEventStatus(-42) or "
                      "clFinish did not return within 3 s");
    fail_a_wait(true);
    if (!send_to_parent("ready\n"))
        _exit(3);
    // From here on, a hang is the runtime using the freed command: the control above, the same
    // but for the release, returned.
    set_deadline(3.0, "yes");
    fail_a_wait(false);
    // Give the runtime's threads a moment to use the freed command.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    _exit(0);
}

// Parent: judges by the child's end once it has set up OpenCL ("ready").
int judge_end(bool ended, int status, std::string text) {
    size_t at = text.find(quirk());
    if (at != std::string::npos) { // the child answered itself ("unknown ...")
        text = text.substr(at);
        text.resize(text.find('\n') == std::string::npos ? text.size() : text.find('\n'));
        std::printf("%s\n", text.c_str());
        return 0;
    }
    bool ready = text.find("ready\n") != std::string::npos;
    if (!ended)
        std::printf("%s unknown the child process did not end within %d s\n", quirk(),
                    kParentLimitSeconds);
    else if (!ready && WIFEXITED(status) && WEXITSTATUS(status) == 2)
        return 2;
    else if (!ready && WIFSIGNALED(status))
        std::printf("%s unknown the child process died by signal %d before the scenario\n", quirk(),
                    WTERMSIG(status));
    else if (!ready)
        std::printf("%s unknown the child process exited with status %d before the scenario\n",
                    quirk(), WEXITSTATUS(status));
    else if (WIFSIGNALED(status) || WEXITSTATUS(status) != 0)
        std::printf("%s yes\n", quirk());
    else
        std::printf("%s no\n", quirk());
    return 0;
}

} // namespace

int main() {
    return probe::run("frees-unheld-commands", scenario, judge_end);
}
