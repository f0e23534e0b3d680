#!/usr/bin/env python3
"""Puts a defect back into the library, in a scratch worktree of this
checkout's HEAD, and runs the checks CI runs that should catch it: the stress
tool as the suite runs it (--ops 100000 --seed 1), the fast cycle's unit
tests (capi_tests FastCycle*), the fuzzer's corpus and
regression inputs (the test fuzz-corpus), and a short fuzz run from the seed
corpus alone. It shows that the oracles bite (docs/TESTING.md).

    tests/mutants/put_back.py DEFECT [FUZZ_SECONDS] [SCRATCH_DIR]

DEFECT is one of the keys below (the defects that the reference model was
written to catch: see "The oracle bites" in docs/TESTING.md). The scratch worktree (default /tmp/ordo-mutant) is made on
first use and kept, with a plain build and an ASan build with the fuzzer."""
import os
import re
import subprocess
import sys

DEFECTS = {
    'grant-future-seen': [('lib/ticket.cpp',
        '''    Future &g = grant();
    return GrantFuture::make(Ref<Ticket>(this), g);''',
        '''    Future &g = grant();
    flags_.fetch_or(kSeen, std::memory_order_acq_rel); // DEFECT 1 put back
    return GrantFuture::make(Ref<Ticket>(this), g);''')],
    'release-after-callbacks': [('lib/ticket.cpp',
        '''    // The grant is not needed any more (g may be gone after this).
    uint32_t f = flags_.fetch_or(kHandedOn, std::memory_order_acq_rel);
    assert(!(f & kHandedOn));
    if (f & kHolderGone)
        drop_grant();
    if (group_ != nullptr) {
        Ref<SharedGroup> group(group_); // this ticket may be gone once it completes
        release_.hand_on(Outcome{});
        group->member_done(std::move(out));
    } else {
        // Handing on nothing from the tail: the fast cycle may start again
        // (resource.hpp). Only in the holder's own call, which a counted
        // reference keeps the resource alive through, and before the
        // successors' callbacks run (they may destroy the handle).
        if (by_holder && out.events.empty() && !out.failure && (f & kCountsResource))
            resource_->mark_idle(release_);
        release_.hand_on(std::move(out));
    }''',
        '''    if (group_ != nullptr) {
        release_.hand_on(Outcome{});
        group_->member_done(std::move(out));
    } else {
        if (by_holder && out.events.empty() && !out.failure &&
            (flags_.load(std::memory_order_relaxed) & kCountsResource))
            resource_->mark_idle(release_);
        release_.hand_on(std::move(out));
    }
    // DEFECT 2 put back: the ticket is touched after its callbacks ran.
    uint32_t f = flags_.fetch_or(kHandedOn, std::memory_order_acq_rel);
    if (f & kHolderGone)
        drop_grant();''')],
    'stale-handles': [('capi/handles.hpp',
        '''        if (slot != nullptr && slot->generation.load(std::memory_order_acquire) == generation)''',
        '''        if (slot != nullptr && (slot->generation.load(std::memory_order_acquire) & 1) != 0) // DEFECT 4'''),
       ('lib/pool.hpp',
        '''        void push(Slot *s) noexcept {
            set_next(s, nullptr);
            if (tail != nullptr)
                set_next(tail, s);
            else
                head = s;
            tail = s;
            ++count;
        }''',
        '''        void push(Slot *s) noexcept { // DEFECT 4 put back: last in, first out
            set_next(s, head);
            head = s;
            if (tail == nullptr)
                tail = s;
            ++count;
        }''')],
    'events-wait-per-call': [('lib/holder_wait.hpp',
        '''        h.events_waiter().wait_for_events(result, h.events_slot(), deadline);''',
        '''        std::atomic<Future *> fresh{nullptr}; // DEFECT 5 put back: a new wait per call
        h.events_waiter().wait_for_events(result, fresh, deadline);
        if (Future *w = fresh.load())
            w->release();''')],
    'complete-job-counted': [('lib/job_queue.cpp',
        '''            if (e->fired || job->is_complete()) {
                jobs_.push_back(job); // complete: never counted, never waits
                break;
            }''',
        '''            if (e->fired || job->is_complete()) { // DEFECT 6 put back: counted anyway
                jobs_.push_back(job);
                ++backlog_;
                e->counted = true;
                break;
            }''')],
    # The fast cycle (lib/ticket.hpp): a release with events marks the tail
    # idle, so the next ticket is granted at once without them.
    'idle-with-events': [('lib/ticket.cpp',
        '''        if (by_holder && out.events.empty() && !out.failure && (f & kCountsResource))''',
        '''        if (by_holder && !out.failure && (f & kCountsResource)) // DEFECT 7''')],
    # The fast cycle: the put-back overwrites a successor's word.
    'put-back-over-successor': [('lib/resource.hpp',
        '''        uint64_t word = fast;
        if (tail_.compare_exchange_strong(word, with, std::memory_order_acq_rel,
                                          std::memory_order_acquire)) [[likely]]
            return kStillTail;''',
        '''        uint64_t word = tail_.exchange(with, std::memory_order_acq_rel); // DEFECT 8
        if (word == fast || word != (fast | kOrphanBit))
            return kStillTail;''')],
    # The fast cycle: a release that finds its fast word replaced by a
    # successor hands on before the successor has counted the reference its
    # grant adopts (the assert that would stop it first is taken out too, as
    # in a release build).
    'release-without-waiting': [('lib/ticket.cpp',
        '''    for (unsigned spins = 0; fast_.load(std::memory_order_acquire) == kFastHeld; ++spins) {''',
        '''    for (unsigned spins = 0; false; ++spins) { // DEFECT 9'''),
       ('lib/ticket.cpp',
        '''    assert(released() && !handed_on() && fast_.load(std::memory_order_relaxed) == kPlain);
''', '')],
}


def run(cmd, cwd, timeout=1800):
    env = dict(os.environ, OCL_ICD_VENDORS="/etc/OpenCL/vendors/pocl.icd")
    r = subprocess.run(cmd, shell=True, cwd=cwd, capture_output=True, text=True,
                       timeout=timeout, env=env)
    return r.returncode, r.stdout + r.stderr


def findings(out):
    return re.findall(r"(VIOLATION.*|ERROR: AddressSanitizer: [a-z-]+|runtime error: .*|"
                      r"ERROR: LeakSanitizer.*)", out)


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in DEFECTS:
        print(__doc__)
        print("defects:", ", ".join(DEFECTS))
        return 2
    defect = sys.argv[1]
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    root = sys.argv[3] if len(sys.argv) > 3 else "/tmp/ordo-mutant"
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                          text=True, check=True).stdout.strip()
    if not os.path.isdir(root):
        subprocess.run(["git", "worktree", "add", "--detach", root, head], cwd=here, check=True)
        run("meson setup build && CC=clang CXX=clang++ meson setup build-asan "
            "-Db_sanitize=address,undefined -Db_lundef=false -Dfuzz=true "
            "-Dc_args=-fno-sanitize-recover=all -Dcpp_args=-fno-sanitize-recover=all", root)
    else:
        run(f"git checkout -q --detach {head}", root)
    for path, old, new in DEFECTS[defect]:
        p = os.path.join(root, path)
        text = open(p).read()
        if old not in text:
            print(f"{path}: the code to change is not there any more; update {__file__}")
            return 2
        open(p, "w").write(text.replace(old, new))
    try:
        rc, out = run("meson compile -C build && meson compile -C build-asan tests/fuzz/fuzz_capi",
                      root)
        if rc != 0:
            print(out[-3000:])
            return 1
        print(f"defect {defect} put back:")
        rc, out = run("build/tests/capi_tests --gtest_filter='FastCycle*'", root)
        failed = re.findall(r"(Failure|Assertion .* failed|FAILED  \] [^\n]*)", out)
        print(f"  FastCycle* unit tests: exit {rc}" + (f": {failed[0][:240]}" if failed else ""))
        rc, out = run("build/tools/ordo-stress --ops 100000 --seed 1", root)
        f = findings(out)
        print(f"  stress --seed 1: exit {rc}, {len(f)} report(s)" + (f": {f[0][:240]}" if f else ""))
        rc, out = run("ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 build-asan/tests/fuzz/fuzz_capi "
                      "-runs=0 tests/fuzz/corpus tests/fuzz/regressions", root)
        f = findings(out)
        print(f"  fuzz-corpus: exit {rc}" + (f": {f[0][:240]}" if f else ""))
        rc, out = run(f"rm -rf fuzz-scratch && mkdir fuzz-scratch && ASAN_OPTIONS=detect_leaks=1 "
                      f"build-asan/tests/fuzz/fuzz_capi -max_total_time={seconds} -max_len=512 "
                      f"-artifact_prefix=fuzz-scratch/ fuzz-scratch tests/fuzz/corpus", root,
                      timeout=seconds + 600)
        f = findings(out)
        runs = re.findall(r"#(\d+)\s", out)
        print(f"  fuzz from the seeds alone, {seconds} s: exit {rc} after "
              f"{runs[-1] if runs else '?'} runs" + (f": {f[0][:240]}" if f else ""))
    finally:
        run("git checkout -- .", root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
