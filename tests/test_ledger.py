"""The ledger: append-only, hash-chained, safe with concurrent writers and crashes, tamper-evident."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import run

from dpa_kit.ledger import SCHEMA_VERSION, Ledger, LedgerError, state_path


def fill(path: Path, count: int = 5) -> Ledger:
    ledger = Ledger(path)
    for index in range(count):
        ledger.append("test.event", f"S-{index}", {"n": index, "texte": "é"})
    return ledger


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def test_append_and_verify(tmp_path: Path) -> None:
    ledger = fill(tmp_path / "l.sqlite")
    result = ledger.verify()
    assert result.ok and result.checked == 5
    events = ledger.events()
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[1].prev_hash == events[0].hash
    assert ledger.verify(expect_head=result.head).ok


def test_schema_is_versioned_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    Ledger(path)
    Ledger(path)  # re-opening does not migrate twice
    conn = raw(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_triggers_refuse_update_and_delete(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    fill(path)
    conn = raw(path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE events SET payload = '{}' WHERE seq = 2")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM events WHERE seq = 2")


def _drop_triggers(conn: sqlite3.Connection) -> None:
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("DROP TRIGGER events_no_delete")


def test_edit_after_dropping_triggers_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    ledger = fill(path)
    conn = raw(path)
    _drop_triggers(conn)
    conn.execute("""UPDATE events SET payload = '{"n":99,"texte":"é"}' WHERE seq = 3""")
    result = ledger.verify()
    assert not result.ok and result.first_bad == 3 and "modifié" in (result.reason or "")


def test_edit_with_recomputed_hash_breaks_the_next_link(tmp_path: Path) -> None:
    from dpa_kit.ledger import event_hash

    path = tmp_path / "l.sqlite"
    ledger = fill(path)
    conn = raw(path)
    _drop_triggers(conn)
    seq, at, kind, subject, _, prev = conn.execute(
        "SELECT seq, at, kind, subject, payload, prev_hash FROM events WHERE seq = 2"
    ).fetchone()
    forged = '{"n":1,"texte":"falsifié"}'
    conn.execute(
        "UPDATE events SET payload = ?, hash = ? WHERE seq = 2",
        (forged, event_hash(seq, at, kind, subject, forged, prev)),
    )
    result = ledger.verify()
    assert not result.ok and result.first_bad == 3


def test_removed_and_reordered_events_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    ledger = fill(path)
    conn = raw(path)
    _drop_triggers(conn)
    conn.execute("DELETE FROM events WHERE seq = 4")
    result = ledger.verify()
    assert not result.ok and result.first_bad == 5

    path2 = tmp_path / "l2.sqlite"
    ledger2 = fill(path2)
    conn2 = raw(path2)
    _drop_triggers(conn2)
    conn2.execute("UPDATE events SET seq = 100 WHERE seq = 2")
    conn2.execute("UPDATE events SET seq = 2 WHERE seq = 3")
    conn2.execute("UPDATE events SET seq = 3 WHERE seq = 100")
    assert not ledger2.verify().ok


def test_removing_the_last_event_is_caught_with_the_expected_head(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    ledger = fill(path)
    head = ledger.verify().head
    conn = raw(path)
    _drop_triggers(conn)
    conn.execute("DELETE FROM events WHERE seq = 5")
    result = ledger.verify()  # the chain alone cannot see its tail cut; the state file can
    assert not result.ok and "le journal avait 5 événement(s), il n'en a plus que 4" in (result.reason or "")
    state_path(path).unlink()  # without the state file, only a head kept elsewhere tells
    assert not ledger.verify(expect_head=head).ok


def test_a_failed_unit_of_work_writes_nothing(tmp_path: Path) -> None:
    ledger = fill(tmp_path / "l.sqlite", 1)
    with pytest.raises(RuntimeError), ledger.unit_of_work() as writer:
        writer.append("test.event", "X", {})
        raise RuntimeError("boom")
    assert len(ledger.events()) == 1


WRITER = textwrap.dedent("""
    import sys
    from dpa_kit.ledger import Ledger
    ledger = Ledger(sys.argv[1])
    for i in range(int(sys.argv[3])):
        ledger.append("test.concurrent", sys.argv[2], {"i": i})
""")


def test_two_processes_writing_concurrently_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    Ledger(path)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), name, "150"]) for name in ("A", "B")]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    ledger = Ledger(path)
    events = ledger.events()
    assert len(events) == 300
    for name in ("A", "B"):
        assert [e.payload["i"] for e in events if e.subject == name] == list(range(150))
    assert ledger.verify().ok


KILLED = textwrap.dedent("""
    import sys, time
    from dpa_kit.ledger import Ledger
    ledger = Ledger(sys.argv[1])
    with ledger.unit_of_work() as writer:
        for i in range(50):
            writer.append("test.killed", "K", {"i": i})
        print("inside", flush=True)
        time.sleep(60)
""")


def test_sigkill_in_the_middle_of_a_transaction_leaves_a_valid_ledger(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    fill(path, 3)
    with subprocess.Popen([sys.executable, "-c", KILLED, str(path)], stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "inside"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    ledger = Ledger(path)
    assert ledger.verify().ok
    assert len(ledger.events()) == 3
    ledger.append("test.after", "X", {})
    assert ledger.verify().ok


def test_export_jsonl(tmp_path: Path) -> None:
    ledger = fill(tmp_path / "l.sqlite", 3)
    buffer = io.StringIO()
    assert ledger.export_jsonl(buffer) == 3
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert [line["seq"] for line in lines] == [1, 2, 3] and lines[0]["payload"]["texte"] == "é"


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    path.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(LedgerError, match="illisible"):
        Ledger(path)


def test_cli_verify_and_export(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    fill(path, 2)
    result = run("--ledger", path, "ledger", "verify")
    assert result.exit_code == 0 and "Journal intègre : 2 événement(s)" in result.stdout
    out = tmp_path / "j.jsonl"
    assert run("--ledger", path, "ledger", "export", "-o", out).exit_code == 0
    assert len(out.read_text().splitlines()) == 2
    conn = raw(path)
    _drop_triggers(conn)
    conn.execute("UPDATE events SET subject = 'Z' WHERE seq = 1")
    result = run("--ledger", path, "ledger", "verify")
    assert result.exit_code == 1 and "l'événement n° 1 a été modifié" in result.stderr


def test_cli_on_a_missing_ledger_is_exit_2(tmp_path: Path) -> None:
    result = run("--ledger", tmp_path / "absent.sqlite", "ledger", "verify")
    assert result.exit_code == 2 and "aucun journal" in result.stderr
    assert not (tmp_path / "absent.sqlite").exists()


# --- issue 13, point 5: permissions, an emptied ledger, signed seals ------------------------------


def _rewrite_everything(path: Path, seq: int = 2, text: str = "falsifié") -> None:
    """The attack of issue 13: drop the triggers, edit an event, recompute every hash, recreate the triggers."""
    from dpa_kit.ledger import _MIGRATIONS, GENESIS, event_hash

    conn = raw(path)
    _drop_triggers(conn)
    conn.execute("UPDATE events SET payload = ? WHERE seq = ?", (json.dumps({"n": 1, "texte": text}), seq))
    previous = GENESIS
    for number, at, kind, subject, payload in conn.execute(
        "SELECT seq, at, kind, subject, payload FROM events ORDER BY seq"
    ).fetchall():
        digest = event_hash(number, at, kind, subject, payload, previous)
        conn.execute("UPDATE events SET prev_hash = ?, hash = ? WHERE seq = ?", (previous, digest, number))
        previous = digest
    for statement in _MIGRATIONS[0].split(";\n"):
        if "CREATE TRIGGER" in statement:
            conn.execute(statement)
    conn.close()


def _rewrite_state(path: Path) -> None:
    """What a forger who read the code does next: make the state file agree with the forged chain."""
    state = json.loads(state_path(path).read_text())
    conn = raw(path)
    state["head"] = conn.execute("SELECT hash FROM events WHERE seq = ?", (state["events"],)).fetchone()[0]
    conn.close()
    state_path(path).write_text(json.dumps(state))


def test_the_ledger_and_its_companions_are_private(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    ledger = fill(path, 2)
    with ledger._connect() as conn:  # while a connection is open, -wal and -shm exist
        conn.execute("SELECT COUNT(*) FROM events").fetchone()
        companions = [p for p in tmp_path.iterdir() if p.name.startswith("l.sqlite")]
        assert {p.name for p in companions} >= {"l.sqlite", "l.sqlite-wal", "l.sqlite-shm", "l.sqlite-state"}
        for companion in companions:
            assert companion.stat().st_mode & 0o777 == 0o600, companion


def test_an_emptied_ledger_is_never_intact(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    fill(path, 3)
    path.write_bytes(b"")  # truncate -s 0
    result = run("--ledger", path, "ledger", "verify")
    assert result.exit_code == 1 and "vidé ou tronqué" in result.stderr and "intègre" not in result.output
    assert path.stat().st_size == 0  # and nothing was written into it


def test_a_removed_ledger_is_not_silently_recreated(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    fill(path, 3)
    path.unlink()
    with pytest.raises(LedgerError, match="a disparu"):
        Ledger(path)
    assert not path.exists()


def test_deleting_every_event_with_sql_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    ledger = fill(path, 3)
    conn = raw(path)
    _drop_triggers(conn)
    conn.execute("DELETE FROM events")
    result = run("--ledger", path, "ledger", "verify")
    assert result.exit_code == 1 and "il n'en a plus que 0" in result.stderr
    assert not ledger.verify().ok


def test_a_ledger_replaced_by_another_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    fill(path, 3)
    other = tmp_path / "other" / "l.sqlite"
    fill(other, 3)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    other.rename(path)
    result = Ledger(path).verify()
    assert not result.ok and "remplacé" in (result.reason or "")


def test_the_full_rewrite_passes_without_a_seal_when_the_state_is_rewritten_too(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    fill(path, 5)
    _rewrite_everything(path)
    assert "réécrits" in (Ledger(path).verify().reason or "")  # the state file saw it
    _rewrite_state(path)
    assert Ledger(path).verify().ok  # what the README says remains possible without a seal


def _keygen(tmp_path: Path) -> tuple[Path, str]:
    key = tmp_path / "dpo.key"
    result = run("ledger", "keygen", "-o", key)
    assert result.exit_code == 0, result.output
    public = (tmp_path / "dpo.key.pub").read_text().strip()
    assert public.startswith("ed25519:") and public in result.stdout
    assert key.stat().st_mode & 0o777 == 0o600 and b"PRIVATE KEY" in key.read_bytes()
    return key, public


def test_keygen_refuses_to_overwrite_a_key(tmp_path: Path) -> None:
    key, _ = _keygen(tmp_path)
    before = key.read_bytes()
    result = run("ledger", "keygen", "-o", key)
    assert result.exit_code == 2 and "existe déjà" in result.stderr
    assert key.read_bytes() == before


def test_a_seal_catches_the_full_rewrite_even_with_the_state_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    fill(path, 5)
    key, public = _keygen(tmp_path)
    sealed = run("--ledger", path, "ledger", "seal", "--key", key, "-o", tmp_path / "seal.json")
    assert sealed.exit_code == 0, sealed.output
    assert "5 événement(s)" in sealed.stdout
    ok = run("--ledger", path, "ledger", "verify", "--public-key", public)
    assert ok.exit_code == 0 and "1 sceau(x)" in ok.stdout, ok.output
    Ledger(path).append("test.after", "S", {"n": 6})  # events after the seal are fine
    assert run("--ledger", path, "ledger", "verify", "--public-key", public).exit_code == 0

    _rewrite_everything(path)
    _rewrite_state(path)
    result = run("--ledger", path, "ledger", "verify", "--public-key", public)
    assert result.exit_code == 1, result.output
    assert "sceau n° 1" in result.stderr and "réécrits" in result.stderr
    # Without the public key, the key recorded with the first seal is used: still caught.
    assert run("--ledger", path, "ledger", "verify").exit_code == 1


def test_removing_the_seals_or_resigning_them_is_caught(tmp_path: Path) -> None:
    from dpa_kit.ledger import generate_key

    path = tmp_path / "l.sqlite"
    fill(path, 5)
    key, public = _keygen(tmp_path)
    assert run("--ledger", path, "ledger", "seal", "--key", key, "-o", tmp_path / "seal.json").exit_code == 0
    _rewrite_everything(path)
    # The forger removes the seal and the state file, then seals with a key of their own.
    conn = raw(path)
    conn.execute("DROP TRIGGER seals_no_delete")
    conn.execute("DELETE FROM seals")
    conn.close()
    state_path(path).unlink()
    forged_key = tmp_path / "forged.key"
    forged_key.write_bytes(generate_key()[0])
    Ledger(path).seal(forged_key.read_bytes())
    assert Ledger(path).verify().ok  # without the DPO's public key or an exported seal, nothing tells
    result = run("--ledger", path, "ledger", "verify", "--public-key", public)
    assert result.exit_code == 1 and "autre clé" in result.stderr
    # The exported seal is checked too, even when the ledger has no seal of its own.
    exported = run("--ledger", path, "ledger", "verify", "--seal", tmp_path / "seal.json")
    assert exported.exit_code == 1


def test_verify_with_a_public_key_and_no_seal_is_not_intact(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    fill(path, 2)
    _, public = _keygen(tmp_path)
    result = run("--ledger", path, "ledger", "verify", "--public-key", public)
    assert result.exit_code == 1 and "aucun sceau" in result.stderr


def test_a_seal_with_a_wrong_key_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    fill(path, 2)
    bad = tmp_path / "bad.key"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    result = run("--ledger", path, "ledger", "seal", "--key", bad)
    assert result.exit_code == 2 and "clé de scellement illisible" in result.stderr
    result = run("--ledger", path, "ledger", "verify", "--public-key", "ed25519:abc")
    assert result.exit_code == 2 and "clé publique illisible" in result.stderr


def test_a_write_never_moves_a_disagreeing_state_forward(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    fill(path, 5)
    _rewrite_everything(path)  # count unchanged, head changed
    Ledger(path).append("test.after", "S", {"n": 6})  # an honest write afterwards
    result = Ledger(path).verify()
    assert not result.ok and "les événements n° 1 à 5 ont été réécrits" in (result.reason or "")


def test_a_deleted_state_is_not_recreated_by_a_write_but_by_the_dpo_s_seal(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    ledger = fill(path, 3)
    state_path(path).unlink()
    ledger.append("test.after", "S", {"n": 4})
    assert not state_path(path).exists()
    result = run("--ledger", path, "ledger", "verify")
    assert result.exit_code == 1 and "a disparu" in result.stderr
    key, public = _keygen(tmp_path)
    assert run("--ledger", path, "ledger", "seal", "--key", key).exit_code == 0
    assert state_path(path).exists()
    assert run("--ledger", path, "ledger", "verify", "--public-key", public).exit_code == 0


def test_a_tampered_ledger_cannot_be_sealed(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    fill(path, 3)
    key, _ = _keygen(tmp_path)
    conn = raw(path)
    _drop_triggers(conn)
    conn.execute("UPDATE events SET subject = 'Z' WHERE seq = 2")
    conn.close()
    result = run("--ledger", path, "ledger", "seal", "--key", key)
    assert result.exit_code == 1 and "ne peut pas être scellé" in result.stderr
    assert Ledger(path).seals() == []


def test_last_returns_the_tail_of_a_kind_in_chain_order(tmp_path: Path) -> None:
    from dpa_kit.ledger import Ledger

    ledger = Ledger(tmp_path / "tail.sqlite")
    for index in range(5):
        ledger.append("exchange.packed", f"c{index}", {"n": index})
        ledger.append("breach.declared", f"V-{index}", {"n": index})
    assert [e.payload["n"] for e in ledger.last("exchange.", 3)] == [2, 3, 4]
    assert ledger.last("attest.", 3) == []


@pytest.mark.parametrize("limit", [0, 10_000])
def test_events_since_are_the_same_whichever_way_they_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    """Long after the last breach (thousands of other events), ``since`` walks the kinds' index: same answer."""
    from dpa_kit import ledger as ledger_module

    ledger = Ledger(tmp_path / "ledger.sqlite")
    with ledger.unit_of_work() as writer:
        for index in range(1500):
            kind = "breach.received" if index % 500 == 0 else "exchange.packed"
            writer.append(kind, f"S-{index}", {"n": index})
        writer.append("breach.closed", "S-0", {"n": "end"})
    monkeypatch.setattr(ledger_module, "SINCE_SCAN_LIMIT", limit)
    found = ledger.since(1, "breach.")
    assert [(e.kind, e.payload["n"]) for e in found] == [
        ("breach.received", 500),
        ("breach.received", 1000),
        ("breach.closed", "end"),
    ]
    assert [e.seq for e in found] == sorted(e.seq for e in found)
    assert ledger.since(found[-1].seq, "breach.") == []
