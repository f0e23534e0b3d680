"""The README's Python example runs as printed (extracted here, so it cannot drift)."""
import os
import re
import subprocess
import sys

import pytest

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")


def python_blocks():
    if not os.path.exists(README):
        return []
    with open(README, encoding="utf-8") as f:
        return re.findall(r"^```python\n(.*?)^```", f.read(), flags=re.S | re.M)


def test_the_readme_has_a_python_example():
    if not os.path.exists(README):
        pytest.skip("README.md is not beside this source tree")
    assert python_blocks(), "no ```python block in README.md"


@pytest.mark.parametrize("code", python_blocks())
def test_the_readme_example_runs(code, tmp_path):
    script = tmp_path / "example.py"
    script.write_text(code)
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            timeout=120, env=os.environ)
    assert result.returncode == 0, result.stderr
    assert "after the write" in result.stdout
