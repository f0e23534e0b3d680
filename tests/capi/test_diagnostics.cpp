// Diagnostics and tracing: names and queue dumps, the long-wait warning, and
// Chrome/Perfetto traces.
#include "../support/cl_env.hpp"

#include <chrono>
#include <cstring>
#include <fstream>
#include <latch>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace ordo_test;

namespace {

std::string dump_of(ordo_resource r) {
    size_t length = 0;
    EXPECT_EQ(ordo_diagnostics_dump(r, nullptr, 0, &length), ORDO_OK);
    std::string text(length + 1, '\0');
    EXPECT_EQ(ordo_diagnostics_dump(r, text.data(), text.size(), &length), ORDO_OK);
    text.resize(length);
    return text;
}

} // namespace

TEST(Diagnostics, DumpShowsHoldersWaitersAndEvents) {
    ORDO_ASSERT_OK(ordo_diagnostics_enable(1));
    cl_event e = make_user_event();
    ordo_resource r;
    ORDO_ASSERT_OK(ordo_resource_create(nullptr, "d_in[0]", &r));
    ordo_ticket a, b, c;
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &a));
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &b));
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &c));
    ORDO_ASSERT_OK(ordo_ticket_set_name(a, "chunk 0"));
    ORDO_ASSERT_OK(ordo_ticket_set_name(b, "chunk 1"));
    ORDO_ASSERT_OK(ordo_ticket_wait(a, soon(), nullptr, nullptr));
    std::string text = dump_of(r);
    EXPECT_NE(text.find("resource"), std::string::npos);
    EXPECT_NE(text.find("\"d_in[0]\""), std::string::npos) << text;
    EXPECT_NE(text.find("\"chunk 0\" exclusive"), std::string::npos) << text;
    EXPECT_NE(text.find("granted, held"), std::string::npos) << text;
    EXPECT_NE(text.find("not granted yet"), std::string::npos) << text;
    // b's holder waits on the host from another thread: the dump says so.
    std::thread waiter(
        [&] { EXPECT_EQ(ordo_ticket_wait_complete(b, eventually(), nullptr, nullptr), ORDO_OK); });
    ordo_deadline deadline = eventually();
    while (dump_of(r).find("host wait") == std::string::npos && ordo_now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_NE(dump_of(r).find("host wait"), std::string::npos);
    ORDO_ASSERT_OK(ordo_ticket_ready(a, &e, 1));
    // Granted, but its event has not completed: the dump shows the event's status.
    deadline = eventually();
    while (dump_of(r).find("CL_SUBMITTED") == std::string::npos && ordo_now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    text = dump_of(r);
    EXPECT_NE(text.find("predecessor's events"), std::string::npos) << text;
    clSetUserEventStatus(e, CL_COMPLETE);
    waiter.join();
    // Everything (NULL): lists this resource too.
    EXPECT_NE(dump_of(nullptr).find("\"d_in[0]\""), std::string::npos);
    // A small buffer is truncated and NUL-terminated; the full length is reported.
    char small[16];
    size_t length = 0;
    ORDO_ASSERT_OK(ordo_diagnostics_dump(r, small, sizeof small, &length));
    EXPECT_EQ(std::strlen(small), sizeof small - 1);
    EXPECT_GT(length, sizeof small);
    EXPECT_EQ(ordo_diagnostics_dump(r, nullptr, 4, &length), ORDO_ERROR_INVALID_ARGUMENT);
    for (auto t : {a, b, c}) {
        ordo_ticket_ready(t, nullptr, 0);
        ordo_ticket_destroy(t);
    }
    ordo_resource_destroy(r);
    ORDO_ASSERT_OK(ordo_diagnostics_enable(0));
    EXPECT_TRUE(reference_count_returns_to(e, 1));
    clReleaseEvent(e);
}

TEST(Diagnostics, LongWaitIsReportedWithADump) {
    LogCapture log;
    ORDO_ASSERT_OK(ordo_diagnostics_set_wait_warning(5'000'000));
    ordo_resource r;
    ORDO_ASSERT_OK(ordo_resource_create(nullptr, "slow buffer", &r));
    ordo_ticket a, b;
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &a));
    ORDO_ASSERT_OK(ordo_resource_acquire(r, &b));
    ORDO_ASSERT_OK(ordo_ticket_set_name(a, "the slow one"));
    std::thread releaser([&] {
        ordo_deadline deadline = eventually();
        while (!log.contains("has waited") && ordo_now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        EXPECT_EQ(ordo_ticket_ready(a, nullptr, 0), ORDO_OK);
    });
    ORDO_EXPECT_OK(ordo_ticket_wait(b, eventually(), nullptr, nullptr));
    releaser.join();
    EXPECT_TRUE(log.contains("\"slow buffer\""));
    EXPECT_TRUE(log.contains("\"the slow one\""));
    ORDO_ASSERT_OK(ordo_diagnostics_set_wait_warning(0));
    EXPECT_EQ(ordo_diagnostics_set_wait_warning(-1), ORDO_ERROR_INVALID_ARGUMENT);
    ordo_ticket_ready(b, nullptr, 0);
    ordo_ticket_destroy(a);
    ordo_ticket_destroy(b);
    ordo_resource_destroy(r);
}

TEST(Tracing, ChromeTraceHasASliceAndAGrantPerTicket) {
    ORDO_ASSERT_OK(ordo_trace_start(1024));
    ORDO_ASSERT_OK(ordo_diagnostics_enable(1)); // to see when the waiter blocks
    ordo_resource r;
    ORDO_ASSERT_OK(ordo_resource_create(nullptr, "traced \"buffer\"", &r));
    constexpr int n = 5;
    std::vector<ordo_ticket> t(n);
    for (auto &x : t)
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &x));
    std::thread waiter(
        [&] { EXPECT_EQ(ordo_ticket_wait(t[1], eventually(), nullptr, nullptr), ORDO_OK); });
    ordo_deadline deadline = eventually();
    while (dump_of(r).find("host wait") == std::string::npos && ordo_now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ORDO_ASSERT_OK(ordo_diagnostics_enable(0));
    ORDO_ASSERT_OK(ordo_ticket_wait(t[0], soon(), nullptr, nullptr));
    ORDO_ASSERT_OK(ordo_ticket_ready(t[0], nullptr, 0));
    waiter.join();
    for (int i = 1; i < n; ++i) {
        ORDO_ASSERT_OK(ordo_ticket_wait(t[i], soon(), nullptr, nullptr));
        ORDO_ASSERT_OK(ordo_ticket_ready(t[i], nullptr, 0));
    }
    ORDO_ASSERT_OK(ordo_trace_stop());
    std::string path = ::testing::TempDir() + "ordo_trace.json";
    ORDO_ASSERT_OK(ordo_trace_write(path.c_str()));
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string json = ss.str();
    auto count = [&](const std::string &needle) {
        size_t c = 0;
        for (size_t p = json.find(needle); p != std::string::npos; p = json.find(needle, p + 1))
            ++c;
        return c;
    };
    EXPECT_EQ(json.rfind("{\"displayTimeUnit\"", 0), 0u);
    EXPECT_EQ(count("\"ph\":\"b\""), static_cast<size_t>(n));
    EXPECT_EQ(count("\"ph\":\"e\""), static_cast<size_t>(n));
    EXPECT_EQ(count("\"event\":\"granted\""), static_cast<size_t>(n));
    EXPECT_GE(count("\"ph\":\"B\""), 1u); // the other thread's host wait
    EXPECT_EQ(count("\"ph\":\"B\""), count("\"ph\":\"E\""));
    EXPECT_NE(json.find("traced \\\"buffer\\\""), std::string::npos); // escaped
    EXPECT_EQ(ordo_trace_write("/nonexistent-dir/trace.json"), ORDO_ERROR_SYSTEM);
    EXPECT_EQ(ordo_trace_start(0), ORDO_ERROR_INVALID_ARGUMENT);
    for (auto x : t)
        ordo_ticket_destroy(x);
    ordo_resource_destroy(r);
}

// Regression (ThreadSanitizer: a data race on a ticket's resource pointer).
// With tracing on, cancelling a grant future recorded the cancel with the
// resource's name read through the ticket, while the ticket's holder,
// destroying its handle on another thread, let go of the resource. Each
// record now names the ticket only; the name comes from its acquire record.
TEST(Tracing, CancelThroughTheGrantFutureRacesTheHoldersDestroy) {
    ORDO_ASSERT_OK(ordo_trace_start(4096));
    for (int round = 0; round < 500; ++round) {
        ordo_resource r = nullptr;
        ordo_ticket first = nullptr, second = nullptr;
        ordo_future grant = nullptr;
        ORDO_ASSERT_OK(ordo_resource_create(nullptr, "raced", &r));
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &first));
        ORDO_ASSERT_OK(ordo_resource_acquire(r, &second));
        ORDO_ASSERT_OK(ordo_resource_destroy(r));
        ORDO_ASSERT_OK(ordo_ticket_grant_future(second, &grant));
        std::latch start(2);
        std::thread canceller([&] {
            start.arrive_and_wait();
            int status = ordo_future_cancel(grant);
            EXPECT_TRUE(status == ORDO_OK || status == ORDO_ERROR_INVALID_STATE)
                << ordo_last_error_message();
        });
        start.arrive_and_wait();
        ORDO_EXPECT_OK(ordo_ticket_destroy(second));
        canceller.join();
        ORDO_EXPECT_OK(ordo_ticket_ready(first, nullptr, 0));
        ORDO_EXPECT_OK(ordo_ticket_destroy(first));
        ORDO_EXPECT_OK(ordo_future_destroy(grant));
    }
    ORDO_ASSERT_OK(ordo_trace_stop());
    std::string path = ::testing::TempDir() + "ordo_trace_race.json";
    ORDO_ASSERT_OK(ordo_trace_write(path.c_str()));
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_NE(ss.str().find("\"name\":\"raced\""), std::string::npos);
}
