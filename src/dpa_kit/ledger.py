"""The ledger: an append-only, hash-chained journal of events in SQLite (breaches, exchanges, attestations).

Each event's hash covers its content and the previous event's hash, so ``verify()`` finds the first event
that was edited, removed or reordered, even if someone dropped the triggers that forbid UPDATE and DELETE.
State (open breaches, recorded attestations...) is always derived from the events, so the chain is the
single source of truth. One transaction per unit of work (``BEGIN IMMEDIATE``), WAL mode, foreign keys
on, a busy timeout so that several processes can write at once without losing anything.

What a hash chain cannot prove alone: that the *last* events were not removed or rewritten together with
their hashes. ``verify()`` returns the head hash; keep it elsewhere (or pass it back as ``expect_head``)
to close that gap.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from dpa_kit import clock
from dpa_kit.exceptions import LedgerError, LedgerMissing

__all__ = [
    "GENESIS",
    "SCHEMA_VERSION",
    "Event",
    "Ledger",
    "LedgerError",
    "Verification",
    "Writer",
    "event_hash",
]

GENESIS = "0" * 64
SCHEMA_VERSION = 1

_MIGRATIONS: list[str] = [
    # 1: the event chain, append-only.
    """
    CREATE TABLE events (
        seq        INTEGER PRIMARY KEY,
        at         TEXT NOT NULL,
        kind       TEXT NOT NULL,
        subject    TEXT NOT NULL,
        payload    TEXT NOT NULL,
        prev_hash  TEXT NOT NULL,
        hash       TEXT NOT NULL UNIQUE
    );
    CREATE INDEX events_kind_subject ON events (kind, subject);
    CREATE INDEX events_subject ON events (subject);
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;
    """,
]




@dataclass(frozen=True)
class Event:
    """One event of the chain."""

    seq: int
    at: datetime
    kind: str
    subject: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    def as_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "at": _iso(self.at), "kind": self.kind, "subject": self.subject,
            "payload": self.payload, "prev_hash": self.prev_hash, "hash": self.hash,
        }


@dataclass(frozen=True)
class Verification:
    """The outcome of :meth:`Ledger.verify`."""

    ok: bool
    checked: int
    head: str
    first_bad: int | None = None
    reason: str | None = None


def _iso(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def event_hash(seq: int, at: str, kind: str, subject: str, payload: str, prev_hash: str) -> str:
    """SHA-256 over the canonical content of an event and the previous hash."""
    material = json.dumps([seq, at, kind, subject, payload, prev_hash], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


class Writer:
    """Appends events inside one transaction (see :meth:`Ledger.unit_of_work`)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def append(self, kind: str, subject: str, payload: dict[str, Any], at: datetime | None = None) -> Event:
        row = self.conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
        instant = at or clock.now()
        at_text = _iso(instant)
        body = _canonical(payload)
        digest = event_hash(seq, at_text, kind, subject, body, prev)
        self.conn.execute(
            "INSERT INTO events (seq, at, kind, subject, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (seq, at_text, kind, subject, body, prev, digest),
        )
        return Event(seq, instant.astimezone(timezone.utc), kind, subject, json.loads(body), prev, digest)

    def count(self, kind: str, subject_prefix: str = "") -> int:
        return int(self.conn.execute(
            "SELECT COUNT(*) FROM events WHERE kind = ? AND subject LIKE ?", (kind, subject_prefix + "%")
        ).fetchone()[0])

    def events(self, subject: str | None = None, kind_prefix: str | None = None) -> list[Event]:
        return list(_select(self.conn, subject, kind_prefix))


def _select(conn: sqlite3.Connection, subject: str | None, kind_prefix: str | None) -> Iterator[Event]:
    query = "SELECT seq, at, kind, subject, payload, prev_hash, hash FROM events"
    clauses, params = [], []
    if subject is not None:
        clauses.append("subject = ?")
        params.append(subject)
    if kind_prefix is not None:
        clauses.append("kind >= ? AND kind < ?")
        params.extend([kind_prefix, kind_prefix + "\uffff"])
    if clauses:
        query += " WHERE " + " AND ".join(clauses)
    for seq, at, kind, subj, payload, prev, digest in conn.execute(query + " ORDER BY seq", params):
        yield Event(seq, datetime.fromisoformat(at.replace("Z", "+00:00")), kind, subj, json.loads(payload), prev, digest)


class Ledger:
    """A ledger file. Every method opens its own connection: safe across processes and threads."""

    def __init__(self, path: Path | str, *, create: bool = True):
        self.path = Path(path)
        if not self.path.exists():
            if not create:
                raise LedgerMissing(f"{self.path} : aucun journal à cet endroit (option --ledger ou DPA_KIT_LEDGER)")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            self._migrate(conn)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise LedgerError(f"{self.path} : impossible d'ouvrir le journal ({exc})") from exc
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            yield conn
        except sqlite3.DatabaseError as exc:
            raise LedgerError(
                f"{self.path} : le journal est illisible ou n'est pas une base dpa-kit ({exc}) ; "
                "n'y touchez pas et prévenez le DPO"
            ) from exc
        finally:
            conn.close()

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise LedgerError(f"{self.path} : journal écrit par une version plus récente de dpa-kit (schéma {version})")
        for number in range(version, SCHEMA_VERSION):
            conn.execute("BEGIN IMMEDIATE")
            try:
                # Re-read under the lock: another process may have migrated meanwhile.
                if conn.execute("PRAGMA user_version").fetchone()[0] > number:
                    conn.execute("COMMIT")
                    continue
                for statement in _MIGRATIONS[number].split(";\n"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number + 1}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def connection(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """A configured connection (WAL, foreign keys, busy timeout) for tables kept beside the chain."""
        return self._connect()

    @contextlib.contextmanager
    def unit_of_work(self) -> Iterator[Writer]:
        """One write transaction: everything appended inside is committed together, or nothing."""
        with self._connect() as conn:
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise LedgerError(f"{self.path} : journal occupé ou verrouillé ({exc}) ; réessayez") from exc
            try:
                yield Writer(conn)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def append(self, kind: str, subject: str, payload: dict[str, Any], at: datetime | None = None) -> Event:
        """Append one event in its own transaction."""
        with self.unit_of_work() as writer:
            return writer.append(kind, subject, payload, at)

    def events(self, subject: str | None = None, kind_prefix: str | None = None) -> list[Event]:
        """Events in chain order, optionally for one subject and/or kinds starting with a prefix."""
        with self._connect() as conn:
            return list(_select(conn, subject, kind_prefix))

    def verify(self, expect_head: str | None = None) -> Verification:
        """Recompute the chain; report the first event edited, removed or reordered."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT seq, at, kind, subject, payload, prev_hash, hash FROM events ORDER BY seq"
            )
            previous, expected_seq, count = GENESIS, 1, 0
            for seq, at, kind, subject, payload, prev, digest in rows:
                count += 1
                if seq != expected_seq:
                    return Verification(False, count, previous, seq,
                                        f"événement(s) manquant(s) ou déplacé(s) avant l'événement n° {seq} (attendu n° {expected_seq})")
                if prev != previous:
                    return Verification(False, count, previous, seq,
                                        f"l'événement n° {seq} n'est pas chaîné à son prédécesseur (suppression ou réordonnancement)")
                if event_hash(seq, at, kind, subject, payload, prev) != digest:
                    return Verification(False, count, previous, seq, f"l'événement n° {seq} a été modifié après son enregistrement")
                previous, expected_seq = digest, seq + 1
        if expect_head is not None and expect_head != previous:
            return Verification(False, count, previous, None,
                                "la tête de chaîne ne correspond pas à celle attendue : des derniers événements ont été retirés ou réécrits")
        return Verification(True, count, previous)

    def export_jsonl(self, handle: TextIO) -> int:
        """Write every event as one JSON line; return how many."""
        count = 0
        for event in self.events():
            handle.write(json.dumps(event.as_json(), ensure_ascii=False) + "\n")
            count += 1
        return count
