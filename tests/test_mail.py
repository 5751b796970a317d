"""E-mail: sending a notification over SMTP (the real-server round trips are in test_breach.py)."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from dpa_kit import breach as breaches
from dpa_kit import breach_notice, mail
from dpa_kit.exceptions import NotificationError, UsageError
from dpa_kit.ledger import Ledger


def test_smtp_errors_become_notification_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    class Refusing:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise smtplib.SMTPConnectError(421, b"busy")

    monkeypatch.setattr(smtplib, "SMTP", Refusing)
    with pytest.raises(NotificationError) as info:
        mail.send(EmailMessage(), mail.SmtpConfig("smtp://localhost:2525"))
    assert isinstance(info.value.__cause__, smtplib.SMTPException)
    with pytest.raises(UsageError):
        mail.send(EmailMessage(), mail.SmtpConfig("http://example.org"))


# --- the notification carries what its footer says ------------------------------------------------------

BETHUNE = "2026-DPID-CCAS-BETHUNE-1.2"
AWARE = datetime(2026, 3, 28, 17, 0, tzinfo=UTC)
SIRET = "26620011900011"


def _breach(tmp_path: Path) -> breaches.Breach:
    return breaches.declare(
        Ledger(tmp_path / "ledger.sqlite"),
        convention_id=BETHUNE,
        structure="CCAS de Béthune",
        delay_hours=24,
        aware_at=AWARE,
        details={"natures": ["confidentiality"], "description": "liste envoyée au mauvais destinataire"},
        code="266200119",
    )


def _sent(message: EmailMessage) -> EmailMessage:
    """The message as its recipient reads it (bytes on the wire, parsed again)."""
    parsed = message_from_bytes(bytes(message), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.mark.parametrize("channel", ["web", "cli"])
def test_every_notification_attaches_the_json_copy_its_footer_announces(tmp_path: Path, channel: str) -> None:
    breach = _breach(tmp_path)
    built = mail.build_notification(
        breach,
        to="dpo@pasdecalais.fr",
        sender="rgpd@ccas-bethune.fr",
        now=AWARE + timedelta(hours=2),
        siret=SIRET,
        channel=channel,  # type: ignore[arg-type]
    )
    message = _sent(built)
    assert message.get_content_type() == "multipart/mixed"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    (attachment,) = list(message.iter_attachments())
    name = f"{breach.id}.dpa-kit-breach.json"
    assert attachment.get_filename() == name and attachment.get_content_type() == "application/json"
    assert f"Une copie lisible par machine (fichier {name}) est jointe" in text
    notice = breach_notice.parse_notice(attachment.get_payload(decode=True))
    assert (notice.reference, notice.convention, notice.type) == (breach.id, BETHUNE, "initial")
    assert notice.structure.siret == SIRET and notice.aware_at == AWARE
    assert breach_notice.details_from_notice(notice)["description"] == "liste envoyée au mauvais destinataire"


def test_the_web_copy_points_to_the_file_drop_never_to_a_terminal_command(tmp_path: Path) -> None:
    breach = _breach(tmp_path)
    web = _sent(mail.build_notification(breach, to="dpo@pasdecalais.fr", sender="rgpd-web@pasdecalais.fr", now=AWARE))
    body = web.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "« Déposer un fichier » dans l'application web" in text
    assert "dpa-kit exchange" not in text and "dpa-kit " not in text.replace("dpa-kit.", "")
    cli = mail.build_notification(
        breach, to="dpo@pasdecalais.fr", sender="rgpd@ccas-bethune.fr", now=AWARE, channel="cli"
    )
    cli_text = _sent(cli).get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "« dpa-kit exchange pack »" in cli_text and "Déposer un fichier" not in cli_text


def test_attaching_the_copy_again_replaces_it(tmp_path: Path) -> None:
    breach = _breach(tmp_path)
    message = mail.build_notification(breach, to="dpo@pasdecalais.fr", sender="a@b.fr", now=AWARE)
    notice = breach_notice.notice_from_breach(breach, siret=SIRET, prepared_at=AWARE)
    mail.attach_notice(message, breach_notice.notice_json(notice), breach.id)
    (attachment,) = list(_sent(message).iter_attachments())
    assert breach_notice.parse_notice(attachment.get_payload(decode=True)).structure.siret == SIRET


# --- messages to the structure ------------------------------------------------------------------------------


def _received(tmp_path: Path, hours_late: int = 0) -> breaches.Breach:
    ledger = Ledger(tmp_path / "departement.sqlite")
    return breaches.receive(
        ledger,
        convention_id=BETHUNE,
        structure="CCAS de Béthune",
        delay_hours=24,
        aware_at=AWARE,
        received_at=AWARE + timedelta(hours=2 + hours_late),
        details={
            "natures": ["confidentiality"],
            "description": "liste de Jean DUPONT envoyée au mauvais destinataire",
            "people": {"min": 40, "max": 40, "approximate": True},
            "contact": "Marie MARTIN, 03 21 00 00 00",
            "pending": ["cause"],
        },
        structure_reference="V-2026-266200119-0001",
    )


def _text(message: EmailMessage) -> str:
    parsed = _sent(message)
    assert parsed.get_content_type() == "text/plain" and not list(parsed.iter_attachments())
    return str(parsed.get_content())


def test_the_structure_gets_an_acknowledgement_with_instant_reference_and_next_step(tmp_path: Path) -> None:
    breach = _received(tmp_path)
    message = mail.build_acknowledgement(
        breach, to="secretariat@ccas-bethune.fr", sender="rgpd-web@pasdecalais.fr", now=AWARE + timedelta(hours=2)
    )
    assert message["To"] == "secretariat@ccas-bethune.fr" and message["From"] == "rgpd-web@pasdecalais.fr"
    assert message["Subject"] == "[Violation de données] Déclaration reçue - V-2026-266200119-0001"
    text = _text(message)
    assert (
        "Déclaration reçue le samedi 28 mars 2026 à 20 h 00 (heure de Paris), référence V-2026-266200119-0001, "
        f"convention {BETHUNE}." in text
    )
    assert "Prochaine étape : le délégué à la protection des données du Département l'examine" in text
    assert "avant le mardi 31 mars 2026 à 21 h 00 (heure de Paris)" in text  # 72 h, across the change to summer time
    assert "complétez la déclaration dans l'application web" in text and "« Déposer un fichier »" in text
    assert "après l'échéance" not in text
    # Nothing of the people affected nor of the declaration's content: only reference, convention, instants.
    for private in ("DUPONT", "MARTIN", "03 21", "40", "mauvais destinataire"):
        assert private not in text
    assert "dpa-kit " not in text.replace("dpa-kit du", "")  # never a terminal command


def test_a_late_declaration_is_acknowledged_as_late(tmp_path: Path) -> None:
    breach = _received(tmp_path, hours_late=69)
    text = _text(mail.build_acknowledgement(breach, to="a@b.fr", sender="c@d.fr", now=AWARE + timedelta(hours=71)))
    assert "Elle est arrivée après l'échéance prévue par la convention (dimanche 29 mars 2026 à 19 h 00)" in text


def test_the_structure_is_told_what_to_do_when_people_are_to_be_informed(tmp_path: Path) -> None:
    breach = _received(tmp_path)
    ledger = Ledger(tmp_path / "departement.sqlite")
    with pytest.raises(UsageError, match="pas « à informer »"):
        mail.build_subjects_request(breach, to="a@b.fr", sender="c@d.fr", now=AWARE)
    breaches.record_subjects(ledger, breach, decision="to_inform", date="2026-04-02", channel="courrier", ground=None)
    decided = breaches.get(ledger, breach.id)
    message = mail.build_subjects_request(
        decided, to="secretariat@ccas-bethune.fr", sender="rgpd-web@pasdecalais.fr", now=AWARE + timedelta(hours=20)
    )
    assert message["Subject"] == "[Violation de données] Personnes à informer - V-2026-266200119-0001"
    text = _text(message)
    assert "À faire : informer chaque personne concernée au plus tard le 2 avril 2026, par courrier." in text
    assert "les conséquences probables de la violation" in text and "dites-le au délégué du Département" in text
    for private in ("DUPONT", "MARTIN", "mauvais destinataire"):
        assert private not in text
