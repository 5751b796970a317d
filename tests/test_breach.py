"""Breaches: deadlines across daylight-saving changes, notification message, real SMTP, Département side."""

from __future__ import annotations

import email
import json
import socket
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import click
import pytest
from conftest import REGISTERS
from helpers import run

from dpa_kit import breach as breaches
from dpa_kit.clock import PARIS, parse_instant
from dpa_kit.ledger import Ledger

CID = "2026-FSL-ADIL-NUMERO-VERT"


def declare(env: dict[str, str], now: str, *extra: str) -> dict:
    result = run(
        "breach",
        "declare",
        "--convention",
        CID,
        "--nature",
        "confidentialité",
        "--description",
        "liste envoyée au mauvais destinataire",
        "--people",
        "40",
        "--data-categories",
        "noms, adresses, situation budgétaire",
        "--consequences",
        "atteinte à la vie privée",
        "--measures",
        "demande de suppression au destinataire",
        "--contact",
        "M. Martin 03 21 00 00 00",
        "--format",
        "json",
        *extra,
        env={**env, "DPA_KIT_NOW": now},
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- deadlines ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aware", "deadline"),
    [
        ("2026-03-28T10:00", "2026-03-29T11:00:00+02:00"),  # clocks go forward on 29 March
        ("2026-10-24T10:00", "2026-10-25T09:00:00+01:00"),  # clocks go back on 25 October
        ("2026-03-28T09:00:00+00:00", "2026-03-29T11:00:00+02:00"),  # another offset
        ("2026-07-01T23:30:00-04:00", "2026-07-03T05:30:00+02:00"),
    ],
)
def test_deadline_is_24_hours_of_elapsed_time(env: dict[str, str], aware: str, deadline: str) -> None:
    data = declare(env, "2026-11-01T00:00", "--aware-at", aware)
    assert data["notify_deadline"] == deadline
    aware_at = datetime.fromisoformat(data["aware_at"])
    assert datetime.fromisoformat(data["notify_deadline"]) - aware_at == timedelta(hours=24)


def test_aware_at_defaults_to_now_in_paris(env: dict[str, str]) -> None:
    data = declare(env, "2026-03-28T10:00")
    assert data["aware_at"] == "2026-03-28T10:00:00+01:00"
    assert data["id"] == "V-2026-343097333-0001"
    assert declare(env, "2026-03-28T10:05")["id"] == "V-2026-343097333-0002"


def test_text_output_gives_deadline_and_time_left(env: dict[str, str]) -> None:
    result = run(
        "breach",
        "declare",
        "--convention",
        CID,
        "--nature",
        "c",
        "--description",
        "vol d'un ordinateur",
        env={**env, "DPA_KIT_NOW": "2026-10-24T10:00"},
    )
    assert result.exit_code == 0, result.output
    assert (
        "À notifier au Département avant le dimanche 25 octobre 2026 à 09 h 00 (heure de Paris) (24 h 00 min "
        "restantes)." in result.stdout
    )
    assert "dpa-kit breach notify V-2026-343097333-0001" in result.stdout


def test_convention_delay_is_used(env: dict[str, str], registers: Path) -> None:
    path = registers / f"{CID}.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("breach_delay_hours: 24", "breach_delay_hours: 12"), encoding="utf-8"
    )
    data = declare(env, "2026-03-28T10:00")
    assert data["notify_deadline"] == "2026-03-28T22:00:00+01:00"


def test_missing_answers_without_terminal_are_usage_errors(env: dict[str, str]) -> None:
    result = run("breach", "declare", "--convention", CID, "--description", "x", env=env)
    assert result.exit_code == 2 and "nature de la violation" in result.stderr
    result = run("breach", "declare", "--convention", "NOPE", "--nature", "c", "--description", "x", env=env)
    assert result.exit_code == 2 and "aucune convention" in result.stderr
    result = run("breach", "declare", "--convention", CID, "--nature", "feu", "--description", "x", env=env)
    assert result.exit_code == 2 and "nature de violation inconnue" in result.stderr


def test_list_overdue_exits_1_and_show_has_the_timeline(env: dict[str, str]) -> None:
    declare(env, "2026-03-28T10:00")
    ok = run("breach", "list", "--overdue", env={**env, "DPA_KIT_NOW": "2026-03-29T10:59"})
    assert ok.exit_code == 0 and "Aucune violation en retard" in ok.stdout
    late = run("breach", "list", "--overdue", "--format", "json", env={**env, "DPA_KIT_NOW": "2026-03-29T11:01"})
    assert late.exit_code == 1
    assert [b["id"] for b in json.loads(late.stdout)] == ["V-2026-343097333-0001"]
    shown = run("breach", "show", "V-2026-343097333-0001", env={**env, "DPA_KIT_NOW": "2026-03-29T11:01"})
    assert "EN RETARD" in shown.stdout and "déclarée" in shown.stdout


# --- notification ---------------------------------------------------------------------------------


def test_eml_has_every_article_33_item(env: dict[str, str], tmp_path: Path) -> None:
    declare(
        env,
        "2026-03-28T10:00",
        "--started-at",
        "2026-03-27T16:00",
        "--discovery",
        "appel du destinataire",
        "--cause",
        "erreur d'adresse",
        "--records",
        "40",
        "--measures-before",
        "chiffrement des échanges",
    )
    eml = tmp_path / "n.eml"
    result = run(
        "breach",
        "notify",
        "V-2026-343097333-0001",
        "--eml",
        eml,
        "--from",
        "rgpd@adil.example",
        env={**env, "DPA_KIT_NOW": "2026-03-28T12:00"},
    )
    assert result.exit_code == 0, result.output
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["To"] == "Delegue.Protection.Donnees@pasdecalais.fr"
    assert CID in message["Subject"] and "V-2026-343097333-0001" in message["Subject"]
    assert message["Message-ID"] and message["Date"]
    body = message.get_body(preferencelist=("plain",)).get_content()
    for item in (
        "Type de notification : initiale",
        "Début de la violation : vendredi 27 mars 2026 à 16 h 00",
        "Prise de connaissance par l'organisme : samedi 28 mars 2026 à 10 h 00",
        "appel du destinataire",
        "perte de confidentialité",
        "erreur d'adresse",
        "Catégories de données : noms, adresses",
        "Nombre approximatif d'enregistrements : 40",
        "Nombre approximatif de personnes : 40",
        "Conséquences probables",
        "atteinte à la vie privée",
        "chiffrement des échanges",
        "demande de suppression au destinataire",
        "Information des personnes concernées",
        "M. Martin 03 21 00 00 00",
    ):
        assert item in body, item
    # Writing an .eml does not record a notification.
    assert (
        json.loads(run("breach", "show", "V-2026-343097333-0001", "--format", "json", env=env).stdout)["notified_at"]
        is None
    )


def test_late_notification_requires_a_reason(env: dict[str, str], tmp_path: Path) -> None:
    declare(env, "2026-03-28T10:00")
    late_env = {**env, "DPA_KIT_NOW": "2026-03-30T10:00"}
    result = run(
        "breach", "notify", "V-2026-343097333-0001", "--eml", tmp_path / "n.eml", "--from", "a@b.fr", env=late_env
    )
    assert result.exit_code == 2 and "--delay-reason" in result.stderr
    result = run(
        "breach",
        "notify",
        "V-2026-343097333-0001",
        "--eml",
        tmp_path / "n.eml",
        "--from",
        "a@b.fr",
        "--delay-reason",
        "découverte un vendredi soir, DPO absent",
        env=late_env,
    )
    assert result.exit_code == 0
    assert (
        "découverte un vendredi soir"
        in email.message_from_bytes((tmp_path / "n.eml").read_bytes(), policy=policy.default)
        .get_body(preferencelist=("plain",))
        .get_content()
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    inbox = _Inbox()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"ccas" and auth_data.password == b"bon-mot-de-passe"
        return AuthResult(success=ok, handled=False)

    port = _free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_require_tls=False,
        auth_required=False,
        auth_exclude_mechanism=["LOGIN"],
    )
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.mark.interop
def test_notification_through_a_real_smtp_server(env: dict[str, str], smtp_server) -> None:
    inbox, port = smtp_server
    declare(env, "2026-03-28T10:00")
    result = run(
        "breach",
        "notify",
        "V-2026-343097333-0001",
        "--send",
        "--smtp",
        f"smtp://127.0.0.1:{port}",
        "--insecure",
        "--from",
        "rgpd@adil.example",
        env={
            **env,
            "DPA_KIT_NOW": "2026-03-28T15:00",
            "DPA_KIT_SMTP_USER": "ccas",
            "DPA_KIT_SMTP_PASSWORD": "bon-mot-de-passe",
        },
    )
    assert result.exit_code == 0, result.output
    assert len(inbox.messages) == 1
    received = email.message_from_bytes(inbox.messages[0], policy=policy.default)
    assert "Type de notification : initiale" in received.get_body(preferencelist=("plain",)).get_content()
    shown = json.loads(run("breach", "show", "V-2026-343097333-0001", "--format", "json", env=env).stdout)
    assert shown["notified_at"] == "2026-03-28T15:00:00+01:00"
    assert shown["notifications"][0]["message_id"] == received["Message-ID"]
    assert run("breach", "list", "--overdue", env={**env, "DPA_KIT_NOW": "2026-04-30T10:00"}).exit_code == 0
    # A complementary notification links to the first one.
    result = run(
        "breach",
        "notify",
        "V-2026-343097333-0001",
        "--send",
        "--complement",
        "--smtp",
        f"smtp://127.0.0.1:{port}",
        "--from",
        "rgpd@adil.example",
        env={**env, "DPA_KIT_NOW": "2026-04-01T09:00"},
    )
    assert result.exit_code == 0, result.output
    second = email.message_from_bytes(inbox.messages[1], policy=policy.default)
    assert second["In-Reply-To"].strip() == received["Message-ID"]
    assert "complémentaire" in second["Subject"]


@pytest.mark.interop
def test_failed_login_records_nothing(env: dict[str, str], smtp_server) -> None:
    inbox, port = smtp_server
    declare(env, "2026-03-28T10:00")
    result = run(
        "breach",
        "notify",
        "V-2026-343097333-0001",
        "--send",
        "--smtp",
        f"smtp://127.0.0.1:{port}",
        "--from",
        "a@b.fr",
        "--insecure",
        env={**env, "DPA_KIT_NOW": "2026-03-28T12:00", "DPA_KIT_SMTP_USER": "ccas", "DPA_KIT_SMTP_PASSWORD": "faux"},
    )
    assert result.exit_code == 1 and "refusé l'identification" in result.stderr
    assert "faux" not in result.output
    assert inbox.messages == []
    assert (
        json.loads(run("breach", "show", "V-2026-343097333-0001", "--format", "json", env=env).stdout)["notifications"]
        == []
    )


def test_refused_connection_records_nothing(env: dict[str, str]) -> None:
    declare(env, "2026-03-28T10:00")
    result = run(
        "breach",
        "notify",
        "V-2026-343097333-0001",
        "--send",
        "--smtp",
        f"smtp://127.0.0.1:{_free_port()}",
        "--from",
        "a@b.fr",
        env={**env, "DPA_KIT_NOW": "2026-03-28T12:00"},
    )
    assert result.exit_code == 1 and "rien n'a été enregistré comme notifié" in result.stderr
    assert (
        json.loads(run("breach", "show", "V-2026-343097333-0001", "--format", "json", env=env).stdout)["notifications"]
        == []
    )


def test_mark_notified_after_a_manual_send(env: dict[str, str]) -> None:
    declare(env, "2026-03-28T10:00")
    result = run("breach", "mark-notified", "V-2026-343097333-0001", "--at", "2026-03-28T18:30", env=env)
    assert result.exit_code == 0
    assert run("breach", "list", "--overdue", env={**env, "DPA_KIT_NOW": "2026-04-30T10:00"}).exit_code == 0


# --- Département side -----------------------------------------------------------------------------


def test_departement_side_72_hour_clock_cnil_and_article_34(env: dict[str, str]) -> None:
    now = {**env, "DPA_KIT_NOW": "2026-03-28T12:00"}
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
        env=now,
    )
    data = json.loads(result.stdout)
    assert data["cnil_deadline"] == "2026-03-31T13:00:00+02:00"  # received 28 March 11:00 UTC, plus 72 h
    bid = data["id"]
    late = {**env, "DPA_KIT_NOW": "2026-03-31T14:01"}
    assert run("breach", "list", "--overdue", env=late).exit_code == 1
    later = {**env, "DPA_KIT_NOW": "2026-04-01T10:00"}
    result = run("breach", "cnil", bid, "--notified", "--at", "2026-04-01T09:00", "--reference", "DN-1", env=later)
    assert result.exit_code == 2 and "--delay-reason" in result.stderr
    result = run("breach", "cnil", bid, "--notified", "--at", "02/04/2026 09:00", "--reference", "DN-1", env=later)
    assert result.exit_code == 2 and "est dans le futur" in result.stderr
    result = run("breach", "cnil", bid, "--not-notified", env=late)
    assert result.exit_code == 2 and "--reason" in result.stderr
    result = run("breach", "cnil", bid, "--notified", "--at", "2026-03-30T09:00", "--reference", "DN-1", env=late)
    assert result.exit_code == 0
    assert run("breach", "list", "--overdue", env=late).exit_code == 0
    result = run("breach", "inform", bid, "--decision", "not_informed", env=late)
    assert result.exit_code == 2
    result = run("breach", "inform", bid, "--decision", "not_informed", "--ground", "unintelligible", env=late)
    assert result.exit_code == 0
    shown = json.loads(run("breach", "show", bid, "--format", "json", env=late).stdout)
    assert shown["cnil"]["reference"] == "DN-1" and shown["subjects"]["ground"] == "unintelligible"


# --- severity -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "score", "band"),
    [
        ((1, 0, "limited", "known", "none", "none", False), 0.75, "faible"),
        ((4, 0, "significant", "unknown", "none", "none", False), 3.5, "élevé"),
        ((3, 0, "limited", "unknown", "recoverable", "none", False), 2.25, "moyen"),
        ((4, 0, "maximum", "unknown", "unrecoverable", "permanent", True), 6.0, "très élevé"),
        ((2, 1, "negligible", "none", "none", "temporary", False), 1.0, "faible"),
    ],
)
def test_enisa_scores_and_bands(args: tuple, score: float, band: str) -> None:
    result = breaches.assess(*args)
    assert (result.score, result.band) == (score, band)
    assert result.advice()


def test_severity_command_records_and_advises(env: dict[str, str]) -> None:
    declare(env, "2026-03-28T10:00")
    result = run(
        "breach",
        "severity",
        "V-2026-343097333-0001",
        "--dpc",
        "4",
        "--ei",
        "significant",
        "--confidentiality",
        "unknown",
        "--integrity",
        "none",
        "--availability",
        "none",
        "--not-malicious",
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "Gravité : élevée (score 3,5 = 4,0 × 0,75 + 0,5)" in result.stdout and "art. 34" in result.stdout
    result = run("breach", "severity", "V-2026-343097333-0001", "--dpc", "4", env=env)
    assert result.exit_code == 2 and "réponse manquante" in result.stderr


# --- register -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods", "html"])
def test_breach_register_export(env: dict[str, str], tmp_path: Path, fmt: str) -> None:
    from dpa_kit.tables import read_rows

    declare(env, "2026-03-28T10:00")
    run("breach", "close", "V-2026-343097333-0001", "--reason", "traité", env=env)
    out = tmp_path / f"registre.{fmt}"
    result = run("breach", "register", "export", "--format", fmt, "-o", out, env=env)
    assert result.exit_code == 0, result.output
    if fmt == "html":
        assert "V-2026-343097333-0001" in out.read_text(encoding="utf-8")
        return
    rows = read_rows(out)
    assert rows[0][0] == "Identifiant" and rows[1][0] == "V-2026-343097333-0001"
    assert "liste envoyée au mauvais destinataire" in rows[1]


def test_library_use_without_cli(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.sqlite")
    aware = parse_instant("2026-10-24T10:00")
    created = breaches.declare(
        ledger,
        convention_id="C",
        structure="S",
        delay_hours=24,
        aware_at=aware,
        details={"natures": ["integrity"], "description": "x"},
    )
    assert created.notify_deadline.astimezone(PARIS).isoformat() == "2026-10-25T09:00:00+01:00"
    assert created.overdue(datetime(2026, 10, 25, 8, 1, tzinfo=UTC))


def test_attachments_are_encrypted_with_the_exchange_tool(env: dict[str, str], tmp_path: Path) -> None:
    from dpa_kit.exchange import open_archive

    declare(env, "2026-03-28T10:00")
    evidence = tmp_path / "capture_DUPONT.png"
    evidence.write_bytes(b"\x89PNG fake screenshot")
    eml = tmp_path / "n.eml"
    result = run(
        "breach",
        "notify",
        "V-2026-343097333-0001",
        "--eml",
        eml,
        "--from",
        "a@b.fr",
        "--attach",
        evidence,
        env={**env, "DPA_KIT_NOW": "2026-03-28T12:00"},
    )
    assert result.exit_code == 0, result.output
    password = next(row for row in result.stdout.splitlines() if "Mot de passe" in row).split(" : ", 1)[1]
    raw = eml.read_bytes()
    assert b"DUPONT" not in raw
    message = email.message_from_bytes(raw, policy=policy.default)
    attachment = next(a for a in message.iter_attachments() if a.get_content_type() == "application/zip")
    assert attachment.get_filename() == "V-2026-343097333-0001-pieces.zip"
    archive = tmp_path / "p.zip"
    archive.write_bytes(attachment.get_content())
    opened = open_archive(archive, password, tmp_path / "out")
    assert opened.verified and (tmp_path / "out" / "capture_DUPONT.png").read_bytes() == evidence.read_bytes()


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from datetime import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


@pytest.mark.interop
@pytest.mark.parametrize("scheme", ["smtp+starttls", "smtps"])
def test_tls_schemes_verify_the_server_certificate(
    env: dict[str, str], tmp_path: Path, scheme: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ssl

    from aiosmtpd.controller import Controller

    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = _Inbox()
    port = _free_port()
    options = (
        {"tls_context": context, "require_starttls": True} if scheme == "smtp+starttls" else {"ssl_context": context}
    )
    controller = Controller(inbox, hostname="localhost", port=port, **options)
    controller.start()
    try:
        declare(env, "2026-03-28T10:00")
        args = (
            "breach",
            "notify",
            "V-2026-343097333-0001",
            "--send",
            "--smtp",
            f"{scheme}://localhost:{port}",
            "--from",
            "a@b.fr",
        )
        untrusted = run(*args, env={**env, "DPA_KIT_NOW": "2026-03-28T12:00"})
        assert untrusted.exit_code == 1 and inbox.messages == []  # an unknown certificate is refused
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust our test authority, as a real CA would be trusted
        trusted = run(*args, env={**env, "DPA_KIT_NOW": "2026-03-28T12:00"})
        assert trusted.exit_code == 0, trusted.output
        assert len(inbox.messages) == 1
    finally:
        controller.stop()


def test_questionnaire_in_a_terminal_asks_every_item(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from dpa_kit.cli import common

    monkeypatch.setattr(common, "interactive", lambda: True)
    answers = (
        "\n".join(
            [
                "hier 18h",
                "",
                "adil",
                "oui",
                "hier 19h",
                "",
                "hier 17h",
                "",
                "appel du destinataire",
                "c,i",
                "4",
                "2",
                "clé USB perdue dans le bus",
                "noms, adresses",
                "aucune",
                "120",
                "1",
                "120",
                "1",
                "aucune",
                "usurpation possible",
                "plainte déposée",
                "4",
                "police nationale",
                "Mme Durand 06 00 00 00 00",
                "o",
            ]
        )
        + "\n"
    )
    result = run("breach", "declare", input=answers, env={**env, "DPA_KIT_NOW": "2026-10-24T23:00"})
    assert result.exit_code == 0, result.output
    assert "Quand avez-vous eu connaissance de la violation ?" in result.output
    assert "Compris : vendredi 23 octobre 2026 à 18 h 00 (heure de Paris)." in result.output
    assert (
        "À notifier au Département avant le samedi 24 octobre 2026 à 18 h 00 (heure de Paris) (en retard de 5 h 00)."
        in result.output
    )
    assert (
        "Étape suivante : dpa-kit breach notify V-2026-343097333-0001 --eml notification.eml "
        '--delay-reason "écrivez ici les motifs du retard"'
    ) in result.output
    # As shown, the placeholder is refused: the reasons of a late notification are never made up.
    refused = run(
        "breach",
        "notify",
        "V-2026-343097333-0001",
        "--eml",
        "n.eml",
        "--delay-reason",
        "écrivez ici les motifs du retard",
        env={**env, "DPA_KIT_NOW": "2026-10-24T23:10"},
    )
    assert refused.exit_code == 2 and "remplacez « écrivez ici les motifs du retard »" in refused.stderr
    shown = json.loads(run("breach", "show", "V-2026-343097333-0001", "--format", "json", env=env).stdout)
    details = shown["details"]
    assert details["natures"] == ["confidentiality", "integrity"] and details["ongoing"] is False
    assert details["people"] == {"min": 120, "max": 120, "approximate": False}
    assert details["vulnerable"] == ["minors"] and details["contact"] == "Mme Durand 06 00 00 00 00"
    assert details["pending"] == []


def test_severity_assistant_asks_in_a_terminal(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from dpa_kit.cli import common

    declare(env, "2026-03-28T10:00")
    monkeypatch.setattr(common, "interactive", lambda: True)
    result = run(
        "breach", "severity", "V-2026-343097333-0001", input="4\nsignificant\nunknown\nnone\nnone\nn\n", env=env
    )
    assert result.exit_code == 0, result.output
    assert "Gravité : élevée" in result.output


# --- rules in the library, the option in the CLI ------------------------------------------------------


def _ledger_with_a_breach(tmp_path: Path) -> tuple[Ledger, breaches.Breach]:
    ledger = Ledger(tmp_path / "rules.sqlite")
    breach = breaches.declare(
        ledger,
        convention_id=CID,
        structure="ADIL",
        delay_hours=24,
        aware_at=parse_instant("2026-03-28T10:00"),
        details=breaches.breach_details({"natures": ["c"], "description": "courriel mal adressé"}),
    )
    return ledger, breach


def test_the_library_names_the_missing_delay_reason_not_an_option(tmp_path: Path) -> None:
    from dpa_kit.exceptions import InvalidValue
    from dpa_kit.mail import build_notification

    ledger, breach = _ledger_with_a_breach(tmp_path)
    late = parse_instant("2026-03-30T10:00")
    with pytest.raises(InvalidValue) as raised:
        build_notification(breach, to="dpd@pasdecalais.fr", sender="a@b.fr", now=late)
    assert raised.value.field == "delay_reason"
    assert "motif du retard manquant" in str(raised.value) and "--" not in str(raised.value)
    # Recording a late notification (sent from one's own mailbox) asks the same fact.
    with pytest.raises(InvalidValue, match="motif du retard manquant"):
        breaches.record_notification(
            ledger,
            breach,
            sent_at=late,
            message_id="<x@b.fr>",
            to="dpd@pasdecalais.fr",
            complementary=False,
            delay_reason=None,
        )
    breaches.record_notification(
        ledger,
        breach,
        sent_at=late,
        message_id="<x@b.fr>",
        to="dpd@pasdecalais.fr",
        complementary=False,
        delay_reason="DPO absent",
    )
    assert breaches.get(ledger, breach.id).notifications[0]["delay_reason"] == "DPO absent"


def test_a_message_written_on_time_and_accepted_after_the_deadline_is_recorded(tmp_path: Path) -> None:
    ledger, breach = _ledger_with_a_breach(tmp_path)
    breaches.record_notification(
        ledger,
        breach,
        sent_at=breach.notify_deadline + timedelta(seconds=5),
        prepared_at=breach.notify_deadline - timedelta(seconds=5),
        message_id="<y@b.fr>",
        to="dpd@pasdecalais.fr",
        complementary=False,
        delay_reason=None,
    )
    assert breaches.get(ledger, breach.id).notifications


@pytest.mark.parametrize(
    ("given", "field", "fact"),
    [
        ({"natures": [], "description": "x"}, "natures", "nature de la violation manquante"),
        ({"natures": ["i"], "description": "  "}, "description", "description de la violation manquante"),
        (
            {"natures": ["c"], "description": "x", "started_at": "hier"},
            "started_at",
            "début de la violation « hier » : précisez aussi l'heure",
        ),
    ],
)
def test_breach_details_are_checked_by_the_library(given: dict, field: str, fact: str) -> None:
    from dpa_kit.exceptions import InvalidValue

    with pytest.raises(InvalidValue) as raised:
        breaches.breach_details(given)
    assert raised.value.field == field and fact in str(raised.value) and "--" not in str(raised.value)


def test_breach_details_are_normalised() -> None:
    details = breaches.breach_details(
        {
            "natures": ["confidentialité,d"],
            "description": "vol",
            "people": None,
            "started_at": "2026-03-27T22:00",
            "vulnerable": False,
        }
    )
    assert details == {
        "natures": ["confidentiality", "availability"],
        "description": "vol",
        "started_at": "2026-03-27T21:00:00+00:00",
        "ongoing": True,
    }


def test_the_cli_says_which_option_supplies_the_missing_fact(env: dict[str, str], tmp_path: Path) -> None:
    declare(env, "2026-03-28T10:00")
    late_env = {**env, "DPA_KIT_NOW": "2026-03-30T10:00"}
    result = run("breach", "mark-notified", "V-2026-343097333-0001", env=late_env)
    assert result.exit_code == 2
    assert "motif du retard manquant" in result.stderr and "(option --delay-reason)" in result.stderr
    result = run(
        "breach", "declare", "--convention", CID, "--nature", "c", "--description", "x", "--started-at", "hier", env=env
    )
    assert result.exit_code == 2 and "début de la violation « hier » : précisez aussi l'heure" in result.stderr
    assert "(option --started-at)" in result.stderr
    assert "V-2026-0009" in run("breach", "show", "V-2026-0009", env=env).stderr


def test_smtp_account_is_passed_in_never_read_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dpa_kit.exceptions import InvalidValue
    from dpa_kit.mail import SmtpConfig, build_notification, send

    _, breach = _ledger_with_a_breach(tmp_path)
    message = build_notification(
        breach, to="dpd@pasdecalais.fr", sender="a@b.fr", now=parse_instant("2026-03-28T11:00")
    )
    with pytest.raises(InvalidValue) as raised:
        send(message, SmtpConfig("smtp://ccas:secret@localhost:25"))
    assert raised.value.field == "smtp_credentials" and "DPA_KIT" not in str(raised.value)
    assert "secret" not in repr(SmtpConfig("smtp://h", "ccas", "secret"))


def test_severity_questions_accept_oui_and_non(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from dpa_kit.cli import common

    declare(env, "2026-03-28T10:00")
    monkeypatch.setattr(common, "interactive", lambda: True)
    result = run(
        "breach",
        "severity",
        "V-2026-343097333-0001",
        input="4\nsignificant\nunknown\nnone\nnone\npeut-être\noui\n",
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "Intention malveillante ? [o/N]" in result.output and "Répondez par oui (o) ou non (n)." in result.output
    shown = json.loads(run("breach", "show", "V-2026-343097333-0001", "--format", "json", env=env).stdout)
    assert shown["severity"]["inputs"]["malicious"] is True


def test_a_bad_instant_names_the_fact_then_the_option(env: dict[str, str]) -> None:
    result = run(
        "breach", "declare", "--convention", CID, "--nature", "c", "--description", "x", "--aware-at", "hier", env=env
    )
    assert result.exit_code == 2
    assert "Erreur : heure de prise de connaissance « hier » : précisez aussi l'heure" in result.stderr
    assert result.stderr.rstrip().endswith("(option --aware-at)")


def test_end_of_input_during_the_questions_interrupts_in_french(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dpa_kit.cli import common

    monkeypatch.setattr(common, "interactive", lambda: True)
    result = run("breach", "declare", input="", env=env)
    assert result.exit_code == 130 and result.stderr.strip().startswith("Interrompu")
    assert "aucune réponse n'avait été donnée" in result.stderr
    assert "Aborted" not in result.output


def test_starting_again_offers_the_unfinished_declaration_first(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Typed 6 answers, Ctrl-C, then `declare` again without --resume: the answers must not be hidden.
    import getpass

    from dpa_kit.breach_drafts import DraftStore
    from dpa_kit.cli import common

    monkeypatch.setattr(common, "interactive", lambda: True)
    store = DraftStore(Ledger(Path(env["DPA_KIT_LEDGER"])))
    typed = {"aware_at": "2026-11-28T17:00:00+00:00", "convention": CID, "over": "ongoing"}
    kept = store.create(getpass.getuser(), now=parse_instant("2026-11-28T23:00"), answers=typed, convention=CID)
    result = run("breach", "declare", input="\n", env={**env, "DPA_KIT_NOW": "2026-11-28T23:30"})
    assert "n'est pas terminée (3 réponse(s), convention " in result.stdout and "La reprendre ?" in result.stdout
    assert "Reprise de la déclaration commencée" in result.stdout
    assert result.exit_code == 130
    assert store.get(kept.id).answers == typed
    assert [d.id for d in store.all(getpass.getuser())] == [kept.id]  # no empty second draft hides it


def test_schema_of_the_notification_attachment() -> None:
    result = run("schema", "--breach")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["properties"]["format"]["const"] == "dpa-kit-breach/1"
    assert schema["additionalProperties"] is False


def test_a_hand_written_message_is_received_and_the_rest_asked(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from email.message import EmailMessage

    from dpa_kit.cli import common

    message = EmailMessage()
    message["From"], message["Subject"] = "directrice@adil.example", "Violation de données"
    message["Date"] = "Sat, 28 Nov 2026 23:05:00 +0100"
    message.set_content(
        "Bonjour, convention 2026-FSL-ADIL-NUMERO-VERT.\nDate de découverte : 28/11/2026 18h\n"
        "Description : un classeur de dossiers oublié dans le train\n"
    )
    eml = tmp_path / "main.eml"
    eml.write_bytes(bytes(message))
    departement = {**env, "DPA_KIT_NOW": "2026-11-29T09:00"}
    scripted = run("breach", "receive", "--eml", eml, env=departement)
    assert scripted.exit_code == 2
    assert "le message ne donne pas : Qui le Département peut-il joindre" in scripted.stderr
    monkeypatch.setattr(common, "interactive", lambda: True)
    answers = [
        "oui",
        "hier 20h",
        "",
        "je ne sais pas encore",
        "je ne sais pas encore",
        "3",
        "1",
        "2",
        "1",
        "aucune",
        "environ 30",
        "1",
        "30",
        "3",
        "aucune",
        "je ne sais pas encore",
        "aucune",
        "1",
        "lundi par courrier",
        "",
        "Mme Durand 06 00 00 00 00",
    ]
    result = run("breach", "receive", "--eml", eml, input="\n".join(answers) + "\n", env=departement)
    assert result.exit_code == 0, result.output
    assert "Le message ne donne pas : La violation est-elle terminée ?" in result.output
    # The DPO records what the structure told: the questions speak of the structure, not of « vous ».
    assert "Comment la structure a-t-elle découvert la violation ?" in result.output
    assert "Comment avez-vous découvert" not in result.output
    assert "Attention : pas de pièce jointe dpa-kit-breach" in result.stderr
    assert "Notification enregistrée : V-2026-343097333-0001" in result.output
    assert "Description : un classeur de dossiers oublié dans le train" in result.output
    shown = json.loads(run("breach", "show", "V-2026-343097333-0001", "--format", "json", env=departement).stdout)
    assert shown["aware_at"] == "2026-11-28T18:00:00+01:00"
    assert shown["received_at"] == "2026-11-29T09:00:00+01:00"
    assert shown["details"]["pending"] == ["started_at", "discovery", "consequences"]
    assert shown["details"]["natures"] == ["availability"] and shown["details"]["ongoing"] is False


def test_instant_options_read_french_dates(env: dict[str, str]) -> None:
    data = declare(env, "2026-11-29T10:00", "--aware-at", "hier 18h", "--started-at", "avant-hier à 9 h 30")
    assert data["aware_at"] == "2026-11-28T18:00:00+01:00"
    shown = run("breach", "show", data["id"], env={**env, "DPA_KIT_NOW": "2026-11-29T10:00"})
    assert "Début de la violation : vendredi 27 novembre 2026 à 09 h 30" in shown.stdout
    assert "Prise de connaissance : samedi 28 novembre 2026 à 18 h 00 (heure de Paris)" in shown.stdout
    result = run(
        "breach",
        "mark-notified",
        data["id"],
        "--at",
        "29/11/2026 09:15",
        env={**env, "DPA_KIT_NOW": "2026-11-29T10:00"},
    )
    assert result.exit_code == 0 and "dimanche 29 novembre 2026 à 09 h 15" in result.stdout


def test_complete_asks_what_was_not_known_yet(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from dpa_kit.cli import common

    ledger = Ledger(Path(env["DPA_KIT_LEDGER"]))
    details = {
        "natures": ["confidentiality"],
        "description": "liste envoyée",
        "ongoing": True,
        "pending": ["people"],
        "contact": "M. Martin",
    }
    breach = breaches.declare(
        ledger,
        convention_id=CID,
        structure="ADIL",
        delay_hours=24,
        aware_at=parse_instant("2026-11-28T18:00"),
        details=details,
        code="343097333",
    )
    monkeypatch.setattr(common, "interactive", lambda: True)
    answers = "\n".join(["je ne sais pas encore"] * 8 + ["environ 40"] + ["je ne sais pas encore"] * 6) + "\n"
    result = run("breach", "complete", breach.id, input=answers, env={**env, "DPA_KIT_NOW": "2026-11-29T10:00"})
    assert result.exit_code == 0, result.output
    assert "Combien de personnes environ ?" in result.output
    assert f"Étape suivante : dpa-kit breach notify {breach.id} --complement --eml complement.eml" in result.output
    shown = json.loads(run("breach", "show", breach.id, "--format", "json", env=env).stdout)
    assert shown["details"]["people"] == {"min": 40, "max": 40, "approximate": True}
    assert shown["details"]["description"] == "liste envoyée"


def test_declaring_without_any_convention_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dpa_kit.cli import common

    monkeypatch.setattr(common, "interactive", lambda: True)
    empty = tmp_path / "vide"
    empty.mkdir()
    result = run(
        "breach", "declare", env={"DPA_KIT_REGISTERS": str(empty), "DPA_KIT_LEDGER": str(tmp_path / "l.sqlite")}
    )
    assert result.exit_code == 2 and "aucune convention lisible" in result.stderr


def test_severity_answers_in_french_and_agreed_band(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from dpa_kit.cli import common

    declare(env, "2026-03-28T10:00")
    result = run(
        "breach",
        "severity",
        "V-2026-343097333-0001",
        "--dpc",
        "4",
        "--ei",
        "maximale",
        "--confidentiality",
        "inconnus",
        "--integrity",
        "irrécupérable",
        "--availability",
        "Définitive",
        "--malicious",
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "Gravité : très élevée (score" in result.stdout
    result = run("breach", "severity", "V-2026-343097333-0001", "--dpc", "4", "--ei", "énorme", env=env)
    assert result.exit_code == 2
    assert "« énorme » n'est pas une réponse possible : « négligeable », « limitée »" in result.stderr
    assert "is not" not in result.stderr
    monkeypatch.setattr(common, "interactive", lambda: True)
    result = run(
        "breach",
        "severity",
        "V-2026-343097333-0001",
        input="4\nnégligeable\naucune\naucune\ntemporaire\nnon\n",
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "Gravité : faible" in result.output
    assert "(négligeable, limitée, importante, maximale)" in result.output
    # each ENISA term is explained before its question (one wording with the web form)
    assert "4 sensible (santé, opinions" in result.output


def test_severity_command_offers_the_web_forms_choices_and_questions() -> None:
    """One source: `dpa-kit breach severity` asks the questions and offers the answers of the web form."""
    from dpa_kit.breach_severity import SEVERITY_CHOICES, SEVERITY_HINTS, SEVERITY_LABELS
    from dpa_kit.cli import common
    from dpa_kit.cli.breach import SEVERITY_TYPES, breach_severity

    assert set(SEVERITY_TYPES) == set(SEVERITY_CHOICES) - {"malicious"}
    for name, kind in SEVERITY_TYPES.items():
        assert kind.names == SEVERITY_CHOICES[name]  # the same stored values, shown with the same French names
        for value, french in SEVERITY_CHOICES[name].items():
            assert kind.convert(french, None, None) == value
    # The yes/no question takes the form's two answers.
    assert set(SEVERITY_CHOICES["malicious"]) <= set(common.YES) | set(common.NO)
    helps = {p.name: p.help for p in breach_severity.params if isinstance(p, click.Option)}
    for name, label in SEVERITY_LABELS.items():
        # the question, then what the ENISA term means, as under the web form's field
        hint = SEVERITY_HINTS.get(name)
        assert helps[name] == (f"{label}. {hint}" if hint else f"{label}.")
    assert {"dpc", "dpc_adjust", "ei"} <= set(SEVERITY_HINTS)


def test_severity_command_records_what_the_web_form_records(env: dict[str, str]) -> None:
    from dpa_kit.breach_severity import check_severity

    declare(env, "2026-03-28T10:00")
    answers = ["--dpc", "sensible", "--dpc-adjust", "-0,5", "--ei", "importante", "--confidentiality", "connus"]
    answers += ["--integrity", "aucune", "--availability", "temporaire", "--malicious"]
    result = run("breach", "severity", "V-2026-343097333-0001", *answers, env=env)
    assert result.exit_code == 0, result.output
    shown = json.loads(run("breach", "show", "V-2026-343097333-0001", "--format", "json", env=env).stdout)
    form = check_severity(
        {
            "dpc": "4",
            "dpc_adjust": "-0,5",
            "ei": "significant",
            "confidentiality": "known",
            "integrity": "none",
            "availability": "temporary",
            "malicious": "oui",
        }
    )
    assert shown["severity"]["inputs"] == form.inputs
    assert (shown["severity"]["score"], shown["severity"]["band"]) == (form.severity.score, form.severity.band)
    # A wrong adjustment is named by its question, as on the form.
    wrong = [*answers[:2], "--dpc-adjust", "beaucoup", *answers[4:]]
    result = run("breach", "severity", "V-2026-343097333-0001", *wrong, env=env)
    assert result.exit_code == 2
    assert "Ajustement du contexte (de -1 à +1) : un nombre de -1 à +1" in result.stderr


def test_inform_accepts_french_decisions(env: dict[str, str]) -> None:
    declare(env, "2026-03-28T10:00")
    result = run(
        "breach",
        "inform",
        "V-2026-343097333-0001",
        "--decision",
        "à informer",
        "--date",
        "2026-04-02",
        "--channel",
        "courrier",
        env=env,
    )
    assert result.exit_code == 0, result.output
    result = run(
        "breach",
        "inform",
        "V-2026-343097333-0001",
        "--decision",
        "non-informees",
        "--ground",
        "incompréhensibles",
        env=env,
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(run("breach", "show", "V-2026-343097333-0001", "--format", "json", env=env).stdout)
    assert shown["subjects"]["decision"] == "not_informed"
    assert shown["subjects"]["ground"] == "unintelligible"


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods"])
def test_breach_register_shows_counts_and_lists_as_text(tmp_path: Path, fmt: str) -> None:
    # Counts typed as ranges (« 40 à 50 ») reach the register through a received notification.
    from dpa_kit import breach as breaches
    from dpa_kit.breach_register import register_rows
    from dpa_kit.tables import read_rows, write_table

    ledger = Ledger(tmp_path / "l.sqlite")
    breaches.declare(
        ledger,
        convention_id=CID,
        structure="ADIL",
        delay_hours=24,
        aware_at=parse_instant("2026-10-24T10:00"),
        details={
            "natures": ["confidentiality"],
            "description": "liste envoyée",
            "people": {"min": 40, "max": 50, "approximate": False},
            "records": {"min": 45, "max": 45, "approximate": True},
            "data_categories": ["noms", "adresses"],
        },
    )
    headers, rows = register_rows(list(breaches.all_breaches(ledger).values()))
    out = tmp_path / f"registre.{fmt}"
    write_table(out, fmt, "Registre des violations", headers, rows)
    read = read_rows(out)
    assert "40 à 50" in read[1] and "environ 45" in read[1] and "noms, adresses" in read[1]
    assert not [cell for cell in read[1] if cell and "{" in str(cell)]


def test_listing_breaches_before_any_ledger_exists_is_not_an_error(tmp_path: Path) -> None:
    env = {"DPA_KIT_REGISTERS": str(REGISTERS), "DPA_KIT_LEDGER": str(tmp_path / "absent.sqlite")}
    result = run("breach", "list", "--overdue", env=env)
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "absent.sqlite").exists()


def test_breach_register_export_is_private_and_never_replaces_an_edited_copy(
    env: dict[str, str], tmp_path: Path
) -> None:
    declare(env, "2026-03-28T10:00")
    out = tmp_path / "registre.csv"
    assert run("breach", "register", "export", "-o", out, env=env).exit_code in (0, 1)
    assert out.stat().st_mode & 0o777 == 0o600
    out.write_text("modifié\n", encoding="utf-8")
    result = run("breach", "register", "export", "-o", out, env=env)
    assert result.exit_code == 2 and "--force" in result.stderr
    assert out.read_text(encoding="utf-8") == "modifié\n"
