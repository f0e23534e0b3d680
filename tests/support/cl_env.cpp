#include "cl_env.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

namespace ordo_test {
namespace {

ClEnv *g_env = nullptr;
bool g_released = false;

void release_env() {
    if (g_env == nullptr || g_released)
        return;
    g_released = true;
    ordo_events_flush_releases(ORDO_DEADLINE_NEVER);
    clFinish(g_env->queue1);
    clFinish(g_env->queue2);
    clReleaseCommandQueue(g_env->queue1);
    clReleaseCommandQueue(g_env->queue2);
    clReleaseContext(g_env->context);
}

// Released when the tests are done, before exit: Oclgrind's per-thread state
// is destroyed before atexit handlers run, so OpenCL calls made from one
// write to freed memory.
class ReleaseAtTearDown : public ::testing::Environment {
public:
    void TearDown() override { release_env(); }
};
[[maybe_unused]] ::testing::Environment *const g_release =
    ::testing::AddGlobalTestEnvironment(new ReleaseAtTearDown);

} // namespace

std::string platform_key(const std::string &name) {
    if (name.find("Portable Computing Language") != std::string::npos)
        return "pocl";
    if (name.find("Oclgrind") != std::string::npos)
        return "oclgrind";
    if (name.find("rusticl") != std::string::npos)
        return "rusticl";
    return name;
}

ClEnv &cl_env() {
    static std::once_flag once;
    std::call_once(once, [] {
        auto *env = new ClEnv;
        cl_uint n = 0;
        if (clGetPlatformIDs(1, &env->platform, &n) != CL_SUCCESS || n == 0) {
            std::fprintf(stderr, "no OpenCL platform\n");
            std::abort();
        }
        char name[256] = {};
        clGetPlatformInfo(env->platform, CL_PLATFORM_NAME, sizeof name - 1, name, nullptr);
        env->platform_name = name;
        std::printf("[ platform ] %s\n", name);
        // A test setup must really run on the implementation it names.
        const char *wanted = std::getenv("ORDO_TEST_PLATFORM");
        if (wanted != nullptr && *wanted != '\0' && platform_key(env->platform_name) != wanted) {
            std::fprintf(stderr, "ORDO_TEST_PLATFORM=%s but the platform is %s\n", wanted, name);
            std::abort();
        }
        if (clGetDeviceIDs(env->platform, CL_DEVICE_TYPE_ALL, 1, &env->device, &n) != CL_SUCCESS) {
            std::fprintf(stderr, "no OpenCL device\n");
            std::abort();
        }
        cl_int err = CL_SUCCESS;
        env->context = clCreateContext(nullptr, 1, &env->device, nullptr, nullptr, &err);
        if (err != CL_SUCCESS)
            std::abort();
        env->queue1 = clCreateCommandQueue(env->context, env->device, 0, &err);
        env->queue2 = clCreateCommandQueue(env->context, env->device, 0, &err);
        if (err != CL_SUCCESS)
            std::abort();
        g_env = env;
    });
    return *g_env;
}

std::string runtime() {
    return platform_key(cl_env().platform_name);
}

bool on_oclgrind() {
    return cl_env().platform_name.find("Oclgrind") != std::string::npos;
}

cl_int reference_count(cl_event event) {
    cl_uint count = 0;
    EXPECT_EQ(clGetEventInfo(event, CL_EVENT_REFERENCE_COUNT, sizeof count, &count, nullptr),
              CL_SUCCESS);
    return static_cast<cl_int>(count);
}

::testing::AssertionResult reference_count_returns_to(cl_event event, cl_int expected) {
    ordo_deadline deadline = ordo_deadline_after(10'000'000'000);
    for (;;) {
        ordo_events_flush_releases(deadline);
        cl_int count = reference_count(event);
        if (count == expected)
            return ::testing::AssertionSuccess();
        if (count < expected)
            return ::testing::AssertionFailure()
                   << "reference count " << count << " is below the baseline " << expected;
        if (ordo_now() >= deadline)
            return ::testing::AssertionFailure()
                   << "reference count stayed at " << count << ", baseline " << expected;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

cl_int execution_status(cl_event event) {
    cl_int status = 0;
    EXPECT_EQ(
        clGetEventInfo(event, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, nullptr),
        CL_SUCCESS);
    return status;
}

cl_event make_user_event(cl_context context) {
    cl_int err = CL_SUCCESS;
    cl_event e = clCreateUserEvent(context != nullptr ? context : cl_env().context, &err);
    EXPECT_EQ(err, CL_SUCCESS);
    return e;
}

LogCapture::LogCapture() {
    ordo_log_set_callback(&LogCapture::hook, this);
}
LogCapture::~LogCapture() {
    ordo_log_set_callback(nullptr, nullptr);
}

void LogCapture::hook(void *self, int, const char *message) {
    auto *capture = static_cast<LogCapture *>(self);
    std::lock_guard lock(capture->mutex_);
    capture->records_.emplace_back(message);
}

std::vector<std::string> LogCapture::records() {
    std::lock_guard lock(mutex_);
    return records_;
}

bool LogCapture::contains(const std::string &needle) {
    std::lock_guard lock(mutex_);
    for (const auto &r : records_)
        if (r.find(needle) != std::string::npos)
            return true;
    return false;
}

Chain::Chain(int n, void *value) : t(n) {
    EXPECT_EQ(ordo_resource_create(value, "chain", &r), ORDO_OK);
    for (auto &x : t)
        EXPECT_EQ(ordo_resource_acquire(r, &x), ORDO_OK);
}

Chain::~Chain() {
    for (auto x : t)
        ordo_ticket_destroy(x);
    ordo_resource_destroy(r);
}

bool granted(ordo_ticket t) {
    return ordo_ticket_wait(t, ordo_now() - 1, nullptr, nullptr) == ORDO_OK;
}

std::vector<cl_event> grant_events(ordo_ticket t) {
    const cl_event *events = nullptr;
    size_t n = 0;
    int status = ordo_ticket_wait(t, soon(), &events, &n);
    EXPECT_EQ(status, ORDO_OK) << ordo_last_error_message();
    if (status != ORDO_OK)
        return {};
    return std::vector<cl_event>(events, events + n);
}

long current_thread_id() {
    return static_cast<long>(syscall(SYS_gettid));
}

bool wait_until_blocked(const std::atomic<long> &tid) {
    ordo_deadline deadline = eventually();
    while (ordo_now() < deadline) {
        long id = tid.load();
        if (id != 0) {
            std::ifstream stat("/proc/self/task/" + std::to_string(id) + "/stat");
            std::string line;
            std::getline(stat, line);
            // "tid (comm) S ...": the state follows the last ')'.
            size_t close = line.rfind(')');
            if (close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'S')
                return true;
        }
        std::this_thread::yield();
    }
    return false;
}

} // namespace ordo_test
