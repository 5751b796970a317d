"""`dpa-kit breach close`: never closes silently while the Art. 34 decision (inform the people) is open."""

from __future__ import annotations

import json

import pytest
from helpers import run

CID = "2026-FSL-ADIL-NUMERO-VERT"
NOW = "2026-03-28T12:00"


def received(env: dict[str, str]) -> str:
    """A breach received on the Département's side, CNIL decision recorded, people's information not decided."""
    at = {**env, "DPA_KIT_NOW": NOW}
    result = run(
        "breach",
        "receive",
        "--convention",
        CID,
        "--aware-at",
        "2026-03-28T10:00",
        "--nature",
        "c",
        "--description",
        "courriel mal adressé",
        "--format",
        "json",
        env=at,
    )
    assert result.exit_code == 0, result.output
    breach_id = json.loads(result.stdout)["id"]
    cnil = ("--not-notified", "--reason", "risque improbable : destinataire de confiance")
    assert run("breach", "cnil", breach_id, *cnil, env=at).exit_code == 0
    return str(breach_id)


def is_open(env: dict[str, str], breach_id: str) -> bool:
    shown = run("breach", "show", breach_id, "--format", "json", env={**env, "DPA_KIT_NOW": NOW})
    return bool(json.loads(shown.stdout)["open"])


def test_a_script_must_say_force_to_close_without_the_article_34_decision(env: dict[str, str]) -> None:
    breach_id = received(env)
    result = run("breach", "close", breach_id, "--reason", "traité", env=env)
    assert result.exit_code == 2
    assert "la décision d'informer ou non les personnes concernées (art. 34) n'est pas enregistrée" in result.stderr
    assert f"dpa-kit breach inform {breach_id}" in result.stderr and "ajoutez --force" in result.stderr
    assert is_open(env, breach_id)
    result = run("breach", "close", breach_id, "--reason", "traité", "--force", env=env)
    assert result.exit_code == 0 and f"Violation {breach_id} clôturée." in result.stdout
    assert "art. 34" in result.stderr  # still said, once
    assert not is_open(env, breach_id)


@pytest.mark.parametrize(("answer", "closed"), [("non", False), ("", False), ("oui", True), ("o", True)])
def test_a_person_is_asked_in_french_before_closing(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, answer: str, closed: bool
) -> None:
    from dpa_kit.cli import common

    breach_id = received(env)
    monkeypatch.setattr(common, "interactive", lambda: True)
    result = run("breach", "close", breach_id, input=answer + "\n", env=env)
    assert "Clôturer quand même, sans décision sur l'information des personnes ? [o/N]" in result.stdout
    assert result.exit_code == (0 if closed else 1)
    assert (f"Violation {breach_id} non clôturée." in result.stdout) is not closed
    assert is_open(env, breach_id) is not closed


def test_once_the_decision_is_recorded_closing_asks_nothing(env: dict[str, str]) -> None:
    breach_id = received(env)
    decision = ("--decision", "non informées", "--ground", "pas de risque élevé")
    assert run("breach", "inform", breach_id, *decision, env=env).exit_code == 0
    result = run("breach", "close", breach_id, env=env)
    assert result.exit_code == 0 and "art. 34" not in result.stderr
    assert not is_open(env, breach_id)


def test_a_structure_closes_its_own_declaration_without_the_question(env: dict[str, str]) -> None:
    # The Art. 34 decision is the Département's (the controller), not the structure's.
    from test_breach import declare

    breach_id = declare(env, NOW)["id"]
    result = run("breach", "close", breach_id, "--reason", "traité", env=env)
    assert result.exit_code == 0 and "art. 34" not in result.stderr


def test_people_still_to_inform_are_recalled_without_a_question(env: dict[str, str]) -> None:
    breach_id = received(env)
    decision = ("--decision", "à informer", "--date", "2026-04-02", "--channel", "courrier")
    assert run("breach", "inform", breach_id, *decision, env=env).exit_code == 0
    result = run("breach", "close", breach_id, env=env)
    assert result.exit_code == 0 and not is_open(env, breach_id)
    assert "Rappel : les personnes concernées sont encore « à informer » (prévu le 2 avril 2026)" in result.stderr
    assert f"dpa-kit breach inform {breach_id} --decision informées" in result.stderr
