"""age public-key encryption (pyrage): keys, streams, tampering, and the reference `age` tool both ways."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest
from conftest import require_program

from dpa_kit.agecrypt import (
    AgeError,
    AgeWriter,
    decrypt_chunks,
    decrypt_stream,
    encrypt_stream,
    generate_identity,
    is_age,
    parse_identities,
    parse_recipient,
)

PLAIN = os.urandom(200_000) + b"fin"  # a few 64 KiB chunks and a short last one


def _encrypt(data: bytes, recipient: str) -> bytes:
    out = io.BytesIO()
    encrypt_stream(io.BytesIO(data), out, [recipient])
    return out.getvalue()


def test_keys_look_like_age_keys() -> None:
    identity, recipient = generate_identity()
    assert identity.startswith("AGE-SECRET-KEY-1") and recipient.startswith("age1") and len(recipient) == 62
    assert generate_identity() != (identity, recipient)


def test_round_trip_through_streams_and_chunks() -> None:
    identity, recipient = generate_identity()
    sealed = _encrypt(PLAIN, recipient)
    assert sealed.startswith(b"age-encryption.org/v1\n") and PLAIN[:64] not in sealed
    out = io.BytesIO()
    decrypt_stream(io.BytesIO(sealed), out, identity)
    assert out.getvalue() == PLAIN
    assert b"".join(decrypt_chunks(io.BytesIO(sealed), parse_identities(identity))) == PLAIN


def test_writer_stream_round_trip_with_several_recipients() -> None:
    first, first_recipient = generate_identity()
    second, second_recipient = generate_identity()
    buffer = io.BytesIO()
    writer = AgeWriter(buffer, [parse_recipient(first_recipient), second_recipient])
    for start in range(0, len(PLAIN), 10_000):
        writer.write(PLAIN[start : start + 10_000])
    writer.close()
    for identity in (first, second):
        assert b"".join(decrypt_chunks(io.BytesIO(buffer.getvalue()), identity)) == PLAIN


def test_bech32_rejects_typos() -> None:
    _, recipient = generate_identity()
    parse_recipient(recipient)
    typo = recipient[:-1] + ("q" if recipient[-1] != "q" else "p")
    with pytest.raises(AgeError, match="somme de contrôle"):
        parse_recipient(typo)
    with pytest.raises(AgeError, match="commence par « age1 »"):
        parse_recipient("bonjour")


def test_identity_file_with_comments_and_bad_identity_files() -> None:
    identity, _ = generate_identity()
    assert len(parse_identities(f"# created: today\n# public key: age1...\n\n{identity}\n")) == 1
    with pytest.raises(AgeError, match="vide"):
        parse_identities("# only a comment\n")
    with pytest.raises(AgeError, match="AGE-SECRET-KEY-1"):
        parse_identities("AGE-SECRET-KEY-1NOTAKEY\n")


def test_a_tampered_file_is_an_age_error_after_no_unauthenticated_byte() -> None:
    identity, recipient = generate_identity()
    data = bytearray(_encrypt(PLAIN, recipient))
    data[-5] ^= 1
    chunks = []
    with pytest.raises(AgeError, match="altéré ou tronqué"):
        chunks.extend(decrypt_chunks(io.BytesIO(bytes(data)), identity))
    # Only the chunks before the damaged last one came out, and they are the right bytes.
    assert PLAIN.startswith(b"".join(chunks)) and len(b"".join(chunks)) < len(PLAIN)


def _forge_mac(data: bytes) -> bytes:
    mac_at = data.index(b"---") + 3
    return data[:mac_at] + b" " + b"A" * 43 + data[data.index(b"\n", mac_at) :]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: d[:-100], "altéré ou tronqué"),
        (_forge_mac, "en-tête age altéré"),
        (lambda d: b"PK\x03\x04 pas un fichier age", "pas un fichier age"),
    ],
)
def test_truncated_forged_or_foreign_files_are_refused(damage, message: str) -> None:
    identity, recipient = generate_identity()
    damaged = damage(_encrypt(PLAIN, recipient))
    with pytest.raises(AgeError, match=message):
        decrypt_stream(io.BytesIO(damaged), io.BytesIO(), identity)


def test_a_file_for_someone_else_is_explained() -> None:
    _, recipient = generate_identity()
    other, _ = generate_identity()
    with pytest.raises(AgeError, match="autre destinataire"):
        list(decrypt_chunks(io.BytesIO(_encrypt(PLAIN, recipient)), other))


def test_stopping_early_stops_the_worker() -> None:
    identity, recipient = generate_identity()
    chunks = decrypt_chunks(io.BytesIO(_encrypt(PLAIN * 20, recipient)), identity)
    assert next(chunks)
    chunks.close()  # must return (the worker thread is joined), not hang


def test_is_age(tmp_path: Path) -> None:
    _, recipient = generate_identity()
    (tmp_path / "a.age").write_bytes(_encrypt(b"x", recipient))
    (tmp_path / "b.zip").write_bytes(b"PK\x03\x04")
    assert is_age(tmp_path / "a.age") and not is_age(tmp_path / "b.zip")


@pytest.mark.interop
def test_the_reference_age_tool_reads_ours_and_we_read_its_files(tmp_path: Path) -> None:
    age = require_program("age")
    keygen = require_program("age-keygen")
    identity, recipient = generate_identity()
    key = tmp_path / "key.txt"
    key.write_text(f"# public key: {recipient}\n{identity}\n", encoding="utf-8")
    (tmp_path / "ours.age").write_bytes(_encrypt(PLAIN, recipient))
    plain = subprocess.run([age, "-d", "-i", str(key), str(tmp_path / "ours.age")], capture_output=True, check=True)
    assert plain.stdout == PLAIN
    theirs_key = tmp_path / "theirs.txt"
    subprocess.run([keygen, "-o", str(theirs_key)], capture_output=True, check=True)
    theirs_recipient = next(
        line for line in theirs_key.read_text().splitlines() if line.startswith("# public key: ")
    ).split(": ")[1]
    (tmp_path / "plain.bin").write_bytes(PLAIN)
    subprocess.run(
        [age, "-r", theirs_recipient, "-o", str(tmp_path / "theirs.age"), str(tmp_path / "plain.bin")], check=True
    )
    with (tmp_path / "theirs.age").open("rb") as source:
        assert b"".join(decrypt_chunks(source, theirs_key.read_text())) == PLAIN
