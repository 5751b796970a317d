"""Reminders before breach deadlines: each threshold once, recorded in the ledger, through a real SMTP server."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from helpers import run

from dpa_kit import breach as breaches
from dpa_kit.accounts import Accounts, Policy, web_database_path
from dpa_kit.ledger import Ledger
from dpa_kit.reminders import due, send_due

BETHUNE = "2026-DPID-CCAS-BETHUNE-1.2"
AWARE = datetime(2026, 3, 28, 17, 0, tzinfo=UTC)  # 18:00 in Paris; deadline 29 March 19:00 (+02:00)
DEADLINE = AWARE + timedelta(hours=24)
DPO = "Delegue.Protection.Donnees@pasdecalais.fr"
STRUCTURE_DPO = "dpd@ccas-bethune.example"  # the structure's DPO in the convention


def _declare(ledger: Ledger) -> breaches.Breach:
    return breaches.declare(
        ledger,
        convention_id=BETHUNE,
        structure="CCAS de Béthune",
        delay_hours=24,
        aware_at=AWARE,
        details={"natures": ["confidentiality"], "description": "courriel mal adressé"},
    )


def _run(ledger: Ledger, registers: Path, now: datetime, outbox: list[EmailMessage]) -> list[Any]:
    reminders = due(ledger, registers, now=now)
    return send_due(ledger, reminders, now=now, sender="rgpd@pasdecalais.fr", send=outbox.append)


def test_structure_deadline_reminded_at_6_h_and_1_h_once_each(registers: Path, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    breach = _declare(ledger)
    outbox: list[EmailMessage] = []
    assert _run(ledger, registers, DEADLINE - timedelta(hours=6, minutes=1), outbox) == []
    sent = _run(ledger, registers, DEADLINE - timedelta(hours=5, minutes=30), outbox)
    assert [r.thresholds for r in sent] == [(6,)]
    assert outbox[0]["Subject"] == f"[Rappel] Violation {breach.id} : échéance dans moins de 6 heure(s)"
    assert outbox[0]["To"] == f"{DPO}, {STRUCTURE_DPO}"
    assert (
        "à notifier au Département avant le dimanche 29 mars 2026 à 19 h 00 (heure de Paris), il reste 5 h 30."
        in outbox[0].get_content()
    )
    assert _run(ledger, registers, DEADLINE - timedelta(hours=5), outbox) == []  # idempotent
    assert [r.thresholds for r in _run(ledger, registers, DEADLINE - timedelta(minutes=50), outbox)] == [(1,)]
    assert _run(ledger, registers, DEADLINE - timedelta(minutes=10), outbox) == []
    assert _run(ledger, registers, DEADLINE + timedelta(minutes=10), outbox) == []  # late: `breach list --overdue`
    assert len(outbox) == 2
    events = [e.payload for e in ledger.events(kind_prefix="reminder.")]
    assert events == [
        {"kind": "structure", "threshold": 6, "recipients": 2},
        {"kind": "structure", "threshold": 1, "recipients": 2},
    ]
    assert ledger.verify().ok


def test_a_late_run_sends_only_the_most_urgent_and_records_both(registers: Path, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    _declare(ledger)
    outbox: list[EmailMessage] = []
    sent = _run(ledger, registers, DEADLINE - timedelta(minutes=30), outbox)
    assert [r.thresholds for r in sent] == [(6, 1)] and len(outbox) == 1
    assert "moins de 1 heure(s)" in outbox[0]["Subject"]
    assert _run(ledger, registers, DEADLINE - timedelta(minutes=20), outbox) == []


def test_notified_or_closed_breaches_are_not_reminded(registers: Path, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    breach = _declare(ledger)
    breaches.record_notification(
        ledger,
        breach,
        sent_at=AWARE + timedelta(hours=2),
        message_id="<m@x>",
        to=DPO,
        complementary=False,
        delay_reason=None,
    )
    assert due(ledger, registers, now=DEADLINE - timedelta(hours=1)) == []


def test_cnil_deadline_reminded_to_the_dpo_at_24_h_and_6_h(registers: Path, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    received_at = AWARE + timedelta(hours=5)
    breach = breaches.receive(
        ledger,
        convention_id=BETHUNE,
        structure="CCAS de Béthune",
        delay_hours=24,
        aware_at=AWARE,
        received_at=received_at,
        details={"natures": ["integrity"]},
    )
    cnil = received_at + timedelta(hours=72)
    outbox: list[EmailMessage] = []
    assert _run(ledger, registers, cnil - timedelta(hours=25), outbox) == []
    assert [(r.kind, r.thresholds) for r in _run(ledger, registers, cnil - timedelta(hours=23), outbox)] == [
        ("cnil", (24,))
    ]
    assert "décision de notification à la CNIL à prendre" in outbox[0].get_content()
    breaches.record_cnil(
        ledger,
        breaches.get(ledger, breach.id),
        notified=False,
        at=None,
        reference=None,
        reason="risque improbable",
        delay_reason=None,
    )
    assert _run(ledger, registers, cnil - timedelta(hours=5), outbox) == []


def test_structure_accounts_receive_the_reminder(registers: Path, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    accounts = Accounts(web_database_path(ledger.path), ledger, Policy(argon2_time_cost=1, argon2_memory_kib=8192))
    accounts.add_user("secretariat@ccas-bethune.fr", "structure", "26620011900011", now=AWARE, actor="test")
    accounts.add_user("ancien@ccas-bethune.fr", "structure", "26620011900011", now=AWARE, actor="test")
    accounts.disable("ancien@ccas-bethune.fr", now=AWARE, actor="test")
    _declare(ledger)
    reminders = due(
        ledger,
        registers,
        now=DEADLINE - timedelta(hours=2),
        structure_addresses=lambda c: accounts.structure_addresses(c.processor.siret),
    )
    assert reminders[0].recipients == (DPO, STRUCTURE_DPO, "secretariat@ccas-bethune.fr")


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    from aiosmtpd.controller import Controller

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_remind_command_for_cron(registers: Path, tmp_path: Path, smtp: tuple[_Inbox, int]) -> None:
    inbox, port = smtp
    ledger = Ledger(tmp_path / "ledger.sqlite")
    breach = _declare(ledger)
    env = {"DPA_KIT_REGISTERS": str(registers), "DPA_KIT_LEDGER": str(ledger.path), "DPA_KIT_NOW": "2026-03-29T14:00"}
    result = run("remind", "--dry-run", env=env)
    assert (
        result.stdout
        == f"{breach.id} : rappel à 6 h de l'échéance, 2 destinataire(s)\n1 rappel(s) dû(s), rien envoyé.\n"
    )
    result = run("remind", env=env)
    assert result.exit_code == 2
    assert "Erreur : indiquez le serveur qui envoie les rappels" in result.stderr
    result = run("remind", "--smtp", f"smtp://127.0.0.1:{port}", "--from", "rgpd@pasdecalais.fr", env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{breach.id} : rappel à 6 h de l'échéance envoyé à 2 destinataire(s)\n1 rappel(s) envoyé(s).\n"
    )
    assert run("remind", "--smtp", f"smtp://127.0.0.1:{port}", env=env).stdout == "0 rappel(s) envoyé(s).\n"
    assert len(inbox.messages) == 1
    message = email.message_from_bytes(inbox.messages[0], policy=policy.default)
    assert message["To"] == f"{DPO}, {STRUCTURE_DPO}"
