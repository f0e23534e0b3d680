#!/usr/bin/env python3
"""Runs ordo-pipeline in small configurations and checks what it promises:
the exact output line per mode, zero mismatches (and that a mismatch is
caught, with exit status 1), a well-formed SVG timeline, and usage errors.

usage: check_pipeline.py TOOL SCENARIO WORKDIR [README]
Sizes stay tiny so that the test is quick on Oclgrind too."""
import os
import pty
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
LINE = re.compile(
    r"^pipeline-v1 mode=(pipelined|serial|raw) chunks=(\d+) elements=(\d+) repeat=(\d+) "
    r"wall_s=\d+\.\d{3} chunks_per_s=\d+\.\d mismatches=(\d+)$")
ON_OCLGRIND = os.environ.get("ORDO_TEST_PLATFORM") == "oclgrind"


class Failed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Failed(message)


def run(tool, *args):
    result = subprocess.run([tool, *args], capture_output=True, text=True, timeout=120)
    print(f"$ ordo-pipeline {' '.join(args)}  -> exit {result.returncode}")
    print(result.stdout, end="")
    print(result.stderr, end="", file=sys.stderr)
    return result


def workload_lines(stdout):
    return [LINE.match(line) for line in stdout.splitlines() if line.startswith("pipeline-v1 ")]


def check_run(tool, modes, chunks, elements, repeat, extra=(), mismatches=0):
    mode_arg = {("pipelined", "serial"): "both", ("pipelined", "serial", "raw"): "all"}.get(
        tuple(modes), modes[0])
    result = run(tool, "--mode", mode_arg, "--chunks", str(chunks), "--elements", str(elements),
                 "--repeat", str(repeat), *extra)
    lines = workload_lines(result.stdout)
    expect(all(lines), "a workload line does not have the exact format")
    expect([m.group(1) for m in lines] == list(modes), f"modes ran: {[m.group(1) for m in lines]}")
    for m in lines:
        expect(m.group(2, 3, 4) == (str(chunks), str(elements), str(repeat)),
               f"parameters echoed wrongly: {m.group(0)}")
        expect(int(m.group(5)) == mismatches, f"expected {mismatches} mismatches: {m.group(0)}")
    expect(result.returncode == (1 if mismatches else 0), f"exit status {result.returncode}")
    # Not a terminal: no progress line, nothing on stderr but the timeline's path.
    expect(all(line.startswith("timeline written to ") for line in result.stderr.splitlines()),
           "unexpected output on stderr")
    return result


def scenario_modes(tool, workdir):
    # Every mode, an odd chunk count, several kernel repeats.
    check_run(tool, ["pipelined", "serial", "raw"], 13, 257, 3)
    # The job queue's bound: one chunk in flight, then more than the rings hold.
    for inflight in ("1", "2", "7"):
        check_run(tool, ["pipelined"], 9, 64, 1, ("--inflight", inflight))
        check_run(tool, ["raw"], 9, 64, 1, ("--inflight", inflight))
    # Fewer chunks than the warm-up.
    check_run(tool, ["pipelined", "serial"], 3, 100, 1)
    if not ON_OCLGRIND:
        check_run(tool, ["pipelined", "serial", "raw"], 32, 65536, 2)


def scenario_mismatch(tool, workdir):
    # The check must be able to fail: a corrupted chunk is counted, exit 1.
    check_run(tool, ["pipelined", "serial", "raw"], 6, 128, 1, ("--inject-mismatch", "4"),
              mismatches=1)


def scenario_timeline(tool, workdir):
    path = os.path.join(workdir, "timeline.svg")
    if os.path.exists(path):
        os.remove(path)
    chunks = 5
    result = check_run(tool, ["pipelined", "serial"], chunks, 256, 1, ("--timeline", path))
    profile = [line for line in result.stdout.splitlines() if line.startswith("profile ")]
    # host + three queues, then host + one queue, each with an overlap line.
    expect(len(profile) == (4 + 1) + (2 + 1), f"profile lines: {profile}")
    for line in profile:
        expect(re.match(r"^profile mode=\w+ (lane=\w+ boxes=\d+ busy_ms=[\d.]+ busy_pct=[\d.]+|"
                        r"overlap queues_ms=[\d.]+ queues_pct=[\d.]+ host_device_ms=[\d.]+ "
                        r"host_device_pct=[\d.]+ device_busy_pct=[\d.]+)$", line),
               f"profile line format: {line}")
    if ON_OCLGRIND:
        expect('platform="Oclgrind"' in result.stdout, "the oclgrind setup must run on Oclgrind")

    root = ET.parse(path).getroot()  # raises if the file is not well-formed XML
    expect(root.tag == SVG + "svg", f"root element {root.tag}")
    expect(float(root.get("width")) > 0 and float(root.get("height")) > 0, "no size")
    for element in root.iter():
        for name, value in element.attrib.items():
            expect("href" not in name, "the SVG must be self-contained (no links)")
    panels = [g for g in root.iter(SVG + "g") if g.get("class") == "panel"]
    expect([p.get("data-mode") for p in panels] == ["pipelined", "serial"],
           "one panel per mode, in run order")
    for panel in panels:
        texts = [t.text or "" for t in panel.iter(SVG + "text")]
        lanes = ["host", "upload", "compute", "download"] if panel.get(
            "data-mode") == "pipelined" else ["host", "queue"]
        for lane in lanes:
            expect(lane in texts, f"lane {lane} is not labelled")
        expect("0 ms" in texts and any(re.fullmatch(r"[\d.]+ ms", t) and t != "0 ms"
                                       for t in texts), "the time axis is not labelled")
        boxes = {}
        for rect in panel.iter(SVG + "rect"):
            title = rect.find(SVG + "title")
            if title is None:
                continue
            m = re.match(r"chunk (\d+) (fill|upload|compute|download|check): ", title.text)
            expect(m, f"box title {title.text}")
            expect(float(rect.get("width")) > 0, "empty box")
            boxes.setdefault(m.group(2), set()).add(int(m.group(1)))
        for step in ("fill", "upload", "compute", "download", "check"):
            expect(boxes.get(step) == set(range(chunks)),
                   f"{panel.get('data-mode')}: {step} boxes for chunks {boxes.get(step)}")
        fills = {r.get("fill") for r in panel.iter(SVG + "rect") if r.find(SVG + "title")
                 is not None}
        expect(len(fills) == chunks, "boxes are coloured by chunk")


def panel_boxes(path):
    """{mode: {(chunk, step): (start_ms, end_ms)}} from a timeline's box titles."""
    root = ET.parse(path).getroot()
    out = {}
    for panel in root.iter(SVG + "g"):
        if panel.get("class") != "panel":
            continue
        boxes = out.setdefault(panel.get("data-mode"), {})
        for title in panel.iter(SVG + "title"):
            m = re.match(r"chunk (\d+) (\w+): (-?[\d.]+) to (-?[\d.]+) ms", title.text)
            boxes[(int(m.group(1)), m.group(2))] = (float(m.group(3)), float(m.group(4)))
    return out


def scenario_inflight(tool, workdir):
    # The bound holds: at no time are more than J chunks between the start of
    # their fill and the end of their check.
    chunks = 10
    for inflight in (1, 2, 3):
        path = os.path.join(workdir, f"inflight{inflight}.svg")
        check_run(tool, ["pipelined", "serial", "raw"], chunks, 256, 1,
                  ("--inflight", str(inflight), "--timeline", path))
        for mode, boxes in panel_boxes(path).items():
            edges = []
            for chunk in range(chunks):
                edges.append((boxes[(chunk, "fill")][0], 1))
                edges.append((boxes[(chunk, "check")][1], -1))
            active = most = 0
            for _, delta in sorted(edges):  # at equal times an end sorts first
                active += delta
                most = max(most, active)
            limit = 1 if mode == "serial" else inflight
            print(f"{mode} --inflight {inflight}: at most {most} chunks in flight")
            expect(1 <= most <= limit, f"{mode}: {most} chunks in flight, bound {limit}")


def scenario_progress(tool, workdir):
    # stderr on a terminal: a progress line per timed run (here at once),
    # rewritten in place and cleared at the end; stdout keeps only the results.
    master, slave = pty.openpty()
    result = subprocess.run([tool, "--mode", "all", "--chunks", "40", "--elements", "64",
                             "--progress-after", "0"],
                            stdout=subprocess.PIPE, stderr=slave, text=True, timeout=120)
    os.close(slave)
    data = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO once the terminal's other end is closed and drained
            break
        if not chunk:
            break
        data += chunk
    os.close(master)
    terminal = data.decode()
    print(repr(terminal))
    expect(result.returncode == 0, f"exit status {result.returncode}")
    for mode in ("pipelined", "serial", "raw"):
        expect(re.search(r"\r\x1b\[K" + mode + r": \d+/40 chunks, [\d.]+ s, \d+ chunks/s",
                         terminal), f"no progress line for {mode}")
    expect(terminal.endswith("\r\x1b[K"), "the progress line is not cleared at the end")
    expect(len(workload_lines(result.stdout)) == 3 and "\r" not in result.stdout,
           "stdout must hold only the result lines")


def scenario_readme(tool, workdir, readme):
    # The README's first command ends with an ordo-pipeline run: it works, and
    # the output shown below it has the format the tool prints.
    text = open(readme, encoding="utf-8").read()
    first = re.search(r"^```sh\n(.*?)^```", text, re.S | re.M).group(1).strip()
    expect(first.startswith("tools/setup-debian.sh && meson setup build && meson compile -C build"),
           f"the README's first command: {first}")
    m = re.search(r"&& build/tools/ordo-pipeline((?: [-\w=.]+)*)$", first)
    expect(m, "the README's first command must end with a build/tools/ordo-pipeline run")
    shown = re.search(r"^```text\n(.*?)^```", text, re.S | re.M).group(1)
    expect(all(LINE.match(line) for line in shown.splitlines()) and shown.strip(),
           "the README's sample output does not have the tool's format")
    if ON_OCLGRIND:
        print("skipped on Oclgrind: the README's run is sized for a real device")
        sys.exit(77)
    result = run(tool, *m.group(1).split())
    expect(result.returncode == 0, f"exit status {result.returncode}")
    lines = workload_lines(result.stdout)
    expect(lines and all(lines) and all(int(l.group(5)) == 0 for l in lines),
           "the README's run must print the workload lines with zero mismatches")


def scenario_usage(tool, workdir):
    for args in (["--mode", "sideways"], ["--chunks", "0"], ["--elements", "x"],
                 ["--progress-after", "-1"],
                 ["--inflight", "0"], ["--bogus"], ["--device", "no-such-device-anywhere"],
                 ["--platform", "99"]):
        result = run(tool, *args)
        expect(result.returncode == 2, f"{args}: exit status {result.returncode}, expected 2")
        expect(result.stdout == "", f"{args}: nothing on stdout")
        expect(result.stderr.startswith("ordo-pipeline: "), f"{args}: message on stderr")
    result = run(tool, "--list")
    expect(result.returncode == 0 and re.search(r"^platform 0: .+\n  device 0: ", result.stdout,
                                                re.M), "--list names platform 0 and its device")
    result = run(tool, "--help")
    expect(result.returncode == 0 and "--timeline" in result.stdout, "--help")


def main():
    tool, scenario, workdir = sys.argv[1:4]
    os.makedirs(workdir, exist_ok=True)
    try:
        globals()["scenario_" + scenario](tool, workdir, *sys.argv[4:])
    except Failed as e:
        print(f"FAILED: {e}")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
