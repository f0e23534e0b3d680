// Diagnostics and tracing, at a low rate, concurrently with the rest:
// ticket names, queue dumps, the long-wait warning, traces.
#include "stress.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

namespace ordo_stress {

void Worker::diagnostics() {
    g_count.diagnostics.fetch_add(1, std::memory_order_relaxed);
    switch (roll(12u)) {
    case 0:
    case 1: {
        if (held_.empty())
            break;
        Ticket &t = *held_[pick_held()];
        char name[64];
        std::snprintf(name, sizeof name, "stress thread %d resource %d position %llu", index_,
                      t.res->index, static_cast<unsigned long long>(t.position));
        CHECK_STATUS(ordo_ticket_set_name(t.handle, roll(4u) == 0 ? nullptr : name),
                     check_status_ == ORDO_OK);
        break;
    }
    case 2:
    case 3:
    case 4:
        return dump(false);
    case 5:
        return dump(true);
    case 6:
        CHECK_STATUS(ordo_diagnostics_enable(static_cast<int>(roll(2u))), check_status_ == ORDO_OK);
        break;
    case 7:
        CHECK_STATUS(
            ordo_diagnostics_set_wait_warning(roll(3u) == 0 ? 0 : 1'000'000 + roll(2'000'000u)),
            check_status_ == ORDO_OK);
        CHECK_STATUS(ordo_diagnostics_set_wait_warning(-1),
                     check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
        g_count.misuse_refused.fetch_add(1, std::memory_order_relaxed);
        break;
    case 8:
        // Small rings: ordo keeps every ring it replaces.
        CHECK_STATUS(ordo_trace_start(16 + roll(240u)), check_status_ == ORDO_OK);
        break;
    case 9:
        CHECK_STATUS(ordo_trace_stop(), check_status_ == ORDO_OK);
        break;
    default:
        return write_trace();
    }
}

void Worker::dump(bool whole) {
    g_count.dumps.fetch_add(1, std::memory_order_relaxed);
    Resource *r = roll(4u) == 0 ? nullptr : s_.resources[roll(s_.resources.size())].get();
    ordo_resource h = r != nullptr ? r->handle : nullptr;
    size_t length = 0;
    if (whole) {
        // Ask for the length, then dump into a buffer that large (the
        // queue may have grown meanwhile: then it is cut short).
        CHECK_STATUS(ordo_diagnostics_dump(h, nullptr, 0, &length), check_status_ == ORDO_OK);
        std::vector<char> buffer(length + 1, '\x7f');
        size_t again = 0;
        CHECK_STATUS(ordo_diagnostics_dump(h, buffer.data(), buffer.size(), &again),
                     check_status_ == ORDO_OK);
        size_t n = strnlen(buffer.data(), buffer.size());
        if (n != std::min(again, buffer.size() - 1))
            violation("ordo_diagnostics_dump wrote %zu characters of %zu into %zu bytes", n, again,
                      buffer.size());
        else if (std::strncmp(buffer.data(), "resource ", 9) != 0)
            violation("ordo_diagnostics_dump wrote \"%.40s\"", buffer.data());
        return;
    }
    static constexpr size_t kCapacities[] = {1, 2, 16, 64, 512};
    size_t capacity = kCapacities[roll(std::size(kCapacities))];
    std::vector<char> buffer(capacity + 1, '\x7f'); // one byte of canary
    bool want_length = roll(4u) != 0;
    CHECK_STATUS(ordo_diagnostics_dump(h, buffer.data(), capacity, want_length ? &length : nullptr),
                 check_status_ == ORDO_OK);
    size_t n = strnlen(buffer.data(), capacity + 1);
    if (buffer[capacity] != '\x7f' || n > capacity - 1 ||
        (want_length && n != std::min(length, capacity - 1)))
        violation("ordo_diagnostics_dump into %zu bytes wrote %zu characters (full length %zu)",
                  capacity, n, length);
    if (roll(8u) == 0) {
        CHECK_STATUS(ordo_diagnostics_dump(h, nullptr, 8, &length),
                     check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
        g_count.misuse_refused.fetch_add(1, std::memory_order_relaxed);
    }
}

void Worker::write_trace() {
    CHECK_STATUS(ordo_trace_write(trace_path_.c_str()), check_status_ == ORDO_OK);
    std::string text;
    if (std::FILE *f = std::fopen(trace_path_.c_str(), "rb")) {
        char chunk[4096];
        size_t n;
        while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0)
            text.append(chunk, n);
        std::fclose(f);
    }
    const std::string head = "{\"displayTimeUnit\"", tail = "]}\n";
    if (text.compare(0, head.size(), head) != 0 || text.size() < head.size() + tail.size() ||
        text.compare(text.size() - tail.size(), tail.size(), tail) != 0)
        violation("ordo_trace_write wrote %zu bytes that are not a whole trace", text.size());
    g_count.traces_written.fetch_add(1, std::memory_order_relaxed);
    if (roll(8u) == 0) {
        CHECK_STATUS(ordo_trace_write("/nonexistent-ordo-stress-dir/trace.json"),
                     check_status_ == ORDO_ERROR_SYSTEM);
        CHECK_STATUS(ordo_trace_write(nullptr), check_status_ == ORDO_ERROR_INVALID_ARGUMENT);
        g_count.misuse_refused.fetch_add(2, std::memory_order_relaxed);
    }
}

} // namespace ordo_stress
