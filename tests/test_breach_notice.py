"""The dpa-kit-breach/1 JSON attachment: produced from a breach, valid against its published schema, read back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import ADIL

from dpa_kit import breach as breaches
from dpa_kit import breach_questions as bq
from dpa_kit.breach_notice import (
    BreachNotice,
    NoticeError,
    details_from_notice,
    notice_from_breach,
    notice_json,
    notice_schema,
    parse_notice,
)
from dpa_kit.ledger import Ledger
from dpa_kit.loader import load_convention

NOW = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)


def declared(tmp_path: Path) -> breaches.Breach:
    context = bq.Context(now=NOW, conventions=(load_convention(ADIL).convention,))
    answers: dict[str, Any] = {}
    for text in [
        "aujourd'hui 18h",
        "1",
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
        question = bq.next_question(answers, context)
        assert question is not None
        answers[question.key] = bq.validate(question, text, answers=answers, context=context)
    declaration = bq.to_declaration(answers, context)
    return breaches.declare(
        Ledger(tmp_path / "l.sqlite"),
        convention_id=declaration.convention_id,
        structure="ADIL",
        delay_hours=24,
        aware_at=declaration.aware_at,
        details=declaration.details,
    )


def test_attachment_is_valid_against_the_published_schema(tmp_path: Path) -> None:
    breach = declared(tmp_path)
    notice = notice_from_breach(breach, siret="34309733300078", prepared_at=NOW)
    document = json.loads(notice_json(notice))
    jsonschema.validate(document, notice_schema())
    assert document["format"] == "dpa-kit-breach/1"
    assert document["records"] == {"min": 40, "max": 50, "approximate": True}
    assert document["pending"] == ["started_at"]
    assert document["late"] is False
    assert (
        json.loads(
            notice_json(
                notice_from_breach(
                    breach, siret=None, prepared_at=NOW.replace(day=29, hour=18), delay_reason="DPO absent"
                )
            )
        )["late"]
        is True
    )


def test_round_trip_keeps_every_item(tmp_path: Path) -> None:
    breach = declared(tmp_path)
    notice = notice_from_breach(breach, siret="34309733300078", prepared_at=NOW)
    back = parse_notice(notice_json(notice))
    assert back == notice
    received = details_from_notice(back)
    assert bq.items(received) == bq.items(breach.details)


def test_older_details_from_options_are_normalised(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.sqlite")
    old = breaches.declare(
        ledger,
        convention_id="C",
        structure="S",
        delay_hours=24,
        aware_at=NOW,
        details={
            "natures": ["confidentiality"],
            "people": 40,
            "vulnerable": True,
            "data_categories": "noms",
            "ongoing": True,
        },
    )
    notice = notice_from_breach(old, siret=None, prepared_at=NOW)
    assert notice.people is not None and notice.people.min == 40
    assert notice.vulnerable == ["vulnerable"] and notice.data_categories == ["noms"]


def _valid() -> dict[str, Any]:
    return {
        "format": "dpa-kit-breach/1",
        "reference": "V-2026-343097333-0001",
        "type": "initial",
        "convention": "2026-FSL-ADIL-NUMERO-VERT",
        "structure": {"name": "ADIL", "siret": "34309733300078"},
        "prepared_at": "2026-11-28T23:00:00+01:00",
        "aware_at": "2026-11-28T18:00:00+01:00",
        "notify_deadline": "2026-11-29T18:00:00+01:00",
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "dpa-kit-breach/9"}, "format « dpa-kit-breach/9 » non pris en charge"),
        ({"colour": "red"}, "champ « colour » : champ inconnu du format"),
        ({"aware_at": "2026-11-28T18:00"}, "champ « aware_at » : date et heure sans fuseau horaire"),
        ({"people": {"min": -1, "max": 3}}, "champ « people.min » : nombre trop petit"),
        ({"natures": ["fire"]}, "champ « natures.0 » : valeur non prévue"),
        (
            {"structure": {"siret": "34309733300079"}},
            "champ « structure.siret » : le SIRET « 34309733300079 » est invalide",
        ),
        ({"description": "x" * 5000}, "champ « description » : texte trop long"),
        ({"reference": "../../etc"}, "champ « reference » : forme invalide"),
    ],
)
def test_bad_attachments_are_refused_in_french(change: dict[str, Any], message: str) -> None:
    with pytest.raises(NoticeError, match=message):
        parse_notice(json.dumps({**_valid(), **change}).encode())


def test_not_json_and_too_big() -> None:
    with pytest.raises(NoticeError, match="pas du JSON lisible"):
        parse_notice(b"\xff\xfe")
    with pytest.raises(NoticeError, match="trop gros"):
        parse_notice(b" " * (300 * 1024))
    with pytest.raises(NoticeError, match="objet JSON"):
        parse_notice(b"[]")
    assert isinstance(parse_notice(json.dumps(_valid()).encode()), BreachNotice)
