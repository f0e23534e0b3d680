#!/usr/bin/env bash
# Runs every runtime-quirk probe (tests/probes, built as BUILD_DIR/tests/probes/probe-<quirk>) on
# each installed OpenCL runtime and prints a table, quirk by runtime: "yes" (the runtime has the
# quirk), "no", "unknown" (the reason follows the table), "unusable" (the probe found no usable
# OpenCL: exit 2) or "fail:<exit status>" (the probe itself failed; 124: killed after 60 s).
#
# Usage: tests/probes/check-runtimes.sh BUILD_DIR [RUNS]
#   RUNS (default 1): run each probe that many times per runtime; a cell whose answers differ
#   shows each answer with its count, e.g. "yes:4/no:1".
#
# Runtimes, each shown to the ICD loader alone through OCL_ICD_VENDORS, skipped when not installed:
#   pocl      $POCL_ICD      (default /etc/OpenCL/vendors/pocl.icd)
#   oclgrind  $OCLGRIND_LIB  (default /usr/lib/oclgrind/liboclgrind-rt-icd.so; an .icd file
#                             naming it is written to a temporary directory)
#   rusticl   $RUSTICL_ICD   (default /etc/OpenCL/vendors/rusticl.icd), with RUSTICL_ENABLE=llvmpipe
#
# Exit status: 0 when every probe answered (yes, no or unknown) everywhere, 1 otherwise, 2 on a
# usage error.
set -u

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 BUILD_DIR [RUNS]" >&2
    exit 2
fi
probe_dir=$1/tests/probes
runs=${2:-1}
case $runs in
'' | *[!0-9]* | 0)
    echo "$0: RUNS must be a positive number" >&2
    exit 2
    ;;
esac

probes=()
for exe in "$probe_dir"/probe-*; do
    [ -f "$exe" ] && [ -x "$exe" ] && probes+=("$exe")
done
if [ ${#probes[@]} -eq 0 ]; then
    echo "$0: no probe-* programs in $probe_dir (meson compile -C $1 first)" >&2
    exit 2
fi

pocl_icd=${POCL_ICD:-/etc/OpenCL/vendors/pocl.icd}
oclgrind_lib=${OCLGRIND_LIB:-/usr/lib/oclgrind/liboclgrind-rt-icd.so}
rusticl_icd=${RUSTICL_ICD:-/etc/OpenCL/vendors/rusticl.icd}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# runtimes[i] is shown by the environment settings envs[i] (space-separated NAME=VALUE words).
runtimes=()
envs=()
if [ -f "$pocl_icd" ]; then
    runtimes+=(pocl)
    envs+=("OCL_ICD_VENDORS=$pocl_icd")
fi
if [ -f "$oclgrind_lib" ]; then
    mkdir "$tmp/oclgrind-vendors"
    echo "$oclgrind_lib" >"$tmp/oclgrind-vendors/oclgrind.icd"
    runtimes+=(oclgrind)
    envs+=("OCL_ICD_VENDORS=$tmp/oclgrind-vendors")
fi
if [ -f "$rusticl_icd" ]; then
    runtimes+=(rusticl)
    envs+=("RUSTICL_ENABLE=llvmpipe OCL_ICD_VENDORS=$rusticl_icd")
fi
if [ ${#runtimes[@]} -eq 0 ]; then
    echo "$0: none of POCL, Oclgrind and Rusticl is installed" >&2
    exit 2
fi

# What each runtime calls itself (when clinfo is installed).
if command -v clinfo >/dev/null 2>&1; then
    for i in "${!runtimes[@]}"; do
        # shellcheck disable=SC2086 # envs[i] is a list of words
        version=$(env ${envs[$i]} clinfo --raw --prop CL_DRIVER_VERSION 2>/dev/null |
            sed -n '1s/^[^ ]* *CL_DRIVER_VERSION *//p')
        echo "${runtimes[$i]}: driver version ${version:-unknown}"
    done
    echo
fi

status=0
notes=()
declare -A cell
for exe in "${probes[@]}"; do
    quirk=${exe##*/probe-}
    for i in "${!runtimes[@]}"; do
        answers=()
        for ((run = 0; run < runs; run++)); do
            # shellcheck disable=SC2086 # envs[i] is a list of words
            line=$(env ${envs[$i]} timeout -k 5 60 "$exe" 2>"$tmp/stderr")
            rc=$?
            if [ $rc -eq 2 ]; then
                answer=unusable
            elif [ $rc -ne 0 ]; then
                answer=fail:$rc
            else
                case $line in
                "$quirk yes" | "$quirk no") answer=${line#"$quirk "} ;;
                "$quirk unknown"*)
                    answer=unknown
                    notes+=("$quirk on ${runtimes[$i]}: ${line#"$quirk "}")
                    ;;
                *)
                    answer=fail:output
                    notes+=("$quirk on ${runtimes[$i]}: unexpected output: $line")
                    ;;
                esac
            fi
            case $answer in
            yes | no | unknown) ;;
            *)
                status=1
                if [ -s "$tmp/stderr" ]; then
                    notes+=("$quirk on ${runtimes[$i]}: stderr: $(tail -n 3 "$tmp/stderr" | tr '\n' ' ')")
                fi
                ;;
            esac
            answers+=("$answer")
        done
        # One answer if all runs agree, else each with its count.
        summary=$(printf '%s\n' "${answers[@]}" | sort | uniq -c |
            awk '{ n++; s = s (s ? "/" : "") $2 ":" $1 } END { if (n == 1) sub(/:[0-9]+$/, "", s); print s }')
        cell[$quirk,$i]=$summary
    done
done

width=5
for exe in "${probes[@]}"; do
    quirk=${exe##*/probe-}
    [ "${#quirk}" -gt "$width" ] && width=${#quirk}
done
printf "%-${width}s" quirk
for runtime in "${runtimes[@]}"; do
    printf "  %-10s" "$runtime"
done
echo
for exe in "${probes[@]}"; do
    quirk=${exe##*/probe-}
    printf "%-${width}s" "$quirk"
    for i in "${!runtimes[@]}"; do
        printf "  %-10s" "${cell[$quirk,$i]}"
    done
    echo
done
if [ ${#notes[@]} -gt 0 ]; then
    echo
    printf '%s\n' "${notes[@]}" | sort -u
fi
exit $status
