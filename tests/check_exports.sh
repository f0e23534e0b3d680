#!/bin/sh
# The library exports exactly the committed list of ordo_* symbols.
set -eu
lib="$1"
expected="$2"
actual=$(nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' | sort)
outside=$(printf '%s\n' "$actual" | grep -v '^ordo_' || true)
if [ -n "$outside" ]; then
    echo "symbols outside ordo_:"; echo "$outside"; exit 1
fi
if ! printf '%s\n' "$actual" | diff -u "$expected" -; then
    echo "exports differ from $expected (update it when the ABI grows)"; exit 1
fi
echo "$(printf '%s\n' "$actual" | wc -l) symbols, all in $expected"
