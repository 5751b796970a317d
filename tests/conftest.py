"""Shared fixtures: an isolated environment, a temporary registers folder, interop helpers."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REGISTERS = REPO / "registers"
ADIL = REGISTERS / "2026-FSL-ADIL-NUMERO-VERT.yaml"
BETHUNE = REGISTERS / "2026-DPID-CCAS-BETHUNE-1.2.yaml"
REQUIRE_INTEROP = os.environ.get("DPA_KIT_REQUIRE_INTEROP") == "1"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test sees the developer's HOME or DPA_KIT_* settings."""
    for name in list(os.environ):
        if name.startswith("DPA_KIT_") and name != "DPA_KIT_REQUIRE_INTEROP":
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
    monkeypatch.setenv("TZ", "UTC")
    # Temporary files (crash reports of the tests that provoke one, spools...) stay in the test's folders.
    scratch = str(tmp_path_factory.mktemp("tmp"))
    monkeypatch.setenv("TMPDIR", scratch)
    monkeypatch.setattr(tempfile, "tempdir", scratch)


@pytest.fixture
def registers(tmp_path: Path) -> Path:
    """A copy of the example registers folder that a test may modify."""
    target = tmp_path / "registers"
    shutil.copytree(REGISTERS, target)
    return target


@pytest.fixture
def env(registers: Path, tmp_path: Path) -> dict[str, str]:
    """CLI environment variables pointing at the temporary registers folder and a fresh ledger."""
    return {"DPA_KIT_REGISTERS": str(registers), "DPA_KIT_LEDGER": str(tmp_path / "ledger.sqlite")}


def require_program(*names: str) -> str:
    """The first of ``names`` found on PATH; skip (or fail in CI) when none is installed."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    message = f"outside program not installed: {' or '.join(names)}"
    if REQUIRE_INTEROP:
        pytest.fail(message + " (DPA_KIT_REQUIRE_INTEROP=1 turns this skip into a failure)")
    pytest.skip(message)
