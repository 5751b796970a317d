"""The declaration's rules that both edges use: linked records, answers shown back, progress, ticked + typed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import ADIL, BETHUNE

from dpa_kit import access, clock
from dpa_kit import breach as breaches
from dpa_kit import breach_questions as bq
from dpa_kit import breach_steps as steps
from dpa_kit.ledger import Ledger
from dpa_kit.loader import load_convention

AWARE = datetime(2026, 3, 28, 18, 0, tzinfo=clock.PARIS)


def _declared_and_received(tmp_path: Path) -> tuple[breaches.Breach, breaches.Breach, list[breaches.Breach]]:
    """A breach declared by a structure, then its copy received with the structure's reference stored where
    ``breach.receive`` stores it (``Breach.structure_reference``, not in the details)."""
    ledger = Ledger(tmp_path / "l.sqlite")
    declared = breaches.declare(
        ledger, convention_id="A", structure="ADIL", delay_hours=24, aware_at=AWARE, details={"nature": "perte"}
    )
    received = breaches.receive(
        ledger,
        convention_id="A",
        structure="ADIL",
        delay_hours=24,
        aware_at=AWARE,
        received_at=AWARE,
        details={"nature": "perte"},
        structure_reference=declared.id,
    )
    assert received.id != declared.id and "structure_reference" not in received.details
    found = list(breaches.all_breaches(ledger).values())
    return declared, received, found


def test_a_declared_breach_and_its_received_copy_are_listed_once(tmp_path: Path) -> None:
    declared, _received, found = _declared_and_received(tmp_path)
    assert [b.id for b in access.structure_breaches(found)] == [declared.id]


def test_the_received_copy_is_the_declared_breach_s_linked_record(tmp_path: Path) -> None:
    declared, received, found = _declared_and_received(tmp_path)
    linked = access.linked_record(found, declared)
    assert linked is not None and linked.id == received.id
    assert access.linked_record(found, received) is None  # the Département's record links to no other


def test_an_older_record_with_the_reference_in_its_details_is_linked_too(tmp_path: Path) -> None:
    declared, received, found = _declared_and_received(tmp_path)
    copy = next(b for b in found if b.id == received.id)
    copy.structure_reference = None
    copy.details = {**copy.details, "structure_reference": declared.id}
    assert access.linked_record(found, declared) is copy
    assert [b.id for b in access.structure_breaches(found)] == [declared.id]


def test_an_unlinked_received_breach_stays_listed(tmp_path: Path) -> None:
    declared, received, found = _declared_and_received(tmp_path)
    next(b for b in found if b.id == received.id).structure_reference = "V-2026-ZZZ-0009"
    assert {b.id for b in access.structure_breaches(found)} == {declared.id, received.id}
    assert access.linked_record(found, declared) is None


# --- answers given back as typed, progress, ticked + typed -------------------------------------------------

NOW = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)
INSTANTS = [
    datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 02:30 heure d'été, the first of the autumn hour
    datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # 02:30 heure d'hiver, the second
    datetime(2026, 10, 25, 0, 0, tzinfo=UTC),  # 02:00 heure d'été, the first minute of the repeated hour
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # 03:00, just after the spring gap
    datetime(2026, 3, 28, 17, 0, tzinfo=UTC),
    datetime(2026, 6, 1, 8, 15, 42, tzinfo=UTC),  # with seconds
    datetime(2026, 11, 28, 21, 59, 1, 123456, tzinfo=UTC),  # « maintenant », to the microsecond
]


@pytest.fixture(scope="module")
def context() -> bq.Context:
    return bq.Context(now=NOW, conventions=(load_convention(ADIL).convention, load_convention(BETHUNE).convention))


@pytest.mark.parametrize("key", [q.key for q in bq.QUESTIONS if q.kind == "instant"])
@pytest.mark.parametrize("instant", INSTANTS, ids=str)
def test_an_instant_given_back_reads_as_the_same_instant(key: str, instant: datetime, context: bq.Context) -> None:
    answers = {"over": "over"}
    question = bq.question(key, answers, context)
    value = instant.isoformat()
    assert bq.validate(question, steps.input_text(question, value), answers=answers, context=context) == value


def test_the_repeated_autumn_hour_says_which_one(context: bq.Context) -> None:
    question = bq.question("aware_at", {}, context)
    assert steps.input_text(question, INSTANTS[0].isoformat()) == "25/10/2026 02:30 heure d'été"
    assert steps.input_text(question, INSTANTS[1].isoformat()) == "25/10/2026 02:30 heure d'hiver"
    assert steps.input_text(question, INSTANTS[4].isoformat()) == "28/03/2026 18:00"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("over", "over"),
        ("natures", ["confidentiality", "availability"]),
        ("sensitive_data", []),
        ("data_categories", ["identité", "fichier des loyers"]),
        ("records", {"min": 120, "max": 120, "approximate": False}),
        ("people", {"min": 10, "max": 50, "approximate": True}),
        ("cause", None),
        ("description", "Un ordinateur portable volé dans une voiture."),
    ],
)
def test_other_answers_given_back_read_as_the_same(key: str, value: Any, context: bq.Context) -> None:
    answers = {"convention": "2026-FSL-ADIL-NUMERO-VERT"}
    question = bq.question(key, answers, context)
    if value is None:  # « je ne sais pas encore » is only listed for questions that allow it
        assert question.allow_not_yet
    if isinstance(value, list) and value and not all(v in {c.value for c in question.choices} for v in value):
        assert question.free_text
    text = steps.input_text(question, value)
    assert bq.validate(question, text, answers=answers, context=context) == value


def test_progress_counts_the_questions_that_apply() -> None:
    first = steps.progress("aware_at", {})
    assert (first.number, first.estimate) == (1, True) and first.text.startswith("Question 1 sur environ ")
    answers: dict[str, Any] = {"aware_at": NOW.isoformat(), "convention": "x", "over": "ongoing"}
    ongoing = steps.progress("started_at", answers)
    over = steps.progress("started_at", {**answers, "over": "over"})
    assert ongoing.number == 4 and over.number == 5  # « ended_at » is asked only when it is over
    assert over.total == ongoing.total + 1
    assert steps.previous_key("started_at", answers) == "over"
    assert steps.following_key("over", answers) == "started_at"
    assert steps.following_key("over", {**answers, "over": "over"}) == "ended_at"
    assert steps.previous_key("aware_at", answers) is None


def test_ticked_and_typed(context: bq.Context) -> None:
    answers: dict[str, Any] = {}
    natures = bq.question("natures", answers, context)
    assert steps.ticked_and_typed(natures, ["2", "1"], "", answers=answers, context=context) == [
        natures.choices[0].value,
        natures.choices[1].value,
    ]
    data = bq.question("data_categories", answers, context)
    both = steps.ticked_and_typed(data, ["1"], "fichier des loyers", answers=answers, context=context)
    assert both == [data.choices[0].value, "fichier des loyers"]
    cause = bq.question("cause", answers, context)
    with pytest.raises(bq.AnswerError, match="choisissez dans la liste ou décrivez en quelques mots, pas les deux"):
        steps.ticked_and_typed(cause, ["1"], "un virus", answers=answers, context=context)
    assert steps.ticked_and_typed(cause, [], "un virus inconnu", answers=answers, context=context) == "un virus inconnu"


def test_the_delay_is_the_convention_s(context: bq.Context) -> None:
    convention = context.conventions[0]
    answers = {"convention": convention.id}
    assert steps.delay_hours(answers, context) == convention.notifications.breach_delay_hours
    assert steps.delay_hours({}, context) == bq.DEFAULT_DELAY_HOURS
