// ordo-bench: each figure of BENCHMARKS.md beside its baseline, measured in
// the same binary and run, with the ratio printed at the end (a Markdown
// table). Google Benchmark flags apply (--benchmark_filter=...,
// --benchmark_repetitions=N: the table then uses the medians); --quick
// shrinks the fixed-size figures for a smoke run.
//
// Everything goes through the public API (ordo.h, ordo.hpp).
#include <ordo/ordo.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <functional>
#include <future>
#include <malloc.h>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

bool g_quick = false;

// One OpenCL context on the first device of the first platform, for user
// events (not cl::Device::getDefault(): see tools/ordo-demo.cpp).
cl_context g_context = nullptr;

void require_ok(benchmark::State &state, int status, const char *what) {
    if (status != ORDO_OK) [[unlikely]]
        state.SkipWithError((std::string(what) + ": " + ordo_last_error_message()).c_str());
}

// ---------------------------------------------------------------------------
// 1. The uncontended cycle: acquire -> wait (granted at once) -> release,
//    against a std::mutex lock/unlock pair.

void BM_MutexLockUnlock(benchmark::State &state) {
    std::mutex m;
    for (auto _ : state) {
        m.lock();
        m.unlock();
    }
}
BENCHMARK(BM_MutexLockUnlock);

void BM_CycleC(benchmark::State &state) {
    ordo_resource r = nullptr;
    ordo_resource_create(nullptr, "bench", &r);
    for (auto _ : state) {
        ordo_ticket t = nullptr;
        int status = ordo_resource_acquire(r, &t);
        status |= ordo_ticket_wait(t, ORDO_DEADLINE_NEVER, nullptr, nullptr);
        status |= ordo_ticket_ready(t, nullptr, 0);
        status |= ordo_ticket_destroy(t);
        require_ok(state, status, "cycle");
    }
    ordo_resource_destroy(r);
}
BENCHMARK(BM_CycleC);

void BM_CycleCpp(benchmark::State &state) {
    ordo::Resource r(nullptr, "bench");
    for (auto _ : state) {
        ordo::Ticket t = r.acquire();
        t.wait_view();
        t.ready();
    }
}
BENCHMARK(BM_CycleCpp);

// ---------------------------------------------------------------------------
// 2. A million tickets queued on one resource, then drained in order: time
//    per acquire, time per drain step (wait, ready, destroy), and resident
//    memory per pending ticket. Baseline: the same queue built from the
//    standard library, a std::promise/std::future pair per ticket.
//
//    Each iteration queues and drains the million twice: first on fresh
//    memory (heap trimmed: the resident-memory delta, and acquire times that
//    include the page faults), then again on the memory the first pass gave
//    back to the allocator (the steady state of a long-running pipeline).

size_t resident_bytes() {
    long pages = 0, resident = 0;
    if (FILE *f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        std::fclose(f);
    }
    return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

size_t million() {
    return g_quick ? 10000 : 1000000;
}

// Queue is the implementation under test: start() before a pass, then
// acquire(i) for i in [0, n), then drain(i) in the same order, then finish().
template <class Queue>
void queue_million(benchmark::State &state, Queue &queue) {
    const size_t n = million();
    double cold_ns = 0, warm_ns = 0, drain_ns = 0, bytes = 0;
    for (auto _ : state) {
        double warm_pass_ns = 0;
        for (int pass = 0; pass < 2; ++pass) {
            queue.start();
            if (pass == 0)
                malloc_trim(0);
            size_t before = resident_bytes();
            int64_t t0 = ordo_now();
            for (size_t i = 0; i < n; ++i)
                queue.acquire(i);
            int64_t t1 = ordo_now();
            size_t after = resident_bytes();
            for (size_t i = 0; i < n; ++i)
                queue.drain(i);
            int64_t t2 = ordo_now();
            queue.finish();
            if (pass == 0) {
                cold_ns += static_cast<double>(t1 - t0) / n;
                bytes += (static_cast<double>(after) - static_cast<double>(before)) / n;
            } else {
                warm_pass_ns = static_cast<double>(t1 - t0);
                warm_ns += warm_pass_ns / n;
                drain_ns += static_cast<double>(t2 - t1) / n;
            }
        }
        state.SetIterationTime(warm_pass_ns / 1e9);
    }
    double runs = static_cast<double>(state.iterations());
    state.counters["ns_per_acquire"] = warm_ns / runs;
    state.counters["ns_per_acquire_cold"] = cold_ns / runs;
    state.counters["ns_per_drain"] = drain_ns / runs;
    state.counters["bytes_per_ticket"] = bytes / runs;
}

class OrdoMillion {
public:
    // The caller's handle array is allocated and touched beforehand: the
    // figure is the library's memory per pending ticket.
    explicit OrdoMillion(benchmark::State &state) : state_(state), tickets_(million(), nullptr) {}
    void start() { ordo_resource_create(nullptr, "million", &r_); }
    void acquire(size_t i) { status_ |= ordo_resource_acquire(r_, &tickets_[i]); }
    void drain(size_t i) {
        status_ |= ordo_ticket_wait(tickets_[i], ORDO_DEADLINE_NEVER, nullptr, nullptr);
        status_ |= ordo_ticket_ready(tickets_[i], nullptr, 0);
        status_ |= ordo_ticket_destroy(tickets_[i]);
    }
    void finish() {
        ordo_resource_destroy(r_);
        require_ok(state_, status_, "million tickets");
    }

private:
    benchmark::State &state_;
    std::vector<ordo_ticket> tickets_;
    ordo_resource r_ = nullptr;
    int status_ = ORDO_OK;
};

void BM_QueueMillionOrdo(benchmark::State &state) {
    OrdoMillion queue(state);
    queue_million(state, queue);
}
BENCHMARK(BM_QueueMillionOrdo)->UseManualTime()->Iterations(3)->Unit(benchmark::kMillisecond);

// A ticket made of standard parts: a future for the grant, a promise for the
// release; the queue's tail is the future of the last release.
struct StdTicket {
    std::future<void> grant;
    std::promise<void> release;
};
class StdMillion {
public:
    void start() {
        tickets_.reserve(million());
        std::promise<void> first;
        first.set_value();
        tail_ = first.get_future();
    }
    void acquire(size_t) {
        StdTicket t;
        std::lock_guard lock(mutex_);
        t.grant = std::move(tail_);
        tail_ = t.release.get_future();
        tickets_.push_back(std::move(t));
    }
    void drain(size_t i) {
        tickets_[i].grant.get();
        tickets_[i].release.set_value();
        tickets_[i] = StdTicket{};
    }
    void finish() {
        std::vector<StdTicket>().swap(tickets_);
        tail_ = {};
    }

private:
    std::mutex mutex_;
    std::future<void> tail_; // guarded by mutex_: the next ticket's grant
    std::vector<StdTicket> tickets_;
};

void BM_QueueMillionStd(benchmark::State &state) {
    StdMillion queue;
    queue_million(state, queue);
}
BENCHMARK(BM_QueueMillionStd)->UseManualTime()->Iterations(3)->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------------------
// 3. Two threads alternating tickets on one resource, each blocking in a host
//    wait until the other releases. One iteration is a round trip (two
//    hand-overs). Baseline: a mutex + condition variable ping-pong.

void BM_PingPongOrdo(benchmark::State &state) {
    ordo::Resource r(nullptr, "ping-pong");
    std::atomic<bool> stop{false};
    // Each side takes its next ticket before releasing the current one, so
    // the tickets alternate between the threads.
    ordo::Ticket mine = r.acquire();
    std::thread partner(
        [&](ordo::Ticket held) {
            for (;;) {
                held.wait_view();
                if (stop.load(std::memory_order_acquire)) {
                    held.ready();
                    return;
                }
                ordo::Ticket next = r.acquire();
                held.ready();
                held = std::move(next);
            }
        },
        r.acquire());
    for (auto _ : state) {
        ordo::Ticket next = r.acquire();
        mine.ready();
        next.wait_view();
        mine = std::move(next);
    }
    stop.store(true, std::memory_order_release);
    mine.ready();
    partner.join();
}
BENCHMARK(BM_PingPongOrdo)->UseRealTime();

void BM_PingPongCondvar(benchmark::State &state) {
    // A condition variable per direction, notified after unlocking.
    std::mutex m;
    std::condition_variable to_partner, to_main;
    int turn = 0; // guarded by m: 0 main, 1 partner, 2 stop
    auto hand_over = [&](int next, std::condition_variable &cv) {
        {
            std::lock_guard lock(m);
            turn = next;
        }
        cv.notify_one();
    };
    std::thread partner([&] {
        for (;;) {
            {
                std::unique_lock lock(m);
                to_partner.wait(lock, [&] { return turn != 0; });
                if (turn == 2)
                    return;
            }
            hand_over(0, to_main);
        }
    });
    for (auto _ : state) {
        hand_over(1, to_partner);
        std::unique_lock lock(m);
        to_main.wait(lock, [&] { return turn == 0; });
    }
    hand_over(2, to_partner);
    partner.join();
}
BENCHMARK(BM_PingPongCondvar)->UseRealTime();

// ---------------------------------------------------------------------------
// 4. Wake-up latency: a user event set complete in one thread, and the host
//    wait of the next holder returns in another. Baseline: a bare
//    clSetEventCallback that signals a condition variable. Rounds of the two
//    alternate, so that both see the same machine. In each round the waiter
//    registers its wait and is given time to block; a sample is the time from
//    clSetUserEventStatus to the return of the waiter's blocking call.

struct WakeVariant {
    std::function<void(cl_event)> prepare; // main thread, before the round
    std::function<int64_t(cl_event)> wait; // waiter: blocks, returns ordo_now() after
    std::vector<int64_t> samples;
};

void wake_rounds(benchmark::State &state, size_t rounds, std::vector<WakeVariant *> variants) {
    std::atomic<int> phase{0}; // 0 idle, 1 go, 2 about to wait, 3 returned, -1 stop
    std::atomic<int64_t> woke_at{0};
    WakeVariant *current = nullptr; // published by `phase`
    cl_event event = nullptr;       // published by `phase`
    std::thread waiter([&] {
        for (;;) {
            int p;
            while ((p = phase.load(std::memory_order_acquire)) != 1)
                if (p < 0)
                    return;
            phase.store(2, std::memory_order_release);
            woke_at.store(current->wait(event), std::memory_order_relaxed);
            phase.store(3, std::memory_order_release);
        }
    });
    for (size_t i = 0; i < rounds * variants.size() && !state.error_occurred(); ++i) {
        cl_int err = CL_SUCCESS;
        current = variants[i % variants.size()];
        event = clCreateUserEvent(g_context, &err);
        current->prepare(event);
        phase.store(1, std::memory_order_release);
        while (phase.load(std::memory_order_acquire) != 2) {
        }
        // Let the waiter reach its blocking wait (registration, then sleep).
        int64_t settle = ordo_now() + 200'000;
        while (ordo_now() < settle) {
        }
        int64_t set_at = ordo_now();
        clSetUserEventStatus(event, CL_COMPLETE);
        while (phase.load(std::memory_order_acquire) != 3) {
        }
        current->samples.push_back(woke_at.load(std::memory_order_relaxed) - set_at);
        phase.store(0, std::memory_order_release);
        clReleaseEvent(event);
    }
    phase.store(-1, std::memory_order_release);
    waiter.join();
}

double percentile(std::vector<int64_t> samples, double q) {
    std::sort(samples.begin(), samples.end());
    return static_cast<double>(samples[static_cast<size_t>(q * (samples.size() - 1))]);
}

void BM_Wake(benchmark::State &state) {
    ordo_resource r = nullptr;
    ordo_resource_create(nullptr, "wake", &r);
    ordo_ticket next = nullptr;
    WakeVariant ordo_wait{
        [&](cl_event event) {
            // The holder releases with the event; the next holder's wait
            // returns once it is granted and the event is complete.
            ordo_ticket held = nullptr;
            int status = ordo_resource_acquire(r, &held);
            status |= ordo_resource_acquire(r, &next);
            status |= ordo_ticket_wait(held, ORDO_DEADLINE_NEVER, nullptr, nullptr);
            status |= ordo_ticket_ready(held, &event, 1);
            status |= ordo_ticket_destroy(held);
            require_ok(state, status, "wake: prepare");
        },
        [&](cl_event) {
            int status = ordo_ticket_wait_complete(next, ORDO_DEADLINE_NEVER, nullptr, nullptr);
            int64_t woke = ordo_now();
            status |= ordo_ticket_ready(next, nullptr, 0);
            status |= ordo_ticket_destroy(next);
            require_ok(state, status, "wake: wait");
            return woke;
        },
        {}};
    // Static: a runtime thread may still be returning from notify_one()
    // after the waiter has seen `done`.
    static struct Signal {
        std::mutex m;
        std::condition_variable cv;
        bool done = false;
    } signal;
    WakeVariant callback_wait{[&](cl_event) {
                                  std::lock_guard lock(signal.m);
                                  signal.done = false;
                              },
                              [&](cl_event event) {
                                  clSetEventCallback(
                                      event, CL_COMPLETE,
                                      [](cl_event, cl_int, void *data) {
                                          auto *sig = static_cast<Signal *>(data);
                                          {
                                              std::lock_guard lock(sig->m);
                                              sig->done = true;
                                          }
                                          sig->cv.notify_one();
                                      },
                                      &signal);
                                  std::unique_lock lock(signal.m);
                                  signal.cv.wait(lock, [&] { return signal.done; });
                                  return ordo_now();
                              },
                              {}};
    for (auto _ : state) {
        size_t before = ordo_wait.samples.size();
        wake_rounds(state, g_quick ? 20 : 2000, {&ordo_wait, &callback_wait});
        int64_t total = 0;
        for (size_t i = before; i < ordo_wait.samples.size(); ++i)
            total += ordo_wait.samples[i];
        state.SetIterationTime(total / 1e9 /
                               static_cast<double>(ordo_wait.samples.size() - before));
    }
    ordo_resource_destroy(r);
    ordo_events_flush_releases(ORDO_DEADLINE_NEVER);
    if (ordo_wait.samples.empty() || callback_wait.samples.empty())
        return;
    state.counters["ordo_p50_ns"] = percentile(ordo_wait.samples, 0.50);
    state.counters["ordo_p99_ns"] = percentile(ordo_wait.samples, 0.99);
    state.counters["callback_p50_ns"] = percentile(callback_wait.samples, 0.50);
    state.counters["callback_p99_ns"] = percentile(callback_wait.samples, 0.99);
}
BENCHMARK(BM_Wake)->UseManualTime()->Iterations(1)->Unit(benchmark::kMicrosecond);

// ---------------------------------------------------------------------------
// 4b. Many pending host waits: 10,000 user events, an asynchronous wait on
//     each registered, then every event set complete, then every wait
//     waited for; time per wait, from the first registration to the last
//     return. Baseline: a bare clSetEventCallback per event, counting down
//     to a condition variable. Run with OCL_ICD_VENDORS naming one runtime
//     to see what its callbacks cost.

size_t pending_waits() {
    return g_quick ? 200 : 10000;
}

std::vector<cl_event> user_events(benchmark::State &state, size_t n) {
    std::vector<cl_event> events(n);
    for (cl_event &e : events) {
        cl_int err = CL_SUCCESS;
        e = clCreateUserEvent(g_context, &err);
        if (err != CL_SUCCESS)
            state.SkipWithError("clCreateUserEvent failed");
    }
    return events;
}

void BM_PendingWaitsOrdo(benchmark::State &state) {
    const size_t n = pending_waits();
    for (auto _ : state) {
        std::vector<cl_event> events = user_events(state, n);
        std::vector<ordo_future> waits(n);
        int status = ORDO_OK;
        auto start = std::chrono::steady_clock::now();
        for (size_t i = 0; i < n; ++i)
            status |= ordo_events_wait_async(&events[i], 1, &waits[i]);
        for (cl_event e : events)
            clSetUserEventStatus(e, CL_COMPLETE);
        if (status == ORDO_OK)
            for (ordo_future f : waits)
                status |= ordo_future_wait(f, ORDO_DEADLINE_NEVER, 0);
        auto end = std::chrono::steady_clock::now();
        require_ok(state, status, "pending waits");
        for (ordo_future f : waits)
            ordo_future_destroy(f);
        for (cl_event e : events)
            clReleaseEvent(e);
        // The service thread's leftovers must not overlap what runs next.
        ordo_events_flush_releases(ORDO_DEADLINE_NEVER);
        state.SetIterationTime(std::chrono::duration<double>(end - start).count() /
                               static_cast<double>(n));
    }
}
BENCHMARK(BM_PendingWaitsOrdo)->UseManualTime()->Iterations(3)->Unit(benchmark::kMicrosecond);

void BM_PendingWaitsCallback(benchmark::State &state) {
    const size_t n = pending_waits();
    // Static: a runtime thread may still be returning from notify_one()
    // after the main thread has seen the count reach zero.
    static struct CountDown {
        std::mutex m;
        std::condition_variable cv;
        size_t left = 0;
    } count;
    for (auto _ : state) {
        std::vector<cl_event> events = user_events(state, n);
        {
            std::lock_guard lock(count.m);
            count.left = n;
        }
        cl_int err = CL_SUCCESS;
        auto start = std::chrono::steady_clock::now();
        for (cl_event e : events)
            err |= clSetEventCallback(
                e, CL_COMPLETE,
                [](cl_event, cl_int, void *data) {
                    auto *c = static_cast<CountDown *>(data);
                    bool last;
                    {
                        std::lock_guard lock(c->m);
                        last = --c->left == 0;
                    }
                    if (last)
                        c->cv.notify_one();
                },
                &count);
        for (cl_event e : events)
            clSetUserEventStatus(e, CL_COMPLETE);
        if (err == CL_SUCCESS) { // else some callbacks may never come
            std::unique_lock lock(count.m);
            count.cv.wait(lock, [] { return count.left == 0; });
        }
        auto end = std::chrono::steady_clock::now();
        for (cl_event e : events)
            clReleaseEvent(e);
        if (err != CL_SUCCESS) {
            state.SkipWithError("clSetEventCallback failed");
            break;
        }
        state.SetIterationTime(std::chrono::duration<double>(end - start).count() /
                               static_cast<double>(n));
    }
}
BENCHMARK(BM_PendingWaitsCallback)->UseManualTime()->Iterations(3)->Unit(benchmark::kMicrosecond);

// ---------------------------------------------------------------------------
// 5. Acquire throughput with 1, 2 and 4 threads: all on one resource, or each
//    thread on its own. Each operation is acquire -> ready -> destroy, never
//    waiting (a release before the grant is legal and is chained). Baseline:
//    a std::mutex lock/unlock pair, shared or one per thread.

constexpr int kMaxThreads = 4;
ordo_resource g_shared = nullptr;
ordo_resource g_own[kMaxThreads] = {};
std::mutex g_shared_mutex;
struct alignas(64) PaddedMutex {
    std::mutex m;
};
PaddedMutex g_own_mutex[kMaxThreads];

void acquire_loop(benchmark::State &state, ordo_resource r) {
    for (auto _ : state) {
        ordo_ticket t = nullptr;
        int status = ordo_resource_acquire(r, &t);
        status |= ordo_ticket_ready(t, nullptr, 0);
        status |= ordo_ticket_destroy(t);
        require_ok(state, status, "acquire");
    }
}

void BM_AcquireOneResource(benchmark::State &state) {
    acquire_loop(state, g_shared);
}
void BM_AcquireOwnResource(benchmark::State &state) {
    acquire_loop(state, g_own[state.thread_index()]);
}
void BM_MutexShared(benchmark::State &state) {
    for (auto _ : state) {
        g_shared_mutex.lock();
        g_shared_mutex.unlock();
    }
}
void BM_MutexOwn(benchmark::State &state) {
    std::mutex &m = g_own_mutex[state.thread_index()].m;
    for (auto _ : state) {
        m.lock();
        m.unlock();
    }
}
BENCHMARK(BM_AcquireOneResource)->Threads(1)->Threads(2)->Threads(4)->UseRealTime();
BENCHMARK(BM_AcquireOwnResource)->Threads(1)->Threads(2)->Threads(4)->UseRealTime();
BENCHMARK(BM_MutexShared)->Threads(1)->Threads(2)->Threads(4)->UseRealTime();
BENCHMARK(BM_MutexOwn)->Threads(1)->Threads(2)->Threads(4)->UseRealTime();

// ---------------------------------------------------------------------------
// The summary: keeps each benchmark's figures (the median when repeated) and
// prints the table with ratios.

struct Figures {
    double ns = 0; // real time per iteration
    std::map<std::string, double> counters;
};

class Summary : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run> &runs) override {
        ConsoleReporter::ReportRuns(runs);
        for (const Run &run : runs) {
            if (run.error_occurred) {
                ++errors_;
                continue;
            }
            bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
            if (run.run_type == Run::RT_Aggregate && !median)
                continue;
            std::string key = run.run_name.function_name + "/" + std::to_string(run.threads);
            if (!median && medians_.count(key) != 0)
                continue;
            if (median)
                medians_.insert(key);
            Figures f;
            f.ns =
                run.GetAdjustedRealTime() * 1e9 / benchmark::GetTimeUnitMultiplier(run.time_unit);
            for (const auto &[name, counter] : run.counters)
                f.counters[name] = counter.value;
            figures_[key] = f;
        }
    }

    void print_table() const {
        std::printf("\n## ordo-bench summary\n\n"
                    "| figure | ordo | baseline | ratio | target | met |\n"
                    "| --- | ---: | ---: | ---: | --- | --- |\n");
        auto ns = [&](const char *name, int threads = 1) {
            return get(name, threads, "");
        };
        auto cnt = [&](const char *name, const char *counter) {
            return get(name, 1, counter);
        };
        row("uncontended acquire, wait, release (C API) vs std::mutex lock+unlock", "%.1f ns",
            ns("BM_CycleC"), ns("BM_MutexLockUnlock"), "ratio <= 2", 2.0);
        row("the same cycle through ordo.hpp (C++ API) vs std::mutex lock+unlock", "%.1f ns",
            ns("BM_CycleCpp"), ns("BM_MutexLockUnlock"), "ratio <= 2", 2.0);
        double acquire = cnt("BM_QueueMillionOrdo", "ns_per_acquire");
        row("1,000,000 tickets queued: time per acquire vs std::promise/future queue", "%.1f ns",
            acquire, cnt("BM_QueueMillionStd", "ns_per_acquire"), "<= 100 ns", 0, acquire <= 100);
        double cold = cnt("BM_QueueMillionOrdo", "ns_per_acquire_cold");
        row("the same on fresh memory (page faults included)", "%.1f ns", cold,
            cnt("BM_QueueMillionStd", "ns_per_acquire_cold"), "<= 100 ns", 0, cold <= 100);
        double bytes = cnt("BM_QueueMillionOrdo", "bytes_per_ticket");
        row("1,000,000 tickets queued: resident bytes per pending ticket", "%.0f B", bytes,
            cnt("BM_QueueMillionStd", "bytes_per_ticket"), "<= 128 B", 0, bytes <= 128);
        row("then drained in order: wait, ready, destroy per ticket", "%.1f ns",
            cnt("BM_QueueMillionOrdo", "ns_per_drain"), cnt("BM_QueueMillionStd", "ns_per_drain"),
            "-", 0);
        row("two threads alternating tickets, blocking waits: round trip vs mutex+condvar",
            "%.2f us", ns("BM_PingPongOrdo") / 1e3, ns("BM_PingPongCondvar") / 1e3, "ratio <= 1.2",
            1.2);
        row("user event set -> next holder's host wait returns, p50, vs clSetEventCallback+condvar",
            "%.2f us", cnt("BM_Wake", "ordo_p50_ns") / 1e3, cnt("BM_Wake", "callback_p50_ns") / 1e3,
            "ratio <= 1.2", 1.2);
        row("the same, p99", "%.2f us", cnt("BM_Wake", "ordo_p99_ns") / 1e3,
            cnt("BM_Wake", "callback_p99_ns") / 1e3, "reported", 0);
        row("10,000 pending host waits: register, fire, return, per wait, vs clSetEventCallback",
            "%.2f us", ns("BM_PendingWaitsOrdo") / 1e3, ns("BM_PendingWaitsCallback") / 1e3,
            "reported", 0);
        std::printf("\nratio = ordo / baseline: above 1, ordo takes longer.\n");

        std::printf("\n### acquire throughput (acquire, ready, destroy; never waits)\n\n"
                    "| threads | one resource | one std::mutex | ratio | scaling | a resource "
                    "each | a std::mutex each | ratio | scaling |\n"
                    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (int threads : {1, 2, 4}) {
            std::printf("| %d", threads);
            for (auto [mine, theirs] : {std::pair{"BM_AcquireOneResource", "BM_MutexShared"},
                                        std::pair{"BM_AcquireOwnResource", "BM_MutexOwn"}}) {
                double o = ns(mine, threads), b = ns(theirs, threads), o1 = ns(mine, 1);
                if (o < 0 || b < 0 || o1 < 0) {
                    std::printf(" | not run | | | ");
                    continue;
                }
                std::printf(" | %.2f Mops/s | %.2f Mops/s | %.2fx | %.2fx", 1e3 / o, 1e3 / b, o / b,
                            o1 / o);
            }
            std::printf(" |\n");
        }
        std::printf("\nMops/s: millions of operations per second, all threads together; "
                    "ratio = ordo time per operation / baseline's; scaling = throughput / "
                    "throughput with 1 thread.\n");
    }

private:
    double get(const std::string &name, int threads, const std::string &counter) const {
        auto it = figures_.find(name + "/" + std::to_string(threads));
        if (it == figures_.end())
            return -1;
        if (counter.empty())
            return it->second.ns;
        auto c = it->second.counters.find(counter);
        return c == it->second.counters.end() ? -1 : c->second;
    }

    // One row; `limit` > 0 checks the ratio against it, else `met` (1/0)
    // says whether an absolute target was met (-1: no target).
    static void row(const char *what, const char *format, double ordo, double baseline,
                    const char *target, double limit, int met = -1) {
        if (ordo < 0 || baseline < 0) {
            std::printf("| %s | not run | | | %s | |\n", what, target);
            return;
        }
        char a[32], b[32];
        std::snprintf(a, sizeof a, format, ordo);
        std::snprintf(b, sizeof b, format, baseline);
        double ratio = ordo / baseline;
        if (limit > 0)
            met = ratio <= limit;
        std::printf("| %s | %s | %s | %.2fx | %s | %s |\n", what, a, b, ratio, target,
                    met < 0 ? "-"
                    : met   ? "yes"
                            : "**no**");
    }

public:
    int errors() const { return errors_; }

private:
    int errors_ = 0;
    std::map<std::string, Figures> figures_;
    std::set<std::string> medians_;
};

bool open_context() {
    cl_platform_id platform = nullptr;
    cl_device_id device = nullptr;
    cl_uint n = 0;
    if (clGetPlatformIDs(1, &platform, &n) != CL_SUCCESS || n == 0 ||
        clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &device, &n) != CL_SUCCESS || n == 0)
        return false;
    cl_int err = CL_SUCCESS;
    g_context = clCreateContext(nullptr, 1, &device, nullptr, nullptr, &err);
    return err == CL_SUCCESS;
}

} // namespace

int main(int argc, char **argv) {
    std::vector<char *> args;
    for (int i = 0; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0)
            g_quick = true;
        else
            args.push_back(argv[i]);
    }
    int n = static_cast<int>(args.size());
    benchmark::Initialize(&n, args.data());
    if (benchmark::ReportUnrecognizedArguments(n, args.data()))
        return 2;
    if (!open_context()) {
        std::fprintf(stderr, "ordo-bench: no OpenCL device\n");
        return 2;
    }
    ordo_resource_create(nullptr, "shared", &g_shared);
    for (ordo_resource &r : g_own)
        ordo_resource_create(nullptr, "own", &r);

    Summary summary;
    benchmark::RunSpecifiedBenchmarks(&summary);
    summary.print_table();
    benchmark::Shutdown();

    ordo_resource_destroy(g_shared);
    for (ordo_resource r : g_own)
        ordo_resource_destroy(r);
    ordo_events_flush_releases(ORDO_DEADLINE_NEVER);
    clReleaseContext(g_context);
    return summary.errors() == 0 ? 0 : 1;
}
