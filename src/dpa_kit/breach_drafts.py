"""Declaration drafts: the answers typed so far, kept in the ledger's database after every answer.

A person declaring a breach at 23:00 may be interrupted (Ctrl-C, a closed browser tab, a phone call):
nothing typed is lost, and ``declare --resume`` (or the web form) continues where they stopped. A draft
is not a declaration: nothing is recorded in the event chain until the person confirms, and the draft
is deleted in the same transaction as the declaration is recorded.

Drafts hold personal data (a description, a contact), so they stay inside the ledger file, which is
made private (0600), and are deleted with ``secure_delete`` so that freed pages are overwritten.
The table lives beside the chain, not in it: drafts change, events never do. It is created here
(``CREATE TABLE IF NOT EXISTS``, version recorded in ``dpa_kit_parts``) so the chain's own migrations
stay untouched.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dpa_kit.exceptions import LedgerError, UsageError
from dpa_kit.ledger import Ledger

__all__ = ["Draft", "DraftStore", "confirm"]

DRAFTS_VERSION = 1
_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS dpa_kit_parts (name TEXT PRIMARY KEY, version INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS breach_drafts (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        owner       TEXT NOT NULL,
        kind        TEXT NOT NULL,
        convention  TEXT,
        answers     TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    )""",
    """CREATE INDEX IF NOT EXISTS breach_drafts_owner ON breach_drafts (owner, kind, updated_at)""",
]


@dataclass(frozen=True)
class Draft:
    """One declaration in progress: who types it, for which convention, and the answers so far."""

    id: int
    owner: str
    kind: str
    convention: str | None
    answers: dict[str, Any]
    created_at: datetime
    updated_at: datetime


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="seconds")


def _private(path: Path) -> None:
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if candidate.exists():
            os.chmod(candidate, 0o600)


class DraftStore:
    """The drafts kept in one ledger file."""

    def __init__(self, ledger: Ledger):
        self.ledger = ledger
        with ledger.connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _SCHEMA:
                    conn.execute(statement)
                row = conn.execute("SELECT version FROM dpa_kit_parts WHERE name = 'breach_drafts'").fetchone()
                if row and row[0] > DRAFTS_VERSION:
                    raise LedgerError(f"{ledger.path} : brouillons écrits par une version plus récente de dpa-kit")
                conn.execute(
                    "INSERT OR IGNORE INTO dpa_kit_parts (name, version) VALUES ('breach_drafts', ?)", (DRAFTS_VERSION,)
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        _private(ledger.path)

    def create(
        self,
        owner: str,
        *,
        now: datetime,
        kind: str = "declare",
        convention: str | None = None,
        answers: dict[str, Any] | None = None,
    ) -> Draft:
        """A new, empty draft (or one pre-filled with answers given as options)."""
        with self.ledger.connection() as conn, _transaction(conn):
            cursor = conn.execute(
                "INSERT INTO breach_drafts (owner, kind, convention, answers, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (owner, kind, convention, _dump(answers or {}), _iso(now), _iso(now)),
            )
            draft_id = int(cursor.lastrowid or 0)
        _private(self.ledger.path)
        return self.get(draft_id)

    def save(self, draft_id: int, answers: dict[str, Any], *, now: datetime, convention: str | None = None) -> None:
        """Replace the answers of a draft (called after every answer)."""
        with self.ledger.connection() as conn, _transaction(conn):
            cursor = conn.execute(
                "UPDATE breach_drafts SET answers = ?, convention = COALESCE(?, convention), updated_at = ?"
                " WHERE id = ?",
                (_dump(answers), convention, _iso(now), draft_id),
            )
            if cursor.rowcount != 1:
                raise UsageError(f"brouillon n° {draft_id} introuvable (déjà confirmé ou abandonné ?)")

    def get(self, draft_id: int) -> Draft:
        with self.ledger.connection() as conn:
            row = conn.execute(_SELECT + " WHERE id = ?", (draft_id,)).fetchone()
        if row is None:
            raise UsageError(f"brouillon n° {draft_id} introuvable (déjà confirmé ou abandonné ?)")
        return _draft(row)

    def latest(self, owner: str, *, kind: str = "declare", convention: str | None = None) -> Draft | None:
        """The draft this person touched last (of this convention, if given), or None."""
        query = _SELECT + " WHERE owner = ? AND kind = ?"
        params: list[Any] = [owner, kind]
        if convention is not None:
            query += " AND convention = ?"
            params.append(convention)
        with self.ledger.connection() as conn:
            row = conn.execute(query + " ORDER BY updated_at DESC, id DESC LIMIT 1", params).fetchone()
        return _draft(row) if row else None

    def all(self, owner: str | None = None) -> list[Draft]:
        query, params = _SELECT, []
        if owner is not None:
            query += " WHERE owner = ?"
            params.append(owner)
        with self.ledger.connection() as conn:
            return [_draft(row) for row in conn.execute(query + " ORDER BY id", params)]

    def discard(self, draft_id: int, conn: sqlite3.Connection | None = None) -> None:
        """Delete a draft, overwriting its pages; inside ``conn``'s transaction when one is given."""
        if conn is not None:
            _delete(conn, draft_id)
            return
        with self.ledger.connection() as own, _transaction(own):
            _delete(own, draft_id)

    def take(self, draft_id: int, conn: sqlite3.Connection) -> None:
        """Delete a draft inside ``conn``'s transaction, refusing one already gone (a declaration sent twice,
        from two tabs: the second transaction waits for the first, then finds no draft and records nothing)."""
        if conn.execute("SELECT 1 FROM breach_drafts WHERE id = ?", (draft_id,)).fetchone() is None:
            raise UsageError(f"brouillon n° {draft_id} introuvable (déjà confirmé ou abandonné ?)")
        _delete(conn, draft_id)


_SELECT = "SELECT id, owner, kind, convention, answers, created_at, updated_at FROM breach_drafts"


def _delete(conn: sqlite3.Connection, draft_id: int) -> None:
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("DELETE FROM breach_drafts WHERE id = ?", (draft_id,))


def _dump(answers: dict[str, Any]) -> str:
    return json.dumps(answers, ensure_ascii=False, sort_keys=True)


def _draft(row: tuple[Any, ...]) -> Draft:
    draft_id, owner, kind, convention, answers, created, updated = row
    return Draft(
        int(draft_id),
        owner,
        kind,
        convention,
        json.loads(answers),
        datetime.fromisoformat(created),
        datetime.fromisoformat(updated),
    )


class _transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (or ``ROLLBACK`` on any error) on an autocommit connection."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, kind: object, *_: object) -> None:
        self.conn.execute("ROLLBACK" if kind is not None else "COMMIT")


def confirm(store: DraftStore, draft_id: int, answers: dict[str, Any], context: Any) -> Any:
    """Record the declaration of a finished questionnaire and delete its draft, in one transaction.

    Returns the recorded :class:`~dpa_kit.breach.Breach`; its reference carries the structure's code.
    """
    from dpa_kit import breach as breaches
    from dpa_kit import breach_questions as bq
    from dpa_kit.breach_ids import structure_code

    declaration = bq.to_declaration(answers, context)
    convention = context.convention(answers)
    if convention is None:
        raise UsageError(f"la convention « {declaration.convention_id} » n'est plus dans le dossier des conventions")
    return breaches.declare(
        store.ledger,
        convention_id=convention.id,
        structure=convention.processor.display_name,
        delay_hours=convention.notifications.breach_delay_hours,
        aware_at=declaration.aware_at,
        details=declaration.details,
        code=structure_code(convention.processor.siret, convention.processor.short_name),
        then=lambda conn: store.discard(draft_id, conn),
    )
