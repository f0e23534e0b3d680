// Runtime quirks: what the OpenCL implementations ordo runs on do that the
// specification does not lead one to expect, answered by name in one place.
// Every workaround in the core asks a question here; no other core file
// looks at a platform's name. Each answer is documented, with what shows it,
// in docs/RUNTIMES.md, and each quirk that can be shown safely has a probe
// under tests/probes/ (probe-<quirk>), so a new runtime version is checked
// in one command (tests/probes/check-runtimes.sh).
#pragma once

#include <ordo/ordo.h>

#include <cstdint>

namespace ordo::detail {

enum class Runtime : uint8_t { kOther, kPocl, kOclgrind, kRusticl, kNvidia };

struct Quirks {
    Runtime runtime = Runtime::kOther;

    // A failed event never calls its CL_COMPLETE callback (POCL 3.1, Rusticl
    // 22.3). docs/RUNTIMES.md#no-callback-for-failed-events. The service
    // thread polls every watched event's status on every runtime anyway.
    bool no_callback_for_failed_events = false;

    // A failed event's CL_COMPLETE callback receives status 0 (NVIDIA 580).
    // docs/RUNTIMES.md#wrong-status-in-callbacks. Then a callback's success
    // is checked against the event's status, on the service thread.
    bool wrong_status_in_callbacks = false;

    // An event's callbacks run under that event's lock: querying the event
    // from its own callback deadlocks (Rusticl 22.3).
    // docs/RUNTIMES.md#callbacks-hold-the-event-lock. ordo never queries an
    // event from its own callback, on any runtime.
    bool callbacks_hold_the_event_lock = false;

    // The commands flushed together complete only once all of them can
    // (Rusticl 22.3). docs/RUNTIMES.md#completes-flushed-batches-whole. A
    // deferred device wait flushes its marker before enqueuing its barrier.
    bool completes_flushed_batches_whole = false;

    // A command is not started until its queue is flushed (Rusticl 22.3,
    // Oclgrind 21.10). docs/RUNTIMES.md#runs-only-flushed-commands. ordo
    // flushes the queue of every event it is handed and of its own markers.
    bool runs_only_flushed_commands = false;

    // A command nobody holds an event of is freed, then used when an event
    // it waits for changes status (POCL 3.1).
    // docs/RUNTIMES.md#frees-unheld-commands. ordo keeps a barrier the caller
    // did not take until it has ended. Assumed of runtimes ordo does not know.
    bool frees_unheld_commands = false;

    // The runtime holds references of its own to events for a while
    // (Rusticl 22.3): a reference count read right after a wait may be
    // higher. docs/RUNTIMES.md#keeps-extra-event-references.
    bool keeps_extra_event_references = false;

    // clFlush runs the queue on the calling thread, blocking on a command
    // that waits for an unset user event (Oclgrind 21.10).
    // docs/RUNTIMES.md#flush-runs-queue-on-caller. ordo never flushes there
    // where the flush could block on its own user events.
    bool flush_runs_queue_on_caller = false;

    // Callbacks come only once a whole flush has run, after the commands'
    // statuses are CL_COMPLETE (Oclgrind 21.10).
    // docs/RUNTIMES.md#callbacks-after-whole-flush. The service thread counts
    // an event it finds complete without its callback, on every runtime.
    bool callbacks_after_whole_flush = false;

    // A command whose wait list holds an event that has already failed never
    // runs nor fails, stalling its queue (POCL 3.1).
    // docs/RUNTIMES.md#stalls-on-failed-wait-list. ordo refuses a device wait
    // on an event that already failed, on every runtime.
    bool stalls_on_failed_wait_list = false;

    // A command's callbacks run before the runtime is done with it: failing
    // a user event that a later command waits for, right from such a
    // callback, races the runtime's own thread (POCL 3.1).
    // docs/RUNTIMES.md#finishes-commands-in-steps. A failed deferred wait is
    // set only once the runtime has let go of the marker ahead of it.
    bool finishes_commands_in_steps = false;
};

// The quirks of a runtime, from its platform's name and version strings.
Quirks quirks_for(const char *platform_name, const char *platform_version) noexcept;

// The quirks of a device's platform (root devices live as long as the
// process: answers are cached per device), and of a queue's device.
// Unknown devices (a query fails) get those of a runtime ordo does not know.
Quirks quirks_of_device(cl_device_id device) noexcept;
Quirks quirks_of_queue(cl_command_queue queue) noexcept;

// True if any platform the ICD loader shows has wrong_status_in_callbacks
// (asked once): then every event callback's success is checked.
bool some_platform_has_wrong_status_in_callbacks() noexcept;

} // namespace ordo::detail
