// Future: one completion, shared by reference.
//
// States: PENDING -> COMPLETING (one completer won, payload being written)
// -> DONE (events) or FAILED (failure). The state word is also the futex that
// host waiters sleep on; bit kWaiters says someone sleeps. The payload is
// written only by the thread that won the PENDING -> COMPLETING transition
// and is published by the release-store of DONE/FAILED: readers that see
// DONE/FAILED with acquire ordering see the payload, which never changes again.
//
// Callbacks are an intrusive lock-free stack. Completion swaps in kClosed and
// runs what it took, oldest first; a callback added after that runs at once.
// Callbacks of futures completed from inside a callback are deferred to the
// outermost dispatch on the same thread, so a chain of a million releases
// never recurses a million deep.
#pragma once

#include "clock.hpp"
#include "event_list.hpp"
#include "failure.hpp"
#include "ref.hpp"

#include <atomic>
#include <cstdint>
#include <string>

namespace ordo::detail {

class Future;

// An intrusive callback node. fn runs once with the completed future; it
// owns the node from then on (frees it, or the embedding object keeps it).
struct Callback {
    Callback *next = nullptr;
    void (*fn)(Callback *self, Future &future) noexcept = nullptr;
};

// What a released ticket or a promise hands on: events, or a failure.
struct Outcome {
    EventList events;
    Ref<Failure> failure; // set: failed, events unused
};

class Future : public RefCounted<Future> {
public:
    enum State : uint32_t { kPending = 0, kCompleting = 1, kDone = 2, kFailed = 3 };

    Future() noexcept = default;

    static Ref<Future> make_pending();
    static Ref<Future> make_done(EventList events = {});

    State state() const noexcept {
        return static_cast<State>(state_.load(std::memory_order_acquire) & kStateMask);
    }
    bool is_complete() const noexcept { return state() >= kDone; }

    // Completes the future. Returns false, changing nothing, if it already was.
    bool complete(EventList events) noexcept;
    bool fail(Ref<Failure> failure) noexcept;
    bool finish(Outcome outcome) noexcept {
        return outcome.failure ? fail(std::move(outcome.failure))
                               : complete(std::move(outcome.events));
    }

    // Blocks until complete or the deadline. ORDO_OK, the failure's status,
    // or ORDO_ERROR_TIMEOUT.
    int wait(Deadline deadline) noexcept;
    // ORDO_PENDING, ORDO_OK or the failure's status.
    int poll() const noexcept;

    // Valid once DONE / FAILED (check state() first).
    const EventList &events() const noexcept { return events_; }
    const Failure &failure() const noexcept { return *failure_; }
    const Ref<Failure> &failure_ref() const noexcept { return failure_; }
    // A copy of the completed outcome, with its own event references.
    Outcome copy_outcome() const;

    // Runs cb once the future completes, or now if it has.
    void on_complete(Callback *cb) noexcept;

    // An eventfd that becomes readable on completion; owned by the future.
    // Throws Error(ORDO_ERROR_SYSTEM) if none can be made, std::bad_alloc.
    int fd();

    // A slot for the one wait for this future's events to complete
    // (lib/event_wait.hpp, cached_events_wait): owns the future it points
    // at. Throws std::bad_alloc.
    std::atomic<Future *> &events_wait_slot();

    // Cancels a pending future. The default fails it with ORDO_ERROR_CANCELLED.
    // Returns false if it cannot be (already complete, or a kind that refuses).
    virtual bool cancel() noexcept;

    // Runs callbacks deferred on this thread by nested completions. Called
    // before a host wait blocks, so a wait inside a callback cannot deadlock
    // on work that is queued behind it.
    static void drain_deferred() noexcept;

protected:
    friend class RefCounted<Future>;
    explicit Future(uint32_t initial_refs) noexcept : RefCounted(initial_refs) {}
    virtual ~Future() {
        if (extras_.load(std::memory_order_acquire) != nullptr) [[unlikely]]
            free_extras();
    }
    void free_extras() noexcept;
    // Frees the object once the last reference is gone.
    virtual void destroy() noexcept { delete this; }

    // Two-step completion for subclasses that write the payload in place:
    // begin_completion() wins the right to complete (false: already done),
    // then the caller fills events_/failure_ and calls publish().
    bool begin_completion() noexcept;
    // finish() for a caller that knows nobody else can complete this future
    // (it owns the completion, or won begin_completion()). May run callbacks
    // that destroy this future: the caller touches nothing of it afterwards.
    void finish_owned(Outcome outcome) noexcept {
        if (outcome.failure) {
            failure_ = std::move(outcome.failure);
            publish(kFailed);
        } else {
            events_ = std::move(outcome.events);
            publish(kDone);
        }
    }
    void publish(State final_state) noexcept;

    EventList events_;     // DONE: the result; before completion: free for subclasses
    Ref<Failure> failure_; // FAILED: the failure; before completion: free for subclasses

private:
    static constexpr uint32_t kStateMask = 3;
    static constexpr uint32_t kWaiters = 4;

    void run_callbacks() noexcept;
    void run_callbacks_now() noexcept;

    // What few futures need, made on first use: an eventfd, the wait for
    // the events. Installed once (seq_cst: see fd()), freed with the future.
    struct Extras {
        std::atomic<int> fd{-1};
        std::atomic<Future *> events_wait{nullptr};
    };
    Extras &extras();

    std::atomic<uint32_t> state_{kPending};
    std::atomic<Extras *> extras_{nullptr};
    std::atomic<Callback *> callbacks_{nullptr};
};

// A callback that calls a C function pointer.
Callback *make_user_callback(ordo_callback_fn fn, void *user_data);

} // namespace ordo::detail
