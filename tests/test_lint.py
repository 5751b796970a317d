"""The linter and the formatter (ruff, configured in pyproject.toml) find nothing in the library and the tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def ruff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=REPO, capture_output=True, text=True, check=False)


def test_ruff_finds_nothing() -> None:
    result = ruff("check", "--no-cache", "--output-format", "concise", "src", "tests")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_code_is_formatted() -> None:
    result = ruff("format", "--no-cache", "--check", "src", "tests")
    assert result.returncode == 0, result.stdout + result.stderr
