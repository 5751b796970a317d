"""The structure's register on the server: security headings, uploaded spreadsheet, review by the DPO."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from dpa_kit import register_workspace as rw
from dpa_kit.exceptions import ConventionError, InvalidValue
from dpa_kit.ledger import Ledger
from dpa_kit.register import SECURITY_HEADINGS
from dpa_kit.register_sheet import export
from dpa_kit.register_workspace import ReviewStatus

# The ADIL's convention has security option 1: its register's security headings start empty. (The CCAS de
# Béthune's, option 2, arrive filled from its « annexe Sécurité et Confidentialité ».)
SIRET = "34309733300078"
CID = "2026-FSL-ADIL-NUMERO-VERT"
OTHER_SIRET = "26620011900011"
FILLED = {key: f"mesure {n}" for n, key in enumerate(SECURITY_HEADINGS)}


def test_an_option_2_register_arrives_with_its_security_headings_filled(registers: Path) -> None:
    assert rw.completeness(rw.structure_register(registers, OTHER_SIRET)) == (4, 4)


def test_the_register_is_prefilled_then_its_security_headings_saved(registers: Path) -> None:
    register = rw.structure_register(registers, SIRET)
    assert [c.convention for _, c in register.categories()] == [CID]
    assert rw.completeness(register) == (0, 4)
    assert not rw.register_path(registers, SIRET).exists()
    rw.save_security(registers, SIRET, CID, {"pseudonymisation_encryption": "postes chiffrés"})
    again = rw.structure_register(registers, SIRET)
    assert again.categories()[0][1].security.pseudonymisation_encryption == "postes chiffrés"
    assert rw.completeness(again) == (1, 4)
    with pytest.raises(InvalidValue, match="pas de traitement pour la convention AUTRE"):
        rw.save_security(registers, SIRET, "AUTRE", {"regular_testing": "x"})
    assert set(rw.CNIL_EXAMPLES) == set(SECURITY_HEADINGS)


def test_an_uploaded_sheet_with_a_wrong_cell_is_refused_cell_by_cell(registers: Path) -> None:
    from openpyxl import load_workbook

    data = export(rw.structure_register(registers, SIRET), "xlsx")
    book = load_workbook(io.BytesIO(data))
    book["Traitements"]["K2"] = "destructoin"
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(ConventionError) as caught:
        rw.import_upload(registers, SIRET, io.BytesIO(out.getvalue()), "mon-registre.xlsx")
    problem = caught.value.problems[0]
    assert str(problem.file) == "mon-registre.xlsx"
    assert "feuille Traitements, cellule K2 : valeur « destructoin » non reconnue" in problem.message
    assert not rw.register_path(registers, SIRET).exists()
    with pytest.raises(InvalidValue, match=r"\.xlsx ou \.ods"):
        rw.import_upload(registers, SIRET, io.BytesIO(data), "registre.pdf")
    rw.import_upload(registers, SIRET, io.BytesIO(data), "registre.xlsx")
    assert rw.register_path(registers, SIRET).is_file()


def test_an_uploaded_register_of_another_structure_is_refused(registers: Path) -> None:
    data = export(rw.structure_register(registers, SIRET), "xlsx")
    with pytest.raises(InvalidValue, match=f"SIRET {SIRET}, pas le vôtre"):
        rw.import_upload(registers, OTHER_SIRET, io.BytesIO(data), "r.xlsx")


def test_review_finished_sent_back_finished_checked(registers: Path, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    with pytest.raises(InvalidValue, match="4 rubrique\\(s\\) de sécurité à remplir"):
        rw.mark_finished(ledger, registers, SIRET, by="user:2")
    rw.save_security(registers, SIRET, CID, FILLED)
    with pytest.raises(InvalidValue, match="seul un registre terminé"):
        rw.mark_checked(ledger, SIRET, by="user:1")
    assert rw.mark_finished(ledger, registers, SIRET, by="user:2").status is ReviewStatus.finished
    with pytest.raises(InvalidValue, match="message manquant"):
        rw.send_back(ledger, SIRET, "  ", by="user:1")
    back = rw.send_back(ledger, SIRET, "Précisez la fréquence des sauvegardes.", by="user:1")
    assert back.status is ReviewStatus.sent_back and back.message == "Précisez la fréquence des sauvegardes."
    rw.mark_finished(ledger, registers, SIRET, by="user:2")
    done = rw.mark_checked(ledger, SIRET, by="user:1")
    assert done.status.label == "vérifié par le DPO" and done.message is None
    assert [s for s, _ in done.history] == [
        ReviewStatus.finished,
        ReviewStatus.sent_back,
        ReviewStatus.finished,
        ReviewStatus.checked,
    ]
    assert list(rw.reviews(ledger)) == [SIRET]
    with pytest.raises(InvalidValue, match="SIRET"):
        rw.register_path(registers, "../../x")
