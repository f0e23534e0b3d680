#!/usr/bin/env python3
"""Prints the names of the meson tests of a build directory whose command is
a program built there (not a script, not the compiler): the tests to run
under an exe_wrapper such as `meson test --setup valgrind`."""
import json
import os
import subprocess
import sys


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    tests = json.loads(subprocess.run(["meson", "introspect", build, "--tests"], check=True,
                                      capture_output=True, text=True).stdout)
    names = [t["name"] for t in tests
             if os.path.abspath(t["cmd"][0]).startswith(build + os.sep)]
    print(" ".join(sorted(names)))


if __name__ == "__main__":
    main()
