// ordo-stress (what it checks: stress.hpp): the reporting, each thread's
// loop of operations and the checks after each, and main().
#include "stress.hpp"

#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace ordo_stress {

// ---------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------

std::atomic<long> g_violations{0};
uint64_t g_seed = 0;
Counters g_count;
std::atomic<long> g_warnings{0}, g_wait_warnings{0};

namespace {

std::mutex g_report_mutex;

} // namespace

void violation(const char *format, ...) {
    char message[512];
    va_list args;
    va_start(args, format);
    std::vsnprintf(message, sizeof message, format, args);
    va_end(args);
    std::lock_guard lock(g_report_mutex);
    if (g_violations.fetch_add(1) < 20)
        std::fprintf(stderr, "ordo-stress: VIOLATION (seed %llu): %s\n",
                     static_cast<unsigned long long>(g_seed), message);
}

bool expect_status(int status, int expected, const char *call) {
    if (status == expected)
        return true;
    violation("%s returned %s (%s), expected %s", call, ordo_status_string(status),
              ordo_last_error_message(), ordo_status_string(expected));
    return false;
}

// ---------------------------------------------------------------------------
// The worker threads
// ---------------------------------------------------------------------------

void Worker::run() {
    cl_int err = CL_SUCCESS;
    queue_ = clCreateCommandQueue(s_.context, s_.device, 0, &err);
    if (err == CL_SUCCESS)
        deferred_queue_ = clCreateCommandQueue(s_.context, s_.device, 0, &err);
    if (err != CL_SUCCESS) {
        violation("clCreateCommandQueue failed: %d", err);
        return;
    }
    trace_path_ = s_.trace_prefix + std::to_string(index_) + ".json";
    for (long i = 0; i < ops_; ++i) {
        one_operation();
        check_after_operation();
    }
    while (holdings() > 0)
        release_any_holding();
    drain_deferred_queue();
    clFinish(queue_);
    clReleaseCommandQueue(queue_);
    std::remove(trace_path_.c_str());
}

void Worker::one_operation() {
    if (roll(256u) == 0) {
        return diagnostics();
    }
    switch (roll(64u)) {
    case 0:
    case 1:
        return job_operation();
    case 2:
        if (holdings() < static_cast<size_t>(s_.options.hold) + 1)
            return give_up_grant_future();
        break;
    case 3:
        return stale_handle();
    default:
        break;
    }
    size_t hold = static_cast<size_t>(s_.options.hold);
    if (holdings() == 0 || (holdings() < hold && roll(4u) == 0))
        return acquire_any();
    size_t k = roll(holdings());
    if (k >= held_.size())
        return multi_operation(k - held_.size());
    size_t i = k;
    switch (roll(20u)) {
    case 0:
    case 1:
    case 2:
        return host_wait(i, false);
    case 3:
    case 4:
        return host_wait(i, true);
    case 5:
        return device_wait(i);
    case 6:
        return deferred_wait(i);
    case 7:
        return grant_future(i);
    case 8:
        return async_wait_for_grant_events(i);
    case 9:
    case 10:
    case 11:
    case 12:
        return release_ready(i);
    case 13:
        return release_fail(i);
    case 14:
        return drop(i);
    case 15:
        return cancel(i);
    case 16:
        return cancel_through_grant_future(i);
    case 17:
        return release_with_failed_event(i);
    default:
        return acquire_any();
    }
}

// ---------------------------------------------------------------------------
// Checks and the end
// ---------------------------------------------------------------------------

void Worker::check_holder(Ticket &t) {
    Resource &r = *t.res;
    // The state first: a grant callback on another thread may move this
    // ticket into use at any time, but only this thread moves it out.
    bool in_use_here = t.state.load(std::memory_order_acquire) == kInUse;
    int writers = r.writers.load();
    int readers = r.readers.load();
    if (writers < 0 || writers > 1 || readers < 0)
        violation("resource %d: %d exclusive and %d shared holders at once", r.index, writers,
                  readers);
    if (in_use_here && t.mode == Mode::kExclusive && (writers != 1 || readers != 0))
        violation("resource %d: exclusive ticket %llu in use beside %d exclusive and %d "
                  "shared holders",
                  r.index, static_cast<unsigned long long>(t.position), writers - 1, readers);
    if (in_use_here && t.mode == Mode::kShared && (writers != 0 || readers < 1))
        violation("resource %d: shared ticket %llu in use with %d exclusive and %d shared "
                  "holders",
                  r.index, static_cast<unsigned long long>(t.position), writers, readers);
    if (r.tracked && r.frontier.load() > r.acquired.load())
        violation("resource %d: released positions beyond the acquired ones", r.index);
}

void Worker::check_after_operation() {
    for (const TicketPtr &t : held_)
        check_holder(*t);
    for (const MultiPtr &m : multis_)
        for (const TicketPtr &p : m->parts)
            check_holder(*p);
}

// Every ticket of this thread is released; each deferred barrier ends
// once its ticket's predecessors have released too. A marker behind them
// all tells when (it ends, completed or failed, after them), and only
// then may the queue go.
void Worker::drain_deferred_queue() {
    cl_event marker = nullptr;
    if (clEnqueueMarkerWithWaitList(deferred_queue_, 0, nullptr, &marker) != CL_SUCCESS)
        violation("clEnqueueMarkerWithWaitList failed on the deferred queue");
    clFlush(deferred_queue_);
    ordo_deadline deadline = ordo_now() + s_.options.stuck_ns;
    while (marker != nullptr && !ended(marker)) {
        if (ordo_now() > deadline) {
            violation("thread %d: a deferred device wait has not ended %.1f s after this "
                      "thread released all its tickets",
                      index_, s_.options.stuck_ns / 1e9);
            break;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (marker != nullptr)
        clReleaseEvent(marker);
    clReleaseCommandQueue(deferred_queue_);
}

} // namespace ordo_stress

namespace {

using namespace ordo_stress;

void count_warnings(void *, int level, const char *message) {
    if (level < ORDO_LOG_WARNING)
        return;
    if (std::strncmp(message, "a holder has waited", 19) == 0)
        g_wait_warnings.fetch_add(1, std::memory_order_relaxed);
    else
        g_warnings.fetch_add(1, std::memory_order_relaxed);
}

[[noreturn]] void usage(const char *argv0) {
    std::fprintf(stderr,
                 "usage: %s [--threads N] [--ops M] [--resources K] [--free F] [--seed S] "
                 "[--stuck-ms B] [--hold H] [--deferred-failures 0|1]\n",
                 argv0);
    std::exit(2);
}

Options parse(int argc, char **argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h")
            usage(argv[0]);
        if (i + 1 >= argc)
            usage(argv[0]);
        char *end = nullptr;
        errno = 0;
        unsigned long long v = std::strtoull(argv[++i], &end, 0);
        if (errno != 0 || *end != '\0')
            usage(argv[0]);
        if (a == "--threads" && v >= 1 && v <= 256)
            o.threads = static_cast<int>(v);
        else if (a == "--ops")
            o.ops = static_cast<long>(v);
        else if (a == "--resources" && v >= 1 && v <= 4096)
            o.resources = static_cast<int>(v);
        else if (a == "--free" && v <= 4096)
            o.free_resources = static_cast<int>(v);
        else if (a == "--seed") {
            o.seed = v;
            o.seed_given = true;
        } else if (a == "--stuck-ms" && v >= 1)
            o.stuck_ns = static_cast<int64_t>(v) * 1'000'000;
        else if (a == "--hold" && v >= 1 && v <= 64)
            o.hold = static_cast<int>(v);
        else if (a == "--deferred-failures" && v <= 1)
            o.deferred_failures = static_cast<int>(v);
        else
            usage(argv[0]);
    }
    if (!o.seed_given)
        o.seed = std::random_device{}();
    return o;
}

} // namespace

int main(int argc, char **argv) {
    Shared s;
    s.options = parse(argc, argv);
    g_seed = s.options.seed;
    const Options &o = s.options;
    std::printf("ordo-stress: seed %llu, %d threads, %ld operations, %d resources (+%d free)\n",
                static_cast<unsigned long long>(o.seed), o.threads, o.ops, o.resources,
                o.free_resources);
    std::fflush(stdout);

    cl_platform_id platform = nullptr;
    cl_int err = clGetPlatformIDs(1, &platform, nullptr);
    if (err == CL_SUCCESS)
        err = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &s.device, nullptr);
    if (err == CL_SUCCESS)
        s.context = clCreateContext(nullptr, 1, &s.device, nullptr, nullptr, &err);
    if (err != CL_SUCCESS) {
        std::fprintf(stderr, "ordo-stress: no OpenCL device (%d)\n", err);
        return 2;
    }
    char platform_name[256] = {};
    clGetPlatformInfo(platform, CL_PLATFORM_NAME, sizeof platform_name - 1, platform_name, nullptr);
    if (std::strstr(platform_name, "Oclgrind") != nullptr) {
        // Oclgrind 21.10 enqueues into an unsynchronised std::map: commands
        // enqueued from several threads at once crash it.
        std::printf("ordo-stress: skipped: Oclgrind does not support enqueuing from several "
                    "threads\n");
        clReleaseContext(s.context);
        return 77; // meson's "skipped"
    }
    if (s.options.deferred_failures < 0)
        s.options.deferred_failures =
            std::strstr(platform_name, "Portable Computing Language") == nullptr;
    if (!s.options.deferred_failures)
        std::printf("ordo-stress: deferred device waits only on grants that came without "
                    "failure (POCL 3.1 crashes when a user event a queued command waits for "
                    "fails while the queue is in use; --deferred-failures 1 to try)\n");
    ordo_log_set_callback(count_warnings, nullptr);

    for (int i = 0; i < o.resources + o.free_resources; ++i) {
        bool tracked = i < o.resources;
        s.resources.push_back(
            std::make_unique<Resource>(i, tracked, static_cast<uint64_t>(o.ops) + 1));
        Resource &r = *s.resources.back();
        (tracked ? s.tracked : s.free).push_back(&r);
        std::string name = (tracked ? "stress-" : "stress-free-") + std::to_string(i);
        CHECK_STATUS(ordo_resource_create(&r, name.c_str(), &r.handle), check_status_ == ORDO_OK);
    }
    // Two rings over tracked resources, one over free ones.
    std::mt19937_64 ring_rng(o.seed ^ 0x5bd1e995u);
    for (int k = 0; k < 3; ++k) {
        const std::vector<Resource *> &pool = k < 2 || s.free.empty() ? s.tracked : s.free;
        s.rings.push_back(std::make_unique<Ring>());
        build_ring(*s.rings.back(), pool, ring_rng);
    }
    const char *tmp = std::getenv("TMPDIR");
    s.trace_prefix = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/ordo-stress-" +
                     std::to_string(getpid()) + "-";
    s.slots = std::vector<WaitSlot>(o.threads);
    Events events(s.context);
    Watchdog watchdog(o.stuck_ns, s.slots, s.resources);
    Jobs jobs(3);
    Completions completions;
    s.completions = &completions;
    s.events = &events;
    s.watchdog = &watchdog;
    s.jobs = &jobs;
    events.start();
    watchdog.start();
    jobs.start();
    completions.start();

    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int i = 0; i < o.threads; ++i) {
        long share = o.ops / o.threads + (i < o.ops % o.threads ? 1 : 0);
        threads.emplace_back([&s, i, share] { Worker(s, i, share).run(); });
    }
    for (auto &t : threads)
        t.join();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    // Wind down: complete every event, let every future complete, and check
    // that every reference comes back.
    jobs.stop();
    events.stop();
    watchdog.stop();
    watchdog.drain();
    completions.stop(o.stuck_ns);
    ordo_trace_stop();
    ordo_diagnostics_set_wait_warning(0);
    ordo_diagnostics_enable(0);
    for (auto &r : s.resources) {
        if (r->writers.load() != 0 || r->readers.load() != 0)
            violation("resource %d: still in use at the end", r->index);
        if (r->tracked && advance_frontier(*r) != r->acquired.load())
            violation("resource %d: ticket %llu was never released", r->index,
                      static_cast<unsigned long long>(r->frontier.load()));
        CHECK_STATUS(ordo_resource_destroy(r->handle), check_status_ == ORDO_OK);
    }
    // The rings outlive the resources' handles (they keep the resources).
    for (auto &g : s.rings)
        CHECK_STATUS(ordo_ring_destroy(g->handle), check_status_ == ORDO_OK);
    events.check_baselines(o.stuck_ns);
    ordo_events_flush_releases(ORDO_DEADLINE_NEVER);
    clReleaseContext(s.context);
    ordo_log_set_callback(nullptr, nullptr);

    // Both paths of the fast cycle, and the ways between them, must have run
    // for the model to have checked them (counted in non-release builds).
    ordo_fast_path_counts fast{};
    bool counted = ordo_diagnostics_fast_path(&fast) == ORDO_OK;
    if (counted) {
        std::printf("ordo-stress: fast cycle: %llu acquired, %llu put back, %llu left (%llu with "
                    "a successor), %llu idle again, %llu lost races, %llu orphans\n",
                    static_cast<unsigned long long>(fast.acquired),
                    static_cast<unsigned long long>(fast.put_back),
                    static_cast<unsigned long long>(fast.left),
                    static_cast<unsigned long long>(fast.replaced),
                    static_cast<unsigned long long>(fast.idle_again),
                    static_cast<unsigned long long>(fast.lost_races),
                    static_cast<unsigned long long>(fast.orphans));
        if (o.ops >= 50000) {
            std::pair<const char *, uint64_t> needed[] = {{"acquired", fast.acquired},
                                                          {"put back", fast.put_back},
                                                          {"left", fast.left},
                                                          {"left with a successor", fast.replaced},
                                                          {"idle again", fast.idle_again}};
            for (auto [what, n] : needed)
                if (n == 0)
                    violation("no fast ticket was %s: the model never checked that path", what);
        }
    }

    long violations = g_violations.load();
    const Counters &c = g_count;
    std::printf("ordo-stress: %.0f operations/s (%ld in %.2f s on %d threads)\n",
                static_cast<double>(o.ops) / seconds, o.ops, seconds, o.threads);
    std::printf("ordo-stress: %s: seed %llu, %ld acquires (%ld shared, %ld in %ld multi-tickets, "
                "%ld through rings, %ld free), %ld grants checked, %ld shared overlaps, %ld "
                "timeouts, %ld waits without deadline, %ld device waits, %ld deferred, %ld grant "
                "futures completed (%ld read from a completion queue), %ld async waits, %ld event "
                "failures, %ld ready/%ld one by one/%ld "
                "fail/%ld drop/%ld cancel, %ld misuses refused, %ld diagnostics calls (%ld dumps, "
                "%ld traces, %ld wait warnings), %ld cl_events back to baseline; against the "
                "model: %ld grants' events or failure, %ld barriers, %ld job queue calls (and "
                "%ld reads of its backlog), %ld grant futures given up, %ld stale handles "
                "refused; %ld violations\n",
                violations == 0 ? "PASS" : "FAIL", static_cast<unsigned long long>(o.seed),
                c.acquires.load(), c.shared_acquires.load(), c.multi_parts.load(),
                c.multi_acquires.load(), c.ring_acquires.load(), c.free_acquires.load(),
                c.grants_seen.load(), c.shared_overlaps.load(), c.timeouts.load(),
                c.never_waits.load(), c.device_waits.load(), c.deferred_waits.load(),
                c.grant_callbacks.load(), c.completions_read.load(), c.async_waits.load(),
                c.event_failures.load(), c.releases.load(), c.release_ones.load(), c.fails.load(),
                c.drops.load(), c.cancels.load(), c.misuse_refused.load(), c.diagnostics.load(),
                c.dumps.load(), c.traces_written.load(), g_wait_warnings.load(),
                c.events_checked.load(), c.grants_carried.load(), c.barriers_checked.load(),
                c.jobs.load(), jobs.reads(), c.given_up.load(), c.stale_refused.load(), violations);
    if (g_warnings.load() < c.drops.load())
        std::printf("ordo-stress: note: %ld drops but %ld warnings\n", c.drops.load(),
                    g_warnings.load());
    return violations == 0 ? 0 : 1;
}
