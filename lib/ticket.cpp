#include "ticket.hpp"

#include "deferred_wait.hpp"
#include "device_wait.hpp"
#include "diagnostics.hpp"
#include "error.hpp"
#include "event_wait.hpp"
#include "fast_counts.hpp"
#include "grant_future.hpp"
#include "holder_wait.hpp"
#include "immortal.hpp"
#include "log.hpp"
#include "pool.hpp"
#include "resource.hpp"
#include "shared_group.hpp"
#include "trace.hpp"

#include <cassert>
#include <optional>
#include <sched.h>

namespace ordo::detail {

Ticket::Ticket(Resource &resource, Mode mode) noexcept
    : flags_((mode == Mode::kShared ? kShared : 0) | kCountsResource), fast_(kPlain),
      acquired_at_(coarse_now_ns()), value_(resource.value()), resource_(&resource) {
    resource.retain();
}

void Ticket::make_plain() noexcept {
    flags_.store(kCountsResource, std::memory_order_relaxed);
    fast_.store(kPlain, std::memory_order_relaxed);
    resource_->retain();
}

void Ticket::destroy_parts() noexcept {
    uint32_t f = flags_.load(std::memory_order_relaxed);
    if (f & kHasInfo)
        forget_ticket_info(this);
    // A ticket dropped before it was handed to a holder (an acquire that
    // failed after making it) still counts its resource reference.
    if ((f & (kCountsResource | kHolderGone)) == kCountsResource)
        resource_->release();
    if (group_ != nullptr)
        group_->release();
}

const EventList Ticket::kNoEvents{};

Ticket &Ticket::of(Release &r) noexcept {
    // Ticket is not standard-layout, but release_ lies at a fixed offset in
    // it (GCC and clang define offsetof there).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
    constexpr size_t offset = offsetof(Ticket, release_);
#pragma GCC diagnostic pop
    return *reinterpret_cast<Ticket *>(reinterpret_cast<unsigned char *>(&r) - offset);
}

void Ticket::Release::destroy() noexcept {
    Pool<Ticket>::destroy(&Ticket::of(*this));
}

Ref<Future> Ticket::grant_for_walk() const noexcept {
    Lock lock(link_mutex_);
    if (fast_.load(std::memory_order_acquire) >= kFastDone)
        return {}; // grant_ is the tail's again
    return grant_;
}

void Ticket::drop_grant() noexcept {
    // Only diagnostics walk from one ticket to its grant, and only tickets in
    // their side table (kHasInfo, set by the holder) can be reached.
    if (!(flags_.load(std::memory_order_acquire) & kHasInfo)) {
        grant_.reset();
        return;
    }
    Ref<Future> dropped;
    {
        Lock lock(link_mutex_);
        dropped.swap(grant_);
    }
}

void Ticket::mark_seen() noexcept {
    if (flags_.load(std::memory_order_relaxed) & kSeen)
        return; // the common case on repeated waits: no read-modify-write
    // Whoever sets the flag records the grant, once.
    if (!(flags_.fetch_or(kSeen, std::memory_order_acq_rel) & kSeen) && tracing())
        trace(TraceKind::kGrant, *this);
}

Future &Ticket::grant() const {
    // A fast ticket's grant_ goes back to the tail at its release, which may
    // be running on another thread: what it is (done, with no events) is
    // read from one future that every fast ticket shares.
    if (fast_.load(std::memory_order_acquire) == kFastHeld)
        return done_with_nothing();
    if (released())
        throw Error(ORDO_ERROR_INVALID_STATE, "the ticket was already released");
    return *grant_;
}

Future &Ticket::done_with_nothing() noexcept {
    // Never freed: its own reference is never dropped.
    static Immortal<Ref<Future>> done{Future::make_done()};
    return *done.get();
}

int Ticket::blocking_wait(Future &f, Deadline deadline) {
    int64_t threshold = wait_warning();
    std::optional<HostWaitScope> scope;
    if (threshold > 0 || diagnostics_enabled())
        scope.emplace(*this);
    if (tracing())
        trace(TraceKind::kWaitBegin, *this);
    int status;
    Deadline warn_at = threshold > 0 ? deadline_after(threshold) : kNever;
    if (warn_at < deadline && (status = f.wait(warn_at)) != ORDO_ERROR_TIMEOUT) {
        // Done before the warning was due.
    } else {
        if (warn_at < deadline)
            log(ORDO_LOG_WARNING, "a holder has waited %.1f ms on resource \"%s\":\n%s",
                static_cast<double>(threshold) / 1e6, resource_->name().c_str(),
                dump(resource_).c_str());
        status = f.wait(deadline);
    }
    if (tracing())
        trace(TraceKind::kWaitEnd, *this);
    return status;
}

WaitResult Ticket::wait_grant(Deadline deadline) {
    Future &g = grant();
    WaitResult result;
    result.status = g.is_complete() ? g.poll() : blocking_wait(g, deadline);
    if (result.status == ORDO_OK) {
        result.events = &g.events();
    } else if (result.status != ORDO_ERROR_TIMEOUT) {
        result.failure = g.failure_ref();
        mark_seen(); // the failure is what the holder is handed
    }
    return result;
}

void Ticket::wait_for_events(WaitResult &result, std::atomic<Future *> &slot, Deadline deadline) {
    assert(result.status == ORDO_OK && result.events != nullptr && !result.events->empty());
    Ref<Future> done = cached_events_wait(slot, *result.events);
    int status = done->is_complete() ? done->poll() : blocking_wait(*done, deadline);
    if (status != ORDO_OK) {
        result.status = status;
        if (status != ORDO_ERROR_TIMEOUT)
            result.failure = done->failure_ref();
    }
}

std::atomic<Future *> &Ticket::events_slot() {
    return grant().events_wait_slot();
}

WaitResult Ticket::wait_plain(Deadline deadline) {
    return wait_for_grant(*this, deadline);
}

WaitResult Ticket::wait_complete(Deadline deadline) {
    return detail::wait_complete(*this, deadline);
}

WaitResult Ticket::enqueue_wait(cl_command_queue queue, Deadline deadline, cl_event *barrier) {
    return detail::enqueue_wait(*this, queue, deadline, barrier);
}

void Ticket::enqueue_wait_deferred(cl_command_queue queue, cl_event *barrier) {
    Future &g = grant();
    DeferredWait::start(g, queue, barrier);
    // The device now waits for the predecessor's events: releasing this
    // ticket need not forward them.
    flags_.fetch_or(kSeen, std::memory_order_acq_rel);
}

Ref<Future> Ticket::grant_future() {
    Future &g = grant();
    return GrantFuture::make(Ref<Ticket>(this), g);
}

void Ticket::ready(EventList events) {
    if (released())
        throw Error(ORDO_ERROR_INVALID_STATE, "the ticket was already released");
    if (!events.empty())
        flush_queues_of(events);
    Outcome outcome;
    outcome.events = std::move(events);
    release_with(std::move(outcome), TraceKind::kRelease, true);
}

void Ticket::fail(Ref<Failure> failure) {
    Outcome outcome;
    outcome.failure = std::move(failure);
    release_with(std::move(outcome), TraceKind::kFail, true);
}

void Ticket::cancel(bool by_holder) {
    release_with(Outcome{}, TraceKind::kCancel, by_holder);
}

// Handing the release on runs the successors' callbacks, which may destroy
// this ticket (ordo.h allows a callback to destroy the ticket whose release
// it reports): from there on, nothing here touches the ticket.
void Ticket::release_with(Outcome outcome, TraceKind kind, bool by_holder) {
    if (fast_.load(std::memory_order_relaxed) == kFastHeld && outcome.events.empty() &&
        !outcome.failure && release_fast(kind, by_holder))
        return;
    claim_release(std::move(outcome), kind);
    complete_release(by_holder);
}

uint32_t Ticket::claim(TraceKind kind) {
    uint32_t f = flags_.fetch_or(kReleased, std::memory_order_acq_rel);
    if (f & kReleased)
        throw Error(ORDO_ERROR_INVALID_STATE, "the ticket was already released");
    if (tracing()) [[unlikely]]
        trace(kind, *this);
    return f;
}

void Ticket::claim_release(Outcome outcome, TraceKind kind) {
    uint32_t f = claim(kind);
    if (fast_.load(std::memory_order_relaxed) == kFastHeld)
        leave_fast();
    release_.hold(std::move(outcome));
    if (f & kSeen)
        flags_.fetch_or(kSeenAtRelease, std::memory_order_relaxed);
}

void Ticket::complete_release(bool by_holder) noexcept {
    assert(released() && !handed_on() && fast_.load(std::memory_order_relaxed) == kPlain);
    Future &g = *grant_;
    bool seen = flags_.load(std::memory_order_relaxed) & kSeenAtRelease;
    if (g.is_complete()) {
        hand_on(g, seen, by_holder);
        return;
    }
    // Released before its grant: handed on once granted.
    retain(); // held by the callback
    fn = on_granted;
    g.on_complete(this);
}

bool Ticket::release_fast(TraceKind kind, bool by_holder) noexcept {
    // The claim comes first: only the one release may touch the tail, which
    // another thread may free the moment the idle word is back.
    uint32_t f = flags_.fetch_or(kReleased, std::memory_order_acq_rel);
    if (f & kReleased)
        return false; // the caller's plain claim refuses it
    if (tracing()) [[unlikely]]
        trace(kind, *this);
    Resource::Replaced how = resource_->replace_fast(*this, true);
    if (how == Resource::kReplaced) {
        // A successor queued behind: once it has made this ticket plain,
        // the plain hand-on (nothing held; the grant was seen).
        await_plain();
        flags_.fetch_or(kSeenAtRelease, std::memory_order_relaxed);
        complete_release(by_holder);
        return true;
    }
    // Nothing else of the resource is touched.
    Resource *orphan = how == Resource::kOrphan ? resource_ : nullptr;
    // The grant's reference went back into the tail with the idle word:
    // from kFastDone on, grant_ does not own what it points at (left as it
    // is: ~Ticket lets it go).
    if (flags_.load(std::memory_order_acquire) & kHasInfo) {
        Lock lock(link_mutex_); // against a diagnostics walk (grant_for_walk)
        fast_.store(kFastDone, std::memory_order_release);
    } else {
        fast_.store(kFastDone, std::memory_order_release);
    }
    ORDO_COUNT_FAST(kPutBack);
    if (orphan != nullptr) {
        // Nobody will acquire again; the tail's references go with it.
        ORDO_COUNT_FAST(kOrphans);
        Resource::delete_orphan(orphan);
    }
    return true;
}

void Ticket::leave_fast() noexcept {
    Resource::Replaced how = resource_->replace_fast(*this, false);
    if (how == Resource::kReplaced) {
        await_plain(); // a successor's word: it counts what its grant needs
        return;
    }
    // The plain word now in the tail holds a reference to the release. No
    // one can drop the one a successor adopts before this ticket is handed
    // on, which comes after this.
    retain();
    Resource *orphan = how == Resource::kOrphan ? resource_ : nullptr;
    fast_.store(kPlain, std::memory_order_release);
    ORDO_COUNT_FAST(kLeft);
    if (orphan != nullptr) {
        ORDO_COUNT_FAST(kOrphans);
        Resource::delete_orphan(orphan); // releases the tail's reference
    }
}

void Ticket::replaced_fast(Future &release) noexcept {
    Ticket &t = of(static_cast<Release &>(release));
    // The successor's grant, which the fast word did not count. t cannot be
    // gone: its release waits for the store below.
    t.retain();
    uint32_t f = t.flags_.fetch_or(kCountsResource, std::memory_order_acq_rel);
    assert(!(f & kHolderGone));
    (void)f;
    ORDO_COUNT_FAST(kLeft);
    ORDO_COUNT_FAST(kReplaced);
    t.fast_.store(kPlain, std::memory_order_release);
}

void Ticket::await_plain() const noexcept {
    // The successor that moved the fast word stores fast_ a few
    // instructions later, running nothing of the caller's in between.
    for (unsigned spins = 0; fast_.load(std::memory_order_acquire) == kFastHeld; ++spins) {
        if (spins < 100)
            cpu_relax();
        else
            sched_yield();
    }
}

void Ticket::on_granted(Callback *cb, Future &grant) noexcept {
    auto *self = static_cast<Ticket *>(cb);
    self->hand_on(grant, self->flags_.load(std::memory_order_relaxed) & kSeenAtRelease);
    self->release(); // the callback's reference; hand_on() left it alive
}

void Ticket::hand_on(Future &g, bool seen, bool by_holder) noexcept {
    assert(g.is_complete());
    Outcome out = release_.take();
    if (g.state() == Future::kFailed) {
        // A failure the holder never saw passes on; a holder that saw it and
        // released with ready() has recovered.
        if (!out.failure && !seen) {
            out.events.clear();
            out.failure = g.failure_ref();
        }
    } else if (!seen && !out.failure && !g.events().empty()) {
        // Released before seeing its grant: the successor waits for both.
        try {
            EventList merged = g.events().copy();
            merged.append(std::move(out.events));
            out.events = std::move(merged);
        } catch (...) {
            out.events.clear();
            out.failure = Failure::out_of_memory();
        }
    }
    // The grant is not needed any more (g may be gone after this).
    uint32_t f = flags_.fetch_or(kHandedOn, std::memory_order_acq_rel);
    assert(!(f & kHandedOn));
    if (f & kHolderGone)
        drop_grant();
    if (group_ != nullptr) {
        Ref<SharedGroup> group(group_); // this ticket may be gone once it completes
        release_.hand_on(Outcome{});
        group->member_done(std::move(out));
    } else {
        // Handing on nothing from the tail: the fast cycle may start again
        // (resource.hpp). Only in the holder's own call, which a counted
        // reference keeps the resource alive through, and before the
        // successors' callbacks run (they may destroy the handle).
        if (by_holder && out.events.empty() && !out.failure && (f & kCountsResource))
            resource_->mark_idle(release_);
        release_.hand_on(std::move(out));
    }
}

void Ticket::drop_holder(bool warn) noexcept {
    if (!released()) {
        if (warn)
            log(ORDO_LOG_WARNING, "ticket released without ready (resource \"%s\")",
                resource_->name().c_str());
        try {
            release_with(Outcome{}, TraceKind::kCancel, true);
        } catch (...) {
            // Released concurrently by another thread: it hands on.
        }
    }
    // Released on the fast path: nothing is held but the holder's reference.
    if (fast_.load(std::memory_order_acquire) >= kFastDone)
        return;
    uint32_t f = flags_.fetch_or(kHolderGone, std::memory_order_acq_rel);
    assert(!(f & kHolderGone));
    if (f & kHandedOn)
        drop_grant();
    if (f & kCountsResource)
        resource_->release();
}

void Ticket::release_holder() noexcept {
    // A ticket the fast path left unreachable: no one else can take a
    // reference, so a sole one can be dropped by freeing.
    if (fast_.load(std::memory_order_acquire) >= kFastDone &&
        !(flags_.load(std::memory_order_relaxed) & kHasInfo) && release_.sole_reference()) {
        Pool<Ticket>::destroy(this);
        return;
    }
    release();
}

} // namespace ordo::detail
