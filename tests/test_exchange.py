"""Encrypted exchanges: round trip, hidden names, real 7-Zip both ways, passwords, and attacks refused."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import REGISTERS, require_program
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


# --- passwords at the edge (the estimate itself: test_passwords.py) ---------------------------------


def test_cli_pack_generates_password_shown_once_and_weak_one_is_refused(tmp_path: Path, source: Path) -> None:
    result = run("--ledger", tmp_path / "none.sqlite", "exchange", "pack", source, "-o", tmp_path / "a.zip")
    assert result.exit_code == 0, result.output
    line = next(row for row in result.stdout.splitlines() if row.startswith("Mot de passe : "))
    password = line.removeprefix("Mot de passe : ")
    assert "autre canal" in result.stdout
    # Said exactly how to type it (the dashes count, for 7-Zip too) and what the recipient does.
    assert "en minuscules, tirets compris, sans espace (29 caractères)" in result.stdout
    assert "contenu.zip" in result.stdout and "dpa-kit exchange open" in result.stdout
    assert open_archive(tmp_path / "a.zip", password, None).verified
    weak = run("exchange", "pack", source, "-o", tmp_path / "b.zip", env={"DPA_KIT_PASSWORD": "soleil2026"})
    assert weak.exit_code == 2 and "trop faible" in weak.stderr and "soleil2026" not in weak.output
    assert not (tmp_path / "b.zip").exists()
    given = run(
        "--ledger",
        tmp_path / "none.sqlite",
        "exchange",
        "pack",
        source,
        "-o",
        tmp_path / "c.zip",
        env={"DPA_KIT_PASSWORD": PASSWORD},
    )
    assert given.exit_code == 0 and PASSWORD not in given.output


def test_password_file_and_wrong_password(tmp_path: Path, source: Path) -> None:
    secret = tmp_path / "mdp.txt"
    secret.write_text(PASSWORD + "\n")
    result = run(
        "--ledger",
        tmp_path / "none.sqlite",
        "exchange",
        "pack",
        source,
        "-o",
        tmp_path / "a.zip",
        "--password-file",
        secret,
    )
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
    env = {"DPA_KIT_PASSWORD": PASSWORD, "DPA_KIT_LEDGER": str(ledger_path), "DPA_KIT_REGISTERS": str(REGISTERS)}
    assert (
        run(
            "exchange",
            "pack",
            source,
            "-o",
            tmp_path / "a.zip",
            "--convention",
            "2026-FSL-ADIL-NUMERO-VERT",
            "--to",
            "dpo@x.fr",
            env=env,
        ).exit_code
        == 0
    )
    assert run("exchange", "open", tmp_path / "a.zip", "-o", tmp_path / "out", env=env).exit_code == 0
    events = Ledger(ledger_path).events(kind_prefix="exchange.")
    assert [e.kind for e in events] == ["exchange.packed", "exchange.opened"]
    assert events[0].payload["files"] == 3 and events[0].payload["counterpart"] == "dpo@x.fr"
    assert events[1].payload["convention"] == "2026-FSL-ADIL-NUMERO-VERT"
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


def _with_manifest(
    entries: list[tuple[str, bytes]], files: list[tuple[str, bytes]] | None = None
) -> list[tuple[str, bytes]]:
    """``entries`` plus a manifest describing ``files`` (by default: the entries themselves, honestly)."""
    import hashlib
    import json

    described = entries if files is None else files
    manifest = {
        "format": "dpa-kit-exchange/1",
        "created_at": "2026-01-01T00:00:00+01:00",
        "tool": "test",
        "files": [{"path": n, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()} for n, d in described],
    }
    return [*entries, ("MANIFEST.dpa-kit.json", json.dumps(manifest).encode())]


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
        ([("a.txt", b"1"), ("A.TXT", b"2")], "même nom"),
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
    archive = _aes_zip(tmp_path / "evil.zip", [("contenu.zip", _inner_zip(_with_manifest(entries)))])
    with pytest.raises(ExchangeError, match=message):
        open_archive(archive, PASSWORD, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()


def test_truncated_archive(tmp_path: Path, source: Path) -> None:
    archive = tmp_path / "a.zip"
    pack([source], archive, PASSWORD)
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(ExchangeError, match=r"tronquée|endommagée|altéré"):
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

    manifest = {
        "format": "dpa-kit-exchange/1",
        "created_at": "x",
        "tool": "t",
        "files": [{"path": "liste.csv", "size": 5, "sha256": "0" * 64}],
    }
    inner = _inner_zip([("liste.csv", b"12345"), ("MANIFEST.dpa-kit.json", json.dumps(manifest).encode())])
    archive = _aes_zip(tmp_path / "a.zip", [("contenu.zip", inner)])
    with pytest.raises(ExchangeError, match=r"liste\.csv.*SHA-256"):
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
    subprocess.run(
        [seven, "a", "-tzip", "-mem=AES256", f"-p{PASSWORD}", str(archive), str(source)],
        capture_output=True,
        check=True,
    )
    result = run(
        "--ledger",
        tmp_path / "none",
        "exchange",
        "open",
        archive,
        "-o",
        tmp_path / "out",
        env={"DPA_KIT_PASSWORD": PASSWORD},
    )
    assert result.exit_code == 0, result.output
    assert "l'intégrité des fichiers n'a pas pu être vérifiée" in result.stderr
    assert "l'ensemble des fichiers ne l'est pas" in result.stderr and "Intégrité vérifiée" not in result.output
    assert files_of(tmp_path / "out" / "envoi") == files_of(source)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["envoi"]  # no staging folder left


# --- public-key mode (age) ------------------------------------------------------------------------


def _keypair(tmp_path: Path, name: str = "k.txt") -> tuple[Path, str]:
    key = tmp_path / name
    result = run("exchange", "keygen", "-o", key)
    assert result.exit_code == 0, result.output
    recipient = next(row for row in result.stdout.splitlines() if "Clé publique" in row).split(" : ", 1)[1]
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
    their_recipient = next(
        row for row in theirs_key.read_text().splitlines() if row.startswith("# public key: ")
    ).split(": ")[1]
    plain = tmp_path / "inner.zip"
    plain.write_bytes(inner)
    theirs = tmp_path / "theirs.age"
    subprocess.run([age, "-r", their_recipient, "-o", str(theirs), str(plain)], check=True)
    result = run(
        "--ledger", tmp_path / "none", "exchange", "open", theirs, "-o", tmp_path / "o", "--identity", theirs_key
    )
    assert result.exit_code == 0, result.output
    assert files_of(tmp_path / "o" / "envoi") == files_of(source)


# --- issue 12: exchanges that cannot lie -----------------------------------------------------------


def _plain_zip(path: Path, entries: list[tuple[str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return path


def _empty_or_absent(folder: Path) -> bool:
    return not folder.exists() or not any(folder.iterdir())


def _open_cli(archive: Path, target: Path, password: str = PASSWORD, *extra: str) -> object:
    return run(
        "--ledger",
        archive.parent / "none.sqlite",
        "exchange",
        "open",
        archive,
        "-o",
        target,
        *extra,
        env={"DPA_KIT_PASSWORD": password},
    )


# 1. Injected content is refused.


def test_unencrypted_entry_appended_to_a_real_archive_is_refused(tmp_path: Path, source: Path) -> None:
    archive = tmp_path / "envoi.zip"
    pack([source], archive, PASSWORD)
    with zipfile.ZipFile(archive, "a") as tampered:
        tampered.writestr("RIB_nouveau.csv", "IBAN;FR76 0000 0000 0000\n")
    result = _open_cli(archive, tmp_path / "out")
    assert result.exit_code == 2
    assert (
        "RIB_nouveau.csv" in result.stderr and "modifiée" in result.stderr and "rien n'a été extrait" in result.stderr
    )
    assert _empty_or_absent(tmp_path / "out")
    verify = run("exchange", "verify", archive, env={"DPA_KIT_PASSWORD": PASSWORD})
    assert verify.exit_code == 2 and "Intégrité vérifiée" not in verify.output


def test_unencrypted_entry_in_a_foreign_archive_is_refused(tmp_path: Path) -> None:
    archive = _aes_zip(tmp_path / "s.zip", [("a.txt", b"vrai"), ("b.txt", b"vrai aussi")])
    with zipfile.ZipFile(archive, "a") as tampered:
        tampered.writestr("c.txt", "ajouté sans le mot de passe")
    with pytest.raises(ExchangeError, match=r"« c\.txt » n'est pas chiffrée"):
        open_archive(archive, PASSWORD, tmp_path / "out")
    assert _empty_or_absent(tmp_path / "out")


def test_plain_zip_with_a_self_consistent_manifest_is_not_integrity_checked(tmp_path: Path) -> None:
    inner = _inner_zip(_with_manifest([("liste.csv", b"nom;iban\nDUPONT;FR76...\n")]))
    archive = _plain_zip(tmp_path / "faux.zip", [("contenu.zip", inner)])
    for command in (("open", archive, "-o", tmp_path / "out"), ("verify", archive)):
        result = run("--ledger", tmp_path / "none", "exchange", *command, env={"DPA_KIT_PASSWORD": "n'importe lequel"})
        assert result.exit_code == 2, result.output
        assert "« contenu.zip » n'est pas chiffrée" in result.stderr and "Intégrité vérifiée" not in result.output
    assert _empty_or_absent(tmp_path / "out")


@pytest.mark.interop
def test_zipcrypto_archive_is_refused(tmp_path: Path, source: Path) -> None:
    seven = require_program("7zz")
    archive = tmp_path / "ancien.zip"
    subprocess.run(
        [seven, "a", "-tzip", "-mem=ZipCrypto", f"-p{PASSWORD}", str(archive), str(source)],
        capture_output=True,
        check=True,
    )
    result = _open_cli(archive, tmp_path / "out")
    assert result.exit_code == 2 and "ZipCrypto" in result.stderr
    assert _empty_or_absent(tmp_path / "out")


def test_a_renamed_outer_entry_is_still_a_verified_dpa_kit_archive(tmp_path: Path, source: Path) -> None:
    archive = tmp_path / "a.zip"
    pack([source], archive, PASSWORD)
    archive.write_bytes(archive.read_bytes().replace(b"contenu.zip", b"facture.zip"))
    result = open_archive(archive, PASSWORD, tmp_path / "out")
    assert result.verified and files_of(tmp_path / "out" / "envoi") == files_of(source)


# 2. Output is all or nothing.


def test_second_file_altered_leaves_nothing_under_a_final_name(tmp_path: Path) -> None:
    good, bad = ("a_premier.csv", b"1;2;3\n" * 100), ("b_second.csv", b"4;5;6\n" * 100)
    inner = _inner_zip(_with_manifest([good, bad], files=[good, ("b_second.csv", b"autre contenu\n" * 43)]))
    archive = _aes_zip(tmp_path / "a.zip", [("contenu.zip", inner)])
    with pytest.raises(ExchangeError, match=r"b_second\.csv"):
        open_archive(archive, PASSWORD, tmp_path / "out")
    assert _empty_or_absent(tmp_path / "out")


def test_file_and_folder_of_the_same_name_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    archive = _aes_zip(tmp_path / "a.zip", [("a", b"fichier"), ("a/b.txt", b"dans le dossier a")])
    with pytest.raises(ExchangeError, match="« a » est à la fois un fichier et le dossier"):
        open_archive(archive, PASSWORD, tmp_path / "out")
    assert _empty_or_absent(tmp_path / "out")


def test_wrong_password_leaves_no_target_folder(tmp_path: Path, source: Path) -> None:
    archive = tmp_path / "a.zip"
    pack([source], archive, PASSWORD)
    result = _open_cli(archive, tmp_path / "nouveau" / "dossier", "Pas-le-bon-mot-de-passe-99")
    assert result.exit_code == 2 and "mot de passe incorrect" in result.stderr
    assert not (tmp_path / "nouveau").exists()


def test_staging_is_private(tmp_path: Path) -> None:
    from dpa_kit.exchange import _Workspace

    with _Workspace(tmp_path / "out", overwrite=False) as work:
        work.prepare()
        assert work.staging is not None and work.staging.parent == tmp_path / "out"
        assert stat.S_IMODE(work.staging.stat().st_mode) == 0o700
        path, _, size = work.stage(iter([b"donn\xc3\xa9es"]))
        assert path is not None and stat.S_IMODE(path.stat().st_mode) == 0o600 and size == 8
    assert not work.staging.exists()


def test_leftovers_of_an_interrupted_run_are_removed_and_reported(tmp_path: Path, source: Path) -> None:
    archive = tmp_path / "a.zip"
    pack([source], archive, PASSWORD)
    out = tmp_path / "out"
    (out / ".dpa-kit-staging-999999999-x1").mkdir(parents=True)  # a dead process's staging folder
    (out / ".dpa-kit-staging-999999999-x1" / "f000001").write_bytes(b"NIR 1 84 12")
    (out / ".dpa-kit-ab12cd").mkdir()  # an older version's folder with the clear inner archive
    (out / ".dpa-kit-ab12cd" / "contenu.zip").write_bytes(b"PK\x03\x04...")
    running = out / f".dpa-kit-staging-{os.getpid()}-y2"  # a live process's: left alone
    running.mkdir()
    result = _open_cli(archive, out)
    assert result.exit_code == 0, result.output
    assert "2 dossier(s) temporaire(s)" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(["envoi", running.name])


def test_sigkill_during_open_leaves_no_clear_archive_and_the_next_run_recovers(tmp_path: Path) -> None:
    import signal
    import sys
    import time

    folder = tmp_path / "envoi"
    folder.mkdir()
    for index in range(4):
        (folder / f"partie_{index}.bin").write_bytes(os.urandom(25 << 20))
    archive = tmp_path / "gros.zip"
    pack([folder], archive, PASSWORD)
    out = tmp_path / "out"
    env = {**os.environ, "DPA_KIT_PASSWORD": PASSWORD}
    command = [
        sys.executable,
        "-m",
        "dpa_kit",
        "--ledger",
        str(tmp_path / "none"),
        "exchange",
        "open",
        str(archive),
        "-o",
        str(out),
    ]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if any(out.glob(".dpa-kit-staging-*/f000001")):
                break
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "open finished before it could be killed"
    left = [p for p in out.rglob("*") if p.is_file()]
    assert left and all(".dpa-kit-staging-" in p.parent.name for p in left)  # nothing under a final name
    assert not (out / "envoi").exists()
    for path in left:  # staged files (0600) only: no clear inner archive, no manifest
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        with path.open("rb") as handle:
            assert handle.read(4) != b"PK\x03\x04"
        assert b"MANIFEST.dpa-kit.json" not in path.read_bytes() and b"partie_" not in path.read_bytes()
    result = _open_cli(archive, out)
    assert result.exit_code == 0, result.output
    assert "1 dossier(s) temporaire(s)" in result.stderr
    assert [p.name for p in out.iterdir()] == ["envoi"]
    assert files_of(out / "envoi") == files_of(folder)


# 3. Bombs.


def _overlapping_inner(count: int, kernel: bytes) -> bytes:
    """A stored zip whose ``count`` entries all reach into the same bytes (each one's data runs over the
    headers of the next ones and the shared kernel), with an honest manifest of what each would give."""
    import binascii
    import hashlib
    import json
    import struct

    names = [f"f{i:04d}.bin" for i in range(count)]

    def local(name: str, crc: int, size: int) -> bytes:
        return (
            struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0x21, crc, size, size, len(name), 0)
            + name.encode()
        )

    headers = [local(n, 0, 0) for n in names]  # sizes patched below (header length does not change)
    spans = []
    for index in range(count):
        span = b"".join(headers[index + 1 :]) + kernel
        spans.append(span)
    # Fix each header's CRC and sizes, from the last (its span is the kernel alone) to the first.
    for index in reversed(range(count)):
        span = b"".join(headers[index + 1 :]) + kernel
        headers[index] = local(names[index], binascii.crc32(span), len(span))
        spans[index] = span
    body = b"".join(headers) + kernel
    manifest = json.dumps(
        {
            "format": "dpa-kit-exchange/1",
            "created_at": "x",
            "tool": "t",
            "files": [
                {"path": n, "size": len(s), "sha256": hashlib.sha256(s).hexdigest()}
                for n, s in zip(names, spans, strict=True)
            ],
        }
    ).encode()
    offsets, offset = [], 0
    for header in headers:
        offsets.append(offset)
        offset += len(header)
    manifest_offset = len(body)
    body += local("MANIFEST.dpa-kit.json", binascii.crc32(manifest), len(manifest)) + manifest
    directory = b""
    for name, span, at in [
        *zip(names, spans, offsets, strict=True),
        ("MANIFEST.dpa-kit.json", manifest, manifest_offset),
    ]:
        directory += (
            struct.pack(
                "<4s4B4HL2L5H2L",
                b"PK\x01\x02",
                20,
                3,
                20,
                0,
                0,
                0,
                0,
                0x21,
                binascii.crc32(span),
                len(span),
                len(span),
                len(name),
                0,
                0,
                0,
                0,
                0,
                at,
            )
            + name.encode()
        )
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count + 1, count + 1, len(directory), len(body), 0)
    return body + directory + end


def test_overlapping_entries_are_refused(tmp_path: Path) -> None:
    inner = _overlapping_inner(150, os.urandom(20_000))
    assert len(zipfile.ZipFile(io.BytesIO(inner)).namelist()) == 151  # a zip reader takes it
    archive = _aes_zip(tmp_path / "bombe.zip", [("contenu.zip", inner)])
    assert archive.stat().st_size < 40_000
    with pytest.raises(ExchangeError, match="chevauchent"):
        open_archive(archive, PASSWORD, tmp_path / "out")
    assert _empty_or_absent(tmp_path / "out")


def test_many_tiny_high_ratio_entries_are_refused_and_the_limit_can_be_raised(tmp_path: Path) -> None:
    from dpa_kit.ziplimits import Limits

    archive = _aes_zip(tmp_path / "petits.zip", [(f"z{i:03d}.txt", b"\0" * 60_000) for i in range(100)])
    with pytest.raises(ExchangeError, match="l'ensemble se décompresse"):
        open_archive(archive, PASSWORD, tmp_path / "out")
    assert _empty_or_absent(tmp_path / "out")
    result = open_archive(archive, PASSWORD, tmp_path / "out", limits=Limits(max_ratio=2000))
    assert len(result.files) == 100 and result.total_size == 6_000_000


def test_entry_count_depth_and_total_size_limits_and_their_cli_options(tmp_path: Path) -> None:
    from dpa_kit.ziplimits import Limits

    archive = _aes_zip(tmp_path / "n.zip", [(f"f{i}.txt", b"x" * 2000) for i in range(12)])
    with pytest.raises(ExchangeError, match="12 entrées"):
        open_archive(archive, PASSWORD, None, limits=Limits(max_entries=10))
    result = run("exchange", "verify", archive, "--max-files", "10", env={"DPA_KIT_PASSWORD": PASSWORD})
    assert result.exit_code == 2 and "au plus 10" in result.stderr
    result = run("exchange", "verify", archive, "--max-size", "10K", env={"DPA_KIT_PASSWORD": PASSWORD})
    assert result.exit_code == 2 and "limite" in result.stderr
    assert run("exchange", "verify", archive, "--max-size", "1M", env={"DPA_KIT_PASSWORD": PASSWORD}).exit_code == 0
    deep = _aes_zip(tmp_path / "d.zip", [("/".join(["d"] * 40) + "/f.txt", b"x")])
    with pytest.raises(ExchangeError, match="niveaux de dossiers"):
        open_archive(deep, PASSWORD, tmp_path / "out")


# 4. Names that hurt on Windows or macOS, or on a terminal.

NFC, NFD = "caf\u00e9.txt", "cafe\u0301.txt"


@pytest.mark.parametrize(
    ("names", "reason"),
    [
        ([NFC, NFD], "même nom une fois normalisé"),
        (["Rapport.txt", "RAPPORT.TXT"], "même nom une fois normalisé"),
        (["CON"], "périphérique réservé"),
        (["sub/NUL.txt"], "périphérique réservé"),
        (["com1.tar.gz"], "périphérique réservé"),
        (["lpt9"], "périphérique réservé"),
        (["aux/lettre.txt"], "périphérique réservé"),
        (["a:b.txt"], "flux de données caché NTFS"),
        (["rapport."], "point ou une espace"),
        (["dossier /f.txt"], "point ou une espace"),
        (["a?.txt"], "interdit sous Windows"),
        (["a\nb.txt"], "contrôle"),
        (["a\rb.txt"], "contrôle"),
        (["\x1b[31mrouge.txt"], "contrôle"),
        (["facture\u202egpj.exe"], "invisible"),
    ],
)
def test_names_that_hurt_elsewhere_are_refused(tmp_path: Path, names: list[str], reason: str) -> None:
    archive = _aes_zip(tmp_path / "n.zip", [(name, b"contenu") for name in names])
    with pytest.raises(ExchangeError, match=reason) as caught:
        open_archive(archive, PASSWORD, tmp_path / "out")
    assert not any(c in str(caught.value) for c in "\n\r\x1b\u202e")
    assert _empty_or_absent(tmp_path / "out")
    inner = _aes_zip(tmp_path / "i.zip", [("contenu.zip", _inner_zip(_with_manifest([(n, b"x") for n in names])))])
    with pytest.raises(ExchangeError, match=reason):
        open_archive(inner, PASSWORD, None)


def test_no_raw_control_character_reaches_the_terminal(tmp_path: Path) -> None:
    archive = _aes_zip(tmp_path / "n.zip", [("\x1b]0;pirate\x07\x1b[2J.txt", b"x")])
    result = run("exchange", "verify", archive, env={"DPA_KIT_PASSWORD": PASSWORD})
    assert result.exit_code == 2
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\\x1b" in result.stderr


def test_pack_refuses_a_name_the_recipient_could_not_create(tmp_path: Path, source: Path) -> None:
    (source / "CON.csv").write_text("x")
    with pytest.raises(Exception, match="périphérique réservé") as caught:
        pack([source], tmp_path / "a.zip", PASSWORD)
    assert getattr(caught.value, "exit_code", None) == 2
    assert not (tmp_path / "a.zip").exists()


# 6. verify reads the archive once, whatever the order of its entries.


def _read_bytes_so_far() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar")


def test_verify_reads_each_byte_a_bounded_number_of_times(tmp_path: Path) -> None:
    if not Path("/proc/self/io").exists():
        from conftest import REQUIRE_INTEROP

        if REQUIRE_INTEROP:  # CI runs on Linux: a missing /proc/self/io there is a failure, not a skip
            pytest.fail("needs Linux's /proc/self/io")
        pytest.skip("needs Linux's /proc/self/io")
    entries = [(f"f{i:04d}.bin", os.urandom(2000)) for i in range(300)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as inner:
        for name, data in _with_manifest(entries):
            inner.writestr(name, data)
    # The table of contents in reverse order: each entry lies before the previous one read.
    data = buffer.getvalue()
    archive = _aes_zip(tmp_path / "r.zip", [("contenu.zip", _reverse_directory(data))])
    before = _read_bytes_so_far()
    result = open_archive(archive, PASSWORD, None)
    read = _read_bytes_so_far() - before
    assert result.verified and len(result.files) == 300
    assert read < 8 * archive.stat().st_size, f"{read} bytes read for a {archive.stat().st_size}-byte archive"


def _reverse_directory(data: bytes) -> bytes:
    import struct

    end = data.rindex(b"PK\x05\x06")
    size, offset = struct.unpack("<LL", data[end + 12 : end + 20])
    records, at = [], offset
    while at < offset + size:
        n, m, k = struct.unpack("<3H", data[at + 28 : at + 34])
        records.append(data[at : at + 46 + n + m + k])
        at += 46 + n + m + k
    return data[:offset] + b"".join(reversed(records)) + data[offset + size :]


# 7. Smaller than 7-Zip -mx=1 on CSV.


@pytest.mark.interop
def test_output_is_no_larger_than_7zip_fastest_on_csv(tmp_path: Path) -> None:
    import random

    seven = require_program("7zz")
    rng = random.Random(7)
    folder = tmp_path / "csv"
    folder.mkdir()
    names = ["MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "PETIT", "DURAND", "LEROY", "MOREAU", "DUPONT"]
    towns = ["Arras", "Béthune", "Lens", "Calais", "Boulogne-sur-Mer", "Liévin", "Saint-Omer"]
    rows = [
        f"{rng.choice(names)};{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1950, 2005)};"
        f"{rng.randint(1, 2)} {rng.randint(50, 99)} {rng.randint(1, 12):02d} 62 {rng.randint(100, 999)} "
        f"{rng.randint(100, 999)};{rng.randint(1, 200)} rue {rng.choice(names).title()};{rng.choice(towns)};"
        f"06{rng.randint(10000000, 99999999)};{rng.randint(300, 1400)},{rng.randint(0, 99):02d}\n"
        for _ in range(60_000)
    ]
    (folder / "beneficiaires.csv").write_text("".join(rows), encoding="utf-8")
    ours = tmp_path / "ours.zip"
    pack([folder], ours, PASSWORD)
    theirs = tmp_path / "theirs.zip"
    subprocess.run(
        [seven, "a", "-tzip", "-mem=AES256", f"-p{PASSWORD}", "-mx=1", str(theirs), str(folder)],
        capture_output=True,
        check=True,
    )
    assert ours.stat().st_size <= theirs.stat().st_size


# The whole: mutated archives never pass for what they are not.


def _raw_entries(data: bytes) -> tuple[list[bytes], list[bytes]]:
    """(local records, central directory records) of a zip without zip64 end records."""
    import struct

    end = data.rindex(b"PK\x05\x06")
    size, offset = struct.unpack("<LL", data[end + 12 : end + 20])
    records, at = [], offset
    while at < offset + size:
        n, m, k = struct.unpack("<3H", data[at + 28 : at + 34])
        records.append(data[at : at + 46 + n + m + k])
        at += 46 + n + m + k
    starts = sorted(struct.unpack("<L", r[42:46])[0] for r in records)
    locals_ = [data[s:e] for s, e in zip(starts, [*starts[1:], offset], strict=True)]
    by_start = dict(zip(starts, locals_, strict=True))
    return [by_start[struct.unpack("<L", r[42:46])[0]] for r in records], records


def _build(entries: list[tuple[bytes, bytes]]) -> bytes:
    import struct

    body, directory = b"", b""
    for local, record in entries:
        directory += record[:42] + struct.pack("<L", len(body)) + record[46:]
        body += local
    return (
        body
        + directory
        + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(directory), len(body), 0)
    )


def _rename(local: bytes, record: bytes, name: bytes) -> tuple[bytes, bytes]:
    import struct

    n = struct.unpack("<H", local[26:28])[0]
    new_local = local[:26] + struct.pack("<H", len(name)) + local[28:30] + name + local[30 + n :]
    m = struct.unpack("<H", record[28:30])[0]
    new_record = record[:28] + struct.pack("<H", len(name)) + record[30:46] + name + record[46 + m :]
    return new_local, new_record


@pytest.fixture(scope="module")
def valid_archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, dict[str, bytes]]:
    folder = tmp_path_factory.mktemp("src") / "envoi"
    folder.mkdir()
    (folder / "liste.csv").write_text("nom;NIR\nDUPONT;1 84 12\n" * 50, encoding="utf-8")
    (folder / "scan.bin").write_bytes(bytes(range(256)) * 20)
    archive = folder.parent / "a.zip"
    pack([folder], archive, PASSWORD)
    return archive.read_bytes(), files_of(folder)


def test_mutated_archives_are_refused_or_verified_never_misread(valid_archive: tuple[bytes, dict[str, bytes]]) -> None:
    import tempfile
    import warnings

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from dpa_kit.exceptions import DpaKitError

    data, expected = valid_archive
    name_strategy = st.sampled_from([b"contenu.zip", b"RIB.csv", b"envoi/liste.csv", b"../x", b"a" * 11, b"CON"])
    flips = st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(1, 255)), min_size=1, max_size=4)
    mutation = st.one_of(
        st.tuples(st.just("flip"), flips),
        st.tuples(st.just("append_plain"), name_strategy),
        st.tuples(st.just("duplicate"), name_strategy),
        st.tuples(st.just("remove"), st.just(None)),
        st.tuples(st.just("rename"), name_strategy),
        st.tuples(st.just("reorder"), name_strategy),
    )

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(mutation)
    def check(change: tuple[str, object]) -> None:
        kind, arg = change
        locals_, records = _raw_entries(data)
        entries = list(zip(locals_, records, strict=True))
        if kind == "flip":
            mutated = bytearray(data)
            for index, value in arg:  # type: ignore[union-attr]
                mutated[index] ^= value
            blob = bytes(mutated)
        elif kind == "append_plain":
            buffer = io.BytesIO(data)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a duplicate name is part of the attack
                with zipfile.ZipFile(buffer, "a") as archive:
                    archive.writestr(arg.decode(), b"ajout")  # type: ignore[union-attr]
            blob = buffer.getvalue()
        elif kind in ("duplicate", "reorder"):
            blob = _build(
                [_rename(*entries[0], arg), *entries]
                if kind == "reorder"  # type: ignore[arg-type]
                else [*entries, _rename(*entries[0], arg)]
            )  # type: ignore[arg-type]
        elif kind == "remove":
            blob = _build([])
        else:
            blob = _build([_rename(*entries[0], arg)])  # type: ignore[arg-type]
        with tempfile.TemporaryDirectory() as temp:
            root = Path(temp)
            archive = root / "in" / "a.zip"
            archive.parent.mkdir()
            archive.write_bytes(blob)
            target = root / "out"
            try:
                result = open_archive(archive, PASSWORD, target)
            except DpaKitError as exc:
                assert exc.exit_code == 2, exc
                assert _empty_or_absent(target)
            else:
                assert result.verified
                assert files_of(target / "envoi") == expected
                assert [p.name for p in target.iterdir()] == ["envoi"]
            assert sorted(p.name for p in root.iterdir()) in (["in"], ["in", "out"])
            assert [p.name for p in archive.parent.iterdir()] == ["a.zip"]

    check()


# The encrypted spool that holds the inner archive between authentication and parsing.


def test_spool_reads_back_at_any_offset_and_keeps_nothing_readable_on_disk(tmp_path: Path) -> None:
    import random

    from dpa_kit.spool import EncryptedSpool

    clear = b"MANIFEST.dpa-kit.json DUPONT Jean 1 84 12 76 451 089 46\n" * 5000 + os.urandom(200_000)
    spool = EncryptedSpool(tmp_path)
    for start in range(0, len(clear), 70_001):
        spool.write(clear[start : start + 70_001])
    assert list(tmp_path.iterdir()) == []  # an anonymous file: nothing a killed process could leave
    on_disk = Path(f"/proc/self/fd/{spool._file.fileno()}")
    if on_disk.exists():
        raw = on_disk.read_bytes()
        assert len(raw) == len(clear) and b"DUPONT" not in raw and b"MANIFEST" not in raw
    reader = spool.seal()
    rng = random.Random(3)
    for _ in range(300):
        start = rng.randrange(len(clear))
        size = rng.choice([1, 15, 16, 17, 30, 4096, 65_536, 70_000, 300_000])
        reader.seek(start)
        assert reader.read(size) == clear[start : start + size]
    reader.seek(-10, io.SEEK_END)
    assert reader.read() == clear[-10:] and reader.read(5) == b""
    reader.seek(0)
    assert zipfile.is_zipfile(reader) is False
    reader.close()


# Deflate on several threads, one ordinary stream.


def _csv_rows(count: int) -> bytes:
    import random

    rng = random.Random(5)
    return "".join(
        f"DUPONT;{rng.choice(['Jean', 'Marie', 'Léa'])};{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/"
        f"{rng.randint(1950, 2005)};06{rng.randint(10000000, 99999999)}\n"
        for _ in range(count)
    ).encode()


@pytest.mark.parametrize(
    "pieces", [[], [b""], [b"abc"], [b"nom;prenom\n" * 300_000], [b"x" * 777_777] * 5, [_csv_rows(60_000)]]
)
def test_parallel_deflate_is_one_ordinary_stream(pieces: list[bytes]) -> None:
    import zlib

    from zlib_ng import zlib_ng

    from dpa_kit.deflate import ParallelDeflate

    compressor = ParallelDeflate(4, workers=2)
    stream = b"".join(compressor.compress(piece) for piece in pieces) + compressor.flush()
    data = b"".join(pieces)
    assert zlib.decompress(stream, -15) == data
    if data.startswith(b"DUPONT"):  # blocks primed with the preceding 32 KiB keep one stream's ratio
        single = zlib_ng.compressobj(4, zlib_ng.DEFLATED, -15)
        assert len(stream) < 1.01 * len(single.compress(data) + single.flush())


def test_layout_check_refuses_entries_sharing_a_header_or_running_into_the_next() -> None:
    import struct

    from dpa_kit.ziplimits import ZipLimitError, check_layout

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("a.txt", b"a" * 100)
        archive.writestr("b.txt", b"b" * 100)
    data = buffer.getvalue()
    locals_, records = _raw_entries(data)
    honest = zipfile.ZipFile(io.BytesIO(data))
    check_layout(io.BytesIO(data), honest.infolist(), honest.start_dir, len(data))
    # The second directory record points at the first entry's header.
    shared = _build(list(zip(locals_, records, strict=True)))
    at = shared.index(b"PK\x01\x02", shared.index(b"PK\x01\x02") + 1)
    shared = shared[: at + 42] + struct.pack("<L", 0) + shared[at + 46 :]
    archive = zipfile.ZipFile(io.BytesIO(shared))
    with pytest.raises(ZipLimitError, match="même endroit"):
        check_layout(io.BytesIO(shared), archive.infolist(), archive.start_dir, len(shared))
    # The first entry claims more compressed bytes than lie before the second.
    infos = honest.infolist()
    infos[0].compress_size += 50
    with pytest.raises(ZipLimitError, match="chevauchent"):
        check_layout(io.BytesIO(data), infos, honest.start_dir, len(data))


def test_pack_refuses_an_unknown_convention(tmp_path: Path, source: Path) -> None:
    result = run(
        "--registers",
        REGISTERS,
        "--ledger",
        tmp_path / "l.sqlite",
        "exchange",
        "pack",
        source,
        "-o",
        tmp_path / "a.zip",
        "--convention",
        "BETHUNE",
        env={"DPA_KIT_PASSWORD": PASSWORD},
    )
    assert result.exit_code == 2 and "aucune convention d'identifiant « BETHUNE »" in result.stderr
    assert not (tmp_path / "a.zip").exists()
