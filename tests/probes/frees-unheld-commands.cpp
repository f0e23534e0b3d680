// Probe: frees-unheld-commands
//
// The quirk: a command nobody holds an event of is freed while it still waits for an event, and
// used when that event fails: the process aborts (POCL: pocl_update_event_failed).
// Seen on: POCL 3.1.
//
// How the probe decides: in a forked child it enqueues a barrier waiting on an unset user event,
// releases the barrier's event at once, sets the user event to -42 and calls clFinish. "yes" if the
// child died by a signal or exited with a non-zero status, "no" if it exited 0.
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

void scenario() {
    Cl cl = open_cl();
    cl_event user = user_event(cl);
    cl_event unheld = barrier(cl, 1, &user);
    check(clReleaseEvent(unheld), "clReleaseEvent");
    if (!send_to_parent("ready\n"))
        _exit(3);
    set_deadline(3.0, "unknown clSetUserEventStatus(-42) or clFinish did not return within 3 s");
    check(clSetUserEventStatus(user, -42), "clSetUserEventStatus");
    clFinish(cl.queue); // its status does not matter: the child's end does
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
