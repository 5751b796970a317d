"""The ledger: an append-only, hash-chained journal of events in SQLite (breaches, exchanges, attestations).

Each event's hash covers its content and the previous event's hash, so ``verify()`` finds the first event
that was edited, removed or reordered by someone who did not recompute the hashes. State (open breaches,
recorded attestations...) is always derived from the events, so the chain is the single source of truth.
One transaction per unit of work (``BEGIN IMMEDIATE``), WAL mode, foreign keys on, a busy timeout so that
several processes can write at once without losing anything. The file (and its ``-wal``/``-shm``) is
created 0600.

Three levels of protection, each against more than the previous one (the README says it for users):

1. The chain and the triggers: an edit through the application or a careless SQL ``UPDATE`` is refused,
   and an edit made after dropping the triggers is reported, unless the hashes were recomputed.
2. The state file (``<ledger>-state``, 0600, beside the ledger): the ledger's identity, how many events
   it held and its head hash the last time dpa-kit wrote it, and how many seals. ``verify()`` reports a
   ledger emptied, truncated, replaced or missing its last events, and an event rewritten up to that
   point with recomputed hashes. Someone who can write both files can rewrite both consistently.
3. Seals: ``seal()`` signs (Ed25519, the DPO's key) the ledger's identity, event count, head hash and
   time; ``verify(public_key=...)`` checks every seal against the public key kept elsewhere, so a rewrite
   of anything up to the last seal is reported even if both files were rewritten, since the forger cannot
   sign. Events after the last seal are protected only by levels 1 and 2; an exported seal (or a head hash
   kept elsewhere, ``expect_head``) also catches a ledger whose seals were all removed.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from dpa_kit import clock
from dpa_kit.exceptions import LedgerError, LedgerMissing, LedgerTampered

__all__ = [
    "GENESIS",
    "SCHEMA_VERSION",
    "Event",
    "Ledger",
    "LedgerError",
    "LedgerTampered",
    "Seal",
    "Verification",
    "Writer",
    "event_hash",
    "generate_key",
    "key_fingerprint",
    "load_private_key",
    "parse_public_key",
    "state_path",
]

GENESIS = "0" * 64
#: Beyond this many events after the one asked, :meth:`Ledger.since` walks the kinds' index instead.
SINCE_SCAN_LIMIT = 1000
SCHEMA_VERSION = 2
STATE_FORMAT = "dpa-kit-ledger-state/1"
SEAL_FORMAT = "dpa-kit-ledger-seal/1"
KEY_PREFIX = "ed25519:"

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
    # 2: the ledger's identity and its seals (signed checkpoints), append-only too.
    """
    CREATE TABLE meta (
        key        TEXT PRIMARY KEY,
        value      TEXT NOT NULL
    );
    INSERT INTO meta (key, value) VALUES ('ledger_id', lower(hex(randomblob(16))));
    CREATE TABLE seals (
        number     INTEGER PRIMARY KEY,
        at         TEXT NOT NULL,
        events     INTEGER NOT NULL,
        head       TEXT NOT NULL,
        public_key TEXT NOT NULL,
        signature  TEXT NOT NULL
    );
    CREATE TRIGGER seals_no_update BEFORE UPDATE ON seals
        BEGIN SELECT RAISE(ABORT, 'ledger seals are append-only'); END;
    CREATE TRIGGER seals_no_delete BEFORE DELETE ON seals
        BEGIN SELECT RAISE(ABORT, 'ledger seals are append-only'); END;
    CREATE TRIGGER meta_no_update BEFORE UPDATE ON meta
        BEGIN SELECT RAISE(ABORT, 'ledger identity is fixed'); END;
    CREATE TRIGGER meta_no_delete BEFORE DELETE ON meta
        BEGIN SELECT RAISE(ABORT, 'ledger identity is fixed'); END;
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
            "seq": self.seq,
            "at": _iso(self.at),
            "kind": self.kind,
            "subject": self.subject,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class Verification:
    """The outcome of :meth:`Ledger.verify`."""

    ok: bool
    checked: int
    head: str
    first_bad: int | None = None
    reason: str | None = None
    seals: int = 0
    sealed_events: int = 0
    public_key: str | None = None


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


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
        return Event(seq, instant.astimezone(UTC), kind, subject, json.loads(body), prev, digest)

    def count(self, kind: str, subject_prefix: str = "") -> int:
        return int(
            self.conn.execute(
                "SELECT COUNT(*) FROM events WHERE kind = ? AND subject LIKE ?", (kind, subject_prefix + "%")
            ).fetchone()[0]
        )

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
        try:
            yield Event(
                seq, datetime.fromisoformat(at.replace("Z", "+00:00")), kind, subj, json.loads(payload), prev, digest
            )
        except (AttributeError, TypeError, ValueError) as exc:  # a value no dpa-kit ever wrote
            raise LedgerTampered(
                f"l'événement n° {seq} du journal est illisible : le fichier a été modifié "
                "hors de dpa-kit ; n'y touchez pas et prévenez le DPO"
            ) from exc


# --- keys and seals -------------------------------------------------------------------------------


def generate_key() -> tuple[bytes, str]:
    """A new Ed25519 key: (the private key as PKCS#8 PEM, the public key as ``ed25519:<base64>``)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem, _public_text(private.public_key())


def _public_text(public: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return KEY_PREFIX + base64.b64encode(raw).decode("ascii")


def load_private_key(pem: bytes) -> Any:
    """The Ed25519 private key in ``pem``; LedgerError (French) if it is not one."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise LedgerError("clé de scellement illisible : attendu la clé privée Ed25519 produite par dpa-kit") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise LedgerError("clé de scellement refusée : ce n'est pas une clé Ed25519")
    return key


def parse_public_key(text: str) -> Any:
    """An ``ed25519:<base64>`` public key; LedgerError (French) if malformed."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    body = text.strip().removeprefix(KEY_PREFIX)
    try:
        raw = base64.b64decode(body, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise LedgerError(
            f"clé publique illisible : attendu « {KEY_PREFIX}... » (44 caractères après le préfixe)"
        ) from exc


def key_fingerprint(public_text: str) -> str:
    """A short fingerprint of a public key, to compare it by eye with the one kept elsewhere."""
    return hashlib.sha256(public_text.strip().encode("ascii", "replace")).hexdigest()[:16]


def seal_material(ledger_id: str, events: int, head: str, at: str) -> bytes:
    """What a seal signs: the ledger's identity, how many events, the head hash, the instant."""
    return json.dumps(
        {"format": SEAL_FORMAT, "ledger": ledger_id, "events": events, "head": head, "at": at},
        sort_keys=True,
        separators=(",", ":"),
    ).encode("utf-8")


@dataclass(frozen=True)
class Seal:
    """A signed checkpoint: the DPO's signature over the head of the chain at ``events`` events."""

    number: int
    at: str
    events: int
    head: str
    public_key: str
    signature: str
    ledger_id: str

    def as_json(self) -> dict[str, Any]:
        return {
            "format": SEAL_FORMAT,
            "ledger": self.ledger_id,
            "number": self.number,
            "at": self.at,
            "events": self.events,
            "head": self.head,
            "public_key": self.public_key,
            "signature": self.signature,
        }

    @classmethod
    def from_json(cls, data: Any) -> Seal:
        try:
            if data.get("format") != SEAL_FORMAT:
                raise ValueError(data.get("format"))
            return cls(
                int(data["number"]),
                str(data["at"]),
                int(data["events"]),
                str(data["head"]),
                str(data["public_key"]),
                str(data["signature"]),
                str(data["ledger"]),
            )
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise LedgerError("sceau illisible : attendu un fichier écrit par « dpa-kit ledger seal -o »") from exc

    def problem(self, public: Any, ledger_id: str, hash_at: dict[int, str]) -> str | None:
        """Why this seal does not hold for the ledger (None when it holds)."""
        from cryptography.exceptions import InvalidSignature

        if self.ledger_id != ledger_id:
            return f"le sceau n° {self.number} est celui d'un autre journal : le journal a été remplacé"
        try:
            public.verify(
                base64.b64decode(self.signature, validate=True),
                seal_material(self.ledger_id, self.events, self.head, self.at),
            )
        except (InvalidSignature, ValueError):
            return f"la signature du sceau n° {self.number} n'est pas valide pour la clé publique du DPO"
        actual = GENESIS if self.events == 0 else hash_at.get(self.events)
        if actual is None:
            return (
                f"le sceau n° {self.number} couvre {self.events} événement(s) mais le journal n'en a plus autant : "
                "des événements ont été retirés"
            )
        if actual != self.head:
            return (
                f"les événements scellés par le sceau n° {self.number} (n° 1 à {self.events}) ont été réécrits : "
                "la tête de chaîne ne correspond plus à la signature"
            )
        return None


# --- the ledger -----------------------------------------------------------------------------------


def state_path(path: Path) -> Path:
    """The state file kept beside a ledger file."""
    return path.with_name(path.name + "-state")


class Ledger:
    """A ledger file. Every method opens its own connection: safe across processes and threads."""

    def __init__(self, path: Path | str, *, create: bool = True):
        self.path = Path(path)
        self.state_file = state_path(self.path)
        created = False
        if not self.path.exists():
            if self.state_file.exists():
                raise LedgerTampered(
                    f"{self.path} : le journal a disparu alors que son état ({self.state_file.name}) est là : "
                    "restaurez-le depuis une sauvegarde et prévenez le DPO"
                )
            if not create:
                raise LedgerMissing(f"{self.path} : aucun journal à cet endroit (option --ledger ou DPA_KIT_LEDGER)")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._create()
            created = True
        else:
            self._refuse_foreign_file()
        with self._connect() as conn:
            if not created and conn.execute("PRAGMA user_version").fetchone()[0] == 0:
                # dpa-kit builds a ledger before giving it its name: this is somebody else's database.
                raise LedgerError(f"{self.path} : ce fichier SQLite n'est pas un journal dpa-kit : vérifiez le chemin")
            if self._migrate(conn) or created:
                self._record_state(conn, force=True)

    def _refuse_foreign_file(self) -> None:
        """Refuse, without writing to it, a file that is empty or is no SQLite database (SQLite would adopt it)."""
        try:
            with self.path.open("rb") as handle:
                header = handle.read(100)
        except OSError as exc:
            raise LedgerError(f"{self.path} : impossible d'ouvrir le journal ({exc.strerror})") from exc
        if header.startswith(b"SQLite format 3\x00") or len(header) == 100:
            return  # a database, or a file SQLite itself refuses as « not a database » without writing to it
        if not header or self.state_file.exists():
            raise LedgerTampered(
                f"{self.path} : le fichier du journal est vide ou tronqué : il a été vidé ou tronqué hors de dpa-kit ; "
                "n'y touchez pas, restaurez-le depuis une sauvegarde et prévenez le DPO"
            )
        raise LedgerError(
            f"{self.path} : le journal est illisible ou n'est pas une base dpa-kit ; n'y touchez pas et prévenez le DPO"
        )

    def _create(self) -> None:
        """Build the new ledger under a temporary name, then link it into place (never a half-made ledger)."""
        temp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(6)}.new")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        try:
            conn = sqlite3.connect(temp, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                self._migrate(conn)
            finally:
                conn.close()
            try:
                os.link(temp, self.path)
            except FileExistsError:
                return  # another process created it meanwhile: use theirs
        except sqlite3.Error as exc:
            raise LedgerError(f"{self.path} : impossible de créer le journal ({exc})") from exc
        finally:
            for leftover in (temp, temp.with_name(temp.name + "-wal"), temp.with_name(temp.name + "-shm")):
                leftover.unlink(missing_ok=True)

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
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # a damaged file may hold invalid UTF-8 text
            raise LedgerError(
                f"{self.path} : le journal est illisible ou n'est pas une base dpa-kit ({exc}) ; "
                "n'y touchez pas et prévenez le DPO"
            ) from exc
        finally:
            conn.close()

    def _migrate(self, conn: sqlite3.Connection) -> bool:
        """Bring the schema up to date; True if anything was migrated."""
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise LedgerError(f"{self.path} : journal écrit par une version plus récente de dpa-kit (schéma {version})")
        migrated = False
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
                migrated = True
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return migrated

    # --- the state file ---------------------------------------------------------------------------

    def _ledger_id(self, conn: sqlite3.Connection) -> str:
        row = conn.execute("SELECT value FROM meta WHERE key = 'ledger_id'").fetchone()
        if row is None or not isinstance(row[0], str):
            raise LedgerTampered(f"{self.path} : l'identité du journal a été effacée hors de dpa-kit ; prévenez le DPO")
        return row[0]

    def _read_state(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.state_file.read_bytes()[:65536])
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise LedgerTampered(f"{self.state_file} : état du journal illisible ; prévenez le DPO") from exc
        if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
            raise LedgerTampered(f"{self.state_file} : état du journal illisible ; prévenez le DPO")
        return data

    def _record_state(self, conn: sqlite3.Connection, *, force: bool = False) -> None:
        """Record the ledger's identity, size and head in the state file, never backwards.

        Runs under the ledger's write lock (``BEGIN IMMEDIATE``) so that concurrent writers update it in
        turn; after the events were committed, so that a crash leaves it behind the ledger, never ahead.
        The state is moved forward only from a ledger that still agrees with it: a missing or unreadable
        state, a ledger with fewer events or seals, another identity or another hash at the recorded head
        are left for :meth:`verify` to report. ``force`` (a new ledger, a migration, the DPO's seal of a
        verified ledger) writes it whatever it said.
        """
        from dpa_kit.fsutil import atomic_write

        conn.execute("BEGIN IMMEDIATE")
        try:
            ledger_id = self._ledger_id(conn)
            row = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
            events, head = (int(row[0]), str(row[1])) if row else (0, GENESIS)
            seals = int(conn.execute("SELECT COUNT(*) FROM seals").fetchone()[0])
            key = conn.execute("SELECT public_key FROM seals ORDER BY number LIMIT 1").fetchone()
            if not force and not self._state_agrees(conn, ledger_id, events, seals):
                return  # keep the evidence for verify()
            record = {
                "format": STATE_FORMAT,
                "ledger": ledger_id,
                "events": events,
                "head": head,
                "seals": seals,
                "public_key": key[0] if key else None,
            }
            atomic_write(self.state_file, (json.dumps(record, indent=1) + "\n").encode("utf-8"), mode=0o600)
        finally:
            conn.execute("COMMIT")

    def _state_agrees(self, conn: sqlite3.Connection, ledger_id: str, events: int, seals: int) -> bool:
        """True when the state file exists and the ledger still holds what it recorded."""
        try:
            state = self._read_state()
            if state is None or state.get("ledger") != ledger_id:
                return False
            known, known_seals = int(state.get("events", 0)), int(state.get("seals", 0))
        except (LedgerTampered, TypeError, ValueError):
            return False
        if known > events or known_seals > seals:
            return False
        row = conn.execute("SELECT hash FROM events WHERE seq = ?", (known,)).fetchone()
        return (GENESIS if known == 0 else (row[0] if row else None)) == state.get("head")

    # --- writing and reading ----------------------------------------------------------------------

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
            self._record_state(conn)

    def append(self, kind: str, subject: str, payload: dict[str, Any], at: datetime | None = None) -> Event:
        """Append one event in its own transaction."""
        with self.unit_of_work() as writer:
            return writer.append(kind, subject, payload, at)

    def events(self, subject: str | None = None, kind_prefix: str | None = None) -> list[Event]:
        """Events in chain order, optionally for one subject and/or kinds starting with a prefix."""
        with self._connect() as conn:
            return list(_select(conn, subject, kind_prefix))

    def last(self, kind_prefix: str, limit: int) -> list[Event]:
        """The last ``limit`` events whose kind starts with a prefix, in chain order (a dashboard's tail)."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT seq, at, kind, subject, payload, prev_hash, hash FROM events WHERE kind >= ? AND kind < ? "
                "ORDER BY seq DESC LIMIT ?",
                (kind_prefix, kind_prefix + "\uffff", limit),
            ).fetchall()
        return [
            Event(seq, datetime.fromisoformat(at.replace("Z", "+00:00")), kind, subj, json.loads(payload), prev, digest)
            for seq, at, kind, subj, payload, prev, digest in reversed(rows)
        ]

    def since(self, seq: int, kind_prefix: str) -> list[Event]:
        """The events after event number ``seq`` whose kind starts with a prefix, in chain order.

        Asked on every dashboard (« anything new among the breaches? »): when many events of other kinds
        were appended since (90,000 exchanges after the last breach), the kinds' index is walked instead of
        every event since ``seq`` (under a millisecond instead of 14 ms with benchmarks/web_load.py's ledger).
        """
        with self._connect() as conn:
            head = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
            if head - seq > SINCE_SCAN_LIMIT:
                query = (
                    "SELECT seq, at, kind, subject, payload, prev_hash, hash FROM events INDEXED BY events_kind_subject"
                    " WHERE kind >= ? AND kind < ? AND seq > ? ORDER BY seq"
                )
                args: tuple[Any, ...] = (kind_prefix, kind_prefix + "\uffff", seq)
            else:
                query = (
                    "SELECT seq, at, kind, subject, payload, prev_hash, hash FROM events WHERE seq > ? AND kind >= ? "
                    "AND kind < ? ORDER BY seq"
                )
                args = (seq, kind_prefix, kind_prefix + "\uffff")
            rows = conn.execute(query, args).fetchall()
        return [
            Event(seq, datetime.fromisoformat(at.replace("Z", "+00:00")), kind, subj, json.loads(payload), prev, digest)
            for seq, at, kind, subj, payload, prev, digest in rows
        ]

    def seals(self) -> list[Seal]:
        """The seals recorded in the ledger, oldest first."""
        with self._connect() as conn:
            return self._seals(conn)

    def _seals(self, conn: sqlite3.Connection) -> list[Seal]:
        ledger_id = self._ledger_id(conn)
        seals = []
        for number, at, events, head, key, signature in conn.execute(
            "SELECT number, at, events, head, public_key, signature FROM seals ORDER BY number"
        ):
            if not (isinstance(events, int) and all(isinstance(v, str) for v in (at, head, key, signature))):
                raise LedgerTampered(
                    f"{self.path} : le sceau n° {number} est illisible : le fichier a été modifié hors de dpa-kit"
                )
            seals.append(Seal(number, at, events, head, key, signature, ledger_id))
        return seals

    def seal(self, private_pem: bytes, at: datetime | None = None) -> Seal:
        """Sign the head of the chain with the DPO's Ed25519 key and record the seal in the ledger."""
        key = load_private_key(private_pem)
        public = _public_text(key.public_key())
        instant = _iso(at or clock.now())
        check = self.verify()
        if not check.ok and self.state_file.exists():
            raise LedgerTampered(
                f"{self.path} : journal non intègre ({check.reason}) : il ne peut pas être scellé ; prévenez le DPO"
            )
        with self.unit_of_work() as writer:
            conn = writer.conn
            ledger_id = self._ledger_id(conn)
            first = conn.execute("SELECT public_key FROM seals ORDER BY number LIMIT 1").fetchone()
            if first is not None and first[0] != public:
                raise LedgerError(
                    "ce journal est scellé avec une autre clé (empreinte "
                    f"{key_fingerprint(first[0])}) : scellez avec la clé du DPO qui a posé le premier sceau"
                )
            row = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
            events, head = (int(row[0]), str(row[1])) if row else (0, GENESIS)
            signature = base64.b64encode(key.sign(seal_material(ledger_id, events, head, instant))).decode("ascii")
            number = int(conn.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM seals").fetchone()[0])
            conn.execute(
                "INSERT INTO seals (number, at, events, head, public_key, signature) VALUES (?, ?, ?, ?, ?, ?)",
                (number, instant, events, head, public, signature),
            )
        with self._connect() as conn:  # the DPO vouched for this ledger: its state starts again from here
            self._record_state(conn, force=True)
        return Seal(number, instant, events, head, public, signature, ledger_id)

    def verify(
        self, expect_head: str | None = None, *, public_key: str | None = None, extra_seals: list[Seal] | None = None
    ) -> Verification:
        """Recompute the chain; check it against the state file and every seal; report the first problem.

        ``public_key`` (``ed25519:...``, kept elsewhere) is the DPO's key every seal must verify with; without
        it, the key of the first seal recorded is used (which a forger who can rewrite the file may replace).
        With it, a ledger without any seal is not « intègre ». ``extra_seals`` are exported seals to check too.
        """
        if public_key is not None:
            parse_public_key(public_key)  # a malformed key is the user's mistake, not the ledger's
        with self._connect() as conn:
            try:
                return self._verify(conn, expect_head, public_key, extra_seals or [])
            except (AttributeError, TypeError, ValueError) as exc:  # a column holding what dpa-kit never wrote
                return Verification(
                    False,
                    0,
                    GENESIS,
                    None,
                    f"contenu du journal illisible ({type(exc).__name__}) : le fichier a été modifié hors de dpa-kit",
                )

    def _verify(
        self, conn: sqlite3.Connection, expect_head: str | None, public_key: str | None, extra_seals: list[Seal]
    ) -> Verification:
        state = self._read_state()
        seals = self._seals(conn) + extra_seals
        ledger_id = self._ledger_id(conn)
        wanted = {s.events for s in seals} | ({int(state.get("events", 0))} if state else set())
        hash_at: dict[int, str] = {}
        rows = conn.execute("SELECT seq, at, kind, subject, payload, prev_hash, hash FROM events ORDER BY seq")
        previous, expected_seq, count = GENESIS, 1, 0
        for seq, at, kind, subject, payload, prev, digest in rows:
            count += 1
            if seq != expected_seq:
                return Verification(
                    False,
                    count,
                    previous,
                    seq,
                    f"événement(s) manquant(s) ou déplacé(s) avant l'événement n° {seq} (attendu n° {expected_seq})",
                )
            if prev != previous:
                return Verification(
                    False,
                    count,
                    previous,
                    seq,
                    f"l'événement n° {seq} n'est pas chaîné à son prédécesseur (suppression ou réordonnancement)",
                )
            if event_hash(seq, at, kind, subject, payload, prev) != digest:
                return Verification(
                    False, count, previous, seq, f"l'événement n° {seq} a été modifié après son enregistrement"
                )
            if seq in wanted:
                hash_at[seq] = digest
            previous, expected_seq = digest, seq + 1

        def failed(reason: str, key: str | None = None) -> Verification:
            return Verification(False, count, previous, None, reason, public_key=key)

        if expect_head is not None and expect_head != previous:
            return failed(
                "la tête de chaîne ne correspond pas à celle attendue : "
                "des derniers événements ont été retirés ou réécrits"
            )
        if state is None:
            return failed(
                f"l'état du journal ({self.state_file.name}) a disparu : impossible "
                "de savoir si des événements ont été retirés (copiez toujours les deux "
                "fichiers ensemble)"
            )
        if state.get("ledger") != ledger_id:
            return failed("le journal a été remplacé par un autre (identité différente de celle de son état)")
        known = int(state.get("events", 0))
        if count < known:
            return failed(
                f"le journal avait {known} événement(s), il n'en a plus que {count} : des événements ont été retirés"
            )
        if (GENESIS if known == 0 else hash_at.get(known)) != state.get("head"):
            return failed(
                f"les événements n° 1 à {known} ont été réécrits (tête de chaîne "
                "différente de celle relevée par dpa-kit)"
            )
        recorded = self._seals(conn)
        if len(recorded) < int(state.get("seals", 0)):
            return failed(
                f"le journal avait {state.get('seals')} sceau(x), il n'en a plus que "
                f"{len(recorded)} : des sceaux ont été retirés"
            )
        pinned = public_key or state.get("public_key") or (seals[0].public_key if seals else None)
        if public_key is not None and not seals:
            return failed(
                "aucun sceau dans le journal : rien ne le garantit contre une "
                "réécriture complète ; scellez-le (dpa-kit ledger seal)",
                public_key,
            )
        sealed = 0
        if seals and pinned is not None:
            public = parse_public_key(pinned)
            for item in seals:
                if item.public_key.strip() != pinned.strip():
                    return failed(f"le sceau n° {item.number} est signé par une autre clé que celle du DPO", pinned)
                problem = item.problem(public, ledger_id, hash_at)
                if problem:
                    return failed(problem, pinned)
                sealed = max(sealed, item.events)
        return Verification(True, count, previous, seals=len(seals), sealed_events=sealed, public_key=pinned)

    def export_jsonl(self, handle: TextIO) -> int:
        """Write every event as one JSON line; return how many."""
        count = 0
        for event in self.events():
            handle.write(json.dumps(event.as_json(), ensure_ascii=False) + "\n")
            count += 1
        return count
