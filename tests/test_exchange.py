"""Encrypted exchanges: round trip, hidden names, real 7-Zip both ways, passwords, and attacks refused."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import require_program
from helpers import run

from dpa_kit.exceptions import UsageError
from dpa_kit.exchange import ExchangeError, WrongPassword, open_archive, pack

PASSWORD = "k7mq-3xw9-hp2t-va8e-n4rd-zc6u"
PERSONAL = "dossier_DUPONT_Jean.csv"


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "envoi"
    (folder / "pieces").mkdir(parents=True)
    (folder / PERSONAL).write_text("nom;prénom;NIR\nDUPONT;Jean;1 84 12 76 451 089 46\n" * 2000, encoding="utf-8")
    (folder / "pieces" / "scan.pdf").write_bytes(os.urandom(300_000))
    (folder / "vide.txt").write_bytes(b"")
    return folder


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_round_trip_restores_names_and_bytes(tmp_path: Path, source: Path) -> None:
    archive = tmp_path / "a.zip"
    result = pack([source], archive, PASSWORD, convention="C1", recipient="dpo@example.fr", sender="ccas@example.fr")
    assert result.files == 3
    opened = open_archive(archive, PASSWORD, tmp_path / "out")
    assert opened.verified and opened.manifest and opened.manifest.convention == "C1"
    assert files_of(tmp_path / "out" / "envoi") == files_of(source)
    assert not list((tmp_path / "out").rglob(".dpa-kit-*"))


def test_listing_without_password_reveals_no_name(tmp_path: Path, source: Path) -> None:
    archive = tmp_path / "a.zip"
    pack([source], archive, PASSWORD)
    names = zipfile.ZipFile(archive).namelist()
    assert names == ["contenu.zip"]
    raw = archive.read_bytes()
    assert b"DUPONT" not in raw and b"scan.pdf" not in raw and b"MANIFEST" not in raw
    info = zipfile.ZipFile(archive).infolist()[0]
    assert info.date_time == (1980, 1, 1, 0, 0, 0)


def test_incompressible_files_are_stored_and_csv_is_deflated(tmp_path: Path, source: Path) -> None:
    archive = tmp_path / "a.zip"
    pack([source], archive, PASSWORD)
    import pyzipper

    with pyzipper.AESZipFile(archive) as outer:
        outer.setpassword(PASSWORD.encode())
        inner = zipfile.ZipFile(io.BytesIO(outer.read("contenu.zip")))
        kinds = {i.filename: i.compress_type for i in inner.infolist()}
    assert kinds["envoi/pieces/scan.pdf"] == zipfile.ZIP_STORED
    assert kinds[f"envoi/{PERSONAL}"] == zipfile.ZIP_DEFLATED


def test_verify_checks_without_extracting(tmp_path: Path, source: Path) -> None:
    archive = tmp_path / "a.zip"
    pack([source], archive, PASSWORD)
    result = open_archive(archive, PASSWORD, None)
    assert result.verified and len(result.files) == 3
    assert sorted(tmp_path.iterdir()) == sorted([archive, source])


def test_existing_files_are_not_overwritten_unless_asked(tmp_path: Path, source: Path) -> None:
    archive = tmp_path / "a.zip"
    pack([source], archive, PASSWORD)
    out = tmp_path / "out"
    open_archive(archive, PASSWORD, out)
    (out / "envoi" / PERSONAL).write_text("modifié localement")
    with pytest.raises(UsageError, match="existe"):
        open_archive(archive, PASSWORD, out)
    assert (out / "envoi" / PERSONAL).read_text() == "modifié localement"
    open_archive(archive, PASSWORD, out, overwrite=True)
    assert (out / "envoi" / PERSONAL).read_bytes() == (source / PERSONAL).read_bytes()


def test_cli_pack_generates_password_shown_once_and_weak_one_is_refused(tmp_path: Path, source: Path) -> None:
    result = run("--ledger", tmp_path / "none.sqlite", "exchange", "pack", source, "-o", tmp_path / "a.zip")
    assert result.exit_code == 0, result.output
    line = next(l for l in result.stdout.splitlines() if l.startswith("Mot de passe : "))
    password = line.removeprefix("Mot de passe : ")
    assert "autre canal" in result.stdout
    assert open_archive(tmp_path / "a.zip", password, None).verified
    weak = run("exchange", "pack", source, "-o", tmp_path / "b.zip", env={"DPA_KIT_PASSWORD": "soleil2026"})
    assert weak.exit_code == 2 and "trop faible" in weak.stderr and "soleil2026" not in weak.output
    assert not (tmp_path / "b.zip").exists()
    given = run("--ledger", tmp_path / "none.sqlite", "exchange", "pack", source, "-o", tmp_path / "c.zip",
                env={"DPA_KIT_PASSWORD": PASSWORD})
    assert given.exit_code == 0 and PASSWORD not in given.output


def test_password_file_and_wrong_password(tmp_path: Path, source: Path) -> None:
    secret = tmp_path / "mdp.txt"
    secret.write_text(PASSWORD + "\n")
    result = run("--ledger", tmp_path / "none.sqlite", "exchange", "pack", source, "-o", tmp_path / "a.zip",
                 "--password-file", secret)
    assert result.exit_code == 0, result.output
    wrong = tmp_path / "faux.txt"
    wrong.write_text("Un-autre-mot-de-passe-42!\n")
    result = run("exchange", "open", tmp_path / "a.zip", "-o", tmp_path / "out", "--password-file", wrong)
    assert result.exit_code == 2 and "mot de passe incorrect" in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.*"))


def test_exchanges_are_recorded_in_the_ledger_without_names(tmp_path: Path, source: Path) -> None:
    from dpa_kit.ledger import Ledger

    ledger_path = tmp_path / "ledger.sqlite"
    Ledger(ledger_path)
    env = {"DPA_KIT_PASSWORD": PASSWORD, "DPA_KIT_LEDGER": str(ledger_path)}
    assert run("exchange", "pack", source, "-o", tmp_path / "a.zip", "--convention", "C1", "--to", "dpo@x.fr", env=env).exit_code == 0
    assert run("exchange", "open", tmp_path / "a.zip", "-o", tmp_path / "out", env=env).exit_code == 0
    events = Ledger(ledger_path).events(kind_prefix="exchange.")
    assert [e.kind for e in events] == ["exchange.packed", "exchange.opened"]
    assert events[0].payload["files"] == 3 and events[0].payload["counterpart"] == "dpo@x.fr"
    assert events[1].payload["convention"] == "C1"
    assert "DUPONT" not in ledger_path.read_bytes().decode("latin-1")


# --- attacks --------------------------------------------------------------------------------------


def _aes_zip(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]], password: str = PASSWORD) -> Path:
    import pyzipper

    with pyzipper.AESZipFile(path, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES) as archive:
        archive.setpassword(password.encode())
        for name, data in entries:
            if isinstance(name, zipfile.ZipInfo):
                info = archive.zipinfo_cls(name.filename, date_time=FIXED)
                info.external_attr = name.external_attr
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
            else:
                archive.writestr(name, data)
    return path


def _inner_zip(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as inner:
        for name, data in entries:
            inner.writestr(name, data)
    return buffer.getvalue()


FIXED = (2026, 1, 1, 0, 0, 0)


def _link(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([("../evil.txt", b"x")], "sortirait"),
        (([("a/../../evil.txt", b"x")]), "sortirait"),
        ([("/etc/evil.txt", b"x")], "absolu"),
        ([("C:/evil.txt", b"x")], "absolu"),
        ([("a\\..\\evil.txt", b"x")], "absolu"),
        ([(_link("lien"), b"/etc/passwd")], "lien"),
        ([("a.txt", b"1"), ("A.TXT", b"2")], "double"),
        ([("bombe.bin", b"\0" * (60 << 20))], "bombe"),
    ],
)
def test_foreign_archive_attacks_are_refused(tmp_path: Path, entries: list, message: str) -> None:
    archive = _aes_zip(tmp_path / "evil.zip", entries)
    target = tmp_path / "deep" / "out"
    with pytest.raises(ExchangeError, match=message):
        open_archive(archive, PASSWORD, target)
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "deep" / "evil.txt").exists()
    assert not target.exists() or not any(target.rglob("*"))


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([("../evil.txt", b"x")], "sortirait"),
        ([("/tmp/evil.txt", b"x")], "absolu"),
        ([("bombe.bin", b"\0" * (60 << 20))], "bombe"),
    ],
)
def test_attacks_inside_the_inner_archive_are_refused(tmp_path: Path, entries: list, message: str) -> None:
    archive = _aes_zip(tmp_path / "evil.zip", [("contenu.zip", _inner_zip(entries))])
    with pytest.raises(ExchangeError, match=message):
        open_archive(archive, PASSWORD, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()


def test_truncated_archive(tmp_path: Path, source: Path) -> None:
    archive = tmp_path / "a.zip"
    pack([source], archive, PASSWORD)
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(ExchangeError, match="tronquée|endommagée|altéré"):
        open_archive(archive, PASSWORD, tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*"))


def test_bit_flip_is_detected_and_nothing_is_written(tmp_path: Path, source: Path) -> None:
    archive = tmp_path / "a.zip"
    pack([source], archive, PASSWORD)
    data = bytearray(archive.read_bytes())
    data[len(data) // 3] ^= 0x01
    archive.write_bytes(bytes(data))
    with pytest.raises(ExchangeError, match="altéré"):
        open_archive(archive, PASSWORD, tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any(p.is_file() for p in (tmp_path / "out").rglob("*"))


def test_file_not_matching_its_manifest_is_named(tmp_path: Path) -> None:
    import json

    manifest = {"format": "dpa-kit-exchange/1", "created_at": "x", "tool": "t",
                "files": [{"path": "liste.csv", "size": 5, "sha256": "0" * 64}]}
    inner = _inner_zip([("liste.csv", b"12345"), ("MANIFEST.dpa-kit.json", json.dumps(manifest).encode())])
    archive = _aes_zip(tmp_path / "a.zip", [("contenu.zip", inner)])
    with pytest.raises(ExchangeError, match="liste.csv.*SHA-256"):
        open_archive(archive, PASSWORD, tmp_path / "out")
    assert not (tmp_path / "out" / "liste.csv").exists()


def test_wrong_password_is_its_own_error(tmp_path: Path, source: Path) -> None:
    archive = tmp_path / "a.zip"
    pack([source], archive, PASSWORD)
    with pytest.raises(WrongPassword, match="mot de passe incorrect"):
        open_archive(archive, "Pas-le-bon-mot-de-passe-99", tmp_path / "out")


def test_links_in_the_source_are_refused(tmp_path: Path, source: Path) -> None:
    (source / "lien").symlink_to("/etc/passwd")
    with pytest.raises(UsageError, match="lien"):
        pack([source], tmp_path / "a.zip", PASSWORD)
    assert not (tmp_path / "a.zip").exists() and not list(tmp_path.glob(".a.zip.*"))


# --- real 7-Zip -----------------------------------------------------------------------------------


@pytest.mark.interop
def test_7zip_opens_our_archive_and_lists_no_name(tmp_path: Path, source: Path) -> None:
    seven = require_program("7zz")
    archive = tmp_path / "a.zip"
    pack([source], archive, PASSWORD)
    listing = subprocess.run([seven, "l", str(archive)], capture_output=True, text=True, check=True).stdout
    assert "contenu.zip" in listing and "DUPONT" not in listing and "scan.pdf" not in listing
    outer = tmp_path / "x"
    subprocess.run([seven, "x", f"-p{PASSWORD}", f"-o{outer}", str(archive)], capture_output=True, check=True)
    subprocess.run([seven, "x", f"-o{outer / 'inner'}", str(outer / "contenu.zip")], capture_output=True, check=True)
    assert files_of(outer / "inner" / "envoi") == files_of(source)


@pytest.mark.interop
def test_we_open_an_archive_made_by_7zip(tmp_path: Path, source: Path) -> None:
    seven = require_program("7zz")
    archive = tmp_path / "s.zip"
    subprocess.run([seven, "a", "-tzip", "-mem=AES256", f"-p{PASSWORD}", str(archive), str(source)],
                   capture_output=True, check=True)
    result = run("--ledger", tmp_path / "none", "exchange", "open", archive, "-o", tmp_path / "out",
                 env={"DPA_KIT_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    assert "l'intégrité des fichiers n'a pas pu être vérifiée" in result.stderr
    assert files_of(tmp_path / "out" / "envoi") == files_of(source)


# --- public-key mode (age) ------------------------------------------------------------------------


def _keypair(tmp_path: Path, name: str = "k.txt") -> tuple[Path, str]:
    key = tmp_path / name
    result = run("exchange", "keygen", "-o", key)
    assert result.exit_code == 0, result.output
    recipient = next(l for l in result.stdout.splitlines() if "Clé publique" in l).split(" : ", 1)[1]
    return key, recipient


def test_age_round_trip_and_private_key_file(tmp_path: Path, source: Path) -> None:
    key, recipient = _keypair(tmp_path)
    assert recipient.startswith("age1") and (key.stat().st_mode & 0o077) == 0
    assert run("exchange", "keygen", "-o", key).exit_code == 2  # never overwrite a private key
    out = tmp_path / "e.age"
    result = run("--ledger", tmp_path / "none", "exchange", "pack", source, "-o", out, "--recipient", recipient)
    assert result.exit_code == 0, result.output
    assert b"DUPONT" not in out.read_bytes() and b"envoi/" not in out.read_bytes()
    result = run("--ledger", tmp_path / "none", "exchange", "open", out, "-o", tmp_path / "o", "--identity", key)
    assert result.exit_code == 0, result.output
    assert files_of(tmp_path / "o" / "envoi") == files_of(source)
    assert run("exchange", "verify", out, "--identity", key).exit_code == 0


def test_age_wrong_identity_bit_flip_and_truncation(tmp_path: Path, source: Path) -> None:
    key, recipient = _keypair(tmp_path)
    other, _ = _keypair(tmp_path, "autre.txt")
    out = tmp_path / "e.age"
    run("--ledger", tmp_path / "none", "exchange", "pack", source, "-o", out, "--recipient", recipient)
    result = run("exchange", "open", out, "-o", tmp_path / "o1", "--identity", other)
    assert result.exit_code == 2 and "autre destinataire" in result.stderr
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0x04
    (tmp_path / "flip.age").write_bytes(bytes(data))
    result = run("exchange", "open", tmp_path / "flip.age", "-o", tmp_path / "o2", "--identity", key)
    assert result.exit_code == 2 and "altéré" in result.stderr
    (tmp_path / "cut.age").write_bytes(out.read_bytes()[: len(data) - 100])
    result = run("exchange", "open", tmp_path / "cut.age", "-o", tmp_path / "o3", "--identity", key)
    assert result.exit_code == 2
    for folder in ("o1", "o2", "o3"):
        assert not (tmp_path / folder).exists() or not any(p.is_file() for p in (tmp_path / folder).rglob("*"))
    result = run("exchange", "open", out, "-o", tmp_path / "o4")
    assert result.exit_code == 2 and "--identity" in result.stderr


@pytest.mark.interop
def test_age_interoperates_with_the_reference_tool(tmp_path: Path, source: Path) -> None:
    age = require_program("age")
    keygen = require_program("age-keygen")
    # The reference tool decrypts what we encrypt.
    key, recipient = _keypair(tmp_path)
    ours = tmp_path / "ours.age"
    run("--ledger", tmp_path / "none", "exchange", "pack", source, "-o", ours, "--recipient", recipient)
    inner = subprocess.run([age, "-d", "-i", str(key), str(ours)], capture_output=True, check=True).stdout
    names = zipfile.ZipFile(io.BytesIO(inner)).namelist()
    assert f"envoi/{PERSONAL}" in names and "MANIFEST.dpa-kit.json" in names
    # We decrypt what the reference tool encrypts, with a key made by age-keygen.
    theirs_key = tmp_path / "age-key.txt"
    subprocess.run([keygen, "-o", str(theirs_key)], capture_output=True, check=True)
    their_recipient = next(l for l in theirs_key.read_text().splitlines() if l.startswith("# public key: ")).split(": ")[1]
    plain = tmp_path / "inner.zip"
    plain.write_bytes(inner)
    theirs = tmp_path / "theirs.age"
    subprocess.run([age, "-r", their_recipient, "-o", str(theirs), str(plain)], check=True)
    result = run("--ledger", tmp_path / "none", "exchange", "open", theirs, "-o", tmp_path / "o", "--identity", theirs_key)
    assert result.exit_code == 0, result.output
    assert files_of(tmp_path / "o" / "envoi") == files_of(source)
