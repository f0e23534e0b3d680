// DeferredWait: a device wait enqueued before the grant
// (ordo_ticket_enqueue_wait_deferred), as an explicit state machine.
//
// At once, on the caller's queue: a marker, then a barrier behind a user
// event of the queue's context. Then, one stage at a time, each advanced by
// whichever thread completes what the stage waits for:
//
//   kWorkAhead  the marker has not ended: the barrier must end in queue
//               order, so nothing is decided before the work ahead of it
//               has ended (quirks.hpp: finishes-commands-in-steps);
//   kGrant      the ticket is not granted yet;
//   kEvents     the grant's events have not completed;
//   kLetGo      the grant or an event failed, on a runtime that finishes
//               commands in steps: the runtime still holds the marker (the
//               service thread polls its reference count, for at most
//               kLetGoBoundNs);
//   kBarrier    the user event is set (complete, or failed): the barrier
//               has not ended, and ordo keeps its reference until it has;
//   kDone       the machine frees itself.
//
// Each stage waits for one thing at a time, so the machine's fields belong
// to the thread that advances it (each completion happens-before the next
// stage). The machine holds one reference to itself until kDone; the
// service thread holds another while it polls.
#pragma once

#include "future.hpp"
#include "ref.hpp"
#include "service.hpp"

#include <ordo/ordo.h>

namespace ordo::detail {

class DeferredWait final : public RefCounted<DeferredWait>, private Callback, private Pollable {
public:
    // Enqueues the marker and the barrier on queue for the grant `grant`;
    // *barrier (if given) receives a new reference to the barrier. Throws
    // Error (INVALID_ARGUMENT for a bad queue, OPENCL if an enqueue fails:
    // the user event is then set to an error status, never left pending) or
    // std::bad_alloc, before anything waits.
    static void start(Future &grant, cl_command_queue queue, cl_event *barrier);

    enum class Stage : uint8_t { kWorkAhead, kGrant, kEvents, kLetGo, kBarrier, kDone };

    // One count serves Ref<DeferredWait> and the service's Pollable use.
    void retain() noexcept override { RefCounted::retain(); }
    void release() noexcept override { RefCounted::release(); }

private:
    friend class RefCounted<DeferredWait>;
    DeferredWait() noexcept = default;
    ~DeferredWait();

    // The one function that moves the machine on: what the current stage
    // waited for has happened.
    void advance() noexcept;
    void enter(Stage from, Stage to) noexcept;
    // Waits for f (the callback calls advance()).
    void wait_for(Ref<Future> f) noexcept;
    // The user event's status is decided: set it (now, or once the runtime
    // has let go of the marker), then wait for the barrier to end.
    void decide(cl_int status) noexcept;
    void set_user_event() noexcept;
    static void on_completed(Callback *self, Future &f) noexcept;

    // Pollable (kLetGo).
    bool poll() noexcept override;
    bool buried_and_quiet() const noexcept override { return true; }

    Stage stage_ = Stage::kDone;    // until start() sets it running
    bool in_steps_ = false;         // the queue's runtime finishes commands in steps
    cl_int status_ = CL_COMPLETE;   // what the user event is set to, once decided
    int64_t give_up_ = 0;           // kLetGo: when to go on anyway
    EventList marker_;              // until the user event is set
    cl_event user_event_ = nullptr; // ours, until set
    cl_event barrier_ = nullptr;    // ours, until it has ended
    Ref<Future> grant_;             // until kGrant
    Ref<Future> waiting_;           // what the current stage waits for
};

} // namespace ordo::detail
