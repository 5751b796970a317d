"""Deletion attestations: what each convention owes at its end, drafting it, recording it, chasing it.

A convention ends on ``period.end``; its attestation is due ``attestation_grace_days`` later (set in the
folder's ``defaults.yaml``). A received attestation is recorded in the ledger with its SHA-256 and size,
and a read-only copy is kept in ``<registers>/attestations/<convention id>/``, never modified.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from dpa_kit import clock
from dpa_kit.documents.attestation import render_attestation
from dpa_kit.documents.writers import write_rendered
from dpa_kit.exceptions import UsageError
from dpa_kit.fsutil import sha256_and_size
from dpa_kit.ledger import Ledger
from dpa_kit.loader import LoadedConvention, iter_folder, load_defaults
from dpa_kit.model import Convention
from dpa_kit.words import OVERDUE

__all__ = [
    "DIRECTIONS_FR",
    "Due",
    "draft",
    "due_date",
    "exchanges_for",
    "owed",
    "record",
    "recorded_attestations",
    "reminder",
    "verify",
]

DIRECTIONS_FR = {"packed": "envoi", "opened": "réception"}


@dataclass
class Due:
    """The attestation a convention owes."""

    convention: str
    structure: str | None
    end: date
    due_date: date
    days_overdue: int  # negative: days left before the due date
    recorded: dict[str, Any] | None
    contact: str | None
    #: False when the signed annex does not oblige the structure to justify the destruction in writing.
    owed_in_writing: bool = True
    #: What the convention's clause « Sort des données » asks (a FateAction value), None when not said.
    fate: str | None = None
    #: To whom the reminder is addressed when the structure has no DPO: its representative (« M. X, Président »).
    addressee: str | None = None

    @property
    def overdue(self) -> bool:
        return self.owed_in_writing and self.recorded is None and self.days_overdue > 0

    @property
    def state(self) -> str:
        """Where this attestation stands, in French."""
        if self.recorded:
            return "reçue"
        if not self.owed_in_writing:
            return "aucune attestation écrite n'est due (l'annexe signée ne l'exige pas)"
        if self.overdue:
            return f"{OVERDUE} de {self.days_overdue} jour(s)"
        if self.days_overdue < 0:
            return f"attendue dans {-self.days_overdue} jour(s)"
        return "attendue aujourd'hui"

    def as_json(self) -> dict[str, Any]:
        return {
            "convention": self.convention,
            "structure": self.structure,
            "end": self.end.isoformat(),
            "due_date": self.due_date.isoformat(),
            "days_overdue": max(0, self.days_overdue),
            "days_left": max(0, -self.days_overdue),
            "overdue": self.overdue,
            "recorded": self.recorded is not None,
            "contact": self.contact,
            "owed_in_writing": self.owed_in_writing,
        }


def reminder_address(convention: Convention) -> tuple[str | None, str | None]:
    """Where a reminder to the structure goes: its DPO's address, else its contact address for its representative.

    Returns (address, addressee): the addressee is named only when the letter does not go to the DPO.
    """
    processor = convention.processor
    if processor.dpo is not None and processor.dpo.email:
        return processor.dpo.email, None
    if processor.contact_email:
        person = processor.representative
        who = ", ".join(part for part in (person.name, person.role) if part) if person else ""
        return processor.contact_email, who or None
    return None, None


#: What the structure must do with the data, by the clause « Sort des données » (a FateAction value).
FATE_DUTY = {
    "destroy": "détruire les données à caractère personnel traitées pour le compte du Département",
    "return_to_controller": "renvoyer au Département les données à caractère personnel traitées pour son compte, "
    "puis détruire toutes les copies qu'il en détient",
    "return_to_third_party": "remettre au tiers désigné par le Département les données à caractère personnel "
    "traitées pour son compte, puis détruire toutes les copies qu'il en détient",
}
NO_ADDRESS = (
    "pas d'adresse de la structure : ni courriel du délégué (processor.dpo.email), ni courriel de "
    "contact (processor.contact_email)"
)


def due_date(end: date, grace_days: int) -> date:
    """The day the attestation is due: the end of the period plus the grace period (calendar days)."""
    return end + timedelta(days=grace_days)


def recorded_attestations(ledger: Ledger | None) -> dict[str, dict[str, Any]]:
    """The last recorded attestation of each convention."""
    if ledger is None:
        return {}
    return {event.subject: event.payload for event in ledger.events(kind_prefix="attestation.recorded")}


def owed(folder: Path, ledger: Ledger | None, today: date | None = None, *, results: Any = None) -> list[Due]:
    """Every convention of the folder that has ended, with its attestation's due date and state.

    ``results``: the folder's load results when the caller already has them (else the folder is read)."""
    today = today or clock.today()
    grace = load_defaults(folder).settings.attestation_grace_days
    recorded = recorded_attestations(ledger)
    items = []
    for result in iter_folder(folder) if results is None else results:
        if result.loaded is None:
            continue
        convention = result.loaded.convention
        end = convention.period.end
        if end is None or end >= today:
            continue
        due = due_date(end, grace)
        contact, addressee = reminder_address(convention)
        fate = convention.data_fate.action.value if convention.data_fate.action else None
        items.append(
            Due(
                convention.id,
                convention.processor.display_name,
                end,
                due,
                (today - due).days,
                recorded.get(convention.id),
                contact,
                convention.written_attestation_owed,
                fate,
                addressee,
            )
        )
    items.sort(key=lambda d: (d.due_date, d.convention))
    return items


def exchanges_for(ledger: Ledger | None, convention_id: str) -> list[dict[str, Any]]:
    if ledger is None:
        return []
    return [
        {
            "date": clock.french_date(event.at.astimezone(clock.PARIS).date()),
            "direction": DIRECTIONS_FR.get(event.payload.get("direction", ""), event.payload.get("direction")),
            "files": event.payload.get("files"),
            "sha256": event.payload.get("archive_sha256"),
        }
        for event in ledger.events(subject=convention_id, kind_prefix="exchange.")
    ]


def draft(
    convention: Convention,
    fmt: str,
    target: Path,
    ledger: Ledger | None,
    templates: Path | None = None,
    *,
    force: bool = False,
) -> Path:
    """Write the pre-filled attestation; the fields the structure must fill are visibly marked.

    A file changed since dpa-kit wrote it is not replaced unless ``force`` (:mod:`dpa_kit.written`).
    """
    from dpa_kit import written

    written.guard([target], force=force)
    rendered = render_attestation(convention, exchanges_for(ledger, convention.id), templates)
    written.write_file(target, write_rendered(fmt, rendered, templates), force=force)
    return target


def record(
    ledger: Ledger, registers: Path, loaded: LoadedConvention, file: Path, received_at: datetime | None = None
) -> dict[str, Any]:
    """Record a received (signed) attestation and keep a read-only copy of it."""
    if not file.is_file():
        raise UsageError(f"{file} : fichier introuvable")
    sha256, size = sha256_and_size(file)
    convention_id = loaded.convention.id
    folder = registers / "attestations" / convention_id
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / f"{sha256[:16]}-{file.name}"
    if not copy.exists():
        temp = folder / f".{copy.name}.part"
        shutil.copyfile(file, temp)
        if sha256_and_size(temp)[0] != sha256:
            temp.unlink()
            raise UsageError(f"{file} a changé pendant la copie : recommencez")
        os.chmod(temp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.replace(temp, copy)
    payload = {
        "sha256": sha256,
        "size": size,
        "file_name": file.name,
        "stored": str(copy.relative_to(registers)),
        "received_at": (received_at or clock.now()).isoformat(),
    }
    ledger.append("attestation.recorded", convention_id, payload)
    return payload


def verify(ledger: Ledger, convention_id: str, file: Path) -> tuple[bool, dict[str, Any]]:
    """Whether ``file`` is byte for byte the attestation recorded for the convention."""
    recorded = recorded_attestations(ledger).get(convention_id)
    if recorded is None:
        raise UsageError(f"aucune attestation enregistrée pour la convention {convention_id}")
    sha256, size = sha256_and_size(file)
    return sha256 == recorded["sha256"] and size == recorded["size"], recorded


def reminder(due: Due, sender: str, now: datetime | None = None) -> EmailMessage:
    """The reminder e-mail to a structure whose attestation is late."""
    if not due.contact:
        raise UsageError(f"{due.convention} : {NO_ADDRESS}")
    now = now or clock.now()
    message = EmailMessage()
    message["Subject"] = f"Relance : attestation de destruction des données - convention {due.convention}"
    message["From"] = sender
    message["To"] = due.contact
    message["Date"] = format_datetime(now.astimezone(clock.PARIS))
    message["Message-ID"] = make_msgid(idstring=due.convention, domain=sender.rsplit("@", 1)[-1] or "dpa-kit.invalid")
    duty = FATE_DUTY.get(due.fate or "destroy", FATE_DUTY["destroy"])
    attention = f"À l'attention de {due.addressee}\n\n" if due.addressee else ""
    message.set_content(
        f"{attention}Madame, Monsieur,\n\n"
        f"La convention {due.convention} a pris fin le {clock.french_date(due.end)}. Conformément à son annexe 1 "
        f"(« Sort des données »), l'organisme doit {duty}, et justifier par écrit de cette destruction.\n\n"
        f"L'attestation était attendue pour le {clock.french_date(due.due_date)} ; nous ne l'avons pas reçue "
        f"({due.days_overdue} jour(s) de retard).\n\n"
        "Merci de nous la transmettre signée dans les meilleurs délais. Un modèle pré-rempli peut vous être fourni "
        "sur demande (dpa-kit attest draft).\n\n"
        "Le Délégué à la protection des données du Département du Pas-de-Calais\n",
        charset="utf-8",
    )
    return message


def write_reminders(items: list[Due], folder: Path, sender: str) -> tuple[list[Path], list[Due]]:
    """Write one reminder (``relance-ID.eml``) per overdue attestation into ``folder``.

    Returns the files written and the items left without a reminder because the convention gives no address
    for the structure (neither ``processor.dpo.email`` nor ``processor.contact_email``).
    """
    from dpa_kit.mail import write_eml

    written: list[Path] = []
    without_address: list[Due] = []
    for item in items:
        if not item.overdue:
            continue
        if not item.contact:
            without_address.append(item)
            continue
        target = folder / f"relance-{item.convention}.eml"
        write_eml(reminder(item, sender), target)
        written.append(target)
    return written, without_address
