// The harness of the runtime-quirk probes: see probe.hpp.
#include "probe.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace probe {

namespace {

const char *g_quirk = "";
int g_answer_fd = -1;
std::atomic<bool> g_answered{false};
std::mutex g_deadline_mutex;
Clock::time_point g_deadline = Clock::time_point::max();
char g_deadline_verdict[256];

void start_watchdog() {
    std::thread([] {
        for (;;) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            char verdict[sizeof g_deadline_verdict];
            {
                std::lock_guard<std::mutex> lock(g_deadline_mutex);
                if (Clock::now() < g_deadline)
                    continue;
                std::memcpy(verdict, g_deadline_verdict, sizeof verdict);
            }
            answer(verdict);
        }
    }).detach();
}

} // namespace

const char *quirk() {
    return g_quirk;
}

// ---- Child -------------------------------------------------------------------------------------

void answer(const char *verdict) {
    if (g_answered.exchange(true)) {
        for (;;)
            pause();
    }
    char line[512];
    int n = std::snprintf(line, sizeof line, "%s %s\n", g_quirk, verdict);
    if (n > 0) {
        ssize_t written = write(g_answer_fd, line, std::min<size_t>(n, sizeof line - 1));
        (void)written;
    }
    _exit(0);
}

void unusable(const char *what, cl_int err) {
    std::fprintf(stderr, "%s: %s failed with %d\n", g_quirk, what, err);
    _exit(2);
}

void check(cl_int err, const char *what) {
    if (err != CL_SUCCESS) {
        char verdict[256];
        std::snprintf(verdict, sizeof verdict, "unknown %s failed with %d", what, err);
        answer(verdict);
    }
}

void set_deadline(double seconds, const char *verdict) {
    std::lock_guard<std::mutex> lock(g_deadline_mutex);
    g_deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(seconds));
    std::snprintf(g_deadline_verdict, sizeof g_deadline_verdict, "%s", verdict);
}

bool send_to_parent(const char *text) {
    size_t size = std::strlen(text);
    return write(g_answer_fd, text, size) == static_cast<ssize_t>(size);
}

cl_int status_of(cl_event event) {
    cl_int status = 0;
    check(clGetEventInfo(event, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, nullptr),
          "clGetEventInfo(CL_EVENT_COMMAND_EXECUTION_STATUS)");
    return status;
}

Cl open_cl() {
    cl_platform_id platform = nullptr;
    cl_uint count = 0;
    cl_int err = clGetPlatformIDs(1, &platform, &count);
    if (err != CL_SUCCESS || count == 0)
        unusable("clGetPlatformIDs", err);
    Cl cl{};
    err = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &cl.device, &count);
    if (err != CL_SUCCESS || count == 0)
        unusable("clGetDeviceIDs", err);
    cl_context_properties properties[] = {CL_CONTEXT_PLATFORM,
                                          reinterpret_cast<cl_context_properties>(platform), 0};
    cl.context = clCreateContext(properties, 1, &cl.device, nullptr, nullptr, &err);
    if (err != CL_SUCCESS)
        unusable("clCreateContext", err);
    cl.queue = clCreateCommandQueue(cl.context, cl.device, 0, &err);
    if (err != CL_SUCCESS)
        unusable("clCreateCommandQueue", err);
    return cl;
}

cl_event user_event(const Cl &cl) {
    cl_int err = CL_SUCCESS;
    cl_event event = clCreateUserEvent(cl.context, &err);
    check(err, "clCreateUserEvent");
    return event;
}

cl_event marker(const Cl &cl, cl_uint count, const cl_event *wait_list) {
    cl_event event = nullptr;
    check(clEnqueueMarkerWithWaitList(cl.queue, count, wait_list, &event),
          "clEnqueueMarkerWithWaitList");
    return event;
}

cl_event barrier(const Cl &cl, cl_uint count, const cl_event *wait_list) {
    cl_event event = nullptr;
    check(clEnqueueBarrierWithWaitList(cl.queue, count, wait_list, &event),
          "clEnqueueBarrierWithWaitList");
    return event;
}

// ---- Parent ------------------------------------------------------------------------------------

int judge_answer(bool ended, int status, std::string text) {
    size_t newline = text.find('\n');
    if (newline != std::string::npos) {
        text.resize(newline + 1);
        std::fputs(text.c_str(), stdout);
        return 0;
    }
    if (!ended)
        std::printf("%s unknown no answer within %d s\n", g_quirk, kParentLimitSeconds);
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
        return 2;
    else if (WIFSIGNALED(status))
        std::printf("%s unknown the probe's child process died by signal %d (%s)\n", g_quirk,
                    WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        std::printf("%s unknown the probe's child process exited with status %d\n", g_quirk,
                    WEXITSTATUS(status));
    return 0;
}

int run(const char *quirk, Scenario scenario, Judge judge) {
    g_quirk = quirk;
    if (judge == nullptr)
        judge = judge_answer;
    int fds[2];
    if (pipe(fds) != 0) {
        std::perror("pipe");
        return 2;
    }
    std::fflush(stdout);
    std::fflush(stderr);
    pid_t child = fork();
    if (child < 0) {
        std::perror("fork");
        return 2;
    }
    if (child == 0) {
        close(fds[0]);
        g_answer_fd = fds[1];
        start_watchdog();
        set_deadline(10.0, "unknown setting up OpenCL took over 10 s");
        scenario();
        answer("unknown the probe ended without an answer");
    }
    close(fds[1]);
    std::string text;
    bool ended = false;
    auto end = Clock::now() + std::chrono::seconds(kParentLimitSeconds);
    while (!ended) {
        auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
        if (left <= 0)
            break;
        pollfd p{fds[0], POLLIN, 0};
        int ready = poll(&p, 1, static_cast<int>(left));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            break;
        char buffer[512];
        ssize_t n = read(fds[0], buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            ended = true;
        else
            text.append(buffer, static_cast<size_t>(n));
    }
    if (!ended)
        kill(child, SIGKILL);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    return judge(ended, status, text);
}

} // namespace probe
