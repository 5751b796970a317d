"""Per-user tokens for the JSON API: the Département's other systems call it as one of the web's users.

A token is 32 random bytes shown once when issued (``dpak_`` + URL-safe text); only its SHA-256 is stored, in
its own SQLite file beside the accounts database, with the user it acts for. A request carrying it acts with
that user's rights (a structure's token reaches only its SIRET's objects), and stops working as soon as the
token is revoked, expires (90 days after issue by default), or its user changes the password or is disabled.
Issuing and revoking are ledger events, never with the token itself. The file is private (0600), as the
accounts database.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import sqlite3
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dpa_kit.clock import french_instant
from dpa_kit.exceptions import InvalidValue, LedgerError, LoginRefused
from dpa_kit.fsutil import PRIVATE
from dpa_kit.ledger import Ledger

__all__ = ["LIFETIME", "MAX_LABEL", "PREFIX", "TokenInfo", "Tokens", "tokens_database_path"]

PREFIX = "dpak_"
#: How long a token works after it is issued, unless told otherwise.
LIFETIME = timedelta(days=90)
MAX_LABEL = 100
#: Unicode categories refused in a label: controls, invisible formatting (bidi overrides such as U+202E,
#: zero-width characters), surrogates, private use, unassigned, line and paragraph separators.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
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
    # Tokens issued before expiry existed get the default lifetime from their issue.
    """
    ALTER TABLE tokens ADD COLUMN expires_at TEXT;
    UPDATE tokens SET expires_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', created_at, '+90 days')
    """,
]


def tokens_database_path(ledger_path: Path) -> Path:
    """The token store: ``api-tokens.sqlite`` in the ledger's folder (beside ``web.sqlite``)."""
    return Path(ledger_path).with_name("api-tokens.sqlite")


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed: never its value."""

    id: int
    user_id: int
    label: str
    created_at: datetime
    revoked_at: datetime | None
    last_used: datetime | None
    expires_at: datetime | None = None

    @property
    def active(self) -> bool:
        """Not revoked (see :meth:`expired` for the lifetime)."""
        return self.revoked_at is None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at <= now


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
        # Private before SQLite opens it (SQLite gives its -wal and -shm files the same mode); a file left
        # readable by an earlier version is made private.
        os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, PRIVATE))
        for path in (
            self.path,
            self.path.with_name(self.path.name + "-wal"),
            self.path.with_name(self.path.name + "-shm"),
        ):
            if path.exists() and stat.S_IMODE(path.stat().st_mode) & 0o077:
                path.chmod(PRIVATE)
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

    def issue(self, user_id: int, subject: str, label: str, *, now: datetime, lifetime: timedelta = LIFETIME) -> str:
        """A new token for the user (returned once, stored hashed), working for ``lifetime``."""
        label = _checked_label(label)
        token = PREFIX + secrets.token_urlsafe(32)
        expires = now + lifetime
        with self._connect() as conn, conn:
            cursor = conn.execute(
                "INSERT INTO tokens (hash, user_id, label, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                (_digest(token), user_id, label, _iso(now), _iso(expires)),
            )
            token_id = cursor.lastrowid
        self.ledger.append(
            "api.token_issued", subject, {"token": token_id, "label": label, "expires_at": _iso(expires)}, at=now
        )
        return token

    def authenticate(self, token: str, *, now: datetime) -> int:
        """The user a valid token acts for; LoginRefused (in French) when it is unknown, revoked or expired."""
        digest = _digest(token)
        with self._connect() as conn:
            row = (
                conn.execute(
                    "SELECT id, hash, user_id, expires_at FROM tokens WHERE hash = ? AND revoked_at IS NULL", (digest,)
                ).fetchone()
                if token.startswith(PREFIX)
                else None
            )
            if row is None or not hmac.compare_digest(row[1], digest):
                raise LoginRefused("jeton absent, inconnu ou révoqué")
            expires = _at(row[3])
            if expires is None or expires <= now:
                when = f" le {french_instant(expires, weekday=False)}" if expires else ""
                raise LoginRefused(
                    f"jeton expiré{when} : créez-en un nouveau sur la page « Jetons d'API » de l'application"
                )
            with conn:
                conn.execute("UPDATE tokens SET last_used = ? WHERE id = ?", (_iso(now), row[0]))
        return int(row[2])

    def list(self, user_id: int | None = None) -> list[TokenInfo]:
        """The tokens of one user (or all), newest first."""
        query = "SELECT id, user_id, label, created_at, revoked_at, last_used, expires_at FROM tokens"
        params: tuple[int, ...] = ()
        if user_id is not None:
            query += " WHERE user_id = ?"
            params = (user_id,)
        with self._connect() as conn:
            rows = conn.execute(query + " ORDER BY id DESC", params).fetchall()
        return [
            TokenInfo(r[0], r[1], r[2], datetime.fromisoformat(r[3]), _at(r[4]), _at(r[5]), _at(r[6])) for r in rows
        ]

    def revoke(self, token_id: int, subject: str, *, user_id: int | None, now: datetime) -> None:
        """Revoke a token; ``user_id`` limits it to that user's own tokens (None: the DPO, any token)."""
        with self._connect() as conn, conn:
            row = conn.execute("SELECT user_id FROM tokens WHERE id = ? AND revoked_at IS NULL", (token_id,)).fetchone()
            if row is None or (user_id is not None and row[0] != user_id):
                raise InvalidValue(f"jeton {token_id} introuvable", "token")
            conn.execute("UPDATE tokens SET revoked_at = ? WHERE id = ?", (_iso(now), token_id))
        self.ledger.append("api.token_revoked", subject, {"token": token_id}, at=now)

    def revoke_all(self, user_id: int, subject: str, *, now: datetime, reason: str) -> tuple[int, ...]:
        """Revoke every live token of a user (its password changed, or it was disabled); their numbers."""
        with self._connect() as conn, conn:
            ids = tuple(
                int(r[0])
                for r in conn.execute("SELECT id FROM tokens WHERE user_id = ? AND revoked_at IS NULL", (user_id,))
            )
            conn.execute(
                "UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", (_iso(now), user_id)
            )
        for token_id in ids:
            self.ledger.append("api.token_revoked", subject, {"token": token_id, "reason": reason}, at=now)
        return ids


def _checked_label(label: str) -> str:
    """The label of a token, or a French error: not empty, printable, at most MAX_LABEL characters."""
    label = label.strip()
    if not label:
        raise InvalidValue("nom du jeton manquant : dites à quel système il sert", "label")
    for char in label:
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            raise InvalidValue(
                f"nom du jeton : caractère invisible ou de contrôle interdit (U+{ord(char):04X}) ; "
                "n'utilisez que des lettres, des chiffres, des espaces et la ponctuation",
                "label",
            )
    if len(label) > MAX_LABEL:
        raise InvalidValue(f"nom du jeton trop long : {len(label)} caractères, {MAX_LABEL} au plus", "label")
    return label
