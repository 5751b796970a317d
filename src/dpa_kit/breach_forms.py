"""The breach declaration's submission, its complement and the DPO's decisions as forms, with French labels.

The declaration itself is the questionnaire of :mod:`dpa_kit.breach_questions`, asked by both edges (the
terminal and the web pages ask the same questions, with the same checks); :func:`submit_declaration`
records a finished questionnaire on the server's clock, which is the proof of the notification instant,
as ONE breach carrying the structure's deadline and the Département's 72-hour CNIL clock.

A form of the complement or of a DPO decision is a mapping of field names to the text typed; checking it
returns the French error of each wrong field (never stopping at the first), so that a page shows every
message next to its field and keeps what was typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from dpa_kit import clock, freetext
from dpa_kit.breach import CNIL_TEXTS, Breach, require_cnil_after_reception, require_cnil_text, require_text
from dpa_kit.exceptions import InputError, InvalidValue, UsageError
from dpa_kit.ledger import Ledger

__all__ = [
    "LABELS",
    "UNKNOWN",
    "CnilDecision",
    "FormErrors",
    "Submitted",
    "answers_from_texts",
    "check_close",
    "check_cnil",
    "check_subjects",
    "complement_questions",
    "parse_french_instant",
    "submit_complement",
    "submit_declaration",
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
        errors[name] = (
            f"{_WHAT.get(name, 'date et heure')} : cet instant est dans le futur "
            f"(il est maintenant {clock.french_instant(now)})"
        )
        return None
    return instant


def urgency(deadline: datetime, now: datetime, near: timedelta = timedelta(hours=6)) -> str:
    """``late`` past the deadline, ``near`` within six hours of it, ``ok`` otherwise (a colour on pages)."""
    if now > deadline:
        return "late"
    return "near" if deadline - now <= near else "ok"


def time_left(deadline: datetime, now: datetime) -> str:
    """« il reste 19 h 00 » or « dépassée de 2 h 05 »."""
    seconds = int((deadline - now).total_seconds())
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"il reste {hours} h {minutes:02d}" if seconds >= 0 else f"dépassée de {hours} h {minutes:02d}"


def declaration_items(breach: Breach) -> list[tuple[str, str]]:
    """Every Art. 33(3) item of a breach as (French label, French value), as the notification states them."""
    from dpa_kit.breach_notice import normalise_details
    from dpa_kit.breach_questions import items

    return items(normalise_details(breach.details), absent="non renseigné")


# --- the declaration: the questionnaire of dpa_kit.breach_questions, submitted on the server's clock ------


def answers_from_texts(texts: dict[str, str | None], context: Any) -> dict[str, Any]:
    """The questionnaire's answers from texts given all at once (the API), each checked like a typed answer.

    A question without a text is « je ne sais pas encore » when it allows it (otherwise its proposed answer,
    or an error). Raises :class:`FormErrors` naming every refused question by its key.
    """
    from dpa_kit import breach_questions as bq

    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    while (question := bq.next_question(answers, context)) is not None:
        text = (texts.get(question.key) or "").strip()
        if not text and question.allow_not_yet and question.default is None:
            text = bq.NOT_YET
        try:
            answers[question.key] = bq.validate(question, text, answers=answers, context=context)
        except bq.AnswerError as exc:
            errors[question.key] = str(exc)
            answers[question.key] = None  # asked; the next questions are still checked
    if errors:
        raise FormErrors(errors)
    return answers


@dataclass
class Submitted:
    """What a submitted declaration (or complement) produced: the one breach, and the mail's fate."""

    breach: Breach
    mail_error: str | None = None
    warnings: list[str] = field(default_factory=list)


def submit_declaration(
    ledger: Ledger,
    answers: dict[str, Any],
    context: Any,
    *,
    now: datetime,
    actor: str,
    sender: str,
    send: Callable[[EmailMessage], None] | None,
    delay_reason: str | None = None,
    then: Callable[[Any], None] | None = None,
) -> Submitted:
    """Record a finished questionnaire as ONE breach, notified to and received by the Département at ``now``.

    The web application is the Département's own server, shared by the structure and the DPO: submitting
    *is* the notification, and the server's clock proves its instant. So one breach carries both clocks:
    the structure's deadline (awareness + the convention's delay), met at ``now`` or not (then the reasons
    of the delay are required), and the 72-hour CNIL clock started at ``now``. ``then(connection)`` runs in
    the same transaction (the draft is deleted exactly when the breach is recorded). A copy is e-mailed
    to the convention's breach address by ``send`` (the edge's SMTP settings); if the mail server fails,
    the breach stays recorded and ``mail_error`` says so.
    """
    from dpa_kit import breach as breaches
    from dpa_kit import breach_questions as bq
    from dpa_kit.breach_ids import structure_code
    from dpa_kit.mail import build_notification

    declaration = bq.to_declaration(answers, context)
    convention = context.convention(answers)
    if convention is None:
        raise UsageError(f"la convention « {declaration.convention_id} » n'est plus dans le dossier des conventions")
    to = convention.notifications.breach_address or sender
    built: list[EmailMessage] = []

    def notify(opened: Breach) -> dict[str, Any]:
        message = build_notification(
            opened, to=to, sender=sender, delay_reason=delay_reason, now=now, siret=convention.processor.siret
        )
        built.append(message)
        return {"message_id": str(message["Message-ID"]), "to": to, "delay_reason": delay_reason}

    recorded = breaches.receive(
        ledger,
        convention_id=convention.id,
        structure=convention.processor.display_name,
        delay_hours=convention.notifications.breach_delay_hours,
        aware_at=declaration.aware_at,
        received_at=now,
        details=declaration.details,
        code=structure_code(convention.processor.siret, convention.processor.short_name),
        source={"channel": "web"},
        notify=notify,
        then=then,
    )
    ledger.append("account.action", actor, {"action": "breach.declared", "object": recorded.id}, at=now)
    return Submitted(breach=recorded, mail_error=_send(send, built[-1]))


def _send(send: Callable[[EmailMessage], None] | None, message: EmailMessage) -> str | None:
    """Send a copy; the French reason when it could not leave (what is recorded stays recorded)."""
    from dpa_kit.exceptions import NotificationError

    if send is None:
        return "aucun serveur SMTP configuré"
    try:
        send(message)
    except (NotificationError, UsageError) as exc:
        return str(exc)
    return None


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


def _free_text(
    values: dict[str, Any],
    name: str,
    labels: dict[str, str],
    errors: dict[str, str],
    *,
    multiline: bool,
    check: Callable[[str], None] | None = None,
) -> str | None:
    """The text of a form's free field (None if blank), its line breaks made LF; its error in ``errors``.

    The text is checked by the library (:func:`dpa_kit.breach.require_text`, or ``check`` when the record
    has its own check): the same sentence on the page as from the command line."""
    text = freetext.one_kind_of_line_break(str(values.get(name) or "")).strip() or None
    if text is not None:
        limit = freetext.LONG_TEXT if multiline else freetext.SHORT_TEXT
        try:
            if check is not None:
                check(text)
            else:
                require_text(text, name, labels.get(name, name), limit=limit, multiline=multiline)
        except InvalidValue as exc:
            errors[name] = str(exc)
            return None
    return text


#: The form's field of each fact of the CNIL decision (:data:`dpa_kit.breach.CNIL_TEXTS`).
_CNIL_FIELDS = {"cnil_at": "at", "cnil_reference": "reference", "cnil_reason": "reason", "delay_reason": "delay_reason"}


def _cnil_text(values: dict[str, Any], fact: str, errors: dict[str, str]) -> str | None:
    name = _CNIL_FIELDS[fact]
    multiline = CNIL_TEXTS[fact][2]
    return _free_text(
        values, name, CNIL_LABELS, errors, multiline=multiline, check=lambda text: require_cnil_text(fact, text)
    )


def check_cnil(breach: Breach, values: dict[str, Any], *, now: datetime) -> CnilDecision:
    """The DPO's CNIL decision from a form; raises FormErrors naming each wrong field.

    The notification to the CNIL cannot precede the Département's reception of the breach, nor be in the
    future; the free texts are checked by :func:`dpa_kit.freetext.problem`.
    """
    errors: dict[str, str] = {}
    choice = values.get("notified")
    if choice not in {"oui", "non"}:
        errors["notified"] = "répondez oui ou non"
    at = None
    if choice == "oui":
        at = _instant_field(values, "at", now, errors, required=True)
    if at is not None:
        try:
            require_cnil_after_reception(breach, at)
        except InvalidValue as exc:
            errors[_CNIL_FIELDS[exc.field]] = str(exc)
            at = None
    reference = _cnil_text(values, "cnil_reference", errors)
    reason = _cnil_text(values, "cnil_reason", errors)
    if choice == "non" and not reason and "reason" not in errors:
        errors["reason"] = "sans notification à la CNIL, documentez la raison"
    delay_reason = _cnil_text(values, "delay_reason", errors)
    if at and breach.cnil_deadline and at > breach.cnil_deadline and not delay_reason and "delay_reason" not in errors:
        errors["delay_reason"] = "notification après 72 heures : indiquez les motifs du retard"
    if breach.cnil is not None:
        errors["notified"] = "la décision CNIL de cette violation est déjà enregistrée"
    if errors:
        raise FormErrors(errors)
    return CnilDecision(choice == "oui", at, reference, reason, delay_reason)


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
    if len(date_text) > 40:
        errors["date"] = "date illisible : écrivez par exemple 30/03/2026"
    elif date_text:
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
    channel = _free_text(values, "channel", SUBJECTS_LABELS, errors, multiline=False)
    ground = str(values.get("ground") or "") or None
    if decision in {"informed", "to_inform"}:
        if not date_text:
            errors["date"] = "indiquez la date de l'information des personnes"
        if not channel and "channel" not in errors:
            errors["channel"] = "indiquez le moyen de l'information des personnes"
    if decision == "not_informed" and ground not in ART34_GROUNDS:
        errors["ground"] = "sans information des personnes, choisissez le motif (art. 34(1) ou 34(3))"
    if breach.subjects is not None:
        errors["decision"] = "la décision sur l'information des personnes est déjà enregistrée"
    if errors:
        raise FormErrors(errors)
    return SubjectsDecision(decision, day, channel, ground if decision == "not_informed" else None)


# --- closing a breach (Département side) ----------------------------------------------------------------

CLOSE_LABELS = {"reason": "Motif de clôture"}


def check_close(breach: Breach, values: dict[str, Any]) -> str | None:
    """The closing reason from a form (None if blank), checked like every free text; raises FormErrors."""
    errors: dict[str, str] = {}
    reason = _free_text(values, "reason", CLOSE_LABELS, errors, multiline=True)
    if breach.closed:
        errors["reason"] = "la violation est déjà clôturée"
    if errors:
        raise FormErrors(errors)
    return reason


# --- the complement (Art. 33(4)): what was not known at first -----------------------------------------


def complement_questions(breach: Breach, context: Any) -> list[Any]:
    """The questions of a recorded declaration still answered « je ne sais pas encore », in order (Art. 33(4)).

    The same questions as ``dpa-kit breach complete`` (:func:`dpa_kit.breach_questions.reopen`).
    """
    from dpa_kit import breach_questions as bq

    answers = bq.reopen(breach.convention, breach.aware_at, breach.details)
    asked = []
    while (question := bq.next_question(answers, context)) is not None:
        asked.append(question)
        answers[question.key] = None
    return asked


def submit_complement(
    ledger: Ledger,
    declared: Breach,
    received: Breach | None,
    learnt: dict[str, Any],
    context: Any,
    *,
    now: datetime,
    actor: str,
    to: str,
    sender: str,
    send: Callable[[EmailMessage], None] | None,
) -> Submitted:
    """Record the items a structure learnt after its notification (GDPR Art. 33(4)), with a complementary
    notification at ``now``.

    ``learnt`` holds the answers of :func:`complement_questions` already checked by
    :func:`~dpa_kit.breach_questions.validate` (None: still not known). A question that now applies (the end
    of a breach now said over) stays « je ne sais pas encore ». Raises FormErrors when nothing new is given.
    ``received`` is the Département's record of the same breach when it is a second one (declarations made
    before one web declaration was one breach); it is completed too.
    """
    from dpa_kit import breach as breaches
    from dpa_kit import breach_questions as bq
    from dpa_kit.mail import build_notification

    if not any(value is not None for value in learnt.values()):
        first = next(iter(learnt), "description")
        raise FormErrors({first: "complétez au moins un des points encore inconnus"})
    before = bq.reopen(declared.convention, declared.aware_at, declared.details)
    answers = {**before, **learnt}
    while (question := bq.next_question(answers, context)) is not None:
        answers[question.key] = None
    try:
        update = bq.to_declaration(answers, context, recorded=before.keys() - learnt.keys()).details
    except bq.AnswerError as exc:
        raise FormErrors({exc.key or next(iter(learnt)): str(exc)}) from exc
    update.setdefault("ongoing_unknown", False)  # the completion replaces the earlier items
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
    return Submitted(breach=breaches.get(ledger, declared.id), mail_error=_send(send, message))
