"""The command line: French messages, exit codes, no traceback, version, global options."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

from conftest import REGISTERS, REPO
from helpers import run, write

import dpa_kit


def test_version_agrees_with_pyproject() -> None:
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert dpa_kit.__version__ == declared
    result = run("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"dpa-kit {declared}"


def test_list_shows_every_example() -> None:
    result = run("list", REGISTERS)
    assert result.exit_code == 0, result.output
    assert "2026-FSL-ADIL-NUMERO-VERT" in result.output
    assert "CCAS de Béthune" in result.output
    assert "A / 1 / destruction" in result.output


def test_list_json() -> None:
    result = run("list", REGISTERS, "--format", "json")
    rows = json.loads(result.stdout)
    by_id = {row["id"]: row for row in rows}
    assert by_id["2026-FSL-ADIL-NUMERO-VERT"]["siret"] == "34309733300078"
    assert by_id["2026-DPID-CCAS-BETHUNE-1.2"]["subprocessing"] == "B"


def test_list_uses_registers_option_and_env(registers: Path) -> None:
    assert "ADIL" in run("--registers", registers, "list").output
    assert "ADIL" in run("list", env={"DPA_KIT_REGISTERS": str(registers)}).output


def test_list_with_a_bad_file_names_it_and_exits_2(tmp_path: Path) -> None:
    write(tmp_path / "ok.yaml", "format: dpa-kit/1\nid: OK\n")
    write(tmp_path / "mauvais.yaml", "format: dpa-kit/1\nid: KO\nperiod:\n  start: 2026-02-30\n")
    result = run("list", tmp_path)
    assert result.exit_code == 2
    assert "OK" in result.stdout
    assert (
        f"{tmp_path / 'mauvais.yaml'}, ligne 4 : Période d'application › début (period.start) : date impossible"
    ) in result.stderr
    assert "Traceback" not in result.output


def test_missing_folder_is_a_french_usage_error(tmp_path: Path) -> None:
    result = run("list", tmp_path / "absent")
    assert result.exit_code == 2
    assert result.stderr.startswith("Erreur : ")
    assert "dossier introuvable" in result.stderr


def test_unknown_option_is_in_french() -> None:
    result = run("list", "--formt", "json")
    assert result.exit_code == 2
    assert "option inconnue" in result.stderr
    assert "--help" in result.stderr


def test_schema_is_valid_json_schema_and_accepts_the_examples() -> None:
    import jsonschema
    import yaml

    schema = json.loads(run("schema").stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    example = yaml.safe_load((REGISTERS / "2026-FSL-ADIL-NUMERO-VERT.yaml").read_text())
    example = json.loads(json.dumps(example, default=str))
    assert list(validator.iter_errors(example)) == []
    example["security"]["option"] = 3
    assert list(validator.iter_errors(example))


def test_every_command_has_french_help_with_an_example() -> None:
    from dpa_kit.cli import cli

    def walk(group, prefix):
        for name, command in group.commands.items():
            yield (*prefix, name), command
            if hasattr(command, "commands"):
                yield from walk(command, (*prefix, name))

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for path, _command in walk(cli, ()):
        result = run(*path, "--help")
        assert result.exit_code == 0
        assert "Exemple" in result.output, path
        assert f"dpa-kit {' '.join(path)}" in readme, f"command {path} is not documented in README"


def test_python_dash_m_and_console_script_work() -> None:
    out = subprocess.run([sys.executable, "-m", "dpa_kit", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("dpa-kit ")


def test_internal_error_writes_a_crash_report_without_traceback(monkeypatch, tmp_path: Path) -> None:
    import dpa_kit.listing

    def boom(folder):
        raise RuntimeError(" ".join(["secret", "detail"]))  # built at run time, like data

    monkeypatch.setattr(dpa_kit.listing, "summarise", boom)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    result = run("list", REGISTERS)
    assert result.exit_code == 3
    assert "Erreur interne" in result.stderr
    assert "Traceback" not in result.output and "secret detail" not in result.output
    reports = list(tmp_path.glob("dpa-kit-crash-*.txt"))
    assert len(reports) == 1 and "RuntimeError" in reports[0].read_text()
    assert "secret detail" not in reports[0].read_text()  # messages may quote personal data: never written


def test_an_empty_folder_is_a_mistake_for_list_check_and_build(tmp_path: Path) -> None:
    empty = tmp_path / "vide"
    empty.mkdir()
    for args in (("list", empty), ("check", empty), ("build", empty, "-o", tmp_path / "out")):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "aucune convention (fichier .yaml) dans ce dossier" in result.stderr
    assert not (tmp_path / "out" / "index.html").exists()
