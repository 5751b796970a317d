"""A structure's Art. 30.2 register kept on the server: pre-filled, completed, uploaded back, reviewed.

Each structure has one register file, ``<registers>/registres/<siret>.yaml``, created from its conventions on
first use (:func:`dpa_kit.register.init_register`). The structure fills the four security headings (with the
examples of the CNIL's security guide, :data:`CNIL_EXAMPLES`), or uploads the completed spreadsheet (read by
:func:`dpa_kit.register_sheet.import_sheets`, whose errors name the sheet and the cell), then marks it
finished; the DPO marks it checked or sends it back with a message. The review is a sequence of ledger
events on the subject ``register:<siret>``, so its state is derived from the chain.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from dpa_kit import clock
from dpa_kit.exceptions import InvalidValue
from dpa_kit.fsutil import atomic_write
from dpa_kit.ledger import Ledger
from dpa_kit.model import refuse_control_characters
from dpa_kit.register import (
    SECURITY_HEADINGS,
    Register,
    SecurityMeasures,
    check_register,
    dump,
    init_register,
    load_register,
)

__all__ = [
    "CNIL_EXAMPLES",
    "FOLDER",
    "MAX_UPLOAD_BYTES",
    "Review",
    "ReviewStatus",
    "completeness",
    "import_upload",
    "mark_checked",
    "mark_finished",
    "register_path",
    "review",
    "reviews",
    "save_security",
    "send_back",
    "structure_register",
]

FOLDER = "registres"
MAX_UPLOAD_BYTES = 20_000_000

#: Examples drawn from the CNIL's « Guide de la sécurité des données personnelles » (2024 edition; fiche numbers
#: as the ids of ``templates/security_measures.yaml``), one list per heading of Art. 30.2(d) / 32.1, shown beside
#: each field so that a structure knows what to write. Option-2 conventions arrive pre-filled from the catalogue.
CNIL_EXAMPLES: dict[str, tuple[str, ...]] = {
    "pseudonymisation_encryption": (
        "chiffrement des ordinateurs portables, téléphones et clés USB (fiche CNIL-07)",
        "pièces jointes chiffrées, mot de passe transmis par un autre canal (fiche CNIL-12)",
        "logiciel en ligne accessible seulement en HTTPS (fiche CNIL-10)",
        "données chiffrées chez l'hébergeur, bilans statistiques sans nom (fiche CNIL-21)",
    ),
    "confidentiality_integrity_availability": (
        "un identifiant et un mot de passe robuste par personne, double authentification à distance (fiche CNIL-04)",
        "habilitations : chacun n'accède qu'aux dossiers qu'il suit, droits revus chaque année (fiche CNIL-05)",
        "postes verrouillés automatiquement, antivirus, mises à jour de sécurité (fiche CNIL-06)",
        "traçabilité des accès et des modifications (fiche CNIL-14)",
        "dossiers papier dans des armoires fermées à clé, locaux à accès contrôlé (fiche CNIL-13)",
    ),
    "restore_access": (
        "sauvegardes régulières, dont une copie chiffrée hors ligne ou hors site, restauration testée (fiche CNIL-16)",
        "plan de continuité : qui fait quoi si le logiciel ou les locaux sont indisponibles (fiche CNIL-17)",
        "procédure de gestion des incidents et des violations de données (fiche CNIL-15)",
    ),
    "regular_testing": (
        "revue annuelle des mesures avec le référent RGPD, mise à jour de ce registre (fiche CNIL-01)",
        "audit ou test d'intrusion du logiciel métier demandé à l'éditeur chaque année (fiche CNIL-20)",
        "exercice de violation de données pour vérifier la procédure (fiche CNIL-15)",
    ),
}


def register_path(registers: Path, siret: str) -> Path:
    """The register file of a structure on the server."""
    if not re.fullmatch(r"\d{14}", siret):
        raise InvalidValue(f"SIRET « {siret} » invalide : 14 chiffres attendus", "siret")
    return Path(registers) / FOLDER / f"{siret}.yaml"


def structure_register(registers: Path, siret: str) -> Register:
    """The structure's register: its saved file, or one pre-filled from its conventions (not yet saved)."""
    path = register_path(registers, siret)
    if path.is_file():
        return load_register(path)
    return init_register(Path(registers), siret)


def _save(registers: Path, siret: str, register: Register) -> Path:
    path = register_path(registers, siret)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, dump(register).encode("utf-8"))
    return path


def save_security(registers: Path, siret: str, convention_id: str, values: Mapping[str, str]) -> Register:
    """Fill the security headings of one processing (the one of ``convention_id``) and save the register."""
    unknown = [key for key in values if key not in SECURITY_HEADINGS]
    if unknown:
        raise InvalidValue(f"rubrique de sécurité inconnue « {unknown[0]} »", unknown[0])
    for key, text in values.items():
        if "\ufffd" in text:  # what a browser or a form parser makes of bytes that are not UTF-8
            raise InvalidValue(
                "texte illisible (octets hors UTF-8) : retapez-le ou recopiez-le depuis un document", key
            )
    register = structure_register(registers, siret)
    for _, category in register.categories():
        if category.convention == convention_id:
            current = category.security.model_dump()
            current.update({key: (text.strip() or None) for key, text in values.items()})
            try:
                category.security = SecurityMeasures(**current)
            except ValidationError as exc:  # a control character: its French reason, on its heading
                error = exc.errors(include_url=False)[0]
                key = str(error["loc"][0]) if error["loc"] else next(iter(values), "security")
                reason = str(error["msg"]).removeprefix("Value error, ")
                raise InvalidValue(reason, key) from None
            register.updated = clock.today()
            _save(registers, siret, register)
            return register
    raise InvalidValue(f"le registre n'a pas de traitement pour la convention {convention_id}", "convention")


def import_upload(
    registers: Path, siret: str, source: IO[bytes], filename: str, max_bytes: int = MAX_UPLOAD_BYTES
) -> Register:
    """Read an uploaded XLSX or ODS back into the structure's register and save it.

    Raise :class:`~dpa_kit.exceptions.ConventionError` with the cell-precise French problems of
    ``register import`` (named after the uploaded file, never the temporary one); a register for another
    SIRET is refused. Nothing is saved when anything is wrong.
    """
    from dpa_kit.exceptions import ConventionError, Problem
    from dpa_kit.register_sheet import import_sheets

    suffix = Path(filename).suffix.lower()
    if suffix not in {".xlsx", ".ods"}:
        raise InvalidValue("le registre complété doit être un fichier .xlsx ou .ods", "file")
    register_path(registers, siret)  # the SIRET is checked before anything is written
    fd, temp_name = tempfile.mkstemp(suffix=suffix)
    temp = Path(temp_name)
    try:
        size = 0
        with os.fdopen(fd, "wb") as handle:
            while chunk := source.read(1 << 20):
                size += len(chunk)
                if size > max_bytes:
                    raise InvalidValue(f"fichier trop gros ({max_bytes // 1_000_000} Mo au plus)", "file")
                handle.write(chunk)
        try:
            register = import_sheets(temp)
        except ConventionError as exc:
            shown = Path(Path(filename).name)
            raise ConventionError(
                [Problem(shown if p.file == temp else p.file, p.line, p.field, p.message) for p in exc.problems]
            ) from exc
    finally:
        temp.unlink(missing_ok=True)
    if register.processor.siret and register.processor.siret != siret:
        raise InvalidValue(f"ce registre est celui du SIRET {register.processor.siret}, pas le vôtre", "file")
    _save(registers, siret, register)
    return register


def completeness(register: Register) -> tuple[int, int]:
    """(headings filled, headings expected): the four security headings of every processing."""
    expected = filled = 0
    for _, category in register.categories():
        for key in SECURITY_HEADINGS:
            expected += 1
            filled += bool(getattr(category.security, key))
    return filled, expected


# --- review ------------------------------------------------------------------------------------------------


class ReviewStatus(str, Enum):
    """Where a register stands between the structure and the DPO."""

    in_progress = "in_progress"
    finished = "finished"
    checked = "checked"
    sent_back = "sent_back"

    @property
    def label(self) -> str:
        return {
            "in_progress": "en cours",
            "finished": "terminé par la structure",
            "checked": "vérifié par le DPO",
            "sent_back": "renvoyé à la structure",
        }[self.value]


@dataclass
class Review:
    """The review state of one structure's register, and the DPO's last message when sent back."""

    siret: str
    status: ReviewStatus = ReviewStatus.in_progress
    at: datetime | None = None
    message: str | None = None
    history: list[tuple[ReviewStatus, datetime]] = field(default_factory=list)


_KINDS = {
    "register.finished": ReviewStatus.finished,
    "register.checked": ReviewStatus.checked,
    "register.sent_back": ReviewStatus.sent_back,
}


def _subject(siret: str) -> str:
    return f"register:{siret}"


def review(ledger: Ledger | None, siret: str) -> Review:
    """The review state of one structure's register."""
    current = Review(siret)
    if ledger is None:
        return current
    for event in ledger.events(subject=_subject(siret), kind_prefix="register."):
        status = _KINDS.get(event.kind)
        if status is None:
            continue
        current.status, current.at = status, event.at
        current.message = event.payload.get("message") if status is ReviewStatus.sent_back else None
        current.history.append((status, event.at))
    return current


def reviews(ledger: Ledger | None) -> dict[str, Review]:
    """The review state of every register that has one (for the DPO's list)."""
    if ledger is None:
        return {}
    events = ledger.events(kind_prefix="register.")
    sirets = {e.subject.split(":", 1)[1] for e in events if e.subject.startswith("register:")}
    return {siret: review(ledger, siret) for siret in sorted(sirets)}


def mark_finished(ledger: Ledger, registers: Path, siret: str, *, by: str, now: datetime | None = None) -> Review:
    """The structure says its register is complete: refused while a security heading is empty."""
    register = structure_register(registers, siret)
    filled, expected = completeness(register)
    if filled < expected:
        raise InvalidValue(f"registre incomplet : {expected - filled} rubrique(s) de sécurité à remplir", "security")
    if not register_path(registers, siret).is_file():
        _save(registers, siret, register)
    if review(ledger, siret).status is ReviewStatus.checked:
        raise InvalidValue("registre déjà vérifié par le DPO", "status")
    ledger.append(
        "register.finished",
        _subject(siret),
        {"by": by, "problems": len(check_register(register))},
        at=now or clock.now(),
    )
    return review(ledger, siret)


def mark_checked(ledger: Ledger, siret: str, *, by: str, now: datetime | None = None) -> Review:
    """The DPO accepts a finished register."""
    if review(ledger, siret).status is not ReviewStatus.finished:
        raise InvalidValue("seul un registre terminé par la structure peut être marqué vérifié", "status")
    ledger.append("register.checked", _subject(siret), {"by": by}, at=now or clock.now())
    return review(ledger, siret)


def send_back(ledger: Ledger, siret: str, message: str, *, by: str, now: datetime | None = None) -> Review:
    """The DPO sends the register back with a message saying what to change."""
    message = message.strip()
    if not message:
        raise InvalidValue("message manquant : dites à la structure ce qu'il faut reprendre", "message")
    try:
        refuse_control_characters(message)
    except ValueError as exc:
        raise InvalidValue(str(exc), "message") from None
    if review(ledger, siret).status is not ReviewStatus.finished:
        raise InvalidValue("seul un registre terminé par la structure peut lui être renvoyé", "status")
    ledger.append("register.sent_back", _subject(siret), {"by": by, "message": message[:2000]}, at=now or clock.now())
    return review(ledger, siret)
