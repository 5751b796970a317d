"""`dpa-kit check` imports only what checking needs: no template engine, no writer, no ledger, no web.

Start-up time itself is measured in ``benchmarks/run.py check`` (never in a test: the machine is shared);
this keeps the reason it is short from regressing. C122 finds the answers the annex needs without Jinja2
(``dpa_kit.documents.needs``), country names are not looked up (Babel) when nothing is written, and the
document writers, spreadsheets, cryptography and the web application are other commands' business.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ADIL, BETHUNE, REGISTERS

#: Packages (and dpa-kit modules) that ``dpa-kit check`` on conventions must not import.
NOT_ON_THE_CHECK_PATH = (
    "jinja2",
    "markupsafe",
    "babel",
    "markdown_it",
    "docx",
    "odfdo",
    "typst",
    "pypdf",
    "openpyxl",
    "rich",
    "cryptography",
    "pyrage",
    "pyzipper",
    "zxcvbn",
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlite3",
    "dpa_kit.documents.writers",
    "dpa_kit.documents.build",
    "dpa_kit.doccheck",
    "dpa_kit.ledger",
    "dpa_kit.breach",
    "dpa_kit.exchange",
    "dpa_kit.register",
    "dpa_kit.web",
    "dpa_kit.cli.breach",
    "dpa_kit.cli.ledger",
    "dpa_kit.cli.web",
)

_CHILD = """
import atexit, json, os, sys
atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.__stderr__))
atexit.register(lambda: print(json.dumps(os.environ.get("PYDANTIC_DISABLE_PLUGINS")), file=sys.__stderr__))
sys.argv = ["dpa-kit", *sys.argv[1:]]
from dpa_kit.cli import main
main()
"""


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, set[str], str | None]:
    """Exit code, modules imported at the end, and pydantic's plugin switch as the command left it."""
    result = subprocess.run([sys.executable, "-c", _CHILD, *args], capture_output=True, text=True, check=False, env=env)
    *_, plugins, modules = result.stderr.strip().splitlines()  # atexit runs the last registered first
    return result.returncode, set(json.loads(modules)), json.loads(plugins)


def _modules_after(*args: str) -> tuple[int, set[str]]:
    code, modules, _ = _run(*args)
    return code, modules


def _offending(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in NOT_ON_THE_CHECK_PATH))


@pytest.mark.parametrize("target", [ADIL, BETHUNE, REGISTERS], ids=["option-1", "option-2", "folder"])
def test_check_imports_only_what_checking_needs(target: Path) -> None:
    code, modules = _modules_after("check", str(target))
    assert code == 0
    assert "dpa_kit.checks" in modules  # it did check
    assert _offending(modules) == []


def test_check_with_findings_and_json_stays_light(tmp_path: Path) -> None:
    draft = tmp_path / "brouillon.yaml"
    text = BETHUNE.read_text(encoding="utf-8").replace("option: 2", "option: null")
    draft.write_text(text, encoding="utf-8")
    code, modules = _modules_after("check", "--format", "json", str(draft))
    assert code == 1  # C109: no security option
    assert _offending(modules) == []


def test_the_list_catches_what_building_imports(tmp_path: Path) -> None:
    code, modules = _modules_after("annex", str(ADIL), "-o", str(tmp_path), "--format", "md")
    assert code == 0
    assert "jinja2" in _offending(modules)


def test_no_pydantic_plugin_sees_the_conventions_unless_the_user_asks() -> None:
    environ = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    assert _run("check", str(ADIL), env=environ)[2] == "__all__"
    assert _run("check", str(ADIL), env={**environ, "PYDANTIC_DISABLE_PLUGINS": "logfire"})[2] == "logfire"
