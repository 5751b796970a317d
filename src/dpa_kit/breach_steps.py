"""Going through the breach questionnaire (:mod:`dpa_kit.breach_questions`), the same in a terminal and a browser.

Where a question stands (« Question 3 sur environ 22 »), the answered question before it and the one after
(« Question précédente »), an answer given back as the text the person would type again (« Modifier »), and
an answer made of ticked choices and typed words: the rules the two edges share, each written once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dpa_kit import breach_questions as bq
from dpa_kit.clock import PARIS

__all__ = [
    "BOTH_GIVEN",
    "Progress",
    "applies",
    "delay_hours",
    "following_key",
    "input_text",
    "previous_key",
    "progress",
    "ticked_and_typed",
]

#: The refusal of a single choice both ticked in the list and described in words.
BOTH_GIVEN = "choisissez dans la liste ou décrivez en quelques mots, pas les deux"


def delay_hours(answers: dict[str, Any], context: bq.Context) -> int:
    """The hours the structure has to notify the Département: its convention's
    ``notifications.breach_delay_hours`` (the default delay while no convention is chosen)."""
    convention = context.convention(answers)
    return convention.notifications.breach_delay_hours if convention else bq.DEFAULT_DELAY_HOURS


def applies(key: str, answers: dict[str, Any]) -> bool:
    """True when question ``key`` is asked for these answers (it has no condition, or its condition holds)."""
    base = bq.QUESTIONS_BY_KEY[key]
    return base.when is None or base.when(answers)


@dataclass(frozen=True)
class Progress:
    """Where a question stands: its position among the questions that apply, their total and whether that
    total may still change (a later question depends on an answer not given yet)."""

    number: int
    total: int
    estimate: bool

    @property
    def text(self) -> str:
        """« Question 20 sur 22 », or « Question 3 sur environ 22 » while the total may change."""
        return f"Question {self.number} sur {'environ ' if self.estimate else ''}{self.total}"


def progress(key: str, answers: dict[str, Any]) -> Progress:
    """The position of question ``key`` in the questionnaire's order among the questions that apply to
    ``answers`` (``key`` itself counted, answered or not), as the person goes through them."""
    applying = [q.key for q in bq.QUESTIONS if q.key == key or applies(q.key, answers)]
    # A conditional question comes after one still unanswered (a condition depends on earlier answers):
    # whether it will be asked is not known yet, so the total is a guess.
    open_before = False
    estimate = False
    for q in bq.QUESTIONS:
        if q.key not in answers and q.key != key and q.when is not None and open_before:
            estimate = True
            break
        if q.key in applying and q.key not in answers:
            open_before = True
    return Progress(applying.index(key) + 1, len(applying), estimate)


def previous_key(key: str, answers: dict[str, Any]) -> str | None:
    """The answered question just before ``key`` in the questionnaire's order (for « Question précédente »)."""
    before = None
    for q in bq.QUESTIONS:
        if q.key == key:
            return before
        if q.key in answers and applies(q.key, answers):
            before = q.key
    return before


def following_key(key: str, answers: dict[str, Any]) -> str | None:
    """The question that applies just after ``key`` in the questionnaire's order, answered or not."""
    seen = False
    for q in bq.QUESTIONS:
        if seen and applies(q.key, answers):
            return q.key
        seen = seen or q.key == key
    return None


def _instant_input(value: str) -> str:
    """« 25/10/2026 02:30 heure d'été »: an answered instant in Paris time as typed, which
    :func:`~dpa_kit.breach_questions.validate` reads back to the same instant (the season is said during the
    autumn hour that happens twice, the seconds when there are some)."""
    instant = datetime.fromisoformat(value)
    if instant.microsecond:
        return value  # « maintenant » to the microsecond: only ISO 8601 says it exactly
    local = instant.astimezone(PARIS)
    text = local.strftime("%d/%m/%Y %H:%M:%S" if local.second else "%d/%m/%Y %H:%M")
    wall = local.replace(tzinfo=None)
    if wall.replace(tzinfo=PARIS, fold=0).utcoffset() != wall.replace(tzinfo=PARIS, fold=1).utcoffset():
        text += " heure d'été" if local.dst() else " heure d'hiver"
    return text


def input_text(question: bq.Question, value: Any) -> str:
    """An answer as the text to type for it again (« Modifier »): ``validate(question, input_text(question,
    value))`` gives ``value`` back. « je ne sais pas encore » for an answer not known yet; choices by their
    numbers, a described one by its words."""
    if value is None:
        return bq.NOT_YET if question.allow_not_yet else ""
    if question.kind == "instant":
        return _instant_input(str(value))
    if question.kind == "count":
        return bq.count_text(value)
    numbers = {c.value: str(i) for i, c in enumerate(question.choices, start=1)}
    if question.kind in {"choice", "convention"}:
        return numbers.get(value, str(value))
    if question.kind == "choices":
        values = list(value)
        if not values:
            return numbers.get("none", "")
        if all(v in numbers for v in values):
            return ",".join(numbers[v] for v in values)
        return " ; ".join(str(v) for v in values)
    return str(value)


def ticked_and_typed(
    question: bq.Question, ticked: Iterable[str], typed: str, *, answers: dict[str, Any], context: bq.Context
) -> Any:
    """The answer to a question with choices given as ticked choices (their numbers) and described words.

    Each goes through :func:`~dpa_kit.breach_questions.validate` as if typed in a terminal. For several
    choices, the ticked ones and the described ones are kept together; for one choice, both given is refused
    (:data:`BOTH_GIVEN`); for a convention, the described one is read. Raises
    :class:`~dpa_kit.breach_questions.AnswerError` with the French reason.
    """
    chosen = ",".join(sorted({str(n) for n in ticked}, key=lambda n: (len(n), n)))
    typed = typed.strip()
    if chosen and typed and question.kind == "choice":
        raise bq.AnswerError(BOTH_GIVEN)
    if chosen and typed and question.kind == "choices":
        kept = bq.validate(question, chosen, answers=answers, context=context)
        described = bq.validate(question, typed, answers=answers, context=context)
        return list(dict.fromkeys([*kept, *described]))
    return bq.validate(question, typed or chosen, answers=answers, context=context)
