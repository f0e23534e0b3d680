// ordo-stress: many threads doing random operations on a few resources
// through the C ABI, checking after every operation that ordo keeps its
// promises.
//
//   ordo-stress [--threads N] [--ops M] [--resources K] [--seed S]
//               [--stuck-ms B] [--hold H]
//
// Each of N threads (default 8) does its share of M operations (default
// 100,000) on K resources (default 16), holding up to H tickets at a time:
// acquire; wait for a grant on the host (grant only, or grant and events),
// on the device (a barrier on the thread's own queue), through a grant future
// with a callback, or with an asynchronous wait for the grant's events; with
// deadlines that often expire. It releases with user events that another
// thread completes a little later, with an event that has already failed, or
// with the device wait's marker; it fails tickets, drops them without
// release, cancels them (directly or through the grant future), and checks
// that misuse (a second release, a wait after release) is refused.
//
// Invariants, checked after every operation (a violation is reported with
// the resource and ticket position, and makes the exit status 1):
//  - grants in ticket order: whenever a ticket is seen granted, every ticket
//    acquired before it on that resource has been released;
//  - mutual exclusion: an atomic in-use count per resource is never above
//    one while holders use it (between seeing the grant and releasing);
//  - no lost wake-up: a watchdog reports any ticket, grant future or
//    asynchronous wait still pending a generous time (--stuck-ms, default
//    20 s) after everything it waits for has happened, and any blocking
//    wait that overruns its deadline by that much;
//  - statuses are the documented ones, and a timeout never comes early;
//  - at the end, every cl_event's reference count is back to its baseline.
//
// A run prints operations per second and a one-line summary. --seed makes
// each thread's sequence of operations repeatable (thread interleavings are
// not). A run "at length": ordo-stress --ops 10000000.
//
// Shared tickets: each ticket carries a Mode; the order check
// (predecessors_released) and the holder count (enter/leave) are the two
// places that a shared mode has to extend.
#include <ordo/ordo.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kAppFailure = ORDO_STATUS_USER_BASE - 1;
constexpr cl_int kFailedEventStatus = -77;

struct Options {
    int threads = 8;
    long ops = 100'000;
    int resources = 16;
    int hold = 3;
    uint64_t seed = 0;
    bool seed_given = false;
    int64_t stuck_ns = 20'000'000'000;
};

// ---------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------

std::atomic<long> g_violations{0};
uint64_t g_seed = 0;
std::mutex g_report_mutex;

void violation(const char *format, ...) __attribute__((format(printf, 1, 2)));
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

#define CHECK_STATUS(expr, ...)                                                                    \
    do {                                                                                           \
        int check_status_ = (expr);                                                                \
        if (!(__VA_ARGS__))                                                                        \
            violation("%s returned %s (%s) at %s:%d", #expr, ordo_status_string(check_status_),    \
                      ordo_last_error_message(), __FILE__, __LINE__);                              \
    } while (0)

// Counters for the summary.
struct Counters {
    std::atomic<long> acquires{0}, grants_seen{0}, timeouts{0}, event_failures{0}, releases{0},
        fails{0}, drops{0}, cancels{0}, device_waits{0}, grant_callbacks{0}, async_waits{0},
        misuse_refused{0}, events_created{0}, events_checked{0};
};
Counters g_count;
std::atomic<long> g_warnings{0};

void count_warnings(void *, int level, const char *) {
    if (level >= ORDO_LOG_WARNING)
        g_warnings.fetch_add(1, std::memory_order_relaxed);
}

// ---------------------------------------------------------------------------
// Per-resource bookkeeping
// ---------------------------------------------------------------------------

// One flag per ticket position, in pages allocated on first use.
class PositionFlags {
public:
    explicit PositionFlags(uint64_t capacity) : pages_((capacity >> kShift) + 2) {}
    ~PositionFlags() {
        for (auto &p : pages_)
            delete[] p.load();
    }
    void set(uint64_t position) {
        page(position, true)[position & kMask].store(1, std::memory_order_release);
    }
    bool test(uint64_t position) {
        std::atomic<uint8_t> *p = page(position, false);
        return p != nullptr && p[position & kMask].load(std::memory_order_acquire) != 0;
    }

private:
    static constexpr int kShift = 12;
    static constexpr uint64_t kMask = (uint64_t{1} << kShift) - 1;
    std::atomic<uint8_t> *page(uint64_t position, bool create) {
        auto &slot = pages_.at(position >> kShift);
        std::atomic<uint8_t> *p = slot.load(std::memory_order_acquire);
        if (p == nullptr && create) {
            auto *fresh = new std::atomic<uint8_t>[kMask + 1]();
            if (slot.compare_exchange_strong(p, fresh, std::memory_order_acq_rel))
                p = fresh;
            else
                delete[] fresh;
        }
        return p;
    }
    std::vector<std::atomic<std::atomic<uint8_t> *>> pages_;
};

enum class Mode { kExclusive }; // kShared: see the comment at the top

struct Resource {
    Resource(int i, uint64_t capacity) : index(i), released(capacity) {}
    int index;
    ordo_resource handle = nullptr;
    // Held across acquire so that positions follow ordo's order.
    std::mutex acquire_mutex;
    uint64_t next_position = 0; // guarded by acquire_mutex
    std::atomic<uint64_t> acquired{0};
    PositionFlags released;            // set just before each release call
    std::atomic<uint64_t> frontier{0}; // every position below it is released
    std::atomic<int> exclusive_in_use{0};
};

// Moves the frontier over released positions; returns it.
uint64_t advance_frontier(Resource &r) {
    uint64_t f = r.frontier.load(std::memory_order_acquire);
    while (r.released.test(f)) {
        if (r.frontier.compare_exchange_weak(f, f + 1, std::memory_order_acq_rel))
            ++f;
    }
    return f;
}

// ---------------------------------------------------------------------------
// Tickets
// ---------------------------------------------------------------------------

enum TicketState : int { kHeld = 0, kEntering = 1, kInUse = 2, kReleased = 3 };

struct Ticket {
    Resource *res = nullptr;
    uint64_t position = 0;
    Mode mode = Mode::kExclusive;
    ordo_ticket handle = nullptr;
    std::atomic<int> state{kHeld};
    ordo_future grant = nullptr;       // owner's handle to the grant future, if taken
    std::vector<cl_event> device_work; // our references: the device wait's barrier and marker
    int64_t eligible_since = 0;        // owner: first failed wait after predecessors released
    // Watchdog (grant callbacks):
    std::atomic<bool> callback_pending{false};
    int64_t callback_eligible_since = 0; // watchdog only
};
using TicketPtr = std::shared_ptr<Ticket>;

// All positions before t's are released: a grant of t is in order.
bool predecessors_released(Ticket &t) {
    return advance_frontier(*t.res) >= t.position;
}

void enter(Ticket &t) {
    int before = t.res->exclusive_in_use.fetch_add(1, std::memory_order_acq_rel);
    if (before != 0)
        violation("resource %d: ticket %llu granted while another holder uses the resource (%d)",
                  t.res->index, static_cast<unsigned long long>(t.position), before);
}

void leave(Ticket &t) {
    t.res->exclusive_in_use.fetch_sub(1, std::memory_order_acq_rel);
}

// The ticket was seen granted (by `how`): check the order, and start using
// the resource unless the holder already released it.
void observe_grant(Ticket &t, const char *how) {
    g_count.grants_seen.fetch_add(1, std::memory_order_relaxed);
    if (!predecessors_released(t))
        violation("resource %d: ticket %llu granted (%s) before ticket %llu was released",
                  t.res->index, static_cast<unsigned long long>(t.position), how,
                  static_cast<unsigned long long>(t.res->frontier.load()));
    int expected = kHeld;
    if (t.state.compare_exchange_strong(expected, kEntering, std::memory_order_acq_rel)) {
        enter(t);
        t.state.store(kInUse, std::memory_order_release);
    }
}

// Marks the ticket released (before the release call). False if it already was.
bool begin_release(Ticket &t) {
    int s = t.state.load(std::memory_order_acquire);
    for (;;) {
        if (s == kReleased)
            return false;
        if (s == kEntering) { // a callback is between its two steps
            std::this_thread::yield();
            s = t.state.load(std::memory_order_acquire);
            continue;
        }
        if (t.state.compare_exchange_weak(s, kReleased, std::memory_order_acq_rel))
            break;
    }
    if (s == kInUse)
        leave(t);
    t.res->released.set(t.position);
    return true;
}

// ---------------------------------------------------------------------------
// Events: created by the threads, completed later by the completer thread,
// and checked for their reference count at the end.
// ---------------------------------------------------------------------------

class Events {
public:
    explicit Events(cl_context context) : context_(context) {}

    cl_event make_user_event() {
        cl_int err = CL_SUCCESS;
        cl_event e = clCreateUserEvent(context_, &err);
        if (err != CL_SUCCESS) {
            violation("clCreateUserEvent failed: %d", err);
            return nullptr;
        }
        g_count.events_created.fetch_add(1, std::memory_order_relaxed);
        return e;
    }

    // Completes e (our reference) after a short delay, then tracks it.
    void complete_later(cl_event e, int64_t delay_ns) {
        std::lock_guard lock(mutex_);
        pending_.push_back({e, ordo_now() + delay_ns});
        wake_.notify_one();
    }
    // An event whose status is final: tracked until its count is back to 1.
    void track(cl_event e) {
        std::lock_guard lock(mutex_);
        tracked_.push_back(e);
    }

    void start() {
        thread_ = std::thread([this] { run(); });
    }
    // Completes everything pending and stops the thread.
    void stop() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_one();
        thread_.join();
    }

    // At the end: every tracked event's count must return to 1 (ours).
    void check_baselines(int64_t bound_ns) {
        ordo_deadline deadline = ordo_now() + bound_ns;
        ordo_flush_releases(deadline);
        for (cl_event e : tracked_) {
            cl_uint count = 0;
            for (;;) {
                clGetEventInfo(e, CL_EVENT_REFERENCE_COUNT, sizeof count, &count, nullptr);
                if (count <= 1 || ordo_now() > deadline)
                    break;
                ordo_flush_releases(deadline);
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
            if (count != 1)
                violation("cl_event %p: reference count %u at the end, baseline 1",
                          static_cast<void *>(e), count);
            else
                g_count.events_checked.fetch_add(1, std::memory_order_relaxed);
            clReleaseEvent(e);
        }
        tracked_.clear();
    }

private:
    struct Pending {
        cl_event event;
        int64_t due;
    };

    void run() {
        std::unique_lock lock(mutex_);
        int64_t next_reap = ordo_now();
        for (;;) {
            int64_t now = ordo_now();
            std::vector<cl_event> due;
            for (size_t i = 0; i < pending_.size();) {
                if (stopping_ || pending_[i].due <= now) {
                    due.push_back(pending_[i].event);
                    pending_[i] = pending_.back();
                    pending_.pop_back();
                } else {
                    ++i;
                }
            }
            bool reap = now >= next_reap;
            std::vector<cl_event> candidates;
            if (reap) {
                candidates.swap(tracked_);
                next_reap = now + 50'000'000;
            }
            bool stop = stopping_ && pending_.empty();
            lock.unlock();
            for (cl_event e : due)
                clSetUserEventStatus(e, CL_COMPLETE);
            // Events back to their baseline with a final status are done with:
            // ordo holds no reference, and none will be handed to it again.
            std::vector<cl_event> keep;
            for (cl_event e : candidates) {
                cl_uint count = 0;
                cl_int status = CL_QUEUED;
                clGetEventInfo(e, CL_EVENT_REFERENCE_COUNT, sizeof count, &count, nullptr);
                clGetEventInfo(e, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status,
                               nullptr);
                if (count == 1 && status <= CL_COMPLETE) {
                    g_count.events_checked.fetch_add(1, std::memory_order_relaxed);
                    clReleaseEvent(e);
                } else
                    keep.push_back(e);
            }
            lock.lock();
            tracked_.insert(tracked_.end(), due.begin(), due.end());
            tracked_.insert(tracked_.end(), keep.begin(), keep.end());
            if (stop)
                return;
            if (due.empty())
                wake_.wait_for(lock, std::chrono::microseconds(200));
        }
    }

    cl_context context_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<Pending> pending_; // guarded by mutex_
    std::vector<cl_event> tracked_;
    bool stopping_ = false; // guarded by mutex_
    std::thread thread_;
};

// ---------------------------------------------------------------------------
// The watchdog: grant futures and asynchronous waits that should have
// completed, and blocking waits that overrun their deadlines.
// ---------------------------------------------------------------------------

struct AsyncWait {
    ordo_future future = nullptr;
    std::vector<cl_event> events; // our references
    std::atomic<int> callbacks{0};
    int64_t eligible_since = 0; // watchdog only
};

// A blocking wait in progress, published by its thread: a seqlock-style
// snapshot (generation odd while a wait is published).
struct WaitSlot {
    std::atomic<uint64_t> generation{0};
    std::atomic<int> resource{0};
    std::atomic<uint64_t> position{0};
    std::atomic<int64_t> deadline{0};
    // Watchdog only:
    uint64_t seen_generation = 0;
    int64_t eligible_since = 0;
};

class Watchdog {
public:
    Watchdog(int64_t bound_ns, std::vector<WaitSlot> &slots,
             const std::vector<std::unique_ptr<Resource>> &resources)
        : bound_(bound_ns), slots_(slots), resources_(resources) {}

    void watch_grant(TicketPtr t) {
        std::lock_guard lock(mutex_);
        grants_.push_back(std::move(t));
    }
    void watch_async(std::unique_ptr<AsyncWait> w) {
        std::lock_guard lock(mutex_);
        asyncs_.push_back(std::move(w));
    }

    void start() {
        thread_ = std::thread([this] {
            std::unique_lock lock(stop_mutex_);
            while (!stop_) {
                stop_wake_.wait_for(lock, std::chrono::milliseconds(20));
                lock.unlock();
                sweep(false);
                lock.lock();
            }
        });
    }
    void stop() {
        {
            std::lock_guard lock(stop_mutex_);
            stop_ = true;
        }
        stop_wake_.notify_one();
        thread_.join();
    }

    // At the end: everything watched must complete within the bound.
    void drain() {
        ordo_deadline deadline = ordo_now() + bound_;
        for (;;) {
            sweep(false);
            {
                std::lock_guard lock(mutex_);
                if (grants_.empty() && asyncs_.empty())
                    return;
            }
            if (ordo_now() > deadline)
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        sweep(true);
    }

private:
    void sweep(bool final) {
        int64_t now = ordo_now();
        std::lock_guard lock(mutex_);
        for (size_t i = 0; i < grants_.size();) {
            Ticket &t = *grants_[i];
            if (!t.callback_pending.load(std::memory_order_acquire)) {
                grants_[i] = std::move(grants_.back());
                grants_.pop_back();
                continue;
            }
            if (predecessors_released(t)) {
                if (t.callback_eligible_since == 0)
                    t.callback_eligible_since = now;
                if (final || now - t.callback_eligible_since > bound_) {
                    violation("resource %d: the grant future of ticket %llu has not completed "
                              "%.1f s after every earlier ticket was released",
                              t.res->index, static_cast<unsigned long long>(t.position),
                              (now - t.callback_eligible_since) / 1e9);
                    t.callback_pending.store(false);
                }
            }
            ++i;
        }
        for (size_t i = 0; i < asyncs_.size();) {
            AsyncWait &w = *asyncs_[i];
            int status = ordo_future_poll(w.future);
            if (status != ORDO_PENDING && w.callbacks.load(std::memory_order_acquire) == 1) {
                if (status != ORDO_OK && status != ORDO_ERROR_EVENT_FAILED)
                    violation("asynchronous wait ended with %s", ordo_status_string(status));
                ordo_future_destroy(w.future);
                for (cl_event e : w.events)
                    clReleaseEvent(e);
                asyncs_[i] = std::move(asyncs_.back());
                asyncs_.pop_back();
                continue;
            }
            bool settled = true;
            for (cl_event e : w.events) {
                cl_int s = CL_QUEUED;
                clGetEventInfo(e, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof s, &s, nullptr);
                settled = settled && s <= CL_COMPLETE;
            }
            if (settled) {
                if (w.eligible_since == 0)
                    w.eligible_since = now;
                if (final || now - w.eligible_since > bound_) {
                    violation("an asynchronous wait for %zu event(s) is still %s %.1f s after "
                              "its events ended",
                              w.events.size(), status == ORDO_PENDING ? "pending" : "uncalled",
                              (now - w.eligible_since) / 1e9);
                    w.eligible_since = now + (int64_t{1} << 62); // report once
                }
            }
            ++i;
        }
        for (WaitSlot &slot : slots_) {
            uint64_t g = slot.generation.load(std::memory_order_acquire);
            int index = slot.resource.load(std::memory_order_acquire);
            uint64_t position = slot.position.load(std::memory_order_acquire);
            int64_t deadline = slot.deadline.load(std::memory_order_acquire);
            if (g % 2 == 0 || slot.generation.load(std::memory_order_acquire) != g)
                continue; // no wait in progress, or it just changed
            if (g != slot.seen_generation) {
                slot.seen_generation = g;
                slot.eligible_since = 0;
            }
            Resource &r = *resources_[index];
            if (deadline != ORDO_DEADLINE_NEVER && now > deadline + bound_)
                violation("resource %d: a wait for ticket %llu overran its deadline by %.1f s",
                          index, static_cast<unsigned long long>(position), (now - deadline) / 1e9);
            if (advance_frontier(r) < position)
                continue;
            if (slot.eligible_since == 0)
                slot.eligible_since = now;
            if (now - slot.eligible_since > bound_) {
                // A waiter left waiting: the run cannot end, so end it here.
                violation("resource %d: a wait without deadline for ticket %llu is still blocked "
                          "%.1f s after every earlier ticket was released (lost wake-up)",
                          index, static_cast<unsigned long long>(position),
                          (now - slot.eligible_since) / 1e9);
                std::fflush(stderr);
                std::printf("ordo-stress: FAIL: seed %llu, stuck wait\n",
                            static_cast<unsigned long long>(g_seed));
                std::fflush(stdout);
                std::_Exit(1);
            }
        }
    }

    int64_t bound_;
    std::vector<WaitSlot> &slots_;
    const std::vector<std::unique_ptr<Resource>> &resources_;
    std::mutex mutex_;
    std::vector<TicketPtr> grants_;                  // guarded by mutex_
    std::vector<std::unique_ptr<AsyncWait>> asyncs_; // guarded by mutex_
    std::mutex stop_mutex_;
    std::condition_variable stop_wake_;
    bool stop_ = false;
    std::thread thread_;
};

// ---------------------------------------------------------------------------
// Callbacks
// ---------------------------------------------------------------------------

struct GrantCallback {
    TicketPtr ticket;
};

void on_grant_future(void *data, int status) {
    auto *cb = static_cast<GrantCallback *>(data);
    Ticket &t = *cb->ticket;
    g_count.grant_callbacks.fetch_add(1, std::memory_order_relaxed);
    if (status == ORDO_OK || status == kAppFailure)
        observe_grant(t, "grant future callback");
    else if (status != ORDO_ERROR_CANCELLED)
        violation("resource %d: grant future of ticket %llu completed with %s", t.res->index,
                  static_cast<unsigned long long>(t.position), ordo_status_string(status));
    t.callback_pending.store(false, std::memory_order_release);
    delete cb;
}

void on_async_wait(void *data, int) {
    static_cast<AsyncWait *>(data)->callbacks.fetch_add(1, std::memory_order_acq_rel);
}

// ---------------------------------------------------------------------------
// The worker threads
// ---------------------------------------------------------------------------

struct Shared {
    Options options;
    cl_context context = nullptr;
    cl_device_id device = nullptr;
    std::vector<std::unique_ptr<Resource>> resources;
    std::vector<WaitSlot> slots;
    Events *events = nullptr;
    Watchdog *watchdog = nullptr;
};

class Worker {
public:
    Worker(Shared &shared, int index, long ops)
        : s_(shared), index_(index), ops_(ops),
          rng_(shared.options.seed * 0x9e3779b97f4a7c15ull + static_cast<uint64_t>(index) + 1) {}

    void run() {
        cl_int err = CL_SUCCESS;
        queue_ = clCreateCommandQueue(s_.context, s_.device, 0, &err);
        if (err != CL_SUCCESS) {
            violation("clCreateCommandQueue failed: %d", err);
            return;
        }
        for (long i = 0; i < ops_; ++i) {
            one_operation();
            check_after_operation();
        }
        while (!held_.empty())
            release_any(pick_held());
        clFinish(queue_);
        clReleaseCommandQueue(queue_);
    }

private:
    uint32_t roll(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }

    size_t pick_held() { return roll(static_cast<uint32_t>(held_.size())); }

    // A deadline that often has passed or passes soon.
    ordo_deadline pick_deadline() {
        switch (roll(10)) {
        case 0:
        case 1:
        case 2:
        case 3:
            return ordo_now() - 1; // a poll
        case 4:
        case 5:
        case 6:
        case 7:
        case 8:
            return ordo_deadline_after(roll(500'000)); // up to 0.5 ms
        default:
            return ordo_deadline_after(roll(5'000'000)); // up to 5 ms
        }
    }

    void one_operation() {
        int hold = s_.options.hold;
        if (held_.empty() || (held_.size() < static_cast<size_t>(hold) && roll(4) == 0)) {
            acquire();
            return;
        }
        size_t i = pick_held();
        switch (roll(20)) {
        case 0:
        case 1:
        case 2:
            host_wait(i, false);
            break;
        case 3:
        case 4:
            host_wait(i, true);
            break;
        case 5:
        case 6:
            device_wait(i);
            break;
        case 7:
            grant_future(i);
            break;
        case 8:
            async_wait_for_grant_events(i);
            break;
        case 9:
        case 10:
        case 11:
        case 12:
            release_ready(i);
            break;
        case 13:
            release_fail(i);
            break;
        case 14:
            drop(i);
            break;
        case 15:
            cancel(i);
            break;
        case 16:
            cancel_through_grant_future(i);
            break;
        case 17:
            release_with_failed_event(i);
            break;
        default:
            acquire();
            break;
        }
    }

    void acquire() {
        if (held_.size() >= static_cast<size_t>(s_.options.hold) + 2)
            return release_any(pick_held());
        Resource &r = *s_.resources[roll(static_cast<uint32_t>(s_.resources.size()))];
        auto t = std::make_shared<Ticket>();
        t->res = &r;
        {
            std::lock_guard lock(r.acquire_mutex);
            CHECK_STATUS(ordo_resource_acquire(r.handle, &t->handle), check_status_ == ORDO_OK);
            t->position = r.next_position++;
            r.acquired.store(r.next_position, std::memory_order_release);
        }
        g_count.acquires.fetch_add(1, std::memory_order_relaxed);
        held_.push_back(std::move(t));
    }

    bool released(size_t i) { return held_[i]->state.load() == kReleased; }

    // A grant-only wait that timed out although every earlier ticket has been
    // released long ago is a lost wake-up.
    void note_timeout(Ticket &t, ordo_deadline deadline) {
        g_count.timeouts.fetch_add(1, std::memory_order_relaxed);
        if (ordo_now() < deadline)
            violation("resource %d: a wait for ticket %llu timed out before its deadline",
                      t.res->index, static_cast<unsigned long long>(t.position));
        if (!predecessors_released(t)) {
            t.eligible_since = 0;
            return;
        }
        int64_t now = ordo_now();
        if (t.eligible_since == 0)
            t.eligible_since = now;
        else if (now - t.eligible_since > s_.options.stuck_ns)
            violation("resource %d: ticket %llu is still not granted %.1f s after every earlier "
                      "ticket was released",
                      t.res->index, static_cast<unsigned long long>(t.position),
                      (now - t.eligible_since) / 1e9);
    }

    void publish_wait(Ticket *t, ordo_deadline deadline) {
        WaitSlot &slot = s_.slots[index_];
        slot.resource.store(t->res->index, std::memory_order_release);
        slot.position.store(t->position, std::memory_order_release);
        slot.deadline.store(deadline, std::memory_order_release);
        slot.generation.fetch_add(1, std::memory_order_acq_rel); // odd: published
    }
    void end_wait() { s_.slots[index_].generation.fetch_add(1, std::memory_order_acq_rel); }

    // Waits without a deadline, only while holding this one ticket: every
    // blocked thread then waits for a ticket earlier on the same resource
    // than its own, so the waits cannot form a cycle.
    ordo_deadline pick_wait_deadline() {
        if (held_.size() == 1 && roll(8) == 0)
            return ORDO_DEADLINE_NEVER;
        return pick_deadline();
    }

    void host_wait(size_t i, bool complete) {
        Ticket &t = *held_[i];
        if (released(i))
            return misuse_after_release(i);
        ordo_deadline deadline = pick_wait_deadline();
        const cl_event *events = nullptr;
        size_t n = 0;
        publish_wait(&t, deadline);
        int status = complete ? ordo_ticket_wait_complete(t.handle, deadline, &events, &n)
                              : ordo_ticket_wait(t.handle, deadline, &events, &n);
        end_wait();
        switch (status) {
        case ORDO_OK:
        case kAppFailure:
            t.eligible_since = 0;
            observe_grant(t, complete ? "host wait for grant and events" : "host wait");
            if (status == ORDO_OK && complete)
                for (size_t k = 0; k < n; ++k) {
                    cl_int s = CL_QUEUED;
                    clGetEventInfo(events[k], CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof s, &s,
                                   nullptr);
                    if (s != CL_COMPLETE)
                        violation("resource %d: wait_complete of ticket %llu returned with an "
                                  "event in status %d",
                                  t.res->index, static_cast<unsigned long long>(t.position), s);
                }
            break;
        case ORDO_ERROR_EVENT_FAILED:
            if (!complete)
                violation("ordo_ticket_wait returned ORDO_ERROR_EVENT_FAILED");
            g_count.event_failures.fetch_add(1, std::memory_order_relaxed);
            observe_grant(t, "host wait whose events failed");
            break;
        case ORDO_ERROR_TIMEOUT:
            if (!complete)
                note_timeout(t, deadline);
            else
                g_count.timeouts.fetch_add(1, std::memory_order_relaxed);
            break;
        default:
            violation("resource %d: host wait of ticket %llu returned %s (%s)", t.res->index,
                      static_cast<unsigned long long>(t.position), ordo_status_string(status),
                      ordo_last_error_message());
        }
    }

    void device_wait(size_t i) {
        Ticket &t = *held_[i];
        if (released(i))
            return misuse_after_release(i);
        ordo_deadline deadline = pick_deadline();
        cl_event barrier = nullptr;
        publish_wait(&t, deadline);
        int status = ordo_ticket_enqueue_wait(t.handle, queue_, deadline, &barrier);
        end_wait();
        g_count.device_waits.fetch_add(1, std::memory_order_relaxed);
        switch (status) {
        case ORDO_OK: {
            observe_grant(t, "device wait");
            if (barrier != nullptr)
                t.device_work.push_back(barrier);
            // Some device work after the barrier: released with the ticket.
            cl_event marker = nullptr;
            if (clEnqueueMarkerWithWaitList(queue_, 0, nullptr, &marker) == CL_SUCCESS)
                t.device_work.push_back(marker);
            break;
        }
        case kAppFailure:
            observe_grant(t, "device wait");
            break;
        case ORDO_ERROR_EVENT_FAILED:
            g_count.event_failures.fetch_add(1, std::memory_order_relaxed);
            observe_grant(t, "device wait on a failed event");
            break;
        case ORDO_ERROR_TIMEOUT:
            note_timeout(t, deadline);
            break;
        default:
            violation("resource %d: device wait of ticket %llu returned %s (%s)", t.res->index,
                      static_cast<unsigned long long>(t.position), ordo_status_string(status),
                      ordo_last_error_message());
        }
    }

    void grant_future(size_t i) {
        TicketPtr &t = held_[i];
        if (released(i))
            return misuse_after_release(i);
        if (t->grant != nullptr) {
            // Wait for it with a deadline instead.
            ordo_deadline deadline = pick_deadline();
            int status = ordo_future_wait(t->grant, deadline, 0);
            if (status == ORDO_OK || status == kAppFailure)
                observe_grant(*t, "grant future wait");
            else if (status != ORDO_ERROR_TIMEOUT && status != ORDO_ERROR_CANCELLED)
                violation("grant future wait returned %s", ordo_status_string(status));
            return;
        }
        CHECK_STATUS(ordo_ticket_grant_future(t->handle, &t->grant), check_status_ == ORDO_OK);
        t->callback_pending.store(true);
        s_.watchdog->watch_grant(t);
        auto *cb = new GrantCallback{t};
        CHECK_STATUS(ordo_future_on_complete(t->grant, on_grant_future, cb),
                     check_status_ == ORDO_OK);
        if (roll(2) == 0) { // the callback stays registered without the handle
            ordo_future_destroy(t->grant);
            t->grant = nullptr;
        }
    }

    void async_wait_for_grant_events(size_t i) {
        Ticket &t = *held_[i];
        if (released(i))
            return misuse_after_release(i);
        const cl_event *events = nullptr;
        size_t n = 0;
        int status = ordo_ticket_wait(t.handle, ordo_now() - 1, &events, &n);
        if (status == ORDO_ERROR_TIMEOUT) {
            note_timeout(t, ordo_now() - 1);
            return;
        }
        if (status != ORDO_OK && status != kAppFailure) {
            violation("ordo_ticket_wait returned %s", ordo_status_string(status));
            return;
        }
        observe_grant(t, "poll before an asynchronous wait");
        if (status != ORDO_OK || n == 0)
            return;
        auto w = std::make_unique<AsyncWait>();
        CHECK_STATUS(ordo_wait_events_async(events, n, &w->future), check_status_ == ORDO_OK);
        if (w->future == nullptr)
            return;
        for (size_t k = 0; k < n; ++k) {
            clRetainEvent(events[k]);
            w->events.push_back(events[k]);
        }
        CHECK_STATUS(ordo_future_on_complete(w->future, on_async_wait, w.get()),
                     check_status_ == ORDO_OK);
        g_count.async_waits.fetch_add(1, std::memory_order_relaxed);
        s_.watchdog->watch_async(std::move(w));
    }

    // User events completed later by the completer thread, plus the device
    // wait's barrier and marker.
    std::vector<cl_event> events_to_release(Ticket &t) {
        std::vector<cl_event> list = std::move(t.device_work);
        t.device_work.clear();
        for (uint32_t k = roll(3); k > 0; --k)
            if (cl_event e = s_.events->make_user_event())
                list.push_back(e);
        return list;
    }

    void hand_over(Ticket &t, std::vector<cl_event> &list) {
        for (cl_event e : list) {
            cl_command_queue q = nullptr;
            clGetEventInfo(e, CL_EVENT_COMMAND_QUEUE, sizeof q, &q, nullptr);
            if (q == nullptr)
                s_.events->complete_later(e, roll(1'000'000));
            else
                s_.events->track(e);
        }
        list.clear();
        (void)t;
    }

    void finish(size_t i, bool misuse) {
        if (misuse)
            misuse_after_release(i);
        CHECK_STATUS(ordo_ticket_destroy(held_[i]->handle), check_status_ == ORDO_OK);
        if (held_[i]->grant != nullptr)
            ordo_future_destroy(held_[i]->grant);
        held_[i]->handle = nullptr;
        held_[i] = std::move(held_.back());
        held_.pop_back();
    }

    void release_ready(size_t i) {
        Ticket &t = *held_[i];
        std::vector<cl_event> list = events_to_release(t);
        if (!begin_release(t))
            return finish(i, true);
        CHECK_STATUS(ordo_ticket_ready(t.handle, list.data(), list.size()),
                     check_status_ == ORDO_OK);
        hand_over(t, list);
        g_count.releases.fetch_add(1, std::memory_order_relaxed);
        finish(i, roll(8) == 0);
    }

    void release_with_failed_event(size_t i) {
        Ticket &t = *held_[i];
        cl_event e = s_.events->make_user_event();
        if (e == nullptr)
            return;
        clSetUserEventStatus(e, kFailedEventStatus);
        for (cl_event d : t.device_work)
            s_.events->track(d);
        t.device_work.clear();
        if (!begin_release(t)) {
            s_.events->track(e);
            return finish(i, true);
        }
        CHECK_STATUS(ordo_ticket_ready(t.handle, &e, 1), check_status_ == ORDO_OK);
        // Tracked only now: the completer releases a tracked event whose count
        // is back to 1, which it would be until ordo retains it.
        s_.events->track(e);
        g_count.releases.fetch_add(1, std::memory_order_relaxed);
        finish(i, false);
    }

    void release_fail(size_t i) {
        Ticket &t = *held_[i];
        for (cl_event d : t.device_work)
            s_.events->track(d);
        t.device_work.clear();
        if (!begin_release(t))
            return finish(i, true);
        CHECK_STATUS(ordo_ticket_fail(t.handle, kAppFailure, "stress failure"),
                     check_status_ == ORDO_OK);
        g_count.fails.fetch_add(1, std::memory_order_relaxed);
        finish(i, roll(8) == 0);
    }

    void drop(size_t i) {
        Ticket &t = *held_[i];
        for (cl_event d : t.device_work)
            s_.events->track(d);
        t.device_work.clear();
        begin_release(t);
        g_count.drops.fetch_add(1, std::memory_order_relaxed);
        finish(i, false); // destroyed unreleased: ordo releases it, with a warning
    }

    void cancel(size_t i) {
        Ticket &t = *held_[i];
        for (cl_event d : t.device_work)
            s_.events->track(d);
        t.device_work.clear();
        if (!begin_release(t))
            return finish(i, true);
        CHECK_STATUS(ordo_ticket_cancel(t.handle), check_status_ == ORDO_OK);
        g_count.cancels.fetch_add(1, std::memory_order_relaxed);
        finish(i, roll(8) == 0);
    }

    void cancel_through_grant_future(size_t i) {
        Ticket &t = *held_[i];
        if (t.grant == nullptr || ordo_future_poll(t.grant) != ORDO_PENDING)
            return cancel(i);
        for (cl_event d : t.device_work)
            s_.events->track(d);
        t.device_work.clear();
        if (!begin_release(t))
            return finish(i, true);
        int status = ordo_future_cancel(t.grant);
        if (status == ORDO_ERROR_INVALID_STATE) {
            // Granted meanwhile: the ticket is still held; give it up.
            CHECK_STATUS(ordo_ticket_cancel(t.handle), check_status_ == ORDO_OK);
        } else if (status != ORDO_OK) {
            violation("ordo_future_cancel returned %s", ordo_status_string(status));
        } else {
            // The grant future failed with ORDO_ERROR_CANCELLED; the ticket gave its place up.
            CHECK_STATUS(ordo_ticket_cancel(t.handle), check_status_ == ORDO_ERROR_INVALID_STATE);
        }
        g_count.cancels.fetch_add(1, std::memory_order_relaxed);
        finish(i, false);
    }

    void release_any(size_t i) {
        switch (roll(4)) {
        case 0:
            return drop(i);
        case 1:
            return release_fail(i);
        default:
            return release_ready(i);
        }
    }

    // Misuse of a released ticket is refused and changes nothing.
    void misuse_after_release(size_t i) {
        Ticket &t = *held_[i];
        CHECK_STATUS(ordo_ticket_ready(t.handle, nullptr, 0),
                     check_status_ == ORDO_ERROR_INVALID_STATE);
        CHECK_STATUS(ordo_ticket_wait(t.handle, ordo_now(), nullptr, nullptr),
                     check_status_ == ORDO_ERROR_INVALID_STATE);
        CHECK_STATUS(ordo_ticket_fail(t.handle, kAppFailure, nullptr),
                     check_status_ == ORDO_ERROR_INVALID_STATE);
        g_count.misuse_refused.fetch_add(3, std::memory_order_relaxed);
    }

    void check_after_operation() {
        for (const TicketPtr &t : held_) {
            Resource &r = *t->res;
            // The state first: a grant callback on another thread may move
            // this ticket into use at any time, but only this thread moves it out.
            bool in_use_here = t->state.load(std::memory_order_acquire) == kInUse;
            int in_use = r.exclusive_in_use.load(std::memory_order_acquire);
            if (in_use < 0 || in_use > 1)
                violation("resource %d: %d exclusive holders at once", r.index, in_use);
            if (in_use_here && in_use < 1)
                violation("resource %d: ticket %llu in use but the resource is not", r.index,
                          static_cast<unsigned long long>(t->position));
            if (r.frontier.load() > r.acquired.load())
                violation("resource %d: released positions beyond the acquired ones", r.index);
        }
    }

    Shared &s_;
    int index_;
    long ops_;
    std::mt19937_64 rng_;
    cl_command_queue queue_ = nullptr;
    std::vector<TicketPtr> held_;
};

[[noreturn]] void usage(const char *argv0) {
    std::fprintf(stderr,
                 "usage: %s [--threads N] [--ops M] [--resources K] [--seed S] [--stuck-ms B] "
                 "[--hold H]\n",
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
        else if (a == "--seed") {
            o.seed = v;
            o.seed_given = true;
        } else if (a == "--stuck-ms" && v >= 1)
            o.stuck_ns = static_cast<int64_t>(v) * 1'000'000;
        else if (a == "--hold" && v >= 1 && v <= 64)
            o.hold = static_cast<int>(v);
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
    std::printf("ordo-stress: seed %llu, %d threads, %ld operations, %d resources\n",
                static_cast<unsigned long long>(o.seed), o.threads, o.ops, o.resources);
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
    ordo_set_log_callback(count_warnings, nullptr);

    for (int i = 0; i < o.resources; ++i) {
        s.resources.push_back(std::make_unique<Resource>(i, static_cast<uint64_t>(o.ops) + 1));
        std::string name = "stress-" + std::to_string(i);
        CHECK_STATUS(ordo_resource_create(nullptr, name.c_str(), &s.resources.back()->handle),
                     check_status_ == ORDO_OK);
    }
    s.slots = std::vector<WaitSlot>(o.threads);
    Events events(s.context);
    Watchdog watchdog(o.stuck_ns, s.slots, s.resources);
    s.events = &events;
    s.watchdog = &watchdog;
    events.start();
    watchdog.start();

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
    events.stop();
    watchdog.stop();
    watchdog.drain();
    for (auto &r : s.resources) {
        if (r->exclusive_in_use.load() != 0)
            violation("resource %d: still in use at the end", r->index);
        if (advance_frontier(*r) != r->acquired.load())
            violation("resource %d: ticket %llu was never released", r->index,
                      static_cast<unsigned long long>(r->frontier.load()));
        CHECK_STATUS(ordo_resource_destroy(r->handle), check_status_ == ORDO_OK);
    }
    events.check_baselines(o.stuck_ns);
    ordo_flush_releases(ORDO_DEADLINE_NEVER);
    clReleaseContext(s.context);
    ordo_set_log_callback(nullptr, nullptr);

    long violations = g_violations.load();
    std::printf("ordo-stress: %.0f operations/s (%ld in %.2f s on %d threads)\n",
                static_cast<double>(o.ops) / seconds, o.ops, seconds, o.threads);
    std::printf("ordo-stress: %s: seed %llu, %ld acquires, %ld grants checked in order, %ld "
                "timeouts, %ld device waits, %ld grant callbacks, %ld async waits, %ld event "
                "failures, %ld ready/%ld fail/%ld drop/%ld cancel, %ld misuses refused, %ld "
                "cl_events back to baseline, %ld violations\n",
                violations == 0 ? "PASS" : "FAIL", static_cast<unsigned long long>(o.seed),
                g_count.acquires.load(), g_count.grants_seen.load(), g_count.timeouts.load(),
                g_count.device_waits.load(), g_count.grant_callbacks.load(),
                g_count.async_waits.load(), g_count.event_failures.load(), g_count.releases.load(),
                g_count.fails.load(), g_count.drops.load(), g_count.cancels.load(),
                g_count.misuse_refused.load(), g_count.events_checked.load(), violations);
    if (g_warnings.load() < g_count.drops.load())
        std::printf("ordo-stress: note: %ld drops but %ld warnings\n", g_count.drops.load(),
                    g_warnings.load());
    return violations == 0 ? 0 : 1;
}
