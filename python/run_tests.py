"""Runs the binding's pytest suite for `meson test`, or reports it skipped
(exit status 77) with the reason when the interpreter lacks what it needs."""
import importlib.util
import os
import sys

NEEDED = {"pytest": "python3-pytest", "pytest_asyncio": "python3-pytest-asyncio",
          "pyopencl": "python3-pyopencl", "numpy": "python3-numpy"}


def main():
    missing = []
    for module, package in NEEDED.items():
        if importlib.util.find_spec(module) is None:
            missing.append(f"{module} (Debian package {package})")
    if missing:
        print(f"SKIP: {sys.executable} cannot import " + ", ".join(missing) +
              "; tools/setup-debian.sh installs them", flush=True)
        return 77
    import pytest
    here = os.path.dirname(os.path.abspath(__file__))
    return pytest.main(["-c", os.path.join(here, "pytest.ini"), "--rootdir", here, "-rs", "-v",
                        os.path.join(here, "tests"), *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
