"""The declaration questionnaire as data: order, validation with French reasons, defaults, the result."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import ADIL, BETHUNE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dpa_kit import breach_questions as bq
from dpa_kit.breach_questions import AnswerError, Context, next_question, parse_count, to_declaration, validate
from dpa_kit.clock import PARIS
from dpa_kit.loader import load_convention

NOW = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)  # Saturday 23:00 in Paris


@pytest.fixture(scope="module")
def context() -> Context:
    return Context(now=NOW, conventions=(load_convention(ADIL).convention, load_convention(BETHUNE).convention))


def answer(answers: dict[str, Any], context: Context, text: str) -> Any:
    question = next_question(answers, context)
    assert question is not None
    value = validate(question, text, answers=answers, context=context)
    answers[question.key] = value
    return value


def test_first_question_is_awareness_then_convention_then_whether_it_is_over(context: Context) -> None:
    answers: dict[str, Any] = {}
    first = next_question(answers, context)
    assert first is not None and first.label == "Quand avez-vous eu connaissance de la violation ?"
    assert answer(answers, context, "aujourd'hui 18h") == datetime(2026, 11, 28, 17, 0, tzinfo=UTC).isoformat()
    assert bq.deadline(answers, context) == datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
    question = next_question(answers, context)
    assert question is not None and question.key == "convention"
    assert [c.value for c in question.choices] == ["2026-FSL-ADIL-NUMERO-VERT", "2026-DPID-CCAS-BETHUNE-1.2"]
    assert next_question({**answers, "convention": "x"}, context).key == "over"  # type: ignore[union-attr]


def test_convention_by_number_name_or_siret(context: Context) -> None:
    question = bq.question("convention", {}, context)
    pick = lambda text: validate(question, text, answers={}, context=context)  # noqa: E731
    assert pick("2") == "2026-DPID-CCAS-BETHUNE-1.2"
    assert pick("adil") == "2026-FSL-ADIL-NUMERO-VERT"
    assert pick("34309733300078") == pick("343 097 333") == "2026-FSL-ADIL-NUMERO-VERT"
    with pytest.raises(AnswerError, match="de 1 à 2"):
        pick("7")
    with pytest.raises(AnswerError, match="aucune convention ne correspond à « mairie de Lens »"):
        pick("mairie de Lens")
    with pytest.raises(AnswerError, match="plusieurs conventions correspondent"):
        pick("2026")


def test_a_typo_is_refused_with_the_reason_and_nothing_is_stored(context: Context) -> None:
    question = bq.question("natures", {}, context)
    with pytest.raises(AnswerError, match="réponse « x » non comprise : tapez un numéro de 1 à 3"):
        validate(question, "x", answers={}, context=context)
    assert validate(question, "1,2", answers={}, context=context) == ["confidentiality", "integrity"]
    assert validate(question, "c et d", answers={}, context=context) == ["confidentiality", "availability"]
    assert validate(question, "je ne sais pas encore", answers={}, context=context) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("40", {"min": 40, "max": 40, "approximate": False}),
        ("40 à 50", {"min": 40, "max": 50, "approximate": True}),
        ("entre 40 et 50", {"min": 40, "max": 50, "approximate": True}),
        ("environ 40", {"min": 40, "max": 40, "approximate": True}),
        ("1 200", {"min": 1200, "max": 1200, "approximate": False}),
        ("inconnu", None),
        ("Je ne sais pas encore", None),
        ("une quarantaine", {"min": 40, "max": 40, "approximate": True}),
        ("Une centaine", {"min": 100, "max": 100, "approximate": True}),
        ("une dizaine", {"min": 10, "max": 10, "approximate": True}),
        ("environ une vingtaine", {"min": 20, "max": 20, "approximate": True}),
        ("un millier", {"min": 1000, "max": 1000, "approximate": True}),
        ("une quarantaine de dossiers", {"min": 40, "max": 40, "approximate": True}),
        ("quelques dizaines", {"min": 20, "max": 90, "approximate": True}),
        ("plusieurs centaines d'enfants", {"min": 200, "max": 900, "approximate": True}),
    ],
)
def test_counts(text: str, value: Any) -> None:
    assert parse_count(text) == value


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("beaucoup", "n'est pas un nombre"),
        ("50 à 40", "à l'envers"),
        ("-3", "n'est pas un nombre"),
        ("une foule", "n'est pas un nombre"),
        ("une quarantaine 50", "n'est pas un nombre"),
    ],
)
def test_bad_counts(text: str, reason: str) -> None:
    with pytest.raises(AnswerError, match=reason):
        parse_count(text)


def test_a_count_in_words_is_shown_as_an_approximate_number(context: Context) -> None:
    question = bq.question("people", {}, context)
    value = validate(question, "une quarantaine", answers={}, context=context)
    assert value == validate(question, "environ 40", answers={}, context=context)
    assert bq.count_text(value) == "environ 40"
    assert bq.count_text(validate(question, "quelques dizaines", answers={}, context=context)) == "20 à 90"


def test_instants_are_read_in_french(context: Context) -> None:
    with pytest.raises(AnswerError, match=r"vendredi soir.*précisez aussi l.heure"):
        validate(bq.question("aware_at", {}, context), "vendredi soir", answers={}, context=context)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vendredi 18h", datetime(2026, 11, 27, 18, 0, tzinfo=PARIS)),
        ("ce soir 18h", datetime(2026, 11, 27, 18, 0, tzinfo=PARIS)),
        ("ce matin 9h", datetime(2026, 11, 27, 9, 0, tzinfo=PARIS)),
        ("cet après-midi 15h", datetime(2026, 11, 27, 15, 0, tzinfo=PARIS)),
        ("vers 19h", datetime(2026, 11, 27, 19, 0, tzinfo=PARIS)),
        ("vers 19 h 30", datetime(2026, 11, 27, 19, 30, tzinfo=PARIS)),
        ("avant-hier 22h", datetime(2026, 11, 25, 22, 0, tzinfo=PARIS)),
        ("lundi dernier 8h", datetime(2026, 11, 23, 8, 0, tzinfo=PARIS)),
    ],
)
def test_a_secretary_on_friday_night_types_instants_as_she_says_them(text: str, expected: datetime) -> None:
    friday_night = Context(now=datetime(2026, 11, 27, 23, 0, tzinfo=PARIS), conventions=())
    question = bq.question("aware_at", {}, friday_night)
    assert validate(question, text, answers={}, context=friday_night) == expected.astimezone(UTC).isoformat()


def test_a_refused_instant_gives_examples_that_work_now(context: Context) -> None:
    question = bq.question("aware_at", {}, context)
    with pytest.raises(AnswerError, match="dans le futur") as caught:
        validate(question, "ce soir 23h30", answers={}, context=context)
    # Saturday 23:00 in Paris: the examples are today's and yesterday's, and are accepted as they are.
    assert "« aujourd'hui 23h », « vendredi 18h » ou « 28/11/2026 23:00 »" in str(caught.value)
    for example in ("aujourd'hui 23h", "vendredi 18h", "28/11/2026 23:00"):
        validate(question, example, answers={}, context=context)


def test_start_cannot_follow_awareness(context: Context) -> None:
    answers = {"aware_at": datetime(2026, 11, 28, 17, 0, tzinfo=UTC).isoformat()}
    with pytest.raises(AnswerError, match="ne peut pas suivre"):
        validate(bq.question("started_at", answers, context), "aujourd'hui 20h", answers=answers, context=context)


def test_nothing_is_ticked_in_advance_the_convention_categories_come_first(context: Context) -> None:
    answers = {"convention": "2026-DPID-CCAS-BETHUNE-1.2"}
    bethune = context.convention(answers)
    assert bethune is not None and bethune.processing.sensitive_data  # its convention lists health data
    for key, listed in (
        ("data_categories", bethune.processing.data_categories),
        ("people_categories", bethune.processing.data_subjects),
    ):
        question = bq.question(key, answers, context)
        assert question.default is None and question.default_text is None
        assert [c.label for c in question.choices[: len(listed)]] == listed
        assert "seulement celles que la violation concerne" in question.help.lower()
        with pytest.raises(AnswerError, match="réponse vide"):
            validate(question, "", answers=answers, context=context)
        assert validate(question, "1", answers=answers, context=context) == [listed[0]]
    data = bq.question("data_categories", answers, context)
    assert validate(data, "noms et adresses", answers=answers, context=context) == ["noms et adresses"]
    # Health data are offered, never declared by default: an empty answer is refused, « aucune » is said.
    sensitive = bq.question("sensitive_data", answers, context)
    assert sensitive.default is None and sensitive.default_text is None
    assert sensitive.choices[0].value == "health"
    with pytest.raises(AnswerError, match="réponse vide"):
        validate(sensitive, "", answers=answers, context=context)
    assert validate(sensitive, "aucune", answers=answers, context=context) == []
    assert validate(sensitive, str(len(sensitive.choices)), answers=answers, context=context) == []
    assert validate(sensitive, "1", answers=answers, context=context) == ["health"]
    browser = Context(now=NOW, conventions=context.conventions, medium="browser")
    assert "est coché" not in bq.worded(sensitive, browser)[1]
    assert bq.worded(sensitive, browser)[1].startswith("Cochez seulement celles que la violation concerne")


def full_answers(context: Context) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for text in [
        "hier 18h",
        "adil",
        "non",
        "je ne sais pas encore",
        "appel du destinataire",
        "1",
        "1",
        "1",
        "liste des ménages envoyée au mauvais destinataire",
        "1,2,3,4,5,6",
        "aucune",
        "40 à 50",
        "1",
        "environ 45",
        "2",
        "chiffrement des pièces jointes",
        "atteinte à la vie privée",
        "demande de suppression",
        "4",
        "",
        "M. Martin 03 21 00 00 00",
    ]:
        answer(answers, context, text)
    return answers


def test_full_questionnaire_gives_every_item(context: Context) -> None:
    answers = full_answers(context)
    assert next_question(answers, context) is None
    declaration = to_declaration(answers, context)
    assert declaration.convention_id == "2026-FSL-ADIL-NUMERO-VERT"
    assert declaration.aware_at.astimezone(PARIS) == datetime(2026, 11, 27, 18, 0, tzinfo=PARIS)
    assert declaration.pending == ["started_at"]
    assert declaration.details["ongoing"] is True
    shown = dict(bq.items(declaration.details))
    assert shown["Début de la violation"].startswith("je ne sais pas encore")
    assert shown["Fin de la violation"] == "en cours"
    assert shown["Nombre approximatif d'enregistrements"] == "40 à 50"
    assert shown["Nombre approximatif de personnes"] == "environ 45"
    assert shown["Cause"].startswith("envoi au mauvais destinataire")
    assert shown["Mineurs ou personnes vulnérables"].startswith("des personnes vulnérables")
    assert shown["Autres autorités ou organismes informés"] == "aucun"
    assert shown["Information des personnes concernées"].startswith("pas encore décidé")
    assert len(shown) == len(bq.ITEM_LABELS) - 1  # no « date et moyen » of an information not decided


def test_incomplete_questionnaire_is_not_a_declaration(context: Context) -> None:
    with pytest.raises(AnswerError, match="questionnaire incomplet"):
        to_declaration({"aware_at": NOW.isoformat()}, context)


def test_awareness_cannot_be_not_yet_known(context: Context) -> None:
    with pytest.raises(AnswerError, match=r"obligatoire.*tapez « maintenant »"):
        validate(bq.question("aware_at", {}, context), "je ne sais pas encore", answers={}, context=context)
    with pytest.raises(AnswerError, match="obligatoire"):
        validate(bq.question("aware_at", {}, context), "", answers={}, context=context)


def test_deadline_uses_the_conventions_delay_across_dst(context: Context) -> None:
    # Discovered Saturday 24 October 2026 at 18:00, clocks go back that night: 24 h later is 17:00 on Sunday.
    answers = {
        "aware_at": datetime(2026, 10, 24, 18, 0, tzinfo=PARIS).isoformat(),
        "convention": "2026-FSL-ADIL-NUMERO-VERT",
    }
    due = bq.deadline(answers, context)
    assert due is not None and due - datetime.fromisoformat(answers["aware_at"]) == timedelta(hours=24)
    assert due.astimezone(PARIS).hour == 17


def test_a_notification_lists_every_item_even_those_never_given() -> None:
    shown = dict(bq.items({"description": "clé perdue", "ongoing": True}, absent="non renseigné"))
    assert shown["Description"] == "clé perdue" and shown["Fin de la violation"] == "en cours"
    assert shown["Début de la violation"] == "non renseigné"
    assert shown["Nombre approximatif de personnes"] == "non renseigné"
    assert shown["Information des personnes concernées"] == "à décider avec le Département"
    assert shown["Autres autorités ou organismes informés"] == "aucun"
    assert "Date et moyen de l'information" not in shown
    assert "Début de la violation" not in dict(bq.items({"description": "clé perdue"}))


@given(text=st.text(max_size=40), key=st.sampled_from([q.key for q in bq.QUESTIONS]))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=300)
def test_any_answer_is_accepted_or_refused_in_french(context: Context, text: str, key: str) -> None:
    answers = {
        "aware_at": datetime(2026, 11, 28, 17, 0, tzinfo=UTC).isoformat(),
        "convention": "2026-FSL-ADIL-NUMERO-VERT",
    }
    try:
        bq.validate(bq.question(key, answers, context), text, answers=answers, context=context)
    except AnswerError as exc:
        assert str(exc)


def test_start_cannot_follow_the_end(context: Context) -> None:
    answers = {
        "aware_at": datetime(2026, 11, 28, 17, 0, tzinfo=UTC).isoformat(),
        "over": "over",
        "ended_at": datetime(2026, 11, 28, 10, 0, tzinfo=UTC).isoformat(),
    }
    with pytest.raises(AnswerError, match="suit la fin"):
        validate(bq.question("started_at", answers, context), "aujourd'hui 12h", answers=answers, context=context)
    assert validate(bq.question("started_at", answers, context), "aujourd'hui 9h", answers=answers, context=context)
