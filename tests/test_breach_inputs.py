"""Hostile or careless breach input, refused at the door by the library; exports that never fail on what an
older ledger holds; answers checked against each other after « Modifier »; what a structure's token reads."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import ADIL, BETHUNE

from dpa_kit import breach as breaches
from dpa_kit import breach_forms
from dpa_kit import breach_questions as bq
from dpa_kit.breach_questions import AnswerError, Context, next_question, validate
from dpa_kit.breach_register import register_rows
from dpa_kit.exceptions import InvalidValue
from dpa_kit.ledger import Ledger
from dpa_kit.loader import load_convention
from dpa_kit.tables import table_bytes

NOW = datetime(2026, 11, 29, 3, 42, tzinfo=UTC)  # Sunday 04:42 in Paris
HOSTILE = "x\x0b\x01 ligne\x1b[31m"


@pytest.fixture(scope="module")
def context() -> Context:
    return Context(now=NOW, conventions=(load_convention(ADIL).convention, load_convention(BETHUNE).convention))


def answered(context: Context, upto: str) -> dict[str, Any]:
    """The answers of a questionnaire up to the question ``upto`` (excluded), typed as a person would."""
    typed = {
        "aware_at": "aujourd'hui 4h",
        "convention": "1",
        "over": "oui",
        "ended_at": "aujourd'hui 3h30",
        "started_at": "aujourd'hui 2h",
        "discovery": "appel du destinataire",
        "natures": "1",
        "origin": "1",
        "cause": "1",
        "description": "liste envoyée au mauvais destinataire",
        "data_categories": "1",
        "sensitive_data": "aucune",
        "records": "40",
        "people_categories": "1",
        "people": "40",
        "vulnerable": "3",
        "measures_before": "mot de passe",
        "consequences": "hameçonnage",
        "measures": "demande de suppression",
        "subjects_informed": "1",
        "subjects_detail": "courriel du 29/11",
        "other_authorities": "",
        "contact": "Mme Martin, 03 21 00 00 00",
    }
    answers: dict[str, Any] = {}
    while (question := next_question(answers, context)) is not None and question.key != upto:
        answers[question.key] = validate(question, typed[question.key], answers=answers, context=context)
    return answers


def ask(key: str, text: str, context: Context) -> Any:
    answers = answered(context, key)
    return validate(bq.question(key, answers, context), text, answers=answers, context=context)


# --- 1. control characters -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("description", "Description"),
        ("discovery", "Circonstances de la découverte"),
        ("measures", "Mesures prises ou envisagées"),
        ("contact", "Contact"),
        ("subjects_detail", "Date et moyen de l'information"),
        ("other_authorities", "Autres autorités"),
        ("cause", "Cause"),
        ("data_categories", "Catégories de données"),
        ("records", "Nombre approximatif d'enregistrements"),
        ("aware_at", "Prise de connaissance"),
    ],
)
@pytest.mark.parametrize("bad", [HOSTILE, "a\x00b", "abc\u202edcba", "abc\x85def", "ab\ud800cd"])
def test_an_answer_with_a_control_character_is_refused_naming_the_field(
    context: Context, key: str, name: str, bad: str
) -> None:
    with pytest.raises(AnswerError, match=f"« {name}.*interdit") as raised:
        ask(key, bad, context)
    assert "supprimez-le" in str(raised.value)


def test_line_breaks_and_tabs_only_where_several_lines_are_allowed(context: Context) -> None:
    assert ask("description", "première ligne\r\nseconde\tligne", context) == "première ligne\nseconde\tligne"
    with pytest.raises(AnswerError, match="retour à la ligne ou tabulation interdit"):
        ask("records", "40\n50", context)
    with pytest.raises(AnswerError, match="retour à la ligne ou tabulation interdit"):
        ask("cause", "un vol\ndans la voiture", context)


# --- 2. numbers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["origin", "subjects_informed", "natures", "vulnerable"])
def test_a_choice_number_too_big_is_refused_not_a_crash(context: Context, key: str) -> None:
    with pytest.raises(AnswerError, match="nombre trop grand"):
        ask(key, "9" * 13, context)
    with pytest.raises(AnswerError):  # 5 000 digits: over Python's limit of int conversion
        ask(key, "9" * 5000, context)


@pytest.mark.parametrize("key", ["records", "people"])
@pytest.mark.parametrize("text", ["9" * 13, "1 à " + "9" * 13, "environ " + "9" * 20])
def test_a_count_too_big_is_refused(context: Context, key: str, text: str) -> None:
    with pytest.raises(AnswerError, match="nombre trop grand"):
        ask(key, text, context)
    with pytest.raises(AnswerError):
        bq.parse_count("9" * 5000)


def test_counts_given_all_at_once_too_big_are_form_errors(context: Context) -> None:
    texts = {"aware_at": "aujourd'hui 3h", "convention": "1", "description": "courriel mal adressé"}
    texts |= {"records": "9" * 5000, "people": "1" + "0" * 13, "contact": "Mme Martin"}
    with pytest.raises(breach_forms.FormErrors) as raised:
        breach_forms.answers_from_texts(texts, context)
    assert set(raised.value.errors) == {"records", "people"}
    assert "nombre trop grand" in raised.value.errors["people"]


# --- 3. lengths ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "limit"), [("description", 5000), ("measures", 5000), ("contact", 300)])
def test_free_text_has_a_maximum_length(context: Context, key: str, limit: int) -> None:
    assert ask(key, "a" * limit, context) == "a" * limit
    shown = f"{limit:,}".replace(",", "\u202f")
    with pytest.raises(AnswerError, match=f"trop long : {shown} caractères au plus"):
        ask(key, "a" * (limit + 1), context)
    assert bq.max_length(bq.QUESTIONS_BY_KEY[key]) == limit


def test_every_question_has_a_maximum_length() -> None:
    for question in bq.QUESTIONS:
        assert 100 <= bq.max_length(question) <= 5000, question.key


def test_the_reasons_of_a_delay_are_checked_by_the_library(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.sqlite")
    breach = breaches.declare(
        ledger,
        convention_id="C",
        structure="S",
        delay_hours=24,
        aware_at=NOW - timedelta(days=3),
        details={"natures": ["integrity"], "description": "x"},
    )
    for bad, reason in (("motif\x00" * 10, "caractère de contrôle interdit"), ("a" * 3_000_000, "trop long")):
        with pytest.raises(InvalidValue, match=reason) as raised:
            breaches.record_notification(
                ledger, breach, sent_at=NOW, message_id="<x@b.fr>", to="d@p.fr", complementary=False, delay_reason=bad
            )
        assert raised.value.field == "delay_reason" and "Motifs du retard" in str(raised.value)
    assert breaches.get(ledger, breach.id).notifications == []
    with pytest.raises(InvalidValue, match="« Description »"):
        breaches.breach_details({"natures": ["c"], "description": HOSTILE})


# --- 4. answers checked against each other after « Modifier » ------------------------------------------


def _modified(answers: dict[str, Any], key: str, text: str, context: Context) -> Any:
    """What the web's « Modifier » and the terminal do: the question asked again, the other answers kept."""
    others = {k: v for k, v in answers.items() if k != key}
    return validate(bq.question(key, others, context), text, answers=others, context=context)


def test_modifying_the_awareness_before_the_start_is_refused(context: Context) -> None:
    answers = answered(context, "")
    assert bq.to_declaration(answers, context).aware_at == datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
    with pytest.raises(AnswerError, match=r"précède le début de la violation.*Quand a-t-elle commencé"):
        _modified(answers, "aware_at", "hier 10h", context)
    with pytest.raises(AnswerError, match=r"la fin .* précède le début"):
        _modified(answers, "ended_at", "aujourd'hui 1h", context)
    with pytest.raises(AnswerError, match=r"le début .* suit la fin"):
        _modified(answers, "started_at", "aujourd'hui 3h45", context)
    # once the start is moved earlier, the awareness may move too
    answers["started_at"] = _modified(answers, "started_at", "hier 9h", context)
    answers["aware_at"] = _modified(answers, "aware_at", "hier 10h", context)
    assert bq.to_declaration(answers, context).aware_at == datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def test_inconsistent_answers_are_not_a_declaration(context: Context) -> None:
    answers = answered(context, "")
    answers["aware_at"] = datetime(2026, 11, 28, 9, 0, tzinfo=UTC).isoformat()  # a draft saved before the check
    with pytest.raises(AnswerError, match=r"réponses incohérentes.*modifiez « Quand a-t-elle commencé") as raised:
        bq.to_declaration(answers, context)
    assert raised.value.key == "started_at"
    answers = answered(context, "")
    answers["description"] = HOSTILE
    with pytest.raises(AnswerError, match="« Description »") as raised:
        bq.to_declaration(answers, context)
    assert raised.value.key == "description"


def test_a_reopened_declaration_is_checked_again(context: Context) -> None:
    declaration = bq.to_declaration(answered(context, ""), context)
    reopened = bq.reopen(declaration.convention_id, declaration.aware_at, declaration.details)
    assert bq.to_declaration(reopened, context).details == declaration.details
    with pytest.raises(AnswerError, match="précède le début"):
        _modified(reopened, "aware_at", "hier 10h", context)


# --- 5. the CNIL notification instant ---------------------------------------------------------------


def _received(tmp_path: Path, details: dict[str, Any] | None = None) -> tuple[Ledger, breaches.Breach]:
    ledger = Ledger(tmp_path / "l.sqlite")
    breach = breaches.receive(
        ledger,
        convention_id="C",
        structure="S",
        delay_hours=24,
        aware_at=NOW - timedelta(hours=1),
        received_at=NOW,
        details=details or {"natures": ["confidentiality"], "description": "courriel mal adressé"},
    )
    return ledger, breach


def test_a_cnil_notification_before_the_reception_or_in_the_future_is_refused(tmp_path: Path) -> None:
    ledger, breach = _received(tmp_path)
    later = NOW + timedelta(hours=2)
    with pytest.raises(breach_forms.FormErrors) as raised:
        breach_forms.check_cnil(breach, {"notified": "oui", "at": "hier 18h"}, now=later)
    assert "antérieur à la réception de la violation" in raised.value.errors["at"]
    assert "instant de la notification à la CNIL" in raised.value.errors["at"]
    with pytest.raises(breach_forms.FormErrors) as raised:
        breach_forms.check_cnil(breach, {"notified": "oui", "at": "30/11/2026 10:00"}, now=later)
    assert "notification à la CNIL" in raised.value.errors["at"] and "dans le futur" in raised.value.errors["at"]
    decision = breach_forms.check_cnil(breach, {"notified": "oui", "at": "maintenant", "reference": "N-1"}, now=later)
    assert decision.at == later and decision.reference == "N-1"
    with pytest.raises(InvalidValue, match="antérieur à la réception"):
        breaches.record_cnil(
            ledger,
            breach,
            notified=True,
            at=NOW - timedelta(hours=10),
            reference=None,
            reason=None,
            delay_reason=None,
        )


def test_the_dpo_free_texts_are_checked_field_by_field(tmp_path: Path) -> None:
    _, breach = _received(tmp_path)
    later = NOW + timedelta(hours=2)
    values = {"notified": "oui", "at": "maintenant", "reference": "N\x1b[31m", "delay_reason": "a" * 5001}
    with pytest.raises(breach_forms.FormErrors) as raised:
        breach_forms.check_cnil(breach, values, now=later)
    assert "« Référence CNIL » : caractère de contrôle interdit" in raised.value.errors["reference"]
    assert "trop long : 5\u202f000 caractères au plus" in raised.value.errors["delay_reason"]
    with pytest.raises(breach_forms.FormErrors) as raised:
        breach_forms.check_cnil(breach, {"notified": "non", "reason": "pas de risque\u202e"}, now=later)
    assert "direction du texte interdit" in raised.value.errors["reason"]
    with pytest.raises(breach_forms.FormErrors) as raised:
        breach_forms.check_subjects(breach, {"decision": "informed", "date": "30/11/2026", "channel": "SMS\x00"})
    assert "« Moyen de l'information" in raised.value.errors["channel"]
    with pytest.raises(breach_forms.FormErrors) as raised:
        breach_forms.check_subjects(breach, {"decision": "informed", "date": "3" * 5000, "channel": "SMS"})
    assert "date illisible" in raised.value.errors["date"]


def test_the_severity_adjustment_is_a_short_number() -> None:
    from dpa_kit.breach_severity import check_severity

    values = {"dpc": "2", "ei": "limited", "confidentiality": "known", "integrity": "none"}
    values |= {"availability": "none", "malicious": "non"}
    assert check_severity({**values, "dpc_adjust": "0,5"}).inputs["dpc_adjust"] == 0.5
    with pytest.raises(breach_forms.FormErrors) as raised:
        check_severity({**values, "dpc_adjust": "0." + "0" * 5000})
    assert set(raised.value.errors) == {"dpc_adjust"}


# --- 1b. every export of an older ledger holding such a text ---------------------------------------


@pytest.fixture
def hostile_register(tmp_path: Path) -> tuple[list[str], list[list[Any]]]:
    """The breach register of a ledger recorded before texts were checked (the events are kept forever)."""
    details = {"natures": ["confidentiality"], "description": HOSTILE + "\u202e\ufffe\x85", "contact": "a\x00b"}
    ledger, breach = _received(tmp_path, details)
    breaches.record_cnil(
        ledger, breach, notified=False, at=None, reference=None, reason="pas de risque", delay_reason=None
    )
    ledger.append("breach.closed", breach.id, {"reason": "traité\x07"})
    return register_rows(list(breaches.all_breaches(ledger).values()))


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods", "html"])
def test_every_export_of_an_older_ledger_works_and_shows_the_replaced_characters(
    hostile_register: tuple[list[str], list[list[Any]]], tmp_path: Path, fmt: str
) -> None:
    from dpa_kit.tables import read_rows

    headers, rows = hostile_register
    rows = [[HOSTILE + "\ud800" if v is None else v for v in row] for row in rows]  # every cell hostile
    data = table_bytes(fmt, "Registre des violations\x01", [*headers[:-1], HOSTILE], rows)
    path = tmp_path / f"registre.{fmt}"
    path.write_bytes(data)
    if fmt == "html":
        text = data.decode("utf-8")
        assert "x\ufffd\ufffd ligne\ufffd[31m" in text
        assert not any(c in text for c in "\x00\x01\x0b\x1b\u202e")
        return
    if fmt == "xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(data)).active
        assert sheet is not None
        opened = [[cell.value for cell in row] for row in sheet.iter_rows()]
        assert opened[0][-1] == "x\ufffd\ufffd ligne\ufffd[31m"
    found = read_rows(path)
    assert found[0][-1] == "x\ufffd\ufffd ligne\ufffd[31m"
    assert found[1][headers.index("Fin")] == "x\ufffd\ufffd ligne\ufffd[31m\ufffd"
    description = found[1][headers.index("Description")]
    assert description == "x\ufffd\ufffd ligne\ufffd[31m\ufffd\ufffd\ufffd"


def test_the_breach_register_rows_are_safe_for_a_page(hostile_register: tuple[list[str], list[list[Any]]]) -> None:
    _, rows = hostile_register
    text = json.dumps(rows, ensure_ascii=False, default=str)  # instants are datetimes
    assert "\\u000b" not in text and "\\u0000" not in text and "\u202e" not in text


# --- 6. what a structure's token reads --------------------------------------------------------------


def test_the_structure_view_leaves_out_the_departements_decisions(tmp_path: Path) -> None:
    from dpa_kit.breach_severity import check_severity

    ledger, breach = _received(tmp_path)
    breaches.record_cnil(
        ledger, breach, notified=False, at=None, reference=None, reason="risque faible (art. 33(5))", delay_reason=None
    )
    breaches.record_subjects(ledger, breach, decision="not_informed", date=None, channel=None, ground="no_high_risk")
    values = {"dpc": "2", "ei": "limited", "confidentiality": "known", "integrity": "none"}
    assessed = check_severity(values | {"availability": "none", "malicious": "non"})
    breaches.record_severity(ledger, breach, assessed.severity, assessed.inputs)
    recorded = breaches.get(ledger, breach.id)
    full = recorded.as_json(NOW)
    assert full["cnil"] and full["subjects"] and full["severity"]
    seen = recorded.structure_json(NOW)
    assert not {"cnil", "subjects", "severity", "side", "received_at", "cnil_deadline"} & set(seen)
    text = json.dumps(seen, ensure_ascii=False)
    assert "33(5)" not in text and "no_high_risk" not in text
    assert seen["id"] == breach.id and seen["details"]["description"] == "courriel mal adressé"
    assert seen["status"] == recorded.structure_status_fr(NOW)


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_the_command_exports_an_older_ledger_and_libreoffice_opens_it(
    env: dict[str, str], tmp_path: Path, fmt: str
) -> None:
    import subprocess

    from conftest import require_program
    from helpers import run

    soffice = require_program("soffice", "libreoffice")
    ledger = Ledger(Path(env["DPA_KIT_LEDGER"]))
    breaches.receive(
        ledger,
        convention_id="C",
        structure="S",
        delay_hours=24,
        aware_at=NOW - timedelta(hours=1),
        received_at=NOW,
        details={"natures": ["confidentiality"], "description": HOSTILE},
    )
    out = tmp_path / f"registre.{fmt}"
    result = run("breach", "register", "export", "--format", fmt, "-o", out, env=env)
    assert result.exit_code == 0, result.output
    converted = subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "csv",
            "--outdir",
            str(tmp_path / "csv"),
            str(out),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert converted.returncode == 0, converted.stderr
    text = (tmp_path / "csv" / "registre.csv").read_text(encoding="utf-8", errors="replace")
    assert "ligne" in text and "[31m" in text and "\x1b" not in text


def test_a_complement_of_an_older_declaration_checks_only_what_is_new(context: Context) -> None:
    answers = answered(context, "")
    answers["aware_at"] = datetime(2026, 11, 28, 9, 0, tzinfo=UTC).isoformat()  # recorded before the check
    answers["description"] = HOSTILE
    answers["records"] = None  # « je ne sais pas encore »
    declaration = bq.to_declaration(answers, context, recorded=answers.keys())
    reopened = bq.reopen(declaration.convention_id, declaration.aware_at, declaration.details)
    recorded = set(reopened)
    reopened["records"] = ask("records", "40 à 50", context)
    completed = bq.to_declaration(reopened, context, recorded=recorded)
    assert completed.details["records"] == {"min": 40, "max": 50, "approximate": True}
    with pytest.raises(AnswerError, match="Description"):
        bq.to_declaration(reopened, context)


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"description": HOSTILE}, "Description"), ({"delay_reason": "en retard\x00"}, "Motifs du retard")],
)
def test_a_received_notice_with_a_control_character_is_not_recorded(
    tmp_path: Path, changes: dict[str, str], field: str
) -> None:
    from test_breach_inbox import CONTEXT, CONVENTIONS, crafted, declared

    from dpa_kit.breach_inbox import read_eml, record
    from dpa_kit.exceptions import UsageError

    breach, _ = declared(tmp_path)
    departement = Ledger(tmp_path / "departement.sqlite")
    with pytest.raises(UsageError, match=f"« {field} »"):
        record(departement, read_eml(crafted(breach, **changes), CONVENTIONS, now=NOW), CONTEXT, received_at=NOW)
    assert breaches.all_breaches(departement) == {}


def test_the_closing_reason_is_checked_by_a_form_and_by_the_library(tmp_path: Path) -> None:
    ledger, breach = _received(tmp_path)
    with pytest.raises(breach_forms.FormErrors) as raised:
        breach_forms.check_close(breach, {"reason": "traité\x1b[31m"})
    assert "« Motif de clôture » : caractère de contrôle interdit" in raised.value.errors["reason"]
    assert breach_forms.check_close(breach, {"reason": " traité\r\nfin "}) == "traité\nfin"
    with pytest.raises(InvalidValue, match="« Motif de clôture »"):
        breaches.close(ledger, breach, "a" * 5001)
    assert breaches.get(ledger, breach.id).closed is None


def test_the_terminal_review_refuses_a_huge_number_in_french(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpers import run

    from dpa_kit.cli import common

    monkeypatch.setattr(common, "interactive", lambda: True)
    typed = ["hier 18h", "", "adil", "oui", "hier 19h", "", "hier 17h", "", "appel du destinataire", "c", "4", "2"]
    typed += ["clé USB perdue", "noms", "aucune", "120", "1", "120", "1", "aucune", "usurpation", "plainte", "4"]
    typed += ["police"]
    typed += ["Mme Durand", "²", "9" * 5000, "1", "hier 16h", "hier 17h30", "", "o"]
    result = run("breach", "declare", input="\n".join(typed) + "\n", env={**env, "DPA_KIT_NOW": "2026-10-24T23:00"})
    assert result.exit_code == 0, result.output
    assert result.output.count("Réponse non retenue : tapez o, n ou un numéro de la liste") == 2
    # « 1 » re-asked the awareness: « hier 16h » precedes the start (17h) and is refused, naming it
    assert "précède le début de la violation" in result.output


def test_the_cnil_rules_have_one_wording_in_the_form_and_the_record(tmp_path: Path) -> None:
    """The reception rule and the free texts of the CNIL decision are checked once, in the library: the form
    shows, under its field, the very sentence the record (and so the command line) gives."""
    ledger, breach = _received(tmp_path)
    later = NOW + timedelta(hours=2)
    early = NOW - timedelta(hours=10)
    with pytest.raises(InvalidValue) as recorded:
        breaches.record_cnil(ledger, breach, notified=True, at=early, reference=None, reason=None, delay_reason=None)
    assert recorded.value.field == "cnil_at"
    with pytest.raises(breach_forms.FormErrors) as form:
        breach_forms.check_cnil(
            breach,
            {"notified": "oui", "at": early.astimezone(ZoneInfo("Europe/Paris")).strftime("%d/%m/%Y %H:%M")},
            now=later,
        )
    assert form.value.errors["at"] == str(recorded.value)
    with pytest.raises(InvalidValue) as recorded:
        breaches.record_cnil(
            ledger, breach, notified=False, at=None, reference=None, reason="risque\x1b faible", delay_reason=None
        )
    assert recorded.value.field == "cnil_reason"
    with pytest.raises(breach_forms.FormErrors) as form:
        breach_forms.check_cnil(breach, {"notified": "non", "reason": "risque\x1b faible"}, now=later)
    assert form.value.errors["reason"] == str(recorded.value)
