#!/bin/sh
# Reproduces the tables of BENCHMARKS.md: builds ordo in release mode (in
# build-bench, or $BUILD), prints the machine, runs pipeline-v1 in all three
# modes $RUNS times (default 11) per configuration and reports the medians and
# the ratios of each run against the serial mode of the same run, then runs
# ordo-bench (each figure beside its baseline, medians of $REPS repetitions,
# default 3). With --timeline it also redraws docs/pipeline-timeline.svg.
#
# The machine should be otherwise idle: the figures are ratios measured in
# the same run, but two cores shared with another job still skew them.
set -eu
cd "$(dirname "$0")/.."
build=${BUILD:-build-bench}
runs=${RUNS:-11}
reps=${REPS:-3}
python=$(command -v python3)

if [ ! -d "$build" ]; then
    meson setup "$build" --buildtype=release -Dtests=false >/dev/null
fi
meson compile -C "$build" >/dev/null

echo "## Machine"
echo
echo '```text'
echo "cpu:      $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) cores)"
echo "kernel:   $(uname -sr)"
echo "os:       $(. /etc/os-release && echo "$PRETTY_NAME")"
echo "opencl:   $(dpkg-query -W -f '${Package} ${Version}' pocl-opencl-icd 2>/dev/null || echo '?')"
echo "compiler: $(c++ --version | head -n1)"
echo "device:   $("$build"/tools/ordo-pipeline --list | sed -n 2p | sed 's/^ *device 0: //')"
echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min, before the runs)"
echo '```'
echo

if [ "${1:-}" = "--timeline" ]; then
    mkdir -p docs
    "$build"/tools/ordo-pipeline --mode both --chunks 16 --elements 1048576 \
        --timeline docs/pipeline-timeline.svg >/dev/null
fi

echo "## pipeline-v1 (ordo-pipeline --mode all, $runs runs each)"
echo
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for config in "--elements 1024" "--elements 65536" "--elements 1048576 --chunks 64"; do
    i=0
    while [ "$i" -lt "$runs" ]; do
        # shellcheck disable=SC2086
        "$build"/tools/ordo-pipeline --mode all $config | sed "s|^|$config\t|" >>"$out"
        i=$((i + 1))
    done
done
"$python" - "$out" <<'EOF'
import re
import statistics
import sys

runs = {}  # config -> list of {mode: chunks_per_s}
for line in open(sys.argv[1]):
    config, text = line.rstrip("\n").split("\t")
    m = re.match(r"pipeline-v1 mode=(\w+) chunks=(\d+) .* chunks_per_s=([\d.]+) mismatches=(\d+)", text)
    if int(m.group(4)) != 0:
        sys.exit(f"mismatches in: {text}")
    per = runs.setdefault(config, [])
    if m.group(1) == "pipelined":
        per.append({})
    per[-1][m.group(1)] = float(m.group(3))
    per[-1]["chunks"] = m.group(2)

targets = {"--elements 1024": 1.0, "--elements 1048576 --chunks 64": 1.4}
print("| configuration | chunks | serial chunks/s | pipelined chunks/s | raw chunks/s "
      "| pipelined / serial | raw / serial | pipelined / raw | target | met |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
for config, per in runs.items():
    med = lambda key: statistics.median(r[key] for r in per)
    ratio = lambda a, b: [r[a] / r[b] for r in per]
    def cell(values):
        return f"{statistics.median(values):.2f}x ({min(values):.2f}-{max(values):.2f})"
    ps = ratio("pipelined", "serial")
    target = targets.get(config)
    met = "-" if target is None else ("yes" if statistics.median(ps) >= target else "**no**")
    print(f"| `{config}` | {per[0]['chunks']} | {med('serial'):.0f} | {med('pipelined'):.0f} "
          f"| {med('raw'):.0f} | {cell(ps)} | {cell(ratio('raw', 'serial'))} "
          f"| {cell(ratio('pipelined', 'raw'))} "
          f"| {'-' if target is None else f'pipelined >= {target}x serial'} | {met} |")
print()
print("Medians over the runs; ratios are taken within each run (the three modes run "
      "back to back in one process), median (min-max). Zero mismatches in every run.")
EOF
echo

echo "## ordo-bench (medians of $reps repetitions)"
"$build"/tools/ordo-bench --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
    --benchmark_enable_random_interleaving=true \
    --benchmark_color=false >"$out" 2>&1 || { cat "$out"; exit 1; }
sed -n '/^## ordo-bench summary/,$p' "$out" | tail -n +2
