"""Attestations handed in through the web: the upload recorded as ``attest record`` does, reminders sent."""

from __future__ import annotations

import hashlib
import io
import os
import socket
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dpa_kit import attest, attestation_desk
from dpa_kit.exceptions import InvalidValue
from dpa_kit.ledger import Ledger
from dpa_kit.loader import find_convention
from dpa_kit.mail import SmtpConfig, send

CID = "2026-DPID-CCAS-BETHUNE-1.2"
SIGNED = b"%PDF-1.4\nattestation signee\n%%EOF\n"


def test_an_uploaded_attestation_is_recorded_read_only_with_its_sha256(registers: Path, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    loaded = find_convention(registers, CID)
    payload = attestation_desk.record_upload(ledger, registers, loaded, io.BytesIO(SIGNED))
    assert payload["sha256"] == hashlib.sha256(SIGNED).hexdigest()
    kept = registers / payload["stored"]
    assert kept.read_bytes() == SIGNED and not os.stat(kept).st_mode & 0o222
    assert kept.name.endswith(f"attestation-{CID}.pdf")
    # Nothing else is left in the attestations folder (no upload in progress).
    assert sorted(p.relative_to(registers / "attestations") for p in (registers / "attestations").rglob("*")) == [
        Path(CID),
        kept.relative_to(registers / "attestations"),
    ]
    assert attest.recorded_attestations(ledger)[CID]["sha256"] == payload["sha256"]


@pytest.mark.parametrize(("data", "message"), [(b"", "vide"), (b"<html>", "doit être un PDF")])
def test_an_upload_that_is_not_an_attestation_is_refused(
    registers: Path, tmp_path: Path, data: bytes, message: str
) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    with pytest.raises(InvalidValue, match=message):
        attestation_desk.record_upload(ledger, registers, find_convention(registers, CID), io.BytesIO(data))
    assert attest.recorded_attestations(ledger) == {}


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 Message accepted"


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


def test_the_dpo_sends_the_reminder_of_an_overdue_attestation(
    registers: Path, tmp_path: Path, smtp: tuple[_Inbox, int]
) -> None:
    inbox, port = smtp
    ledger = Ledger(tmp_path / "ledger.sqlite")
    due = {d.convention: d for d in attest.owed(registers, ledger, date(2027, 3, 1))}[CID]
    assert due.overdue
    server = SmtpConfig(f"smtp://127.0.0.1:{port}")
    message_id = attestation_desk.send_reminder(
        ledger, due, sender="dpo@pasdecalais.example", send=lambda m: send(m, server), by="user:1"
    )
    assert len(inbox.messages) == 1 and message_id.encode() in inbox.messages[0]
    assert b"To: dpd@ccas-bethune.example" in inbox.messages[0]
    assert list(attestation_desk.last_reminders(ledger)) == [CID]
    not_late = {d.convention: d for d in attest.owed(registers, ledger, date(2027, 1, 5))}[CID]
    with pytest.raises(InvalidValue, match="n'est pas en retard"):
        attestation_desk.send_reminder(
            ledger, not_late, sender="dpo@pasdecalais.example", send=lambda m: send(m, server), by="user:1"
        )
