#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_capi (tests/fuzz/corpus/): short call
sequences in the harness's encoding, one per scenario, from which the
fuzzer mutates; and the inputs that once found a bug (tests/fuzz/regressions/),
which the meson test fuzz-corpus runs. Run it again after changing the
encoding (fuzz_capi.cpp; the opcodes in run.hpp, the arguments in run_*.cpp):

    tests/fuzz/make_seeds.py [corpus-dir [regressions-dir]]
"""
import os
import sys

OPS = """ResourceCreate ResourceValue Acquire ResourceDestroy TicketValue TicketWait
TicketWaitComplete TicketEnqueueWait TicketGrantFuture TicketReady TicketFail TicketCancel
TicketDestroy FuturePoll FutureWait FutureEvents FutureFailure FutureOnComplete FutureFd
FutureCancel FutureClone FutureDestroy PromiseCreate PromiseFuture PromiseComplete PromiseFail
PromiseDestroy WaitEventsAsync JobQueueCreate JobQueueAdd JobQueueTryAdd JobQueueClean
JobQueueFinish JobQueueQuery JobQueueBacklogFuture JobQueueDestroy SetEventStatus Misc
AcquireShared AcquireMany MultiSize MultiWait MultiWaitComplete MultiEnqueueWait MultiReady
MultiFail MultiReadyOne MultiFailOne MultiDestroy RingCreate RingAcquire RingQuery RingDestroy
TicketEnqueueWaitDeferred TicketSetName Diagnostics Trace FutureOnCompleteDestroy
CompletionQueueCreate CompletionQueuePost CompletionQueueRead CompletionQueueDestroy""".split()
OP = {name: i for i, name in enumerate(OPS)}


def slot(i):
    """A table slot (live or destroyed)."""
    return 2 + 8 * i


NULL = 0


def wrong(kind):
    """A handle of another kind: 0 resource, 1 ticket, 2 future, 3 promise, 4 queue,
    5 multi-ticket, 6 ring."""
    return 1 + 8 * kind


def events(*indices):
    """An event list: indices into the input's events (0-2: user events, 3..: barriers)."""
    return [len(indices)] + list(indices)


PAST = 1  # deadline byte: already passed


def status(value):
    return list((value & 0xFFFFFFFF).to_bytes(4, "little"))


def resources(*picks):
    """A resource list with modes: (slot byte, mode byte) pairs."""
    out = [len(picks)]
    for pick, mode in picks:
        out += [pick, mode]
    return out


EXCLUSIVE, SHARED = 0, 1


def seq(*steps):
    out = []
    for step in steps:
        name, *args = step
        out.append(OP[name])
        for a in args:
            out.extend(a if isinstance(a, list) else [a])
    return bytes(out)


SEEDS = {
    "chain": seq(
        ("ResourceCreate", 0),
        ("Acquire", slot(0), 0), ("Acquire", slot(0), 0), ("Acquire", slot(0), 0),
        ("TicketWait", slot(0), 3, PAST),
        ("TicketReady", slot(0), events(0)),
        ("TicketWait", slot(1), 3, PAST),
        ("TicketWaitComplete", slot(1), 3, PAST),
        ("SetEventStatus", 3),
        ("TicketWaitComplete", slot(1), 3, PAST),
        ("TicketGrantFuture", slot(2), 0),
        ("FutureOnComplete", slot(0), 0),
        ("TicketReady", slot(1), events(1, 2)),
        ("FutureWait", slot(0), 0, PAST),
        ("FutureEvents", slot(0), 0),
        ("TicketDestroy", slot(0)), ("TicketDestroy", slot(1)), ("TicketDestroy", slot(2)),
        ("ResourceDestroy", slot(0)),
    ),
    "early-release": seq(
        ("ResourceCreate", 1),
        ("Acquire", slot(0), 0), ("Acquire", slot(0), 0), ("Acquire", slot(0), 0),
        ("TicketReady", slot(1), events(1)),
        ("TicketReady", slot(0), events(0)),
        ("TicketWait", slot(2), 3, PAST),
        ("TicketCancel", slot(2)),
        ("TicketReady", slot(2), events()),
    ),
    "failure": seq(
        ("ResourceCreate", 0),
        ("Acquire", slot(0), 0), ("Acquire", slot(0), 0),
        ("TicketFail", slot(0), 1, status(-1001)),
        ("TicketWait", slot(1), 0, PAST),
        ("TicketGrantFuture", slot(1), 0),
        ("FutureFailure", slot(0), 0),
        ("TicketFail", slot(1), 0, status(5)),
        ("TicketReady", slot(1), events()),
        ("TicketReady", slot(1), events()),
        ("PromiseCreate", 0), ("PromiseFuture", slot(0), 0),
        ("PromiseFail", slot(0), status(-3), 1),
        ("FutureFailure", slot(1), 0),
        ("PromiseComplete", slot(0), events(0)),
    ),
    "device-wait": seq(
        ("ResourceCreate", 0),
        ("Acquire", slot(0), 0), ("Acquire", slot(0), 0), ("Acquire", slot(0), 0),
        ("TicketReady", slot(0), events(1)),
        ("TicketEnqueueWait", slot(1), 1, PAST),
        ("SetEventStatus", 4),
        ("TicketReady", slot(1), events(3)),
        ("TicketWaitComplete", slot(2), 3, PAST),
        ("TicketEnqueueWait", slot(2), 3, PAST),
    ),
    "failed-event": seq(
        ("ResourceCreate", 0),
        ("Acquire", slot(0), 0), ("Acquire", slot(0), 0),
        ("SetEventStatus", 0),
        ("TicketReady", slot(0), events(0)),
        ("TicketEnqueueWait", slot(1), 1, PAST),
        ("TicketWaitComplete", slot(1), 3, PAST),
        ("WaitEventsAsync", events(0, 1), 0),
        ("FuturePoll", slot(0)),
        ("FutureFailure", slot(0), 0),
    ),
    # A grant future, a promise's future and an event wait posted to one
    # completion queue, read as they complete (and once with a wait).
    "completion-queue": seq(
        ("ResourceCreate", 0),
        ("Acquire", slot(0), 0), ("Acquire", slot(0), 0),
        ("TicketGrantFuture", slot(1), 0),                # future slot 0
        ("PromiseCreate", 0), ("PromiseFuture", slot(0), 0),  # future slot 1
        ("WaitEventsAsync", events(0), 0),                # future slot 2
        ("CompletionQueueCreate", 0),
        ("CompletionQueuePost", slot(0), slot(0)),
        ("CompletionQueuePost", slot(0), slot(1)),
        ("CompletionQueuePost", slot(0), slot(2)),
        ("CompletionQueueRead", 4),
        ("TicketReady", slot(0), events(0)),
        ("CompletionQueueRead", 4 + 8),                   # a wait, deadline passed
        ("PromiseComplete", slot(0), events()),
        ("SetEventStatus", 0),
        ("CompletionQueueRead", 1),
        ("CompletionQueuePost", slot(0), slot(1)),        # complete: queued at once
        ("CompletionQueueDestroy", slot(0)),
    ),
    "job-queue": seq(
        ("JobQueueCreate", 2),
        ("PromiseCreate", 0), ("PromiseFuture", slot(0), 0),
        ("PromiseCreate", 0), ("PromiseFuture", slot(1), 0),
        ("JobQueueAdd", slot(0), slot(0), PAST),
        ("JobQueueTryAdd", slot(0), slot(1)),
        ("JobQueueTryAdd", slot(0), slot(1)),
        ("JobQueueBacklogFuture", slot(0), 0),
        ("JobQueueQuery", slot(0), slot(0), 0),
        ("PromiseComplete", slot(0), events()),
        ("PromiseFail", slot(1), status(-1002), 0),
        ("JobQueueClean", slot(0)),
        ("JobQueueFinish", slot(0), 0, PAST),
        ("JobQueueDestroy", slot(0)),
    ),
    "async-wait": seq(
        ("WaitEventsAsync", events(0, 1, 2), 0),
        ("FutureOnComplete", slot(0), 0),
        ("FutureFd", slot(0), 0),
        ("FutureClone", slot(0), 0),
        ("SetEventStatus", 3),
        ("FutureCancel", slot(1)),
        ("FutureWait", slot(0), 1, PAST),
        ("FutureDestroy", slot(1)),
        ("FutureDestroy", slot(1)),
    ),
    "bad-handles": seq(
        ("ResourceCreate", 0),
        ("Acquire", slot(0), 0),
        ("PromiseCreate", 0), ("PromiseFuture", slot(0), 0),
        ("TicketWait", NULL, 0, PAST),
        ("TicketWait", wrong(0), 0, PAST),
        ("FuturePoll", wrong(1)),
        ("PromiseComplete", wrong(2), events()),
        ("Acquire", wrong(3), 0),
        ("JobQueueClean", wrong(1)),
        ("TicketDestroy", slot(0)),
        ("TicketWait", slot(0), 0, PAST),
        ("TicketDestroy", slot(0)),
        ("ResourceDestroy", slot(0)),
        ("Acquire", slot(0), 0),
        ("FutureDestroy", slot(0)),
        ("FutureEvents", slot(0), 0),
        ("PromiseDestroy", slot(0)),
        ("PromiseFuture", slot(0), 0),
    ),
    "bad-arguments": seq(
        ("ResourceCreate", 7),
        ("ResourceCreate", 0),
        ("Acquire", slot(0), 7),
        ("Acquire", slot(0), 0),
        ("TicketReady", slot(0), [0x0F]),          # NULL array, count SIZE_MAX
        ("TicketReady", slot(0), [0x3F]),          # NULL array, count 3
        ("TicketReady", slot(0), [2, 0, 0x0F]),    # a NULL event in the list
        ("TicketEnqueueWait", slot(0), 3, PAST),   # NULL queue
        ("TicketFail", slot(0), 1, status(0)),
        ("FutureWait", NULL, 0xF3, PAST),
        ("WaitEventsAsync", [0x1F], 0),
        ("Misc", status(-1000), 0), ("Misc", status(12345), 1), ("Misc", status(7), 5),
    ),
    "shared-and-multi": seq(
        ("ResourceCreate", 0), ("ResourceCreate", 0),
        ("AcquireShared", slot(0), 0), ("AcquireShared", slot(0), 0),
        ("Acquire", slot(0), 0),
        ("AcquireMany", resources((slot(0), SHARED), (slot(1), EXCLUSIVE)), 0),
        ("AcquireMany", resources((slot(0), EXCLUSIVE), (slot(0), EXCLUSIVE)), 0),  # duplicate
        ("AcquireMany", resources((slot(1), 7)), 0),                              # bad mode
        ("TicketReady", slot(0), events(0)),
        ("MultiSize", slot(0), 0),
        ("MultiWait", slot(0), 3, PAST),
        ("TicketReady", slot(1), events(1)),
        ("TicketReady", slot(2), events()),
        ("MultiWaitComplete", slot(0), 3, PAST),
        ("MultiEnqueueWait", slot(0), 1, PAST),
        ("MultiReadyOne", slot(0), 0, events(2)),
        ("MultiReadyOne", slot(0), 5, events()),                                  # out of range
        ("MultiFailOne", slot(0), 1, status(-1003), 1),
        ("MultiReady", slot(0), events()),
        ("MultiFail", slot(0), 0, status(-1004)),
        ("MultiDestroy", slot(0)), ("MultiDestroy", slot(0)),
    ),
    "ring": seq(
        ("ResourceCreate", 0), ("ResourceCreate", 0), ("ResourceCreate", 0),
        ("RingCreate", resources((slot(0), 0), (slot(1), 0), (slot(2), 0)), 0),
        ("RingCreate", resources((slot(0), 0), (slot(0), 0)), 0),                # duplicate
        ("RingAcquire", slot(0), EXCLUSIVE), ("RingAcquire", slot(0), SHARED),
        ("RingAcquire", slot(0), 7),                                              # bad mode
        ("RingQuery", slot(0), 0, 1), ("RingQuery", slot(0), 0, 5),
        ("TicketReady", slot(0), events(0)),
        ("RingDestroy", slot(0)), ("RingAcquire", slot(0), 0),
    ),
    "deferred": seq(
        ("ResourceCreate", 0),
        ("Acquire", slot(0), 0), ("Acquire", slot(0), 0), ("Acquire", slot(0), 0),
        ("TicketEnqueueWaitDeferred", slot(1), 1),
        ("TicketEnqueueWaitDeferred", slot(2), 0),
        ("TicketEnqueueWaitDeferred", slot(2), 3),                                # NULL queue
        ("TicketReady", slot(0), events(0)),
        ("SetEventStatus", 3),
        ("TicketFail", slot(1), 1, status(-1005)),
        ("TicketReady", slot(2), events()),
        ("TicketEnqueueWaitDeferred", slot(2), 1),                                # after release
    ),
    "diagnostics": seq(
        ("Diagnostics", 4), ("Trace", 4),
        ("ResourceCreate", 0),
        ("Acquire", slot(0), 0), ("Acquire", slot(0), 0),
        ("TicketSetName", slot(0), 1), ("TicketSetName", slot(1), 3),
        ("Diagnostics", 1 + 4), ("Diagnostics", 1 + 32 + 4, slot(0)), ("Diagnostics", 1 + 64 + 8),
        ("Diagnostics", 2 + 8), ("Diagnostics", 3 + 4),
        ("TicketReady", slot(0), events(0)),
        ("TicketWait", slot(1), 3, PAST),
        ("Trace", 1), ("Trace", 2), ("Trace", 3),
        ("Diagnostics", 0),
    ),
}


# Inputs that once failed (see each core fix), written to regressions/.
WAIT_EVENTS_AND_COUNT = 1  # a wait's output byte: ask for the events and their count
REGRESSIONS = {
    # Taking a grant future counted as seeing the grant: a grant future
    # cancelled by a timed-out wait, then the predecessor released, and the
    # successor was granted without the predecessor's event (the model).
    "grant-future-cancelled-forwards": seq(
        ("ResourceCreate", 0),
        ("Acquire", slot(0), 0), ("Acquire", slot(0), 0), ("Acquire", slot(0), 0),
        ("TicketGrantFuture", slot(1), 0),
        ("FutureWait", slot(0), 1, PAST),                 # ORDO_WAIT_CANCEL
        ("TicketReady", slot(0), events(0)),
        ("TicketWait", slot(2), WAIT_EVENTS_AND_COUNT, PAST),
    ),
    # A callback that destroys the ticket being released: the release went on
    # touching the freed ticket (AddressSanitizer).
    "callback-destroys-the-releasing-ticket": seq(
        ("ResourceCreate", 0),
        ("Acquire", slot(0), 0), ("Acquire", slot(0), 0),
        ("TicketWait", slot(0), WAIT_EVENTS_AND_COUNT, PAST),
        ("TicketGrantFuture", slot(1), 0),
        ("FutureOnCompleteDestroy", slot(0), 0),          # destroys ticket slot 0
        ("TicketDestroy", slot(1)),
        ("TicketReady", slot(0), events(0)),
    ),
    # A destroyed ticket's handle passed the check once its memory served a
    # new ticket, and released that one (the model). Ticket 1's memory is
    # freed last whichever way its release went: at its destroy on the fast
    # cycle, with resource 1's tail otherwise.
    "stale-ticket-handle": seq(
        ("ResourceCreate", 0),
        ("Acquire", slot(0), 0),                          # ticket slot 0, on resource 0
        ("ResourceCreate", 0),
        ("Acquire", slot(1), 0),                          # ticket slot 1, on resource 1
        ("TicketReady", slot(0), events()),
        ("TicketDestroy", slot(0)),
        ("TicketReady", slot(1), events()),
        ("TicketDestroy", slot(1)),
        ("ResourceDestroy", slot(1)),                     # ticket 1's memory is free
        ("Acquire", slot(0), 0),                          # reuses it, in ticket slot 0
        ("TicketReady", slot(1), events()),               # the stale handle
        ("TicketWait", slot(0), WAIT_EVENTS_AND_COUNT, PAST),
    ),
    # Each wait for a grant's events registered more callbacks (the counting
    # layer under the model).
    "wait-complete-polled": seq(
        ("ResourceCreate", 0),
        ("Acquire", slot(0), 0), ("Acquire", slot(0), 0),
        ("TicketReady", slot(0), events(0)),
        ("TicketWaitComplete", slot(1), WAIT_EVENTS_AND_COUNT, PAST),
        ("TicketWaitComplete", slot(1), WAIT_EVENTS_AND_COUNT, PAST),
        ("TicketWaitComplete", slot(1), WAIT_EVENTS_AND_COUNT, PAST),
    ),
    # A ticket failed with ORDO_ERROR_TIMEOUT: its successor's wait answered
    # a timeout (the model). Such statuses are refused now.
    "failure-status-of-a-timeout": seq(
        ("ResourceCreate", 0),
        ("Acquire", slot(0), 0), ("Acquire", slot(0), 0),
        ("TicketFail", slot(0), 1, status(-4)),
        ("TicketWait", slot(1), WAIT_EVENTS_AND_COUNT, PAST),
        ("TicketFail", slot(0), 1, status(-1001)),
        ("TicketWait", slot(1), WAIT_EVENTS_AND_COUNT, PAST),
    ),
    # A backlog future queued in its own queue kept the queue alive for ever.
    "job-queue-self-backlog": seq(
        ("JobQueueCreate", 0),
        ("PromiseCreate", 0), ("PromiseFuture", slot(0), 0),
        ("JobQueueAdd", slot(0), slot(0), PAST),
        ("JobQueueBacklogFuture", slot(0), 0),
        ("JobQueueAdd", slot(0), slot(1), PAST),
    ),
    # A bad mode before a NULL handle: the redesign checked every handle
    # first and answered ORDO_ERROR_INVALID_HANDLE; each resource's handle
    # and then its mode are checked in order (the model).
    "acquire-many-bad-mode-before-null-handle": seq(
        ("ResourceCreate", 0),
        ("AcquireMany", resources((slot(0), 7), (NULL, EXCLUSIVE)), 0),
    ),
    # A device wait without a barrier output, then its event fails: POCL 3.1
    # aborted in pocl_update_event_failed on the barrier ordo had released.
    "device-wait-released-barrier-then-failure": seq(
        ("ResourceCreate", 0),
        ("Acquire", slot(0), 0), ("Acquire", slot(0), 0),
        ("TicketReady", slot(0), events(0)),
        ("TicketEnqueueWait", slot(1), 0, PAST),
        ("SetEventStatus", 0),
    ),
}


def write(directory, inputs):
    os.makedirs(directory, exist_ok=True)
    for name, data in inputs.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)
    print(f"{len(inputs)} inputs in {directory}")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    write(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus"), SEEDS)
    write(sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "regressions"), REGRESSIONS)


if __name__ == "__main__":
    main()
