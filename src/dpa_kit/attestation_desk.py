"""Attestations of destruction handed in through the web: the signed file uploaded, the reminders sent.

The upload goes through :func:`dpa_kit.attest.record` (read-only copy, SHA-256 in the ledger), the same call
as ``dpa-kit attest record``; only a PDF or a scanned image is accepted. A reminder is the e-mail of
:func:`dpa_kit.attest.reminder`, handed to the mail server through the edge's ``send`` and recorded
(``attestation.reminded``) so the DPO's page shows when the last one went out.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import IO, Any

from dpa_kit import clock
from dpa_kit.attest import Due, record, reminder
from dpa_kit.exceptions import InvalidValue
from dpa_kit.ledger import Ledger
from dpa_kit.loader import LoadedConvention

__all__ = ["ACCEPTED", "MAX_ATTESTATION_BYTES", "last_reminders", "record_upload", "send_reminder"]

MAX_ATTESTATION_BYTES = 20_000_000
#: Signatures of the files accepted as a signed attestation, and their suffix.
ACCEPTED = {b"%PDF-": ".pdf", b"\x89PNG\r\n\x1a\n": ".png", b"\xff\xd8\xff": ".jpg"}


def _suffix(first: bytes) -> str:
    for magic, suffix in ACCEPTED.items():
        if first.startswith(magic):
            return suffix
    raise InvalidValue("l'attestation signée doit être un PDF, ou une photo (PNG, JPEG)", "file")


def record_upload(
    ledger: Ledger,
    registers: Path,
    loaded: LoadedConvention,
    source: IO[bytes],
    *,
    now: datetime | None = None,
    max_bytes: int = MAX_ATTESTATION_BYTES,
) -> dict[str, Any]:
    """Record the signed attestation read from ``source`` (kept read-only, SHA-256 in the ledger)."""
    first = source.read(1 << 20)
    if not first:
        raise InvalidValue("le fichier envoyé est vide", "file")
    suffix = _suffix(first)
    folder = Path(registers) / "attestations"
    folder.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=folder, prefix=".envoi-", suffix=".part")
    temp = Path(temp_name)
    named: Path | None = None
    try:
        size = len(first)
        with os.fdopen(fd, "wb") as handle:
            handle.write(first)
            while chunk := source.read(1 << 20):
                size += len(chunk)
                if size > max_bytes:
                    raise InvalidValue(f"fichier trop gros ({max_bytes // 1_000_000} Mo au plus)", "file")
                handle.write(chunk)
        # attest.record names the kept copy after the file: give it a plain name in a private folder.
        private = Path(tempfile.mkdtemp(dir=folder, prefix=".envoi-"))
        named = private / f"attestation-{loaded.convention.id}{suffix}"
        os.replace(temp, named)
        return record(ledger, Path(registers), loaded, named, received_at=now or clock.now())
    finally:
        temp.unlink(missing_ok=True)
        if named is not None:
            named.unlink(missing_ok=True)
            named.parent.rmdir()


def send_reminder(
    ledger: Ledger, due: Due, *, sender: str, send: Callable[[EmailMessage], None], by: str, now: datetime | None = None
) -> str:
    """E-mail the reminder of an overdue attestation and record it; return its Message-ID.

    ``send`` hands a message to the mail server the edge configured (for example
    ``lambda m: dpa_kit.mail.send(m, SmtpConfig(url))``); nothing is recorded if it raises.
    """
    if not due.overdue:
        raise InvalidValue(f"l'attestation de la convention {due.convention} n'est pas en retard", "convention")
    now = now or clock.now()
    message = reminder(due, sender, now)
    send(message)
    message_id = str(message["Message-ID"])
    ledger.append("attestation.reminded", due.convention, {"by": by, "message_id": message_id}, at=now)
    return message_id


def last_reminders(ledger: Ledger | None) -> dict[str, datetime]:
    """The instant of the last reminder sent for each convention."""
    if ledger is None:
        return {}
    return {event.subject: event.at for event in ledger.events(kind_prefix="attestation.reminded")}
