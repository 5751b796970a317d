"""French wording of numbers, dates and stored codes, where the library words facts for a reader."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from dpa_kit import breach as breaches
from dpa_kit.breach_register import register_rows
from dpa_kit.labels import breach_item, subjects_decision
from dpa_kit.ledger import Ledger
from dpa_kit.words import french_day, french_number

AWARE = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def test_the_severity_formula_reads_as_french_numbers() -> None:
    severity = breaches.assess(4, 0, "significant", "known", "none", "none", False)
    assert severity.explained == "score 3,25 = 4,0 × 0,75 + 0,25"
    assert french_number(-0.5) == "-0,5" and french_number(12) == "12"
    # A recorded assessment without its terms shows the score alone.
    assert breaches.Severity(0, 0, 0, 2.5, "moyen").explained == "score 2,5"


@pytest.mark.parametrize(
    ("given", "shown"),
    [("2026-12-02", "2 décembre 2026"), (date(2027, 1, 1), "1er janvier 2027"), ("demain matin", "demain matin")],
)
def test_a_day_reads_in_french(given: str | date, shown: str) -> None:
    assert french_day(given) == shown


def _story(tmp_path: Path) -> list[breaches.Breach]:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    first = breaches.receive(
        ledger,
        convention_id="2026-DPID-CCAS-BETHUNE-1.2",
        structure="CCAS de Béthune",
        delay_hours=24,
        aware_at=AWARE,
        received_at=AWARE,
        details={"natures": ["confidentiality"], "description": "liste envoyée", "cause": "misdirected"},
    )
    breaches.record_subjects(ledger, first, decision="to_inform", date="2026-12-02", channel="courrier", ground=None)
    breaches.record_severity(ledger, first, breaches.assess(4, 0, "significant", "known", "none", "none", False), {})
    second = breaches.receive(
        ledger,
        convention_id="2026-DPID-CCAS-BETHUNE-1.2",
        structure="CCAS de Béthune",
        delay_hours=24,
        aware_at=AWARE,
        received_at=AWARE,
        details={"natures": ["availability"], "description": "panne", "cause": "technical"},
    )
    breaches.record_subjects(ledger, second, decision="not_informed", date=None, channel=None, ground="no_high_risk")
    return list(breaches.all_breaches(ledger).values())


def test_the_breach_register_shows_no_stored_code(tmp_path: Path) -> None:
    headers, rows = register_rows(_story(tmp_path))
    first, second = (dict(zip(headers, row, strict=True)) for row in rows)
    assert first["Cause"] == "envoi au mauvais destinataire (courriel, courrier, fax)"
    assert (
        first["Information des personnes"] == "les personnes concernées vont être informées (2 décembre 2026, courrier)"
    )
    assert first["Gravité (ENISA)"] == "élevée (3,25)"
    assert second["Cause"] == "panne, erreur technique ou suppression accidentelle"
    assert second["Information des personnes"] == (
        "les personnes concernées ne seront pas informées : risque non élevé pour les droits et libertés (art. 34(1))"
    )
    codes = {"misdirected", "technical", "to_inform", "not_informed", "no_high_risk", "confidentiality", "2026-12-02"}
    for row in rows:
        assert not [cell for cell in row if isinstance(cell, str) and any(code in cell for code in codes)]


def test_a_value_the_questionnaire_does_not_know_is_shown_as_recorded() -> None:
    assert breach_item("cause", "erreur d'envoi (saisie libre)") == "erreur d'envoi (saisie libre)"
    assert breach_item("cause", None) is None and subjects_decision(None) is None
