"""The DPO's overview says what is late (with the structure and by how much) and what is due soon."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dpa_kit import breach as breaches
from dpa_kit import clock, status
from dpa_kit.ledger import Ledger

BETHUNE = "2026-DPID-CCAS-BETHUNE-1.2"
AWARE = datetime(2026, 3, 28, 17, 0, tzinfo=UTC)


def _received_through_the_web(ledger: Ledger, hours_after_awareness: int) -> breaches.Breach:
    """A structure declares in the web application ``hours_after_awareness`` after becoming aware."""

    def notify(opened: breaches.Breach) -> dict[str, Any]:
        return {"message_id": "<m@x>", "to": "dpo@pasdecalais.fr", "delay_reason": "agent absent"}

    return breaches.receive(
        ledger,
        convention_id=BETHUNE,
        structure="CCAS de Béthune",
        delay_hours=24,
        aware_at=AWARE,
        received_at=AWARE + timedelta(hours=hours_after_awareness),
        details={"natures": ["confidentiality"], "description": "liste envoyée au mauvais destinataire"},
        notify=notify,
    )


def _overview(registers: Path, ledger: Ledger, at: datetime) -> dict[str, Any]:
    with clock.fixed(at):
        return status.overview(registers, ledger)


def test_a_notification_after_the_contractual_24_hours_is_late_apart_from_the_cnil_clock(
    registers: Path, tmp_path: Path
) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    breach = _received_through_the_web(ledger, 71)
    data = _overview(registers, ledger, AWARE + timedelta(hours=72))
    # The CNIL clock (72 h from the Département's awareness) is not late: the contractual notification is.
    assert [b["overdue"] for b in data["open_breaches"]] == [False]
    assert data["late"] == [breach.id]
    (item,) = data["late_items"]
    assert item["what"] == "contractual_notification" and item["structure"] == "CCAS de Béthune"
    assert item["late_by_minutes"] == 47 * 60
    assert "71 h 00 min après en avoir eu connaissance, au lieu de 24 h" in item["text"]
    assert "en retard de 47 h 00" in item["text"]
    assert data["headline"]["level"] == "late"
    text = status.render_text(data)
    assert "Rien en retard" not in text and f"{breach.id} (CCAS de Béthune) : notifiée au Département" in text
    page = status.render_html(data)
    assert "Rien en retard" not in page and '<p class="late">En retard : ' in page


def test_a_cnil_deadline_less_than_6_hours_away_is_said_soon_not_nothing_late(registers: Path, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    breach = _received_through_the_web(ledger, 5)  # notified in time: only the CNIL clock runs
    cnil_deadline = AWARE + timedelta(hours=5 + 72)
    calm = _overview(registers, ledger, cnil_deadline - timedelta(hours=30))
    assert calm["headline"] == {"level": "ok", "text": "Rien en retard."} and calm["soon"] == []
    data = _overview(registers, ledger, cnil_deadline - timedelta(hours=4, minutes=30))
    assert data["late"] == [] and data["headline"]["level"] == "soon"
    (item,) = data["soon"]
    assert item["subject"] == breach.id and item["structure"] == "CCAS de Béthune"
    assert "décision de notification à la CNIL (72 h) à prendre avant le" in item["text"]
    assert "(4 h 30 min restantes)" in item["text"]
    for shown in (status.render_text(data), status.render_html(data)):
        assert "Rien en retard" not in shown and "Bientôt (moins de 6 h) :" in shown
    # Once decided, the deadline no longer matters: nothing is late nor near.
    breaches.record_cnil(
        ledger, breach, notified=False, at=None, reference=None, reason="risque improbable", delay_reason=None
    )
    decided = _overview(registers, ledger, cnil_deadline - timedelta(hours=4))
    assert decided["headline"]["level"] == "ok" and [b["near"] for b in decided["open_breaches"]] == [False]
    assert "Rien en retard." in status.render_text(decided)


def test_a_late_notification_recorded_after_a_first_overview_shows_at_once(registers: Path, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    declared = breaches.declare(
        ledger,
        convention_id=BETHUNE,
        structure="CCAS de Béthune",
        delay_hours=24,
        aware_at=AWARE,
        details={"natures": ["confidentiality"], "description": "x"},
    )
    at = AWARE + timedelta(hours=30)
    assert [i["what"] for i in _overview(registers, ledger, at)["late_items"]] == ["notification"]
    breaches.record_notification(
        ledger,
        declared,
        sent_at=at,
        message_id="<n@x>",
        to="dpo@pasdecalais.fr",
        complementary=False,
        delay_reason="panne de messagerie",
    )
    later = _overview(registers, ledger, at + timedelta(minutes=1))
    assert [i["what"] for i in later["late_items"]] == ["contractual_notification"]
    assert "en retard de 6 h 00" in later["late_items"][0]["text"]


def test_the_summary_card_counts_a_late_notification_as_a_late_breach(registers: Path, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    _received_through_the_web(ledger, 71)
    page = status.render_html(_overview(registers, ledger, AWARE + timedelta(hours=72)))
    assert '<div class="card late"><p class="value">1</p><p>violations ouvertes</p>' in page
    assert '<p class="detail">1 en retard</p>' in page
