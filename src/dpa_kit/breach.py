"""Personal data breaches: declaration, the 24-hour and 72-hour clocks, follow-up, the breach register.

A breach is a sequence of ledger events on one subject (its id, for example ``V-2026-0001``). Its state
is the fold of those events. Deadlines are computed on UTC instants (a 24-hour delay is 24 hours of
elapsed time, across daylight-saving changes) and shown in Europe/Paris.

Two sides: a *structure* declares a breach and has ``breach_delay_hours`` (24 h) to notify the
Département; the *Département* records the notification it received, which starts its own 72-hour
clock to notify the CNIL (GDPR Art. 33(1)), and documents the Art. 34 decision on informing people.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from dpa_kit import clock, freetext, frenchtime
from dpa_kit.exceptions import InvalidValue, UsageError
from dpa_kit.ledger import Event, Ledger
from dpa_kit.words import DELAY_REASON_PLACEHOLDER, OVERDUE

CNIL_DELAY = timedelta(hours=72)
NATURES = {
    "confidentiality": "perte de confidentialité (accès ou divulgation non autorisés)",
    "integrity": "perte d'intégrité (modification non autorisée)",
    "availability": "perte de disponibilité (perte, destruction, accès impossible)",
}
NATURE_ALIASES = {
    "confidentialite": "confidentiality",
    "confidentialité": "confidentiality",
    "c": "confidentiality",
    "integrite": "integrity",
    "intégrité": "integrity",
    "i": "integrity",
    "disponibilite": "availability",
    "disponibilité": "availability",
    "a": "availability",
    "d": "availability",
}
SUBJECT_DECISIONS = {
    "informed": "les personnes concernées ont été informées",
    "to_inform": "les personnes concernées vont être informées",
    "not_informed": "les personnes concernées ne seront pas informées",
}
ART34_GROUNDS = {
    "unintelligible": "art. 34(3)(a) : données rendues incompréhensibles (par exemple chiffrées)",
    "risk_removed": "art. 34(3)(b) : mesures ultérieures rendant le risque élevé improbable",
    "disproportionate": "art. 34(3)(c) : effort disproportionné, communication publique à la place",
    "no_high_risk": "risque non élevé pour les droits et libertés (art. 34(1))",
}


def parse_natures(values: list[str]) -> list[str]:
    """Normalise natures given in English or French (``confidentialité``, ``c``...)."""
    natures = []
    for value in values:
        for part in value.split(","):
            key = part.strip().lower()
            if not key:
                continue
            key = NATURE_ALIASES.get(key, key)
            if key not in NATURES:
                raise UsageError(
                    f"nature de violation inconnue « {part.strip()} » : confidentiality (confidentialité), "
                    "integrity (intégrité) ou availability (disponibilité)"
                )
            if key not in natures:
                natures.append(key)
    return natures


#: The free-text details of a breach a user may give (CNIL form), besides natures and instants.
DETAIL_FIELDS = (
    "description",
    "discovery",
    "cause",
    "data_categories",
    "people",
    "people_categories",
    "records",
    "vulnerable",
    "consequences",
    "measures_before",
    "measures",
    "contact",
)
_DETAIL_INSTANTS = {"started_at": "début de la violation", "ended_at": "fin de la violation"}


def breach_details(given: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise the details of a breach (natures, description, instants) for the ledger.

    ``given`` holds ``natures`` (a list of words, English or French), the :data:`DETAIL_FIELDS`,
    ``started_at``/``ended_at`` (ISO 8601 text) and ``ongoing``; empty values are dropped. A breach
    without an end is recorded as ongoing.
    """
    natures = parse_natures([str(n) for n in given.get("natures") or []])
    if not natures:
        raise InvalidValue("nature de la violation manquante (confidentialité, intégrité ou disponibilité)", "natures")
    if not str(given.get("description") or "").strip():
        raise InvalidValue("description de la violation manquante", "description")
    details = {key: value for key, value in given.items() if key != "natures" and value not in (None, "", False)}
    from dpa_kit.breach_questions import answer_name

    for key in DETAIL_FIELDS:
        if isinstance(details.get(key), str):
            require_text(details[key], key, answer_name(key))
    for key, label in _DETAIL_INSTANTS.items():
        if key in details:
            try:
                details[key] = frenchtime.parse(str(details[key]), now=clock.now(), what=label).isoformat()
            except UsageError as exc:
                raise InvalidValue(str(exc), key) from exc
    details["natures"] = natures
    if not details.get("ongoing") and "ended_at" not in details:
        details["ongoing"] = True
    return details


def require_text(
    value: str | None, field: str, name: str, *, limit: int = freetext.LONG_TEXT, multiline: bool = True
) -> None:
    """Raise InvalidValue (naming the field) when a free text cannot be recorded: a control character, a
    bidirectional override, or more than ``limit`` characters (:func:`dpa_kit.freetext.problem`)."""
    if value is None:
        return
    reason = freetext.problem(value, name, limit=limit, multiline=multiline)
    if reason:
        raise InvalidValue(reason, field)


def require_delay_reason(breach: Breach, at: datetime, *, complementary: bool, delay_reason: str | None) -> None:
    """A notification to the Département after the deadline must give the reasons for the delay.

    The one place of this rule: the message (``mail``) and the record (:func:`record_notification`) both ask it.
    A complementary notification follows an initial one and is never late. The reasons, when given, are a
    free text checked by :func:`require_text`.
    """
    require_text(delay_reason, "delay_reason", "Motifs du retard")
    late = at > breach.notify_deadline and not complementary
    if late and delay_reason and DELAY_REASON_PLACEHOLDER in delay_reason:
        raise InvalidValue(
            f"motif du retard à écrire : remplacez « {DELAY_REASON_PLACEHOLDER} » par les motifs réels du retard, "
            "qui sont joints à la notification et enregistrés",
            "delay_reason",
        )
    if late and not (delay_reason and delay_reason.strip()):
        raise InvalidValue(
            "motif du retard manquant : l'échéance de notification "
            f"({clock.french_instant(breach.notify_deadline)}) est dépassée ; les motifs du retard sont joints à "
            "la notification et enregistrés",
            "delay_reason",
        )


@dataclass
class Breach:
    """The current state of one breach, folded from its events."""

    id: str
    side: str  # "structure" or "departement"
    convention: str
    structure: str | None
    aware_at: datetime
    notify_deadline: datetime
    details: dict[str, Any] = field(default_factory=dict)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    received_at: datetime | None = None
    cnil_deadline: datetime | None = None
    cnil: dict[str, Any] | None = None
    subjects: dict[str, Any] | None = None
    severity: dict[str, Any] | None = None
    closed: dict[str, Any] | None = None
    timeline: list[Event] = field(default_factory=list)
    structure_reference: str | None = None

    @property
    def notified_at(self) -> datetime | None:
        if not self.notifications:
            return None
        return datetime.fromisoformat(self.notifications[0]["sent_at"])

    @property
    def is_open(self) -> bool:
        return self.closed is None

    def deadline(self) -> datetime:
        """The deadline that matters for this side: notify the Département, or decide for the CNIL."""
        if self.side == "departement" and self.cnil_deadline is not None:
            return self.cnil_deadline
        return self.notify_deadline

    def pending(self) -> bool:
        """True while the step that the deadline is about has not been done."""
        if self.side == "departement":
            return self.cnil is None
        return not self.notifications

    def overdue(self, now: datetime | None = None) -> bool:
        now = now or clock.now()
        return self.is_open and self.pending() and now > self.deadline()

    def status_fr(self, now: datetime | None = None) -> str:
        if self.closed:
            return "clôturée"
        if self.overdue(now):
            return OVERDUE
        if self.side == "departement":
            if self.cnil is None:
                return "décision CNIL à prendre"
            return "CNIL notifiée" if self.cnil.get("notified") else "non notifiée à la CNIL (motivé)"
        return "notifiée au Département" if self.notifications else "à notifier au Département"

    def structure_status_fr(self, now: datetime | None = None) -> str:
        """The state as the structure sees it: its own deadline, whichever side recorded the breach (a breach
        declared in the web application is one record, received by the Département, with its notification)."""
        if self.closed:
            return "clôturée"
        if self.notifications:
            return "notifiée au Département"
        if (now or clock.now()) > self.notify_deadline:
            return OVERDUE
        return "à notifier au Département"

    def as_json(self, now: datetime | None = None) -> dict[str, Any]:
        paris = clock.PARIS
        return {
            "id": self.id,
            "side": self.side,
            "convention": self.convention,
            "structure": self.structure,
            "aware_at": self.aware_at.astimezone(paris).isoformat(timespec="seconds"),
            "notify_deadline": self.notify_deadline.astimezone(paris).isoformat(timespec="seconds"),
            "notified_at": self.notified_at.astimezone(paris).isoformat(timespec="seconds")
            if self.notified_at
            else None,
            "received_at": self.received_at.astimezone(paris).isoformat(timespec="seconds")
            if self.received_at
            else None,
            "cnil_deadline": self.cnil_deadline.astimezone(paris).isoformat(timespec="seconds")
            if self.cnil_deadline
            else None,
            "cnil": self.cnil,
            "subjects": self.subjects,
            "severity": self.severity,
            "status": self.status_fr(now),
            "open": self.is_open,
            "overdue": self.overdue(now),
            "details": self.details,
            "notifications": self.notifications,
            "structure_reference": self.structure_reference,
        }

    def structure_json(self, now: datetime | None = None) -> dict[str, Any]:
        """What a structure may read of the breach (the API for a structure's token): what its page shows,
        never the Département's decisions (CNIL, information of the people, severity), nor its e-mail
        addresses, nor the closing reason."""
        paris = clock.PARIS

        def instant(value: datetime | None) -> str | None:
            return value.astimezone(paris).isoformat(timespec="seconds") if value else None

        return {
            "id": self.id,
            "convention": self.convention,
            "structure": self.structure,
            "aware_at": instant(self.aware_at),
            "notify_deadline": instant(self.notify_deadline),
            "notified_at": instant(self.notified_at),
            "status": self.structure_status_fr(now),
            "open": self.is_open,
            "details": {key: value for key, value in self.details.items() if key in _structure_keys()},
            "notifications": [
                {
                    "sent_at": n.get("sent_at"),
                    "type": n.get("type"),
                    "late": bool(n.get("late")),
                }
                for n in self.notifications
            ],
            "structure_reference": self.structure_reference,
        }


def _structure_keys() -> frozenset[str]:
    """The details a structure gave (its declaration's items), the ones its view of a breach keeps."""
    from dpa_kit.breach_notice import DETAIL_KEYS

    return frozenset(DETAIL_KEYS) | {"pending", "ongoing", "ongoing_unknown", "delay_reason"}


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def fold(events: list[Event]) -> dict[str, Breach]:
    """Every breach, from the ledger's breach events (in chain order)."""
    breaches: dict[str, Breach] = {}
    for event in events:
        data = event.payload
        if event.kind in {"breach.declared", "breach.received"}:
            opened = Breach(
                id=event.subject,
                side="departement" if event.kind == "breach.received" else "structure",
                convention=data["convention"],
                structure=data.get("structure"),
                aware_at=_instant(data["aware_at"]),
                notify_deadline=_instant(data["notify_deadline"]),
                details=data.get("details", {}),
            )
            if event.kind == "breach.received":
                opened.structure_reference = data.get("structure_reference")
                opened.received_at = _instant(data["received_at"])
                opened.cnil_deadline = _instant(data["cnil_deadline"])
            breaches[event.subject] = opened
        current = breaches.get(event.subject)
        if current is None:
            continue
        _apply(current, event)
    return breaches


def _apply(breach: Breach, event: Event) -> None:
    """Fold one follow-up event into a breach."""
    data = event.payload
    breach.timeline.append(event)
    if event.kind == "breach.notified":
        breach.notifications.append(data)
    elif event.kind == "breach.cnil":
        breach.cnil = data
    elif event.kind == "breach.subjects":
        breach.subjects = data
    elif event.kind == "breach.severity":
        breach.severity = data
    elif event.kind == "breach.closed":
        breach.closed = data
    elif event.kind == "breach.completed":
        breach.details = {**breach.details, **data["details"]}


#: The events that open a breach (the structure's declaration, the Département's reception).
OPENING_KINDS = frozenset({"breach.declared", "breach.received"})


def replay(events: Iterable[Event], known: Mapping[str, Breach] | None = None) -> dict[str, Breach]:
    """The breaches after folding ``events`` (breach events, in chain order) onto ``known`` (none by default).

    ``known`` and its breaches are left unchanged: a breach an event changes is copied first, so a reader
    still holding the previous state never sees it move. Replaying the events appended since onto the
    previous result gives the same breaches as :func:`fold` over the whole chain.
    """
    from dataclasses import replace

    folded = dict(known or {})
    fresh: set[str] = set()
    for event in events:
        if event.kind in OPENING_KINDS:
            folded.update(fold([event]))
            fresh.add(event.subject)
            continue
        current = folded.get(event.subject)
        if current is None:
            continue
        if event.subject not in fresh:
            current = replace(current, timeline=list(current.timeline), notifications=list(current.notifications))
            folded[event.subject] = current
            fresh.add(event.subject)
        _apply(current, event)
    return folded


def all_breaches(ledger: Ledger) -> dict[str, Breach]:
    return fold(ledger.events(kind_prefix="breach."))


def get(ledger: Ledger, breach_id: str) -> Breach:
    breach = fold(ledger.events(subject=breach_id)).get(breach_id)
    if breach is None:
        raise UsageError(f"aucune violation d'identifiant « {breach_id} » dans le journal")
    return breach


def _next_id(writer: Any, year: int, code: str | None = None) -> str:
    """``V-2026-<code>-0001`` (unique across structures) or, without a code, the older ``V-2026-0001``."""
    prefix = f"V-{year}-"
    if code is not None:
        from dpa_kit.breach_ids import next_reference

        rows = writer.conn.execute(
            "SELECT DISTINCT subject FROM events WHERE kind IN ('breach.declared', 'breach.received') AND subject "
            "LIKE ?",
            (f"{prefix}{code}-%",),
        )
        return next_reference((row[0] for row in rows), year, code)
    count = writer.count("breach.declared", prefix) + writer.count("breach.received", prefix)
    return f"{prefix}{count + 1:04d}"


def _opening(
    convention_id: str, structure: str | None, delay_hours: int, aware_at: datetime, details: dict[str, Any]
) -> dict[str, Any]:
    """The payload common to a declared and a received breach: awareness and the structure's deadline."""
    return {
        "convention": convention_id,
        "structure": structure,
        "aware_at": aware_at.isoformat(),
        "notify_delay_hours": delay_hours,
        "notify_deadline": (aware_at + timedelta(hours=delay_hours)).isoformat(),
        "details": details,
    }


def declare(
    ledger: Ledger,
    *,
    convention_id: str,
    structure: str | None,
    delay_hours: int,
    aware_at: datetime,
    details: dict[str, Any],
    code: str | None = None,
    then: Callable[[Any], None] | None = None,
) -> Breach:
    """Record a breach discovered by a structure; its deadline is awareness + the convention's delay.

    ``code`` (the structure's SIREN or short-name code, :mod:`dpa_kit.breach_ids`) makes the reference
    unique across structures. ``then(connection)`` runs in the same transaction (the draft is deleted
    exactly when the declaration is recorded).
    """
    with ledger.unit_of_work() as writer:
        breach_id = _next_id(writer, aware_at.astimezone(clock.PARIS).year, code)
        writer.append("breach.declared", breach_id, _opening(convention_id, structure, delay_hours, aware_at, details))
        if then is not None:
            then(writer.conn)
    return get(ledger, breach_id)


def receive(
    ledger: Ledger,
    *,
    convention_id: str,
    structure: str | None,
    delay_hours: int,
    aware_at: datetime,
    received_at: datetime,
    details: dict[str, Any],
    code: str | None = None,
    structure_reference: str | None = None,
    source: dict[str, Any] | None = None,
    notify: Callable[[Breach], dict[str, Any]] | None = None,
    then: Callable[[Any], None] | None = None,
) -> Breach:
    """The Département records a notification received from a structure: the 72-hour CNIL clock starts.

    ``received_at`` is the Département's own awareness. The structure's reference (unique across
    structures) becomes the breach's id when it is free in this ledger; otherwise an id is made from
    ``code``. ``source`` keeps where the notification came from (message id, sender).

    ``notify(breach)`` is for a reception that *is* the structure's notification (the web application: the
    structure submits on the Département's own server, whose clock proves the notification instant). It
    returns the notification's ``message_id``, ``to`` and ``delay_reason``; the notification is recorded on
    the same breach at ``received_at``, in the same transaction, so that ONE breach carries both clocks (the
    structure's deadline, met or not, and the 72-hour CNIL one). ``then(connection)`` runs in the same
    transaction too (the draft is deleted exactly when the breach is recorded).
    """
    payload = _opening(convention_id, structure, delay_hours, aware_at, details)
    payload["received_at"] = received_at.isoformat()
    payload["cnil_deadline"] = (received_at + CNIL_DELAY).isoformat()
    if structure_reference:
        payload["structure_reference"] = structure_reference
    if source:
        payload["source"] = source
    from dpa_kit.breach_ids import REFERENCE_PATTERN

    match = REFERENCE_PATTERN.match(structure_reference or "")
    # Only a reference carrying the structure's code is unique across structures (not an older V-2026-0001).
    own_id = structure_reference if match and match["code"] else None
    with ledger.unit_of_work() as writer:
        if own_id and writer.conn.execute("SELECT 1 FROM events WHERE subject = ? LIMIT 1", (own_id,)).fetchone():
            raise UsageError(
                f"la violation {own_id} de cette structure est déjà enregistrée : "
                "pour des informations nouvelles, elle envoie une notification complémentaire"
            )
        breach_id = own_id or _next_id(writer, received_at.astimezone(clock.PARIS).year, code)
        event = writer.append("breach.received", breach_id, payload, at=received_at if notify else None)
        if notify is not None:
            opened = fold([event])[breach_id]
            given = notify(opened)
            writer.append(
                "breach.notified",
                breach_id,
                _notification(
                    opened,
                    sent_at=received_at,
                    message_id=given["message_id"],
                    to=given["to"],
                    complementary=False,
                    delay_reason=given.get("delay_reason"),
                ),
                at=received_at,
            )
        if then is not None:
            then(writer.conn)
    return get(ledger, breach_id)


def record_notification(
    ledger: Ledger,
    breach: Breach,
    *,
    sent_at: datetime,
    message_id: str,
    to: str,
    complementary: bool,
    delay_reason: str | None,
    prepared_at: datetime | None = None,
) -> None:
    """Record a notification *after* the mail server accepted it.

    ``prepared_at`` is when the message was written (its lateness was checked then): a message written on
    time and accepted by the server a few seconds after the deadline is still recorded.
    """
    payload = _notification(
        breach,
        sent_at=sent_at,
        message_id=message_id,
        to=to,
        complementary=complementary,
        delay_reason=delay_reason,
        prepared_at=prepared_at,
    )
    ledger.append("breach.notified", breach.id, payload)


def _notification(
    breach: Breach,
    *,
    sent_at: datetime,
    message_id: str,
    to: str,
    complementary: bool,
    delay_reason: str | None,
    prepared_at: datetime | None = None,
) -> dict[str, Any]:
    """The payload of a ``breach.notified`` event, once the delay rule is checked."""
    require_delay_reason(breach, prepared_at or sent_at, complementary=complementary, delay_reason=delay_reason)
    payload: dict[str, Any] = {
        "sent_at": sent_at.isoformat(),
        "message_id": message_id,
        "to": to,
        "type": "complementary" if complementary else "initial",
        "late": sent_at > breach.notify_deadline and not complementary,
    }
    if delay_reason:
        payload["delay_reason"] = delay_reason
    if complementary and breach.notifications:
        payload["follows"] = breach.notifications[0]["message_id"]
    return payload


#: The free texts of the CNIL decision: fact -> (French name, limit, several lines allowed).
CNIL_TEXTS = {
    "cnil_reference": ("Référence CNIL", freetext.SHORT_TEXT, False),
    "cnil_reason": ("Raison de l'absence de notification", freetext.LONG_TEXT, True),
    "delay_reason": ("Motifs du retard", freetext.LONG_TEXT, True),
}


def require_cnil_after_reception(breach: Breach, at: datetime) -> None:
    """The notification to the CNIL cannot precede the Département's reception of the breach (the one place
    of this rule: :func:`record_cnil` and the DPO's form both ask it)."""
    if breach.received_at is not None and at < breach.received_at:
        raise InvalidValue(
            f"instant de la notification à la CNIL ({clock.french_instant(at)}) antérieur à la réception de la "
            f"violation par le Département ({clock.french_instant(breach.received_at)})",
            "cnil_at",
        )


def require_cnil_text(field: str, value: str | None) -> None:
    """Raise InvalidValue when a free text of the CNIL decision (a key of :data:`CNIL_TEXTS`) cannot be
    recorded."""
    name, limit, multiline = CNIL_TEXTS[field]
    require_text(value, field, name, limit=limit, multiline=multiline)


def record_cnil(
    ledger: Ledger,
    breach: Breach,
    *,
    notified: bool,
    at: datetime | None,
    reference: str | None,
    reason: str | None,
    delay_reason: str | None,
) -> None:
    if breach.side != "departement":
        raise UsageError(
            f"{breach.id} est une déclaration de structure : "
            "la décision CNIL se prend côté Département, sur une notification reçue"
        )
    if notified and at is None:
        raise InvalidValue("instant de la notification à la CNIL manquant", "cnil_at")
    if notified and at is not None:
        require_cnil_after_reception(breach, at)
    for fact, value in (("cnil_reference", reference), ("cnil_reason", reason), ("delay_reason", delay_reason)):
        require_cnil_text(fact, value)
    if not notified and not (reason and reason.strip()):
        raise InvalidValue(
            "raison de ne pas notifier la CNIL manquante : documentez-la (art. 33(5) RGPD)", "cnil_reason"
        )
    late = bool(notified and at and breach.cnil_deadline and at > breach.cnil_deadline)
    if late and not (delay_reason and delay_reason.strip()):
        raise InvalidValue(
            "motif du retard manquant : notification à la CNIL après 72 heures (art. 33(1) RGPD)", "delay_reason"
        )
    ledger.append(
        "breach.cnil",
        breach.id,
        {
            "notified": notified,
            "at": at.isoformat() if at else None,
            "reference": reference,
            "reason": reason,
            "late": late,
            "delay_reason": delay_reason,
        },
    )


def record_subjects(
    ledger: Ledger, breach: Breach, *, decision: str, date: str | None, channel: str | None, ground: str | None
) -> None:
    if decision not in SUBJECT_DECISIONS:
        raise UsageError(f"décision inconnue « {decision} » : {', '.join(SUBJECT_DECISIONS)}")
    if decision in {"informed", "to_inform"} and not (date and channel):
        raise InvalidValue("date ou moyen de l'information des personnes manquant", "subjects_date_channel")
    if decision == "not_informed" and ground not in ART34_GROUNDS:
        raise InvalidValue(
            f"motif de ne pas informer les personnes manquant : {', '.join(ART34_GROUNDS)}", "subjects_ground"
        )
    require_text(channel, "subjects_channel", "Moyen de l'information", limit=freetext.SHORT_TEXT, multiline=False)
    require_text(date, "subjects_date", "Date de l'information", limit=freetext.SHORT_TEXT, multiline=False)
    ledger.append(
        "breach.subjects", breach.id, {"decision": decision, "date": date, "channel": channel, "ground": ground}
    )


def record_completion(
    ledger: Ledger, breach: Breach, details: dict[str, Any], source: dict[str, Any] | None = None
) -> Breach:
    """Record items learnt after the first notification (GDPR Art. 33(4)): they replace the earlier ones."""
    payload: dict[str, Any] = {"details": details}
    if source:
        payload["source"] = source
    ledger.append("breach.completed", breach.id, payload)
    return get(ledger, breach.id)


def close(ledger: Ledger, breach: Breach, reason: str | None) -> None:
    if breach.closed:
        raise UsageError(f"la violation {breach.id} est déjà clôturée")
    require_text(reason, "reason", "Motif de clôture")
    ledger.append("breach.closed", breach.id, {"reason": reason})


# --- severity (ENISA 2013) ---------------------------------------------------------------------------

EI_VALUES = {"negligible": 0.25, "limited": 0.5, "significant": 0.75, "maximum": 1.0}
CB_VALUES = {
    "confidentiality": {"none": 0.0, "known": 0.25, "unknown": 0.5},
    "integrity": {"none": 0.0, "recoverable": 0.25, "unrecoverable": 0.5},
    "availability": {"none": 0.0, "temporary": 0.25, "permanent": 0.5},
}

#: French names of the answers (the CLI and the web accept and show them; the ledger keeps the English keys).
EI_NAMES_FR = {"negligible": "négligeable", "limited": "limitée", "significant": "importante", "maximum": "maximale"}
CB_NAMES_FR = {
    "confidentiality": {"none": "aucune", "known": "destinataires connus", "unknown": "destinataires inconnus"},
    "integrity": {"none": "aucune", "recoverable": "récupérable", "unrecoverable": "irrécupérable"},
    "availability": {"none": "aucune", "temporary": "temporaire", "permanent": "définitive"},
}
#: The context of the processing (DPC), as the CLI asks it: « 1 simple, 2 comportemental, 3 financier, 4 sensible ».
DPC_NAMES_FR = {1: "simple", 2: "comportemental", 3: "financier", 4: "sensible"}
SUBJECT_DECISION_NAMES_FR = {"informed": "informées", "to_inform": "à informer", "not_informed": "non informées"}
ART34_GROUND_NAMES_FR = {
    "unintelligible": "incompréhensibles",
    "risk_removed": "risque écarté",
    "disproportionate": "effort disproportionné",
    "no_high_risk": "pas de risque élevé",
}
#: The band agreed with « gravité » (feminine): « Gravité : très élevée ».
BAND_FEMININE = {"faible": "faible", "moyen": "moyenne", "élevé": "élevée", "très élevé": "très élevée"}


def severity_label(band: str) -> str:
    """« Gravité : élevée » for a recorded band."""
    return f"Gravité : {BAND_FEMININE.get(band, band)}"


@dataclass(frozen=True)
class Severity:
    """An ENISA 2013 assessment: SE = DPC x EI + CB."""

    dpc: float
    ei: float
    cb: float
    score: float
    band: str

    @property
    def explained(self) -> str:
        """« score 3,25 = 4,0 × 0,75 + 0,25 » (SE = DPC × EI + CB), French numbers; the score alone when the
        terms were not recorded."""
        from dpa_kit.words import TIMES, french_number

        score = f"score {french_number(self.score)}"
        if not self.dpc:
            return score
        return f"{score} = {french_number(self.dpc)} {TIMES} {french_number(self.ei)} + {french_number(self.cb)}"

    def advice(self) -> list[str]:
        if self.band == "faible":
            return [
                "CNIL : notification probablement non requise si le risque est improbable ; documentez-la au "
                "registre (art. 33(5)).",
                "Personnes : information non requise a priori.",
            ]
        if self.band == "moyen":
            return [
                "CNIL : notifiez dans les 72 heures (art. 33).",
                "Personnes : information à envisager selon le contexte.",
            ]
        if self.band == "élevé":
            return [
                "CNIL : notifiez dans les 72 heures (art. 33).",
                "Personnes : risque élevé probable, informez-les sans délai (art. 34) sauf exception de l'art. 34(3).",
            ]
        return [
            "CNIL : notifiez sans délai, dans les 72 heures au plus tard (art. 33).",
            "Personnes : informez-les sans délai (art. 34), avec les mesures qu'elles peuvent prendre.",
        ]


def assess(
    dpc: int, dpc_adjust: float, ei: str, confidentiality: str, integrity: str, availability: str, malicious: bool
) -> Severity:
    """Compute the ENISA severity score and band (an advice, not a decision)."""
    if dpc not in {1, 2, 3, 4}:
        raise UsageError("contexte du traitement (DPC) : 1 simple, 2 comportemental, 3 financier, 4 sensible")
    if not -1 <= dpc_adjust <= 1:
        raise UsageError("l'ajustement du contexte (DPC) va de -1 à +1")
    if ei not in EI_VALUES:
        raise UsageError(f"facilité d'identification : {', '.join(EI_VALUES)}")
    cb = 0.0
    for name, value in (("confidentiality", confidentiality), ("integrity", integrity), ("availability", availability)):
        if value not in CB_VALUES[name]:
            raise UsageError(f"{name} : {', '.join(CB_VALUES[name])}")
        cb += CB_VALUES[name][value]
    if malicious:
        cb += 0.5
    context = max(1.0, min(4.0, dpc + dpc_adjust))
    score = round(context * EI_VALUES[ei] + cb, 2)
    band = "faible" if score < 2 else "moyen" if score < 3 else "élevé" if score < 4 else "très élevé"
    return Severity(context, EI_VALUES[ei], cb, score, band)


def record_severity(ledger: Ledger, breach: Breach, severity: Severity, inputs: dict[str, Any]) -> None:
    ledger.append(
        "breach.severity",
        breach.id,
        {
            "score": severity.score,
            "band": severity.band,
            "dpc": severity.dpc,
            "ei": severity.ei,
            "cb": severity.cb,
            "inputs": inputs,
        },
    )
