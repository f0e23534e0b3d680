// Ticket: a place in a resource's queue.
//
// A ticket is *granted* when its grant completes (grant_: the release future
// of the ticket before it, or of the shared group before it; a shared
// ticket's grant is whatever came before its group). It is *released* once,
// by ready, fail, cancel or its holder's drop, and the release is *handed
// on* when both have happened (hand_on): at once if the ticket was granted
// first, or when the grant comes (on_granted) for a release before the
// grant. Handing on completes the ticket's release future (release_), the
// grant of the ticket after it; a shared ticket hands its release to its
// group (shared_group.hpp) instead, and the group's release future is the
// grant of the ticket after the group.
//
// What a release hands on depends on whether the holder had *seen* its
// grant (ordo.h, "Seeing a grant"): a holder that had not forwards the
// grant's events together with its own, or the grant's failure.
//
// Flags (atomic, acq_rel): kReleased is set once by the one release; kSeen
// once the holder was handed the grant's outcome; kSeenAtRelease is written
// by the releasing thread before it waits for the grant; kHolderGone when
// the holder's handle is destroyed; kHandedOn once the release was handed on;
// kCountsResource once the ticket holds a counted reference to its resource
// (at acquire, or when a fast ticket leaves the fast cycle after a successor
// counted it). The grant reference, and the resource reference, are dropped
// by whichever of "holder gone" and "handed on" (or "counts") comes second, so a chain of tickets
// keeps alive only the tickets still held or pending. kShared is the mode (set at construction);
// kHasInfo says the diagnostics side table has an entry for this ticket.
//
// link_mutex_ guards dropping the grant reference against diagnostics
// walking the queue; the holder's own accesses need no lock because the
// reference cannot be dropped while the holder is there.
//
// The fast cycle (fast_). An exclusive ticket acquired while its resource's
// tail is idle (resource.hpp) is granted at once and costs no reference
// counting: the tail word (a fast word) points at it without holding a
// reference to its release, and the ticket holds none to its resource.
// While its fast word is the tail the resource cannot go (Resource::destroy
// leaves an orphan to the ticket). The one release is claimed through
// kReleased as for any ticket; the fast word then leaves the tail once, by
// one compare-exchange or exchange, and whoever moves it stores fast_:
// - a release with nothing (ready, cancel, a drop) puts the idle word back
//   and stores kFastDone. The ticket is unreachable from the queue, never
//   touches its resource again, and its holder frees it without a
//   read-modify-write; grant_ no longer owns what it points at.
// - a release with events or a failure: a plain word for the ticket, then
//   kPlain, and the full machinery runs.
// - a successor: it counts the reference to the release that its grant
//   adopts and the resource reference, then stores kPlain. A release that
//   finds the word moved waits the few instructions until then, and goes
//   the plain way.
#pragma once

#include "futex.hpp"
#include "future.hpp"
#include "pool.hpp"
#include "ref.hpp"
#include "thread_annotations.hpp"
#include "trace.hpp"

#include <atomic>
#include <cstddef>
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

// The Callback base is the node a release before the grant registers on it.
class Ticket final : private Callback {
public:
    // The future of a ticket's release, inside the ticket: its references
    // are the ticket's (the ticket lives until the last is dropped), and
    // nothing but the ticket's one release completes it.
    class Release final : public Future {
    public:
        bool cancel() noexcept override { return false; }

    private:
        friend class Ticket;
        void destroy() noexcept override;
        // Until the release is handed on, the payload holds what is released.
        void hold(Outcome outcome) noexcept {
            events_ = std::move(outcome.events);
            failure_ = std::move(outcome.failure);
        }
        Outcome take() noexcept {
            Outcome o;
            o.events = std::move(events_);
            o.failure = std::move(failure_);
            return o;
        }
        void hand_on(Outcome outcome) noexcept { finish_owned(std::move(outcome)); }
        bool holds_nothing() const noexcept { return events_.empty() && !failure_; }
    };

    // Used by Resource::acquire; the caller owns the holder's reference. A
    // plain ticket counts a reference to resource; a fast one (Resource
    // only) does not unless a successor counted one for it.
    Ticket(Resource &resource, Mode mode) noexcept;
    struct FastGrant {};
    // Granted with no events: seen from the start (there is nothing to
    // forward). Not timed: diagnostics, which read the time, are off on the
    // fast path. value: the resource's.
    Ticket(Resource &resource, void *value, FastGrant) noexcept
        : flags_(kSeen), fast_(kFastHeld), acquired_at_(0), value_(value), resource_(&resource) {}
    ~Ticket() {
        if (fast_.load(std::memory_order_relaxed) == kFastDone)
            grant_.detach(); // the tail's (release_fast)
        // What a ticket of the fast cycle never has.
        if ((flags_.load(std::memory_order_relaxed) & (kHasInfo | kCountsResource)) ||
            group_ != nullptr) [[unlikely]]
            destroy_parts();
    }
    Ticket(const Ticket &) = delete;
    Ticket &operator=(const Ticket &) = delete;

    void retain() const noexcept { release_.retain(); }
    void release() const noexcept { release_.release(); }
    bool try_retain() const noexcept { return release_.try_retain(); }

    // The grant of the ticket after this one (an exclusive ticket's).
    Future &release_future() noexcept { return release_; }
    static Ticket &of(Release &r) noexcept;

    // The resource; after the release, only its address is meaningful (a
    // fast ticket's resource may be gone: ticket.cpp).
    Resource &resource() const noexcept { return *resource_; }
    // The resource's user value (kept here: valid while the holder is).
    void *value() const noexcept { return value_; }
    Mode mode() const noexcept {
        return flags_.load(std::memory_order_relaxed) & kShared ? Mode::kShared : Mode::kExclusive;
    }
    // When the ticket was acquired (CLOCK_MONOTONIC_COARSE, ns); 0 for a
    // ticket acquired on the fast path, which is not timed.
    int64_t acquired_at() const noexcept { return acquired_at_; }

    // Host wait for the grant: ORDO_OK with the predecessor's events (valid
    // while the holder's handle lives), the predecessor's failure, or
    // ORDO_ERROR_TIMEOUT. Throws Error(ORDO_ERROR_INVALID_STATE) after release.
    WaitResult wait(Deadline deadline) {
        // Held on the fast cycle: granted at acquire, with no events, and
        // already seen (nothing to trace: tracing was off at acquire).
        if (fast_.load(std::memory_order_relaxed) == kFastHeld) [[likely]] {
            WaitResult result;
            result.events = &kNoEvents;
            return result;
        }
        return wait_plain(deadline);
    }
    // wait() without marking a grant that came seen (a failure is): for
    // callers that hand the outcome over only once more has gone well
    // (holder_wait.hpp, a multi-ticket).
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
    // The Holder of holder_wait.hpp.
    Ticket &events_waiter() noexcept { return *this; }
    std::atomic<Future *> &events_slot();
    // Waits for the grant, then enqueues a barrier on queue for its events;
    // *barrier (if given) receives a new reference, or nullptr if nothing
    // was enqueued.
    WaitResult enqueue_wait(cl_command_queue queue, Deadline deadline, cl_event *barrier);
    // Deferred device wait (deferred_wait.hpp); counts as seeing the grant.
    void enqueue_wait_deferred(cl_command_queue queue, cl_event *barrier);
    // A new future mirroring the grant (grant_future.hpp).
    Ref<Future> grant_future();

    // Releases. Each throws Error(ORDO_ERROR_INVALID_STATE), changing
    // nothing, if the ticket was already released.
    void ready(EventList events);
    // ready() with no events (the fast cycle's release, where it applies).
    void ready_nothing() {
        if (fast_.load(std::memory_order_relaxed) == kFastHeld &&
            release_fast(TraceKind::kRelease, true)) [[likely]]
            return;
        ready(EventList{});
    }
    void fail(Ref<Failure> failure);
    // Gives the place up: released with no events. by_holder: called
    // through the ticket's own handle, which keeps the resource alive
    // through the call (not a grant future's cancel).
    void cancel(bool by_holder = false);
    // A release in two steps, for a caller that releases several tickets
    // together (a multi-ticket): claim_release() takes the release (throwing
    // Error(ORDO_ERROR_INVALID_STATE) if the ticket was released already)
    // and records what is released; complete_release() hands it on when the
    // ticket is granted, running successors' callbacks, which may destroy
    // the holder.
    void claim_release(Outcome outcome, TraceKind kind);
    // by_holder: as for cancel().
    void complete_release(bool by_holder = false) noexcept;
    // The holder's handle is gone. An unreleased ticket is released with no
    // events, with a warning if warn.
    void drop_holder(bool warn) noexcept;
    // After drop_holder(): drops the holder's reference, freeing a ticket
    // that the fast cycle left unreachable without a read-modify-write.
    void release_holder() noexcept;
    // drop_holder(true), then release_holder(), the fast cycle's case first.
    void destroy_by_holder() noexcept {
        if (fast_.load(std::memory_order_acquire) >= kFastDone &&
            !(flags_.load(std::memory_order_relaxed) & kHasInfo) && release_.sole_reference())
            [[likely]] {
            Pool<Ticket>::destroy(this);
            return;
        }
        drop_holder(true);
        release_holder();
    }

    bool released() const noexcept { return flags_.load(std::memory_order_acquire) & kReleased; }
    // Released, and the release handed on to the ticket after this one.
    bool handed_on() const noexcept {
        return (flags_.load(std::memory_order_acquire) & kHandedOn) ||
               fast_.load(std::memory_order_acquire) >= kFastDone;
    }
    bool holder_gone() const noexcept {
        return flags_.load(std::memory_order_acquire) & kHolderGone;
    }
    bool seen() const noexcept { return flags_.load(std::memory_order_acquire) & kSeen; }
    // The grant, for diagnostics walking the queue (null once dropped).
    Ref<Future> grant_for_walk() const noexcept;
    // Diagnostics side table (lib/diagnostics.cpp).
    void mark_has_info() noexcept { flags_.fetch_or(kHasInfo, std::memory_order_acq_rel); }

private:
    friend class Resource;
    static constexpr uint32_t kReleased = 1, kSeen = 2, kHolderGone = 4, kHandedOn = 8,
                              kShared = 16, kSeenAtRelease = 32, kHasInfo = 64,
                              kCountsResource = 128;

    Future &grant() const;
    static Future &done_with_nothing() noexcept;
    static const EventList kNoEvents;
    WaitResult wait_plain(Deadline deadline);
    void destroy_parts() noexcept;
    int blocking_wait(Future &f, Deadline deadline);
    void release_with(Outcome outcome, TraceKind kind, bool by_holder);
    // The ticket is granted and released: hands on what the release says,
    // completing the release future (or the group's part). Its callbacks may
    // destroy this ticket: nothing of it is touched afterwards.
    void hand_on(Future &grant, bool seen, bool by_holder = false) noexcept;
    // A ticket released before its grant is granted: the moment it happens.
    static void on_granted(Callback *self, Future &grant) noexcept;
    void drop_grant() noexcept;
    // Fast cycle (see above).
    enum FastState : uint8_t { kPlain, kFastHeld, kFastDone };
    // The release with nothing of a kFastHeld ticket: false, changing
    // nothing, if it was released already; otherwise the release, put back
    // (kFastDone) or handed on to a successor that had queued behind.
    bool release_fast(TraceKind kind, bool by_holder) noexcept;
    // After the claim of a kFastHeld ticket released with something:
    // replaces its fast word by a plain one, or waits for the successor
    // that moved it to make the ticket plain.
    void leave_fast() noexcept;
    // A successor replaced the fast word of the ticket whose release this
    // is, and counted a resource reference for it: the ticket is plain.
    static void replaced_fast(Future &release) noexcept;
    void await_plain() const noexcept;
    // Takes the one release (kReleased) and records it; returns the flags
    // before. Throws Error(ORDO_ERROR_INVALID_STATE) if already released.
    uint32_t claim(TraceKind kind);
    // A fast ticket that lost the race to the tail, not yet published.
    void make_plain() noexcept;

    mutable Release release_; // first: the ticket's references
    std::atomic<uint32_t> flags_;
    std::atomic<uint8_t> fast_; // FastState
    mutable SmallMutex link_mutex_;
    int64_t acquired_at_;
    void *const value_;
    // Counted while kCountsResource, until the holder is gone: the
    // resource's tail points back at its last ticket, so tickets cannot hold
    // it once released and handed on.
    Resource *const resource_;
    Ref<Future> grant_;            // set at acquire; dropped under link_mutex_ (see above)
    SharedGroup *group_ = nullptr; // shared tickets: one reference
};

} // namespace ordo::detail
