// CompletionQueue: the completions of any number of futures, gathered on one
// pollable descriptor and read in batches by the thread that owns the queue.
//
// Each post is a node (a Callback) registered on its future. When the
// future completes, the node moves onto the queue's ready list (FIFO) under
// the queue's mutex; the node was allocated by post(), so completing never
// allocates. The eventfd counts one while the ready list is non-empty: it
// is written when the list goes from empty to non-empty and drained when a
// read empties it, both under the mutex, so a whole batch of completions
// costs one wake-up. Closing (the handle's destroy) drops the ready nodes;
// nodes still registered on pending futures see the queue closed when they
// fire and free themselves (each holds a reference to the queue, so it
// outlives them).
#pragma once

#include "clock.hpp"
#include "future.hpp"
#include "thread_annotations.hpp"

#include <ordo/ordo.h>

#include <condition_variable>
#include <cstddef>
#include <cstdint>

namespace ordo::detail {

class CompletionQueue final : public RefCounted<CompletionQueue> {
public:
    // Throws Error(ORDO_ERROR_SYSTEM) if no eventfd can be made, std::bad_alloc.
    static Ref<CompletionQueue> create();

    // Readable while a completion is unread. Owned by the queue.
    int fd() const noexcept { return fd_; }

    // Queues a completion of future, with tag, once it completes (now, if it
    // has). Throws std::bad_alloc, changing nothing; Error(INVALID_STATE)
    // once closed.
    void post(const Ref<Future> &future, uint64_t tag);

    // Moves up to capacity completions (oldest first) into out; returns how
    // many. Never blocks.
    size_t read(ordo_completion *out, size_t capacity) noexcept;

    // read(), waiting until at least one completion is there or the
    // deadline passes (then 0).
    size_t wait(ordo_completion *out, size_t capacity, Deadline deadline) noexcept;

    // Posted futures whose completions were not read yet (pending or ready).
    size_t outstanding() noexcept;

    // The owner is gone: unread completions are dropped, later ones are
    // discarded as they come, the descriptor is closed.
    void close() noexcept;

private:
    friend class RefCounted<CompletionQueue>;
    struct Node;

    explicit CompletionQueue(int fd) noexcept : fd_(fd) {}
    ~CompletionQueue();

    static void on_complete(Callback *cb, Future &future) noexcept;
    // Copies up to capacity ready completions to out (*n of them) and
    // unlinks their nodes, returned as a list for free_nodes() once the
    // mutex is let go.
    Node *take(ordo_completion *out, size_t capacity, size_t &n) ORDO_REQUIRES(mutex_);
    static void free_nodes(Node *list) noexcept;

    Mutex mutex_;
    std::condition_variable ready_cv_;
    Node *head_ ORDO_GUARDED_BY(mutex_) = nullptr; // ready, oldest first
    Node *tail_ ORDO_GUARDED_BY(mutex_) = nullptr;
    size_t outstanding_ ORDO_GUARDED_BY(mutex_) = 0;
    int waiters_ ORDO_GUARDED_BY(mutex_) = 0;
    bool closed_ ORDO_GUARDED_BY(mutex_) = false;
    // The descriptor: set at creation, closed by close() under mutex_ (no
    // node writes it after that, since each checks closed_ first).
    const int fd_;
};

} // namespace ordo::detail
