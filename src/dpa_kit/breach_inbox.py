"""The Département's side of a notification: read the received e-mail (.eml) and say what to record.

A notification written by dpa-kit carries a ``dpa-kit-breach/1`` JSON attachment: every item is taken
from it, checked against the conventions folder (the convention exists, the SIRET is the structure's),
and nothing is retyped. A message written by hand gives what can be found (the convention by its id or
the structure's SIRET, the structure's reference, lines « Intitulé : valeur »), and the list of what is
missing, which the edge asks with the same questionnaire as a declaration.

The message comes from outside: its size, its number of parts and the attachment's size are bounded,
and only the standard library's e-mail parser reads it. Nothing is written here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from dpa_kit import breach_questions as bq
from dpa_kit.breach_ids import REFERENCE_PATTERN
from dpa_kit.breach_notice import MAX_NOTICE_BYTES, BreachNotice, NoticeError, parse_notice
from dpa_kit.model import Convention

__all__ = ["MAX_EML_BYTES", "MAX_PARTS", "Incoming", "complete_without_asking", "read_eml", "read_eml_file", "record"]

MAX_EML_BYTES = 30 * 1024 * 1024
MAX_PARTS = 100
_NOTICE_SUFFIX = ".dpa-kit-breach.json"
_REFERENCE_IN_TEXT = re.compile(REFERENCE_PATTERN.pattern.strip("^$"))


@dataclass
class Incoming:
    """What a received message says, as questionnaire answers, and where it came from."""

    source: str
    answers: dict[str, Any]
    notice: BreachNotice | None = None
    structure: str | None = None
    structure_reference: str | None = None
    message_id: str | None = None
    sender: str | None = None
    sent_at: datetime | None = None
    received_at: datetime | None = None
    delay_reason: str | None = None
    warnings: list[str] = field(default_factory=list)

    def missing(self, context: bq.Context) -> list[str]:
        """The questionnaire items the message did not give (asked by the edge, or recorded as unknown)."""
        answers = dict(self.answers)
        keys = []
        while (question := bq.next_question(answers, context)) is not None:
            keys.append(question.key)
            answers[question.key] = None
        return keys


def read_eml_file(path: Path, conventions: Sequence[Convention], *, now: datetime) -> Incoming:
    """Read a received .eml file (bounded in size) and say what it gives."""
    try:
        size = path.stat().st_size
        if size > MAX_EML_BYTES:
            raise NoticeError(
                f"{path} : message de {size // (1024 * 1024)} Mo, trop gros "
                f"({MAX_EML_BYTES // (1024 * 1024)} Mo au plus)"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise NoticeError(f"{path} : impossible de lire le message ({exc.strerror or type(exc).__name__})") from exc
    return read_eml(raw, conventions, now=now, source=str(path))


def read_eml(raw: bytes, conventions: Sequence[Convention], *, now: datetime, source: str = "message") -> Incoming:
    """What the message ``raw`` gives: from its JSON attachment if any, else from its text."""
    if len(raw) > MAX_EML_BYTES:
        raise NoticeError(f"{source} : message trop gros ({MAX_EML_BYTES // (1024 * 1024)} Mo au plus)")
    # Counted before parsing: the parser would build every part (and recurse into nested ones) first.
    delimiters = sum(1 for line in raw.splitlines() if line.startswith(b"--"))
    if delimiters > 2 * MAX_PARTS + 2:
        raise NoticeError(f"{source} : message de plus de {MAX_PARTS} parties, trop complexe")
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        parts = list(message.walk())
    except RecursionError as exc:
        raise NoticeError(f"{source} : message aux parties imbriquées trop profondément, trop complexe") from exc
    if len(parts) > MAX_PARTS:
        raise NoticeError(f"{source} : message de {len(parts)} parties, trop complexe ({MAX_PARTS} au plus)")
    if not message.get("From") and not message.get("Subject") and len(parts) == 1:
        raise NoticeError(f"{source} : ce fichier n'est pas un courriel (.eml) : ni expéditeur ni objet")
    incoming = Incoming(
        source=source,
        answers={},
        message_id=_header(message, "Message-ID"),
        sender=_header(message, "From"),
        sent_at=_date(_header(message, "Date")),
        received_at=_received(message),
    )
    if incoming.received_at is not None:
        _check_instant(incoming.received_at, now, f"{source}, en-tête Received (heure de réception)")
    attachments = [p for p in parts if _is_notice(p)]
    if len(attachments) > 1:
        raise NoticeError(f"{source} : plusieurs pièces jointes {_NOTICE_SUFFIX} ; une notification n'en porte qu'une")
    if attachments:
        _from_notice(incoming, attachments[0], conventions, source, now)
    else:
        _from_text(incoming, message, conventions, now, source)
    return incoming


def _header(message: EmailMessage, name: str) -> str | None:
    try:
        value = message.get(name)
    except (ValueError, TypeError, IndexError):  # a malformed header: treat as absent
        return None
    return str(value).strip() if value else None


def _date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return value.astimezone(UTC) if value.tzinfo else None


def _received(message: EmailMessage) -> datetime | None:
    """When the Département's server took the message: the date of the topmost ``Received`` header."""
    for value in message.get_all("Received") or []:
        text = str(value)
        if ";" in text:
            return _date(text.rsplit(";", 1)[1].strip())
    return None


def _is_notice(part: Any) -> bool:
    if part.is_multipart():
        return False
    filename = part.get_filename() or ""
    return filename.endswith(_NOTICE_SUFFIX) or (
        part.get_content_type() == "application/json" and part.get_content_disposition() == "attachment"
    )


def _payload(part: Any, source: str) -> bytes:
    payload = part.get_payload(decode=True) or b""
    if len(payload) > MAX_NOTICE_BYTES:
        raise NoticeError(
            f"{source} : pièce jointe {part.get_filename()} trop grosse ({MAX_NOTICE_BYTES // 1024} Kio au plus)"
        )
    return bytes(payload)


def _from_notice(incoming: Incoming, part: Any, conventions: Sequence[Convention], source: str, now: datetime) -> None:
    where = f"{source}, pièce jointe {part.get_filename() or 'JSON'}"
    notice = parse_notice(_payload(part, source), where)
    convention = next((c for c in conventions if c.id == notice.convention), None)
    if convention is None:
        raise NoticeError(
            f"{where} : la convention « {notice.convention} » n'est pas dans le dossier des "
            "conventions ; ajoutez son fichier, ou vérifiez auprès de la structure"
        )
    expected = convention.processor.siret
    if expected and not notice.structure.siret:
        raise NoticeError(
            f"{where} : la notification n'indique pas le SIRET de la structure : elle ne peut pas être rattachée "
            f"à la convention {convention.id} ; demandez à la structure de la renvoyer depuis dpa-kit"
        )
    if notice.structure.siret and expected and notice.structure.siret != expected:
        raise NoticeError(
            f"{where} : le SIRET de la structure ({notice.structure.siret}) n'est pas celui de la "
            f"convention {convention.id} ({expected}) : notification à vérifier auprès de la structure"
        )
    _check_reference(notice.reference, convention, where)
    _check_instant(notice.aware_at, now, f"{where}, champ aware_at (prise de connaissance)")
    incoming.notice = notice
    incoming.structure = convention.processor.display_name or notice.structure.name
    incoming.structure_reference = notice.reference
    incoming.delay_reason = notice.delay_reason
    answers = incoming.answers
    answers["convention"] = convention.id
    answers["aware_at"] = notice.aware_at.astimezone(UTC).isoformat()
    answers["over"] = None if notice.ongoing is None else ("ongoing" if notice.ongoing else "over")
    data = notice.model_dump(mode="json", exclude_none=True)
    for question in bq.QUESTIONS:
        if question.key in data and question.kind == "instant":
            answers[question.key] = getattr(notice, question.key).astimezone(UTC).isoformat()
        elif question.key in data:
            answers[question.key] = data[question.key]
        elif question.key in notice.pending:
            answers[question.key] = None


def _check_instant(instant: datetime, now: datetime, what: str) -> None:
    """Instants a message carries obey the bounds of typed ones: years 2000-2100, never in the future."""
    from dpa_kit.frenchtime import FUTURE_TOLERANCE, MAX_YEAR, MIN_YEAR

    if not MIN_YEAR <= instant.year <= MAX_YEAR:
        raise NoticeError(f"{what} : l'année {instant.year} n'est pas admise (de {MIN_YEAR} à {MAX_YEAR})")
    if instant > now + FUTURE_TOLERANCE:
        raise NoticeError(f"{what} : cet instant est dans le futur ; notification à vérifier auprès de la structure")


def _check_reference(reference: str | None, convention: Convention, where: str) -> None:
    """A structure's reference carries its own SIREN (or short name): never another structure's."""
    from dpa_kit.breach_ids import REFERENCE_PATTERN, structure_code

    match = REFERENCE_PATTERN.match(reference or "")
    if not match or not match["code"]:
        return
    own = structure_code(convention.processor.siret, convention.processor.short_name)
    if match["code"] != own:
        raise NoticeError(
            f"{where} : la référence {reference} n'est pas celle d'une violation de la structure de la convention "
            f"{convention.id} (code attendu {own}) : notification à vérifier auprès de la structure"
        )


def _from_text(
    incoming: Incoming, message: EmailMessage, conventions: Sequence[Convention], now: datetime, source: str
) -> None:
    incoming.warnings.append(
        "pas de pièce jointe dpa-kit-breach : seuls les éléments trouvés dans le texte sont repris"
    )
    body = _body_text(message)
    subject = _header(message, "Subject") or ""
    everything = f"{subject}\n{body}"
    reference = _REFERENCE_IN_TEXT.search(everything)
    if reference:
        incoming.structure_reference = reference.group(0)
    convention = _find_convention(everything, conventions)
    context = bq.Context(now=now, conventions=tuple(conventions))
    answers = incoming.answers
    if convention is not None:
        answers["convention"] = convention.id
        incoming.structure = convention.processor.display_name
    labels = {bq.fold(label): key for key, label in bq.ITEM_LABELS.items()}
    labels.update({bq.fold(k): "aware_at" for k in _AWARE_LABELS})
    for line in body.splitlines():
        match = re.match(r"^\s*[-*•]?\s*([^:]{3,80}?)\s*:\s*(.+?)\s*$", line)
        if not match:
            continue
        key = labels.get(bq.fold(match[1]))
        if key is None or key in answers:
            continue
        value = _value(key, match[2], answers, context)
        if value is not _NOTHING:
            answers[key] = value


_AWARE_LABELS = (
    "Prise de connaissance par l'organisme",
    "Prise de connaissance",
    "Date de découverte",
    "Découverte le",
    "Date de prise de connaissance",
)
_NOTHING = object()


def _value(key: str, text: str, answers: dict[str, Any], context: bq.Context) -> Any:
    """A labelled line's value in the questionnaire's form, or _NOTHING if it cannot be read."""
    if key == "ended_at" and bq.fold(text) == "en cours":
        answers.setdefault("over", "ongoing")
        return _NOTHING
    question = bq.question(key, answers, context)
    try:
        return bq.validate(question, text, answers=answers, context=context)
    except bq.AnswerError:
        if question.kind == "text" or question.free_text:
            return text
        return _NOTHING


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        text = str(part.get_content())
    except (LookupError, ValueError):
        return ""
    if part.get_content_type() == "text/html":
        text = re.sub(r"<br\s*/?>|</p>|</li>|</div>", "\n", text, flags=re.I)
        text = re.sub(r"<[^>]+>", "", text)
    return text[:200_000]


def _find_convention(text: str, conventions: Sequence[Convention]) -> Convention | None:
    folded = text.lower()
    by_id = [c for c in conventions if c.id.lower() in folded]
    if len(by_id) == 1:
        return by_id[0]
    digits = {re.sub(r"\D", "", m) for m in re.findall(r"\b\d[\d ]{12,18}\d\b", text)}
    by_siret = [c for c in conventions if c.processor.siret and c.processor.siret in digits]
    return by_siret[0] if len(by_siret) == 1 else None


def complete_without_asking(incoming: Incoming, context: bq.Context) -> list[str]:
    """Record every missing item as « je ne sais pas encore »; return the required ones that cannot be.

    For a message read without anyone to ask (a script): the optional items stay pending, and the
    caller reports the required ones (the convention, the awareness instant, the description, a contact).
    """
    required = []
    for key in incoming.missing(context):
        if bq.QUESTIONS_BY_KEY[key].allow_not_yet:
            incoming.answers[key] = None
        else:
            required.append(key)
    return required


def record(ledger: Any, incoming: Incoming, context: bq.Context, *, received_at: datetime) -> Any:
    """Record the received notification (the Département's 72-hour clock starts at ``received_at``).

    The breach keeps the structure's reference (its id, when that reference is unique across structures),
    every item, and where the message came from. Returns the recorded :class:`~dpa_kit.breach.Breach`.
    """
    from dpa_kit import breach as breaches
    from dpa_kit.breach_ids import structure_code

    declaration = bq.to_declaration(incoming.answers, context)
    convention = context.convention(incoming.answers)
    if convention is None:
        raise NoticeError(f"la convention « {declaration.convention_id} » n'est pas dans le dossier des conventions")
    details = dict(declaration.details)
    breaches.require_text(incoming.delay_reason, "delay_reason", "Motifs du retard")
    if incoming.delay_reason:
        details["delay_reason"] = incoming.delay_reason
    source = {
        k: v
        for k, v in (
            ("file", Path(incoming.source).name),
            ("message_id", incoming.message_id),
            ("sender", incoming.sender),
            ("sent_at", incoming.sent_at.isoformat() if incoming.sent_at else None),
            ("attachment", incoming.notice is not None),
        )
        if v is not None
    }
    notice = incoming.notice
    if notice is not None and notice.type == "complementary" and incoming.structure_reference:
        known = breaches.all_breaches(ledger).get(incoming.structure_reference) or next(
            (
                b
                for b in breaches.all_breaches(ledger).values()
                if b.structure_reference == incoming.structure_reference
            ),
            None,
        )
        if known is not None:
            if known.convention != convention.id:
                raise NoticeError(
                    f"{incoming.source} : la notification complémentaire vise la violation "
                    f"{incoming.structure_reference}, qui appartient à une autre convention ({known.convention}) ; "
                    "rien n'est enregistré : vérifiez auprès de la structure"
                )
            return breaches.record_completion(ledger, known, details, source)
    return breaches.receive(
        ledger,
        convention_id=convention.id,
        structure=convention.processor.display_name,
        delay_hours=convention.notifications.breach_delay_hours,
        aware_at=declaration.aware_at,
        received_at=received_at,
        details=details,
        code=structure_code(convention.processor.siret, convention.processor.short_name),
        structure_reference=incoming.structure_reference,
        source=source,
    )
