"""Small helpers shared by the tests (imported as ``from helpers import ...``)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from dpa_kit.cli import cli


def run(*args: str | Path, env: dict[str, str] | None = None, input: str | None = None) -> Result:
    """Invoke the CLI in-process, exactly as a user would type it."""
    runner = CliRunner()
    return runner.invoke(cli, [str(a) for a in args], env=env, input=input, catch_exceptions=False)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
