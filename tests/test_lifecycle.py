"""The life of a convention in the ledger, and the file drop stored only as age ciphertext."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest
from conftest import require_program
from helpers import run

from dpa_kit import agecrypt, attest, exchange, filedrop, lifecycle, questionnaire
from dpa_kit.exceptions import InvalidValue, UsageError
from dpa_kit.ledger import Ledger
from dpa_kit.lifecycle import Stage
from dpa_kit.loader import load_convention

CID = "2026-FSL-ADIL-NUMERO-VERT"
SIRET = "34309733300078"
PDF = b"%PDF-1.7\n" + b"signed annex " * 1000 + b"\n%%EOF\n"


def test_a_convention_goes_from_draft_to_attestation_received(registers: Path, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    path = registers / f"{CID}.yaml"
    assert lifecycle.state(ledger, CID).stage is Stage.draft
    assert lifecycle.mark_sent(ledger, CID, by="user:1").label == "envoyée pour signature"
    with pytest.raises(InvalidValue, match="envoyée pour signature : impossible de la marquer terminée"):
        lifecycle.mark_ended(ledger, CID, by="user:1")
    state = lifecycle.record_signed(ledger, registers, path, CID, io.BytesIO(PDF), by="user:1")
    assert state.stage is Stage.signed
    import hashlib

    assert state.signed_sha256 == hashlib.sha256(PDF).hexdigest()
    stored = registers / state.signed_file
    assert stored.read_bytes() == PDF
    assert not os.stat(stored).st_mode & 0o222 and not os.stat(path).st_mode & 0o222
    # The signed text no longer changes.
    with pytest.raises(UsageError, match="convention signée"):
        questionnaire.edit_convention(path, {"title": "Autre"})
    assert lifecycle.mark_ended(ledger, CID, by="user:1").stage is Stage.ended
    signed = tmp_path / "attestation-signee.pdf"
    signed.write_bytes(b"%PDF-1.4 attestation")
    attest.record(ledger, registers, load_convention(path), signed)
    states = lifecycle.states(ledger, [CID, "AUTRE"])
    assert states[CID].stage is Stage.attestation_received
    assert set(states[CID].instants) == {Stage.sent, Stage.signed, Stage.ended, Stage.attestation_received}
    assert states["AUTRE"].stage is Stage.draft
    assert ledger.verify().ok


def test_a_signed_file_that_is_not_a_pdf_is_refused_and_nothing_kept(registers: Path, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    path = registers / f"{CID}.yaml"
    with pytest.raises(InvalidValue, match="n'est pas un PDF"):
        lifecycle.record_signed(ledger, registers, path, CID, io.BytesIO(b"<html>"), by="user:1")
    with pytest.raises(InvalidValue, match="trop gros"):
        lifecycle.record_signed(ledger, registers, path, CID, io.BytesIO(PDF), by="user:1", max_bytes=100)
    assert lifecycle.state(ledger, CID).stage is Stage.draft
    assert list((registers / "signed" / CID).iterdir()) == []
    assert os.stat(path).st_mode & 0o200


SECRET = b"Dossier de Mme Durand, nee le 01/02/1960, NIR 2600262000000 " * 4000


def _all_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_a_dropped_file_is_stored_only_as_age_ciphertext_and_opens_with_the_dpo_key(tmp_path: Path) -> None:
    identity, recipient = agecrypt.generate_identity()
    ledger = Ledger(tmp_path / "ledger.sqlite")
    store = tmp_path / "drops"
    drop = filedrop.drop_file(
        ledger, store, io.BytesIO(SECRET), "Durand Marie.pdf", recipient, siret=SIRET, by="user:7", convention=CID
    )
    files = _all_files(tmp_path)
    assert [p.name for p in files if p.parent.name == SIRET] == [f"{drop.id}.age"]
    for path in files:
        data = path.read_bytes()
        assert b"Durand" not in data and b"2600262000000" not in data, path
    # The ledger knows the drop, never the file's name.
    events = ledger.events(kind_prefix="drop.")
    assert len(events) == 1 and "Durand" not in str(events[0].payload)
    assert events[0].payload == {
        "siret": SIRET,
        "convention": CID,
        "size": len(SECRET),
        "sha256": drop.sha256,
        "by": "user:7",
    }
    found = filedrop.find_drop(ledger, store, drop.id, SIRET)
    assert found is not None
    assert filedrop.find_drop(ledger, store, drop.id, "12345678900012") is None  # another structure: nothing
    assert filedrop.find_drop(ledger, store, "../../etc/passwd") is None
    assert exchange.open_archive(found[1], None, None, identities=identity).verified
    # The DPO opens it as any exchange: ``dpa-kit exchange open FILE.age --identity KEY``.
    key = tmp_path.parent / f"{tmp_path.name}-cle.txt"  # outside the scanned folder above, as the DPO's key is
    key.write_text(identity + "\n")
    out = tmp_path / "ouvert"
    result = run(
        "exchange",
        "open",
        str(found[1]),
        "-o",
        str(out),
        "--identity",
        str(key),
        env={"DPA_KIT_LEDGER": str(tmp_path / "dpo.sqlite")},
    )
    assert result.exit_code == 0, result.output
    assert (out / "Durand Marie.pdf").read_bytes() == SECRET


def test_the_dropped_file_opens_with_the_age_program_too(tmp_path: Path) -> None:
    age = require_program("age")
    identity, recipient = agecrypt.generate_identity()
    key = tmp_path / "cle.txt"
    key.write_text(identity + "\n")
    ledger = Ledger(tmp_path / "ledger.sqlite")
    drop = filedrop.drop_file(
        ledger, tmp_path / "drops", io.BytesIO(SECRET), "a.txt", recipient, siret=SIRET, by="user:7"
    )
    clear = subprocess.run(
        [age, "-d", "-i", str(key), str(filedrop.stored_path(tmp_path / "drops", SIRET, drop.id))],
        capture_output=True,
        check=True,
    ).stdout
    assert clear.startswith(b"PK")  # the exchange package: a zip with the file and its manifest


def test_an_empty_or_too_big_drop_leaves_nothing(tmp_path: Path) -> None:
    _, recipient = agecrypt.generate_identity()
    ledger = Ledger(tmp_path / "ledger.sqlite")
    store = tmp_path / "drops"
    with pytest.raises(InvalidValue, match="vide"):
        filedrop.drop_file(ledger, store, io.BytesIO(b""), "a.txt", recipient, siret=SIRET, by="user:7")
    with pytest.raises(InvalidValue, match="trop gros"):
        filedrop.drop_file(
            ledger, store, io.BytesIO(SECRET), "a.txt", recipient, siret=SIRET, by="user:7", max_bytes=1000
        )
    with pytest.raises(InvalidValue, match="SIRET"):
        filedrop.drop_file(ledger, store, io.BytesIO(SECRET), "a.txt", recipient, siret="../x", by="user:7")
    assert _all_files(store) == []
    assert filedrop.drops(ledger) == []


def test_a_drop_pushed_in_pieces_then_stopped_leaves_nothing(tmp_path: Path) -> None:
    _, recipient = agecrypt.generate_identity()
    ledger = Ledger(tmp_path / "ledger.sqlite")
    store = tmp_path / "drops"
    writer = filedrop.DropWriter(ledger, store, "a.txt", recipient, siret=SIRET, by="user:7")
    writer.write(SECRET[:1000])
    writer.abort()
    assert _all_files(store) == [] and filedrop.drops(ledger) == []
    writer = filedrop.DropWriter(ledger, store, "b.txt", recipient, siret=SIRET, by="user:7")
    for start in range(0, len(SECRET), 7000):
        writer.write(SECRET[start : start + 7000])
    drop = writer.close()
    assert [d.id for d in filedrop.drops(ledger, SIRET)] == [drop.id] and drop.size == len(SECRET)
