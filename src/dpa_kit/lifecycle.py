"""The life of a convention: draft, sent for signature, signed, ended, attestation received.

Each step is a ledger event on the convention's id (``convention.sent``, ``convention.signed``,
``convention.ended``; the attestation is the ``attestation.recorded`` event of :mod:`dpa_kit.attest`), so the
state of every convention is derived from the chain, never stored beside it. Signing keeps the signed PDF
read-only under ``<registers>/signed/<id>/``, records its SHA-256 and makes the convention file read-only too:
the text that was signed no longer changes (:func:`dpa_kit.questionnaire.edit_convention` refuses it).
``by`` is the actor's pseudonymous subject (``user:12``, ``cli``), never a name.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import IO, Any

from dpa_kit import clock
from dpa_kit.exceptions import InvalidValue, UsageError
from dpa_kit.ledger import Event, Ledger

__all__ = [
    "MAX_SIGNED_BYTES",
    "ConventionState",
    "Stage",
    "mark_ended",
    "mark_sent",
    "record_signed",
    "state",
    "states",
]

MAX_SIGNED_BYTES = 50_000_000
_CHUNK = 1 << 20
_READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH


class Stage(str, Enum):
    """Where a convention stands; the order is the order of its life."""

    draft = "draft"
    sent = "sent"
    signed = "signed"
    ended = "ended"
    attestation_received = "attestation_received"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Stage.draft: "brouillon",
    Stage.sent: "envoyée pour signature",
    Stage.signed: "signée",
    Stage.ended: "terminée",
    Stage.attestation_received: "attestation reçue",
}
_ORDER = list(Stage)
_KINDS = {
    "convention.sent": Stage.sent,
    "convention.signed": Stage.signed,
    "convention.ended": Stage.ended,
    "attestation.recorded": Stage.attestation_received,
}


@dataclass
class ConventionState:
    """The stage of one convention and the instant of each step reached (UTC)."""

    convention_id: str
    stage: Stage = Stage.draft
    instants: dict[Stage, datetime] = field(default_factory=dict)
    signed_sha256: str | None = None
    signed_file: str | None = None

    @property
    def label(self) -> str:
        return self.stage.label


def _fold(convention_id: str, events: Iterable[Event]) -> ConventionState:
    current = ConventionState(convention_id)
    for event in events:
        stage = _KINDS.get(event.kind)
        if stage is None:
            continue
        current.instants[stage] = event.at
        if _ORDER.index(stage) > _ORDER.index(current.stage):
            current.stage = stage
        if stage is Stage.signed:
            current.signed_sha256 = event.payload.get("sha256")
            current.signed_file = event.payload.get("stored")
    return current


def state(ledger: Ledger | None, convention_id: str) -> ConventionState:
    """The state of one convention (a draft when the ledger knows nothing of it)."""
    if ledger is None:
        return ConventionState(convention_id)
    return _fold(convention_id, ledger.events(subject=convention_id))


def states(ledger: Ledger | None, convention_ids: Iterable[str]) -> dict[str, ConventionState]:
    """The state of each convention, read from the chain once (for the dashboard and the list)."""
    wanted = list(convention_ids)
    if ledger is None:
        return {cid: ConventionState(cid) for cid in wanted}
    by_subject: dict[str, list[Event]] = {cid: [] for cid in wanted}
    for prefix in ("convention.", "attestation.recorded"):
        for event in ledger.events(kind_prefix=prefix):
            if event.subject in by_subject:
                by_subject[event.subject].append(event)
    return {cid: _fold(cid, sorted(events, key=lambda e: e.seq)) for cid, events in by_subject.items()}


def _require(ledger: Ledger, convention_id: str, allowed: set[Stage], action: str) -> ConventionState:
    current = state(ledger, convention_id)
    if current.stage not in allowed:
        raise InvalidValue(f"convention {convention_id} {current.label} : impossible de la {action}", "stage")
    return current


def mark_sent(ledger: Ledger, convention_id: str, *, by: str, now: datetime | None = None) -> ConventionState:
    """Record that the convention was sent to the structure for signature (only from a draft)."""
    _require(ledger, convention_id, {Stage.draft}, "marquer envoyée pour signature")
    ledger.append("convention.sent", convention_id, {"by": by}, at=now or clock.now())
    return state(ledger, convention_id)


def record_signed(
    ledger: Ledger,
    registers: Path,
    convention_path: Path,
    convention_id: str,
    source: IO[bytes],
    *,
    by: str,
    now: datetime | None = None,
    max_bytes: int = MAX_SIGNED_BYTES,
) -> ConventionState:
    """Keep the signed PDF read from ``source`` read-only, record its SHA-256, make the convention read-only."""
    _require(ledger, convention_id, {Stage.draft, Stage.sent}, "marquer signée")
    folder = Path(registers) / "signed" / convention_id
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / ".signed.pdf.part"
    digest = hashlib.sha256()
    size = 0
    try:
        with temp.open("wb") as target:
            first = True
            while chunk := source.read(_CHUNK):
                if first and not chunk.startswith(b"%PDF-"):
                    raise InvalidValue("le fichier signé n'est pas un PDF", "signed_pdf")
                first = False
                size += len(chunk)
                if size > max_bytes:
                    raise InvalidValue(f"PDF signé trop gros ({max_bytes // 1_000_000} Mo au plus)", "signed_pdf")
                digest.update(chunk)
                target.write(chunk)
        if size == 0:
            raise InvalidValue("le fichier signé est vide", "signed_pdf")
        sha256 = digest.hexdigest()
        stored = folder / f"{sha256[:16]}-signee.pdf"
        os.chmod(temp, _READ_ONLY)
        os.replace(temp, stored)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    try:
        os.chmod(convention_path, _READ_ONLY)
    except OSError as exc:
        raise UsageError(
            f"{convention_path} : impossible de protéger la convention en écriture ({exc.strerror})"
        ) from exc
    payload: dict[str, Any] = {"by": by, "sha256": sha256, "size": size, "stored": str(stored.relative_to(registers))}
    ledger.append("convention.signed", convention_id, payload, at=now or clock.now())
    return state(ledger, convention_id)


def mark_ended(ledger: Ledger, convention_id: str, *, by: str, now: datetime | None = None) -> ConventionState:
    """Record that the convention has ended (only once signed); the attestation then becomes due."""
    _require(ledger, convention_id, {Stage.signed}, "marquer terminée")
    ledger.append("convention.ended", convention_id, {"by": by}, at=now or clock.now())
    return state(ledger, convention_id)
