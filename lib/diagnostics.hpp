// Diagnostics: names, queue dumps and long-wait warnings.
//
// A side table, guarded by one mutex, records what is not worth a field in
// every ticket: names, host waits in progress, and (while diagnostics are
// enabled) every live ticket of every resource, so that a dump can list the
// queue. Enabling diagnostics costs each acquire one lock of that mutex;
// disabled (the default, unless ORDO_DIAGNOSTICS is set), acquire never
// touches it. Resources always register (creation is rare).
#pragma once

#include "clock.hpp"
#include "ref.hpp"

#include <atomic>
#include <cstdint>
#include <string>

namespace ordo::detail {

class Resource;
class Ticket;

extern std::atomic<bool> g_diagnostics_enabled;
inline bool diagnostics_enabled() noexcept {
    return g_diagnostics_enabled.load(std::memory_order_relaxed);
}
void set_diagnostics_enabled(bool enabled) noexcept;

// Long host waits are reported through the log hook, with a dump of the
// resource, once they have lasted threshold_ns (0: never, the default).
void set_wait_warning(int64_t threshold_ns) noexcept;
int64_t wait_warning() noexcept;

void register_resource(Resource *resource);
void unregister_resource(Resource *resource) noexcept;
// Called by acquire when diagnostics are enabled.
void register_ticket(Ticket &ticket) noexcept;
void set_ticket_name(Ticket &ticket, std::string name);
// Called by ~Ticket when the ticket has a side-table entry.
void forget_ticket_info(const Ticket *ticket) noexcept;

// Marks a host wait in progress on ticket for the scope's lifetime.
class HostWaitScope {
public:
    explicit HostWaitScope(Ticket &ticket) noexcept;
    ~HostWaitScope();
    HostWaitScope(const HostWaitScope &) = delete;
    HostWaitScope &operator=(const HostWaitScope &) = delete;

private:
    Ticket *ticket_;
};

// A readable account of a resource's queue, or of every resource's.
std::string dump(Resource *resource);

} // namespace ordo::detail
