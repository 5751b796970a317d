"""What is said of a recorded breach to each side, once for the terminal and the web pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from dpa_kit import breach as breaches
from dpa_kit.breach_facts import StructureDelay, closing_warnings, department_decisions, structure_delay
from dpa_kit.ledger import Ledger

AWARE = datetime(2026, 3, 28, 17, 0, tzinfo=UTC)


def _received(tmp_path: Path, after: timedelta) -> tuple[Ledger, breaches.Breach]:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    received = breaches.receive(
        ledger,
        convention_id="2026-DPID-CCAS-BETHUNE-1.2",
        structure="CCAS de Béthune",
        delay_hours=24,
        aware_at=AWARE,
        received_at=AWARE + after,
        details={"description": "courriel mal adressé", "delay_reason": "permanence fermée le week-end"},
    )
    return ledger, received


def test_a_late_notification_says_by_how_much_and_keeps_the_structures_reason(tmp_path: Path) -> None:
    _, received = _received(tmp_path, timedelta(hours=30, minutes=30))
    delay = structure_delay(received)
    assert delay is not None and delay.late
    assert delay.by == "6 h 30 min"
    assert delay.reasons == ["permanence fermée le week-end"]
    _, in_time = _received(tmp_path / "b", timedelta(hours=2))
    assert structure_delay(in_time) == StructureDelay(
        in_time.received_at or AWARE, late=False, by="", reasons=["permanence fermée le week-end"]
    )


def test_closing_without_the_art34_decision_asks_and_to_inform_only_recalls(tmp_path: Path) -> None:
    ledger, received = _received(tmp_path, timedelta(hours=2))
    kinds = [(w.kind, w.confirm) for w in closing_warnings(received)]
    assert kinds == [("pending", False), ("art34", True)]
    assert "décision CNIL" in closing_warnings(received)[0].text
    breaches.record_subjects(ledger, received, decision="to_inform", date="2026-04-02", channel="courrier", ground=None)
    [reminder] = [w for w in closing_warnings(breaches.get(ledger, received.id)) if w.kind != "pending"]
    assert (reminder.confirm, "(prévu le 2 avril 2026)" in reminder.text) == (False, True)


def test_the_structure_reads_the_decisions_not_the_dpos_rationale(tmp_path: Path) -> None:
    ledger, received = _received(tmp_path, timedelta(hours=2))
    assert department_decisions(received) == []
    breaches.record_cnil(
        ledger, received, notified=False, at=None, reference=None, reason="note interne du DPO", delay_reason=None
    )
    lines = department_decisions(breaches.get(ledger, received.id))
    assert [title for title, _ in lines] == ["CNIL"]
    assert "note interne" not in str(lines) and "ne pas notifier" in lines[0][1]
