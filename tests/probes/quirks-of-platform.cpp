// What the core's quirks module (lib/quirks.hpp) answers for the first device of the first
// platform the ICD loader shows: one line "<quirk> yes|no" for each quirk that has a probe here
// (tests/probes/<quirk>.cpp), in the probes' names. tests/probes/compare.py compares these lines
// with the probes' answers.
//
// Exit status: 0, or 2 when there is no platform or device.
#include "../../lib/quirks.hpp"

#include <cstdio>

namespace {

using ordo::detail::Quirks;

struct Entry {
    const char *name;
    bool Quirks::*field;
};

// Every quirk that a probe covers (finishes_commands_in_steps has none).
constexpr Entry kProbed[] = {
    {"callbacks-after-whole-flush", &Quirks::callbacks_after_whole_flush},
    {"callbacks-hold-the-event-lock", &Quirks::callbacks_hold_the_event_lock},
    {"completes-flushed-batches-whole", &Quirks::completes_flushed_batches_whole},
    {"flush-runs-queue-on-caller", &Quirks::flush_runs_queue_on_caller},
    {"frees-unheld-commands", &Quirks::frees_unheld_commands},
    {"keeps-extra-event-references", &Quirks::keeps_extra_event_references},
    {"no-callback-for-failed-events", &Quirks::no_callback_for_failed_events},
    {"runs-only-flushed-commands", &Quirks::runs_only_flushed_commands},
    {"stalls-on-failed-wait-list", &Quirks::stalls_on_failed_wait_list},
    {"wrong-status-in-callbacks", &Quirks::wrong_status_in_callbacks},
};

} // namespace

int main() {
    cl_platform_id platform = nullptr;
    cl_uint count = 0;
    cl_int err = clGetPlatformIDs(1, &platform, &count);
    if (err != CL_SUCCESS || count == 0) {
        std::fprintf(stderr, "quirks-of-platform: clGetPlatformIDs failed with %d\n", err);
        return 2;
    }
    cl_device_id device = nullptr;
    err = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &device, &count);
    if (err != CL_SUCCESS || count == 0) {
        std::fprintf(stderr, "quirks-of-platform: clGetDeviceIDs failed with %d\n", err);
        return 2;
    }
    const Quirks quirks = ordo::detail::quirks_of_device(device);
    for (const Entry &entry : kProbed)
        std::printf("%s %s\n", entry.name, quirks.*entry.field ? "yes" : "no");
    return 0;
}
