#!/usr/bin/env python3
"""Compiles and runs every ```c and ```cpp block of README.md against the
built library, so that the README's examples stay true."""
import os
import re
import subprocess
import sys
import tempfile


def main():
    readme, include_dir, lib_dir, cc, cxx = sys.argv[1:6]
    text = open(readme, encoding="utf-8").read()
    blocks = re.findall(r"^```(c|cpp)\n(.*?)^```", text, flags=re.S | re.M)
    if not blocks:
        print("no C or C++ examples in README.md")
        return 1
    env = dict(os.environ, LD_LIBRARY_PATH=lib_dir)
    with tempfile.TemporaryDirectory() as tmp:
        for index, (lang, code) in enumerate(blocks):
            source = os.path.join(tmp, f"example{index}.{'c' if lang == 'c' else 'cpp'}")
            binary = os.path.join(tmp, f"example{index}")
            with open(source, "w", encoding="utf-8") as f:
                f.write(code)
            if lang == "c":
                compile_cmd = [cc, "-std=c99", "-pedantic"]
            else:
                compile_cmd = [cxx, "-std=c++20"]
            compile_cmd += ["-Wall", "-Wextra", "-Werror", "-I", include_dir, source, "-o", binary,
                            "-L", lib_dir, "-lordo", "-lOpenCL"]
            # Sanitizer builds: the examples link the sanitizer runtime too.
            compile_cmd += os.environ.get("ORDO_EXAMPLE_FLAGS", "").split()
            result = subprocess.run(compile_cmd, capture_output=True, text=True)
            if result.returncode != 0:
                print(f"README {lang} example {index} does not compile:\n{result.stderr}")
                return 1
            run = subprocess.run([binary], capture_output=True, text=True, env=env, timeout=60)
            print(f"README {lang} example {index}: exit {run.returncode}: {run.stdout.strip()}")
            if run.returncode != 0:
                print(run.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
