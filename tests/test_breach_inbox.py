"""Reading a received notification (.eml): every item from the JSON attachment, or what a hand-written text gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from conftest import ADIL, BETHUNE
from hypothesis import given, settings
from hypothesis import strategies as st

from dpa_kit import breach as breaches
from dpa_kit import breach_questions as bq
from dpa_kit.breach_inbox import MAX_PARTS, read_eml, read_eml_file
from dpa_kit.breach_notice import NoticeError, notice_from_breach, notice_json
from dpa_kit.ledger import Ledger
from dpa_kit.loader import load_convention
from dpa_kit.mail import attach_notice, build_notification, mark_unsent, notice_filename

NOW = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)
CONVENTIONS = (load_convention(ADIL).convention, load_convention(BETHUNE).convention)
CONTEXT = bq.Context(now=NOW, conventions=CONVENTIONS)
TYPED = [
    "aujourd'hui 18h",
    "1",
    "non",
    "hier 9h",
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
    "je ne sais pas encore",
    "atteinte à la vie privée",
    "demande de suppression",
    "4",
    "",
    "M. Martin 03 21 00 00 00",
]


def declared(tmp_path: Path) -> tuple[breaches.Breach, dict[str, Any]]:
    answers: dict[str, Any] = {}
    for text in TYPED:
        question = bq.next_question(answers, CONTEXT)
        assert question is not None
        answers[question.key] = bq.validate(question, text, answers=answers, context=CONTEXT)
    declaration = bq.to_declaration(answers, CONTEXT)
    breach = breaches.declare(
        Ledger(tmp_path / "structure.sqlite"),
        convention_id=declaration.convention_id,
        structure="ADIL",
        delay_hours=24,
        aware_at=declaration.aware_at,
        details=declaration.details,
    )
    return breach, answers


def draft_eml(breach: breaches.Breach, siret: str = "34309733300078") -> bytes:
    message = build_notification(breach, to="dpo@pasdecalais.fr", sender="rgpd@adil.example", now=NOW)
    attach_notice(message, notice_json(notice_from_breach(breach, siret=siret, prepared_at=NOW)), breach.id)
    mark_unsent(message)
    return bytes(message)


def test_attachment_gives_every_answer_without_retyping(tmp_path: Path) -> None:
    breach, typed = declared(tmp_path)
    incoming = read_eml(draft_eml(breach), CONVENTIONS, now=NOW, source="n.eml")
    assert incoming.notice is not None and incoming.structure_reference == breach.id
    assert incoming.answers == typed
    assert incoming.missing(CONTEXT) == []
    assert incoming.sender == "rgpd@adil.example"
    assert bq.to_declaration(incoming.answers, CONTEXT).details == bq.to_declaration(typed, CONTEXT).details


def test_the_draft_is_marked_unsent_and_carries_the_json(tmp_path: Path) -> None:
    from email import message_from_bytes, policy

    breach, _ = declared(tmp_path)
    message = message_from_bytes(draft_eml(breach), policy=policy.default)
    assert message["X-Unsent"] == "1"
    part = next(message.iter_attachments())
    assert part.get_filename() == notice_filename(breach.id) and part.get_content_type() == "application/json"
    assert json.loads(part.get_content())["reference"] == breach.id


def test_siret_not_matching_the_convention_is_refused(tmp_path: Path) -> None:
    breach, _ = declared(tmp_path)
    with pytest.raises(NoticeError, match="n'est pas celui de la convention"):
        read_eml(draft_eml(breach, siret="73282932000074"), CONVENTIONS, now=NOW)


def test_unknown_convention_is_refused(tmp_path: Path) -> None:
    breach, _ = declared(tmp_path)
    with pytest.raises(NoticeError, match="n'est pas dans le dossier des conventions"):
        read_eml(draft_eml(breach), CONVENTIONS[1:], now=NOW)


def hand_written(body: str, subject: str = "Violation de données") -> bytes:
    message = EmailMessage()
    message["From"] = "directrice@ccas.example"
    message["To"] = "dpo@pasdecalais.fr"
    message["Subject"] = subject
    message["Date"] = "Sat, 28 Nov 2026 23:05:00 +0100"
    message.set_content(body)
    return bytes(message)


def test_hand_written_message_gives_the_fields_found_and_the_missing_ones() -> None:
    body = (
        "Bonjour,\nnous avons perdu une clé USB (convention 2026-DPID-CCAS-BETHUNE-1.2).\n"
        "Date de découverte : 28/11/2026 18h\nNombre approximatif de personnes : environ 30\n"
        "Description : clé USB non chiffrée perdue dans le bus\nCordialement"
    )
    incoming = read_eml(hand_written(body), CONVENTIONS, now=NOW)
    assert incoming.notice is None
    assert incoming.answers["convention"] == "2026-DPID-CCAS-BETHUNE-1.2"
    assert incoming.answers["aware_at"] == datetime(2026, 11, 28, 17, 0, tzinfo=UTC).isoformat()
    assert incoming.answers["people"] == {"min": 30, "max": 30, "approximate": True}
    assert incoming.answers["description"] == "clé USB non chiffrée perdue dans le bus"
    missing = incoming.missing(CONTEXT)
    assert missing[0] == "over" and "natures" in missing and "people" not in missing and "aware_at" not in missing
    assert incoming.sent_at == datetime(2026, 11, 28, 22, 5, tzinfo=UTC)
    assert any("pas de pièce jointe" in w for w in incoming.warnings)


def test_hand_written_message_found_by_siret() -> None:
    incoming = read_eml(
        hand_written("Notre SIRET : 343 097 333 00078. Un courriel est parti chez un tiers."), CONVENTIONS, now=NOW
    )
    assert incoming.answers["convention"] == "2026-FSL-ADIL-NUMERO-VERT"
    assert incoming.missing(CONTEXT)[0] == "aware_at"


def test_reception_instant_from_the_departements_server() -> None:
    raw = b"Received: from mx by mail.pasdecalais.fr; Sat, 28 Nov 2026 22:12:00 +0100\r\n" + hand_written("x")
    assert read_eml(raw, CONVENTIONS, now=NOW).received_at == datetime(2026, 11, 28, 21, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "date", [b"Sat, 28 Mar 2099 12:00:00 +0100", b"Thu, 01 Jan 1970 00:00:00 +0000", b"Sun, 29 Nov 2026 08:12:00 +0100"]
)
def test_a_reception_instant_out_of_bounds_or_in_the_future_is_refused(date: bytes) -> None:
    # The Département's 72-hour clock starts from it: never from 2099, 1970, or tomorrow morning.
    raw = b"Received: from mx by mail.pasdecalais.fr; " + date + b"\r\n" + hand_written("x")
    with pytest.raises(NoticeError, match="en-tête Received"):
        read_eml(raw, CONVENTIONS, now=NOW)


def test_deeply_nested_multiparts_are_refused_in_french() -> None:
    text = "From: a@b.fr\nSubject: x\n"
    for index in range(50000):
        text += f'Content-Type: multipart/mixed; boundary="b{index}"\n\n--b{index}\n'
    with pytest.raises(NoticeError, match="trop complexe"):
        read_eml(text.encode(), CONVENTIONS, now=NOW)


def test_hostile_messages_are_refused_in_french(tmp_path: Path) -> None:
    with pytest.raises(NoticeError, match="pas un courriel"):
        read_eml(b"\x00\x01 binary junk", CONVENTIONS, now=NOW)
    many = EmailMessage()
    many["From"], many["Subject"] = "a@b.fr", "x"
    many.set_content("x")
    for index in range(MAX_PARTS + 1):
        many.add_attachment(b"x", maintype="application", subtype="octet-stream", filename=f"{index}.bin")
    with pytest.raises(NoticeError, match="trop complexe"):
        read_eml(bytes(many), CONVENTIONS, now=NOW)
    bad = EmailMessage()
    bad["From"], bad["Subject"] = "a@b.fr", "x"
    bad.set_content("x")
    bad.add_attachment(b"{not json", maintype="application", subtype="json", filename="V-1.dpa-kit-breach.json")
    with pytest.raises(NoticeError, match=r"pièce jointe V-1\.dpa-kit-breach\.json : ce n'est pas du JSON"):
        read_eml(bytes(bad), CONVENTIONS, now=NOW)
    with pytest.raises(NoticeError, match="impossible de lire"):
        read_eml_file(tmp_path / "absent.eml", CONVENTIONS, now=NOW)


def test_recording_keeps_the_structures_reference_and_starts_the_72_hours(tmp_path: Path) -> None:
    from dpa_kit.breach_inbox import record

    breach, _ = declared(tmp_path)
    incoming = read_eml(draft_eml(breach), CONVENTIONS, now=NOW)
    received_at = datetime(2026, 11, 29, 7, 30, tzinfo=UTC)
    recorded = record(Ledger(tmp_path / "departement.sqlite"), incoming, CONTEXT, received_at=received_at)
    assert recorded.side == "departement" and recorded.structure_reference == breach.id
    assert recorded.cnil_deadline == datetime(2026, 12, 2, 7, 30, tzinfo=UTC)
    assert recorded.aware_at == breach.aware_at and recorded.notify_deadline == breach.notify_deadline
    assert recorded.details == breach.details


def test_a_script_records_missing_items_as_pending_but_not_the_required_ones() -> None:
    from dpa_kit.breach_inbox import complete_without_asking

    incoming = read_eml(
        hand_written("Convention 2026-DPID-CCAS-BETHUNE-1.2 : un ordinateur volé."), CONVENTIONS, now=NOW
    )
    assert complete_without_asking(incoming, CONTEXT) == ["aware_at", "description", "contact"]
    assert incoming.answers["natures"] is None and incoming.answers["over"] is None


def test_a_complementary_notification_completes_the_breach_already_received(tmp_path: Path) -> None:
    from dpa_kit.breach_inbox import record

    breach, _ = declared(tmp_path)
    departement = Ledger(tmp_path / "departement.sqlite")
    first = record(departement, read_eml(draft_eml(breach), CONVENTIONS, now=NOW), CONTEXT, received_at=NOW)
    assert first.details["pending"] == ["measures_before"]
    # The structure learns what was in place and completes its declaration (Art. 33(4)).
    answers = bq.reopen(breach.convention, breach.aware_at, breach.details)
    question = bq.next_question(answers, CONTEXT)
    assert question is not None and question.key == "measures_before"
    answers["measures_before"] = bq.validate(question, "mot de passe sur le fichier", answers=answers, context=CONTEXT)
    assert bq.next_question(answers, CONTEXT) is None
    structure_ledger = Ledger(tmp_path / "structure.sqlite")
    completed = breaches.record_completion(structure_ledger, breach, bq.to_declaration(answers, CONTEXT).details)
    assert completed.details["pending"] == [] and completed.details["measures_before"] == "mot de passe sur le fichier"
    message = build_notification(completed, to="dpo@pasdecalais.fr", sender="rgpd@adil.example", now=NOW)
    attach_notice(
        message,
        notice_json(notice_from_breach(completed, siret="34309733300078", prepared_at=NOW, complementary=True)),
        breach.id,
    )
    again = record(departement, read_eml(bytes(message), CONVENTIONS, now=NOW), CONTEXT, received_at=NOW)
    assert again.id == first.id
    assert again.details["measures_before"] == "mot de passe sur le fichier" and again.details["pending"] == []
    assert [e.kind for e in again.timeline] == ["breach.received", "breach.completed"]


@given(st.binary(max_size=2000))
@settings(max_examples=150)
def test_any_bytes_are_read_or_refused_in_french(raw: bytes) -> None:
    try:
        read_eml(raw, CONVENTIONS, now=NOW)
    except NoticeError as exc:
        assert str(exc)


@given(st.text(max_size=400))
@settings(max_examples=150)
def test_any_hand_written_text_is_read_without_crashing(body: str) -> None:
    incoming = read_eml(hand_written(body), CONVENTIONS, now=NOW)
    assert incoming.notice is None and isinstance(incoming.missing(CONTEXT), list)


def crafted(breach: breaches.Breach, **changes: Any) -> bytes:
    """A notification whose JSON copy was edited by hand (as a hostile structure would)."""
    data = json.loads(notice_json(notice_from_breach(breach, siret="34309733300078", prepared_at=NOW)))
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    message = build_notification(breach, to="dpo@pasdecalais.fr", sender="x@y.example", now=NOW)
    attach_notice(message, json.dumps(data, ensure_ascii=False).encode("utf-8"), breach.id)
    return bytes(message)


def test_a_structure_cannot_complete_another_structures_breach(tmp_path: Path) -> None:
    from dpa_kit.breach_inbox import record

    breach, _ = declared(tmp_path)
    departement = Ledger(tmp_path / "departement.sqlite")
    first = record(departement, read_eml(draft_eml(breach), CONVENTIONS, now=NOW), CONTEXT, received_at=NOW)
    assert first.id == "V-2026-343097333-0001"  # the ADIL's SIREN: references are guessable
    bethune = {
        "convention": "2026-DPID-CCAS-BETHUNE-1.2",
        "type": "complementary",
        "structure": {"name": "CCAS", "siret": "26620011900011"},
        "description": "REMPLACÉ PAR LE CCAS",
    }
    with pytest.raises(NoticeError, match="n'est pas celle d'une violation de la structure"):
        read_eml(crafted(breach, reference=first.id, **bethune), CONVENTIONS, now=NOW)
    # Under a reference without a structure code, the breach found belongs to another convention: refused too.
    incoming = read_eml(crafted(breach, reference=breach.id, **bethune), CONVENTIONS, now=NOW)
    with pytest.raises(NoticeError, match="appartient à une autre convention"):
        record(departement, incoming, CONTEXT, received_at=NOW)
    assert breaches.get(departement, first.id).details == first.details


def test_a_notice_without_the_structures_siret_is_refused(tmp_path: Path) -> None:
    breach, _ = declared(tmp_path)
    with pytest.raises(NoticeError, match="n'indique pas le SIRET"):
        read_eml(crafted(breach, structure={"name": "ADIL"}), CONVENTIONS, now=NOW)


@pytest.mark.parametrize("aware_at", ["0001-01-01T00:00:00Z", "2099-03-28T12:00:00Z"])
def test_instants_of_a_notice_obey_the_bounds_of_typed_instants(tmp_path: Path, aware_at: str) -> None:
    breach, _ = declared(tmp_path)
    with pytest.raises(NoticeError, match="aware_at"):
        read_eml(crafted(breach, aware_at=aware_at), CONVENTIONS, now=NOW)
