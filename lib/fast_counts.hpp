// Counts of the fast cycle's paths (ticket.hpp), for the stress tool, the
// tests and ordo_diagnostics_fast_path: proof that both paths and the ways
// between them run. Compiled in with ORDO_FAST_PATH_COUNTS (meson option
// fast_path_counts; off in release builds, where each count would cost the
// hot path an atomic add). Relaxed: they are statistics, read at leisure.
#pragma once

#include <ordo/ordo.h>

#include <atomic>
#include <cstdint>

namespace ordo::detail {

enum class FastCount : unsigned {
    kAcquired,  // exclusive tickets granted on the fast path
    kPutBack,   // fast releases that put the idle word back
    kLeft,      // fast tickets made plain: a release with events or a failure, or a successor
    kReplaced,  // of those, the ones a successor had queued behind
    kOrphans,   // resources deleted by their fast ticket
    kIdleAgain, // plain releases that made the tail idle again
    kLostRace,  // fast acquires that lost the tail to another acquire
    kCount
};

extern std::atomic<uint64_t> g_fast_counts[static_cast<unsigned>(FastCount::kCount)];

#if ORDO_FAST_PATH_COUNTS
#define ORDO_COUNT_FAST(which)                                                                     \
    ::ordo::detail::g_fast_counts[static_cast<unsigned>(::ordo::detail::FastCount::which)]         \
        .fetch_add(1, std::memory_order_relaxed)
#else
#define ORDO_COUNT_FAST(which) ((void)0)
#endif

// Fills out; false if this build does not count.
bool read_fast_counts(ordo_fast_path_counts &out) noexcept;

} // namespace ordo::detail
