"""The annex and build commands: one file or a whole folder, failures reported, others still built."""

from __future__ import annotations

from pathlib import Path

from conftest import ADIL
from helpers import run, write

from dpa_kit.written import MANIFEST


def test_annex_command_writes_the_requested_formats(tmp_path: Path) -> None:
    result = run("annex", ADIL, "--format", "md,pdf", "-o", tmp_path)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != MANIFEST) == [
        "2026-FSL-ADIL-NUMERO-VERT.annexe1.md",
        "2026-FSL-ADIL-NUMERO-VERT.annexe1.pdf",
    ]
    assert "Écrit :" in result.stdout


def test_annex_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    result = run("annex", ADIL, "--format", "rtf", "-o", tmp_path)
    assert result.exit_code == 2
    assert "format(s) inconnu(s) : rtf" in result.stderr


def test_annex_refuses_an_incomplete_convention_and_lists_what_is_missing(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "format: dpa-kit/1\nid: INCOMPLETE\nsecurity:\n  option: 1\n")
    result = run("annex", path, "-o", tmp_path / "out", "--format", "md")
    assert result.exit_code == 1
    assert "la convention INCOMPLETE n'est pas prête à signer" in result.stderr
    assert (
        "  - C101 Traitement › service fourni (processing.service) : réponse manquante : indiquez le service fourni"
    ) in result.stderr
    assert "--draft" in result.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    drafted = run("annex", path, "-o", tmp_path / "out", "--format", "md", "--draft")
    assert drafted.exit_code == 0
    text = (tmp_path / "out" / "INCOMPLETE.annexe1.md").read_text(encoding="utf-8")
    assert text.startswith("**PROJET") and "[À COMPLÉTER\u00a0: le service]" in text


def test_build_renders_every_convention_and_an_index(registers: Path, tmp_path: Path) -> None:
    out = tmp_path / "annexes"
    result = run("--registers", registers, "build", "-o", out, "-j", "2")
    assert result.exit_code == 0, result.output
    assert "2 annexe(s) produite(s)" in result.stdout
    names = {p.name for p in out.iterdir()}
    for cid in ("2026-FSL-ADIL-NUMERO-VERT", "2026-DPID-CCAS-BETHUNE-1.2"):
        for fmt in ("md", "html", "docx", "odt", "pdf"):
            assert f"{cid}.annexe1.{fmt}" in names
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="2026-FSL-ADIL-NUMERO-VERT.annexe1.pdf"' in index


def test_build_reports_failures_and_still_renders_the_others(registers: Path, tmp_path: Path) -> None:
    write(registers / "casse.yaml", "format: dpa-kit/1\nid: CASSE\nperiod:\n  start: 2026-02-30\n")
    write(registers / "incomplete.yaml", "format: dpa-kit/1\nid: INCOMPLETE\n")
    out = tmp_path / "annexes"
    result = run("build", registers, "-o", out, "--format", "md")
    assert result.exit_code == 1
    assert "2 annexe(s) produite(s)" in result.stdout
    assert "2 convention(s) non produite(s)" in result.stderr
    assert "casse.yaml" in result.stderr and "date impossible" in result.stderr
    assert "incomplete.yaml" in result.stderr and "n'est pas prête à signer" in result.stderr
    assert (out / "2026-FSL-ADIL-NUMERO-VERT.annexe1.md").is_file()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Non produites" in index and "casse.yaml" in index


def test_build_is_reproducible(registers: Path, tmp_path: Path) -> None:
    run("build", registers, "-o", tmp_path / "a", "-j", "1")
    run("build", registers, "-o", tmp_path / "b", "-j", "2")
    for first in (tmp_path / "a").iterdir():
        assert first.read_bytes() == (tmp_path / "b" / first.name).read_bytes(), first.name


def test_build_never_replaces_an_annex_edited_by_hand_without_force(registers: Path, tmp_path: Path) -> None:
    out = tmp_path / "annexes"
    assert run("build", registers, "-o", out, "--format", "md,docx", "-j", "1").exit_code == 0
    # unchanged since dpa-kit wrote them: a second build replaces them quietly
    assert run("build", registers, "-o", out, "--format", "md,docx", "-j", "1").exit_code == 0
    edited = out / "2026-FSL-ADIL-NUMERO-VERT.annexe1.docx"
    edited.write_bytes(edited.read_bytes() + b"edited by hand")
    before = edited.read_bytes()
    result = run("build", registers, "-o", out, "--format", "md,docx", "-j", "1")
    assert result.exit_code == 2
    assert "non remplacé(s)" in result.stderr and edited.name in result.stderr and "--force" in result.stderr
    assert edited.read_bytes() == before
    result = run("build", registers, "-o", out, "--format", "md,docx", "-j", "1", "--force")
    assert result.exit_code == 0, result.output
    assert edited.read_bytes() != before


def test_annex_output_with_one_format_and_a_file_name_writes_that_file(tmp_path: Path) -> None:
    target = tmp_path / "out.md"
    result = run("annex", ADIL, "--format", "md", "-o", target)
    assert result.exit_code == 0, result.output
    assert target.is_file() and "Convention «\u202fMission prévention" in target.read_text(encoding="utf-8")
    result = run("annex", ADIL, "--format", "pdf", "-o", tmp_path / "autre.md")
    assert result.exit_code == 2 and "ne correspond pas au format" in result.stderr
    target.write_text("à la main", encoding="utf-8")
    result = run("annex", ADIL, "--format", "md", "-o", target)
    assert result.exit_code == 2 and target.read_text(encoding="utf-8") == "à la main"
    assert run("annex", ADIL, "--format", "md", "-o", target, "--force").exit_code == 0


def test_build_never_replaces_a_security_annex_edited_by_hand(registers: Path, tmp_path: Path) -> None:
    out = tmp_path / "annexes"
    assert run("build", registers, "-o", out, "--format", "md", "-j", "1").exit_code == 0
    edited = out / "2026-DPID-CCAS-BETHUNE-1.2.annexe-securite.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nRetouche.\n", encoding="utf-8")
    result = run("build", registers, "-o", out, "--format", "md", "-j", "1")
    assert result.exit_code == 2 and edited.name in result.stderr
    assert edited.read_text(encoding="utf-8").endswith("Retouche.\n")
