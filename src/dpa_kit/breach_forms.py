"""The breach declaration and the CNIL decision as forms: steps, French labels, field-by-field checks.

A form is a mapping of field names to the text typed; checking a step returns the French error of each
wrong field (never stopping at the first), so that a page shows every message next to its field and keeps
what was typed. A blank Art. 33(3) item is allowed: it is recorded as « je ne sais pas encore » and is
what a complementary notification (Art. 33(4)) completes. Submitting records the declaration on the
server's clock, which is the proof of the notification instant.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from dpa_kit import clock
from dpa_kit.breach import NATURES, Breach
from dpa_kit.exceptions import InputError, UsageError
from dpa_kit.ledger import Ledger
from dpa_kit.model import Convention

__all__ = [
    "DECLARATION_STEPS",
    "LABELS",
    "UNKNOWN",
    "CnilDecision",
    "FormErrors",
    "Step",
    "check_cnil",
    "check_declaration",
    "check_step",
    "deadline_of",
    "parse_french_instant",
    "time_left",
]

#: The events of a breach's timeline, in French.
EVENT_LABELS = {
    "breach.declared": "déclarée par la structure",
    "breach.received": "notification reçue par le Département (début du délai CNIL de 72 heures)",
    "breach.notified": "notification transmise au Département",
    "breach.cnil": "décision CNIL enregistrée",
    "breach.subjects": "décision sur l'information des personnes",
    "breach.severity": "gravité évaluée",
    "breach.closed": "clôturée",
    "reminder.sent": "rappel d'échéance envoyé",
}

#: What a blank item is recorded as.
UNKNOWN = "je ne sais pas encore"

LABELS = {
    "convention": "Convention concernée",
    "aware_at": "Quand avez-vous eu connaissance de la violation ?",
    "started_at": "Quand la violation a-t-elle commencé ?",
    "over": "La violation est-elle terminée ?",
    "ended_at": "Quand s'est-elle terminée ?",
    "natures": "Nature de la violation",
    "description": "Que s'est-il passé ? (sans nom de personne)",
    "discovery": "Comment l'avez-vous découverte ?",
    "cause": "Origine et cause",
    "data_categories": "Catégories de données concernées",
    "records": "Nombre approximatif d'enregistrements",
    "people_categories": "Catégories de personnes concernées",
    "people": "Nombre approximatif de personnes",
    "vulnerable": "Des mineurs ou des personnes vulnérables sont-ils concernés ?",
    "consequences": "Conséquences probables pour les personnes",
    "measures_before": "Mesures de sécurité en place avant la violation",
    "measures": "Mesures prises ou envisagées",
    "contact": "Personne à joindre (nom, téléphone, courriel)",
    "delay_reason": "Motifs du retard de notification",
}


@dataclass(frozen=True)
class Step:
    """One page of the declaration."""

    name: str
    title: str
    fields: tuple[str, ...]


DECLARATION_STEPS = (
    Step("quand", "Quand ?", ("convention", "aware_at", "started_at", "over", "ended_at")),
    Step("quoi", "Que s'est-il passé ?", ("natures", "description", "discovery", "cause")),
    Step(
        "qui",
        "Quelles données, quelles personnes ?",
        ("data_categories", "records", "people_categories", "people", "vulnerable", "consequences"),
    ),
    Step("mesures", "Quelles mesures ?", ("measures_before", "measures", "contact", "delay_reason")),
)
STEP_NAMES = tuple(s.name for s in DECLARATION_STEPS)


class FormErrors(InputError):
    """Raised when a form has wrong fields; ``errors`` maps each field to its French message."""

    def __init__(self, errors: dict[str, str], step: str | None = None):
        self.errors = dict(errors)
        self.step = step
        super().__init__("; ".join(f"{LABELS.get(k, k)} : {v}" for k, v in self.errors.items()))


def parse_french_instant(text: str, now: datetime, what: str = "date et heure") -> datetime:
    """« maintenant », « hier 18h », « 28/03/2026 18:00 », ISO 8601 (a browser's date-time field), read as
    Paris time by :func:`dpa_kit.frenchtime.parse`. Raises ValueError with the French reason."""
    from dpa_kit import frenchtime

    try:
        return frenchtime.parse(text, now=now, what=what)
    except UsageError as exc:
        raise ValueError(str(exc)) from None


_WHAT = {
    "aware_at": "prise de connaissance",
    "started_at": "début de la violation",
    "ended_at": "fin de la violation",
    "at": "notification à la CNIL",
}


def _instant_field(
    values: dict[str, Any], name: str, now: datetime, errors: dict[str, str], required: bool
) -> datetime | None:
    text = str(values.get(name) or "").strip()
    if not text:
        if required:
            errors[name] = "réponse obligatoire : la date et l'heure, même approximatives"
        return None
    try:
        instant = parse_french_instant(text, now, _WHAT.get(name, "date et heure"))
    except ValueError as exc:
        errors[name] = str(exc)
        return None
    if instant > now + timedelta(minutes=5):
        errors[name] = f"cet instant est dans le futur (il est maintenant {clock.french_datetime(now)})"
        return None
    return instant


def _count_field(values: dict[str, Any], name: str, errors: dict[str, str]) -> int | None:
    text = str(values.get(name) or "").strip().replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    if not text.isdigit():
        errors[name] = "indiquez un nombre (par exemple 40), ou laissez vide si vous ne savez pas encore"
        return None
    return int(text)


def deadline_of(convention: Convention, aware_at: datetime) -> datetime:
    """The structure's deadline for notifying the Département."""
    return aware_at + timedelta(hours=convention.notifications.breach_delay_hours)


def urgency(deadline: datetime, now: datetime, near: timedelta = timedelta(hours=6)) -> str:
    """``late`` past the deadline, ``near`` within six hours of it, ``ok`` otherwise (a colour on pages)."""
    if now > deadline:
        return "late"
    return "near" if deadline - now <= near else "ok"


def draft_deadline(values: dict[str, Any], conventions: dict[str, Convention], now: datetime) -> datetime | None:
    """The deadline as soon as the convention and the awareness instant are known (None before)."""
    convention = conventions.get(str(values.get("convention") or ""))
    text = str(values.get("aware_at") or "")
    if convention is None or not text:
        return None
    try:
        return deadline_of(convention, parse_french_instant(text, now))
    except ValueError:
        return None


def time_left(deadline: datetime, now: datetime) -> str:
    """« il reste 19 h 00 » or « dépassée de 2 h 05 »."""
    seconds = int((deadline - now).total_seconds())
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"il reste {hours} h {minutes:02d}" if seconds >= 0 else f"dépassée de {hours} h {minutes:02d}"


_CHOICES = {
    "over": {"oui": "oui", "non": "non, elle dure encore", "inconnu": UNKNOWN},
    "vulnerable": {"oui": "oui", "non": "non", "inconnu": UNKNOWN},
}


def review(
    values: dict[str, Any], *, conventions: dict[str, Convention], now: datetime
) -> list[tuple[Step, list[tuple[str, str, bool]]]]:
    """What the person answered, step by step, in words: (label, text, unknown yet) for every field."""
    steps = []
    for step in DECLARATION_STEPS:
        rows = []
        for name in step.fields:
            value = values.get(name)
            text: str | None = None
            if name == "delay_reason" and not value:
                continue
            if name == "convention" and value in conventions:
                title = conventions[str(value)].title
                text = f"{value} – {title}" if title else str(value)
            elif name == "natures":
                text = " ; ".join(NATURES.get(n, n) for n in (value or [])) or None
            elif name in _CHOICES:
                text = _CHOICES[name].get(str(value or ""))
            elif name == "ended_at" and values.get("over") == "non":
                text = "en cours"
            elif name in {"aware_at", "started_at", "ended_at"} and value:
                try:
                    text = f"{clock.french_datetime(parse_french_instant(str(value), now))} (heure de Paris)"
                except ValueError:
                    text = str(value)
            elif value:
                text = str(value)
            rows.append((LABELS[name], text or UNKNOWN, text is None or text == UNKNOWN))
        steps.append((step, rows))
    return steps


def declaration_items(breach: Breach) -> list[tuple[str, str]]:
    """Every Art. 33(3) item of a breach as (French label, French value), as the notification states them."""
    from dpa_kit.breach_notice import normalise_details
    from dpa_kit.breach_questions import items

    return items(normalise_details(breach.details), absent="non renseigné")


def check_step(
    step: str, values: dict[str, Any], *, conventions: dict[str, Convention], now: datetime
) -> dict[str, str]:
    """Every error of one step's fields (an empty mapping when the step is right)."""
    errors: dict[str, str] = {}
    if step == "quand":
        if str(values.get("convention") or "") not in conventions:
            errors["convention"] = "choisissez la convention concernée dans la liste"
        aware = _instant_field(values, "aware_at", now, errors, required=True)
        started = _instant_field(values, "started_at", now, errors, required=False)
        if aware and started and started > aware:
            errors["started_at"] = "le début ne peut pas suivre la prise de connaissance"
        over = values.get("over")
        if over not in {"oui", "non", "inconnu"}:
            errors["over"] = "répondez oui, non ou je ne sais pas encore"
        if over == "oui":
            ended = _instant_field(values, "ended_at", now, errors, required=True)
            if ended and started and ended < started:
                errors["ended_at"] = "la fin ne peut pas précéder le début"
    elif step == "quoi":
        natures = values.get("natures") or []
        if isinstance(natures, str):
            natures = [natures]
        if not natures:
            errors["natures"] = "cochez au moins une nature (confidentialité, intégrité ou disponibilité)"
        elif any(n not in NATURES for n in natures):
            errors["natures"] = "nature inconnue"
        if not str(values.get("description") or "").strip():
            errors["description"] = "décrivez en quelques mots ce qui s'est passé"
    elif step == "qui":
        _count_field(values, "records", errors)
        _count_field(values, "people", errors)
        if values.get("vulnerable") not in {None, "", "oui", "non", "inconnu"}:
            errors["vulnerable"] = "répondez oui, non ou je ne sais pas encore"
    elif step == "mesures":
        convention = conventions.get(str(values.get("convention") or ""))
        aware_text = str(values.get("aware_at") or "")
        if convention is not None and aware_text:
            try:
                aware = parse_french_instant(aware_text, now)
            except ValueError:
                aware = None
            if aware and now > deadline_of(convention, aware) and not str(values.get("delay_reason") or "").strip():
                errors["delay_reason"] = (
                    "l'échéance de notification est dépassée : indiquez les motifs du retard (art. 33(1) RGPD)"
                )
    else:
        raise UsageError(f"étape inconnue « {step} »")
    return errors


def check_declaration(
    values: dict[str, Any], *, conventions: dict[str, Convention], now: datetime
) -> tuple[Convention, datetime, dict[str, Any]]:
    """Check every step; return the convention, the awareness instant and the details to record."""
    for step in STEP_NAMES:
        errors = check_step(step, values, conventions=conventions, now=now)
        if errors:
            raise FormErrors(errors, step)
    convention = conventions[str(values["convention"])]
    aware = parse_french_instant(str(values["aware_at"]), now)
    natures = values.get("natures") or []
    details: dict[str, Any] = {"natures": [natures] if isinstance(natures, str) else list(natures)}
    pending: list[str] = []
    if values.get("started_at"):
        details["started_at"] = parse_french_instant(str(values["started_at"]), now).isoformat()
    else:
        pending.append("started_at")
    if values.get("over") == "oui":
        details["ended_at"] = parse_french_instant(str(values["ended_at"]), now).isoformat()
    elif values.get("over") == "non":
        details["ongoing"] = True
    else:
        details["ongoing_unknown"] = True
    for name in (
        "description",
        "discovery",
        "cause",
        "data_categories",
        "people_categories",
        "consequences",
        "measures_before",
        "measures",
        "contact",
    ):
        text = str(values.get(name) or "").strip()
        if text:
            details[name] = text
        else:
            pending.append(name)
    for name in ("records", "people"):
        text = str(values.get(name) or "").strip().replace(" ", "")
        if text:
            details[name] = int(text)
        else:
            pending.append(name)
    if values.get("vulnerable") in {"oui", "non"}:
        details["vulnerable"] = values.get("vulnerable") == "oui"
    else:
        pending.append("vulnerable")
    # The questionnaire's convention (dpa_kit.breach_questions): an item not known yet is listed, not stored.
    details["pending"] = pending
    return convention, aware, details


@dataclass
class Submitted:
    """What a submitted declaration produced."""

    declared: Breach
    received: Breach
    mail_error: str | None = None
    warnings: list[str] = field(default_factory=list)


def submit_declaration(
    ledger: Ledger,
    values: dict[str, Any],
    *,
    conventions: dict[str, Convention],
    now: datetime,
    actor: str,
    sender: str,
    send: Callable[[EmailMessage], None] | None,
) -> Submitted:
    """Record a structure's declaration and its notification to the Département, at ``now``.

    The web application is the Département's own server: submitting *is* the notification, so it is
    recorded at once (structure side) and received (Département side, the 72-hour CNIL clock starts now).
    A copy is e-mailed to the convention's breach address by ``send`` (the edge's SMTP settings); if the
    mail server fails, the declaration stays recorded and ``mail_error`` says so.
    """
    from dpa_kit import breach as breaches
    from dpa_kit.breach_ids import structure_code
    from dpa_kit.exceptions import NotificationError
    from dpa_kit.mail import build_notification

    convention, aware, details = check_declaration(values, conventions=conventions, now=now)
    delay_reason = str(values.get("delay_reason") or "").strip() or None
    structure = convention.processor.display_name
    delay = convention.notifications.breach_delay_hours
    code = structure_code(convention.processor.siret, convention.processor.short_name)
    declared = breaches.declare(
        ledger,
        convention_id=convention.id,
        structure=structure,
        delay_hours=delay,
        aware_at=aware,
        details=details,
        code=code,
    )
    to = convention.notifications.breach_address or sender
    message = build_notification(declared, to=to, sender=sender, delay_reason=delay_reason, now=now)
    breaches.record_notification(
        ledger,
        declared,
        sent_at=now,
        message_id=str(message["Message-ID"]),
        to=to,
        complementary=False,
        delay_reason=delay_reason,
    )
    received = breaches.receive(
        ledger,
        convention_id=convention.id,
        structure=structure,
        delay_hours=delay,
        aware_at=aware,
        received_at=now,
        details={**details, "structure_reference": declared.id},
        code=code,
    )
    ledger.append(
        "account.action",
        actor,
        {"action": "breach.declared", "object": declared.id, "received_as": received.id},
        at=now,
    )
    mail_error = None
    if send is not None:
        try:
            send(message)
        except (NotificationError, UsageError) as exc:
            mail_error = str(exc)
    else:
        mail_error = "aucun serveur SMTP configuré"
    return Submitted(declared=breaches.get(ledger, declared.id), received=received, mail_error=mail_error)


# --- the CNIL decision (Département side) -----------------------------------------------------------


@dataclass(frozen=True)
class CnilDecision:
    notified: bool
    at: datetime | None
    reference: str | None
    reason: str | None
    delay_reason: str | None


CNIL_LABELS = {
    "notified": "La violation a-t-elle été notifiée à la CNIL ?",
    "at": "Instant de la notification à la CNIL",
    "reference": "Référence CNIL",
    "reason": "Raison de l'absence de notification (art. 33(5) RGPD)",
    "delay_reason": "Motifs du retard (plus de 72 heures)",
}


def check_cnil(breach: Breach, values: dict[str, Any], *, now: datetime) -> CnilDecision:
    """The DPO's CNIL decision from a form; raises FormErrors naming each wrong field."""
    errors: dict[str, str] = {}
    choice = values.get("notified")
    if choice not in {"oui", "non"}:
        errors["notified"] = "répondez oui ou non"
    at = None
    if choice == "oui":
        at = _instant_field(values, "at", now, errors, required=True)
    reason = str(values.get("reason") or "").strip() or None
    if choice == "non" and not reason:
        errors["reason"] = "sans notification à la CNIL, documentez la raison"
    delay_reason = str(values.get("delay_reason") or "").strip() or None
    if at and breach.cnil_deadline and at > breach.cnil_deadline and not delay_reason:
        errors["delay_reason"] = "notification après 72 heures : indiquez les motifs du retard"
    if breach.cnil is not None:
        errors["notified"] = "la décision CNIL de cette violation est déjà enregistrée"
    if errors:
        raise FormErrors(errors)
    return CnilDecision(choice == "oui", at, str(values.get("reference") or "").strip() or None, reason, delay_reason)


# --- the Art. 34 decision: informing the people concerned (Département side) --------------------------

SUBJECTS_LABELS = {
    "decision": "Information des personnes concernées (art. 34 RGPD)",
    "date": "Date de l'information (faite ou prévue)",
    "channel": "Moyen de l'information (courrier, courriel, téléphone...)",
    "ground": "Motif de ne pas informer les personnes",
}


@dataclass(frozen=True)
class SubjectsDecision:
    decision: str
    date: str | None
    channel: str | None
    ground: str | None


def check_subjects(breach: Breach, values: dict[str, Any]) -> SubjectsDecision:
    """The DPO's Art. 34 decision from a form; raises FormErrors naming each wrong field."""
    from dpa_kit.breach import ART34_GROUNDS, SUBJECT_DECISIONS

    errors: dict[str, str] = {}
    decision = str(values.get("decision") or "")
    if decision not in SUBJECT_DECISIONS:
        errors["decision"] = "choisissez une décision"
    date_text = str(values.get("date") or "").strip()
    day = None
    if date_text:
        match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", date_text)
        try:
            day = (
                (
                    datetime(int(match.group(3)), int(match.group(2)), int(match.group(1)))
                    if match
                    else datetime.fromisoformat(date_text)
                )
                .date()
                .isoformat()
            )
        except ValueError:
            errors["date"] = "date illisible : écrivez par exemple 30/03/2026"
    channel = str(values.get("channel") or "").strip() or None
    ground = str(values.get("ground") or "") or None
    if decision in {"informed", "to_inform"}:
        if not date_text:
            errors["date"] = "indiquez la date de l'information des personnes"
        if not channel:
            errors["channel"] = "indiquez le moyen de l'information des personnes"
    if decision == "not_informed" and ground not in ART34_GROUNDS:
        errors["ground"] = "sans information des personnes, choisissez le motif (art. 34(1) ou 34(3))"
    if breach.subjects is not None:
        errors["decision"] = "la décision sur l'information des personnes est déjà enregistrée"
    if errors:
        raise FormErrors(errors)
    return SubjectsDecision(decision, day, channel, ground if decision == "not_informed" else None)


# --- the complement (Art. 33(4)): what was not known at first -----------------------------------------

COMPLEMENT_FIELDS = (
    "started_at",
    "discovery",
    "cause",
    "data_categories",
    "records",
    "people_categories",
    "people",
    "vulnerable",
    "consequences",
    "measures_before",
    "measures",
    "contact",
)


def submit_complement(
    ledger: Ledger,
    declared: Breach,
    received: Breach | None,
    values: dict[str, Any],
    *,
    now: datetime,
    actor: str,
    to: str,
    sender: str,
    send: Callable[[EmailMessage], None] | None,
) -> Submitted:
    """Record the items a structure learnt after its notification (GDPR Art. 33(4)) on both sides of the
    breach, with a complementary notification at ``now``; raises FormErrors naming each wrong field."""
    from dpa_kit import breach as breaches
    from dpa_kit.exceptions import NotificationError
    from dpa_kit.mail import build_notification

    pending = [name for name in declared.details.get("pending", []) if name in COMPLEMENT_FIELDS]
    errors: dict[str, str] = {}
    update: dict[str, Any] = {}
    for name in pending:
        text = str(values.get(name) or "").strip()
        if not text:
            continue
        if name == "started_at":
            instant = _instant_field(values, name, now, errors, required=False)
            if instant is not None:
                update[name] = instant.isoformat()
        elif name in {"records", "people"}:
            count = _count_field(values, name, errors)
            if count is not None:
                update[name] = count
        elif name == "vulnerable":
            if text not in {"oui", "non"}:
                errors[name] = "répondez oui ou non"
            else:
                update[name] = text == "oui"
        else:
            update[name] = text
    if not errors and not update:
        errors[pending[0] if pending else "description"] = "complétez au moins un des points encore inconnus"
    if errors:
        raise FormErrors(errors)
    update["pending"] = [name for name in declared.details.get("pending", []) if name not in update]
    completed = breaches.record_completion(ledger, declared, update)
    if received is not None:
        breaches.record_completion(ledger, received, update)
    message = build_notification(completed, to=to, sender=sender, complementary=True, now=now)
    breaches.record_notification(
        ledger,
        completed,
        sent_at=now,
        message_id=str(message["Message-ID"]),
        to=to,
        complementary=True,
        delay_reason=None,
    )
    ledger.append("account.action", actor, {"action": "breach.completed", "object": declared.id}, at=now)
    mail_error = None
    if send is not None:
        try:
            send(message)
        except (NotificationError, UsageError) as exc:
            mail_error = str(exc)
    else:
        mail_error = "aucun serveur SMTP configuré"
    return Submitted(declared=breaches.get(ledger, declared.id), received=received or completed, mail_error=mail_error)
