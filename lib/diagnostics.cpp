#include "diagnostics.hpp"

#include "callback_scope.hpp"
#include "resource.hpp"
#include "ticket.hpp"

#include "immortal.hpp"
#include "thread_annotations.hpp"
#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sys/syscall.h>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace ordo::detail {
namespace {

struct TicketInfo {
    const Resource *resource = nullptr; // for grouping only; never dereferenced
    uint64_t sequence = 0;              // registration order, for display
    std::string name;
    int64_t waiting_since = 0; // a host wait in progress, else 0
    long waiting_thread = 0;
};

struct Table {
    Mutex mutex;
    std::unordered_set<Resource *> resources ORDO_GUARDED_BY(mutex);
    std::unordered_map<Ticket *, TicketInfo> tickets ORDO_GUARDED_BY(mutex);
    uint64_t next_sequence ORDO_GUARDED_BY(mutex) = 0;
};

// Tickets may be destroyed during static destruction.
Table &table() {
    static Immortal<Table> t;
    return t.get();
}

bool enabled_from_environment() {
    // ordo never changes the environment, so reading it races nothing of ours.
    const char *env = std::getenv("ORDO_DIAGNOSTICS"); // NOLINT(concurrency-mt-unsafe)
    return env != nullptr && *env != '\0' && std::strcmp(env, "0") != 0;
}

std::atomic<int64_t> g_wait_warning{0};

TicketInfo &info_of(Ticket &ticket) ORDO_REQUIRES(table().mutex) {
    auto [it, inserted] = table().tickets.try_emplace(&ticket);
    if (inserted) {
        it->second.resource = &ticket.resource();
        it->second.sequence = table().next_sequence++;
        ticket.mark_has_info();
    }
    return it->second;
}

const char *status_name(cl_int status) {
    switch (status) {
    case CL_COMPLETE:
        return "CL_COMPLETE";
    case CL_RUNNING:
        return "CL_RUNNING";
    case CL_SUBMITTED:
        return "CL_SUBMITTED";
    case CL_QUEUED:
        return "CL_QUEUED";
    default:
        return "failed";
    }
}

void append(std::string &out, const char *format, ...) __attribute__((format(printf, 2, 3)));
void append(std::string &out, const char *format, ...) {
    char buf[512];
    va_list args;
    va_start(args, format);
    std::vsnprintf(buf, sizeof buf, format, args);
    va_end(args);
    out += buf;
}

void describe_events(std::string &out, const EventList &events) {
    if (events.empty()) {
        out += "no events";
        return;
    }
    for (size_t i = 0; i < events.size(); ++i) {
        cl_int status = CL_COMPLETE; // an event whose callback runs here is not queried
        if (!CallbackScope::inside_callback_of(events.data()[i]))
            clGetEventInfo(events.data()[i], CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status,
                           &status, nullptr);
        append(out, "%s%p %s(%d)", i ? ", " : "", static_cast<void *>(events.data()[i]),
               status_name(status), status);
    }
}

// One line for a ticket (held reference).
void describe_ticket(std::string &out, Ticket &t, const TicketInfo &info, int64_t now) {
    append(out, "  ticket %p", static_cast<void *>(&t));
    if (!info.name.empty())
        append(out, " \"%s\"", info.name.c_str());
    if (t.acquired_at() != 0)
        append(out,
               " %s, acquired %.1f ms ago: ", t.mode() == Mode::kShared ? "shared" : "exclusive",
               static_cast<double>(now - t.acquired_at()) / 1e6);
    else // the fast path does not time its tickets
        append(out, " %s, acquired before diagnostics were on: ",
               t.mode() == Mode::kShared ? "shared" : "exclusive");
    Ref<Future> grant = t.grant_for_walk();
    bool granted = grant && grant->is_complete();
    if (t.handed_on()) {
        out += "released, done";
    } else if (t.released()) {
        out += granted ? "released, completing" : "released early, waiting for its predecessor";
    } else if (!granted) {
        out += "not granted yet (its predecessor has not released)";
    } else {
        out += grant->state() == Future::kFailed ? "granted with a failure, held"
                                                 : "granted, held (not released yet)";
    }
    if (t.holder_gone())
        out += "; holder gone";
    if (info.waiting_since != 0)
        append(out, "; host wait for %.1f ms on thread %ld",
               static_cast<double>(now - info.waiting_since) / 1e6, info.waiting_thread);
    if (granted && !t.handed_on()) {
        if (grant->state() == Future::kFailed) {
            append(out, "; predecessor failed: %s", grant->failure().message().c_str());
        } else {
            out += "; predecessor's events: ";
            describe_events(out, grant->events());
        }
    }
    out += '\n';
}

struct Snapshot {
    Ref<Resource> resource;
    std::vector<std::pair<Ref<Ticket>, TicketInfo>> tickets; // in registration order
};

// Takes references; releasing them (which may run
// destructors that take the mutex) is left to the caller, after unlocking.
Snapshot snapshot(Resource &r) ORDO_REQUIRES(table().mutex) {
    Snapshot snap;
    snap.resource = Ref<Resource>::adopt(&r);
    std::vector<std::pair<uint64_t, Ticket *>> order;
    for (auto &[t, info] : table().tickets)
        if (info.resource == &r)
            order.emplace_back(info.sequence, t);
    std::sort(order.begin(), order.end());
    for (auto &[seq, t] : order) {
        (void)seq;
        if (t->try_retain())
            snap.tickets.emplace_back(Ref<Ticket>::adopt(t), table().tickets.at(t));
    }
    return snap;
}

void describe(std::string &out, const Snapshot &snap, int64_t now) {
    Resource &r = *snap.resource;
    append(out, "resource %p \"%s\" (value %p)\n", static_cast<void *>(&r), r.name().c_str(),
           r.value());
    size_t shown = 0;
    for (const auto &[t, info] : snap.tickets) {
        if (!t->handed_on()) {
            describe_ticket(out, *t, info, now);
            ++shown;
        }
    }
    if (shown == 0)
        out += diagnostics_enabled() ? "  no pending tickets\n"
                                     : "  no pending tickets known (diagnostics are off: only "
                                       "named tickets and host waits are listed)\n";
}

} // namespace

std::atomic<bool> g_diagnostics_enabled{enabled_from_environment()};

void set_diagnostics_enabled(bool enabled) noexcept {
    g_diagnostics_enabled.store(enabled, std::memory_order_relaxed);
}

void set_wait_warning(int64_t threshold_ns) noexcept {
    g_wait_warning.store(threshold_ns, std::memory_order_relaxed);
}
int64_t wait_warning() noexcept {
    return g_wait_warning.load(std::memory_order_relaxed);
}

void register_resource(Resource *resource) {
    Lock lock(table().mutex);
    table().resources.insert(resource);
}

void unregister_resource(Resource *resource) noexcept {
    Lock lock(table().mutex);
    table().resources.erase(resource);
}

void register_ticket(Ticket &ticket) noexcept {
    Lock lock(table().mutex);
    try {
        info_of(ticket);
    } catch (...) {
        // Without memory the ticket is just not listed.
    }
}

void set_ticket_name(Ticket &ticket, std::string name) {
    Lock lock(table().mutex);
    info_of(ticket).name = std::move(name);
}

void forget_ticket_info(const Ticket *ticket) noexcept {
    Lock lock(table().mutex);
    table().tickets.erase(const_cast<Ticket *>(ticket));
}

HostWaitScope::HostWaitScope(Ticket &ticket) noexcept : ticket_(nullptr) {
    Lock lock(table().mutex);
    try {
        TicketInfo &info = info_of(ticket);
        info.waiting_since = coarse_now_ns();
        info.waiting_thread = static_cast<long>(syscall(SYS_gettid));
        ticket_ = &ticket;
    } catch (...) {
    }
}

HostWaitScope::~HostWaitScope() {
    if (ticket_ == nullptr)
        return;
    Lock lock(table().mutex);
    auto it = table().tickets.find(ticket_);
    if (it != table().tickets.end())
        it->second.waiting_since = 0;
}

std::string dump(Resource *resource) {
    std::vector<Snapshot> snaps;
    {
        Lock lock(table().mutex);
        if (resource != nullptr) {
            resource->retain(); // the caller holds one: it cannot be in destruction
            snaps.push_back(snapshot(*resource));
        } else {
            for (Resource *r : table().resources)
                if (r->try_retain())
                    snaps.push_back(snapshot(*r));
        }
    }
    std::sort(snaps.begin(), snaps.end(), [](const Snapshot &a, const Snapshot &b) {
        return a.resource->name() < b.resource->name();
    });
    std::string out;
    int64_t now = coarse_now_ns();
    for (const Snapshot &snap : snaps)
        describe(out, snap, now);
    if (snaps.empty())
        out += "no resources\n";
    return out;
}

} // namespace ordo::detail
