// The one clock of the library: CLOCK_MONOTONIC in nanoseconds.
#pragma once

#include <ordo/ordo.h>

#include <chrono>
#include <ctime>

namespace ordo::detail {

using Deadline = ordo_deadline;
inline constexpr Deadline kNever = ORDO_DEADLINE_NEVER;

inline Deadline now_ns() noexcept {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<Deadline>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// A cheaper clock with a resolution of a few milliseconds, for diagnostics.
inline int64_t coarse_now_ns() noexcept {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

inline Deadline deadline_after(int64_t timeout_ns) noexcept {
    Deadline now = now_ns();
    if (timeout_ns > 0 && now > kNever - timeout_ns)
        return kNever;
    return now + timeout_ns;
}

// A deadline as a steady_clock time point, for condition variables
// (libstdc++'s steady_clock is CLOCK_MONOTONIC, the clock of deadlines).
inline std::chrono::steady_clock::time_point to_steady(Deadline d) noexcept {
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(d));
}

inline timespec to_timespec(Deadline d) noexcept {
    timespec ts;
    ts.tv_sec = static_cast<time_t>(d / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(d % 1'000'000'000);
    return ts;
}

} // namespace ordo::detail
