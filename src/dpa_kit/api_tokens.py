"""Per-user tokens for the JSON API: the Département's other systems call it as one of the web's users.

A token is 32 random bytes shown once when issued (``dpak_`` + URL-safe text); only its SHA-256 is stored, in
its own SQLite file beside the accounts database, with the user it acts for. A request carrying it acts with
that user's rights (a structure's token reaches only its SIRET's objects), and stops working as soon as the
token is revoked or the user disabled. Issuing and revoking are ledger events, never with the token itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dpa_kit.exceptions import InvalidValue, LedgerError
from dpa_kit.ledger import Ledger

__all__ = ["PREFIX", "TokenInfo", "Tokens"]

PREFIX = "dpak_"
_SCHEMA = [
    """
    CREATE TABLE tokens (
        id          INTEGER PRIMARY KEY,
        hash        TEXT NOT NULL UNIQUE,
        user_id     INTEGER NOT NULL,
        label       TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        revoked_at  TEXT,
        last_used   TEXT
    );
    CREATE INDEX tokens_user ON tokens (user_id)
    """,
]


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed: never its value."""

    id: int
    user_id: int
    label: str
    created_at: datetime
    revoked_at: datetime | None
    last_used: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="seconds")


def _at(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class Tokens:
    """The token store of one web application (``path``: its SQLite file)."""

    def __init__(self, path: Path, ledger: Ledger):
        self.path = Path(path)
        self.ledger = ledger
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for number in range(version, len(_SCHEMA)):
                with conn:
                    for statement in _SCHEMA[number].split(";\n"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {number + 1}")

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(self.path, timeout=30)
        except sqlite3.Error as exc:
            raise LedgerError(f"{self.path} : impossible d'ouvrir la base des jetons ({exc})") from exc
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            yield conn
        except sqlite3.DatabaseError as exc:
            raise LedgerError(f"{self.path} : base des jetons illisible ({exc})") from exc
        finally:
            conn.close()

    def issue(self, user_id: int, subject: str, label: str, *, now: datetime) -> str:
        """A new token for the user (returned once, stored hashed)."""
        label = label.strip()
        if not label:
            raise InvalidValue("nom du jeton manquant : dites à quel système il sert", "label")
        token = PREFIX + secrets.token_urlsafe(32)
        with self._connect() as conn, conn:
            cursor = conn.execute(
                "INSERT INTO tokens (hash, user_id, label, created_at) VALUES (?, ?, ?, ?)",
                (_digest(token), user_id, label[:100], _iso(now)),
            )
            token_id = cursor.lastrowid
        self.ledger.append("api.token_issued", subject, {"token": token_id, "label": label[:100]}, at=now)
        return token

    def user_id(self, token: str, *, now: datetime) -> int | None:
        """The user a valid, not revoked token acts for, or None."""
        if not token.startswith(PREFIX):
            return None
        digest = _digest(token)
        with self._connect() as conn:
            row = conn.execute(
                "SELECT id, hash, user_id FROM tokens WHERE hash = ? AND revoked_at IS NULL", (digest,)
            ).fetchone()
            if row is None or not hmac.compare_digest(row[1], digest):
                return None
            with conn:
                conn.execute("UPDATE tokens SET last_used = ? WHERE id = ?", (_iso(now), row[0]))
        return int(row[2])

    def list(self, user_id: int | None = None) -> list[TokenInfo]:
        """The tokens of one user (or all), newest first."""
        query = "SELECT id, user_id, label, created_at, revoked_at, last_used FROM tokens"
        params: tuple[int, ...] = ()
        if user_id is not None:
            query += " WHERE user_id = ?"
            params = (user_id,)
        with self._connect() as conn:
            rows = conn.execute(query + " ORDER BY id DESC", params).fetchall()
        return [TokenInfo(r[0], r[1], r[2], datetime.fromisoformat(r[3]), _at(r[4]), _at(r[5])) for r in rows]

    def revoke(self, token_id: int, subject: str, *, user_id: int | None, now: datetime) -> None:
        """Revoke a token; ``user_id`` limits it to that user's own tokens (None: the DPO, any token)."""
        with self._connect() as conn, conn:
            row = conn.execute("SELECT user_id FROM tokens WHERE id = ? AND revoked_at IS NULL", (token_id,)).fetchone()
            if row is None or (user_id is not None and row[0] != user_id):
                raise InvalidValue(f"jeton {token_id} introuvable", "token")
            conn.execute("UPDATE tokens SET revoked_at = ? WHERE id = ?", (_iso(now), token_id))
        self.ledger.append("api.token_revoked", subject, {"token": token_id}, at=now)
