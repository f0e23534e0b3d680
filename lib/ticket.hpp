// Ticket: a place in a resource's queue, and the future of its own release.
//
// A ticket is granted when its *grant* future completes: for an exclusive
// ticket, the release of the ticket before it (or of the shared group before
// it); for a shared ticket, whatever came before its group. Releasing a
// ticket completes its own future, which is the next ticket's grant; for a
// shared ticket the release goes to its group, which completes once it is
// closed (an exclusive ticket came after it) and every member has released.
//
// Flags (atomic, acq_rel): kReleased is set once by the one release (ready,
// fail, cancel, or the holder's drop); kSeen once the holder was handed the
// grant's outcome (a wait returned it, a grant future delivered it, a device
// wait made the device wait for it);
// kHolderGone when the holder's handle is destroyed; kResolved once the
// release has completed. The grant reference is dropped by whichever of
// "holder gone" and "resolved" comes second, so a chain of tickets keeps
// alive only the tickets that are still held or still pending. kShared is
// the mode (set at construction); kSeenAtRelease is written by the releasing
// thread before it chains on the grant; kHasInfo says the diagnostics side
// table has an entry for this ticket (a name, a wait in progress).
//
// link_mutex_ guards the grant reference against diagnostics walking the
// queue from the tail while it is dropped; the holder's own accesses need no
// lock because the reference cannot be dropped while the holder is there.
#pragma once

#include "futex.hpp"
#include "future.hpp"
#include "ref.hpp"
#include "trace.hpp"

#include <atomic>
#include <cstdint>

namespace ordo::detail {

class Resource;
class SharedGroup;

enum class Mode : uint8_t { kExclusive, kShared };

// What a holder's wait gives back.
struct WaitResult {
    int status = ORDO_OK;              // ORDO_OK, a failure status, or ORDO_ERROR_TIMEOUT
    const EventList *events = nullptr; // ORDO_OK: the predecessor's events (borrowed)
    Ref<Failure> failure;              // a failure status: its details
};

// The Callback base is the node a release before grant registers on the grant.
class Ticket final : public Future, private Callback {
public:
    // Used by Resource::acquire; the caller owns the holder's reference.
    Ticket(Resource &resource, Mode mode) noexcept;
    ~Ticket() override;

    Resource &resource() const noexcept { return *resource_; }
    Mode mode() const noexcept {
        return flags_.load(std::memory_order_relaxed) & kShared ? Mode::kShared : Mode::kExclusive;
    }
    // When the ticket was acquired (CLOCK_MONOTONIC_COARSE, ns).
    int64_t acquired_at() const noexcept { return acquired_at_; }

    // Host wait for the grant: ORDO_OK with the predecessor's events (valid
    // while the holder's handle lives), the predecessor's failure, or
    // ORDO_ERROR_TIMEOUT. Throws Error(ORDO_ERROR_INVALID_STATE) after release.
    WaitResult wait(Deadline deadline);
    // wait() without marking the grant seen: for callers (a multi-ticket)
    // that hand the outcome over only once more has gone well.
    WaitResult wait_grant(Deadline deadline);
    // The holder has been handed the grant's outcome: a release no longer
    // forwards the predecessor's events.
    void mark_seen() noexcept;
    // Host wait for the grant and for its events to complete.
    WaitResult wait_complete(Deadline deadline);
    // For a wait whose grant came (result.status ORDO_OK, with events): waits
    // for those events through the one wait that slot keeps, blocking as
    // this ticket's host wait (diagnostics, warning, trace). On failure or
    // timeout sets result's status (and failure).
    void wait_for_events(WaitResult &result, std::atomic<Future *> &slot, Deadline deadline);
    // Waits for the grant, then enqueues a barrier on queue for its events;
    // *barrier (if given) receives a new reference, or nullptr if nothing
    // was enqueued.
    WaitResult enqueue_wait(cl_command_queue queue, Deadline deadline, cl_event *barrier);
    // Deferred device wait: enqueues at once, without waiting for the grant,
    // a barrier behind a user event of the queue's context that the library
    // completes once the grant is done and its events are complete (or fails
    // if the grant or an event fails). *barrier receives a new reference.
    void enqueue_wait_deferred(cl_command_queue queue, cl_event *barrier);
    // A new future mirroring the grant; cancelling it cancels this ticket.
    Ref<Future> grant_future();

    // Releases. Each throws Error(ORDO_ERROR_INVALID_STATE), changing
    // nothing, if the ticket was already released.
    void ready(EventList events);
    void fail_release(Ref<Failure> failure);
    void cancel_place();
    // A release in two steps, for a caller that releases several tickets
    // together (a multi-ticket): claim_release() takes the release (throwing
    // Error(ORDO_ERROR_INVALID_STATE) if the ticket was released already)
    // and records what is released; complete_release() hands it on, running
    // successors' callbacks, which may destroy this ticket's holder.
    void claim_release(Outcome outcome, TraceKind kind);
    void complete_release() noexcept;
    // The holder's handle is gone. An unreleased ticket is released with no
    // events, with a warning if warn.
    void drop_holder(bool warn) noexcept;

    bool released() const noexcept { return flags_.load(std::memory_order_acquire) & kReleased; }
    bool holder_gone() const noexcept {
        return flags_.load(std::memory_order_acquire) & kHolderGone;
    }
    bool seen() const noexcept { return flags_.load(std::memory_order_acquire) & kSeen; }
    // The grant, for diagnostics walking the queue (null once dropped).
    Ref<Future> grant_for_walk() const noexcept;
    // Diagnostics side table (lib/diagnostics.cpp).
    void mark_has_info() noexcept { flags_.fetch_or(kHasInfo, std::memory_order_acq_rel); }
    // A ticket's own release cannot be cancelled by its successors.
    bool cancel() noexcept override { return false; }

private:
    friend class Resource;
    static constexpr uint32_t kReleased = 1, kSeen = 2, kHolderGone = 4, kResolved = 8,
                              kShared = 16, kSeenAtRelease = 32, kHasInfo = 64;

    void destroy() noexcept override;
    Future &grant() const;
    int blocking_wait(Future &f, Deadline deadline);
    void release_with(Outcome outcome, TraceKind kind);
    void resolve(Future &grant, bool seen) noexcept;
    void drop_grant() noexcept;
    static void on_grant(Callback *self, Future &grant) noexcept;

    std::atomic<uint32_t> flags_;
    mutable SmallMutex link_mutex_; // guards dropping grant_ against diagnostics
    int64_t acquired_at_;
    Ref<Resource> resource_;       // held while the holder is: the resource's tail
                                   // points back at its last ticket
    Ref<Future> grant_;            // set once at acquire; dropped as described above
    SharedGroup *group_ = nullptr; // shared tickets: one reference, set at acquire
};

// The shared tickets between two exclusive ones. Reference counting: the
// group starts with kBias + 1 references; the join count kept beside the
// pointer in the resource's tail word counts the members' references, which
// are moved into the group's own count (minus kBias) when the group leaves
// the tail. Members may drop theirs before that without reaching zero.
class SharedGroup final : public Future {
public:
    static constexpr uint32_t kBias = 1u << 30;

    SharedGroup() noexcept { refs_.store(kBias + 1, std::memory_order_relaxed); }
    // Frees a group that was never published.
    static void discard(SharedGroup *unused) noexcept;

    // Set before the group is published; owned (one reference) from then on.
    Future *pred = nullptr;

    // A member released (after the group's grant).
    void member_done(Outcome outcome) noexcept;
    // No member can join any more; joins members joined in all.
    void close(uint32_t joins) noexcept;
    // The group left the tail with this many joins: move their references.
    void settle_joins(uint32_t joins) noexcept {
        refs_.fetch_add(joins - kBias, std::memory_order_relaxed);
    }
    bool cancel() noexcept override { return false; }

private:
    ~SharedGroup() override;
    void check(uint64_t counts) noexcept;

    static constexpr uint64_t kClosed = uint64_t{1} << 63;
    static constexpr int kExpectedShift = 32;

    // [63] closed, [62..32] members expected, [31..0] members released.
    std::atomic<uint64_t> counts_{0};
    SmallMutex merging_; // guards accumulated_ and failed_
    EventList accumulated_;
    Ref<Failure> failed_;
};

} // namespace ordo::detail
