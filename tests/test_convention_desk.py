"""The DPO's conventions for the web: list with readiness and stage, annex final or PROJET, form create/edit."""

from __future__ import annotations

import io
from pathlib import Path

from test_questionnaire import FORM

from dpa_kit import convention_desk as desk
from dpa_kit import lifecycle
from dpa_kit.ledger import Ledger
from dpa_kit.loader import find_convention, iter_folder, load_convention

ADIL = "2026-FSL-ADIL-NUMERO-VERT"


def test_the_list_gives_readiness_and_stage(registers: Path, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    lifecycle.mark_sent(ledger, ADIL, by="user:1")
    loaded = [r.loaded for r in iter_folder(registers) if r.loaded is not None]
    found = {row.id: row for row in desk.rows(loaded, ledger)}
    assert found[ADIL].ready and found[ADIL].state.label == "envoyée pour signature"
    assert found["2026-DPID-CCAS-BETHUNE-1.2"].state.label == "brouillon"


def test_a_form_with_errors_keeps_the_values_and_writes_nothing(registers: Path) -> None:
    result = desk.create_from_form(registers, {**FORM, "processor.siret": "34309733300077"})
    assert result.path is None and "clé de contrôle fausse" in result.errors["processor.siret"]
    assert result.texts["title"] == FORM["title"]
    assert not (registers / f"{FORM['id']}.yaml").exists()
    result = desk.create_from_form(registers, FORM)
    assert result.errors == {} and result.path == registers / f"{FORM['id']}.yaml"
    again = desk.create_from_form(registers, FORM)
    assert "existe déjà" in again.errors["id"]


def test_a_draft_annex_is_marked_projet_and_a_ready_one_is_final(registers: Path) -> None:
    incomplete = {**FORM, "processing.operations": "collecte"}
    path = desk.create_from_form(registers, incomplete).path
    assert path is not None
    data, name, final = desk.annex_document(load_convention(path), "md")
    assert final and name == f"{FORM['id']}.annexe1.md"
    text = path.read_text(encoding="utf-8").replace("  operations: collecte\n", "")
    path.write_text(text, encoding="utf-8")
    data, name, final = desk.annex_document(load_convention(path), "md")
    assert not final and name == f"{FORM['id']}.annexe1.PROJET.md" and "PROJET" in data.decode()


def test_editing_through_the_form_changes_only_what_was_edited(registers: Path, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    loaded = find_convention(registers, ADIL)
    texts = desk.form_texts(loaded.path)
    assert texts["processor.siret"] == "34309733300078" and texts["processor.dpo"] == "aucun"
    result = desk.edit_from_form(loaded, {**texts, "title": "Numéro vert 2027"}, ledger)
    assert result.errors == {}
    text = loaded.path.read_text(encoding="utf-8")
    assert "title: Numéro vert 2027" in text and "# L'annexe signée en 2026" in text
    assert load_convention(loaded.path).convention.processing.operations == loaded.convention.processing.operations
    bad = desk.edit_from_form(loaded, {**texts, "period.end": "01/01/2020"}, ledger)
    assert "précède le début" in bad.errors["period.end"]
    lifecycle.record_signed(ledger, registers, loaded.path, ADIL, io.BytesIO(b"%PDF-1.4 x"), by="user:1")
    signed = desk.edit_from_form(loaded, {**texts, "title": "Autre"}, ledger)
    assert signed.errors == {"": "convention signée : son texte ne change plus"}
