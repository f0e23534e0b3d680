#!/bin/bash
# The check run on a machine with a GPU (an NVIDIA H200 here): finds the
# vendor's OpenCL driver, then runs the test suites, the examples,
# pipeline-v1 and ordo-bench on it. Run from the repository root, with a
# release build in build-device/ (meson setup build-device --buildtype=release)
# made on a Debian 12 machine, and the .deb files of ocl-icd-libopencl1,
# clinfo and libbenchmark1debian in .device/ (apt-get download ...), for a
# machine that lacks them. Output goes to stdout and, if set, $OUT/log.txt.
#
# What it found on 2026-11-27 is in BENCHMARKS.md ("On a GPU").
set -u
[ -n "${OUT:-}" ] && exec > >(tee "$OUT/log.txt") 2>&1
B=${BUILD:-build-device}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>/dev/null
ldconfig -p | grep -i -E 'libOpenCL|nvidia-opencl'
ls /etc/OpenCL/vendors 2>&1
mkdir -p /tmp/icd
for d in .device/*.deb; do [ -f "$d" ] && dpkg -x "$d" /tmp/icd; done
export LD_LIBRARY_PATH=/tmp/icd/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# The image registers only POCL with the ICD loader; NVIDIA's library is
# there but unregistered: point the loader at it.
nvlib=$(ls /usr/local/nvidia/lib64/libnvidia-opencl.so.1 /lib/libnvidia-opencl.so.1 2>/dev/null | head -1)
if [ -n "$nvlib" ]; then
    mkdir -p /tmp/vendors
    echo "$nvlib" > /tmp/vendors/nvidia.icd
    export OCL_ICD_VENDORS=/tmp/vendors
fi
clinfo=$(command -v clinfo || echo /tmp/icd/usr/bin/clinfo)
"$clinfo" -l || { echo "no OpenCL platform"; exit 3; }
echo "== tests"
timeout 300 "$B"/tests/capi_tests --gtest_brief=1 2>&1 | tail -40
timeout 60 "$B"/tests/cpp_tests --gtest_brief=1 2>&1 | tail -10
timeout 150 "$B"/tests/core_tests --gtest_brief=1 2>&1 | tail -10
timeout 30 "$B"/tests/two_tickets_c99
for e in $(ls -d "$B"/examples/example-* | grep -v '\.p$') "$B"/tools/ordo-coroutines "$B"/tools/ordo-demo; do
    timeout 60 "$e" > /tmp/ex.txt 2>&1
    echo "$(basename "$e") rc=$?"
done
echo "== pipeline-v1"
"$B"/tools/ordo-pipeline --list
timeout 120 "$B"/tools/ordo-pipeline --mode all --profile
timeout 120 "$B"/tools/ordo-pipeline --mode all --elements 1024
timeout 120 "$B"/tools/ordo-pipeline --mode all --elements 1048576 --chunks 64 --profile
for i in 1 2 3; do timeout 120 "$B"/tools/ordo-pipeline --mode all; done
echo "== ordo-bench"
timeout 240 "$B"/tools/ordo-bench --benchmark_min_time=0.2 2>&1 | tail -30
