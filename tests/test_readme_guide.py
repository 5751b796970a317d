"""The French guide of the README: every command block runs as written, in a copy of the project's examples."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO


def _guide() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    return readme.split("## Guide d'utilisation (en français)", 1)[1].split("\n## ", 1)[0]


def _blocks() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", _guide(), flags=re.S)


def test_the_guide_says_how_to_activate_the_environment_everywhere() -> None:
    guide = _guide()
    assert "source .venv/bin/activate" in guide and ".venv\\Scripts\\Activate.ps1" in guide
    assert ".venv/bin/dpa-kit" in guide
    for section in (
        "Préparer une convention",
        "Vérifier avant signature",
        "Produire les annexes",
        "registre",
        "chiffrés",
        "violation",
        "attestation",
        "Messages et codes de sortie",
    ):
        assert section in guide, section
    assert len(_blocks()) >= 10


def test_every_command_block_of_the_guide_runs_as_written(tmp_path: Path) -> None:
    work = tmp_path / "dpa-kit"
    work.mkdir()
    shutil.copytree(REPO / "registers", work / "registers", ignore=shutil.ignore_patterns("ledger.sqlite*"))
    (work / "beneficiaires.csv").write_text("nom;prénom\nDUPONT;Marie\n", encoding="utf-8")  # the structure's file
    env = {k: v for k, v in os.environ.items() if not k.startswith("DPA_KIT_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["DPA_KIT_NOW"] = "2026-11-30T10:00"  # the guide's breach is numbered V-2026-343097333-0001
    for block in _blocks():
        for line in block.splitlines():
            result = subprocess.run(
                ["bash", "-c", line], cwd=work, env=env, capture_output=True, text=True, timeout=300, check=False
            )
            assert result.returncode == 0, (line, result.stdout[-2000:], result.stderr[-2000:])
            assert "Erreur" not in result.stderr and "Traceback" not in result.stderr, (line, result.stderr)
    assert (work / "annexes" / "2026-FSL-ADIL-NUMERO-VERT.annexe1.pdf").is_file()
    assert (work / "annexe-adil.md").is_file() and (work / "registre-adil.xlsx").is_file()
    assert (work / "tableau-de-bord.html").is_file() and (work / "notification.eml").is_file()
