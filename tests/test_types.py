"""The source is type-checked (mypy --strict, with the pydantic plugin), as the conventions ask."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_mypy_strict_on_src() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy", "src"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
