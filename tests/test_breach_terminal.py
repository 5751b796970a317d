"""Declaring a breach in a real terminal (tmux), as a secretary would at 23:00, and the DPO importing it.

These drive the installed ``dpa-kit`` through a tty: questions, typos, Ctrl-C, ``--resume``. They wait
for text on the screen (with a generous timeout) and never assert a duration.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import run
from tmux import Terminal

CID = "2026-FSL-ADIL-NUMERO-VERT"

# Every answer after the first three (awareness, convention, over): the categories are answered (none is
# proposed), Entrée accepts « aucun » for the other authorities.
REST = [
    "je ne sais pas encore",
    "appel du destinataire le soir même",
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
    "demande de suppression au destinataire",
    "4",
    "",
    "M. Martin 03 21 00 00 00",
]


@pytest.fixture
def env(registers: Path, tmp_path: Path) -> dict[str, str]:
    return {"DPA_KIT_REGISTERS": str(registers), "DPA_KIT_LEDGER": str(tmp_path / "structure.sqlite")}


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    opened: list[Terminal] = []
    yield opened
    for terminal in opened:
        terminal.close()


def start(terminals: list[Terminal], tmp_path: Path, env: dict[str, str], now: str, *args: str) -> Terminal:
    terminal = Terminal(["breach", "declare", *args], {**env, "DPA_KIT_NOW": now}, tmp_path)
    terminals.append(terminal)
    return terminal


def awareness(terminal: Terminal, text: str) -> str:
    terminal.reply(text)
    screen = terminal.reply("", "Est-ce exact ?")
    return screen


def finish(terminal: Terminal, answers: list[str]) -> str:
    for text in answers:
        terminal.reply(text)
    terminal.reply("o", "Enregistrer la déclaration ?")
    assert terminal.exit_code() == 0, terminal.screen()
    return terminal.screen()


def shown(env: dict[str, str], breach_id: str) -> dict:
    result = run("breach", "show", breach_id, "--format", "json", env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_typo_is_asked_again_with_the_reason(terminals: list[Terminal], tmp_path: Path, env: dict[str, str]) -> None:
    terminal = start(terminals, tmp_path, env, "2026-11-28T23:00")
    terminal.wait_for("Quand avez-vous eu connaissance de la violation ?")
    terminal.reply("28/11/2026 25:00")
    terminal.wait_for("Réponse non retenue : date et heure « 28/11/2026 25:00 » : heure impossible")
    screen = awareness(terminal, "aujourd'hui 18h")
    assert "Compris : samedi 28 novembre 2026 à 18 h 00 (heure de Paris)." in screen
    terminal.reply("mairie de Lens")
    terminal.wait_for("aucune convention ne correspond à « mairie de Lens »")
    terminal.reply("adil")
    terminal.reply("x")
    terminal.wait_for("Réponse non retenue : réponse « x » non comprise : tapez un numéro de 1 à 2")
    terminal.reply("2")
    answers = list(REST)
    answers[8:8] = ["beaucoup"]  # the number of records, typed as a word first
    screen = finish(terminal, answers)
    assert "« beaucoup » n'est pas un nombre : tapez un nombre (40), une fourchette (40 à 50)" in screen
    assert "Violation enregistrée : V-2026-343097333-0001" in screen
    details = shown(env, "V-2026-343097333-0001")["details"]
    assert details["records"] == {"min": 40, "max": 50, "approximate": True}
    assert details["natures"] == ["confidentiality"] and details["ongoing"] is True


def test_ctrl_c_keeps_every_answer_and_resume_continues(
    terminals: list[Terminal], tmp_path: Path, env: dict[str, str]
) -> None:
    first = start(terminals, tmp_path, env, "2026-11-28T23:00")
    awareness(first, "aujourd'hui 18h")
    for text in ["adil", "2", *REST[:3]]:
        first.reply(text)
    first.wait_for("Question 7 sur")
    first.ctrl_c()
    screen = first.wait_for("dpa-kit breach declare --resume")
    assert "vos réponses sont gardées" in screen
    assert first.exit_code() != 0
    assert "Aucune violation" in run("breach", "list", env=env).stdout  # nothing declared yet

    second = start(terminals, tmp_path, env, "2026-11-28T23:20", "--resume")
    screen = second.wait_for("Question 7 sur")
    assert "Reprise de la déclaration" in screen and "6 réponse(s) gardée(s)" in screen
    screen = finish(second, REST[3:])
    assert "Question 1 sur" not in screen  # nothing asked twice
    details = shown(env, "V-2026-343097333-0001")["details"]
    assert details["discovery"] == "appel du destinataire le soir même"
    assert details["natures"] == ["confidentiality"]
    assert details["pending"] == ["started_at"]
    # The draft is gone once the declaration is recorded.
    third = start(terminals, tmp_path, env, "2026-11-28T23:30", "--resume")
    third.wait_for("aucune déclaration commencée à reprendre")
    assert third.exit_code() == 2


def test_discovery_at_18_declared_at_23_counts_24_hours_from_18_across_dst(
    terminals: list[Terminal], tmp_path: Path, env: dict[str, str]
) -> None:
    # Saturday 24 October 2026, 23:00 in Paris; clocks go back at 03:00 that night.
    terminal = start(terminals, tmp_path, env, "2026-10-24T23:00")
    awareness(terminal, "aujourd'hui 18h")
    terminal.wait_for(
        "Échéance de notification au Département : dimanche 25 octobre 2026 à 17 h 00 (heure de Paris), "
        "19 h 00 min restantes"
    )
    terminal.reply("adil")
    terminal.reply("2")
    screen = finish(terminal, REST)
    assert (
        "À notifier au Département avant le dimanche 25 octobre 2026 à 17 h 00 (heure de Paris) "
        "(19 h 00 min restantes)." in screen
    )
    assert "Étape suivante : dpa-kit breach notify V-2026-343097333-0001 --eml notification.eml" in screen
    data = shown(env, "V-2026-343097333-0001")
    assert data["aware_at"] == "2026-10-24T18:00:00+02:00"
    assert data["notify_deadline"] == "2026-10-25T17:00:00+01:00"


def test_declare_notify_receive_round_trip_without_retyping(
    terminals: list[Terminal], tmp_path: Path, env: dict[str, str], registers: Path
) -> None:
    terminal = start(terminals, tmp_path, env, "2026-11-28T23:00")
    awareness(terminal, "aujourd'hui 18h")
    terminal.reply("adil")
    terminal.reply("2")
    finish(terminal, REST)
    structure = shown(env, "V-2026-343097333-0001")
    eml = tmp_path / "notification.eml"
    notified = run(
        "breach", "notify", "V-2026-343097333-0001", "--eml", eml, env={**env, "DPA_KIT_NOW": "2026-11-28T23:10"}
    )
    assert notified.exit_code == 0, notified.output
    assert b"X-Unsent: 1" in eml.read_bytes()

    departement = {
        "DPA_KIT_REGISTERS": str(registers),
        "DPA_KIT_LEDGER": str(tmp_path / "departement.sqlite"),
        "DPA_KIT_NOW": "2026-11-29T08:30",
    }
    received = run("breach", "receive", "--eml", eml, env=departement)
    assert received.exit_code == 0, received.output
    out = received.stdout
    assert "Notification enregistrée : V-2026-343097333-0001" in out
    assert "Décision CNIL à prendre avant le mercredi 2 décembre 2026 à 08 h 30 (heure de Paris)" in out
    for text in (
        "samedi 28 novembre 2026 à 18 h 00",
        "appel du destinataire le soir même",
        "40 à 50",
        "environ 45",
        "liste des ménages envoyée au mauvais destinataire",
        "chiffrement des pièces jointes",
        "atteinte à la vie privée",
        "demande de suppression au destinataire",
        "M. Martin 03 21 00 00 00",
        "des personnes vulnérables",
        "Début de la violation : je ne sais pas encore",
    ):
        assert text in out, text
    dpo = shown(departement, "V-2026-343097333-0001")
    assert dpo["details"] == structure["details"]
    assert dpo["aware_at"] == structure["aware_at"] and dpo["structure_reference"] == "V-2026-343097333-0001"
    assert dpo["received_at"] == "2026-11-29T08:30:00+01:00"
