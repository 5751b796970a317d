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

from dpa_kit.ledger import Ledger, LedgerError


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
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
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
    seq, at, kind, subject, _, prev = conn.execute("SELECT seq, at, kind, subject, payload, prev_hash FROM events WHERE seq = 2").fetchone()
    forged = '{"n":1,"texte":"falsifié"}'
    conn.execute("UPDATE events SET payload = ?, hash = ? WHERE seq = 2", (forged, event_hash(seq, at, kind, subject, forged, prev)))
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
    assert ledger.verify().ok  # a chain alone cannot see its tail cut
    assert not ledger.verify(expect_head=head).ok


def test_a_failed_unit_of_work_writes_nothing(tmp_path: Path) -> None:
    ledger = fill(tmp_path / "l.sqlite", 1)
    with pytest.raises(RuntimeError):
        with ledger.unit_of_work() as writer:
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


def test_last_returns_the_tail_of_a_kind_in_chain_order(tmp_path: Path) -> None:
    from dpa_kit.ledger import Ledger

    ledger = Ledger(tmp_path / "tail.sqlite")
    for index in range(5):
        ledger.append("exchange.packed", f"c{index}", {"n": index})
        ledger.append("breach.declared", f"V-{index}", {"n": index})
    assert [e.payload["n"] for e in ledger.last("exchange.", 3)] == [2, 3, 4]
    assert ledger.last("attest.", 3) == []
