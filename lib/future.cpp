#include "future.hpp"

#include "error.hpp"
#include "futex.hpp"

#include <cerrno>
#include <cstring>
#include <new>
#include <sys/eventfd.h>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace ordo::detail {
namespace {

// A tag, never dereferenced.
Callback *const kClosed = reinterpret_cast<Callback *>(uintptr_t{1}); // NOLINT(*-no-int-to-ptr)

// Per-thread dispatch state: depth of callback dispatch, and futures whose
// callbacks wait for the outermost dispatch to run them.
struct Dispatch {
    int depth = 0;
    std::vector<Future *> deferred; // each holds a reference
    size_t next = 0;
};

Dispatch &dispatch() noexcept {
    thread_local Dispatch d;
    return d;
}

} // namespace

Ref<Future> Future::make_pending() {
    maybe_fail_allocation();
    return Ref<Future>::adopt(new Future);
}

Ref<Future> Future::make_done(EventList events) {
    Ref<Future> f = make_pending();
    f->complete(std::move(events));
    return f;
}

void Future::free_extras() noexcept {
    Extras *x = extras_.load(std::memory_order_acquire);
    int fd = x->fd.load(std::memory_order_relaxed);
    if (fd >= 0)
        close(fd);
    if (Future *wait = x->events_wait.load(std::memory_order_acquire))
        wait->release();
    delete x;
}

Future::Extras &Future::extras() {
    Extras *x = extras_.load(std::memory_order_seq_cst);
    if (x != nullptr)
        return *x;
    maybe_fail_allocation();
    auto *made = new Extras;
    if (!extras_.compare_exchange_strong(x, made, std::memory_order_seq_cst)) {
        delete made;
        return *x;
    }
    return *made;
}

std::atomic<Future *> &Future::events_wait_slot() {
    return extras().events_wait;
}

bool Future::begin_completion() noexcept {
    uint32_t s = state_.load(std::memory_order_relaxed);
    do {
        if ((s & kStateMask) != kPending)
            return false;
    } while (!state_.compare_exchange_weak(s, (s & ~kStateMask) | kCompleting,
                                           std::memory_order_acquire, std::memory_order_relaxed));
    return true;
}

void Future::publish(State final_state) noexcept {
    // seq_cst pairs with fd(): of this exchange and fd()'s installation of
    // the descriptor, each side then loads the other's word, so at least one
    // side sees the other (the store-buffering pattern needs seq_cst on all
    // four accesses).
    uint32_t old = state_.exchange(final_state, std::memory_order_seq_cst);
    if (old & kWaiters)
        futex_wake_all(state_);
    if (Extras *x = extras_.load(std::memory_order_seq_cst)) {
        int fd = x->fd.load(std::memory_order_seq_cst);
        if (fd >= 0)
            eventfd_write(fd, 1);
    }
    // No callback registered: close the list, and that is all.
    Callback *none = nullptr;
    if (callbacks_.compare_exchange_strong(none, kClosed, std::memory_order_acq_rel,
                                           std::memory_order_acquire))
        return;
    // Callbacks may drop the last outside reference (a successor releasing
    // its grant): keep this alive until they have run.
    retain();
    run_callbacks();
    release();
}

bool Future::complete(EventList events) noexcept {
    if (!begin_completion())
        return false;
    events_ = std::move(events);
    publish(kDone);
    return true;
}

bool Future::fail(Ref<Failure> failure) noexcept {
    if (!begin_completion())
        return false;
    events_.clear();
    failure_ = std::move(failure);
    publish(kFailed);
    return true;
}

bool Future::cancel() noexcept {
    Ref<Failure> failure;
    try {
        failure = Failure::make(ORDO_ERROR_CANCELLED, "cancelled");
    } catch (...) {
        return false;
    }
    return fail(std::move(failure));
}

int Future::poll() const noexcept {
    switch (state()) {
    case kDone:
        return ORDO_OK;
    case kFailed:
        return failure_->status();
    default:
        return ORDO_PENDING;
    }
}

int Future::wait(Deadline deadline) noexcept {
    uint32_t s = state_.load(std::memory_order_acquire);
    if ((s & kStateMask) < kDone) {
        drain_deferred();
        for (;;) {
            s = state_.load(std::memory_order_acquire);
            if ((s & kStateMask) >= kDone)
                break;
            if (!(s & kWaiters)) {
                if (!state_.compare_exchange_weak(s, s | kWaiters, std::memory_order_acquire,
                                                  std::memory_order_acquire))
                    continue;
                s |= kWaiters;
            }
            if (now_ns() >= deadline)
                return ORDO_ERROR_TIMEOUT;
            futex_wait(state_, s, deadline);
        }
    }
    return (s & kStateMask) == kDone ? ORDO_OK : failure_->status();
}

Outcome Future::copy_outcome() const {
    Outcome o;
    if (state() == kFailed)
        o.failure = failure_;
    else
        o.events = events_.copy();
    return o;
}

void Future::on_complete(Callback *cb) noexcept {
    Callback *head = callbacks_.load(std::memory_order_acquire);
    do {
        if (head == kClosed) {
            cb->next = nullptr;
            cb->fn(cb, *this);
            return;
        }
        cb->next = head;
    } while (!callbacks_.compare_exchange_weak(head, cb, std::memory_order_acq_rel,
                                               std::memory_order_acquire));
}

void Future::run_callbacks() noexcept {
    Dispatch &d = dispatch();
    if (d.depth > 0) {
        try {
            d.deferred.push_back(this);
            retain();
            return;
        } catch (...) {
            // No memory to defer: run now, on this stack.
        }
        run_callbacks_now();
        return;
    }
    ++d.depth;
    run_callbacks_now();
    while (d.next < d.deferred.size()) {
        Future *f = d.deferred[d.next++];
        f->run_callbacks_now();
        f->release();
    }
    d.deferred.clear();
    d.next = 0;
    --d.depth;
}

void Future::drain_deferred() noexcept {
    Dispatch &d = dispatch();
    while (d.next < d.deferred.size()) {
        Future *f = d.deferred[d.next++];
        f->run_callbacks_now();
        f->release();
    }
}

void Future::run_callbacks_now() noexcept {
    Callback *head = callbacks_.exchange(kClosed, std::memory_order_acq_rel);
    // The stack is newest first; run oldest first.
    Callback *reversed = nullptr;
    while (head != nullptr) {
        Callback *next = head->next;
        head->next = reversed;
        reversed = head;
        head = next;
    }
    while (reversed != nullptr) {
        Callback *cb = reversed;
        reversed = cb->next;
        cb->fn(cb, *this);
    }
}

int Future::fd() {
    Extras &x = extras();
    int fd = x.fd.load(std::memory_order_seq_cst);
    if (fd >= 0)
        return fd;
    int made = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (made < 0)
        throw Error(ORDO_ERROR_SYSTEM, "eventfd failed: " + std::generic_category().message(errno));
    int expected = -1;
    if (!x.fd.compare_exchange_strong(expected, made, std::memory_order_seq_cst)) {
        close(made);
        return expected;
    }
    // seq_cst, paired with publish() (see there).
    if ((state_.load(std::memory_order_seq_cst) & kStateMask) >= kDone)
        eventfd_write(made, 1);
    return made;
}

namespace {

struct UserCallback : Callback {
    ordo_callback_fn user_fn;
    void *user_data;
};

void run_user_callback(Callback *self, Future &future) noexcept {
    auto *cb = static_cast<UserCallback *>(self);
    int status = future.poll();
    ordo_callback_fn fn = cb->user_fn;
    void *data = cb->user_data;
    delete cb;
    fn(data, status);
}

} // namespace

Callback *make_user_callback(ordo_callback_fn fn, void *user_data) {
    maybe_fail_allocation();
    auto *cb = new UserCallback;
    cb->fn = run_user_callback;
    cb->user_fn = fn;
    cb->user_data = user_data;
    return cb;
}

} // namespace ordo::detail
