"""The web declaration and ``dpa-kit breach declare`` ask the same questionnaire: the same answers, typed in a
terminal or given in the pages, record the same breach (the web one also notified and received at once)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import run
from test_web import SCRIPT, answer_all, browser_form, login
from webhelpers import BETHUNE, FAST, Clock, csrf_of, make_people

from dpa_kit import breach as breaches
from dpa_kit.ledger import Ledger
from dpa_kit.web import WebConfig, create_app

INSTANTS = {"aware_at", "started_at", "ended_at"}

# Sunday 29 March 2026, 00:30 in Paris (the night clocks go forward): « hier 18h » is Saturday 18:00.
NIGHT = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
ANOTHER: list[tuple[str, str]] = [
    ("aware_at", "hier 18h"),
    ("convention", BETHUNE),
    ("over", "non"),
    ("started_at", "28/03/2026 09:30"),
    ("discovery", "je ne sais pas"),
    ("natures", "1, 3"),
    ("origin", "4"),
    ("cause", "clé USB oubliée dans le train"),
    ("description", "une clé USB avec des dossiers de bénéficiaires a été perdue"),
    ("data_categories", "noms ; adresses ; situation familiale"),
    ("sensitive_data", "je ne sais pas encore"),
    ("records", "1 200"),
    ("people_categories", "1,2"),
    ("people", "inconnu"),
    ("vulnerable", "1"),
    ("measures_before", "aucune"),
    ("consequences", "je ne sais pas encore"),
    ("measures", "plainte déposée, clé recherchée"),
    ("subjects_informed", "1"),
    ("subjects_detail", "courrier le 30/03/2026"),
    ("other_authorities", "plainte à la gendarmerie"),
    ("contact", "M. Dupont, 03 21 11 11 11"),
]
SCENARIOS = [
    pytest.param(SCRIPT, datetime(2026, 3, 28, 22, 0, tzinfo=UTC), id="counts-ranges-and-not-yet"),
    pytest.param(ANOTHER, NIGHT, id="yesterday-free-text-ongoing"),
]


def in_terminal(
    script: list[tuple[str, str]], now: datetime, registers: Path, ledger: Path, monkeypatch: pytest.MonkeyPatch
) -> breaches.Breach:
    """``dpa-kit breach declare`` answered line by line (each instant confirmed), then « o »."""
    monkeypatch.setattr("dpa_kit.cli.common.interactive", lambda: True)
    ledger.parent.mkdir(exist_ok=True)
    lines = []
    for key, text in script:
        lines.append(text)
        if key in INSTANTS and text not in {"je ne sais pas encore", "je ne sais pas"}:
            lines.append("")  # « Est-ce exact ? » Entrée = oui
    lines.append("o")
    env = {"DPA_KIT_REGISTERS": str(registers), "DPA_KIT_LEDGER": str(ledger), "DPA_KIT_NOW": now.isoformat()}
    result = run("breach", "declare", env=env, input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    [declared] = breaches.all_breaches(Ledger(ledger)).values()
    return declared


def in_pages(script: list[tuple[str, str]], now: datetime, registers: Path, ledger: Path) -> breaches.Breach:
    ledger.parent.mkdir(exist_ok=True)
    people = make_people(ledger, now)
    app = create_app(WebConfig(registers=registers, ledger_path=ledger, now=Clock(now), policy=FAST))
    c: TestClient = login(app, people.bethune, people.bethune_once, now=now)
    answer_all(c, script)
    page = c.get("/violations/nouvelle/verifier")
    response = c.post("/violations/envoyer", data={"csrf": csrf_of(page.text)})
    assert response.status_code == 303, response.text
    [recorded] = breaches.all_breaches(Ledger(ledger)).values()
    return recorded


@pytest.mark.parametrize(("script", "now"), SCENARIOS)
def test_the_web_records_what_the_terminal_records_for_the_same_answers(
    script: list[tuple[str, str]], now: datetime, registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = in_terminal(script, now, registers, tmp_path / "terminal" / "ledger.sqlite", monkeypatch)
    web = in_pages(script, now, registers, tmp_path / "pages" / "ledger.sqlite")
    assert web.details == terminal.details
    assert (web.convention, web.aware_at, web.notify_deadline) == (
        terminal.convention,
        terminal.aware_at,
        terminal.notify_deadline,
    )
    assert web.id == terminal.id == "V-2026-266200119-0001"
    # The web declaration is also the notification, received by the Département at once.
    assert terminal.notified_at is None and web.notified_at == web.received_at == now


def test_the_answer_forms_of_a_user_are_kept_as_the_library_reads_them(registers: Path, tmp_path: Path) -> None:
    recorded = in_pages(ANOTHER, NIGHT, registers, tmp_path / "pages" / "ledger.sqlite")
    details: dict[str, Any] = recorded.details
    assert recorded.aware_at == datetime(2026, 3, 28, 17, 0, tzinfo=UTC)  # « hier 18h », Paris winter time
    assert details["records"] == {"min": 1200, "max": 1200, "approximate": False}
    assert details["ongoing"] is True and "ended_at" not in details
    assert details["cause"] == "clé USB oubliée dans le train"
    assert details["data_categories"] == ["noms", "adresses", "situation familiale"]
    assert {"discovery", "sensitive_data", "people", "consequences"} <= set(details["pending"])


def test_a_draft_sent_twice_is_recorded_once(registers: Path, tmp_path: Path) -> None:
    """Two tabs sending the same draft: the second transaction finds the draft gone and records nothing."""
    from dpa_kit import breach_questions as bq
    from dpa_kit.breach_drafts import DraftStore
    from dpa_kit.breach_forms import submit_declaration
    from dpa_kit.exceptions import UsageError
    from dpa_kit.loader import load_convention

    ledger = Ledger(tmp_path / "ledger.sqlite")
    convention = load_convention(next(registers.glob("*BETHUNE*.yaml"))).convention
    now = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
    context = bq.Context(now=now, conventions=(convention,))
    answers: dict[str, Any] = {}
    typed = dict(SCRIPT)
    while (question := bq.next_question(answers, context)) is not None:
        answers[question.key] = bq.validate(question, typed[question.key], answers=answers, context=context)
    store = DraftStore(ledger)
    draft = store.create("user-2", now=now, answers=answers)

    def send() -> Any:
        return submit_declaration(
            ledger,
            answers,
            context,
            now=now,
            actor="user-2",
            sender="rgpd@pasdecalais.fr",
            send=None,
            then=lambda conn: store.take(draft.id, conn),
        )

    first = send()
    assert first.mail_error == "aucun serveur SMTP configuré"  # recorded all the same, and said
    with pytest.raises(UsageError, match="introuvable"):
        send()
    assert list(breaches.all_breaches(ledger)) == [first.breach.id]
    assert store.all() == []


def test_an_answer_in_the_repeated_autumn_hour_is_modified_unchanged(registers: Path, tmp_path: Path) -> None:
    """« Modifier » shows the instant as typed, with « heure d'été »; sent back as it is, it is accepted."""
    now = datetime(2026, 10, 25, 5, 0, tzinfo=UTC)
    ledger = tmp_path / "ledger.sqlite"
    people = make_people(ledger, now)
    app = create_app(WebConfig(registers=registers, ledger_path=ledger, now=Clock(now), policy=FAST))
    c: TestClient = login(app, people.bethune, people.bethune_once, now=now)
    answer_all(c, [("aware_at", "25/10/2026 02:30 heure d'été")], stop="convention")
    page = c.get("/violations/nouvelle?question=aware_at")
    assert 'value="25/10/2026 02:30 heure d&#39;été"' in page.text
    response = c.post("/violations/nouvelle", data=browser_form(page.text, ""))
    assert response.status_code == 303, response.text
    said_back = c.get("/violations/nouvelle?compris=aware_at").text
    assert "dimanche 25 octobre 2026 à 02 h 30 (heure d&#39;été)" in said_back
