// The fuzz driver's operations outside any handle (run.hpp): the OpenCL side
// (a user event completes or fails), status strings, the log level and last
// error, flushing event releases, deadlines, the version, diagnostics and
// tracing.
#include "run.hpp"

#include <ordo/ordo.h>

#include <cstdint>
#include <cstring>

namespace fuzz_capi {

void Run::step_misc(Op op) {
    switch (op) {
    case kSetEventStatus: {
        // The OpenCL side: a user event completes or fails (once).
        uint8_t b = in_.byte();
        cl_event e = user_events_[b % 3];
        cl_int status = CL_QUEUED;
        clGetEventInfo(e, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, nullptr);
        if (status > CL_COMPLETE)
            clSetUserEventStatus(e, b / 3 % 2 ? CL_COMPLETE : -static_cast<cl_int>(b / 6 + 1));
        break;
    }
    case kMisc: {
        int32_t v = in_.i32();
        switch (in_.byte() % 6) {
        case 0:
            (void)std::strlen(ordo_status_string(v));
            (void)std::strlen(ordo_status_description(v));
            break;
        case 1:
            ordo_log_set_level(v % 2 ? v : (v & 0x7f));
            break;
        case 2:
            (void)ordo_log_get_level();
            (void)std::strlen(ordo_last_error_message());
            break;
        case 3:
            ordo_events_flush_releases(ordo_now() - 1);
            break;
        case 4:
            (void)ordo_deadline_after(in_.i64());
            break;
        default: {
            int major = 0, minor = 0, patch = 0;
            ordo_version(v % 2 ? &major : nullptr, v % 4 < 2 ? &minor : nullptr,
                         v % 8 < 4 ? &patch : nullptr);
        }
        }
        break;
    }
    case kDiagnostics: {
        uint8_t b = in_.byte();
        switch (b % 4) {
        case 0:
            ordo_diagnostics_enable(b / 4 % 2);
            break;
        case 1: {
            char buffer[256];
            size_t length = 0;
            size_t capacity = b / 4 % 2 ? sizeof buffer : b / 8 % 8;
            ordo_diagnostics_dump(b / 32 % 2 ? pick(resources_) : nullptr,
                                  b / 64 % 2 ? nullptr : buffer, capacity,
                                  b / 128 ? nullptr : &length);
            break;
        }
        case 2:
            ordo_diagnostics_set_wait_warning(b / 4 % 2 ? -1 : int64_t{b / 8} * 1000);
            break;
        default:
            ordo_log_set_level(b / 4 % 2 ? ORDO_LOG_DEBUG : ORDO_LOG_WARNING);
        }
        break;
    }
    case kTrace: {
        uint8_t b = in_.byte();
        switch (b % 4) {
        case 0:
            ordo_trace_start(b / 4 % 4 == 3 ? 0 : 16u << (b / 4 % 4));
            break;
        case 1:
            ordo_trace_stop();
            break;
        default:
            ordo_trace_write(b % 4 == 2 ? nullptr : "/nonexistent-dir/ordo-fuzz-trace.json");
        }
        break;
    }
    default: // another family's (Run::step dispatches)
        break;
    }
}

} // namespace fuzz_capi
