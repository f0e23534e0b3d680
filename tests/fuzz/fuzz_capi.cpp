// libFuzzer target for the C ABI: each input is decoded into a sequence of C
// calls on a small table of handles, among them invalid ones: NULL, handles
// already destroyed, handles of another kind, bad counts and pointers,
// second releases, statuses out of range. Waits never block (their deadlines
// have passed), so an input runs in microseconds. Every function of the C
// ABI is reached. Deferred device waits each get a queue of their own; on
// POCL they are made only with a NULL queue, unless
// ORDO_FUZZ_DEFERRED_ON_POCL is set (POCL 3.1 aborts now and then when a
// deferred barrier's predecessor fails: docs/RUNTIMES.md).
//
// The oracle (shadow.hpp, over the reference model in tests/model) checks
// every call's status against the contract, what every grant carries (its
// events, or its failure's status and message, through waits and grant
// futures), that a stale or wrong-kind handle is refused, that a device
// wait's barrier is there exactly when the grant has events, that a job
// queue's backlog and length are what the contract says, and that a wait
// for a grant's events registers its event callbacks once. After each input
// every handle is destroyed, every user event set, each device wait's
// barrier checked against what it waited for, and each cl_event's reference
// count must come back to 1 (the harness's own). Any violation aborts, like
// a sanitizer report or a leak.
//
// Callbacks either count, or (registered on a grant or promise future,
// which complete on this thread) destroy a ticket of the table: the very
// ticket being released, sometimes.
//
// Encoding (one byte each, reads past the end give 0): an opcode (see Op),
// then its arguments, each read by one call in a statement of its own (the
// order of evaluation of function arguments is unspecified).
// tests/fuzz/make_seeds.py writes the seed corpus in this encoding.
#include "../support/cl_count.hpp"
#include "shadow.hpp"

#include <ordo/ordo.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

using ordo_fuzz::Shadow;

// The OpenCL side, created once.
struct Cl {
    cl_context context = nullptr;
    cl_command_queue queue = nullptr;
    bool pocl = false;
};
Cl g_cl;
// ORDO_FUZZ_DEFERRED_ON_POCL=1: valid deferred device waits on POCL too.
const bool g_deferred_on_pocl = std::getenv("ORDO_FUZZ_DEFERRED_ON_POCL") != nullptr;

void quiet_log(void *, int, const char *) {}

int init_cl() {
    cl_platform_id platform = nullptr;
    cl_device_id device = nullptr;
    cl_int err = clGetPlatformIDs(1, &platform, nullptr);
    if (err == CL_SUCCESS)
        err = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &device, nullptr);
    if (err == CL_SUCCESS)
        g_cl.context = clCreateContext(nullptr, 1, &device, nullptr, nullptr, &err);
    if (err == CL_SUCCESS)
        g_cl.queue = clCreateCommandQueue(g_cl.context, device, 0, &err);
    if (err != CL_SUCCESS) {
        std::fprintf(stderr, "fuzz_capi: no OpenCL device (%d)\n", err);
        std::abort();
    }
    char name[256] = {};
    clGetPlatformInfo(platform, CL_PLATFORM_NAME, sizeof name - 1, name, nullptr);
    g_cl.pocl = std::strstr(name, "Portable Computing Language") != nullptr;
    ordo_log_set_callback(quiet_log, nullptr);
    return 0;
}

class Input {
public:
    Input(const uint8_t *data, size_t size) : data_(data), size_(size) {}
    bool done() const { return pos_ >= size_; }
    uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
    uint32_t u16() { return byte() | (uint32_t{byte()} << 8); }
    int32_t i32() {
        uint32_t v = byte();
        v |= uint32_t{byte()} << 8;
        v |= uint32_t{byte()} << 16;
        v |= uint32_t{byte()} << 24;
        return static_cast<int32_t>(v);
    }
    int64_t i64() {
        uint64_t lo = static_cast<uint32_t>(i32());
        uint64_t hi = static_cast<uint32_t>(i32());
        return static_cast<int64_t>(lo | hi << 32);
    }

private:
    const uint8_t *data_;
    size_t size_;
    size_t pos_ = 0;
};

constexpr int kSlots = 6;

// A table slot: a handle, live or not. A destroyed handle keeps its value.
template <class H>
struct Table {
    H h[kSlots] = {};
    bool live[kSlots] = {};
    int put(H handle) {
        for (int i = 0; i < kSlots; ++i)
            if (!live[i]) {
                h[i] = handle;
                live[i] = true;
                return i;
            }
        return -1;
    }
};

// Callbacks may run on an OpenCL runtime thread: they only count.
struct CallbackCounter {
    std::atomic<int> calls{0};
};
CallbackCounter g_callbacks;
void count_callback(void *data, int) {
    static_cast<CallbackCounter *>(data)->calls.fetch_add(1);
}

enum Op : uint8_t {
    kResourceCreate,
    kResourceValue,
    kAcquire,
    kResourceDestroy,
    kTicketValue,
    kTicketWait,
    kTicketWaitComplete,
    kTicketEnqueueWait,
    kTicketGrantFuture,
    kTicketReady,
    kTicketFail,
    kTicketCancel,
    kTicketDestroy,
    kFuturePoll,
    kFutureWait,
    kFutureEvents,
    kFutureFailure,
    kFutureOnComplete,
    kFutureFd,
    kFutureCancel,
    kFutureClone,
    kFutureDestroy,
    kPromiseCreate,
    kPromiseFuture,
    kPromiseComplete,
    kPromiseFail,
    kPromiseDestroy,
    kWaitEventsAsync,
    kJobQueueCreate,
    kJobQueueAdd,
    kJobQueueTryAdd,
    kJobQueueClean,
    kJobQueueFinish,
    kJobQueueQuery,
    kJobQueueBacklogFuture,
    kJobQueueDestroy,
    kSetEventStatus,
    kMisc,
    // Beyond katsdpsigproc (shared and multi-resource tickets, rings,
    // deferred device waits, diagnostics, tracing).
    kAcquireShared,
    kAcquireMany,
    kMultiSize,
    kMultiWait,
    kMultiWaitComplete,
    kMultiEnqueueWait,
    kMultiReady,
    kMultiFail,
    kMultiReadyOne,
    kMultiFailOne,
    kMultiDestroy,
    kRingCreate,
    kRingAcquire,
    kRingQuery,
    kRingDestroy,
    kTicketEnqueueWaitDeferred,
    kTicketSetName,
    kDiagnostics,
    kTrace,
    // A callback that destroys a ticket of the table.
    kFutureOnCompleteDestroy,
    kNumOps
};

class Run {
public:
    explicit Run(Input &in) : in_(in) {
        for (auto &e : user_events_) {
            cl_int err = CL_SUCCESS;
            e = clCreateUserEvent(g_cl.context, &err);
            if (err != CL_SUCCESS)
                std::abort();
            owned_.push_back(e);
        }
    }

    void execute() {
        for (int steps = 0; steps < 256 && !in_.done(); ++steps) {
            shadow_.begin_op();
            step(static_cast<Op>(in_.byte() % kNumOps));
        }
    }

    // Destroys everything, sets every event, and checks reference counts.
    void finish() {
        for (cl_event e : user_events_) {
            cl_int status = CL_QUEUED;
            clGetEventInfo(e, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, nullptr);
            if (status > CL_COMPLETE)
                clSetUserEventStatus(e, CL_COMPLETE);
        }
        shadow_.begin_op();
        for (int i = 0; i < kSlots; ++i) {
            if (tickets_.live[i])
                destroy_ticket(tickets_.h[i]);
            if (futures_.live[i])
                shadow_.future_destroyed(futures_.h[i], ordo_future_destroy(futures_.h[i]));
            if (promises_.live[i])
                destroy_promise(promises_.h[i]);
            if (queues_.live[i])
                shadow_.queue_destroyed(queues_.h[i], ordo_job_queue_destroy(queues_.h[i]));
            if (multis_.live[i])
                destroy_multi(multis_.h[i]);
            if (rings_.live[i])
                shadow_.ring_destroyed(rings_.h[i], ordo_ring_destroy(rings_.h[i]));
            if (resources_.live[i])
                shadow_.resource_destroyed(resources_.h[i], ordo_resource_destroy(resources_.h[i]));
        }
        clFinish(g_cl.queue);
        // Every ticket is gone, so every deferred barrier's user event is
        // set (or is being set once the work ahead of it ends).
        for (cl_command_queue q : deferred_queues_)
            clFinish(q);
        shadow_.check_barriers();
        for (cl_command_queue q : deferred_queues_)
            clReleaseCommandQueue(q);
        ordo_trace_stop();
        ordo_diagnostics_enable(0);
        ordo_diagnostics_set_wait_warning(0);
        ordo_log_set_level(ORDO_LOG_WARNING);
        ordo_deadline deadline = ordo_deadline_after(10'000'000'000);
        owned_.insert(owned_.end(), deferred_barriers_.begin(), deferred_barriers_.end());
        for (cl_event e : owned_) {
            cl_uint count = 0;
            for (;;) {
                ordo_events_flush_releases(deadline);
                clGetEventInfo(e, CL_EVENT_REFERENCE_COUNT, sizeof count, &count, nullptr);
                if (count <= 1 || ordo_now() > deadline)
                    break;
                std::this_thread::yield();
            }
            if (count != 1) {
                std::fprintf(stderr, "fuzz_capi: cl_event %p has reference count %u, not 1\n",
                             static_cast<void *>(e), count);
                std::abort();
            }
            clReleaseEvent(e);
        }
    }

private:
    // A handle of kind H for an argument: usually a table slot (live or
    // destroyed), sometimes NULL or a handle of another kind.
    template <class H>
    H pick(Table<H> &table) {
        uint8_t b = in_.byte();
        switch (b % 8) {
        case 0:
            return nullptr;
        case 1:
            return wrong_kind<H>(b / 8);
        default:
            return table.h[(b / 8) % kSlots];
        }
    }
    template <class H>
    H wrong_kind(int which) {
        switch (which % 7) {
        case 5:
            return reinterpret_cast<H>(multis_.h[which % kSlots]);
        case 6:
            return reinterpret_cast<H>(rings_.h[which % kSlots]);
        case 0:
            return reinterpret_cast<H>(resources_.h[which % kSlots]);
        case 1:
            return reinterpret_cast<H>(tickets_.h[which % kSlots]);
        case 2:
            return reinterpret_cast<H>(futures_.h[which % kSlots]);
        case 3:
            return reinterpret_cast<H>(promises_.h[which % kSlots]);
        default:
            return reinterpret_cast<H>(queues_.h[which % kSlots]);
        }
    }
    // The slot a handle argument came from, to track destroys.
    template <class H>
    void forget(Table<H> &table, H handle, int status) {
        if (status != ORDO_OK || handle == nullptr)
            return;
        for (int i = 0; i < kSlots; ++i)
            if (table.h[i] == handle)
                table.live[i] = false;
    }
    template <class H>
    void keep(Table<H> &table, H handle) {
        if (table.put(handle) >= 0)
            return;
        // Full: destroy it at once.
        if constexpr (std::is_same_v<H, ordo_ticket>)
            destroy_ticket(handle);
        else if constexpr (std::is_same_v<H, ordo_future>)
            shadow_.future_destroyed(handle, ordo_future_destroy(handle));
        else if constexpr (std::is_same_v<H, ordo_promise>)
            destroy_promise(handle);
        else if constexpr (std::is_same_v<H, ordo_job_queue>)
            shadow_.queue_destroyed(handle, ordo_job_queue_destroy(handle));
        else if constexpr (std::is_same_v<H, ordo_multi_ticket>)
            destroy_multi(handle);
        else if constexpr (std::is_same_v<H, ordo_ring>)
            shadow_.ring_destroyed(handle, ordo_ring_destroy(handle));
        else
            shadow_.resource_destroyed(handle, ordo_resource_destroy(handle));
    }

    int destroy_ticket(ordo_ticket t) {
        int expected = shadow_.plan_destroy(t);
        int status = ordo_ticket_destroy(t);
        shadow_.check_planned("ordo_ticket_destroy", expected, status);
        forget(tickets_, t, status);
        return status;
    }
    void destroy_promise(ordo_promise p) {
        int expected = shadow_.plan_promise_destroy(p);
        int status = ordo_promise_destroy(p);
        shadow_.check_planned("ordo_promise_destroy", expected, status);
        forget(promises_, p, status);
    }
    void destroy_multi(ordo_multi_ticket m) {
        int expected = shadow_.plan_multi_destroy(m);
        int status = ordo_multi_ticket_destroy(m);
        shadow_.check_planned("ordo_multi_ticket_destroy", expected, status);
        forget(multis_, m, status);
    }

    // An event list argument: up to 4 of the input's events (user events and
    // barriers), maybe a NULL entry; or a NULL array with a count.
    struct Events {
        cl_event list[4] = {};
        const cl_event *pointer = nullptr;
        size_t count = 0;
    };
    Events events() {
        Events e;
        uint8_t b = in_.byte();
        if (b % 16 == 15) { // bad: NULL with a count
            e.count = b / 16 == 0 ? SIZE_MAX : b / 16;
            return e;
        }
        e.count = b % 5;
        for (size_t i = 0; i < e.count; ++i) {
            uint8_t k = in_.byte();
            e.list[i] = k % 16 == 15 ? nullptr : owned_[k % owned_.size()];
        }
        e.pointer = e.count == 0 && b / 16 % 2 ? nullptr : e.list;
        return e;
    }

    ordo_deadline deadline() { return in_.byte() % 2 ? ordo_now() - 1 : ordo_now(); }

    // A resource list argument with modes: up to 4 picks (so duplicates,
    // NULL and wrong kinds), or a NULL array with a count.
    struct Resources {
        ordo_resource list[4] = {};
        ordo_mode modes[4] = {};
        const ordo_resource *pointer = nullptr;
        const ordo_mode *mode_pointer = nullptr;
        size_t count = 0;
    };
    Resources resource_list() {
        Resources r;
        uint8_t b = in_.byte();
        if (b % 16 == 15) { // bad: NULL with a count
            r.count = b / 16 == 0 ? SIZE_MAX : b / 16;
            return r;
        }
        r.count = b % 5;
        for (size_t i = 0; i < r.count; ++i) {
            r.list[i] = pick(resources_);
            uint8_t m = in_.byte();
            r.modes[i] = static_cast<ordo_mode>(m % 8 == 7 ? m : m % 2); // sometimes a bad mode
        }
        r.pointer = r.list;
        r.mode_pointer = b / 16 % 2 ? nullptr : r.modes;
        return r;
    }
    // What ordo_resource_acquire_many / ordo_ring_create must answer for a list
    // (modes only for acquire_many), out given or not.
    int expect_list(const Resources &r, bool with_modes, bool out_null) {
        if (out_null || r.count == 0 || r.pointer == nullptr)
            return ORDO_ERROR_INVALID_ARGUMENT;
        for (size_t i = 0; i < r.count; ++i) {
            if (!shadow_.resource_live(r.list[i]))
                return ORDO_ERROR_INVALID_HANDLE;
            if (with_modes && r.mode_pointer != nullptr && r.modes[i] != ORDO_EXCLUSIVE &&
                r.modes[i] != ORDO_SHARED)
                return ORDO_ERROR_INVALID_ARGUMENT;
        }
        if (with_modes)
            for (size_t i = 0; i < r.count; ++i)
                for (size_t j = i + 1; j < r.count; ++j)
                    if (r.list[i] == r.list[j])
                        return ORDO_ERROR_INVALID_ARGUMENT;
        return ORDO_OK;
    }

    // A callback that destroys the ticket in a table slot, if it still holds
    // the handle it held when the callback was registered. Registered only
    // on futures that complete on this thread.
    struct Destroyer {
        Run *run;
        int slot;
        ordo_ticket handle;
    };
    static void destroy_in_callback(void *data, int) {
        auto *d = static_cast<Destroyer *>(data);
        Run &run = *d->run;
        if (run.tickets_.live[d->slot] && run.tickets_.h[d->slot] == d->handle) {
            bool outer = run.in_callback_;
            run.in_callback_ = true;
            run.shadow_.set_in_callback(true);
            run.destroy_ticket(d->handle);
            run.in_callback_ = outer;
            run.shadow_.set_in_callback(outer);
        }
        delete d;
    }

    void step(Op op) {
        switch (op) {
        case kResourceCreate: {
            ordo_resource r = nullptr;
            uint8_t b = in_.byte();
            int status = ordo_resource_create(b % 2 ? &in_ : nullptr, b % 4 < 2 ? "fuzz" : nullptr,
                                              b % 8 == 7 ? nullptr : &r);
            shadow_.check_planned("ordo_resource_create",
                                  b % 8 == 7 ? ORDO_ERROR_INVALID_ARGUMENT : ORDO_OK, status);
            if (status == ORDO_OK) {
                shadow_.resource_created(r);
                keep(resources_, r);
            }
            break;
        }
        case kResourceValue: {
            void *v = nullptr;
            ordo_resource r = pick(resources_);
            uint8_t b = in_.byte();
            Shadow::check_handle("ordo_resource_value", shadow_.resource_live(r),
                                 ordo_resource_value(r, b % 8 == 7 ? nullptr : &v));
            break;
        }
        case kAcquire:
        case kAcquireShared: {
            ordo_ticket t = nullptr;
            ordo_resource r = pick(resources_);
            bool out_null = in_.byte() % 8 == 7;
            bool shared = op == kAcquireShared;
            int status = shared ? ordo_resource_acquire_shared(r, out_null ? nullptr : &t)
                                : ordo_resource_acquire(r, out_null ? nullptr : &t);
            shadow_.check_planned("ordo_resource_acquire",
                                  !shadow_.resource_live(r) ? ORDO_ERROR_INVALID_HANDLE
                                  : out_null                ? ORDO_ERROR_INVALID_ARGUMENT
                                                            : ORDO_OK,
                                  status);
            if (status == ORDO_OK) {
                shadow_.acquired(r, shared, t);
                keep(tickets_, t);
            }
            break;
        }
        case kResourceDestroy: {
            ordo_resource r = pick(resources_);
            int status = ordo_resource_destroy(r);
            shadow_.resource_destroyed(r, status);
            forget(resources_, r, status);
            break;
        }
        case kTicketValue: {
            void *v = nullptr;
            ordo_ticket t = pick(tickets_);
            uint8_t b = in_.byte();
            Shadow::check_handle("ordo_ticket_value", shadow_.ticket(t) != nullptr,
                                 ordo_ticket_value(t, b % 8 == 7 ? nullptr : &v));
            break;
        }
        case kTicketWait:
        case kTicketWaitComplete: {
            ordo_ticket t = pick(tickets_);
            const cl_event *list = nullptr;
            size_t n = 0;
            uint8_t b = in_.byte();
            bool ask_events = b % 2, ask_n = b % 4 < 2;
            ordo_deadline d = deadline();
            uint64_t before = ordo_test::callback_registrations_on_this_thread();
            int status =
                op == kTicketWait
                    ? ordo_ticket_wait(t, d, ask_events ? &list : nullptr, ask_n ? &n : nullptr)
                    : ordo_ticket_wait_complete(t, d, ask_events ? &list : nullptr,
                                                ask_n ? &n : nullptr);
            uint64_t registered = ordo_test::callback_registrations_on_this_thread() - before;
            if (status == ORDO_OK && list != nullptr && n > 0)
                (void)list[n - 1]; // the borrowed array is readable
            bool both = ask_events && ask_n;
            if (op == kTicketWait)
                shadow_.check_wait(t, status, list, n, both);
            else
                shadow_.check_wait_complete(t, status, list, n, both, registered);
            break;
        }
        case kTicketEnqueueWait: {
            ordo_ticket t = pick(tickets_);
            uint8_t b = in_.byte();
            cl_event barrier = nullptr;
            bool null_queue = b % 4 == 3, ask = b % 2;
            int status = ordo_ticket_enqueue_wait(t, null_queue ? nullptr : g_cl.queue, deadline(),
                                                  ask ? &barrier : nullptr);
            shadow_.check_enqueue_wait(t, null_queue, status, barrier, ask);
            if (status == ORDO_OK && barrier != nullptr)
                owned_.push_back(barrier); // a new reference, ours
            break;
        }
        case kTicketGrantFuture: {
            ordo_future f = nullptr;
            ordo_ticket t = pick(tickets_);
            bool null_out = in_.byte() % 8 == 7;
            int status = ordo_ticket_grant_future(t, null_out ? nullptr : &f);
            shadow_.grant_future_taken(t, null_out, status, f);
            if (status == ORDO_OK)
                keep(futures_, f);
            break;
        }
        case kTicketReady: {
            ordo_ticket t = pick(tickets_);
            Events e = events();
            int expected = shadow_.plan_ready(t, e.pointer, e.count);
            shadow_.check_planned("ordo_ticket_ready", expected,
                                  ordo_ticket_ready(t, e.pointer, e.count));
            break;
        }
        case kTicketFail: {
            ordo_ticket t = pick(tickets_);
            uint8_t b = in_.byte();
            int status = in_.i32();
            const char *message = b % 2 ? "fuzz failure" : nullptr;
            int expected = shadow_.plan_fail(t, status, message);
            shadow_.check_planned("ordo_ticket_fail", expected,
                                  ordo_ticket_fail(t, status, message));
            break;
        }
        case kTicketCancel: {
            ordo_ticket t = pick(tickets_);
            int expected = shadow_.plan_cancel(t);
            shadow_.check_planned("ordo_ticket_cancel", expected, ordo_ticket_cancel(t));
            break;
        }
        case kTicketDestroy:
            destroy_ticket(pick(tickets_));
            break;
        case kFuturePoll: {
            ordo_future f = pick(futures_);
            shadow_.check_poll(f, ordo_future_poll(f));
            break;
        }
        case kFutureWait: {
            ordo_future f = pick(futures_);
            uint8_t b = in_.byte();
            unsigned flags = b % 4 == 3 ? b : b % 2;
            ordo_deadline d = deadline();
            int expected = shadow_.plan_future_wait(f, flags);
            shadow_.check_future_wait(f, flags, expected, ordo_future_wait(f, d, flags));
            break;
        }
        case kFutureEvents: {
            const cl_event *list = nullptr;
            size_t n = 0;
            ordo_future f = pick(futures_);
            uint8_t b = in_.byte();
            int status =
                ordo_future_events(f, b % 8 == 7 ? nullptr : &list, b % 8 == 6 ? nullptr : &n);
            if (status == ORDO_OK && n > 0)
                (void)list[n - 1];
            shadow_.check_future_events(f, status, list, n);
            break;
        }
        case kFutureFailure: {
            int failure_status = 0;
            const char *message = nullptr;
            cl_int cl_status = 0;
            ordo_future f = pick(futures_);
            uint8_t b = in_.byte();
            bool ask_status = b % 2;
            int status = ordo_future_failure(f, ask_status ? &failure_status : nullptr,
                                             b % 4 < 2 ? &message : nullptr,
                                             b % 8 < 4 ? &cl_status : nullptr);
            if (status == ORDO_OK && message != nullptr)
                (void)std::strlen(message);
            if (ask_status)
                shadow_.check_future_failure(f, status, failure_status, message);
            else
                Shadow::check_handle("ordo_future_failure", shadow_.completion(f) != nullptr,
                                     status);
            break;
        }
        case kFutureOnComplete: {
            ordo_future f = pick(futures_);
            bool null_fn = in_.byte() % 8 == 7;
            Shadow::check_handle(
                "ordo_future_on_complete", shadow_.completion(f) != nullptr,
                ordo_future_on_complete(f, null_fn ? nullptr : count_callback, &g_callbacks));
            break;
        }
        case kFutureOnCompleteDestroy: {
            ordo_future f = pick(futures_);
            int slot = in_.byte() % kSlots;
            auto c = shadow_.completion(f);
            // Only futures that complete on this thread: grants and promises.
            if (!c || (c->kind != ordo_fuzz::Completion::kGrant &&
                       c->kind != ordo_fuzz::Completion::kPromise))
                break;
            auto *d = new Destroyer{this, slot, tickets_.live[slot] ? tickets_.h[slot] : nullptr};
            int status = ordo_future_on_complete(f, destroy_in_callback, d);
            shadow_.check_planned("ordo_future_on_complete", ORDO_OK, status);
            if (status != ORDO_OK)
                delete d;
            break;
        }
        case kFutureFd: {
            int fd = -1;
            ordo_future f = pick(futures_);
            bool null_fd = in_.byte() % 8 == 7;
            Shadow::check_handle("ordo_future_fd", shadow_.completion(f) != nullptr,
                                 ordo_future_fd(f, null_fd ? nullptr : &fd));
            break;
        }
        case kFutureCancel: {
            ordo_future f = pick(futures_);
            int expected = shadow_.plan_future_cancel(f);
            shadow_.check_planned("ordo_future_cancel", expected, ordo_future_cancel(f));
            break;
        }
        case kFutureClone: {
            ordo_future f = nullptr;
            ordo_future g = pick(futures_);
            bool null_out = in_.byte() % 8 == 7;
            int status = ordo_future_clone(g, null_out ? nullptr : &f);
            auto c = shadow_.completion(g);
            shadow_.check_planned("ordo_future_clone",
                                  !c         ? ORDO_ERROR_INVALID_HANDLE
                                  : null_out ? ORDO_ERROR_INVALID_ARGUMENT
                                             : ORDO_OK,
                                  status);
            if (status == ORDO_OK) {
                shadow_.future_made(f, c);
                keep(futures_, f);
            }
            break;
        }
        case kFutureDestroy: {
            ordo_future f = pick(futures_);
            int status = ordo_future_destroy(f);
            shadow_.future_destroyed(f, status);
            forget(futures_, f, status);
            break;
        }
        case kPromiseCreate: {
            ordo_promise p = nullptr;
            bool null_out = in_.byte() % 8 == 7;
            int status = ordo_promise_create(null_out ? nullptr : &p);
            shadow_.check_planned("ordo_promise_create",
                                  null_out ? ORDO_ERROR_INVALID_ARGUMENT : ORDO_OK, status);
            if (status == ORDO_OK) {
                shadow_.promise_created(p);
                keep(promises_, p);
            }
            break;
        }
        case kPromiseFuture: {
            ordo_future f = nullptr;
            ordo_promise p = pick(promises_);
            bool null_out = in_.byte() % 8 == 7;
            int status = ordo_promise_future(p, null_out ? nullptr : &f);
            shadow_.promise_future(p, status, null_out ? nullptr : f);
            if (status == ORDO_OK)
                keep(futures_, f);
            break;
        }
        case kPromiseComplete: {
            ordo_promise p = pick(promises_);
            Events e = events();
            int expected = shadow_.plan_promise_complete(p, e.pointer, e.count);
            shadow_.check_planned("ordo_promise_complete", expected,
                                  ordo_promise_complete(p, e.pointer, e.count));
            break;
        }
        case kPromiseFail: {
            ordo_promise p = pick(promises_);
            int status = in_.i32();
            const char *message = in_.byte() % 2 ? "fuzz" : nullptr;
            int expected = shadow_.plan_promise_fail(p, status, message);
            shadow_.check_planned("ordo_promise_fail", expected,
                                  ordo_promise_fail(p, status, message));
            break;
        }
        case kPromiseDestroy:
            destroy_promise(pick(promises_));
            break;
        case kWaitEventsAsync: {
            Events e = events();
            ordo_future f = nullptr;
            bool null_out = in_.byte() % 8 == 7;
            int status = ordo_events_wait_async(e.pointer, e.count, null_out ? nullptr : &f);
            bool bad = null_out || (e.count != 0 && e.pointer == nullptr);
            for (size_t i = 0; e.pointer != nullptr && i < e.count; ++i)
                bad = bad || e.list[i] == nullptr;
            shadow_.check_planned("ordo_events_wait_async",
                                  bad ? ORDO_ERROR_INVALID_ARGUMENT : ORDO_OK, status);
            if (status == ORDO_OK) {
                shadow_.event_wait_made(e.pointer, e.count, f);
                keep(futures_, f);
            }
            break;
        }
        case kJobQueueCreate: {
            ordo_job_queue q = nullptr;
            uint8_t b = in_.byte();
            bool null_out = b % 16 == 15;
            int status = ordo_job_queue_create(b % 4, null_out ? nullptr : &q);
            shadow_.check_planned("ordo_job_queue_create",
                                  null_out ? ORDO_ERROR_INVALID_ARGUMENT : ORDO_OK, status);
            if (status == ORDO_OK) {
                shadow_.queue_created(q, b % 4);
                keep(queues_, q);
            }
            break;
        }
        case kJobQueueAdd:
        case kJobQueueTryAdd: {
            ordo_job_queue q = pick(queues_);
            ordo_future f = pick(futures_);
            bool add = op == kJobQueueAdd;
            ordo_deadline d = add ? deadline() : 0;
            int expected = shadow_.plan_queue_add(q, f, add);
            int status = add ? ordo_job_queue_add(q, f, d) : ordo_job_queue_try_add(q, f);
            shadow_.check_queue_add(add ? "ordo_job_queue_add" : "ordo_job_queue_try_add", q, f,
                                    expected, status);
            break;
        }
        case kJobQueueClean: {
            ordo_job_queue q = pick(queues_);
            shadow_.check_queue_clean(q, ordo_job_queue_clean(q));
            break;
        }
        case kJobQueueFinish: {
            ordo_job_queue q = pick(queues_);
            size_t max_remaining = in_.byte() % 4;
            ordo_deadline d = deadline();
            shadow_.check_queue_finish(q, max_remaining,
                                       ordo_job_queue_finish(q, max_remaining, d));
            break;
        }
        case kJobQueueQuery: {
            ordo_job_queue q = pick(queues_);
            ordo_future f = pick(futures_);
            size_t n = 0, backlog = 0;
            int contains = 0;
            uint8_t b = in_.byte();
            int size_status = ordo_job_queue_size(q, b % 8 == 7 ? nullptr : &n);
            int backlog_status = ordo_job_queue_backlog(q, b % 8 == 6 ? nullptr : &backlog);
            shadow_.check_queue_query(q, b % 8 == 7, size_status, n, b % 8 == 6, backlog_status,
                                      backlog);
            int c = ordo_job_queue_contains(q, f, b % 8 == 5 ? nullptr : &contains);
            Shadow::check_handle("ordo_job_queue_contains",
                                 shadow_.queue_live(q) && shadow_.completion(f) != nullptr, c);
            break;
        }
        case kJobQueueBacklogFuture: {
            ordo_job_queue q = pick(queues_);
            ordo_future f = nullptr;
            uint8_t b = in_.byte();
            int status = ordo_job_queue_backlog_future(q, b % 4, b % 16 == 15 ? nullptr : &f);
            Shadow::check_handle("ordo_job_queue_backlog_future", shadow_.queue_live(q), status);
            if (status == ORDO_OK) {
                auto c = std::make_shared<ordo_fuzz::Completion>();
                c->kind = ordo_fuzz::Completion::kUnknown;
                shadow_.future_made(f, c);
                keep(futures_, f);
            }
            break;
        }
        case kJobQueueDestroy: {
            ordo_job_queue q = pick(queues_);
            int status = ordo_job_queue_destroy(q);
            shadow_.queue_destroyed(q, status);
            forget(queues_, q, status);
            break;
        }
        case kSetEventStatus: {
            // The OpenCL side: a user event completes or fails (once).
            uint8_t b = in_.byte();
            cl_event e = user_events_[b % 3];
            cl_int status = CL_QUEUED;
            clGetEventInfo(e, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, nullptr);
            if (status > CL_COMPLETE)
                clSetUserEventStatus(e, b / 3 % 2 ? CL_COMPLETE : -static_cast<cl_int>(b / 6 + 1));
            break;
        }
        case kMisc: {
            int32_t v = in_.i32();
            switch (in_.byte() % 6) {
            case 0:
                (void)std::strlen(ordo_status_string(v));
                (void)std::strlen(ordo_status_description(v));
                break;
            case 1:
                ordo_log_set_level(v % 2 ? v : (v & 0x7f));
                break;
            case 2:
                (void)ordo_log_get_level();
                (void)std::strlen(ordo_last_error_message());
                break;
            case 3:
                ordo_events_flush_releases(ordo_now() - 1);
                break;
            case 4:
                (void)ordo_deadline_after(in_.i64());
                break;
            default: {
                int major = 0, minor = 0, patch = 0;
                ordo_version(v % 2 ? &major : nullptr, v % 4 < 2 ? &minor : nullptr,
                             v % 8 < 4 ? &patch : nullptr);
            }
            }
            break;
        }
        case kAcquireMany: {
            Resources r = resource_list();
            ordo_multi_ticket m = nullptr;
            bool out_null = in_.byte() % 8 == 7;
            int expected = expect_list(r, true, out_null);
            int status = ordo_resource_acquire_many(r.pointer, r.mode_pointer, r.count,
                                                    out_null ? nullptr : &m);
            shadow_.check_planned("ordo_resource_acquire_many", expected, status);
            if (status == ORDO_OK) {
                shadow_.multi_acquired(r.list, r.count, r.mode_pointer, m);
                keep(multis_, m);
            }
            break;
        }
        case kMultiSize: {
            size_t n = 0;
            ordo_multi_ticket m = pick(multis_);
            bool null_n = in_.byte() % 8 == 7;
            Shadow::check_handle("ordo_multi_ticket_size", shadow_.multi_live(m),
                                 ordo_multi_ticket_size(m, null_n ? nullptr : &n));
            break;
        }
        case kMultiWait:
        case kMultiWaitComplete: {
            ordo_multi_ticket m = pick(multis_);
            const cl_event *list = nullptr;
            size_t n = 0;
            uint8_t b = in_.byte();
            bool ask_events = b % 2, ask_n = b % 4 < 2;
            ordo_deadline d = deadline();
            bool complete = op == kMultiWaitComplete;
            uint64_t before = ordo_test::callback_registrations_on_this_thread();
            int status = complete ? ordo_multi_ticket_wait_complete(
                                        m, d, ask_events ? &list : nullptr, ask_n ? &n : nullptr)
                                  : ordo_multi_ticket_wait(m, d, ask_events ? &list : nullptr,
                                                           ask_n ? &n : nullptr);
            uint64_t registered = ordo_test::callback_registrations_on_this_thread() - before;
            if (status == ORDO_OK && list != nullptr && n > 0)
                (void)list[n - 1];
            shadow_.check_multi_wait(m, status, list, n, ask_events && ask_n, complete, registered);
            break;
        }
        case kMultiEnqueueWait: {
            ordo_multi_ticket m = pick(multis_);
            uint8_t b = in_.byte();
            cl_event barrier = nullptr;
            bool null_queue = b % 4 == 3, ask = b % 2;
            int status = ordo_multi_ticket_enqueue_wait(m, null_queue ? nullptr : g_cl.queue,
                                                        deadline(), ask ? &barrier : nullptr);
            shadow_.check_multi_enqueue_wait(m, null_queue, status, barrier, ask);
            own(status, barrier);
            break;
        }
        case kMultiReady: {
            ordo_multi_ticket m = pick(multis_);
            Events e = events();
            int expected = shadow_.plan_multi_ready(m, e.pointer, e.count);
            shadow_.check_planned("ordo_multi_ticket_ready", expected,
                                  ordo_multi_ticket_ready(m, e.pointer, e.count));
            break;
        }
        case kMultiFail: {
            ordo_multi_ticket m = pick(multis_);
            uint8_t b = in_.byte();
            int status = in_.i32();
            const char *message = b % 2 ? "fuzz failure" : nullptr;
            int expected = shadow_.plan_multi_fail(m, status, message);
            shadow_.check_planned("ordo_multi_ticket_fail", expected,
                                  ordo_multi_ticket_fail(m, status, message));
            break;
        }
        case kMultiReadyOne: {
            ordo_multi_ticket m = pick(multis_);
            size_t index = in_.byte() % 6; // often out of range
            Events e = events();
            int expected = shadow_.plan_multi_ready_one(m, index, e.pointer, e.count);
            shadow_.check_planned("ordo_multi_ticket_ready_one", expected,
                                  ordo_multi_ticket_ready_one(m, index, e.pointer, e.count));
            break;
        }
        case kMultiFailOne: {
            ordo_multi_ticket m = pick(multis_);
            size_t index = in_.byte() % 6;
            int status = in_.i32();
            const char *message = in_.byte() % 2 ? "fuzz" : nullptr;
            int expected = shadow_.plan_multi_fail_one(m, index, status, message);
            shadow_.check_planned("ordo_multi_ticket_fail_one", expected,
                                  ordo_multi_ticket_fail_one(m, index, status, message));
            break;
        }
        case kMultiDestroy:
            destroy_multi(pick(multis_));
            break;
        case kRingCreate: {
            Resources r = resource_list();
            ordo_ring ring = nullptr;
            bool out_null = in_.byte() % 8 == 7;
            int expected = expect_list(r, false, out_null);
            int status = ordo_ring_create(r.pointer, r.count, out_null ? nullptr : &ring);
            shadow_.check_planned("ordo_ring_create", expected, status);
            if (status == ORDO_OK) {
                shadow_.ring_created(r.list, r.count, ring);
                keep(rings_, ring);
            }
            break;
        }
        case kRingAcquire: {
            ordo_ring ring = pick(rings_);
            uint8_t b = in_.byte();
            ordo_ticket t = nullptr;
            size_t index = 0;
            int mode = b % 8 == 7 ? b : b % 2;
            bool null_out = b % 16 == 14, null_index = b % 4 == 3;
            int status = ordo_ring_acquire(ring, static_cast<ordo_mode>(mode),
                                           null_out ? nullptr : &t, null_index ? nullptr : &index);
            int expected = !shadow_.ring_live(ring) ? ORDO_ERROR_INVALID_HANDLE
                           : (mode != ORDO_EXCLUSIVE && mode != ORDO_SHARED)
                               ? ORDO_ERROR_INVALID_ARGUMENT
                           : null_out ? ORDO_ERROR_INVALID_ARGUMENT
                                      : ORDO_OK;
            shadow_.check_planned("ordo_ring_acquire", expected, status);
            if (status == ORDO_OK) {
                shadow_.ring_acquired(ring, mode == ORDO_SHARED, t, null_index ? nullptr : &index);
                keep(tickets_, t);
            }
            break;
        }
        case kRingQuery: {
            ordo_ring ring = pick(rings_);
            uint8_t b = in_.byte();
            size_t n = 0;
            void *value = nullptr;
            Shadow::check_handle("ordo_ring_size", shadow_.ring_live(ring),
                                 ordo_ring_size(ring, b % 8 == 7 ? nullptr : &n));
            size_t index = in_.byte() % 6;
            Shadow::check_handle("ordo_ring_value", shadow_.ring_live(ring),
                                 ordo_ring_value(ring, index, b % 8 == 6 ? nullptr : &value));
            break;
        }
        case kRingDestroy: {
            ordo_ring ring = pick(rings_);
            int status = ordo_ring_destroy(ring);
            shadow_.ring_destroyed(ring, status);
            forget(rings_, ring, status);
            break;
        }
        case kTicketEnqueueWaitDeferred: {
            // Each on a queue of its own. On POCL 3.1 only with a NULL queue
            // (refused) by default: its deferred barriers whose predecessor
            // fails abort the process now and then (docs/RUNTIMES.md), about
            // once in 50,000 to 90,000 inputs, after the input that caused it.
            ordo_ticket t = pick(tickets_);
            uint8_t b = in_.byte();
            cl_command_queue queue = nullptr;
            if (b % 4 != 3 && (!g_cl.pocl || g_deferred_on_pocl)) {
                cl_device_id device = nullptr;
                clGetContextInfo(g_cl.context, CL_CONTEXT_DEVICES, sizeof device, &device, nullptr);
                cl_int err = CL_SUCCESS;
                queue = clCreateCommandQueue(g_cl.context, device, 0, &err);
                if (err != CL_SUCCESS)
                    std::abort();
                deferred_queues_.push_back(queue);
            }
            cl_event barrier = nullptr;
            int status = ordo_ticket_enqueue_wait_deferred(t, queue, b % 2 ? &barrier : nullptr);
            shadow_.check_enqueue_wait_deferred(t, queue == nullptr, status, barrier);
            // Not an input of later calls: a ticket released with its own
            // successor's deferred barrier would wait for itself.
            if (status == ORDO_OK && barrier != nullptr)
                deferred_barriers_.push_back(barrier);
            if (queue != nullptr)
                clFlush(queue);
            break;
        }
        case kTicketSetName: {
            ordo_ticket t = pick(tickets_);
            uint8_t b = in_.byte();
            Shadow::check_handle(
                "ordo_ticket_set_name", shadow_.ticket(t) != nullptr,
                ordo_ticket_set_name(t, b % 4 == 3 ? nullptr : (b % 2 ? "fuzz" : "")));
            break;
        }
        case kDiagnostics: {
            uint8_t b = in_.byte();
            switch (b % 4) {
            case 0:
                ordo_diagnostics_enable(b / 4 % 2);
                break;
            case 1: {
                char buffer[256];
                size_t length = 0;
                size_t capacity = b / 4 % 2 ? sizeof buffer : b / 8 % 8;
                ordo_diagnostics_dump(b / 32 % 2 ? pick(resources_) : nullptr,
                                      b / 64 % 2 ? nullptr : buffer, capacity,
                                      b / 128 ? nullptr : &length);
                break;
            }
            case 2:
                ordo_diagnostics_set_wait_warning(b / 4 % 2 ? -1 : int64_t{b / 8} * 1000);
                break;
            default:
                ordo_log_set_level(b / 4 % 2 ? ORDO_LOG_DEBUG : ORDO_LOG_WARNING);
            }
            break;
        }
        case kTrace: {
            uint8_t b = in_.byte();
            switch (b % 4) {
            case 0:
                ordo_trace_start(b / 4 % 4 == 3 ? 0 : 16u << (b / 4 % 4));
                break;
            case 1:
                ordo_trace_stop();
                break;
            default:
                ordo_trace_write(b % 4 == 2 ? nullptr : "/nonexistent-dir/ordo-fuzz-trace.json");
            }
            break;
        }
        case kNumOps:
            break;
        }
    }

    // The OpenCL outcome of an enqueue: a barrier handed back is ours.
    void own(int status, cl_event barrier) {
        if (status == ORDO_OK && barrier != nullptr)
            owned_.push_back(barrier);
    }

    Input &in_;
    ordo_fuzz::Shadow shadow_;
    bool in_callback_ = false;
    Table<ordo_resource> resources_;
    Table<ordo_ticket> tickets_;
    Table<ordo_future> futures_;
    Table<ordo_promise> promises_;
    Table<ordo_job_queue> queues_;
    Table<ordo_multi_ticket> multis_;
    Table<ordo_ring> rings_;
    std::vector<cl_command_queue> deferred_queues_; // ours, released at the end
    cl_event user_events_[3] = {};
    std::vector<cl_event> owned_;             // each holds our one reference
    std::vector<cl_event> deferred_barriers_; // likewise
};

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
    return init_cl();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    // ORDO_FUZZ_LAST_INPUT=path keeps the input being run on disk, for a
    // crash that libFuzzer cannot catch (an abort inside the OpenCL runtime).
    static const char *last_input = std::getenv("ORDO_FUZZ_LAST_INPUT");
    if (last_input != nullptr) {
        if (std::FILE *f = std::fopen(last_input, "wb")) {
            std::fwrite(data, 1, size, f);
            std::fclose(f);
        }
    }
    Input in(data, size);
    Run run(in);
    run.execute();
    run.finish();
    return 0;
}
