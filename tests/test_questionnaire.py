"""The « Nouvelle convention » questionnaire: French validation, the file it writes, editing with comments kept,
and ``dpa-kit new`` driven in a real terminal (tmux)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import run
from tmux import Terminal

from dpa_kit import questionnaire as q
from dpa_kit.checks import verdict
from dpa_kit.exceptions import ConventionError, InvalidValue, UsageError
from dpa_kit.loader import load_convention, load_defaults

FORM = {
    "id": "2027-TEST-ASSO",
    "title": "Accompagnement social lié au logement",
    "processor.name": "Association Exemple",
    "processor.siret": "343 097 333 00078",
    "processor.address": "1 rue de la Paix, 62000 Arras",
    "processor.representative.name": "Marie DURAND",
    "processor.representative.role": "Présidente",
    "processor.dpo": "aucun",
    "period.start": "01/01/2027",
    "period.end": "31/12/2027",
    "processing.service": "accompagnement social lié au logement",
    "processing.operations": "collecte, consultation, échanges avec le Département",
    "processing.purposes": "suivre les ménages accompagnés; établir le bilan annuel",
    "processing.data_categories": "noms\nadresse\nsituation familiale",
    "processing.sensitive_data": "aucune",
    "processing.data_subjects": "ménages accompagnés",
    "subprocessing.option": "1",
    "subprocessing.subprocessors": "Logiciel Social SAS (FR) : hébergement du logiciel de suivi",
    "transfers": "aucun",
    "security.option": "1",
    "data_fate.action": "1",
}


def test_a_complete_form_writes_a_convention_that_loads_and_is_ready(registers: Path) -> None:
    answers, errors = q.validate_all(FORM)
    assert errors == {}
    path = q.write_convention(registers, answers, load_defaults(registers))
    assert path == registers / "2027-TEST-ASSO.yaml"
    text = path.read_text(encoding="utf-8")
    assert "# Sous-traitance ultérieure : option A" in text  # comments for the person who opens it
    assert 'siret: "34309733300078"' in text
    loaded = load_convention(path)
    # The Département's side comes from defaults.yaml, not from the questions.
    assert loaded.convention.controller.name == "Département du Pas-de-Calais"
    assert loaded.convention.processor.dpo is None and loaded.convention.processor_dpo_declared
    assert loaded.convention.subprocessing.objection_period == "3 mois"
    result = verdict(loaded)
    assert result.ready, result.reasons()
    assert run("check", str(path)).exit_code == 0


def test_form_errors_are_french_and_tied_to_their_question() -> None:
    form = {**FORM, "processor.siret": "34309733300077", "period.end": "31/12/2026", "subprocessing.option": "C"}
    _, errors = q.validate_all(form)
    assert set(errors) == {"processor.siret", "period.end", "subprocessing.option"}
    assert "clé de contrôle fausse" in errors["processor.siret"]
    assert errors["period.end"] == "la fin (31/12/2026) précède le début (01/01/2027)"
    assert errors["subprocessing.option"] == "réponse « C » non comprise : tapez le numéro d'une option (1, 2)"


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        ("processor.siret", "1234", "un SIRET compte 14 chiffres ; « 1234 » en compte 4"),
        ("period.start", "32/01/2027", "date illisible « 32/01/2027 »"),
        ("processor.dpo", "Jean Martin", "courriel du DPO illisible"),
        ("transfers", "DE, Hébergeur, clauses", "Allemagne est dans l'Union européenne"),
        ("transfers", "ZZ, Hébergeur", "« ZZ » n'est pas un code pays"),
        ("subprocessing.subprocessors", "Logiciel SAS (FR)", "indiquez ce qu'il fait"),
        ("processing.purposes", "aucune", "au moins une réponse est attendue"),
        ("title", "  ", "réponse obligatoire"),
        ("id", "ma convention", "identifiant invalide"),
        ("processing.service", "x" * 5001, "réponse trop longue \\(5001 caractères, 5000 au plus\\)"),
        ("processing.service", "suivi\x1b[31m", "caractère de contrôle interdit"),
    ],
)
def test_each_kind_of_answer_is_refused_with_a_reason(key: str, text: str, message: str) -> None:
    with pytest.raises(InvalidValue, match=message) as caught:
        q.validate(q.QUESTIONS_BY_KEY[key], text, {"period.start": "2027-01-01"})
    assert caught.value.field == key


def test_an_existing_identifier_is_refused() -> None:
    context = q.Context(frozenset({"2026-FSL-ADIL-NUMERO-VERT"}))
    with pytest.raises(InvalidValue, match="existe déjà"):
        q.validate(q.QUESTIONS_BY_KEY["id"], "2026-FSL-ADIL-NUMERO-VERT", {}, context)


def test_options_decide_which_questions_follow() -> None:
    answers = {
        key: value
        for key, value in q.validate_all(
            {**FORM, "subprocessing.option": "2", "security.option": "2", "data_fate.action": "3"}
        )[0].items()
    }
    assert "subprocessing.objection_period" not in answers
    _, errors = q.validate_all({**FORM, "subprocessing.option": "2", "security.option": "2", "data_fate.action": "3"})
    assert set(errors) == {"subprocessing.authorised_activities", "security.responsibilities", "data_fate.third_party"}
    # Every choice is explained in plain words, not only named.
    for key in ("subprocessing.option", "security.option", "data_fate.action"):
        assert all(choice.explanation for choice in q.QUESTIONS_BY_KEY[key].choices)


def test_answers_written_back_are_accepted_again() -> None:
    answers, _ = q.validate_all(FORM)
    texts = {key: q.answer_text(q.QUESTIONS_BY_KEY[key], value) for key, value in answers.items()}
    again, errors = q.validate_all(texts)
    assert errors == {} and again == answers


def test_an_incomplete_questionnaire_is_not_written(registers: Path) -> None:
    answers, _ = q.validate_all({k: v for k, v in FORM.items() if k != "processing.service"})
    with pytest.raises(InvalidValue, match="réponse manquante") as caught:
        q.write_convention(registers, answers)
    assert caught.value.field == "processing.service"


def test_an_existing_file_is_never_overwritten(registers: Path) -> None:
    answers, _ = q.validate_all({**FORM, "id": "2026-FSL-ADIL-NUMERO-VERT"})
    before = (registers / "2026-FSL-ADIL-NUMERO-VERT.yaml").read_bytes()
    with pytest.raises(UsageError, match="existe déjà"):
        q.write_convention(registers, answers)
    assert (registers / "2026-FSL-ADIL-NUMERO-VERT.yaml").read_bytes() == before


def test_editing_keeps_the_comments_and_the_other_answers(registers: Path) -> None:
    path = registers / "2026-FSL-ADIL-NUMERO-VERT.yaml"
    q.edit_convention(
        path,
        {
            "processing.purposes": ["informer les ménages", "prévenir les expulsions"],
            "security.option": 2,
            "security.responsibilities": "partagées",
        },
    )
    text = path.read_text(encoding="utf-8")
    assert "# L'annexe signée en 2026 reprend la rédaction de la délibération du 26 mai 2026" in text
    loaded = load_convention(path)
    assert loaded.convention.processing.purposes == ["informer les ménages", "prévenir les expulsions"]
    assert loaded.convention.security.option == 2
    assert loaded.convention.processor.siret == "34309733300078"
    answers = q.answers_from_data({"processing": {"purposes": ["a"]}, "period": {"start": "2027-01-01"}})
    assert answers["processing.purposes"] == ["a"]


def test_editing_refuses_a_change_that_breaks_the_file_and_a_signed_file(registers: Path) -> None:
    path = registers / "2026-FSL-ADIL-NUMERO-VERT.yaml"
    before = path.read_bytes()
    with pytest.raises(InvalidValue, match="l'identifiant d'une convention ne change pas"):
        q.edit_convention(path, {"id": "AUTRE"})
    with pytest.raises(ConventionError, match="précède son début"):
        q.edit_convention(path, {"period.end": "2025-01-01"})
    assert path.read_bytes() == before
    path.chmod(0o444)
    with pytest.raises(UsageError, match="convention signée ou protégée en écriture"):
        q.edit_convention(path, {"title": "Autre"})
    assert path.read_bytes() == before


def test_parties_come_from_defaults(registers: Path) -> None:
    lines = q.parties(load_defaults(registers))
    assert lines[0] == "Responsable de traitement : Département du Pas-de-Calais"
    assert "Représenté par : Jean-Claude LEROY, Président du Conseil départemental" in lines


# --- in a real terminal --------------------------------------------------------------------------------


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    opened: list[Terminal] = []
    yield opened
    for terminal in opened:
        terminal.close()


TYPED = [
    ("id", "2027-TMUX-ASSO"),
    ("title", FORM["title"]),
    ("dispositif", ""),
    ("processor.name", FORM["processor.name"]),
    ("processor.short_name", ""),
]
AFTER_SIRET = [
    FORM["processor.address"],
    FORM["processor.representative.name"],
    FORM["processor.representative.role"],
    "aucun",
    "01/01/2027",
    "31/12/2027",
    FORM["processing.service"],
    FORM["processing.operations"],
    "suivre les ménages accompagnés; établir le bilan annuel",
    "noms; adresse",
    "aucune",
    "ménages accompagnés",
    "1",
    "",
    "aucun",
    "aucun",
    "2",
    "",
    "la structure sécurise ses postes et le logiciel",
    "1",
]


def test_new_in_a_terminal_corrects_a_wrong_siret_and_writes_a_ready_convention(
    registers: Path, env: dict[str, str], tmp_path: Path, terminals: list[Terminal]
) -> None:
    terminal = Terminal(["new"], env, tmp_path)
    terminals.append(terminal)
    screen = terminal.wait_for("Responsable de traitement : Département du Pas-de-Calais")
    for _, text in TYPED:
        terminal.reply(text)
    terminal.reply("343 097 333 00077")  # one digit wrong: the Luhn key refuses it
    screen = terminal.wait_for("Réponse refusée : le SIRET « 34309733300077 » est invalide (clé de contrôle fausse)")
    terminal.reply("343 097 333 00078")
    for text in AFTER_SIRET:
        terminal.reply(text)
    assert terminal.exit_code() == 0, terminal.screen()
    screen = terminal.screen()
    assert "Option A : autorisation générale" in screen
    assert "La structure peut faire appel à d'autres prestataires" in screen
    assert "Prête à signer : aucune erreur bloquante." in screen
    path = registers / "2027-TMUX-ASSO.yaml"
    assert f"Convention écrite : {path}" in screen
    loaded = load_convention(path)
    assert loaded.convention.processor.siret == "34309733300078"
    assert loaded.convention.security.option == 2
    assert loaded.convention.security.annex == "Annexe 4 - Sécurité et Confidentialité"
    assert run("check", str(path), env=env).exit_code == 0


def test_new_without_a_terminal_says_so(env: dict[str, str]) -> None:
    result = run("new", env=env, input="")
    assert result.exit_code == 2
    assert "dpa-kit new pose des questions : lancez-la dans un terminal." in result.output


def test_new_stopped_with_ctrl_c_writes_nothing(
    registers: Path, env: dict[str, str], tmp_path: Path, terminals: list[Terminal]
) -> None:
    before = sorted(p.name for p in registers.iterdir())
    terminal = Terminal(["new"], env, tmp_path)
    terminals.append(terminal)
    terminal.reply("2027-INTERROMPUE")
    terminal.reply("Accompagnement")
    terminal.wait_for("Question 3")
    terminal.ctrl_c()
    assert terminal.exit_code() == 130
    assert "Interrompu : aucune convention n'a été écrite." in terminal.screen()
    assert sorted(p.name for p in registers.iterdir()) == before


def test_every_question_is_labelled_from_the_one_catalogue() -> None:
    from dpa_kit.labels import LABELS, located

    for question in q.QUESTIONS:
        assert question.key in LABELS, f"{question.key}: no label in dpa_kit.labels"
        assert question.label == LABELS[question.key]
        assert question.help, question.key  # what to answer, beyond the field's name
    # A form field, a refused answer and a message about the file name the field the same way.
    service = q.QUESTIONS_BY_KEY["processing.service"]
    assert service.label == "Traitement › service fourni"
    with pytest.raises(InvalidValue, match="réponse manquante : Identifiant de la convention"):
        q.write_convention(Path("/nonexistent"), {})
    assert located("processing.service").startswith(service.label)
