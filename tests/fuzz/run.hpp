// The driver of the libFuzzer target of the C ABI (fuzz_capi.cpp describes
// what it does and the input's encoding), shared by the files that make it
// up: the input reader, the table of handles, the operation kinds (Op, the
// numbers that tests/fuzz/make_seeds.py writes), and the class Run that
// decodes one input. Run's members are defined by family, each file in the
// order of its operations' cases:
//   fuzz_capi.cpp     set-up, the loop over operations, the end of an input
//   run_args.cpp      building arguments (event and resource lists,
//                     deadlines) and destroying handles
//   run_tickets.cpp   resources and tickets
//   run_futures.cpp   futures, promises and waits for events
//   run_queues.cpp    job queues
//   run_multi.cpp     multi-resource tickets and rings
//   run_misc.cpp      user events, status strings, logging, versions,
//                     diagnostics, tracing
//   run_completions.cpp  completion queues
// Every operation reads its argument bytes in the order the single switch
// it was split from read them: the corpus keeps its meaning.
#pragma once

#include "shadow.hpp"

#include <ordo/ordo.h>

#include <cstdint>
#include <type_traits>
#include <vector>

namespace fuzz_capi {

using ordo_fuzz::Shadow;

// The OpenCL side, created once.
struct Cl {
    cl_context context = nullptr;
    cl_command_queue queue = nullptr;
    bool pocl = false;
};
extern Cl g_cl;

int init_cl();

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

// The opcodes, in the order of their numbers: an input's op byte modulo
// kNumOps. Appending keeps the corpus's meaning, reordering does not.
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
    // Completion queues.
    kCompletionQueueCreate,
    kCompletionQueuePost,
    kCompletionQueueRead,
    kCompletionQueueDestroy,
    kNumOps
};

class Run {
public:
    explicit Run(Input &in);

    void execute();

    // Destroys everything, sets every event, and checks reference counts.
    void finish();

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
        else if constexpr (std::is_same_v<H, ordo_completion_queue>)
            shadow_.completion_queue_destroyed(handle, ordo_completion_queue_destroy(handle));
        else
            shadow_.resource_destroyed(handle, ordo_resource_destroy(handle));
    }

    // run_args.cpp: destroying handles, building arguments.
    int destroy_ticket(ordo_ticket t);
    void destroy_promise(ordo_promise p);
    void destroy_multi(ordo_multi_ticket m);

    // An event list argument: up to 4 of the input's events (user events and
    // barriers), maybe a NULL entry; or a NULL array with a count.
    struct Events {
        cl_event list[4] = {};
        const cl_event *pointer = nullptr;
        size_t count = 0;
    };
    Events events();

    ordo_deadline deadline();

    // A resource list argument with modes: up to 4 picks (so duplicates,
    // NULL and wrong kinds), or a NULL array with a count.
    struct Resources {
        ordo_resource list[4] = {};
        ordo_mode modes[4] = {};
        const ordo_resource *pointer = nullptr;
        const ordo_mode *mode_pointer = nullptr;
        size_t count = 0;
    };
    Resources resource_list();
    // What ordo_resource_acquire_many / ordo_ring_create must answer for a list
    // (modes only for acquire_many), out given or not.
    int expect_list(const Resources &r, bool with_modes, bool out_null);

    // The OpenCL outcome of an enqueue: a barrier handed back is ours.
    void own(int status, cl_event barrier);

    // A callback that destroys the ticket in a table slot, if it still holds
    // the handle it held when the callback was registered. Registered only
    // on futures that complete on this thread (run_futures.cpp).
    struct Destroyer {
        Run *run;
        int slot;
        ordo_ticket handle;
    };
    static void destroy_in_callback(void *data, int);

    // One operation: step dispatches on op to its family, which reads the
    // operation's arguments and makes the call.
    void step(Op op);
    void step_ticket(Op op);
    void step_future(Op op);
    void step_queue(Op op);
    void step_multi(Op op);
    void step_misc(Op op);
    void step_completion(Op op);
    // Reads every completion still to come from q (the end of an input).
    void drain(ordo_completion_queue q);

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
    Table<ordo_completion_queue> completion_queues_;
    uint64_t next_tag_ = 1;                         // each post's tag, unique in the input
    std::vector<cl_command_queue> deferred_queues_; // ours, released at the end
    cl_event user_events_[3] = {};
    std::vector<cl_event> owned_;             // each holds our one reference
    std::vector<cl_event> deferred_barriers_; // likewise
};

} // namespace fuzz_capi
