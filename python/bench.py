"""The binding's costs beside a pure-asyncio baseline measured in the same run.

    python3 python/bench.py [--repeat N] [--quick]

Each figure is the median over --repeat runs (default 7) of microseconds per
operation; the baseline is an ``asyncio.Lock`` acquire + release pair on the
same loop, measured between the rows, and each row prints its ratio to it
and the target that ordo's issue 13 set for that ratio. Exit status 1 if a
target is missed (--quick: fewer iterations, for a smoke test; no exit
status from targets).

Rows: an uncontended acquire, wait, ready cycle; 20,000 allocations queued,
then drained, per allocation; a JobQueue add + finish(4), per job; an
``async_wait_for_events`` on an event already complete; a hand-over through
a user event that the next holder waits for with ``wait_events``.
"""

import argparse
import asyncio
import statistics
import sys
import time

import pyopencl as cl

import ordo
from ordo import resource

TARGETS = {  # the most each row may cost, in asyncio.Lock pairs of the same run
    "cycle": 2.0,
    "queued": 4.0,
    "jobqueue": 12.0,
    "complete_event": 35.0,
    "handoff": 35.0,
}
TITLES = {
    "cycle": "uncontended acquire, wait, ready",
    "queued": "20,000 allocations queued, then drained, per allocation",
    "jobqueue": "JobQueue add + finish(4), per job",
    "complete_event": "async_wait_for_events on a complete event",
    "handoff": "hand-over through a user event + wait_events",
}


async def lock_pairs(n):
    lock = asyncio.Lock()
    start = time.perf_counter()
    for _ in range(n):
        await lock.acquire()
        lock.release()
    return (time.perf_counter() - start) / n


async def cycle(n):
    r = resource.Resource(None)
    start = time.perf_counter()
    for _ in range(n):
        a = r.acquire()
        await a.wait()
        a.ready()
    return (time.perf_counter() - start) / n


async def queued(n):
    r = resource.Resource(None)
    start = time.perf_counter()
    allocations = [r.acquire() for _ in range(n)]
    for a in allocations:
        await a.wait()
        a.ready()
    del allocations
    return (time.perf_counter() - start) / n


async def jobqueue(n):
    q = resource.JobQueue()
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    for _ in range(n):
        f = loop.create_future()
        f.set_result(None)
        q.add(f)
        await q.finish(4)
    await q.finish()
    return (time.perf_counter() - start) / n


async def complete_event(n, ctx):
    e = cl.UserEvent(ctx)
    e.set_status(cl.command_execution_status.COMPLETE)
    start = time.perf_counter()
    for _ in range(n):
        await resource.async_wait_for_events([e])
    return (time.perf_counter() - start) / n


async def handoff(n, ctx):
    r = resource.Resource(None)
    start = time.perf_counter()
    for _ in range(n):
        a = r.acquire()
        b = r.acquire()
        await a.wait()
        e = cl.UserEvent(ctx)
        a.ready([e])
        waiting = asyncio.ensure_future(b.wait_events())
        await asyncio.sleep(0)  # b is waiting now
        e.set_status(cl.command_execution_status.COMPLETE)
        await waiting
        b.ready()
    return (time.perf_counter() - start) / n


async def main(args):
    ctx = cl.create_some_context(interactive=False)
    scale = 0.05 if args.quick else 1.0
    sizes = {"cycle": 20000, "queued": 20000, "jobqueue": 10000, "complete_event": 10000,
             "handoff": 2000}
    runs = {name: [] for name in TARGETS}
    baseline = []
    for _ in range(args.repeat):
        for name in TARGETS:
            n = max(10, int(sizes[name] * scale)) if name != "queued" else sizes[name]
            if args.quick and name == "queued":
                n = 1000
            baseline.append(await lock_pairs(20000 if not args.quick else 1000))
            row = globals()[name]
            runs[name].append(await (row(n, ctx) if name in ("complete_event", "handoff")
                                     else row(n)))
    base = statistics.median(baseline)
    print(f"ordo Python binding, libordo "
          f"{'.'.join(map(str, ordo.library_version()))}; median of {args.repeat} runs")
    print(f"{'operation':58} {'µs':>8} {'× lock pair':>12} {'target':>8}")
    print(f"{'baseline: asyncio.Lock acquire + release':58} {base * 1e6:8.3f} {1.0:12.2f}")
    missed = 0
    for name in TARGETS:
        value = statistics.median(runs[name])
        ratio = value / base
        ok = ratio <= TARGETS[name]
        missed += not ok
        print(f"{TITLES[name]:58} {value * 1e6:8.3f} {ratio:12.2f} {'≤':>3}{TARGETS[name]:4.0f}"
              f"{'' if ok else '  MISSED'}")
    return 0 if args.quick or missed == 0 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--quick", action="store_true")
    sys.exit(asyncio.run(main(parser.parse_args())))
