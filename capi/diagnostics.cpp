// Diagnostics and tracing.
#include "handles.hpp"

#include "../lib/diagnostics.hpp"
#include "../lib/fast_counts.hpp"
#include "../lib/trace.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

using namespace ordo::capi;

extern "C" {

ORDO_API int ordo_diagnostics_enable(int enable) {
    set_diagnostics_enabled(enable != 0);
    return ORDO_OK;
}

ORDO_API int ordo_diagnostics_fast_path(ordo_fast_path_counts *counts) {
    return guarded([&] {
        require(counts, "counts");
        if (!read_fast_counts(*counts))
            throw Error(
                ORDO_ERROR_INVALID_STATE,
                "this build does not count the fast path (meson -Dfast_path_counts=enabled)");
        return ORDO_OK;
    });
}

ORDO_API int ordo_diagnostics_dump(ordo_resource resource, char *buffer, size_t capacity,
                                   size_t *length) {
    return guarded([&] {
        Resource *r = nullptr;
        if (resource != nullptr)
            r = lookup<ResourceHandle>(resource, "resource").resource.get();
        if (capacity != 0)
            require(buffer, "buffer");
        std::string text = dump(r);
        if (capacity != 0) {
            size_t n = std::min(text.size(), capacity - 1);
            std::memcpy(buffer, text.data(), n);
            buffer[n] = '\0';
        }
        if (length != nullptr)
            *length = text.size();
        return ORDO_OK;
    });
}

ORDO_API int ordo_diagnostics_set_wait_warning(int64_t threshold_ns) {
    if (threshold_ns < 0)
        return set_last_error(ORDO_ERROR_INVALID_ARGUMENT, "threshold_ns is negative");
    set_wait_warning(threshold_ns);
    return ORDO_OK;
}

ORDO_API int ordo_trace_start(size_t capacity) {
    return guarded([&] {
        if (capacity == 0)
            throw Error(ORDO_ERROR_INVALID_ARGUMENT, "capacity is 0");
        trace_start(capacity);
        return ORDO_OK;
    });
}

ORDO_API int ordo_trace_stop(void) {
    trace_stop();
    return ORDO_OK;
}

ORDO_API int ordo_trace_write(const char *path) {
    return guarded([&] {
        require(path, "path");
        std::string json = trace_json();
        FILE *f = std::fopen(path, "w");
        if (f == nullptr)
            throw Error(ORDO_ERROR_SYSTEM, std::string("cannot open ") + path + ": " +
                                               std::generic_category().message(errno));
        size_t written = std::fwrite(json.data(), 1, json.size(), f);
        bool ok = written == json.size();
        ok = std::fclose(f) == 0 && ok;
        if (!ok)
            throw Error(ORDO_ERROR_SYSTEM, std::string("cannot write ") + path);
        return ORDO_OK;
    });
}

} // extern "C"
