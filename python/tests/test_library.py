"""Finding and loading libordo, its version, and library errors as exceptions."""
import asyncio
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

import ordo
from ordo import _capi, errors

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_python(code, **env_changes):
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=60)


def test_the_version_is_the_one_this_binding_was_written_for():
    major, minor, patch = ordo.library_version()
    assert (major, minor) == (_capi.ABI_MAJOR, _capi.ABI_MINOR)
    if os.environ.get("ORDO_LIBRARY"):
        assert ordo.library_path == os.environ["ORDO_LIBRARY"]


@pytest.mark.parametrize("found", [(1, 0, 0), (0, 2, 9), (0, 4, 0)])
def test_a_version_mismatch_says_what_is_wrong(found):
    with pytest.raises(ordo.LibraryError) as info:
        _capi.check_version(found, "/somewhere/libordo.so.0")
    text = str(info.value)
    assert "/somewhere/libordo.so.0 is libordo " + ".".join(map(str, found)) in text
    assert "needs 0.3.x (before 1.0, each minor version has its own ABI)" in text
    assert isinstance(info.value, ImportError)


def test_any_patch_of_the_minor_version_is_accepted():
    _capi.check_version((0, 3, 0), "x")
    _capi.check_version((0, 3, 7), "x")


def test_importing_against_a_library_of_another_major_version_fails_clearly(tmp_path):
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        pytest.skip("no C compiler to build a stand-in library")
    source = tmp_path / "fake.c"
    source.write_text(textwrap.dedent("""\
        int ordo_version(int *major, int *minor, int *patch) {
            if (major) *major = 1;
            if (minor) *minor = 2;
            if (patch) *patch = 3;
            return 10203;
        }
        """))
    fake = tmp_path / "libordo.so.1"
    subprocess.run([compiler, "-shared", "-fPIC", "-o", str(fake), str(source)], check=True)
    result = run_python("import ordo", ORDO_LIBRARY=str(fake))
    assert result.returncode != 0
    assert f"{fake} is libordo 1.2.3, but this binding needs 0.3.x" in result.stderr
    assert "LibraryError" in result.stderr


def test_a_wrong_ordo_library_path_is_named():
    result = run_python("import ordo", ORDO_LIBRARY="/nonexistent/libordo.so.0")
    assert result.returncode != 0
    assert "ORDO_LIBRARY='/nonexistent/libordo.so.0' does not name a loadable libordo" \
        in result.stderr


def test_the_build_tree_is_searched_after_the_environment():
    candidates = _capi._build_tree_candidates()
    if not candidates:
        pytest.skip("the library was not built in a directory of this source tree")
    result = run_python("import ordo; print(ordo.library_path)", ORDO_LIBRARY=None)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == candidates[0]


@pytest.mark.skipif(_capi.packaged, reason="installed with pip: libordo is the package's own")
def test_the_system_paths_come_last(tmp_path):
    # No ORDO_LIBRARY, a copy of the package outside the source tree, and the
    # library's directory on LD_LIBRARY_PATH: found by dlopen's own search.
    shutil.copytree(os.path.join(PYTHON_DIR, "ordo"), tmp_path / "ordo")
    library_dir = os.path.dirname(os.path.realpath(ordo.library_path))
    env = dict(os.environ, PYTHONPATH=str(tmp_path), LD_LIBRARY_PATH=library_dir)
    env.pop("ORDO_LIBRARY", None)
    result = subprocess.run([sys.executable, "-c", "import ordo; print(ordo.library_path)"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "libordo.so.0"


def test_library_errors_carry_status_name_and_message():
    with pytest.raises(ordo.InvalidHandleError) as info:
        _capi.new_handle(_capi.ordo_resource_acquire, _capi.ordo_ticket, None)
    error = info.value
    assert error.status == -2 and error.name == "ORDO_ERROR_INVALID_HANDLE"
    assert error.message and not error.message.startswith("ORDO_")
    assert str(error) == f"ORDO_ERROR_INVALID_HANDLE: {error.message}"
    assert isinstance(error, ValueError) and isinstance(error, ordo.OrdoError)


def test_error_classes_follow_the_status():
    assert errors.error_class(-3) is ordo.InvalidStateError
    assert issubclass(ordo.InvalidStateError, asyncio.InvalidStateError)
    assert issubclass(ordo.OrdoTimeoutError, TimeoutError)
    assert errors.error_class(-8) is ordo.EventFailedError
    assert errors.error_class(-1005) is ordo.FailedError
    assert errors.error_class(-500) is ordo.OrdoError
    timeout = _capi.make_error(-4, "late")
    assert isinstance(timeout, TimeoutError) and str(timeout) == "ORDO_ERROR_TIMEOUT: late"
