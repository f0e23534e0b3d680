// Linux futex wrappers and a four-byte mutex built on them. The futex lets a
// future's state word double as its wait queue, so a pending future costs no
// condition variable.
#pragma once

#include "clock.hpp"
#include "thread_annotations.hpp"

#include <atomic>
#include <cstdint>

namespace ordo::detail {

// A spin-wait's pause.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

// Blocks while *word == expected, until woken or the deadline (CLOCK_MONOTONIC)
// passes. Spurious returns are possible: callers re-check their condition.
void futex_wait(std::atomic<uint32_t> &word, uint32_t expected, Deadline deadline) noexcept;
void futex_wake_all(std::atomic<uint32_t> &word) noexcept;
void futex_wake_one(std::atomic<uint32_t> &word) noexcept;

// A mutex in one word (Drepper's "Futexes are tricky", mutex 3): 0 free,
// 1 locked, 2 locked with possible waiters. Uncontended lock and unlock are
// one atomic read-modify-write each. Not recursive.
class ORDO_CAPABILITY("mutex") SmallMutex {
public:
    void lock() noexcept ORDO_ACQUIRE() {
        uint32_t expected = 0;
        if (!word_.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                           std::memory_order_relaxed)) [[unlikely]]
            lock_slow(expected);
    }
    void unlock() noexcept ORDO_RELEASE() {
        if (word_.exchange(0, std::memory_order_release) == 2) [[unlikely]]
            futex_wake_one(word_);
    }

private:
    void lock_slow(uint32_t seen) noexcept;
    std::atomic<uint32_t> word_{0};
};

} // namespace ordo::detail
