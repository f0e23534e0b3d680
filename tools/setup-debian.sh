#!/bin/sh
# Installs what ordo needs to build, test and benchmark on Debian 12:
# the OpenCL ICD loader and headers, OpenCL-CLHPP, POCL (OpenCL on the CPU),
# Oclgrind and Mesa's Rusticl (two more implementations), meson/ninja,
# GoogleTest and Google Benchmark, and what the Python binding needs. Runs apt-get as root, through sudo when
# not root.
set -eu
packages="build-essential clang meson ninja-build pkg-config ocl-icd-opencl-dev
  opencl-clhpp-headers opencl-c-headers pocl-opencl-icd oclgrind mesa-opencl-icd clinfo libgtest-dev
  libbenchmark-dev python3 valgrind libclang-rt-14-dev"
if [ "$(id -u)" = 0 ]; then as_root=""; else as_root="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$as_root apt-get update -q
# shellcheck disable=SC2086
$as_root apt-get install -y -q --no-install-recommends $packages

# The Python binding: its compiled module (Cython, the interpreter's
# headers), pip installs (meson-python, venv), and its tests (python/, run by
# `meson test`), which use Debian's interpreter with pytest, pytest-asyncio,
# PyOpenCL and NumPy.
$as_root apt-get install -y -q --no-install-recommends cython3 python3-dev python3-mesonpy \
  python3-venv python3-pip python3-pytest python3-pytest-asyncio python3-pyopencl python3-numpy
