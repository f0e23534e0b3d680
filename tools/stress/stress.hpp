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
// on 2-3 resources at once (ordo_resource_acquire_many); wait for a grant on the host
// (grant only, or grant and events), on the device (a barrier on the
// thread's own queue, or a deferred barrier on a second queue), through a
// grant future with a callback or posted to a completion queue, or with an
// asynchronous wait for the grant's events; with deadlines that often expire. It releases with user
// events that another thread completes a little later, with an event that has already failed, or
// with the device wait's marker; it fails tickets, drops them without release, cancels them
// (directly or through the grant future), releases the tickets of a multi-resource ticket together
// or one by one, and checks that misuse (a second release, a wait after release, a bad mode, a
// duplicate resource, an index out of range) is refused. At a low rate it names tickets, dumps
// queues, turns diagnostics and the long-wait warning on and off, and starts, stops and writes a
// trace.
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
//    ordo_resource_acquire_many on heavily overlapping sets; a holder of a single
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
#pragma once

#include "../../tests/model/model.hpp"

#include <ordo/ordo.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace ordo_stress {

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

// Defined in main.cpp.
extern std::atomic<long> g_violations;
extern uint64_t g_seed;

// Reports a broken promise (the first 20 are printed); any makes the exit status 1.
void violation(const char *format, ...) __attribute__((format(printf, 1, 2)));
// Reports (and returns false) unless status is expected.
bool expect_status(int status, int expected, const char *call);

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
        device_waits{0}, deferred_waits{0}, grant_callbacks{0}, completions_read{0}, async_waits{0},
        never_waits{0}, misuse_refused{0}, events_created{0}, events_checked{0}, diagnostics{0},
        dumps{0}, traces_written{0}, grants_carried{0}, barriers_checked{0}, jobs{0},
        stale_refused{0}, given_up{0};
};
extern Counters g_count;
extern std::atomic<long> g_warnings, g_wait_warnings;

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

const char *mode_name(Mode m);

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
    // The reference model of this resource's chain (tracked only), and the
    // grants whose events some wait_complete is known to wait for already.
    std::mutex model_mutex;
    ordo_model::Chains model;            // guarded by model_mutex
    int model_resource = -1;             // guarded by model_mutex
    std::vector<bool> events_waits_made; // guarded by model_mutex: by unit
};

// Moves the frontier over released positions; returns it.
uint64_t advance_frontier(Resource &r);

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
    // What the model needs (tracked only): the ticket in the model, and what
    // the holder has seen of its grant (carry.cpp).
    ordo_model::TicketId model_id;
    bool seen = false;               // owner: a wait of the owner was handed the grant
    bool seen_maybe = false;         // owner: maybe (a multi-ticket wait's failure: which part's?)
    bool grant_future_taken = false; // owner
    bool grant_future_cancelled = false;             // owner: its cancel won (it never delivers)
    std::atomic<bool> grant_future_delivered{false}; // its callback or a wait saw it complete
    // Device waits' barriers (owner).
    struct Barrier {
        cl_event event; // our reference, in device_work or deferred
        bool deferred;
    };
    std::vector<Barrier> barriers;

    Ticket() = default;
    ~Ticket(); // forgets the ticket in the model
    Ticket(const Ticket &) = delete;
    Ticket &operator=(const Ticket &) = delete;
};
using TicketPtr = std::shared_ptr<Ticket>;

// Gives t its position, after a successful acquire under the resource's
// acquire_mutex (tracked resources only).
void take_position(Ticket &t);

// Everything that t's grant waits for is released. Always true for an
// untracked ticket (its progress is checked against the time alone).
bool predecessors_released(Ticket &t);

// The ticket was seen granted (by `how`): check the order, and start using
// the resource unless the holder already released it.
void observe_grant(Ticket &t, const char *how);

// Marks the ticket released (before the release call). False if it already was.
bool begin_release(Ticket &t);

// ---------------------------------------------------------------------------
// What grants carry, against the reference model (carry.cpp)
// ---------------------------------------------------------------------------

// Called by take_position for a tracked ticket: its place in the model.
void model_acquire(Ticket &t);
// What the holder had seen of its grant when it releases; blocked: the
// grant cannot have come meanwhile (an earlier ticket of this thread on the
// resource is unreleased), so a grant future taken cannot have delivered.
ordo_model::Seen seen_at_release(const Ticket &t, bool blocked);
// The release, recorded just before the release call (tracked only).
void model_ready(Ticket &t, const cl_event *events, size_t n, ordo_model::Seen seen);
void model_fail(Ticket &t, ordo_model::Seen seen);
void model_nothing(Ticket &t, ordo_model::Seen seen);
// The holder was handed its grant's outcome: status ORDO_OK with events
// (if known) or kAppFailure with the last error message / message.
void check_grant(Ticket &t, int status, const cl_event *events, size_t n, bool events_known,
                 const char *message, const char *how);
// The outcomes the model allows for t's grant (nullopt before it is decided).
std::optional<ordo_model::Possible> model_grant(Ticket &t);
// A wait for t's grant events made a wait for them (or found one made).
bool events_wait_made(Ticket &t);
void note_events_wait_made(Ticket &t);
// A grant future f of t completed with status (ORDO_OK or a failure): the
// grant was delivered; what it carries is checked.
void check_grant_future(Ticket &t, ordo_future f, int status, const char *how);
// A device wait's barrier: checks, when the ticket lets go of it, that it
// completed only after what it waited for, failed only if that did.
void check_barriers(Ticket &t);
// The possible unions of the grants of a multi-ticket's open parts (empty
// if the model cannot tell).
std::vector<ordo_model::Events> possible_unions(const std::vector<Ticket *> &parts);

// A multi-resource ticket: one handle, a Ticket per resource (no handle of
// its own), in the order given to ordo_resource_acquire_many.
struct Multi {
    ordo_multi_ticket handle = nullptr;
    std::vector<TicketPtr> parts;
    std::vector<cl_event> device_work; // our references
    int64_t eligible_since = 0;
    std::optional<ordo_model::Events> union_events; // of the first wait that was granted
    bool union_maybe_fixed = false; // a wait that got every grant returned something else
    bool union_wait_made = false;   // a wait_complete waits for the union
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
    cl_event make_user_event();

    // Completes e (our reference) after a short delay, then tracks it.
    void complete_later(cl_event e, int64_t delay_ns);

    // An event whose status is final: tracked until its count is back to 1.
    void track(cl_event e);
    void start();

    // Completes everything pending and stops the thread.
    void stop();

    // At the end: every tracked event's count must return to 1 (ours).
    void check_baselines(int64_t bound_ns);

private:
    struct Pending {
        cl_event event;
        int64_t due;
    };

    void run();

    cl_context context_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<Pending> pending_; // guarded by mutex_
    std::vector<cl_event> tracked_;
    bool stopping_ = false; // guarded by mutex_
    std::thread thread_;
};

// The event has ended: completed, or failed.
bool ended(cl_event e);

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
    void watch_grant(TicketPtr t);
    void watch_async(std::unique_ptr<AsyncWait> w);
    void start();
    void stop();

    // At the end: everything watched must complete within the bound.
    void drain();

private:
    // A thread is stuck: the run cannot end, so end it here.
    [[noreturn]] static void give_up();
    void sweep(bool final);

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
    ordo_future clone = nullptr; // the callback's own handle, to read the outcome
};

// Completes a grant future's GrantCallback (takes it over): the grant is seen.
void on_grant_future(void *data, int status);
// Counts the callbacks of an AsyncWait.
void on_async_wait(void *data, int);

// ---------------------------------------------------------------------------
// The completion queue (completions.cpp)
// ---------------------------------------------------------------------------

// One completion queue for the whole run, read by one thread of its own
// that sleeps in poll() on its descriptor: half the grant futures are
// posted to it (tagged with their GrantCallback) instead of getting a
// callback, and each completion read is checked as the callback would.
class Completions {
public:
    Completions();
    ~Completions();
    // Takes cb over; completes it through on_grant_future once read.
    void post(ordo_future grant, GrantCallback *cb);
    void start();
    // Once every posted future has completed: reads the last completions.
    void stop(int64_t bound_ns);

private:
    void run();
    bool read_batch();

    ordo_completion_queue queue_ = nullptr;
    int fd_ = -1;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// ---------------------------------------------------------------------------
// The shared job queue (jobs.cpp)
// ---------------------------------------------------------------------------

struct Jobs {
    explicit Jobs(size_t bound) : model(bound) {}
    struct Job {
        uint64_t id = 0;
        ordo_promise promise = nullptr;
        ordo_future future = nullptr;
    };
    // Creates the queue and starts the thread that checks its backlog.
    void start();
    // Completes what is pending, stops the checker, destroys the queue.
    void stop();
    static void drop(Job &job);
    long reads() const { return reads_; } // after stop()

    std::mutex mutex; // serialises the threads' job calls and completions
    ordo_job_queue queue = nullptr;
    ordo_future done = nullptr;      // a job already complete
    ordo_model::JobQueueModel model; // guarded by mutex
    std::vector<Job> pending;        // guarded by mutex
    uint64_t next_id = 1;            // guarded by mutex

private:
    std::thread checker_;
    std::atomic<bool> stop_{false};
    long reads_ = 0; // checker only
    long over_ = 0;  // checker only
};

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
    Jobs *jobs = nullptr;
    Completions *completions = nullptr;
    std::string trace_prefix;
};

// (Re)creates a ring over 2-4 resources of pool, repeats allowed.
void build_ring(Ring &g, const std::vector<Resource *> &pool, std::mt19937_64 &rng);

// One thread: its share of the operations, on tickets of its own, each
// chosen with the thread's own random generator (seeded from --seed).
class Worker {
public:
    Worker(Shared &shared, int index, long ops)
        : s_(shared), index_(index), ops_(ops),
          rng_(shared.options.seed * 0x9e3779b97f4a7c15ull + static_cast<uint64_t>(index) + 1) {}
    void run();

private:
    uint32_t roll(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }
    uint32_t roll(size_t n) { return roll(static_cast<uint32_t>(n)); }
    size_t holdings() const { return held_.size() + multis_.size(); }
    size_t pick_held() { return roll(held_.size()); }

    // main.cpp: the operations, one at a time, and the checks after each
    void one_operation();
    void check_holder(Ticket &t);
    void check_after_operation();
    void drain_deferred_queue();

    // acquire.cpp: acquiring
    void acquire_any();
    Mode pick_mode() { return roll(3u) == 0 ? Mode::kShared : Mode::kExclusive; }
    void count_acquire(const Ticket &t);
    void acquire_single(const std::vector<Resource *> &pool);
    void misuse_acquire(Resource &r);
    void acquire_many(const std::vector<Resource *> &pool);
    void misuse_acquire_many(const std::vector<ordo_resource> &handles,
                             const std::vector<ordo_mode> &modes);
    void ring_acquire();
    void misuse_ring(Ring &g);

    // wait.cpp: waiting (single tickets), and what the watchdog sees of a blocking call
    ordo_deadline pick_deadline();
    void note_timeout(Ticket &t, ordo_deadline deadline);
    double stuck_seconds(bool eligible, int64_t &since);
    void publish_wait(const char *what, Ticket *const *tickets, int n, ordo_deadline deadline);
    void publish_wait(const char *what, Ticket &t, ordo_deadline deadline);

    // A call that must not block (an acquire): its deadline is now.
    void publish_call(const char *what) { publish_wait(what, nullptr, 0, ordo_now()); }
    void end_wait() { s_.slots[index_].generation.fetch_add(1, std::memory_order_acq_rel); }

    ordo_deadline pick_wait_deadline();
    void check_events_complete(const cl_event *events, size_t n, const char *what);
    void host_wait(size_t i, bool complete);
    void device_wait(size_t i);
    void deferred_wait(size_t i);
    int poll_grant(Ticket &t, const char *what, const cl_event **events, size_t *n);
    bool granted_and_complete(Ticket &t);
    void grant_future(size_t i);
    void async_wait_for_grant_events(size_t i);
    void check_device_wait_barrier(Ticket &t, cl_event barrier);
    void give_up_grant_future();

    // release.cpp: releasing (single tickets)
    bool released(size_t i) { return held_[i]->state.load() == kReleased; }
    void settle_deferred(Ticket &t, std::vector<cl_event> *list);
    void discard_device_work(Ticket &t);
    void add_user_events(std::vector<cl_event> &list);
    std::vector<cl_event> events_to_release(Ticket &t);
    void hand_over(std::vector<cl_event> &list);
    void finish(size_t i, bool misuse);
    void release_ready(size_t i);
    void release_with_failed_event(size_t i);
    void release_fail(size_t i);
    void drop(size_t i);
    void cancel(size_t i);
    void cancel_through_grant_future(size_t i);
    void release_any(size_t i);
    void release_any_holding();
    void misuse_after_release(size_t i);
    bool blocked_by_own(const Ticket &t);
    ordo_model::Seen seen_now(const Ticket &t);
    void stale_handle();

    // multi.cpp: multi-resource tickets
    void multi_operation(size_t k);
    static std::vector<Ticket *> open_parts(Multi &m);
    void publish_multi(const char *what, Multi &m, ordo_deadline deadline);
    void observe_multi(Multi &m, const char *how);
    void note_multi_timeout(Multi &m, ordo_deadline deadline);
    void multi_wait(size_t k, bool complete);
    void multi_enqueue_wait(size_t k);
    std::vector<cl_event> multi_events_to_release(Multi &m);
    void multi_release_all(size_t k, bool fail);
    void multi_release_one(size_t k);
    void multi_drop(size_t k);
    void finish_multi(size_t k, bool misuse);
    void multi_misuse(size_t k);
    void check_union(Multi &m, const cl_event *events, size_t n, const char *what);
    void see_failed_part(Multi &m);

    // jobs.cpp: the shared job queue
    void job_operation();

    // diagnostics.cpp: diagnostics and tracing, at a low rate
    void diagnostics();
    void dump(bool whole);
    void write_trace();

    Shared &s_;
    int index_;
    long ops_;
    std::mt19937_64 rng_;
    cl_command_queue queue_ = nullptr;
    cl_command_queue deferred_queue_ = nullptr; // deferred device waits only
    std::string trace_path_;
    std::vector<TicketPtr> held_;
    std::vector<MultiPtr> multis_;
    std::vector<ordo_ticket> stale_; // handles this thread destroyed lately
};

} // namespace ordo_stress
