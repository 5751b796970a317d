"""The breach declaration questionnaire, as data: both edges (terminal and web) ask the same questions.

An edge loops ``question = next_question(answers, context)``; shows ``question.label`` (with its numbered
``choices``, its ``help`` and its proposed ``default``); calls ``validate(question, text, answers=...,
context=...)``, which returns the value to store or raises :class:`AnswerError` with a French reason to
show before asking again; stores the value under ``question.key`` (and saves the draft). When
``next_question`` returns None, ``to_declaration(answers, context)`` gives what to record.

Every typed text is checked first (:mod:`dpa_kit.freetext`): no control character (line breaks and tabs
only in the answers of several lines: kind ``text`` and ``choices``), no bidirectional override, and at
most ``Question.max_length`` characters: :data:`~dpa_kit.freetext.LONG_TEXT` (5 000) for a text of
several lines, :data:`~dpa_kit.freetext.SHORT_TEXT` (300) for a one-line answer (an instant, a count, a
choice, the contact), 1 000 for the lists typed in words (categories of data and people, other
authorities). A typed number has at most :data:`~dpa_kit.freetext.NUMBER_DIGITS` digits. Answers are
checked against each other (the start of the breach before the moment it was learnt and before its end)
whichever is answered or modified last, and again by :func:`to_declaration`.

Answers are JSON values. ``None`` means « je ne sais pas encore »: recorded as such, listed in
``pending`` and reminded in the next step (a complementary notification, Art. 33(4) GDPR). The first
question is the moment the structure became aware of the breach: the 24-hour clock runs from it, not
from the moment the command is typed. Then every item of GDPR Art. 33(3) and of the CNIL form.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from dpa_kit import freetext, frenchtime
from dpa_kit.breach import NATURES
from dpa_kit.breach_notice import DETAIL_KEYS
from dpa_kit.exceptions import UsageError
from dpa_kit.model import SENSITIVE_LABELS, Convention

__all__ = [
    "NOT_YET",
    "QUESTIONS",
    "QUESTIONS_BY_KEY",
    "AnswerError",
    "Choice",
    "Context",
    "Declaration",
    "Question",
    "answer_name",
    "answer_text",
    "count_text",
    "deadline",
    "fold",
    "items",
    "max_length",
    "next_question",
    "parse_count",
    "reopen",
    "to_declaration",
    "validate",
]

#: What a person types (or clicks) when an item is not known yet.
NOT_YET = "je ne sais pas encore"
_NOT_YET_WORDS = {
    "je ne sais pas encore",
    "je ne sais pas",
    "ne sais pas",
    "nsp",
    "?",
    "inconnu",
    "inconnue",
    "pas encore",
    "on ne sait pas",
    "je sais pas",
}
DEFAULT_DELAY_HOURS = 24


class AnswerError(UsageError):
    """Raised when an answer cannot be accepted; the message says why and what is expected.

    ``key`` names the question to answer again when the refusal is about an answer already given (answers
    at odds with each other, found by :func:`to_declaration`); None otherwise.
    """

    def __init__(self, message: str, key: str | None = None):
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Choice:
    """One numbered choice: the stored ``value`` and its French ``label``."""

    value: str
    label: str
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Context:
    """What the questions depend on: the current instant and the conventions one may choose from."""

    now: datetime
    conventions: tuple[Convention, ...] = ()
    #: Who answers: the structure that declares, or the Département recording what a structure told it.
    side: str = "structure"
    #: Where: « terminal » (numbers typed) or « browser » (boxes ticked, :data:`BROWSER_HELP`).
    medium: str = "terminal"

    def convention(self, answers: dict[str, Any]) -> Convention | None:
        wanted = answers.get("convention")
        return next((c for c in self.conventions if c.id == wanted), None)


@dataclass(frozen=True)
class Question:
    """One question. ``kind``: instant, convention, choice, choices (several), text or count."""

    key: str
    label: str
    help: str
    kind: str
    choices: tuple[Choice, ...] = ()
    #: « je ne sais pas encore » accepted (stored as None).
    allow_not_yet: bool = False
    #: For choice questions: a typed text that is not a choice number is kept as is.
    free_text: bool = False
    #: The value proposed (accepted by an empty answer), and how to show it.
    default: Any = None
    default_text: str | None = None
    when: Callable[[dict[str, Any]], bool] | None = field(default=None, compare=False, repr=False)
    dynamic: Callable[[Question, dict[str, Any], Context], Question] | None = field(
        default=None, compare=False, repr=False
    )
    #: The longest answer accepted; None: LONG_TEXT for a text, SHORT_TEXT otherwise (see :func:`max_length`).
    max_length: int | None = None


#: The length of the lists typed in words (categories of data or people, other authorities).
LIST_TEXT = 1000
#: The kinds of question whose answer may hold several lines.
MULTILINE_KINDS = frozenset({"text", "choices"})


def max_length(question: Question) -> int:
    """The longest answer ``question`` accepts."""
    if question.max_length is not None:
        return question.max_length
    return freetext.LONG_TEXT if question.kind == "text" else freetext.SHORT_TEXT


def fold(text: str) -> str:
    """Lower case, no accents, one kind of apostrophe, single spaces: how typed answers are compared."""
    text = text.replace("\u2019", "'").replace("\u00a0", " ").strip().lower()
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", text)


# --- choice lists ---------------------------------------------------------------------------------

OVER_CHOICES = (
    Choice("over", "oui, elle est terminée", ("oui", "o", "terminee", "finie")),
    Choice("ongoing", "non, elle est toujours en cours", ("non", "n", "en cours")),
)
NATURE_CHOICES = (
    Choice("confidentiality", f"confidentialité : {NATURES['confidentiality']}", ("c", "confidentialite")),
    Choice("integrity", f"intégrité : {NATURES['integrity']}", ("i", "integrite")),
    Choice("availability", f"disponibilité : {NATURES['availability']}", ("d", "a", "disponibilite")),
)
ORIGIN_CHOICES = (
    Choice("internal_accidental", "interne, accidentelle (erreur d'un salarié, d'un bénévole)"),
    Choice("internal_malicious", "interne, malveillante (une personne de la structure)"),
    Choice("external_accidental", "externe, accidentelle (un prestataire, un partenaire)"),
    Choice("external_malicious", "externe, malveillante (piratage, vol, escroquerie)"),
)
CAUSE_CHOICES = (
    Choice("misdirected", "envoi au mauvais destinataire (courriel, courrier, fax)"),
    Choice("lost_or_stolen", "perte ou vol d'un ordinateur, téléphone, clé USB ou de documents papier"),
    Choice("hacking", "piratage, rançongiciel, logiciel malveillant ou hameçonnage"),
    Choice("unauthorised_access", "consultation ou usage non autorisé des données"),
    Choice("published", "publication ou affichage par erreur (site, réseau social, panneau)"),
    Choice("technical", "panne, erreur technique ou suppression accidentelle"),
)
STANDARD_DATA = (
    "état civil, identité (nom, prénom, date de naissance)",
    "NIR (numéro de sécurité sociale)",
    "coordonnées (adresse, téléphone, courriel)",
    "identifiants de connexion",
    "données bancaires ou financières",
    "copies de documents officiels (pièce d'identité, avis d'imposition)",
    "situation sociale, familiale ou budgétaire",
    "données de localisation",
    "infractions et condamnations",
)
STANDARD_PEOPLE = (
    "bénéficiaires accompagnés par la structure",
    "enfants ou jeunes suivis",
    "salariés ou bénévoles de la structure",
)
VULNERABLE_CHOICES = (
    Choice("minors", "des mineurs", ("mineurs", "enfants")),
    Choice("vulnerable", "des personnes vulnérables (majeurs protégés, grande précarité, malades)", ("vulnerables",)),
    Choice("none", "ni mineurs ni personnes vulnérables", ("non", "aucun", "aucune", "personne")),
)
SUBJECTS_CHOICES = tuple(
    Choice(key, label, ())
    for key, label in (
        ("informed", "oui, elles ont été informées"),
        ("to_inform", "elles vont être informées"),
        ("not_informed", "non, elles ne seront pas informées"),
        ("undecided", "pas encore décidé (le Département en décidera avec vous)"),
    )
)
SENSITIVE_CHOICES = (
    *(Choice(s.value, label) for s, label in SENSITIVE_LABELS.items()),
    Choice("none", "aucune donnée sensible", ("aucune", "non", "rien")),
)


# --- dynamic parts: what the convention already says ---------------------------------------------------


def _convention_question(question: Question, answers: dict[str, Any], context: Context) -> Question:
    choices = tuple(
        Choice(
            c.id,
            f"{c.processor.display_name or 'structure sans nom'} : {c.id}"
            + (f" (SIRET {c.processor.siret})" if c.processor.siret else ""),
            tuple(filter(None, (c.processor.name, c.processor.short_name, c.processor.siret))),
        )
        for c in context.conventions
    )
    single = choices[0].value if len(choices) == 1 else None
    return replace(question, choices=choices, default=single, default_text=choices[0].label if single else None)


def _from_convention(
    attribute: str, standard: Sequence[str]
) -> Callable[[Question, dict[str, Any], Context], Question]:
    """The convention's categories first among the choices, none proposed: the person ticks only those the
    breach concerns (proposing them all would declare by default what the breach may not concern)."""

    def build(question: Question, answers: dict[str, Any], context: Context) -> Question:
        convention = context.convention(answers)
        known = list(getattr(convention.processing, attribute)) if convention else []
        labels = list(dict.fromkeys([*known, *standard]))
        return replace(question, choices=tuple(Choice(label, label) for label in labels))

    return build


def _measures_before_question(question: Question, answers: dict[str, Any], context: Context) -> Question:
    convention = context.convention(answers)
    if convention is None or not convention.security.measures:
        return question
    text = " ; ".join(convention.security.measures)
    return replace(question, default=text, default_text=f"ce que dit la convention : {text}")


def _contact_question(question: Question, answers: dict[str, Any], context: Context) -> Question:
    convention = context.convention(answers)
    dpo = convention.processor.dpo if convention else None
    if dpo is None:
        return question
    text = ", ".join(filter(None, (dpo.name, dpo.phone, dpo.email)))
    return replace(question, default=text or None, default_text=text or None) if text else question


def _is(key: str, *values: str) -> Callable[[dict[str, Any]], bool]:
    return lambda answers: answers.get(key) in values


# The questions worded for the Département's DPO, who records what a structure told it (``breach receive``).
DEPARTEMENT_WORDING: dict[str, tuple[str, str | None]] = {
    "aware_at": (
        "Quand la structure a-t-elle eu connaissance de la violation ?",
        "Son délai de 24 heures court à partir de ce moment (le message ou la structure l'indique). "
        f"Tapez par exemple {frenchtime.EXPECTED}.",
    ),
    "started_at": (
        "Quand la violation a-t-elle commencé ?",
        f"Au plus tard au moment où la structure l'a apprise. Tapez par exemple {frenchtime.EXPECTED}.",
    ),
    "discovery": ("Comment la structure a-t-elle découvert la violation ? (circonstances)", None),
    "measures": ("Quelles mesures la structure a-t-elle prises ou prévoit-elle ?", None),
    "other_authorities": ("La structure a-t-elle prévenu d'autres autorités ou organismes ?", None),
}


#: The help of the questions whose terminal help speaks of typing numbers, for a page of boxes to tick.
BROWSER_HELP: dict[str, str] = {
    "convention": "Choisissez la convention concernée.",
    "natures": "Plusieurs réponses possibles.",
    "cause": "Choisissez dans la liste, ou décrivez la cause en quelques mots.",
    "data_categories": "Cochez seulement celles que la violation concerne (les premières sont celles de la "
    "convention), et d'autres en vos mots.",
    "sensitive_data": "Cochez seulement celles que la violation concerne, ou « aucune donnée sensible ».",
    "people_categories": "Cochez seulement celles que la violation concerne (les premières sont celles de la "
    "convention), et d'autres en vos mots.",
    "vulnerable": "Plusieurs réponses possibles.",
}


def worded(question: Question, context: Context) -> tuple[str, str]:
    """The label and help of ``question`` as the person answering it reads them (structure or Département,
    in a terminal or a browser)."""
    label, help_text = question.label, question.help
    if context.side == "departement" and question.key in DEPARTEMENT_WORDING:
        label, other = DEPARTEMENT_WORDING[question.key]
        help_text = help_text if other is None else other
    if context.medium == "browser":
        help_text = BROWSER_HELP.get(question.key, help_text)
    return label, help_text


# --- the questions, in the order they are asked ------------------------------------------------------

QUESTIONS: tuple[Question, ...] = (
    Question(
        "aware_at",
        "Quand avez-vous eu connaissance de la violation ?",
        "Le délai de notification au Département court à partir de ce moment, pas de maintenant. "
        f"Tapez par exemple {frenchtime.EXPECTED}.",
        "instant",
    ),
    Question(
        "convention",
        "Quelle convention est concernée ?",
        "Tapez le numéro dans la liste, ou le nom de la structure, ou son SIRET.",
        "convention",
        dynamic=_convention_question,
    ),
    Question(
        "over",
        "La violation est-elle terminée ?",
        "Par exemple : le courriel a été supprimé par le destinataire, l'accès a été coupé.",
        "choice",
        OVER_CHOICES,
        allow_not_yet=True,
    ),
    Question(
        "ended_at",
        "Quand s'est-elle terminée ?",
        f"Tapez par exemple {frenchtime.EXPECTED}.",
        "instant",
        allow_not_yet=True,
        when=_is("over", "over"),
    ),
    Question(
        "started_at",
        "Quand a-t-elle commencé ?",
        f"Au plus tard au moment où vous l'avez apprise. Tapez par exemple {frenchtime.EXPECTED}.",
        "instant",
        allow_not_yet=True,
    ),
    Question(
        "discovery",
        "Comment avez-vous découvert la violation ? (circonstances)",
        "Par exemple : appel du destinataire, alerte de l'antivirus, constat du vol.",
        "text",
        allow_not_yet=True,
    ),
    Question(
        "natures",
        "Quelle est la nature de la violation ?",
        "Plusieurs réponses possibles : tapez les numéros séparés par des virgules (1,2).",
        "choices",
        NATURE_CHOICES,
        allow_not_yet=True,
    ),
    Question("origin", "Quelle est son origine ?", "", "choice", ORIGIN_CHOICES, allow_not_yet=True),
    Question(
        "cause",
        "Quelle en est la cause ?",
        "Tapez un numéro, ou décrivez la cause en quelques mots.",
        "choice",
        CAUSE_CHOICES,
        allow_not_yet=True,
        free_text=True,
        max_length=freetext.SHORT_TEXT,
    ),
    Question("description", "Que s'est-il passé ?", "Quelques phrases, sans nom de personne concernée.", "text"),
    Question(
        "data_categories",
        "Quelles catégories de données sont concernées ?",
        "Seulement celles que la violation concerne (les premières sont celles de la convention) : "
        "tapez leurs numéros (1,3), ou un texte libre.",
        "choices",
        allow_not_yet=True,
        free_text=True,
        dynamic=_from_convention("data_categories", STANDARD_DATA),
        max_length=LIST_TEXT,
    ),
    Question(
        "sensitive_data",
        "Des données sensibles sont-elles concernées ?",
        "Seulement celles que la violation concerne : tapez leurs numéros (1,3), ou celui de « aucune donnée "
        "sensible ».",
        "choices",
        SENSITIVE_CHOICES,
        allow_not_yet=True,
    ),
    Question(
        "records",
        "Combien d'enregistrements (fiches, dossiers, lignes) environ ?",
        "Un nombre (40), une fourchette (40 à 50), « environ 40 », « une quarantaine » ou « inconnu ».",
        "count",
        allow_not_yet=True,
    ),
    Question(
        "people_categories",
        "Quelles catégories de personnes sont concernées ?",
        "Seulement celles que la violation concerne (les premières sont celles de la convention) : "
        "tapez leurs numéros (1,3), ou un texte libre.",
        "choices",
        allow_not_yet=True,
        free_text=True,
        dynamic=_from_convention("data_subjects", STANDARD_PEOPLE),
        max_length=LIST_TEXT,
    ),
    Question(
        "people",
        "Combien de personnes environ ?",
        "Un nombre (40), une fourchette (40 à 50), « environ 40 », « une quarantaine » ou « inconnu ».",
        "count",
        allow_not_yet=True,
    ),
    Question(
        "vulnerable",
        "Des mineurs ou des personnes vulnérables sont-ils concernés ?",
        "Plusieurs réponses possibles (1,2).",
        "choices",
        VULNERABLE_CHOICES,
        allow_not_yet=True,
    ),
    Question(
        "measures_before",
        "Quelles mesures de sécurité étaient en place avant la violation ?",
        "Par exemple : chiffrement, mot de passe, accès restreint, sauvegardes.",
        "text",
        allow_not_yet=True,
        dynamic=_measures_before_question,
    ),
    Question(
        "consequences",
        "Quelles conséquences probables pour les personnes ?",
        "Par exemple : atteinte à la vie privée, usurpation d'identité, hameçonnage, perte d'accès à un droit.",
        "text",
        allow_not_yet=True,
    ),
    Question(
        "measures",
        "Quelles mesures avez-vous prises ou prévoyez-vous ?",
        "Pour mettre fin à la violation et en limiter les effets.",
        "text",
        allow_not_yet=True,
    ),
    Question(
        "subjects_informed",
        "Les personnes concernées ont-elles été informées ?",
        "",
        "choice",
        SUBJECTS_CHOICES,
        allow_not_yet=True,
    ),
    Question(
        "subjects_detail",
        "Quand et comment (date, courrier, courriel, SMS, appel) ?",
        "",
        "text",
        allow_not_yet=True,
        when=_is("subjects_informed", "informed", "to_inform"),
        max_length=LIST_TEXT,
    ),
    Question(
        "other_authorities",
        "Avez-vous prévenu d'autres autorités ou organismes ?",
        "Par exemple : plainte à la police ou à la gendarmerie, ANSSI, banque, hébergeur.",
        "text",
        allow_not_yet=True,
        default="aucun",
        default_text="aucun",
        max_length=LIST_TEXT,
    ),
    Question(
        "contact",
        "Qui le Département peut-il joindre (nom, téléphone, courriel) ?",
        "",
        "text",
        dynamic=_contact_question,
        max_length=freetext.SHORT_TEXT,
    ),
)
QUESTIONS_BY_KEY = {q.key: q for q in QUESTIONS}
_BY_KEY = QUESTIONS_BY_KEY


def question(key: str, answers: dict[str, Any], context: Context) -> Question:
    """The question ``key`` with its choices and default resolved for these answers."""
    base = _BY_KEY[key]
    return base.dynamic(base, answers, context) if base.dynamic else base


def next_question(answers: dict[str, Any], context: Context) -> Question | None:
    """The first question that applies and is not answered yet, or None when the questionnaire is done."""
    for base in QUESTIONS:
        if base.key in answers or (base.when is not None and not base.when(answers)):
            continue
        return question(base.key, answers, context)
    return None


def remaining(answers: dict[str, Any]) -> int:
    """How many questions are still to answer (for a « question 3 sur 22 » line)."""
    return sum(1 for q in QUESTIONS if q.key not in answers and (q.when is None or q.when(answers)))


# --- validation ---------------------------------------------------------------------------------------


def validate(question: Question, text: str, *, answers: dict[str, Any], context: Context) -> Any:
    """The value to store for ``text``; raise :class:`AnswerError` saying why it cannot be accepted."""
    raw = freetext.one_kind_of_line_break(text).strip()
    reason = freetext.problem(
        raw, answer_name(question.key), limit=max_length(question), multiline=question.kind in MULTILINE_KINDS
    )
    if reason:
        raise AnswerError(reason)
    if not raw:
        if question.default is not None:
            return question.default
        if question.allow_not_yet:
            raise AnswerError(f"réponse vide : répondez, ou tapez « {NOT_YET} »")
        raise AnswerError("réponse obligatoire")
    if question.allow_not_yet and fold(raw) in _NOT_YET_WORDS:
        return None
    validator = _VALIDATORS[question.kind]
    return validator(question, raw, answers, context)


def _instant(question: Question, raw: str, answers: dict[str, Any], context: Context) -> str:
    if fold(raw) in _NOT_YET_WORDS:
        raise AnswerError(
            "ce moment est obligatoire : le délai court à partir de lui ; au plus tard, c'est "
            "maintenant (tapez « maintenant ») ou une heure approchée (« hier 18h »)"
        )
    try:
        value = frenchtime.parse(raw, now=context.now, what="date et heure")
    except frenchtime.InstantError as exc:
        raise AnswerError(str(exc)) from exc
    conflict = _conflict({**answers, question.key: value.isoformat()}, question.key)
    if conflict is not None:
        raise AnswerError(conflict[1])
    return value.isoformat()


def _conflict(
    answers: dict[str, Any], asked: str | None = None, recorded: frozenset[str] = frozenset()
) -> tuple[str, str] | None:
    """The first answer at odds with another (its key, the French reason), or None.

    ``asked`` is the answer just given (the reason is worded from it, naming the other); without it, the
    reason names the later question, to answer again. Two answers both in ``recorded`` are not compared.
    """
    aware = _when(answers.get("aware_at"))
    started = _when(answers.get("started_at"))
    ended = _when(answers.get("ended_at")) if answers.get("over") == "over" else None
    french = frenchtime.french_instant
    if started and aware and started > aware and not {"started_at", "aware_at"} <= recorded:
        if asked == "aware_at":
            return "aware_at", (
                f"le moment où vous l'avez apprise ({french(aware)}) précède le début de la violation "
                f"({french(started)}, réponse à « {_BY_KEY['started_at'].label} ») : modifiez d'abord "
                "cette réponse-là"
            )
        return "started_at", (
            f"le début ({french(started)}) ne peut pas suivre le moment où vous l'avez apprise ({french(aware)})"
        )
    if started and ended and ended < started and not {"started_at", "ended_at"} <= recorded:
        if asked == "started_at":
            return "started_at", f"le début ({french(started)}) suit la fin ({french(ended)})"
        return "ended_at", f"la fin ({french(ended)}) précède le début ({french(started)})"
    return None


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _choice_index(question: Question, token: str) -> Choice | None:
    folded = fold(token)
    if folded.isdigit():
        if len(folded) > freetext.NUMBER_DIGITS:
            raise AnswerError(f"nombre trop grand : tapez un numéro de 1 à {len(question.choices)}")
        number = int(folded)
        if not 1 <= number <= len(question.choices):
            raise AnswerError(f"« {token} » n'est pas dans la liste : tapez un numéro de 1 à {len(question.choices)}")
        return question.choices[number - 1]
    for choice in question.choices:
        if folded in {fold(choice.value), fold(choice.label), *(fold(k) for k in choice.keywords)}:
            return choice
    return None


def _expected(question: Question) -> str:
    extra = " ou décrivez en quelques mots" if question.free_text else ""
    not_yet = f", ou « {NOT_YET} »" if question.allow_not_yet else ""
    return f"tapez un numéro de 1 à {len(question.choices)}{extra}{not_yet}"


def _choice(question: Question, raw: str, answers: dict[str, Any], context: Context) -> str:
    chosen = _choice_index(question, raw)
    if chosen is not None:
        return chosen.value
    if question.free_text and len(raw) >= 3:
        return raw
    raise AnswerError(f"réponse « {raw} » non comprise : {_expected(question)}")


def _choices(question: Question, raw: str, answers: dict[str, Any], context: Context) -> list[str]:
    tokens = [t for t in re.split(r"\s*(?:,|;|\bet\b|\s)\s*", raw) if t]
    if (tokens and all(fold(t).isdigit() for t in tokens)) or all(_choice_index(question, t) for t in tokens):
        values = list(dict.fromkeys(c.value for t in tokens if (c := _choice_index(question, t)) is not None))
    elif question.free_text and len(raw) >= 3:
        return [part.strip() for part in raw.split(";") if part.strip()]
    else:
        raise AnswerError(f"réponse « {raw} » non comprise : {_expected(question)}")
    if "none" in values:
        if len(values) > 1:
            raise AnswerError("« aucun » ne va pas avec un autre choix : choisissez l'un ou les autres")
        return []
    return values


def _text(question: Question, raw: str, answers: dict[str, Any], context: Context) -> str:
    if len(raw) < 2:
        raise AnswerError("réponse trop courte : quelques mots suffisent")
    return raw  # its length and characters are checked by validate


def _convention(question: Question, raw: str, answers: dict[str, Any], context: Context) -> str:
    if not question.choices:
        raise AnswerError("aucune convention dans le dossier des conventions : ajoutez-y le fichier de la convention")
    folded = fold(raw)
    if folded.isdigit() and len(folded) <= 3:
        chosen = _choice_index(question, raw)
        assert chosen is not None
        return chosen.value
    digits = re.sub(r"\D", "", raw)
    candidates = [c for c in context.conventions if fold(c.id) == folded]
    if not candidates and len(digits) in (9, 14) and len(digits) >= len(raw.replace(" ", "")) - 1:
        candidates = [c for c in context.conventions if c.processor.siret and c.processor.siret.startswith(digits)]
    if not candidates:
        candidates = [
            c
            for c in context.conventions
            if folded in fold(" ".join(filter(None, (c.id, c.processor.name, c.processor.short_name))))
        ]
    if len(candidates) == 1:
        return candidates[0].id
    if not candidates:
        raise AnswerError(
            f"aucune convention ne correspond à « {raw} » : tapez un numéro de la liste "
            "(ou le nom de la structure, ou son SIRET)"
        )
    names = " ; ".join(c.id for c in candidates[:6])
    raise AnswerError(f"plusieurs conventions correspondent à « {raw} » ({names}) : tapez le numéro dans la liste")


#: « une quarantaine » is about 40: stored as « environ 40 » is.
_ROUND_NUMBERS = {
    "dizaine": 10,
    "douzaine": 12,
    "quinzaine": 15,
    "vingtaine": 20,
    "trentaine": 30,
    "quarantaine": 40,
    "cinquantaine": 50,
    "soixantaine": 60,
    "centaine": 100,
    "millier": 1000,
}
#: « quelques dizaines » is two to nine tens: stored as the range « 20 à 90 ».
_SEVERAL_UNITS = {"dizaines": 10, "centaines": 100, "milliers": 1000}
#: What may follow a count in words: « une quarantaine de dossiers », « quelques dizaines d'enfants ».
_OF_WHAT = r"(?:\s+d(?:e\s+|')[a-z' -]{1,60})?"


def _count_in_words(folded: str) -> tuple[int, int] | None:
    """The (low, high) of « une quarantaine », « environ une centaine », « quelques dizaines »; None otherwise."""
    words = "|".join(_ROUND_NUMBERS)
    match = re.fullmatch(rf"(?:(?:environ|a peu pres|pres d')\s*)?une?\s+({words}){_OF_WHAT}", folded)
    if match:
        return _ROUND_NUMBERS[match[1]], _ROUND_NUMBERS[match[1]]
    match = re.fullmatch(rf"(?:quelques|plusieurs|des)\s+({'|'.join(_SEVERAL_UNITS)}){_OF_WHAT}", folded)
    if match:
        unit = _SEVERAL_UNITS[match[1]]
        return 2 * unit, 9 * unit
    return None


def parse_count(raw: str) -> dict[str, Any] | None:
    """« 40 », « 40 à 50 », « entre 40 et 50 », « environ 40 », « ~40 », « 1 200 », « une quarantaine »
    (about 40), « quelques dizaines » (20 à 90) or « inconnu » (None)."""
    if len(raw) > freetext.SHORT_TEXT:
        raise AnswerError(f"nombre illisible : {freetext.SHORT_TEXT} caractères au plus")
    folded = fold(raw).replace("\u202f", " ")
    if folded in _NOT_YET_WORDS:
        return None
    if freetext.too_many_digits(folded):
        raise AnswerError(f"nombre trop grand : {freetext.NUMBER_DIGITS} chiffres au plus")
    folded = re.sub(r"(?<=\d)[ .](?=\d{3}\b)", "", folded)
    approximate = False
    match = re.fullmatch(
        r"(?:environ|a peu pres|~|env\.?|pres de|au moins|plus de)\s*(\d+)(?:\s*environ)?", folded
    ) or re.fullmatch(r"(\d+)\s*(?:environ|a peu pres)", folded)
    in_words = _count_in_words(folded)
    if in_words is not None:
        low, high = in_words
        approximate = True
    elif match:
        low = high = int(match[1])
        approximate = True
    else:
        match = re.fullmatch(r"(?:entre|de)?\s*(\d+)\s*(?:a|-|et)\s*(\d+)", folded)
        if match:
            low, high = int(match[1]), int(match[2])
            approximate = True
        else:
            match = re.fullmatch(r"(\d+)", folded)
            if not match:
                raise AnswerError(
                    f"« {raw} » n'est pas un nombre : tapez un nombre (40), une fourchette (40 à 50), "
                    "« environ 40 », « une quarantaine » ou « inconnu »"
                )
            low = high = int(match[1])
    if low > high:
        raise AnswerError(f"fourchette « {raw} » à l'envers : le plus petit nombre d'abord (40 à 50)")
    if high > 100_000_000:
        raise AnswerError(f"« {raw} » : nombre invraisemblable (plus de 100 millions)")
    return {"min": low, "max": high, "approximate": approximate}


def _count(question: Question, raw: str, answers: dict[str, Any], context: Context) -> dict[str, Any] | None:
    return parse_count(raw)


_VALIDATORS: dict[str, Callable[[Question, str, dict[str, Any], Context], Any]] = {
    "instant": _instant,
    "convention": _convention,
    "choice": _choice,
    "choices": _choices,
    "text": _text,
    "count": _count,
}


# --- the result ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Declaration:
    """What to record once the person confirms: the convention, the awareness instant and every item."""

    convention_id: str
    aware_at: datetime
    details: dict[str, Any]

    @property
    def pending(self) -> list[str]:
        return list(self.details.get("pending", []))


def deadline(answers: dict[str, Any], context: Context) -> datetime | None:
    """The deadline for notifying the Département, as soon as the awareness instant is known."""
    aware = _when(answers.get("aware_at"))
    if aware is None:
        return None
    convention = context.convention(answers)
    hours = convention.notifications.breach_delay_hours if convention else DEFAULT_DELAY_HOURS
    return aware + timedelta(hours=hours)


def to_declaration(answers: dict[str, Any], context: Context, *, recorded: Collection[str] = ()) -> Declaration:
    """The declaration of a finished questionnaire; raise AnswerError if a question is still open, or if
    answers are at odds with each other (``AnswerError.key``: the question to answer again).

    ``recorded`` names the answers taken from a recorded declaration (:func:`reopen`, for a complement):
    they are not checked again, neither alone nor against each other, only against the new answers.
    """
    missing = next_question(answers, context)
    if missing is not None:
        raise AnswerError(f"questionnaire incomplet : « {missing.label} » n'a pas de réponse", missing.key)
    applies = {q.key for q in QUESTIONS if q.when is None or q.when(answers)}
    _recheck(answers, applies, frozenset(recorded))
    details: dict[str, Any] = {
        k: answers[k] for k in DETAIL_KEYS if k in answers and answers[k] is not None and k in applies
    }
    details["ongoing"] = answers.get("over") == "ongoing"
    if answers.get("over") is None:
        details["ongoing_unknown"] = True
    details["pending"] = [q.key for q in QUESTIONS if q.key in answers and answers[q.key] is None and q.key in applies]
    return Declaration(
        convention_id=answers["convention"], aware_at=datetime.fromisoformat(answers["aware_at"]), details=details
    )


def _recheck(answers: dict[str, Any], applies: set[str], recorded: frozenset[str]) -> None:
    """Check the stored answers again, as a whole: the characters of each text as :func:`validate` checks
    them (a draft saved before that check existed) and the answers against each other (an earlier answer
    modified after a later one). Raises :class:`AnswerError` whose ``key`` is the question to answer again."""
    for base in QUESTIONS:
        value = answers.get(base.key)
        if base.key not in applies or value is None or base.key in recorded:
            continue
        texts = value if isinstance(value, list) else [value]
        multiline = base.kind in MULTILINE_KINDS
        for text in texts:
            if isinstance(text, str):
                # characters only: a proposed answer (the convention's measures) may be longer than a typed one
                reason = freetext.problem(text, answer_name(base.key), limit=len(text), multiline=multiline)
                if reason:
                    raise AnswerError(f"réponse à corriger : {reason}", base.key)
    conflict = _conflict(answers, recorded=recorded)
    if conflict is not None:
        key, reason = conflict
        raise AnswerError(f"réponses incohérentes : {reason} ; modifiez « {_BY_KEY[key].label} »", key)


def reopen(convention_id: str, aware_at: datetime, details: dict[str, Any]) -> dict[str, Any]:
    """The answers of a recorded declaration, without the « je ne sais pas encore » ones (to be asked now)."""
    from dpa_kit.breach_notice import normalise_details

    details = normalise_details(details)
    answers: dict[str, Any] = {"aware_at": aware_at.astimezone(UTC).isoformat(), "convention": convention_id}
    if not details.get("ongoing_unknown"):
        answers["over"] = "ongoing" if details.get("ongoing") else "over"
    pending = set(details.get("pending", []))
    for key in DETAIL_KEYS:
        if key in details and key not in pending:
            answers[key] = details[key]
    return answers


def count_text(value: Any) -> str:
    """« 40 », « 40 à 50 », « environ 40 »."""
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, dict):
        return str(value)
    low, high = value["min"], value["max"]
    if low != high:
        return f"{low} à {high}"
    return f"environ {low}" if value.get("approximate") else str(low)


def _label(choices: Sequence[Choice], value: str) -> str:
    return next((c.label for c in choices if c.value == value), value)


#: Every item of the notification, in order: (key, French label, how to show its value).
_ITEMS: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    ("started_at", "Début de la violation", lambda v: frenchtime.french_instant(datetime.fromisoformat(v))),
    ("ended_at", "Fin de la violation", lambda v: frenchtime.french_instant(datetime.fromisoformat(v))),
    ("discovery", "Circonstances de la découverte", str),
    ("natures", "Nature", lambda v: " ; ".join(NATURES.get(x, x) for x in v) or "aucune"),
    ("origin", "Origine", lambda v: _label(ORIGIN_CHOICES, v)),
    ("cause", "Cause", lambda v: _label(CAUSE_CHOICES, v)),
    ("description", "Description", str),
    ("data_categories", "Catégories de données", lambda v: " ; ".join(v) if isinstance(v, list) else str(v)),
    (
        "sensitive_data",
        "Données sensibles",
        lambda v: " ; ".join(_label(SENSITIVE_CHOICES, x) for x in v) if v else "aucune",
    ),
    ("records", "Nombre approximatif d'enregistrements", count_text),
    ("people_categories", "Catégories de personnes", lambda v: " ; ".join(v) if isinstance(v, list) else str(v)),
    ("people", "Nombre approximatif de personnes", count_text),
    (
        "vulnerable",
        "Mineurs ou personnes vulnérables",
        lambda v: " ; ".join(_label(VULNERABLE_CHOICES, x) for x in v) if v else "ni mineurs ni personnes vulnérables",
    ),
    ("measures_before", "Mesures de sécurité en place avant la violation", str),
    ("consequences", "Conséquences probables", str),
    ("measures", "Mesures prises ou envisagées", str),
    (
        "subjects_informed",
        "Information des personnes concernées",
        lambda v: _label(SUBJECTS_CHOICES, v) if v != "undecided" else SUBJECTS_CHOICES[-1].label,
    ),
    ("subjects_detail", "Date et moyen de l'information", str),
    ("other_authorities", "Autres autorités ou organismes informés", str),
    ("contact", "Contact (délégué ou personne à joindre)", str),
)
ITEM_LABELS = {key: label for key, label, _ in _ITEMS}
_OTHER_NAMES = {"aware_at": "Prise de connaissance", "convention": "Convention", "over": "Violation terminée"}


def answer_name(key: str) -> str:
    """The French name of an answer in a message (« Description »)."""
    return ITEM_LABELS.get(key) or _OTHER_NAMES.get(key) or key


_ABSENT = {"subjects_informed": "à décider avec le Département", "other_authorities": "aucun"}
_CONDITIONAL = {"subjects_detail"}


def items(details: dict[str, Any], *, absent: str | None = None) -> list[tuple[str, str]]:
    """Every item of a declaration as (French label, French value): « je ne sais pas encore » shown as such.

    With ``absent`` (« non renseigné »), an item that was never given is listed with that text, so that a
    notification shows every Art. 33(3) item; without it, only the items given are listed.
    """
    pending = set(details.get("pending", []))
    later = f"{NOT_YET} (sera précisé dans une notification complémentaire)"
    lines: list[tuple[str, str]] = []
    for key, label, show in _ITEMS:
        if key == "ended_at" and details.get("ongoing"):
            lines.append((label, "en cours"))
        elif key in pending or (key == "ended_at" and details.get("ongoing_unknown")):
            lines.append((label, later))
        elif key in details and details[key] not in (None, ""):
            lines.append((label, show(details[key])))
        elif absent is not None and key not in _CONDITIONAL:
            lines.append((label, _ABSENT.get(key, absent)))
    return lines


def answer_text(key: str, value: Any, context: Context) -> str:
    """One stored answer in French, for a summary (« je ne sais pas encore » said as such)."""
    if value is None:
        return NOT_YET
    if key == "aware_at":
        return frenchtime.french_instant(datetime.fromisoformat(value))
    if key == "convention":
        convention = next((c for c in context.conventions if c.id == value), None)
        name = convention.processor.display_name if convention else None
        return f"{name} : {value}" if name else str(value)
    if key == "over":
        return _label(OVER_CHOICES, value)
    show = next((s for k, _, s in _ITEMS if k == key), str)
    return show(value)
