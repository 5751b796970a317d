"""Hostile or clumsy input outside the registers (issue 13, points 2 to 4): clean French errors, never a crash.

Documents given to ``check``, convention fields with control characters or very long titles, mail
addresses that would inject headers, SMTP URLs and credentials, out-of-range instants, oversized YAML.
"""

from __future__ import annotations

import json
import re
import socket
import zipfile
from pathlib import Path

import pytest
from conftest import ADIL
from helpers import run

CID = "2026-FSL-ADIL-NUMERO-VERT"
BREACH = "V-2026-343097333-0001"  # the first breach of the ADIL (SIREN 343097333)
LAUGHS = b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>\n'


def _convention(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    target = tmp_path / "conv" / f"{CID}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(edit(ADIL.read_text(encoding="utf-8")), encoding="utf-8")
    return target


def _field(name: str, value: str):  # type: ignore[no-untyped-def]
    return lambda text: re.sub(rf"^{name}:.*$", lambda _: f"{name}: {json.dumps(value)}", text, count=1, flags=re.M)


def _no_crash(result) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output and "Erreur interne" not in result.output


# --- documents: long titles, control characters, DTDs, garbage --------------------------------------


def test_a_190_character_title_gives_every_document_with_the_title_cut_for_docx(tmp_path: Path) -> None:
    from docx import Document

    title = ("Accompagnement social lié au logement des ménages du Pas-de-Calais " * 3)[:190]
    source = _convention(tmp_path, _field("title", title))
    result = run("annex", source, "--format", "docx,odt,pdf,html", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    docx = next((tmp_path / "out").glob("*.docx"))
    properties = Document(str(docx)).core_properties
    assert len(properties.title) <= 255 and len(properties.subject) <= 255
    assert len([p for p in (tmp_path / "out").iterdir() if p.name != ".dpa-kit-ecrits.json"]) == 4  # dpa_kit.written


@pytest.mark.parametrize("value", ["A\x01B", "A\x1bB", "A\x7fB", "A\u0085B"])
def test_a_control_character_is_refused_at_load_time_with_its_line_and_field(tmp_path: Path, value: str) -> None:
    source = _convention(tmp_path, _field("title", value))
    result = run("check", source)
    assert result.exit_code == 2, result.output
    assert "Intitulé de l'opération (title)" in result.stdout and "caractère de contrôle interdit" in result.stdout
    build = run("--registers", source.parent, "build", "-o", tmp_path / "out", "--format", "docx,odt")
    _no_crash(build)
    assert build.exit_code != 0 and "caractère de contrôle interdit" in build.output


def test_a_line_break_in_the_dpo_email_is_refused(tmp_path: Path) -> None:
    def edit(text: str) -> str:
        injected = json.dumps("dpo@adil.example\r\nBcc: x@evil.example")
        return re.sub(r"(\n    email: ).*", lambda m: m.group(1) + injected, text, count=1)

    source = _convention(tmp_path, edit)
    assert "Bcc" in source.read_text(encoding="utf-8")
    result = run("check", source)
    assert result.exit_code == 2 and "une seule ligne" in result.stdout


def _annex(tmp_path: Path, fmt: str) -> Path:
    assert run("annex", ADIL, "--format", fmt, "-o", tmp_path / "doc").exit_code == 0
    return next((tmp_path / "doc").glob(f"*.{fmt}"))


def _rewrite(source: Path, target: Path, name: str, data: bytes) -> Path:
    with zipfile.ZipFile(source) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    parts[name] = data
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for part, content in parts.items():
            archive.writestr(part, content)
    return target


@pytest.mark.parametrize(
    ("fmt", "part"),
    [("docx", "word/document.xml"), ("odt", "content.xml"), ("docx", "docProps/core.xml"), ("odt", "meta.xml")],
)
def test_check_refuses_a_document_declaring_entities(tmp_path: Path, fmt: str, part: str) -> None:
    source = _annex(tmp_path, fmt)
    with zipfile.ZipFile(source) as archive:
        original = archive.read(part)
    bad = _rewrite(source, tmp_path / f"bad.{fmt}", part, LAUGHS + original.split(b"?>", 1)[1])
    result = run("check", bad)
    _no_crash(result)
    assert result.exit_code == 2 and "DTD ou une entité" in result.output


@pytest.mark.parametrize("fmt", ["docx", "odt"])
@pytest.mark.parametrize("damage", ["random", "truncated", "bad-xml"])
def test_check_refuses_garbage_documents(tmp_path: Path, fmt: str, damage: str) -> None:
    import os

    source = _annex(tmp_path, fmt)
    bad = tmp_path / f"bad.{fmt}"
    if damage == "random":
        bad.write_bytes(os.urandom(3000))
    elif damage == "truncated":
        bad.write_bytes(source.read_bytes()[:1500])
    else:
        _rewrite(source, bad, "word/document.xml" if fmt == "docx" else "content.xml", b"<not xml")
    result = run("check", bad)
    _no_crash(result)
    assert result.exit_code == 2 and "illisible" in result.output


# --- oversized YAML -------------------------------------------------------------------------------


def test_a_50_mb_yaml_flow_list_is_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("w", encoding="utf-8") as handle:
        handle.write("format: dpa-kit/1\nid: 2026-X\nnotes: [")
        chunk = "1," * 1_000_000
        for _ in range(25):
            handle.write(chunk)
        handle.write("1]\n")
    result = run("check", big)
    assert result.exit_code == 2 and "fichier trop gros" in result.stdout


# --- mail: header injection, SMTP URLs, credentials ----------------------------------------------


@pytest.fixture
def env(registers: Path, tmp_path: Path) -> dict[str, str]:
    values = {
        "DPA_KIT_REGISTERS": str(registers),
        "DPA_KIT_LEDGER": str(tmp_path / "ledger.sqlite"),
        "DPA_KIT_NOW": "2026-03-28T10:00",
    }
    result = run(
        "breach",
        "declare",
        "--convention",
        CID,
        "--nature",
        "confidentialité",
        "--description",
        "erreur",
        "--people",
        "4",
        "--data-categories",
        "noms",
        "--consequences",
        "aucune",
        "--measures",
        "rappel",
        "--contact",
        "M. Martin",
        env=values,
    )
    assert result.exit_code == 0, result.output
    return values


@pytest.mark.parametrize("option", ["--from", "--to"])
@pytest.mark.parametrize("value", ["a@b.fr\r\nBcc: x@evil.example", "a@b.fr\nX-Injected: 1", "a@b.fr\x00"])
def test_line_breaks_in_addresses_are_refused(env: dict[str, str], tmp_path: Path, option: str, value: str) -> None:
    other = "--to" if option == "--from" else "--from"
    result = run("breach", "notify", BREACH, "--eml", tmp_path / "m.eml", option, value, other, "ok@b.fr", env=env)
    _no_crash(result)
    assert result.exit_code == 2 and "sur une ligne" in result.stderr
    assert not (tmp_path / "m.eml").exists()


SECRET = "Tr3s-S3cret!pw"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("url", "code", "message"),
    [
        ("smtp://relay.example:99999", 2, "port illisible"),
        ("smtp://relay.example:abc", 2, "port illisible"),
        ("smtp://[::1", 2, "port illisible"),
        (f"smtp+tls://alice:{SECRET}@relay.example", 2, "identifiant ou mot de passe dans l'adresse SMTP"),
        (f"smpt://alice:{SECRET}@relay.example:25", 2, "identifiant ou mot de passe dans l'adresse SMTP"),
        (f"smtp://alice:{SECRET}@relay.example:99999", 2, "adresse SMTP invalide"),
        (f"smtp://alice:{SECRET}@[::1", 2, "adresse SMTP invalide"),
        (f"smtp+tls://relay.example/{SECRET}", 2, "schéma « smtp+tls »"),
        ("smtp://127.0.0.1:{port}", 2, "sans chiffrement"),
        ("smtp+starttls://127.0.0.1:{port}", 1, "impossible d'envoyer"),
        ("smtps://127.0.0.1:{port}", 1, "impossible d'envoyer"),
    ],
)
def test_smtp_errors_are_french_and_never_show_the_password(
    env: dict[str, str], tmp_path: Path, url: str, code: int, message: str
) -> None:
    import tempfile

    before = set(Path(tempfile.gettempdir()).glob("dpa-kit-crash-*"))
    result = run(
        "breach",
        "notify",
        BREACH,
        "--send",
        "--smtp",
        url.format(port=_free_port()),
        "--from",
        "a@b.fr",
        env={**env, "DPA_KIT_SMTP_USER": "alice", "DPA_KIT_SMTP_PASSWORD": SECRET},
    )
    _no_crash(result)
    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert SECRET not in result.output and SECRET not in result.stderr
    assert set(Path(tempfile.gettempdir()).glob("dpa-kit-crash-*")) == before


@pytest.mark.interop
def test_login_over_plain_smtp_needs_insecure_and_failures_never_show_the_password(env: dict[str, str]) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    received: list[bytes] = []

    class Inbox:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            received.append(envelope.content)
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        return AuthResult(success=auth_data.password == b"right", handled=False)

    port = _free_port()
    controller = Controller(
        Inbox(),
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_require_tls=False,
        auth_required=False,
    )
    controller.start()
    try:
        args = ("breach", "notify", BREACH, "--send", "--smtp", f"smtp://127.0.0.1:{port}", "--from", "a@b.fr")
        refused = run(*args, env={**env, "DPA_KIT_SMTP_USER": "alice", "DPA_KIT_SMTP_PASSWORD": SECRET})
        assert refused.exit_code == 2 and "sans chiffrement" in refused.stderr and received == []
        failed = run(*args, "--insecure", env={**env, "DPA_KIT_SMTP_USER": "alice", "DPA_KIT_SMTP_PASSWORD": SECRET})
        assert failed.exit_code == 1 and "refusé l'identification" in failed.stderr and SECRET not in failed.output
        sent = run(*args, "--insecure", env={**env, "DPA_KIT_SMTP_USER": "alice", "DPA_KIT_SMTP_PASSWORD": "right"})
        assert sent.exit_code == 0, sent.output
        assert len(received) == 1
    finally:
        controller.stop()


# --- instants -------------------------------------------------------------------------------------


@pytest.mark.parametrize("instant", ["9999-12-31T23:00", "0001-01-01T00:00", "1999-12-31T23:59", "2101-01-01T00:00"])
def test_instants_out_of_range_are_refused(registers: Path, tmp_path: Path, instant: str) -> None:
    values = {"DPA_KIT_REGISTERS": str(registers), "DPA_KIT_LEDGER": str(tmp_path / "ledger.sqlite")}
    result = run(
        "breach",
        "declare",
        "--convention",
        CID,
        "--aware-at",
        instant,
        "--nature",
        "confidentialité",
        "--description",
        "x",
        "--people",
        "1",
        "--data-categories",
        "noms",
        "--consequences",
        "x",
        "--measures",
        "x",
        "--contact",
        "x",
        env=values,
    )
    _no_crash(result)
    assert result.exit_code == 2 and "l'année doit être comprise entre 2000 et 2100" in result.stderr


def test_one_document_failing_never_stops_the_batch(
    registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dpa_kit.documents.build

    original = dpa_kit.documents.build.render_annex

    def flaky(convention, *args, **kwargs):  # type: ignore[no-untyped-def]
        if getattr(convention, "convention", convention).id == CID:  # a LoadedConvention in a batch
            raise ValueError("a writer failed")
        return original(convention, *args, **kwargs)

    monkeypatch.setattr(dpa_kit.documents.build, "render_annex", flaky)
    out = tmp_path / "out"
    result = run("--registers", registers, "build", "-o", out, "--format", "md", "-j", "1")
    _no_crash(result)
    assert result.exit_code == 1
    assert (out / "index.html").exists() and "en échec" in (out / "index.html").read_text(encoding="utf-8")
    assert list(out.glob("*.md")) and not list(out.glob(f"{CID}*"))


def test_an_oversized_document_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "annexe.md"
    with big.open("wb") as handle:
        handle.truncate(33 * 1024 * 1024)  # sparse: no disk used
    result = run("check", big)
    _no_crash(result)
    assert result.exit_code == 2 and "document trop volumineux (plus de 32 Mo)" in result.output


def test_an_xml_part_under_an_image_name_is_scanned_too(tmp_path: Path) -> None:
    source = _annex(tmp_path, "docx")
    bad = _rewrite(source, tmp_path / "bad.docx", "word/media/image1.png", b"  " + LAUGHS + b"<a>&lol2;</a>")
    result = run("check", bad)
    assert result.exit_code == 2 and "image1.png" in result.output and "DTD ou une entité" in result.output


@pytest.mark.parametrize("nested", ["[" * 50000 + "]" * 50000, "{a: " * 5000 + "1" + "}" * 5000])
def test_deeply_nested_yaml_is_refused_before_the_parser_can_crash(tmp_path: Path, nested: str) -> None:
    # ruamel's C parser recurses without bound: a 100 KB file of brackets killed the process (SIGSEGV).
    folder = tmp_path / "conv"
    folder.mkdir()
    (folder / "deep.yaml").write_text(f"format: dpa-kit/1\nid: x\ntitle: {nested}\n", encoding="utf-8")
    result = run("check", folder / "deep.yaml")
    _no_crash(result)
    assert result.exit_code == 2 and "fichier trop complexe" in result.output
    listed = run("list", folder)
    _no_crash(listed)
    assert "fichier trop complexe" in listed.output
