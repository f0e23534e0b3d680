// Test support: one OpenCL context with two in-order queues on the first
// device of the first platform (POCL's CPU device here, or Oclgrind when
// OCL_ICD_VENDORS selects it), plus helpers. Public headers only.
#pragma once

#include <ordo/ordo.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

namespace ordo_test {

struct ClEnv {
    cl_platform_id platform = nullptr;
    cl_device_id device = nullptr;
    cl_context context = nullptr;
    cl_command_queue queue1 = nullptr;
    cl_command_queue queue2 = nullptr;
    std::string platform_name;
};

// Created on first use, released at exit. Fails the test if there is no device.
ClEnv &cl_env();

// True when the platform is Oclgrind (for the skips that its clFlush needs).
bool on_oclgrind();

// "pocl", "oclgrind" or "rusticl" for those implementations' platform
// names (as ORDO_TEST_PLATFORM names them), else the name itself.
std::string platform_key(const std::string &platform_name);
// The key of the platform the tests run on.
std::string runtime();

// Skips the test, by name, on the runtimes listed (keys as above, separated
// by spaces), printing the reason; each such skip is listed with its reason
// in docs/RUNTIMES.md.
#define ORDO_SKIP_ON(runtimes, reason)                                                             \
    do {                                                                                           \
        if ((" " + std::string(runtimes) + " ").find(" " + ::ordo_test::runtime() + " ") !=        \
            std::string::npos)                                                                     \
            GTEST_SKIP() << "on " << ::ordo_test::runtime() << ": " << (reason);                   \
    } while (0)

cl_int reference_count(cl_event event);
// Waits (up to a generous deadline) for the event's reference count to come
// back to `expected` once ordo's handles are gone: OpenCL runtimes and ordo's
// service thread may drop their references shortly after the call that
// ended their use returns. Fails at once if the count goes below expected
// (a reference dropped twice) and at the deadline if it stays above (a leak).
::testing::AssertionResult reference_count_returns_to(cl_event event, cl_int expected);
cl_int execution_status(cl_event event);
cl_event make_user_event(cl_context context = nullptr);

// n tickets taken in order on a new resource; at the end the tickets are
// dropped, then the resource.
struct Chain {
    ordo_resource r = nullptr;
    std::vector<ordo_ticket> t;
    explicit Chain(int n, void *value = nullptr);
    ~Chain();
    Chain(const Chain &) = delete;
    Chain &operator=(const Chain &) = delete;
};

// Whether t has been granted (a poll, which counts as seeing the grant).
bool granted(ordo_ticket t);

// The events t was granted with (the grant must come soon()).
std::vector<cl_event> grant_events(ordo_ticket t);

// The calling thread's id (gettid), and a wait (up to a generous deadline)
// until the thread with that id sleeps in the kernel (state S in
// /proc/self/task/<tid>/stat), i.e. until it blocks inside a wait. False at
// the deadline, or if tid is 0 until then.
long current_thread_id();
bool wait_until_blocked(const std::atomic<long> &tid);

// Captures ordo's log records for the lifetime of the object.
class LogCapture {
public:
    LogCapture();
    ~LogCapture();
    std::vector<std::string> records();
    bool contains(const std::string &needle);

private:
    static void hook(void *self, int level, const char *message);
    std::mutex mutex_;
    std::vector<std::string> records_;
};

#define ORDO_ASSERT_OK(expr)                                                                       \
    do {                                                                                           \
        int ordo_status_ = (expr);                                                                 \
        ASSERT_EQ(ordo_status_, ORDO_OK) << #expr << ": " << ordo_last_error_message();            \
    } while (0)

#define ORDO_EXPECT_OK(expr)                                                                       \
    do {                                                                                           \
        int ordo_status_ = (expr);                                                                 \
        EXPECT_EQ(ordo_status_, ORDO_OK) << #expr << ": " << ordo_last_error_message();            \
    } while (0)

// A short deadline for things that must already have happened or must not.
inline ordo_deadline soon() {
    return ordo_deadline_after(20'000'000);
}
// A generous deadline for things that must happen.
inline ordo_deadline eventually() {
    return ordo_deadline_after(10'000'000'000);
}

} // namespace ordo_test
