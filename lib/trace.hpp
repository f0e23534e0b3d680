// Optional tracing: every acquire, grant, release and host wait recorded in
// a ring buffer, written on request as Chrome trace-event JSON (loads in
// Perfetto and chrome://tracing). Off by default; when off, each recording
// site costs one relaxed atomic load.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>

namespace ordo::detail {

class Ticket;

enum class TraceKind : uint8_t {
    kAcquire,   // a ticket's place was taken
    kGrant,     // its holder learnt of the grant
    kRelease,   // ready()
    kFail,      // fail()
    kCancel,    // cancel, or dropped without release
    kWaitBegin, // a host wait started (on the calling thread)
    kWaitEnd,   // it ended
};

extern std::atomic<bool> g_tracing;
inline bool tracing() noexcept {
    return g_tracing.load(std::memory_order_relaxed);
}

// The most records a trace holds (about a gigabyte).
inline constexpr size_t kMaxTraceRecords = size_t{1} << 24;

// Starts recording into a ring of capacity records (older ones are
// overwritten), dropping what was recorded before. Throws
// Error(ORDO_ERROR_INVALID_ARGUMENT) above kMaxTraceRecords, std::bad_alloc.
void trace_start(size_t capacity);
void trace_stop() noexcept;
// Records kind for ticket. Only an acquire names the resource (the caller
// holds it then); the other records are matched to their ticket's acquire
// when written, so that no record reads a resource another thread may be
// letting go of.
void trace(TraceKind kind, const Ticket &ticket,
           const std::string *resource_name = nullptr) noexcept;
// The records held, as Chrome trace-event JSON.
std::string trace_json();

} // namespace ordo::detail
