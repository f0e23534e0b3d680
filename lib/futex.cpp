#include "futex.hpp"

#include <climits>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace ordo::detail {

void futex_wait(std::atomic<uint32_t> &word, uint32_t expected, Deadline deadline) noexcept {
    static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
    auto *address = reinterpret_cast<uint32_t *>(&word);
    if (deadline == kNever) {
        syscall(SYS_futex, address, FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
        return;
    }
    // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time.
    timespec ts = to_timespec(deadline);
    syscall(SYS_futex, address, FUTEX_WAIT_BITSET_PRIVATE, expected, &ts, nullptr,
            FUTEX_BITSET_MATCH_ANY);
}

void futex_wake_all(std::atomic<uint32_t> &word) noexcept {
    syscall(SYS_futex, reinterpret_cast<uint32_t *>(&word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr,
            nullptr, 0);
}

void futex_wake_one(std::atomic<uint32_t> &word) noexcept {
    syscall(SYS_futex, reinterpret_cast<uint32_t *>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr,
            0);
}

void SmallMutex::lock_slow(uint32_t seen) noexcept {
    // Brief spin: critical sections guarded by this mutex are a few stores.
    for (int i = 0; i < 64 && seen != 0; ++i) {
        cpu_relax();
        seen = word_.load(std::memory_order_relaxed);
        if (seen == 0 && word_.compare_exchange_strong(seen, 1, std::memory_order_acquire,
                                                       std::memory_order_relaxed))
            return;
    }
    if (seen != 2)
        seen = word_.exchange(2, std::memory_order_acquire);
    while (seen != 0) {
        futex_wait(word_, 2, kNever);
        seen = word_.exchange(2, std::memory_order_acquire);
    }
}

} // namespace ordo::detail
