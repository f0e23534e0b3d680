#!/usr/bin/python3
"""pipeline-v1 in Python: the project's streaming workload (see the workload
notes, pipeline-v1.md), with PyOpenCL.

  pipelined  three in-order queues (upload, compute, download) ordered by the
             ordo binding's katsdpsigproc-style API: each ring slot of d_in,
             d_out, h_in and h_out is a Resource, a chunk takes its four
             allocations when it arrives, queues wait for each other through
             device events (wait_for=), host buffers are touched only after a
             host-side wait, and a JobQueue keeps at most --inflight chunks
             in flight;
  serial     plain PyOpenCL: one queue, blocking copies, a host wait after
             every step.

Prints one line per mode, exactly as the workload defines it, and exits with
status 1 if any chunk's output was wrong. Run it with Debian's interpreter
(/usr/bin/python3, which has PyOpenCL); ORDO_LIBRARY or the build tree gives
libordo.
"""
import argparse
import asyncio
import importlib.util
import os
import sys
import time

import numpy as np
import pyopencl as cl

# The checkout's binding, unless one is importable already (installed with
# pip, or on PYTHONPATH).
_here = os.path.dirname(os.path.abspath(__file__))
if (importlib.util.find_spec("ordo") is None
        and os.path.isdir(os.path.join(_here, "..", "python", "ordo"))):
    sys.path.insert(0, os.path.join(_here, "..", "python"))

from ordo import resource  # noqa: E402

KERNEL = """
__kernel void affine(__global const float *x, __global float *y, const float a,
                     const float b, const int repeat) {
    size_t i = get_global_id(0);
    float v = x[i];
    for (int r = 0; r < repeat; ++r)
        v = v * a + b;
    y[i] = v;
}
"""
A = np.float32(1.0001)
B = np.float32(0.5)


class Setup:
    """What both modes share: the context, the queues, the kernel and the rings
    of two device and two host buffers, created once before timing."""

    def __init__(self, elements, repeat):
        platform = cl.get_platforms()[0]
        device = platform.get_devices()[0]
        self.elements, self.repeat = elements, repeat
        self.context = cl.Context([device])
        self.upload, self.compute, self.download, self.serial = (
            cl.CommandQueue(self.context) for _ in range(4))
        program = cl.Program(self.context, KERNEL).build()
        flags = cl.mem_flags.READ_WRITE
        nbytes = elements * 4
        self.d_in = [cl.Buffer(self.context, flags, nbytes) for _ in range(2)]
        self.d_out = [cl.Buffer(self.context, flags, nbytes) for _ in range(2)]
        self.h_in = [np.zeros(elements, np.float32) for _ in range(2)]
        self.h_out = [np.zeros(elements, np.float32) for _ in range(2)]
        # One kernel object per ring slot, its arguments set once.
        self.kernel = []
        for slot in range(2):
            kernel = cl.Kernel(program, "affine")
            kernel.set_args(self.d_in[slot], self.d_out[slot], A, B, np.int32(repeat))
            self.kernel.append(kernel)
        self.corrupt_chunk = None

    def fill(self, slot, chunk):
        self.h_in[slot].fill(chunk % 97)

    def check(self, slot, chunk):
        """True if h_out[slot] holds chunk's output: its sum in double precision
        against the closed form, relative tolerance 1e-4."""
        if chunk == self.corrupt_chunk:
            self.h_out[slot][0] += 1e6  # the tool's own test: a wrong output is caught
        total = float(np.sum(self.h_out[slot], dtype=np.float64))
        a, b, v, r = float(A), float(B), float(chunk % 97), self.repeat
        expected = self.elements * (v * a**r + b * (a**r - 1) / (a - 1))
        return abs(total - expected) <= 1e-4 * abs(expected)

    def finish(self):
        for q in (self.upload, self.compute, self.download, self.serial):
            q.finish()


def run_serial(s, chunks):
    mismatches = 0
    q = s.serial
    for i in chunks:
        slot = i % 2
        s.fill(slot, i)
        cl.enqueue_copy(q, s.d_in[slot], s.h_in[slot], is_blocking=True)
        cl.enqueue_nd_range_kernel(q, s.kernel[slot], (s.elements,), None).wait()
        cl.enqueue_copy(q, s.h_out[slot], s.d_out[slot], is_blocking=True)
        mismatches += not s.check(slot, i)
    return mismatches


class Pipeline:
    """Pipelined mode: one Resource per ring slot of each buffer."""

    def __init__(self, s):
        self.s = s
        self.h_in = [resource.Resource(b, name=f"h_in[{k}]") for k, b in enumerate(s.h_in)]
        self.d_in = [resource.Resource(b, name=f"d_in[{k}]") for k, b in enumerate(s.d_in)]
        self.d_out = [resource.Resource(b, name=f"d_out[{k}]") for k, b in enumerate(s.d_out)]
        self.h_out = [resource.Resource(b, name=f"h_out[{k}]") for k, b in enumerate(s.h_out)]
        self.mismatches = 0

    async def chunk(self, i, h_in, d_in, d_out, h_out):
        s, slot = self.s, i % 2
        with h_in, d_in, d_out, h_out:
            await h_in.wait_events()  # the last upload from this host buffer is done
            s.fill(slot, i)
            upload = cl.enqueue_copy(s.upload, s.d_in[slot], s.h_in[slot], is_blocking=False,
                                     wait_for=await d_in.wait())
            s.upload.flush()
            h_in.ready([upload])
            compute = cl.enqueue_nd_range_kernel(s.compute, s.kernel[slot], (s.elements,), None,
                                                 wait_for=[upload] + await d_out.wait())
            s.compute.flush()
            d_in.ready([compute])
            download = cl.enqueue_copy(s.download, s.h_out[slot], s.d_out[slot],
                                       is_blocking=False,
                                       wait_for=[compute] + await h_out.wait())
            s.download.flush()
            d_out.ready([download])
            await resource.async_wait_for_events([download])  # host wait before reading
            self.mismatches += not s.check(slot, i)
            h_out.ready()

    async def run(self, chunks, inflight):
        self.mismatches = 0
        jobs = resource.JobQueue()
        for i in chunks:
            await jobs.finish(max_remaining=inflight - 1)
            slot = i % 2
            # All four allocations at once, before any wait: ticket order is chunk order.
            allocations = (self.h_in[slot].acquire(), self.d_in[slot].acquire(),
                           self.d_out[slot].acquire(), self.h_out[slot].acquire())
            jobs.add(self.chunk(i, *allocations))
        await jobs.finish()
        return self.mismatches


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=512)
    parser.add_argument("--elements", type=int, default=65536)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--inflight", type=int, default=4)
    parser.add_argument("--mode", choices=["pipelined", "serial", "both"], default="both")
    parser.add_argument("--corrupt-chunk", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.chunks < 1 or args.elements < 1 or args.repeat < 0 or args.inflight < 1:
        parser.error("--chunks, --elements and --inflight must be positive, --repeat >= 0")

    s = Setup(args.elements, args.repeat)
    warm_up = range(min(8, args.chunks))
    timed = range(args.chunks)
    modes = ["pipelined", "serial"] if args.mode == "both" else [args.mode]
    total_mismatches = 0
    for mode in modes:
        if mode == "pipelined":
            pipeline = Pipeline(s)

            def run(chunks):
                return asyncio.run(pipeline.run(chunks, args.inflight))
        else:
            def run(chunks):
                return run_serial(s, chunks)
        s.corrupt_chunk = None
        run(warm_up)
        s.finish()
        s.corrupt_chunk = args.corrupt_chunk
        start = time.perf_counter()
        mismatches = run(timed)
        wall = time.perf_counter() - start
        total_mismatches += mismatches
        print(f"pipeline-v1 mode={mode} chunks={args.chunks} elements={args.elements} "
              f"repeat={args.repeat} wall_s={wall:.3f} chunks_per_s={args.chunks / wall:.1f} "
              f"mismatches={mismatches}", flush=True)
    s.finish()
    return 1 if total_mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
