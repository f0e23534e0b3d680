// The completion queue's reader (stress.hpp): one thread for every grant
// future posted to the queue, asleep in poll() on the queue's descriptor.
#include "stress.hpp"

#include <poll.h>

#include <cinttypes>

namespace ordo_stress {

Completions::Completions() {
    CHECK_STATUS(ordo_completion_queue_create(&queue_), check_status_ == ORDO_OK);
    CHECK_STATUS(ordo_completion_queue_fd(queue_, &fd_), check_status_ == ORDO_OK);
}

Completions::~Completions() {
    ordo_completion_queue_destroy(queue_);
}

void Completions::post(ordo_future grant, GrantCallback *cb) {
    static_assert(sizeof(uintptr_t) <= sizeof(uint64_t), "a tag holds a pointer");
    CHECK_STATUS(ordo_completion_queue_post(queue_, grant, reinterpret_cast<uintptr_t>(cb)),
                 check_status_ == ORDO_OK);
}

void Completions::start() {
    thread_ = std::thread([this] { run(); });
}

bool Completions::read_batch() {
    ordo_completion batch[64];
    size_t n = 0;
    CHECK_STATUS(ordo_completion_queue_read(queue_, batch, 64, &n), check_status_ == ORDO_OK);
    g_count.completions_read.fetch_add(static_cast<long>(n), std::memory_order_relaxed);
    for (size_t i = 0; i < n; ++i)
        on_grant_future(reinterpret_cast<GrantCallback *>(static_cast<uintptr_t>(batch[i].tag)),
                        batch[i].status);
    return n > 0;
}

void Completions::run() {
    while (!stop_.load(std::memory_order_acquire)) {
        pollfd p{fd_, POLLIN, 0};
        int ready = poll(&p, 1, 50); // a bounded sleep, to see stop_
        if (ready == 1) {
            if (!read_batch())
                violation("the completion queue's descriptor was readable with nothing queued");
        } else if (ready < 0 && errno != EINTR) {
            violation("poll on the completion queue's descriptor failed: errno %d", errno);
        }
    }
}

void Completions::stop(int64_t bound_ns) {
    stop_.store(true, std::memory_order_release);
    thread_.join();
    // The watchdog has seen every grant future complete: every post's
    // completion is queued, and none may be missing.
    ordo_deadline deadline = ordo_deadline_after(bound_ns);
    size_t left = 0;
    for (;;) {
        read_batch();
        CHECK_STATUS(ordo_completion_queue_outstanding(queue_, &left), check_status_ == ORDO_OK);
        if (left == 0 || ordo_now() > deadline)
            break;
        ordo_completion c;
        size_t n = 0;
        if (ordo_completion_queue_wait(queue_, deadline, &c, 1, &n) != ORDO_OK)
            continue;
        g_count.completions_read.fetch_add(1, std::memory_order_relaxed);
        on_grant_future(reinterpret_cast<GrantCallback *>(static_cast<uintptr_t>(c.tag)), c.status);
    }
    if (left != 0)
        violation("%zu posts to the completion queue gave no completion", left);
}

} // namespace ordo_stress
