#include "trace.hpp"

#include "clock.hpp"
#include "error.hpp"
#include "resource.hpp"
#include "ticket.hpp"

#include "thread_annotations.hpp"
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace ordo::detail {

std::atomic<bool> g_tracing{false};

namespace {

// One record. Writers claim a slot with a fetch_add on the ring's head, then
// fill it between two stores of its stamp: 0 while being written, then the
// claim number + 1 (release). A reader accepts a slot only if the stamp is
// the same non-zero value before and after copying it, so a record being
// overwritten is skipped rather than torn. Fields are relaxed atomics.
struct Record {
    std::atomic<uint64_t> stamp{0};
    std::atomic<int64_t> time{0};
    std::atomic<uint64_t> ticket{0};
    std::atomic<uint32_t> thread{0};
    std::atomic<uint8_t> kind{0};
    std::atomic<uint8_t> shared{0};
    std::atomic<uint64_t> name[3]; // the resource's name, truncated to 23 characters
};

struct TraceRing {
    explicit TraceRing(size_t n) : records(n), capacity(n) {}
    std::vector<Record> records;
    size_t capacity;
    std::atomic<uint64_t> head{0};
};

// The current ring, replaced only under g_mutex by trace_start. A writer
// counts itself in g_writers before it loads g_ring and out once it is done
// with the ring (seq_cst, like trace_start's exchange of g_ring and its load
// of g_writers): once trace_start has swapped the ring and then seen no
// writer, no writer can be using the old ring, which is freed.
Mutex g_mutex;
std::atomic<TraceRing *> g_ring{nullptr};
std::atomic<int> g_writers{0};
int64_t g_origin ORDO_GUARDED_BY(g_mutex) = 0;

uint32_t thread_id() noexcept {
    thread_local uint32_t id = static_cast<uint32_t>(syscall(SYS_gettid));
    return id;
}

const char *kind_name(TraceKind k) {
    switch (k) {
    case TraceKind::kAcquire:
        return "acquire";
    case TraceKind::kGrant:
        return "granted";
    case TraceKind::kRelease:
        return "ready";
    case TraceKind::kFail:
        return "fail";
    case TraceKind::kCancel:
        return "cancel";
    case TraceKind::kWaitBegin:
    case TraceKind::kWaitEnd:
        return "wait";
    }
    return "?";
}

void json_string(std::string &out, const char *s) {
    out += '"';
    for (; *s != '\0'; ++s) {
        unsigned char c = static_cast<unsigned char>(*s);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    out += '"';
}

} // namespace

void trace_start(size_t capacity) {
    if (capacity > kMaxTraceRecords)
        throw Error(ORDO_ERROR_INVALID_ARGUMENT,
                    "capacity " + std::to_string(capacity) + " is more than the " +
                        std::to_string(kMaxTraceRecords) + " records a trace can hold");
    Lock lock(g_mutex);
    auto ring = std::make_unique<TraceRing>(capacity == 0 ? 1 : capacity);
    g_tracing.store(false, std::memory_order_seq_cst);
    g_origin = now_ns();
    TraceRing *old = g_ring.exchange(ring.release(), std::memory_order_seq_cst);
    while (g_writers.load(std::memory_order_seq_cst) != 0)
        sched_yield();
    delete old;
    g_tracing.store(true, std::memory_order_seq_cst);
}

void trace_stop() noexcept {
    g_tracing.store(false, std::memory_order_seq_cst);
}

void trace(TraceKind kind, const Ticket &ticket, const std::string *resource_name) noexcept {
    g_writers.fetch_add(1, std::memory_order_seq_cst);
    TraceRing *ring = g_ring.load(std::memory_order_seq_cst);
    if (ring == nullptr || !tracing()) {
        g_writers.fetch_sub(1, std::memory_order_release);
        return;
    }
    uint64_t claim = ring->head.fetch_add(1, std::memory_order_relaxed);
    Record &r = ring->records[claim % ring->capacity];
    r.stamp.store(0, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    r.time.store(now_ns(), std::memory_order_relaxed);
    r.ticket.store(reinterpret_cast<uintptr_t>(&ticket), std::memory_order_relaxed);
    r.thread.store(thread_id(), std::memory_order_relaxed);
    r.kind.store(static_cast<uint8_t>(kind), std::memory_order_relaxed);
    r.shared.store(ticket.mode() == Mode::kShared, std::memory_order_relaxed);
    char name[24] = {};
    if (resource_name != nullptr)
        std::strncpy(name, resource_name->c_str(), sizeof name - 1);
    for (int i = 0; i < 3; ++i) {
        uint64_t word;
        std::memcpy(&word, name + size_t{8} * i, 8);
        r.name[i].store(word, std::memory_order_relaxed);
    }
    r.stamp.store(claim + 1, std::memory_order_release);
    g_writers.fetch_sub(1, std::memory_order_release);
}

std::string trace_json() {
    Lock lock(g_mutex);
    std::string out = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[";
    TraceRing *ring = g_ring.load(std::memory_order_acquire);
    bool first = true;
    // Each ticket's resource name, from its latest acquire record (a slot
    // reused for a new ticket gets a new acquire first).
    std::unordered_map<uint64_t, std::string> names;
    if (ring != nullptr) {
        uint64_t head = ring->head.load(std::memory_order_acquire);
        uint64_t begin = head > ring->capacity ? head - ring->capacity : 0;
        for (uint64_t claim = begin; claim < head; ++claim) {
            Record &r = ring->records[claim % ring->capacity];
            uint64_t stamp = r.stamp.load(std::memory_order_acquire);
            int64_t time = r.time.load(std::memory_order_relaxed);
            uint64_t ticket = r.ticket.load(std::memory_order_relaxed);
            uint32_t thread = r.thread.load(std::memory_order_relaxed);
            auto kind = static_cast<TraceKind>(r.kind.load(std::memory_order_relaxed));
            bool shared = r.shared.load(std::memory_order_relaxed);
            char name[25] = {};
            for (int i = 0; i < 3; ++i) {
                uint64_t word = r.name[i].load(std::memory_order_relaxed);
                std::memcpy(name + size_t{8} * i, &word, 8);
            }
            std::atomic_thread_fence(std::memory_order_acquire);
            if (stamp != claim + 1 || r.stamp.load(std::memory_order_relaxed) != stamp)
                continue; // being overwritten
            char buf[256];
            const char *phase = "n";
            switch (kind) {
            case TraceKind::kAcquire:
                phase = "b";
                break;
            case TraceKind::kRelease:
            case TraceKind::kFail:
            case TraceKind::kCancel:
                phase = "e";
                break;
            case TraceKind::kWaitBegin:
                phase = "B";
                break;
            case TraceKind::kWaitEnd:
                phase = "E";
                break;
            case TraceKind::kGrant:
                break;
            }
            if (kind == TraceKind::kAcquire)
                names[ticket] = name;
            auto known = names.find(ticket);
            std::string label =
                known != names.end() && !known->second.empty() ? known->second : "resource";
            std::string event_name = kind == TraceKind::kWaitBegin || kind == TraceKind::kWaitEnd
                                         ? "wait " + label
                                         : label + (shared ? " (shared)" : "");
            out += first ? "\n" : ",\n";
            first = false;
            out += "{\"name\":";
            json_string(out, event_name.c_str());
            out += ",\"cat\":";
            json_string(out, label.c_str());
            std::snprintf(buf, sizeof buf,
                          ",\"ph\":\"%s\",\"ts\":%.3f,\"pid\":1,\"tid\":%u,\"id\":\"0x%llx\","
                          "\"args\":{\"event\":\"%s\"}}",
                          phase, static_cast<double>(time - g_origin) / 1e3, thread,
                          static_cast<unsigned long long>(ticket), kind_name(kind));
            out += buf;
        }
    }
    out += "\n]}\n";
    return out;
}

} // namespace ordo::detail
