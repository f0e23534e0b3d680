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
// After each input every handle is destroyed, every user event set, and each
// cl_event's reference count must come back to 1 (the harness's own): a
// count that does not is reported as a crash, like any sanitizer report or
// leak. The table is small on purpose: destroyed handles are recycled for
// handles of the same kind (lib/pool.hpp), and memory is given back to the
// system only past thousands of free slots; a stale handle in this table
// therefore always reads still-allocated memory.
//
// Encoding (one byte each, reads past the end give 0): an opcode (see Op),
// then its arguments, each read by one call in a statement of its own (the
// order of evaluation of function arguments is unspecified).
// tests/fuzz/make_seeds.py writes the seed corpus in this encoding.
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
    ordo_set_log_callback(quiet_log, nullptr);
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
        for (int steps = 0; steps < 256 && !in_.done(); ++steps)
            step(static_cast<Op>(in_.byte() % kNumOps));
    }

    // Destroys everything, sets every event, and checks reference counts.
    void finish() {
        for (cl_event e : user_events_) {
            cl_int status = CL_QUEUED;
            clGetEventInfo(e, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, nullptr);
            if (status > CL_COMPLETE)
                clSetUserEventStatus(e, CL_COMPLETE);
        }
        for (int i = 0; i < kSlots; ++i) {
            if (tickets_.live[i])
                ordo_ticket_destroy(tickets_.h[i]);
            if (futures_.live[i])
                ordo_future_destroy(futures_.h[i]);
            if (promises_.live[i])
                ordo_promise_destroy(promises_.h[i]);
            if (queues_.live[i])
                ordo_job_queue_destroy(queues_.h[i]);
            if (multis_.live[i])
                ordo_multi_ticket_destroy(multis_.h[i]);
            if (rings_.live[i])
                ordo_ring_destroy(rings_.h[i]);
            if (resources_.live[i])
                ordo_resource_destroy(resources_.h[i]);
        }
        clFinish(g_cl.queue);
        // Every ticket is gone, so every deferred barrier's user event is
        // set (or is being set once the work ahead of it ends).
        for (cl_command_queue q : deferred_queues_) {
            clFinish(q);
            clReleaseCommandQueue(q);
        }
        ordo_trace_stop();
        ordo_diagnostics_enable(0);
        ordo_set_wait_warning(0);
        ordo_set_log_level(ORDO_LOG_WARNING);
        ordo_deadline deadline = ordo_deadline_after(10'000'000'000);
        owned_.insert(owned_.end(), deferred_barriers_.begin(), deferred_barriers_.end());
        for (cl_event e : owned_) {
            cl_uint count = 0;
            for (;;) {
                ordo_flush_releases(deadline);
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
        if (table.put(handle) < 0) { // full: destroy it at once
            if constexpr (std::is_same_v<H, ordo_ticket>)
                ordo_ticket_destroy(handle);
            else if constexpr (std::is_same_v<H, ordo_future>)
                ordo_future_destroy(handle);
            else if constexpr (std::is_same_v<H, ordo_promise>)
                ordo_promise_destroy(handle);
            else if constexpr (std::is_same_v<H, ordo_job_queue>)
                ordo_job_queue_destroy(handle);
            else if constexpr (std::is_same_v<H, ordo_multi_ticket>)
                ordo_multi_ticket_destroy(handle);
            else if constexpr (std::is_same_v<H, ordo_ring>)
                ordo_ring_destroy(handle);
            else
                ordo_resource_destroy(handle);
        }
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
        int modes[4] = {};
        const ordo_resource *pointer = nullptr;
        const int *mode_pointer = nullptr;
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
            r.modes[i] = m % 8 == 7 ? m : m % 2; // sometimes a bad mode
        }
        r.pointer = r.list;
        r.mode_pointer = b / 16 % 2 ? nullptr : r.modes;
        return r;
    }

    // The OpenCL outcome of an enqueue: a barrier handed back is ours.
    void own(int status, cl_event barrier) {
        if (status == ORDO_OK && barrier != nullptr)
            owned_.push_back(barrier);
    }

    void step(Op op) {
        switch (op) {
        case kResourceCreate: {
            ordo_resource r = nullptr;
            uint8_t b = in_.byte();
            if (ordo_resource_create(b % 2 ? &in_ : nullptr, b % 4 < 2 ? "fuzz" : nullptr,
                                     b % 8 == 7 ? nullptr : &r) == ORDO_OK)
                keep(resources_, r);
            break;
        }
        case kResourceValue: {
            void *v = nullptr;
            ordo_resource r = pick(resources_);
            ordo_resource_value(r, in_.byte() % 8 == 7 ? nullptr : &v);
            break;
        }
        case kAcquire: {
            ordo_ticket t = nullptr;
            ordo_resource r = pick(resources_);
            if (ordo_resource_acquire(r, in_.byte() % 8 == 7 ? nullptr : &t) == ORDO_OK)
                keep(tickets_, t);
            break;
        }
        case kResourceDestroy: {
            ordo_resource r = pick(resources_);
            forget(resources_, r, ordo_resource_destroy(r));
            break;
        }
        case kTicketValue: {
            void *v = nullptr;
            ordo_ticket t = pick(tickets_);
            ordo_ticket_value(t, in_.byte() % 8 == 7 ? nullptr : &v);
            break;
        }
        case kTicketWait:
        case kTicketWaitComplete: {
            ordo_ticket t = pick(tickets_);
            const cl_event *list = nullptr;
            size_t n = 0;
            uint8_t b = in_.byte();
            auto wait = op == kTicketWait ? ordo_ticket_wait : ordo_ticket_wait_complete;
            if (wait(t, deadline(), b % 2 ? &list : nullptr, b % 4 < 2 ? &n : nullptr) == ORDO_OK &&
                list != nullptr && n > 0)
                (void)list[n - 1]; // the borrowed array is readable
            break;
        }
        case kTicketEnqueueWait: {
            ordo_ticket t = pick(tickets_);
            uint8_t b = in_.byte();
            cl_event barrier = nullptr;
            int status = ordo_ticket_enqueue_wait(t, b % 4 == 3 ? nullptr : g_cl.queue, deadline(),
                                                  b % 2 ? &barrier : nullptr);
            if (status == ORDO_OK && barrier != nullptr)
                owned_.push_back(barrier); // a new reference, ours
            break;
        }
        case kTicketGrantFuture: {
            ordo_future f = nullptr;
            ordo_ticket t = pick(tickets_);
            if (ordo_ticket_grant_future(t, in_.byte() % 8 == 7 ? nullptr : &f) == ORDO_OK)
                keep(futures_, f);
            break;
        }
        case kTicketReady: {
            ordo_ticket t = pick(tickets_);
            Events e = events();
            ordo_ticket_ready(t, e.pointer, e.count);
            break;
        }
        case kTicketFail: {
            ordo_ticket t = pick(tickets_);
            uint8_t b = in_.byte();
            ordo_ticket_fail(t, in_.i32(), b % 2 ? "fuzz failure" : nullptr);
            break;
        }
        case kTicketCancel:
            ordo_ticket_cancel(pick(tickets_));
            break;
        case kTicketDestroy: {
            ordo_ticket t = pick(tickets_);
            forget(tickets_, t, ordo_ticket_destroy(t));
            break;
        }
        case kFuturePoll:
            ordo_future_poll(pick(futures_));
            break;
        case kFutureWait: {
            ordo_future f = pick(futures_);
            uint8_t flags = in_.byte();
            ordo_future_wait(f, deadline(), flags % 4 == 3 ? flags : flags % 2);
            break;
        }
        case kFutureEvents: {
            const cl_event *list = nullptr;
            size_t n = 0;
            ordo_future f = pick(futures_);
            uint8_t b = in_.byte();
            if (ordo_future_events(f, b % 8 == 7 ? nullptr : &list, b % 8 == 6 ? nullptr : &n) ==
                    ORDO_OK &&
                n > 0)
                (void)list[n - 1];
            break;
        }
        case kFutureFailure: {
            int status = 0;
            const char *message = nullptr;
            cl_int cl_status = 0;
            ordo_future f = pick(futures_);
            uint8_t b = in_.byte();
            if (ordo_future_failure(f, b % 2 ? &status : nullptr, b % 4 < 2 ? &message : nullptr,
                                    b % 8 < 4 ? &cl_status : nullptr) == ORDO_OK &&
                message != nullptr)
                (void)std::strlen(message);
            break;
        }
        case kFutureOnComplete: {
            ordo_future f = pick(futures_);
            ordo_future_on_complete(f, in_.byte() % 8 == 7 ? nullptr : count_callback,
                                    &g_callbacks);
            break;
        }
        case kFutureFd: {
            int fd = -1;
            ordo_future f = pick(futures_);
            ordo_future_fd(f, in_.byte() % 8 == 7 ? nullptr : &fd);
            break;
        }
        case kFutureCancel:
            ordo_future_cancel(pick(futures_));
            break;
        case kFutureClone: {
            ordo_future f = nullptr;
            ordo_future g = pick(futures_);
            if (ordo_future_clone(g, in_.byte() % 8 == 7 ? nullptr : &f) == ORDO_OK)
                keep(futures_, f);
            break;
        }
        case kFutureDestroy: {
            ordo_future f = pick(futures_);
            forget(futures_, f, ordo_future_destroy(f));
            break;
        }
        case kPromiseCreate: {
            ordo_promise p = nullptr;
            if (ordo_promise_create(in_.byte() % 8 == 7 ? nullptr : &p) == ORDO_OK)
                keep(promises_, p);
            break;
        }
        case kPromiseFuture: {
            ordo_future f = nullptr;
            ordo_promise p = pick(promises_);
            if (ordo_promise_future(p, in_.byte() % 8 == 7 ? nullptr : &f) == ORDO_OK)
                keep(futures_, f);
            break;
        }
        case kPromiseComplete: {
            ordo_promise p = pick(promises_);
            Events e = events();
            ordo_promise_complete(p, e.pointer, e.count);
            break;
        }
        case kPromiseFail: {
            ordo_promise p = pick(promises_);
            int status = in_.i32();
            ordo_promise_fail(p, status, in_.byte() % 2 ? "fuzz" : nullptr);
            break;
        }
        case kPromiseDestroy: {
            ordo_promise p = pick(promises_);
            forget(promises_, p, ordo_promise_destroy(p));
            break;
        }
        case kWaitEventsAsync: {
            Events e = events();
            ordo_future f = nullptr;
            if (ordo_wait_events_async(e.pointer, e.count, in_.byte() % 8 == 7 ? nullptr : &f) ==
                ORDO_OK)
                keep(futures_, f);
            break;
        }
        case kJobQueueCreate: {
            ordo_job_queue q = nullptr;
            uint8_t b = in_.byte();
            if (ordo_job_queue_create(b % 4, b % 16 == 15 ? nullptr : &q) == ORDO_OK)
                keep(queues_, q);
            break;
        }
        case kJobQueueAdd: {
            ordo_job_queue q = pick(queues_);
            ordo_future f = pick(futures_);
            ordo_job_queue_add(q, f, deadline());
            break;
        }
        case kJobQueueTryAdd: {
            ordo_job_queue q = pick(queues_);
            ordo_job_queue_try_add(q, pick(futures_));
            break;
        }
        case kJobQueueClean:
            ordo_job_queue_clean(pick(queues_));
            break;
        case kJobQueueFinish: {
            ordo_job_queue q = pick(queues_);
            size_t max_remaining = in_.byte() % 4;
            ordo_job_queue_finish(q, max_remaining, deadline());
            break;
        }
        case kJobQueueQuery: {
            ordo_job_queue q = pick(queues_);
            ordo_future f = pick(futures_);
            size_t n = 0;
            int contains = 0;
            uint8_t b = in_.byte();
            ordo_job_queue_size(q, b % 8 == 7 ? nullptr : &n);
            ordo_job_queue_backlog(q, b % 8 == 6 ? nullptr : &n);
            ordo_job_queue_contains(q, f, b % 8 == 5 ? nullptr : &contains);
            break;
        }
        case kJobQueueBacklogFuture: {
            ordo_job_queue q = pick(queues_);
            ordo_future f = nullptr;
            uint8_t b = in_.byte();
            if (ordo_job_queue_backlog_future(q, b % 4, b % 16 == 15 ? nullptr : &f) == ORDO_OK)
                keep(futures_, f);
            break;
        }
        case kJobQueueDestroy: {
            ordo_job_queue q = pick(queues_);
            forget(queues_, q, ordo_job_queue_destroy(q));
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
                ordo_set_log_level(v % 2 ? v : (v & 0x7f));
                break;
            case 2:
                (void)ordo_log_level_get();
                (void)std::strlen(ordo_last_error_message());
                break;
            case 3:
                ordo_flush_releases(ordo_now() - 1);
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
        case kAcquireShared: {
            ordo_ticket t = nullptr;
            ordo_resource r = pick(resources_);
            if (ordo_resource_acquire_shared(r, in_.byte() % 8 == 7 ? nullptr : &t) == ORDO_OK)
                keep(tickets_, t);
            break;
        }
        case kAcquireMany: {
            Resources r = resource_list();
            ordo_multi_ticket m = nullptr;
            if (ordo_acquire_many(r.pointer, r.mode_pointer, r.count,
                                  in_.byte() % 8 == 7 ? nullptr : &m) == ORDO_OK)
                keep(multis_, m);
            break;
        }
        case kMultiSize: {
            size_t n = 0;
            ordo_multi_ticket m = pick(multis_);
            ordo_multi_ticket_size(m, in_.byte() % 8 == 7 ? nullptr : &n);
            break;
        }
        case kMultiWait:
        case kMultiWaitComplete: {
            ordo_multi_ticket m = pick(multis_);
            const cl_event *list = nullptr;
            size_t n = 0;
            uint8_t b = in_.byte();
            auto wait = op == kMultiWait ? ordo_multi_ticket_wait : ordo_multi_ticket_wait_complete;
            if (wait(m, deadline(), b % 2 ? &list : nullptr, b % 4 < 2 ? &n : nullptr) == ORDO_OK &&
                list != nullptr && n > 0)
                (void)list[n - 1];
            break;
        }
        case kMultiEnqueueWait: {
            ordo_multi_ticket m = pick(multis_);
            uint8_t b = in_.byte();
            cl_event barrier = nullptr;
            int status = ordo_multi_ticket_enqueue_wait(m, b % 4 == 3 ? nullptr : g_cl.queue,
                                                        deadline(), b % 2 ? &barrier : nullptr);
            own(status, barrier);
            break;
        }
        case kMultiReady: {
            ordo_multi_ticket m = pick(multis_);
            Events e = events();
            ordo_multi_ticket_ready(m, e.pointer, e.count);
            break;
        }
        case kMultiFail: {
            ordo_multi_ticket m = pick(multis_);
            uint8_t b = in_.byte();
            ordo_multi_ticket_fail(m, in_.i32(), b % 2 ? "fuzz failure" : nullptr);
            break;
        }
        case kMultiReadyOne: {
            ordo_multi_ticket m = pick(multis_);
            size_t index = in_.byte() % 6; // often out of range
            Events e = events();
            ordo_multi_ticket_ready_one(m, index, e.pointer, e.count);
            break;
        }
        case kMultiFailOne: {
            ordo_multi_ticket m = pick(multis_);
            size_t index = in_.byte() % 6;
            int status = in_.i32();
            ordo_multi_ticket_fail_one(m, index, status, in_.byte() % 2 ? "fuzz" : nullptr);
            break;
        }
        case kMultiDestroy: {
            ordo_multi_ticket m = pick(multis_);
            forget(multis_, m, ordo_multi_ticket_destroy(m));
            break;
        }
        case kRingCreate: {
            Resources r = resource_list();
            ordo_ring ring = nullptr;
            if (ordo_ring_create(r.pointer, r.count, in_.byte() % 8 == 7 ? nullptr : &ring) ==
                ORDO_OK)
                keep(rings_, ring);
            break;
        }
        case kRingAcquire: {
            ordo_ring ring = pick(rings_);
            uint8_t b = in_.byte();
            ordo_ticket t = nullptr;
            size_t index = 0;
            int mode = b % 8 == 7 ? b : b % 2;
            if (ordo_ring_acquire(ring, mode, b % 16 == 14 ? nullptr : &t,
                                  b % 4 == 3 ? nullptr : &index) == ORDO_OK)
                keep(tickets_, t);
            break;
        }
        case kRingQuery: {
            ordo_ring ring = pick(rings_);
            uint8_t b = in_.byte();
            size_t n = 0;
            void *value = nullptr;
            ordo_ring_size(ring, b % 8 == 7 ? nullptr : &n);
            ordo_ring_value(ring, in_.byte() % 6, b % 8 == 6 ? nullptr : &value);
            break;
        }
        case kRingDestroy: {
            ordo_ring ring = pick(rings_);
            forget(rings_, ring, ordo_ring_destroy(ring));
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
            ordo_ticket_set_name(t, b % 4 == 3 ? nullptr : (b % 2 ? "fuzz" : ""));
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
                ordo_dump(b / 32 % 2 ? pick(resources_) : nullptr, b / 64 % 2 ? nullptr : buffer,
                          capacity, b / 128 ? nullptr : &length);
                break;
            }
            case 2:
                ordo_set_wait_warning(b / 4 % 2 ? -1 : int64_t{b / 8} * 1000);
                break;
            default:
                ordo_set_log_level(b / 4 % 2 ? ORDO_LOG_DEBUG : ORDO_LOG_WARNING);
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

    Input &in_;
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
