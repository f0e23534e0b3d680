#!/usr/bin/env python3
"""Compares the runtime-quirk probes' answers with the core's quirks module.

Usage: compare.py [--runtime NAME] QUIRKS_OF_PLATFORM PROBE...

QUIRKS_OF_PLATFORM is tests/probes/quirks-of-platform (it prints "<quirk> yes|no" per probed
quirk, as lib/quirks.cpp answers for the first device of the first platform); each PROBE is a
tests/probes/probe-<quirk> program (it prints "<quirk> yes|no|unknown <reason>"). Both see the
same runtime: the one the environment (OCL_ICD_VENDORS) shows. The runtime's name, for the lists
below, is --runtime or else $ORDO_TEST_PLATFORM (pocl, oclgrind or rusticl), as the meson test
setups set it.

Every probe runs once, one at a time (they time the runtime, so nothing runs beside them). The
comparison fails (exit 1, with a table of the disagreements) when:
  - a probe's yes/no differs from the module's answer, unless (quirk, runtime) is in
    KNOWN_DIFFERENCES;
  - a probe answers "unknown", unless (quirk, runtime) is in ACCEPTED_UNKNOWNS;
  - a probe fails (exit status other than 0, no answer line, unusable OpenCL, over 60 s);
  - the module has no answer for a probe's quirk, or answers one that has no probe.
Exit 0 when everything agrees, 2 on a usage error or when QUIRKS_OF_PLATFORM fails.
"""

import argparse
import os
import subprocess
import sys
import time

# (quirk, runtime) -> why the probe cannot tell there. Only these may answer "unknown".
ACCEPTED_UNKNOWNS = {
    ("callbacks-after-whole-flush", "rusticl"):
        "the marker never completes while the barrier flushed with it waits for an unset user "
        "event (completes-flushed-batches-whole), so the probe never sees the marker CL_COMPLETE "
        "without its callback",
}

# (quirk, runtime) -> why the module's answer is allowed to differ from the probe's. Keep empty:
# a difference is a bug of lib/quirks.cpp or of the probe, to fix there.
KNOWN_DIFFERENCES = {}

PROBE_TIMEOUT_S = 60


def run(command):
    """Runs command; returns (exit status or a word, stdout, stderr, seconds)."""
    start = time.monotonic()
    try:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=PROBE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as e:
        return ("timeout", e.stdout or "", e.stderr or "", time.monotonic() - start)
    except OSError as e:
        return ("cannot run", "", str(e), time.monotonic() - start)
    return (done.returncode, done.stdout, done.stderr, time.monotonic() - start)


def fatal(message):
    print(f"compare.py: {message}", file=sys.stderr)
    sys.exit(2)


def quirk_of(path):
    name = os.path.basename(path)
    return name[len("probe-"):] if name.startswith("probe-") else name


def module_answers(program):
    status, out, err, _ = run([program])
    if status != 0:
        fatal(f"{program} failed ({status}): {err.strip()}")
    answers = {}
    for line in out.splitlines():
        words = line.split()
        if len(words) != 2 or words[1] not in ("yes", "no") or words[0] in answers:
            fatal(f"unexpected line from {program}: {line!r}")
        answers[words[0]] = words[1]
    return answers


def probe_answer(program, quirk):
    """Returns (answer, detail): answer is yes, no, unknown or fail."""
    status, out, err, seconds = run([program])
    lines = out.splitlines()
    if status != 0:
        what = "unusable OpenCL (exit 2)" if status == 2 else f"exit status {status}"
        tail = " | ".join(err.strip().splitlines()[-3:])
        return "fail", what + (f"; stderr: {tail}" if tail else ""), seconds
    if len(lines) != 1:
        return "fail", f"expected one line, got {out!r}", seconds
    words = lines[0].split(" ", 2)
    if len(words) < 2 or words[0] != quirk or words[1] not in ("yes", "no", "unknown"):
        return "fail", f"unexpected output {lines[0]!r}", seconds
    if words[1] in ("yes", "no") and len(words) > 2:
        return "fail", f"unexpected output {lines[0]!r}", seconds
    return words[1], (words[2] if len(words) > 2 else ""), seconds


def table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    lines = []
    for r in [header] + rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runtime", default=os.environ.get("ORDO_TEST_PLATFORM", ""),
                        help="the runtime's name (default: $ORDO_TEST_PLATFORM)")
    parser.add_argument("quirks_of_platform")
    parser.add_argument("probes", nargs="+")
    args = parser.parse_args()
    runtime = args.runtime or "(unnamed)"

    module = module_answers(args.quirks_of_platform)
    rows = []
    problems = []
    notes = []
    probed = set()
    for program in sorted(args.probes, key=quirk_of):
        quirk = quirk_of(program)
        probed.add(quirk)
        answer, detail, seconds = probe_answer(program, quirk)
        expected = module.get(quirk, "-")
        key = (quirk, args.runtime)
        if answer == "fail":
            verdict = "PROBE FAILED"
        elif expected == "-":
            verdict = "NOT IN MODULE"
        elif answer == "unknown":
            if key in ACCEPTED_UNKNOWNS:
                verdict = "ok (accepted unknown)"
                notes.append(f"{quirk}: unknown accepted on {runtime}: {ACCEPTED_UNKNOWNS[key]}")
            else:
                verdict = "UNKNOWN"
        elif answer != expected:
            if key in KNOWN_DIFFERENCES:
                verdict = "ok (known difference)"
                notes.append(f"{quirk}: known difference on {runtime}: {KNOWN_DIFFERENCES[key]}")
            else:
                verdict = "DISAGREES"
                detail = (f"lib/quirks.cpp has {quirk.replace('-', '_')} = "
                          f"{'true' if expected == 'yes' else 'false'} for {runtime}")
        else:
            verdict = "ok"
            if key in KNOWN_DIFFERENCES:
                notes.append(f"{quirk}: listed in KNOWN_DIFFERENCES for {runtime} but agrees: "
                             "remove the entry")
        if answer in ("yes", "no") and key in ACCEPTED_UNKNOWNS:
            notes.append(f"{quirk}: listed in ACCEPTED_UNKNOWNS for {runtime} but answered "
                         f"{answer}: remove the entry")
        row = (quirk, answer, expected, verdict, f"{seconds:.1f}")
        rows.append(row)
        if not verdict.startswith("ok"):
            problems.append((quirk, answer, expected, verdict, detail))
    for quirk in sorted(set(module) - probed):
        rows.append((quirk, "-", module[quirk], "NO PROBE", ""))
        problems.append((quirk, "-", module[quirk], "NO PROBE",
                         f"quirks-of-platform answers {quirk} but no probe-{quirk} was given"))

    print(f"runtime: {runtime}")
    print(table(("quirk", "probe", "module", "verdict", "seconds"), rows))
    if notes:
        print()
        print("\n".join(notes))
    if problems:
        print()
        print(f"DISAGREEMENTS on {runtime} (probe: tests/probes/<quirk>.cpp; "
              "module: lib/quirks.cpp):")
        print(table(("quirk", "probe", "module", "problem", "detail"), problems))
        return 1
    print()
    print(f"all {len(rows)} probed quirks agree with the module on {runtime}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
