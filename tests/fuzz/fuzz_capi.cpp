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
// for a grant's events registers its event callbacks once, and that each
// post to a completion queue gives exactly one completion, of a future that
// has completed, with its status. After each input
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
//
// The driver is split by family of operations: run.hpp lists the files. This
// one sets up OpenCL, runs an input's operations one by one, handing each to
// its family, and ends the input.
#include "run.hpp"

#include <ordo/ordo.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace fuzz_capi {

Cl g_cl;

namespace {

void quiet_log(void *, int, const char *) {}

} // namespace

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

Run::Run(Input &in) : in_(in) {
    for (auto &e : user_events_) {
        cl_int err = CL_SUCCESS;
        e = clCreateUserEvent(g_cl.context, &err);
        if (err != CL_SUCCESS)
            std::abort();
        owned_.push_back(e);
    }
}

void Run::execute() {
    for (int steps = 0; steps < 256 && !in_.done(); ++steps) {
        shadow_.begin_op();
        step(static_cast<Op>(in_.byte() % kNumOps));
    }
}

void Run::step(Op op) {
    switch (op) {
    case kResourceCreate:
    case kResourceValue:
    case kAcquire:
    case kAcquireShared:
    case kResourceDestroy:
    case kTicketValue:
    case kTicketWait:
    case kTicketWaitComplete:
    case kTicketEnqueueWait:
    case kTicketGrantFuture:
    case kTicketReady:
    case kTicketFail:
    case kTicketCancel:
    case kTicketDestroy:
    case kTicketEnqueueWaitDeferred:
    case kTicketSetName:
        step_ticket(op);
        break;
    case kFuturePoll:
    case kFutureWait:
    case kFutureEvents:
    case kFutureFailure:
    case kFutureOnComplete:
    case kFutureOnCompleteDestroy:
    case kFutureFd:
    case kFutureCancel:
    case kFutureClone:
    case kFutureDestroy:
    case kPromiseCreate:
    case kPromiseFuture:
    case kPromiseComplete:
    case kPromiseFail:
    case kPromiseDestroy:
    case kWaitEventsAsync:
        step_future(op);
        break;
    case kJobQueueCreate:
    case kJobQueueAdd:
    case kJobQueueTryAdd:
    case kJobQueueClean:
    case kJobQueueFinish:
    case kJobQueueQuery:
    case kJobQueueBacklogFuture:
    case kJobQueueDestroy:
        step_queue(op);
        break;
    case kAcquireMany:
    case kMultiSize:
    case kMultiWait:
    case kMultiWaitComplete:
    case kMultiEnqueueWait:
    case kMultiReady:
    case kMultiFail:
    case kMultiReadyOne:
    case kMultiFailOne:
    case kMultiDestroy:
    case kRingCreate:
    case kRingAcquire:
    case kRingQuery:
    case kRingDestroy:
        step_multi(op);
        break;
    case kSetEventStatus:
    case kMisc:
    case kDiagnostics:
    case kTrace:
        step_misc(op);
        break;
    case kCompletionQueueCreate:
    case kCompletionQueuePost:
    case kCompletionQueueRead:
    case kCompletionQueueDestroy:
        step_completion(op);
        break;
    case kNumOps:
        break;
    }
}

void Run::finish() {
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
    // Every future can complete now: each post gives its one completion.
    for (int i = 0; i < kSlots; ++i)
        if (completion_queues_.live[i]) {
            drain(completion_queues_.h[i]);
            shadow_.completion_queue_destroyed(
                completion_queues_.h[i], ordo_completion_queue_destroy(completion_queues_.h[i]));
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

} // namespace fuzz_capi

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
    return fuzz_capi::init_cl();
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
    fuzz_capi::Input in(data, size);
    fuzz_capi::Run run(in);
    run.execute();
    run.finish();
    return 0;
}
