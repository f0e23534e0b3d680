#!/bin/sh
# `meson install` into a staging prefix works, and a program builds against
# the installed headers and library through pkg-config.
set -eu
build="$1"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
meson setup "$stage/build" "$(dirname "$0")/.." --prefix="$stage/prefix" -Dtests=false -Dtools=false >/dev/null
meson install -C "$stage/build" >/dev/null
pcdir=$(dirname "$(find "$stage/prefix" -name ordo.pc)")
export PKG_CONFIG_PATH="$pcdir"
cat > "$stage/use.c" <<'C'
#include <ordo/ordo.h>
#include <stdio.h>
int main(void) {
    int major;
    ordo_version(&major, NULL, NULL);
    printf("installed ordo %d, header %d\n", major, ORDO_VERSION_MAJOR);
    return major == ORDO_VERSION_MAJOR ? 0 : 1;
}
C
# shellcheck disable=SC2046
cc -std=c99 -pedantic -Wall -Werror "$stage/use.c" -o "$stage/use" $(pkg-config --cflags --libs ordo)
LD_LIBRARY_PATH="$(pkg-config --variable=libdir ordo)" "$stage/use"
ls "$stage/prefix/include/ordo"
test -n "$build"
