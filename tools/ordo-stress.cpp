// ordo-stress: many threads doing random operations on a few resources
// through the C ABI, checking after every operation that ordo keeps its
// promises.
//
//   ordo-stress [--threads N] [--ops M] [--resources K] [--free F] [--seed S]
//               [--stuck-ms B] [--hold H]
//
// Each of N threads (default 8) does its share of M operations (default
// 100,000) on K resources (default 16), holding up to H tickets at a time:
// acquire, exclusive or shared, one resource at a time, through a ring, or
// on 2-3 resources at once (ordo_acquire_many); wait for a grant on the host
// (grant only, or grant and events), on the device (a barrier on the
// thread's own queue, or a deferred barrier on a second queue), through a
// grant future with a callback, or with an asynchronous wait for the grant's
// events; with deadlines that often expire. It releases with user events
// that another thread completes a little later, with an event that has
// already failed, or with the device wait's marker; it fails tickets, drops
// them without release, cancels them (directly or through the grant
// future), releases the tickets of a multi-resource ticket together or one
// by one, and checks that misuse (a second release, a wait after release, a
// bad mode, a duplicate resource, an index out of range) is refused. At a
// low rate it names tickets, dumps queues, turns diagnostics and the
// long-wait warning on and off, and starts, stops and writes a trace.
//
// Invariants, checked after every operation (a violation is reported with
// the resource and ticket position, and makes the exit status 1):
//  - grants in ticket order: whenever an exclusive ticket is seen granted,
//    every ticket acquired before it on that resource has been released;
//    whenever a shared ticket is, every ticket up to the last exclusive one
//    before it has (a shared ticket never overtakes an earlier exclusive one);
//  - mutual exclusion: per resource, an atomic count of exclusive holders
//    and one of shared holders, between seeing the grant and releasing:
//    never an exclusive holder together with any other holder (shared
//    holders may overlap; how often they did is counted);
//  - no lost wake-up: a watchdog reports any ticket, grant future or
//    asynchronous wait still pending a generous time (--stuck-ms, default
//    20 s) after everything it waits for has happened, any blocking wait
//    that overruns its deadline by that much, and any acquire that does not
//    return within it;
//  - deadlock freedom: F more resources (--free, default 4) are acquired
//    without the tool serialising anything (so their positions are not
//    known and their order is not checked), often 2-3 at once by
//    ordo_acquire_many on heavily overlapping sets; a holder of a single
//    ticket or multi-ticket may wait for it without deadline, and the
//    watchdog reports such a wait still blocked after --stuck-ms;
//  - statuses are the documented ones, and a timeout never comes early; a
//    ring hands out its resources in turn (a refused acquire takes no turn);
//  - at the end, every cl_event's reference count is back to its baseline.
//
// Deferred device waits get a queue of their own per thread, on which
// nothing else is enqueued: on POCL a barrier that fails (its predecessor
// failed) fails the commands queued behind it. Their barriers are released
// with a ticket only once they have ended, so that no released event fails
// later.
//
// On POCL (3.1) a deferred wait is made only for a ticket seen granted
// without failure whose events have all completed (so its barrier cannot
// fail): POCL crashes, inside clSetUserEventStatus or on its own device
// thread, when a user event that a queued barrier waits for fails while
// other threads enqueue and flush on that queue, whichever thread sets it.
// --deferred-failures 1 exercises failing deferred barriers on other
// runtimes (the default there).
//
// A run prints operations per second and a one-line summary. --seed makes
// each thread's sequence of operations repeatable (thread interleavings are
// not). A run "at length": ordo-stress --ops 10000000.
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
#include <unistd.h>
#include <vector>

namespace {

constexpr int kAppFailure = ORDO_STATUS_USER_BASE - 1;
constexpr cl_int kFailedEventStatus = -77;
constexpr int kMaxParts = 3; // resources of a multi-resource ticket

struct Options {
    int threads = 8;
    long ops = 100'000;
    int resources = 16;
    int free_resources = 4;
    int hold = 3;
    uint64_t seed = 0;
    bool seed_given = false;
    int64_t stuck_ns = 20'000'000'000;
    int deferred_failures = -1; // -1: yes unless the platform is POCL
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
    std::atomic<long> acquires{0}, shared_acquires{0}, multi_acquires{0}, multi_parts{0},
        ring_acquires{0}, free_acquires{0}, grants_seen{0}, shared_overlaps{0}, timeouts{0},
        event_failures{0}, releases{0}, release_ones{0}, fails{0}, drops{0}, cancels{0},
        device_waits{0}, deferred_waits{0}, grant_callbacks{0}, async_waits{0}, never_waits{0},
        misuse_refused{0}, events_created{0}, events_checked{0}, diagnostics{0}, dumps{0},
        traces_written{0};
};
Counters g_count;
std::atomic<long> g_warnings{0}, g_wait_warnings{0};

void count_warnings(void *, int level, const char *message) {
    if (level < ORDO_LOG_WARNING)
        return;
    if (std::strncmp(message, "a holder has waited", 19) == 0)
        g_wait_warnings.fetch_add(1, std::memory_order_relaxed);
    else
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

enum class Mode { kExclusive, kShared };

const char *mode_name(Mode m) {
    return m == Mode::kShared ? "shared" : "exclusive";
}

// A tracked resource: the tool holds acquire_mutex across each acquire
// (plain, ring or multi) so that positions follow ordo's order. A free
// resource: acquired without the tool serialising anything; positions
// unknown, only mutual exclusion and progress are checked.
struct Resource {
    Resource(int i, bool is_tracked, uint64_t capacity)
        : index(i), tracked(is_tracked), released(is_tracked ? capacity : 0) {}
    int index;
    bool tracked;
    ordo_resource handle = nullptr;
    std::mutex acquire_mutex;
    uint64_t next_position = 0; // guarded by acquire_mutex
    uint64_t exclusive_end = 0; // guarded by acquire_mutex: last exclusive position + 1
    std::atomic<uint64_t> acquired{0};
    PositionFlags released;            // set just before each release call
    std::atomic<uint64_t> frontier{0}; // every position below it is released
    std::atomic<int> writers{0};       // exclusive holders using it
    std::atomic<int> readers{0};       // shared holders using it
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

// Locks the tracked resources among rs, in index order (each once).
class LockSet {
public:
    explicit LockSet(std::vector<Resource *> rs) : rs_(std::move(rs)) {
        rs_.erase(std::remove_if(rs_.begin(), rs_.end(), [](Resource *r) { return !r->tracked; }),
                  rs_.end());
        std::sort(rs_.begin(), rs_.end(),
                  [](Resource *a, Resource *b) { return a->index < b->index; });
        rs_.erase(std::unique(rs_.begin(), rs_.end()), rs_.end());
        for (Resource *r : rs_)
            r->acquire_mutex.lock();
    }
    ~LockSet() {
        for (auto it = rs_.rbegin(); it != rs_.rend(); ++it)
            (*it)->acquire_mutex.unlock();
    }
    LockSet(const LockSet &) = delete;
    LockSet &operator=(const LockSet &) = delete;

private:
    std::vector<Resource *> rs_;
};

// ---------------------------------------------------------------------------
// Tickets
// ---------------------------------------------------------------------------

enum TicketState : int { kHeld = 0, kEntering = 1, kInUse = 2, kReleased = 3 };

struct Ticket {
    Resource *res = nullptr;
    Mode mode = Mode::kExclusive;
    bool tracked = false;
    uint64_t position = 0;        // tracked only
    uint64_t need = 0;            // granted only once the frontier has reached it
    ordo_ticket handle = nullptr; // null for a part of a multi-resource ticket
    std::atomic<int> state{kHeld};
    ordo_future grant = nullptr;       // owner's handle to the grant future, if taken
    std::vector<cl_event> device_work; // our references: the device wait's barrier and marker
    std::vector<cl_event> deferred;    // our references: deferred device waits' barriers
    int64_t eligible_since = 0;        // owner: first failed wait after predecessors released
    // Watchdog (grant callbacks):
    std::atomic<bool> callback_pending{false};
    int64_t callback_eligible_since = 0; // watchdog only
};
using TicketPtr = std::shared_ptr<Ticket>;

// Gives t its position, after a successful acquire under the resource's
// acquire_mutex (tracked resources only).
void take_position(Ticket &t) {
    Resource &r = *t.res;
    t.tracked = r.tracked;
    if (!r.tracked)
        return;
    t.position = r.next_position++;
    if (t.mode == Mode::kExclusive) {
        t.need = t.position; // every earlier ticket
        r.exclusive_end = t.position + 1;
    } else {
        // Every ticket up to the last exclusive one; the shared tickets
        // between it and this one are granted together with this one. (A
        // group of more than 65,535 shared tickets, which this tool never
        // builds, would also wait for the group before it.)
        t.need = r.exclusive_end;
    }
    r.acquired.store(r.next_position, std::memory_order_release);
}

// Everything that t's grant waits for is released. Always true for an
// untracked ticket (its progress is checked against the time alone).
bool predecessors_released(Ticket &t) {
    return !t.tracked || advance_frontier(*t.res) >= t.need;
}

void enter(Ticket &t) {
    Resource &r = *t.res;
    // seq_cst on both sides: of two holders entering at once, at least
    // one sees the other.
    if (t.mode == Mode::kExclusive) {
        int writers = r.writers.fetch_add(1);
        int readers = r.readers.load();
        if (writers != 0 || readers != 0)
            violation("resource %d: exclusive ticket %llu granted while %d exclusive and %d "
                      "shared holders use the resource",
                      r.index, static_cast<unsigned long long>(t.position), writers, readers);
    } else {
        int readers = r.readers.fetch_add(1);
        int writers = r.writers.load();
        if (writers != 0)
            violation("resource %d: shared ticket %llu granted while an exclusive holder uses "
                      "the resource",
                      r.index, static_cast<unsigned long long>(t.position));
        if (readers > 0)
            g_count.shared_overlaps.fetch_add(1, std::memory_order_relaxed);
    }
}

void leave(Ticket &t) {
    if (t.mode == Mode::kExclusive)
        t.res->writers.fetch_sub(1);
    else
        t.res->readers.fetch_sub(1);
}

// The ticket was seen granted (by `how`): check the order, and start using
// the resource unless the holder already released it.
void observe_grant(Ticket &t, const char *how) {
    g_count.grants_seen.fetch_add(1, std::memory_order_relaxed);
    if (!predecessors_released(t))
        violation("resource %d: %s ticket %llu granted (%s) before ticket %llu was released",
                  t.res->index, mode_name(t.mode), static_cast<unsigned long long>(t.position), how,
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
    if (t.tracked)
        t.res->released.set(t.position);
    return true;
}

// A multi-resource ticket: one handle, a Ticket per resource (no handle of
// its own), in the order given to ordo_acquire_many.
struct Multi {
    ordo_multi_ticket handle = nullptr;
    std::vector<TicketPtr> parts;
    std::vector<cl_event> device_work; // our references
    int64_t eligible_since = 0;
};
using MultiPtr = std::unique_ptr<Multi>;

// A ring over some resources (repeats allowed), and the turn the tool
// expects it to be at. All its use is under mutex, so the turn is known.
struct Ring {
    std::mutex mutex;
    ordo_ring handle = nullptr;      // guarded by mutex
    std::vector<Resource *> members; // guarded by mutex
    uint64_t turns = 0;              // guarded by mutex
    bool tracked = true;
};

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

// A blocking call in progress, published by its thread: a seqlock-style
// snapshot (generation odd while a call is published). A wait lists the
// tickets it waits for; an acquire lists none, and its deadline is its start
// (an acquire never waits).
struct WaitSlot {
    std::atomic<uint64_t> generation{0};
    std::atomic<const char *> what{""};
    std::atomic<int> count{0};
    std::atomic<int> resource[kMaxParts] = {};
    std::atomic<uint64_t> position[kMaxParts] = {};
    std::atomic<uint64_t> need[kMaxParts] = {};
    std::atomic<bool> tracked[kMaxParts] = {};
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
    // A thread is stuck: the run cannot end, so end it here.
    [[noreturn]] static void give_up() {
        std::fflush(stderr);
        std::printf("ordo-stress: FAIL: seed %llu, stuck call\n",
                    static_cast<unsigned long long>(g_seed));
        std::fflush(stdout);
        std::_Exit(1);
    }

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
                    violation("resource %d: the grant future of %s ticket %llu has not completed "
                              "%.1f s after every earlier ticket was released",
                              t.res->index, t.tracked ? "tracked" : "free",
                              static_cast<unsigned long long>(t.position),
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
            const char *what = slot.what.load(std::memory_order_acquire);
            int count = slot.count.load(std::memory_order_acquire);
            int index[kMaxParts] = {};
            uint64_t position[kMaxParts] = {}, need[kMaxParts] = {};
            bool tracked[kMaxParts] = {};
            for (int k = 0; k < count && k < kMaxParts; ++k) {
                index[k] = slot.resource[k].load(std::memory_order_acquire);
                position[k] = slot.position[k].load(std::memory_order_acquire);
                need[k] = slot.need[k].load(std::memory_order_acquire);
                tracked[k] = slot.tracked[k].load(std::memory_order_acquire);
            }
            int64_t deadline = slot.deadline.load(std::memory_order_acquire);
            if (g % 2 == 0 || slot.generation.load(std::memory_order_acquire) != g)
                continue; // nothing in progress, or it just changed
            if (g != slot.seen_generation) {
                slot.seen_generation = g;
                slot.eligible_since = 0;
            }
            if (deadline != ORDO_DEADLINE_NEVER && now > deadline + bound_) {
                violation("%s (resource %d, ticket %llu) overran its deadline by %.1f s", what,
                          count > 0 ? index[0] : -1, static_cast<unsigned long long>(position[0]),
                          (now - deadline) / 1e9);
                give_up();
            }
            bool eligible = true;
            for (int k = 0; k < count && k < kMaxParts; ++k)
                if (tracked[k] && advance_frontier(*resources_[index[k]]) < need[k])
                    eligible = false;
            if (!eligible)
                continue;
            if (slot.eligible_since == 0)
                slot.eligible_since = now;
            if (now - slot.eligible_since > bound_) {
                // A waiter left waiting (a lost wake-up, or a deadlock).
                violation("%s for %d ticket(s) (resource %d, %s ticket %llu) is still blocked "
                          "%.1f s after every ticket it waits for was released",
                          what, count, index[0], tracked[0] ? "tracked" : "free",
                          static_cast<unsigned long long>(position[0]),
                          (now - slot.eligible_since) / 1e9);
                give_up();
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
    std::vector<std::unique_ptr<Resource>> resources; // tracked ones first, then free ones
    std::vector<Resource *> tracked, free;
    std::vector<std::unique_ptr<Ring>> rings;
    std::vector<WaitSlot> slots;
    Events *events = nullptr;
    Watchdog *watchdog = nullptr;
    std::string trace_prefix;
};

bool ended(cl_event e) {
    cl_int s = CL_QUEUED;
    clGetEventInfo(e, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof s, &s, nullptr);
    return s <= CL_COMPLETE;
}

bool expect_status(int status, int expected, const char *call) {
    if (status == expected)
        return true;
    violation("%s returned %s (%s), expected %s", call, ordo_status_string(status),
              ordo_last_error_message(), ordo_status_string(expected));
    return false;
}

// (Re)creates a ring over 2-4 resources of pool, repeats allowed.
void build_ring(Ring &g, const std::vector<Resource *> &pool, std::mt19937_64 &rng) {
    size_t n = 2 + rng() % 3;
    g.members.clear();
    std::vector<ordo_resource> handles;
    for (size_t k = 0; k < n; ++k) {
        g.members.push_back(pool[rng() % pool.size()]);
        handles.push_back(g.members.back()->handle);
    }
    g.tracked = pool.front()->tracked;
    g.turns = 0;
    expect_status(ordo_ring_create(handles.data(), handles.size(), &g.handle), ORDO_OK,
                  "ordo_ring_create");
}

class Worker {
public:
    Worker(Shared &shared, int index, long ops)
        : s_(shared), index_(index), ops_(ops),
          rng_(shared.options.seed * 0x9e3779b97f4a7c15ull + static_cast<uint64_t>(index) + 1) {}

    void run() {
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

private:
    uint32_t roll(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }
    uint32_t roll(size_t n) { return roll(static_cast<uint32_t>(n)); }

    size_t holdings() const { return held_.size() + multis_.size(); }
    size_t pick_held() { return roll(held_.size()); }

    // A deadline that often has passed or passes soon.
    ordo_deadline pick_deadline() {
        switch (roll(10u)) {
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
            return ordo_deadline_after(roll(500'000u)); // up to 0.5 ms
        default:
            return ordo_deadline_after(roll(5'000'000u)); // up to 5 ms
        }
    }

    void one_operation() {
        if (roll(256u) == 0) {
            return diagnostics();
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

    // -----------------------------------------------------------------------
    // Acquiring
    // -----------------------------------------------------------------------

    void acquire_any() {
        if (holdings() >= static_cast<size_t>(s_.options.hold) + 2)
            return release_any_holding();
        const std::vector<Resource *> &free_or_tracked = s_.free.empty() ? s_.tracked : s_.free;
        switch (roll(16u)) {
        case 0:
            return acquire_many(s_.tracked);
        case 1:
            return acquire_many(free_or_tracked);
        case 2:
            return ring_acquire();
        case 3:
        case 4:
            return acquire_single(free_or_tracked);
        default:
            return acquire_single(s_.tracked);
        }
    }

    Mode pick_mode() { return roll(3u) == 0 ? Mode::kShared : Mode::kExclusive; }

    void count_acquire(const Ticket &t) {
        g_count.acquires.fetch_add(1, std::memory_order_relaxed);
        if (t.mode == Mode::kShared)
            g_count.shared_acquires.fetch_add(1, std::memory_order_relaxed);
        if (!t.tracked)
            g_count.free_acquires.fetch_add(1, std::memory_order_relaxed);
    }

    void acquire_single(const std::vector<Resource *> &pool) {
        Resource &r = *pool[roll(pool.size())];
        auto t = std::make_shared<Ticket>();
        t->res = &r;
        t->mode = pick_mode();
        if (roll(64u) == 0)
            misuse_acquire(r);
        int status;
        publish_call(t->mode == Mode::kShared ? "ordo_resource_acquire_shared"
                                              : "ordo_resource_acquire");
        {
            LockSet lock({&r});
            status = t->mode == Mode::kShared ? ordo_resource_acquire_shared(r.handle, &t->handle)
                                              : ordo_resource_acquire(r.handle, &t->handle);
            if (status == ORDO_OK)
                take_position(*t);
        }
        end_wait();
        if (!expect_status(status, ORDO_OK, "ordo_resource_acquire(_shared)"))
            return;
        count_acquire(*t);
        held_.push_back(std::move(t));
    }

    void misuse_acquire(Resource &r) {
        ordo_ticket x = nullptr;
        CHECK_STATUS(ordo_resource_acquire_shared(nullptr, &x),
                     check_status_ == ORDO_ERROR_INVALID_HANDLE);
        CHECK_STATUS(ordo_resource_acquire_shared(r.handle, nullptr),
                     check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
        CHECK_STATUS(ordo_resource_acquire(r.handle, nullptr),
                     check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
        g_count.misuse_refused.fetch_add(3, std::memory_order_relaxed);
    }

    // 2-3 distinct resources of pool at once. On tracked resources the tool
    // holds their acquire mutexes (their positions must be known); on the
    // free ones nothing but ordo serialises concurrent calls.
    void acquire_many(const std::vector<Resource *> &pool) {
        if (pool.size() < 2)
            return acquire_single(pool);
        size_t n = std::min<size_t>(2 + roll(2u), pool.size());
        std::vector<Resource *> picked(pool);
        for (size_t k = 0; k < n; ++k)
            std::swap(picked[k], picked[k + roll(picked.size() - k)]);
        picked.resize(n);
        auto m = std::make_unique<Multi>();
        std::vector<ordo_resource> handles;
        std::vector<int> modes;
        bool all_exclusive = roll(4u) == 0;
        for (Resource *r : picked) {
            auto t = std::make_shared<Ticket>();
            t->res = r;
            t->mode = all_exclusive ? Mode::kExclusive : pick_mode();
            handles.push_back(r->handle);
            modes.push_back(t->mode == Mode::kShared ? ORDO_SHARED : ORDO_EXCLUSIVE);
            m->parts.push_back(std::move(t));
        }
        bool null_modes = all_exclusive && roll(2u) == 0;
        int status;
        publish_call("ordo_acquire_many");
        {
            LockSet lock(picked);
            if (roll(32u) == 0)
                misuse_acquire_many(handles, modes);
            status = ordo_acquire_many(handles.data(), null_modes ? nullptr : modes.data(), n,
                                       &m->handle);
            if (status == ORDO_OK)
                for (auto &p : m->parts)
                    take_position(*p);
        }
        end_wait();
        if (!expect_status(status, ORDO_OK, "ordo_acquire_many"))
            return;
        g_count.multi_acquires.fetch_add(1, std::memory_order_relaxed);
        g_count.multi_parts.fetch_add(static_cast<long>(n), std::memory_order_relaxed);
        for (auto &p : m->parts)
            count_acquire(*p);
        multis_.push_back(std::move(m));
    }

    // Refused calls take no place (a place taken would never be released,
    // and the watchdog would report its successors).
    void misuse_acquire_many(const std::vector<ordo_resource> &handles,
                             const std::vector<int> &modes) {
        ordo_multi_ticket x = nullptr;
        std::vector<ordo_resource> twice(handles);
        twice.insert(twice.begin() + roll(twice.size() + 1), handles[roll(handles.size())]);
        CHECK_STATUS(ordo_acquire_many(twice.data(), nullptr, twice.size(), &x),
                     check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
        std::vector<int> bad(modes);
        bad[roll(bad.size())] = roll(2u) == 0 ? 2 : -1;
        CHECK_STATUS(ordo_acquire_many(handles.data(), bad.data(), handles.size(), &x),
                     check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
        CHECK_STATUS(ordo_acquire_many(handles.data(), modes.data(), 0, &x),
                     check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
        std::vector<ordo_resource> with_null(handles);
        with_null[roll(with_null.size())] = nullptr;
        CHECK_STATUS(ordo_acquire_many(with_null.data(), modes.data(), with_null.size(), &x),
                     check_status_ == ORDO_ERROR_INVALID_HANDLE);
        CHECK_STATUS(ordo_acquire_many(handles.data(), modes.data(), handles.size(), nullptr),
                     check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
        g_count.misuse_refused.fetch_add(5, std::memory_order_relaxed);
    }

    // The next resource of a ring, whose turn the tool knows: every use of
    // the ring is under its mutex.
    void ring_acquire() {
        if (s_.rings.empty())
            return acquire_single(s_.tracked);
        Ring &g = *s_.rings[roll(s_.rings.size())];
        auto t = std::make_shared<Ticket>();
        t->mode = pick_mode();
        std::lock_guard ring_lock(g.mutex);
        if (roll(64u) == 0) {
            expect_status(ordo_ring_destroy(g.handle), ORDO_OK, "ordo_ring_destroy");
            g.handle = nullptr;
            build_ring(g, g.tracked ? s_.tracked : s_.free, rng_);
        }
        if (roll(16u) == 0)
            misuse_ring(g);
        size_t expected = static_cast<size_t>(g.turns % g.members.size());
        size_t index = SIZE_MAX;
        bool want_index = roll(8u) != 0;
        int status;
        publish_call("ordo_ring_acquire");
        {
            LockSet lock(g.members);
            status =
                ordo_ring_acquire(g.handle, t->mode == Mode::kShared ? ORDO_SHARED : ORDO_EXCLUSIVE,
                                  &t->handle, want_index ? &index : nullptr);
            if (status == ORDO_OK) {
                t->res = g.members[expected];
                take_position(*t);
            }
        }
        end_wait();
        if (!expect_status(status, ORDO_OK, "ordo_ring_acquire"))
            return;
        if (want_index && index != expected)
            violation("ring: turn %llu gave resource index %zu, expected %zu",
                      static_cast<unsigned long long>(g.turns), index, expected);
        ++g.turns;
        void *value = nullptr;
        CHECK_STATUS(ordo_ticket_value(t->handle, &value), check_status_ == ORDO_OK);
        if (value != t->res)
            violation("ring: a ticket on resource %d carries the value of another resource",
                      t->res->index);
        g_count.ring_acquires.fetch_add(1, std::memory_order_relaxed);
        count_acquire(*t);
        held_.push_back(std::move(t));
    }

    // Refused calls take no turn: the next acquire checks the index.
    void misuse_ring(Ring &g) {
        ordo_ticket x = nullptr;
        size_t index = 0;
        CHECK_STATUS(ordo_ring_acquire(g.handle, roll(2u) == 0 ? 2 : -1, &x, &index),
                     check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
        CHECK_STATUS(ordo_ring_acquire(g.handle, ORDO_EXCLUSIVE, nullptr, &index),
                     check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
        CHECK_STATUS(ordo_ring_acquire(nullptr, ORDO_EXCLUSIVE, &x, &index),
                     check_status_ == ORDO_ERROR_INVALID_HANDLE);
        size_t n = 0;
        CHECK_STATUS(ordo_ring_size(g.handle, &n), check_status_ == ORDO_OK);
        if (n != g.members.size())
            violation("ordo_ring_size gave %zu, expected %zu", n, g.members.size());
        size_t i = roll(g.members.size());
        void *value = nullptr;
        CHECK_STATUS(ordo_ring_value(g.handle, i, &value), check_status_ == ORDO_OK);
        if (value != g.members[i])
            violation("ordo_ring_value(%zu) gave another resource's value", i);
        CHECK_STATUS(ordo_ring_value(g.handle, g.members.size() + roll(3u), &value),
                     check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
        g_count.misuse_refused.fetch_add(4, std::memory_order_relaxed);
    }

    bool released(size_t i) { return held_[i]->state.load() == kReleased; }

    // -----------------------------------------------------------------------
    // Waiting (single tickets)
    // -----------------------------------------------------------------------

    // A grant-only wait that timed out although every earlier ticket has been
    // released long ago is a lost wake-up.
    void note_timeout(Ticket &t, ordo_deadline deadline) {
        g_count.timeouts.fetch_add(1, std::memory_order_relaxed);
        if (ordo_now() < deadline)
            violation("resource %d: a wait for ticket %llu timed out before its deadline",
                      t.res->index, static_cast<unsigned long long>(t.position));
        if (!t.tracked)
            return; // its predecessors are not known
        if (double stuck = stuck_seconds(predecessors_released(t), t.eligible_since))
            violation("resource %d: %s ticket %llu is still not granted %.1f s after every "
                      "earlier ticket was released",
                      t.res->index, mode_name(t.mode), static_cast<unsigned long long>(t.position),
                      stuck);
    }

    // The watchdog on waits that time out: since is when the wait became
    // eligible (every earlier ticket released), 0 while it is not. Returns
    // how long it has been eligible once that exceeds --stuck-ms, else 0.
    double stuck_seconds(bool eligible, int64_t &since) {
        if (!eligible) {
            since = 0;
            return 0;
        }
        int64_t now = ordo_now();
        if (since == 0)
            since = now;
        return now - since > s_.options.stuck_ns ? (now - since) / 1e9 : 0;
    }

    void publish_wait(const char *what, Ticket *const *tickets, int n, ordo_deadline deadline) {
        WaitSlot &slot = s_.slots[index_];
        slot.what.store(what, std::memory_order_release);
        slot.count.store(n, std::memory_order_release);
        for (int k = 0; k < n; ++k) {
            slot.resource[k].store(tickets[k]->res->index, std::memory_order_release);
            slot.position[k].store(tickets[k]->position, std::memory_order_release);
            slot.need[k].store(tickets[k]->need, std::memory_order_release);
            slot.tracked[k].store(tickets[k]->tracked, std::memory_order_release);
        }
        slot.deadline.store(deadline, std::memory_order_release);
        slot.generation.fetch_add(1, std::memory_order_acq_rel); // odd: published
    }
    void publish_wait(const char *what, Ticket &t, ordo_deadline deadline) {
        Ticket *one = &t;
        publish_wait(what, &one, 1, deadline);
    }
    // A call that must not block (an acquire): its deadline is now.
    void publish_call(const char *what) { publish_wait(what, nullptr, 0, ordo_now()); }
    void end_wait() { s_.slots[index_].generation.fetch_add(1, std::memory_order_acq_rel); }

    // Waits without a deadline, only while holding this one ticket or
    // multi-ticket: every blocked thread then waits for tickets earlier than
    // its own on their resources, and ordo_acquire_many never interleaves
    // the places of two calls, so the waits cannot form a cycle.
    ordo_deadline pick_wait_deadline() {
        if (holdings() == 1 && roll(8u) == 0) {
            g_count.never_waits.fetch_add(1, std::memory_order_relaxed);
            return ORDO_DEADLINE_NEVER;
        }
        return pick_deadline();
    }

    void check_events_complete(const cl_event *events, size_t n, const char *what) {
        for (size_t k = 0; k < n; ++k) {
            cl_int s = CL_QUEUED;
            clGetEventInfo(events[k], CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof s, &s, nullptr);
            if (s != CL_COMPLETE)
                violation("%s returned with an event in status %d", what, s);
        }
    }

    void host_wait(size_t i, bool complete) {
        Ticket &t = *held_[i];
        if (released(i))
            return misuse_after_release(i);
        ordo_deadline deadline = pick_wait_deadline();
        const cl_event *events = nullptr;
        size_t n = 0;
        publish_wait(complete ? "ordo_ticket_wait_complete" : "ordo_ticket_wait", t, deadline);
        int status = complete ? ordo_ticket_wait_complete(t.handle, deadline, &events, &n)
                              : ordo_ticket_wait(t.handle, deadline, &events, &n);
        end_wait();
        switch (status) {
        case ORDO_OK:
        case kAppFailure:
            t.eligible_since = 0;
            observe_grant(t, complete ? "host wait for grant and events" : "host wait");
            if (status == ORDO_OK && complete)
                check_events_complete(events, n, "ordo_ticket_wait_complete");
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
        publish_wait("ordo_ticket_enqueue_wait", t, deadline);
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

    // A deferred device wait: enqueued at once on the thread's second queue,
    // whatever the grant. It does not make the holder a user of the resource
    // on the host; its barrier fails if the predecessor fails.
    void deferred_wait(size_t i) {
        Ticket &t = *held_[i];
        if (released(i))
            return misuse_after_release(i);
        if (roll(16u) == 0) {
            CHECK_STATUS(ordo_ticket_enqueue_wait_deferred(t.handle, nullptr, nullptr),
                         check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
            g_count.misuse_refused.fetch_add(1, std::memory_order_relaxed);
        }
        if (!s_.options.deferred_failures && !granted_and_complete(t))
            return;
        cl_event barrier = nullptr;
        bool take = roll(4u) != 0;
        int status =
            ordo_ticket_enqueue_wait_deferred(t.handle, deferred_queue_, take ? &barrier : nullptr);
        if (!expect_status(status, ORDO_OK, "ordo_ticket_enqueue_wait_deferred"))
            return;
        g_count.deferred_waits.fetch_add(1, std::memory_order_relaxed);
        if (barrier != nullptr)
            t.deferred.push_back(barrier);
        clFlush(deferred_queue_);
    }

    // Polls t's grant: notes a timeout, observes a grant that came (with or
    // without failure), reports any other status. Returns the status.
    int poll_grant(Ticket &t, const char *what, const cl_event **events, size_t *n) {
        ordo_deadline poll = ordo_now() - 1;
        int status = ordo_ticket_wait(t.handle, poll, events, n);
        if (status == ORDO_ERROR_TIMEOUT) {
            note_timeout(t, poll);
        } else if (status == ORDO_OK || status == kAppFailure) {
            t.eligible_since = 0;
            observe_grant(t, what);
        } else {
            violation("ordo_ticket_wait returned %s", ordo_status_string(status));
        }
        return status;
    }

    // Polls the grant (seeing it, if it has come): true if it came without
    // failure and its events have all completed, so that a deferred wait on
    // it cannot fail.
    bool granted_and_complete(Ticket &t) {
        const cl_event *events = nullptr;
        size_t n = 0;
        if (poll_grant(t, "host poll before a deferred wait", &events, &n) != ORDO_OK)
            return false;
        for (size_t k = 0; k < n; ++k) {
            cl_int e = CL_QUEUED;
            clGetEventInfo(events[k], CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof e, &e, nullptr);
            if (e != CL_COMPLETE)
                return false;
        }
        return true;
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
        if (roll(2u) == 0) { // the callback stays registered without the handle
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
        if (poll_grant(t, "poll before an asynchronous wait", &events, &n) != ORDO_OK || n == 0)
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

    // -----------------------------------------------------------------------
    // Releasing (single tickets)
    // -----------------------------------------------------------------------

    // A deferred wait's barrier goes into a release only once it has ended
    // (completed, or failed already): one that may still fail is never
    // handed on. The others are only tracked for their reference count.
    void settle_deferred(Ticket &t, std::vector<cl_event> *list) {
        for (cl_event e : t.deferred) {
            if (list != nullptr && ended(e))
                list->push_back(e);
            else
                s_.events->track(e);
        }
        t.deferred.clear();
    }

    // The ticket's device work, when it is not released with it.
    void discard_device_work(Ticket &t) {
        for (cl_event d : t.device_work)
            s_.events->track(d);
        t.device_work.clear();
        settle_deferred(t, nullptr);
    }

    void add_user_events(std::vector<cl_event> &list) {
        for (uint32_t k = roll(3u); k > 0; --k)
            if (cl_event e = s_.events->make_user_event())
                list.push_back(e);
    }

    // User events completed later by the completer thread, plus the device
    // wait's barrier and marker, and deferred barriers that have ended.
    std::vector<cl_event> events_to_release(Ticket &t) {
        std::vector<cl_event> list = std::move(t.device_work);
        t.device_work.clear();
        settle_deferred(t, &list);
        add_user_events(list);
        return list;
    }

    void hand_over(std::vector<cl_event> &list) {
        for (cl_event e : list) {
            cl_command_queue q = nullptr;
            clGetEventInfo(e, CL_EVENT_COMMAND_QUEUE, sizeof q, &q, nullptr);
            if (q == nullptr)
                s_.events->complete_later(e, roll(1'000'000u));
            else
                s_.events->track(e);
        }
        list.clear();
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
        if (!begin_release(t)) {
            hand_over(list);
            return finish(i, true);
        }
        CHECK_STATUS(ordo_ticket_ready(t.handle, list.data(), list.size()),
                     check_status_ == ORDO_OK);
        hand_over(list);
        g_count.releases.fetch_add(1, std::memory_order_relaxed);
        finish(i, roll(8u) == 0);
    }

    void release_with_failed_event(size_t i) {
        Ticket &t = *held_[i];
        cl_event e = s_.events->make_user_event();
        if (e == nullptr)
            return;
        clSetUserEventStatus(e, kFailedEventStatus);
        discard_device_work(t);
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
        discard_device_work(t);
        if (!begin_release(t))
            return finish(i, true);
        CHECK_STATUS(ordo_ticket_fail(t.handle, kAppFailure, "stress failure"),
                     check_status_ == ORDO_OK);
        g_count.fails.fetch_add(1, std::memory_order_relaxed);
        finish(i, roll(8u) == 0);
    }

    void drop(size_t i) {
        Ticket &t = *held_[i];
        discard_device_work(t);
        begin_release(t);
        g_count.drops.fetch_add(1, std::memory_order_relaxed);
        finish(i, false); // destroyed unreleased: ordo releases it, with a warning
    }

    void cancel(size_t i) {
        Ticket &t = *held_[i];
        discard_device_work(t);
        if (!begin_release(t))
            return finish(i, true);
        CHECK_STATUS(ordo_ticket_cancel(t.handle), check_status_ == ORDO_OK);
        g_count.cancels.fetch_add(1, std::memory_order_relaxed);
        finish(i, roll(8u) == 0);
    }

    void cancel_through_grant_future(size_t i) {
        Ticket &t = *held_[i];
        if (t.grant == nullptr || ordo_future_poll(t.grant) != ORDO_PENDING)
            return cancel(i);
        discard_device_work(t);
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
        switch (roll(4u)) {
        case 0:
            return drop(i);
        case 1:
            return release_fail(i);
        default:
            return release_ready(i);
        }
    }

    void release_any_holding() {
        size_t k = roll(holdings());
        if (k < held_.size())
            return release_any(k);
        k -= held_.size();
        switch (roll(4u)) {
        case 0:
            return multi_drop(k);
        case 1:
            return multi_release_one(k);
        case 2:
            return multi_release_all(k, roll(2u) == 0);
        default:
            return multi_release_all(k, false);
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
        CHECK_STATUS(ordo_ticket_enqueue_wait_deferred(t.handle, deferred_queue_, nullptr),
                     check_status_ == ORDO_ERROR_INVALID_STATE);
        g_count.misuse_refused.fetch_add(4, std::memory_order_relaxed);
    }

    // -----------------------------------------------------------------------
    // Multi-resource tickets
    // -----------------------------------------------------------------------

    void multi_operation(size_t k) {
        switch (roll(16u)) {
        case 0:
        case 1:
        case 2:
            return multi_wait(k, false);
        case 3:
            return multi_wait(k, true);
        case 4:
            return multi_enqueue_wait(k);
        case 5:
        case 6:
            return multi_release_all(k, false);
        case 7:
            return multi_release_all(k, true);
        case 8:
        case 9:
        case 10:
            return multi_release_one(k);
        case 11:
            return multi_drop(k);
        case 12:
            return multi_misuse(k);
        default:
            return acquire_any();
        }
    }

    // The parts not released yet (the ones a multi-ticket wait waits for).
    static std::vector<Ticket *> open_parts(Multi &m) {
        std::vector<Ticket *> open;
        for (auto &p : m.parts)
            if (p->state.load(std::memory_order_acquire) != kReleased)
                open.push_back(p.get());
        return open;
    }

    void publish_multi(const char *what, Multi &m, ordo_deadline deadline) {
        std::vector<Ticket *> open = open_parts(m);
        publish_wait(what, open.data(), static_cast<int>(open.size()), deadline);
    }

    void observe_multi(Multi &m, const char *how) {
        for (Ticket *p : open_parts(m))
            observe_grant(*p, how);
    }

    void note_multi_timeout(Multi &m, ordo_deadline deadline) {
        g_count.timeouts.fetch_add(1, std::memory_order_relaxed);
        if (ordo_now() < deadline)
            violation("a multi-ticket wait timed out before its deadline");
        std::vector<Ticket *> open = open_parts(m);
        bool eligible = true;
        for (Ticket *p : open) {
            if (!p->tracked)
                return;
            eligible = eligible && predecessors_released(*p);
        }
        if (double stuck = stuck_seconds(eligible, m.eligible_since))
            violation("a multi-ticket (resource %d, ticket %llu, ...) is still not granted %.1f s "
                      "after every earlier ticket was released",
                      open[0]->res->index, static_cast<unsigned long long>(open[0]->position),
                      stuck);
    }

    void multi_wait(size_t k, bool complete) {
        Multi &m = *multis_[k];
        ordo_deadline deadline = pick_wait_deadline();
        const cl_event *events = nullptr;
        size_t n = 0;
        const char *what = complete ? "ordo_multi_ticket_wait_complete" : "ordo_multi_ticket_wait";
        publish_multi(what, m, deadline);
        int status = complete ? ordo_multi_ticket_wait_complete(m.handle, deadline, &events, &n)
                              : ordo_multi_ticket_wait(m.handle, deadline, &events, &n);
        end_wait();
        switch (status) {
        case ORDO_OK:
            m.eligible_since = 0;
            observe_multi(m, complete ? "multi wait for grants and events" : "multi wait");
            if (complete)
                check_events_complete(events, n, what);
            break;
        case kAppFailure:
            break; // a predecessor failed; which part's is not said
        case ORDO_ERROR_EVENT_FAILED:
            if (!complete)
                violation("ordo_multi_ticket_wait returned ORDO_ERROR_EVENT_FAILED");
            g_count.event_failures.fetch_add(1, std::memory_order_relaxed);
            observe_multi(m, "multi wait whose events failed");
            break;
        case ORDO_ERROR_TIMEOUT:
            if (!complete)
                note_multi_timeout(m, deadline);
            else
                g_count.timeouts.fetch_add(1, std::memory_order_relaxed);
            break;
        default:
            violation("%s returned %s (%s)", what, ordo_status_string(status),
                      ordo_last_error_message());
        }
    }

    void multi_enqueue_wait(size_t k) {
        Multi &m = *multis_[k];
        ordo_deadline deadline = pick_deadline();
        cl_event barrier = nullptr;
        publish_multi("ordo_multi_ticket_enqueue_wait", m, deadline);
        int status = ordo_multi_ticket_enqueue_wait(m.handle, queue_, deadline,
                                                    roll(4u) != 0 ? &barrier : nullptr);
        end_wait();
        g_count.device_waits.fetch_add(1, std::memory_order_relaxed);
        switch (status) {
        case ORDO_OK: {
            observe_multi(m, "multi device wait");
            if (barrier != nullptr)
                m.device_work.push_back(barrier);
            cl_event marker = nullptr;
            if (clEnqueueMarkerWithWaitList(queue_, 0, nullptr, &marker) == CL_SUCCESS)
                m.device_work.push_back(marker);
            break;
        }
        case kAppFailure:
            break;
        case ORDO_ERROR_EVENT_FAILED:
            // Every grant came; one of their events had failed already.
            g_count.event_failures.fetch_add(1, std::memory_order_relaxed);
            observe_multi(m, "multi device wait on a failed event");
            break;
        case ORDO_ERROR_TIMEOUT:
            note_multi_timeout(m, deadline);
            break;
        default:
            violation("ordo_multi_ticket_enqueue_wait returned %s (%s)", ordo_status_string(status),
                      ordo_last_error_message());
        }
    }

    std::vector<cl_event> multi_events_to_release(Multi &m) {
        std::vector<cl_event> list = std::move(m.device_work);
        m.device_work.clear();
        add_user_events(list);
        return list;
    }

    void multi_release_all(size_t k, bool fail) {
        Multi &m = *multis_[k];
        std::vector<cl_event> list;
        if (fail) {
            for (cl_event d : m.device_work)
                s_.events->track(d);
            m.device_work.clear();
        } else {
            list = multi_events_to_release(m);
        }
        for (Ticket *p : open_parts(m))
            begin_release(*p);
        if (fail)
            CHECK_STATUS(ordo_multi_ticket_fail(m.handle, kAppFailure, "stress failure"),
                         check_status_ == ORDO_OK);
        else
            CHECK_STATUS(ordo_multi_ticket_ready(m.handle, list.data(), list.size()),
                         check_status_ == ORDO_OK);
        hand_over(list);
        (fail ? g_count.fails : g_count.releases).fetch_add(1, std::memory_order_relaxed);
        finish_multi(k, roll(8u) == 0);
    }

    void multi_release_one(size_t k) {
        Multi &m = *multis_[k];
        std::vector<size_t> open;
        for (size_t j = 0; j < m.parts.size(); ++j)
            if (m.parts[j]->state.load() != kReleased)
                open.push_back(j);
        size_t j = open[roll(open.size())];
        bool fail = roll(4u) == 0;
        std::vector<cl_event> list;
        if (!fail)
            list = multi_events_to_release(m);
        begin_release(*m.parts[j]);
        if (fail)
            CHECK_STATUS(ordo_multi_ticket_fail_one(m.handle, j, kAppFailure, "stress failure"),
                         check_status_ == ORDO_OK);
        else
            CHECK_STATUS(ordo_multi_ticket_ready_one(m.handle, j, list.data(), list.size()),
                         check_status_ == ORDO_OK);
        hand_over(list);
        g_count.release_ones.fetch_add(1, std::memory_order_relaxed);
        if (open.size() == 1)
            finish_multi(k, roll(4u) == 0);
    }

    void multi_drop(size_t k) {
        Multi &m = *multis_[k];
        for (cl_event d : m.device_work)
            s_.events->track(d);
        m.device_work.clear();
        for (Ticket *p : open_parts(m))
            begin_release(*p);
        g_count.drops.fetch_add(1, std::memory_order_relaxed);
        finish_multi(k, false); // ordo releases the open parts, with warnings
    }

    void finish_multi(size_t k, bool misuse) {
        Multi &m = *multis_[k];
        if (misuse) {
            // Every part is released: the rest is refused.
            CHECK_STATUS(ordo_multi_ticket_ready(m.handle, nullptr, 0),
                         check_status_ == ORDO_ERROR_INVALID_STATE);
            CHECK_STATUS(ordo_multi_ticket_fail(m.handle, kAppFailure, nullptr),
                         check_status_ == ORDO_ERROR_INVALID_STATE);
            CHECK_STATUS(ordo_multi_ticket_wait(m.handle, ordo_now(), nullptr, nullptr),
                         check_status_ == ORDO_ERROR_INVALID_STATE);
            CHECK_STATUS(ordo_multi_ticket_ready_one(m.handle, roll(m.parts.size()), nullptr, 0),
                         check_status_ == ORDO_ERROR_INVALID_STATE);
            g_count.misuse_refused.fetch_add(4, std::memory_order_relaxed);
        }
        CHECK_STATUS(ordo_multi_ticket_destroy(m.handle), check_status_ == ORDO_OK);
        for (cl_event d : m.device_work)
            s_.events->track(d);
        multis_[k] = std::move(multis_.back());
        multis_.pop_back();
    }

    void multi_misuse(size_t k) {
        Multi &m = *multis_[k];
        size_t n = 0;
        CHECK_STATUS(ordo_multi_ticket_size(m.handle, &n), check_status_ == ORDO_OK);
        if (n != m.parts.size())
            violation("ordo_multi_ticket_size gave %zu, expected %zu", n, m.parts.size());
        CHECK_STATUS(ordo_multi_ticket_ready_one(m.handle, m.parts.size() + roll(4u), nullptr, 0),
                     check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
        CHECK_STATUS(ordo_multi_ticket_fail_one(m.handle, roll(m.parts.size()), 1, nullptr),
                     check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
        CHECK_STATUS(ordo_multi_ticket_ready(m.handle, nullptr, 1),
                     check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
        CHECK_STATUS(ordo_multi_ticket_size(m.handle, nullptr),
                     check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
        g_count.misuse_refused.fetch_add(4, std::memory_order_relaxed);
        for (size_t j = 0; j < m.parts.size(); ++j) {
            if (m.parts[j]->state.load() != kReleased)
                continue;
            CHECK_STATUS(ordo_multi_ticket_ready_one(m.handle, j, nullptr, 0),
                         check_status_ == ORDO_ERROR_INVALID_STATE);
            CHECK_STATUS(ordo_multi_ticket_fail_one(m.handle, j, kAppFailure, nullptr),
                         check_status_ == ORDO_ERROR_INVALID_STATE);
            g_count.misuse_refused.fetch_add(2, std::memory_order_relaxed);
            break;
        }
    }

    // -----------------------------------------------------------------------
    // Diagnostics and tracing, at a low rate, concurrently with the rest
    // -----------------------------------------------------------------------

    void diagnostics() {
        g_count.diagnostics.fetch_add(1, std::memory_order_relaxed);
        switch (roll(12u)) {
        case 0:
        case 1: {
            if (held_.empty())
                break;
            Ticket &t = *held_[pick_held()];
            char name[64];
            std::snprintf(name, sizeof name, "stress thread %d resource %d position %llu", index_,
                          t.res->index, static_cast<unsigned long long>(t.position));
            CHECK_STATUS(ordo_ticket_set_name(t.handle, roll(4u) == 0 ? nullptr : name),
                         check_status_ == ORDO_OK);
            break;
        }
        case 2:
        case 3:
        case 4:
            return dump(false);
        case 5:
            return dump(true);
        case 6:
            CHECK_STATUS(ordo_diagnostics_enable(static_cast<int>(roll(2u))),
                         check_status_ == ORDO_OK);
            break;
        case 7:
            CHECK_STATUS(ordo_set_wait_warning(roll(3u) == 0 ? 0 : 1'000'000 + roll(2'000'000u)),
                         check_status_ == ORDO_OK);
            CHECK_STATUS(ordo_set_wait_warning(-1), check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
            g_count.misuse_refused.fetch_add(1, std::memory_order_relaxed);
            break;
        case 8:
            // Small rings: ordo keeps every ring it replaces.
            CHECK_STATUS(ordo_trace_start(16 + roll(240u)), check_status_ == ORDO_OK);
            break;
        case 9:
            CHECK_STATUS(ordo_trace_stop(), check_status_ == ORDO_OK);
            break;
        default:
            return write_trace();
        }
    }

    void dump(bool whole) {
        g_count.dumps.fetch_add(1, std::memory_order_relaxed);
        Resource *r = roll(4u) == 0 ? nullptr : s_.resources[roll(s_.resources.size())].get();
        ordo_resource h = r != nullptr ? r->handle : nullptr;
        size_t length = 0;
        if (whole) {
            // Ask for the length, then dump into a buffer that large (the
            // queue may have grown meanwhile: then it is cut short).
            CHECK_STATUS(ordo_dump(h, nullptr, 0, &length), check_status_ == ORDO_OK);
            std::vector<char> buffer(length + 1, '\x7f');
            size_t again = 0;
            CHECK_STATUS(ordo_dump(h, buffer.data(), buffer.size(), &again),
                         check_status_ == ORDO_OK);
            size_t n = strnlen(buffer.data(), buffer.size());
            if (n != std::min(again, buffer.size() - 1))
                violation("ordo_dump wrote %zu characters of %zu into %zu bytes", n, again,
                          buffer.size());
            else if (std::strncmp(buffer.data(), "resource ", 9) != 0)
                violation("ordo_dump wrote \"%.40s\"", buffer.data());
            return;
        }
        static constexpr size_t kCapacities[] = {1, 2, 16, 64, 512};
        size_t capacity = kCapacities[roll(std::size(kCapacities))];
        std::vector<char> buffer(capacity + 1, '\x7f'); // one byte of canary
        bool want_length = roll(4u) != 0;
        CHECK_STATUS(ordo_dump(h, buffer.data(), capacity, want_length ? &length : nullptr),
                     check_status_ == ORDO_OK);
        size_t n = strnlen(buffer.data(), capacity + 1);
        if (buffer[capacity] != '\x7f' || n > capacity - 1 ||
            (want_length && n != std::min(length, capacity - 1)))
            violation("ordo_dump into %zu bytes wrote %zu characters (full length %zu)", capacity,
                      n, length);
        if (roll(8u) == 0) {
            CHECK_STATUS(ordo_dump(h, nullptr, 8, &length),
                         check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
            g_count.misuse_refused.fetch_add(1, std::memory_order_relaxed);
        }
    }

    void write_trace() {
        CHECK_STATUS(ordo_trace_write(trace_path_.c_str()), check_status_ == ORDO_OK);
        std::string text;
        if (std::FILE *f = std::fopen(trace_path_.c_str(), "rb")) {
            char chunk[4096];
            size_t n;
            while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0)
                text.append(chunk, n);
            std::fclose(f);
        }
        const std::string head = "{\"displayTimeUnit\"", tail = "]}\n";
        if (text.compare(0, head.size(), head) != 0 || text.size() < head.size() + tail.size() ||
            text.compare(text.size() - tail.size(), tail.size(), tail) != 0)
            violation("ordo_trace_write wrote %zu bytes that are not a whole trace", text.size());
        g_count.traces_written.fetch_add(1, std::memory_order_relaxed);
        if (roll(8u) == 0) {
            CHECK_STATUS(ordo_trace_write("/nonexistent-ordo-stress-dir/trace.json"),
                         check_status_ == ORDO_ERROR_SYSTEM);
            CHECK_STATUS(ordo_trace_write(nullptr), check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
            g_count.misuse_refused.fetch_add(2, std::memory_order_relaxed);
        }
    }

    // -----------------------------------------------------------------------
    // Checks and the end
    // -----------------------------------------------------------------------

    void check_holder(Ticket &t) {
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

    void check_after_operation() {
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
    void drain_deferred_queue() {
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

    Shared &s_;
    int index_;
    long ops_;
    std::mt19937_64 rng_;
    cl_command_queue queue_ = nullptr;
    cl_command_queue deferred_queue_ = nullptr; // deferred device waits only
    std::string trace_path_;
    std::vector<TicketPtr> held_;
    std::vector<MultiPtr> multis_;
};

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
    ordo_set_log_callback(count_warnings, nullptr);

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
    ordo_trace_stop();
    ordo_set_wait_warning(0);
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
    ordo_flush_releases(ORDO_DEADLINE_NEVER);
    clReleaseContext(s.context);
    ordo_set_log_callback(nullptr, nullptr);

    long violations = g_violations.load();
    const Counters &c = g_count;
    std::printf("ordo-stress: %.0f operations/s (%ld in %.2f s on %d threads)\n",
                static_cast<double>(o.ops) / seconds, o.ops, seconds, o.threads);
    std::printf("ordo-stress: %s: seed %llu, %ld acquires (%ld shared, %ld in %ld multi-tickets, "
                "%ld through rings, %ld free), %ld grants checked, %ld shared overlaps, %ld "
                "timeouts, %ld waits without deadline, %ld device waits, %ld deferred, %ld grant "
                "callbacks, %ld async waits, %ld event failures, %ld ready/%ld one by one/%ld "
                "fail/%ld drop/%ld cancel, %ld misuses refused, %ld diagnostics calls (%ld dumps, "
                "%ld traces, %ld wait warnings), %ld cl_events back to baseline, %ld violations\n",
                violations == 0 ? "PASS" : "FAIL", static_cast<unsigned long long>(o.seed),
                c.acquires.load(), c.shared_acquires.load(), c.multi_parts.load(),
                c.multi_acquires.load(), c.ring_acquires.load(), c.free_acquires.load(),
                c.grants_seen.load(), c.shared_overlaps.load(), c.timeouts.load(),
                c.never_waits.load(), c.device_waits.load(), c.deferred_waits.load(),
                c.grant_callbacks.load(), c.async_waits.load(), c.event_failures.load(),
                c.releases.load(), c.release_ones.load(), c.fails.load(), c.drops.load(),
                c.cancels.load(), c.misuse_refused.load(), c.diagnostics.load(), c.dumps.load(),
                c.traces_written.load(), g_wait_warnings.load(), c.events_checked.load(),
                violations);
    if (g_warnings.load() < c.drops.load())
        std::printf("ordo-stress: note: %ld drops but %ld warnings\n", c.drops.load(),
                    g_warnings.load());
    return violations == 0 ? 0 : 1;
}
