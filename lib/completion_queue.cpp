#include "completion_queue.hpp"

#include "error.hpp"

#include <cassert>
#include <cerrno>
#include <memory>
#include <sys/eventfd.h>
#include <system_error>
#include <unistd.h>

namespace ordo::detail {

// One post. Registered on its future (Callback::next links the future's
// callback stack); once fired, next links the queue's ready list instead.
struct CompletionQueue::Node : Callback {
    Ref<CompletionQueue> queue;
    Ref<Future> future; // the queue's reference, until the completion is read
    uint64_t tag = 0;
    int status = ORDO_OK;
};

Ref<CompletionQueue> CompletionQueue::create() {
    maybe_fail_allocation();
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0)
        throw Error(ORDO_ERROR_SYSTEM, "eventfd failed: " + std::generic_category().message(errno));
    try {
        return Ref<CompletionQueue>::adopt(new CompletionQueue(fd));
    } catch (...) {
        ::close(fd);
        throw;
    }
}

CompletionQueue::~CompletionQueue() {
    // Reached once the handle is destroyed (close() ran) and every node has
    // let go; a queue whose handle was never made closes its fd here.
    Lock lock(mutex_);
    assert(head_ == nullptr && outstanding_ == 0);
    if (!closed_)
        ::close(fd_);
}

void CompletionQueue::post(const Ref<Future> &future, uint64_t tag) {
    maybe_fail_allocation();
    auto node = std::make_unique<Node>();
    node->fn = on_complete;
    node->queue = Ref<CompletionQueue>(this);
    node->future = future;
    node->tag = tag;
    {
        Lock lock(mutex_);
        // Only a post racing with the destroy of its own handle could see
        // this, which ordo.h forbids; refused rather than lost.
        if (closed_)
            throw Error(ORDO_ERROR_INVALID_STATE, "the completion queue is closed");
        ++outstanding_;
    }
    future->on_complete(node.release()); // may run on_complete() now
}

void CompletionQueue::on_complete(Callback *cb, Future &future) noexcept {
    auto *node = static_cast<Node *>(cb);
    node->status = future.poll();
    node->next = nullptr;
    CompletionQueue &q = *node->queue;
    {
        Lock lock(q.mutex_);
        if (!q.closed_) {
            bool was_empty = q.head_ == nullptr;
            if (q.tail_ != nullptr)
                q.tail_->next = node;
            else
                q.head_ = node;
            q.tail_ = node;
            if (was_empty) {
                eventfd_write(q.fd_, 1); // cannot fail: the count is 0 before
                if (q.waiters_ > 0)
                    q.ready_cv_.notify_all();
            }
            return;
        }
        --q.outstanding_;
    }
    // Closed: nobody will read it. Freed outside the mutex: the node may
    // hold the last reference to the queue.
    delete node;
}

CompletionQueue::Node *CompletionQueue::take(ordo_completion *out, size_t capacity, size_t &n) {
    Node *first = head_;
    Node *last = nullptr;
    n = 0;
    for (Node *node = head_; n < capacity && node != nullptr;
         node = static_cast<Node *>(node->next)) {
        out[n].tag = node->tag;
        out[n].status = node->status;
        ++n;
        last = node;
    }
    if (n == 0)
        return nullptr;
    head_ = static_cast<Node *>(last->next);
    last->next = nullptr;
    if (head_ == nullptr) {
        tail_ = nullptr;
        eventfd_t count;
        eventfd_read(fd_, &count); // not readable any more
    }
    outstanding_ -= n;
    return first;
}

void CompletionQueue::free_nodes(Node *list) noexcept {
    while (list != nullptr) {
        Node *next = static_cast<Node *>(list->next);
        delete list;
        list = next;
    }
}

size_t CompletionQueue::read(ordo_completion *out, size_t capacity) noexcept {
    size_t n;
    Node *taken;
    {
        Lock lock(mutex_);
        taken = take(out, capacity, n);
    }
    free_nodes(taken);
    return n;
}

size_t CompletionQueue::wait(ordo_completion *out, size_t capacity, Deadline deadline) noexcept {
    size_t n = 0;
    Node *taken = nullptr;
    {
        UniqueLock lock(mutex_);
        while (head_ == nullptr && now_ns() < deadline) {
            ++waiters_;
            if (deadline == kNever)
                ready_cv_.wait(lock.native());
            else
                ready_cv_.wait_until(lock.native(), to_steady(deadline));
            --waiters_;
        }
        taken = take(out, capacity, n);
    }
    free_nodes(taken);
    return n;
}

size_t CompletionQueue::outstanding() noexcept {
    Lock lock(mutex_);
    return outstanding_;
}

void CompletionQueue::close() noexcept {
    Node *dropped;
    {
        Lock lock(mutex_);
        assert(!closed_);
        closed_ = true;
        dropped = head_;
        for (Node *node = head_; node != nullptr; node = static_cast<Node *>(node->next))
            --outstanding_;
        head_ = tail_ = nullptr;
        ::close(fd_);
    }
    free_nodes(dropped);
}

} // namespace ordo::detail
