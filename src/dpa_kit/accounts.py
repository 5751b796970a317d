"""Accounts of the web application: users and roles, password hashes, TOTP, sessions, login limits.

State lives in ``web.sqlite`` next to the ledger (created 0600, versioned schema, WAL), never in the ledger
itself, because sessions and counters change while the ledger only grows. Every action on an account is
also a ledger event whose subject is the user's number (``user-3``), never the e-mail address, so the
append-only chain holds no address that could never be erased.

Passwords are hashed with Argon2id (argon2-cffi, RFC 9106 low-memory profile); the DPO role must use a TOTP
second factor (pyotp, RFC 6238), enrolled on first login. A password handed over by ``users add`` is a
one-time password that must be replaced on first login. Sessions are random 256-bit tokens whose SHA-256
only is stored; they end after an idle timeout, an absolute lifetime, a logout or when the user is disabled.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dpa_kit.exceptions import AccountError, LoginRefused, UsageError
from dpa_kit.ledger import Ledger
from dpa_kit.model import siret_is_valid

__all__ = [
    "ROLES",
    "Accounts",
    "Policy",
    "Session",
    "User",
    "web_database_path",
]

SCHEMA_VERSION = 3
ROLES = {"dpo": "délégué à la protection des données du Département", "structure": "structure financée"}
#: Argon2id, RFC 9106 "second recommended option": 64 MiB, 3 passes, 4 lanes.
ARGON2_TIME_COST = 3
ARGON2_MEMORY_KIB = 64 * 1024
ARGON2_PARALLELISM = 4
#: CNIL deliberation 2022-100, case 2 (a password with an access restriction such as a lockout): 50 bits.
MIN_PASSWORD_BITS = 50
TOTP_ISSUER = "dpa-kit Pas-de-Calais"
#: How precisely the idle clock of a session is kept.
SEEN_PRECISION = timedelta(minutes=1)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_MIGRATIONS: list[str] = [
    """
    CREATE TABLE users (
        id                   INTEGER PRIMARY KEY,
        email                TEXT NOT NULL UNIQUE COLLATE NOCASE,
        role                 TEXT NOT NULL CHECK (role IN ('dpo', 'structure')),
        siret                TEXT,
        password_hash        TEXT NOT NULL,
        must_change_password INTEGER NOT NULL DEFAULT 1,
        totp_secret          TEXT,
        totp_last_step       INTEGER NOT NULL DEFAULT 0,
        failures             INTEGER NOT NULL DEFAULT 0,
        locked_until         TEXT,
        active               INTEGER NOT NULL DEFAULT 1,
        created_at           TEXT NOT NULL
    );
    CREATE TABLE sessions (
        token_hash     TEXT PRIMARY KEY,
        user_id        INTEGER NOT NULL REFERENCES users (id),
        csrf           TEXT NOT NULL,
        mfa_ok         INTEGER NOT NULL DEFAULT 0,
        pending_secret TEXT,
        created_at     TEXT NOT NULL,
        last_seen      TEXT NOT NULL
    );
    CREATE INDEX sessions_user ON sessions (user_id);
    CREATE TABLE login_attempts (
        client TEXT NOT NULL,
        at     TEXT NOT NULL
    );
    CREATE INDEX login_attempts_client ON login_attempts (client, at);
    CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE drafts (
        user_id    INTEGER NOT NULL REFERENCES users (id),
        kind       TEXT NOT NULL,
        data       TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (user_id, kind)
    );
    """,
    # Declaration drafts moved to the ledger's DraftStore (breach_drafts): the old table goes, and with it
    # any answers an earlier version left there.
    """
    PRAGMA secure_delete = ON;
    DROP TABLE drafts;
    """,
    # Failed attempts are counted per typed address (known or not, so that the answers never tell whether an
    # account exists), under a keyed hash of the address so that a mistyped address is not kept in clear;
    # each session counts its own wrong second-factor codes.
    """
    CREATE TABLE lockouts (
        key          TEXT PRIMARY KEY,
        failures     INTEGER NOT NULL DEFAULT 0,
        locked_until TEXT,
        updated_at   TEXT NOT NULL
    );
    ALTER TABLE sessions ADD COLUMN totp_failures INTEGER NOT NULL DEFAULT 0;
    INSERT OR IGNORE INTO settings (key, value) VALUES ('address_key', lower(hex(randomblob(32))))
    """,
]


def web_database_path(ledger_path: Path) -> Path:
    """The accounts database: ``web.sqlite`` in the ledger's folder."""
    return Path(ledger_path).parent / "web.sqlite"


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="seconds")


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


@dataclass(frozen=True)
class Policy:
    """The limits of sessions and logins (OWASP ASVS level 2 defaults)."""

    idle_timeout: timedelta = timedelta(minutes=30)
    max_lifetime: timedelta = timedelta(hours=12)
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    rate_window: timedelta = timedelta(minutes=5)
    rate_max: int = 20
    #: Wrong second-factor codes one session may send before it is ended (a new password login is needed).
    totp_per_session: int = 3
    #: How long failures below the lock are remembered for an address.
    failures_memory: timedelta = timedelta(days=1)
    #: Argon2id cost; lower it only in tests.
    argon2_time_cost: int = ARGON2_TIME_COST
    argon2_memory_kib: int = ARGON2_MEMORY_KIB


@dataclass(frozen=True)
class User:
    """An account (the hash and the TOTP secret stay in the database)."""

    id: int
    email: str
    role: str
    siret: str | None
    active: bool
    totp_enabled: bool
    must_change_password: bool
    locked_until: datetime | None
    created_at: datetime

    @property
    def subject(self) -> str:
        """The user's name in the ledger: a number, never the address."""
        return f"user-{self.id}"

    @property
    def is_dpo(self) -> bool:
        return self.role == "dpo"


@dataclass(frozen=True)
class Session:
    """A signed-in browser; ``stage`` says what it still has to do before reaching the application."""

    user: User
    csrf: str
    mfa_ok: bool
    created_at: datetime
    last_seen: datetime
    token_hash: str

    @property
    def stage(self) -> str:
        """``totp`` (code to type), ``totp_enrol`` (DPO without second factor), ``password`` (one-time
        password to replace) or ``ok``."""
        if self.user.totp_enabled and not self.mfa_ok:
            return "totp"
        if self.user.is_dpo and not self.user.totp_enabled:
            return "totp_enrol"
        if self.user.must_change_password:
            return "password"
        return "ok"


_USER_COLUMNS = "id, email, role, siret, active, totp_secret, must_change_password, locked_until, created_at"


_SESSION_USER_COLUMNS = ", ".join("u." + c.strip() for c in _USER_COLUMNS.split(","))


def _user(row: tuple[Any, ...]) -> User:
    return User(
        id=row[0],
        email=row[1],
        role=row[2],
        siret=row[3],
        active=bool(row[4]),
        totp_enabled=row[5] is not None,
        must_change_password=bool(row[6]),
        locked_until=_instant(row[7]) if row[7] else None,
        created_at=_instant(row[8]),
    )


class Accounts:
    """The accounts database. Every method opens its own connection (safe across threads and processes)."""

    def __init__(self, path: Path | str, ledger: Ledger, policy: Policy | None = None):
        from argon2 import PasswordHasher, Type

        self.path = Path(path)
        self.ledger = ledger
        self.policy = policy or Policy()
        self.hasher = PasswordHasher(
            time_cost=self.policy.argon2_time_cost,
            memory_cost=self.policy.argon2_memory_kib,
            parallelism=ARGON2_PARALLELISM,
            type=Type.ID,
        )
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Created private before SQLite opens it; SQLite gives its -wal and -shm files the same mode.
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        with self._connect() as conn:
            self._migrate(conn)
            self._address_key = bytes.fromhex(
                conn.execute("SELECT value FROM settings WHERE key = 'address_key'").fetchone()[0]
            )
        self._dummy: str | None = None

    @property
    def _dummy_hash(self) -> str:
        """A hash to verify against when the address is unknown, so that timing does not reveal accounts."""
        if self._dummy is None:
            self._dummy = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy

    # --- database --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise AccountError(f"{self.path} : impossible d'ouvrir la base des comptes ({exc})") from exc
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA foreign_keys = ON")
            yield conn
        except sqlite3.DatabaseError as exc:
            raise AccountError(f"{self.path} : la base des comptes est illisible ({exc})") from exc
        finally:
            conn.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise AccountError(f"{self.path} : base des comptes écrite par une version plus récente de dpa-kit")
        for number in range(version, SCHEMA_VERSION):
            conn.execute("BEGIN IMMEDIATE")
            try:
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

    def secret_key(self) -> str:
        """The key that signs cookies, generated once and kept in the database."""
        with self._transaction() as conn:
            row = conn.execute("SELECT value FROM settings WHERE key = 'cookie_secret'").fetchone()
            if row:
                return str(row[0])
            value = secrets.token_urlsafe(48)
            conn.execute("INSERT INTO settings (key, value) VALUES ('cookie_secret', ?)", (value,))
            return value

    def _record(self, kind: str, user: User, now: datetime, **payload: Any) -> None:
        self.ledger.append(kind, user.subject, {"role": user.role, **payload}, at=now)

    # --- users -----------------------------------------------------------------------------------

    def add_user(self, email: str, role: str, siret: str | None, *, now: datetime, actor: str) -> tuple[User, str]:
        """Create an account; return it with its one-time password (to show once, never stored in clear)."""
        from dpa_kit.passwords import generate

        email = email.strip()
        if not _EMAIL.match(email):
            raise UsageError(f"adresse électronique « {email} » invalide")
        if role not in ROLES:
            raise UsageError(f"rôle inconnu « {role} » : dpo ou structure")
        if role == "structure":
            if not siret:
                raise UsageError("un compte de structure est rattaché à un SIRET : indiquez le SIRET de la structure")
            siret = siret.replace(" ", "")
            if not siret_is_valid(siret):
                raise UsageError(f"le SIRET « {siret} » est invalide (14 chiffres, clé de contrôle)")
        elif siret:
            raise UsageError("un compte DPO voit toutes les structures : il n'a pas de SIRET")
        password = generate()
        digest = self.hasher.hash(password)  # before the transaction: hashing takes most of a second
        with self._transaction() as conn:
            if conn.execute("SELECT 1 FROM users WHERE email = ?", (email,)).fetchone():
                raise UsageError(f"un compte existe déjà pour « {email} »")
            cursor = conn.execute(
                "INSERT INTO users (email, role, siret, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                (email, role, siret or None, digest, _iso(now)),
            )
            user_id = cursor.lastrowid
        user = self.user_by_id(int(user_id or 0))
        assert user is not None
        self._record("account.added", user, now, by=actor, siret=user.siret)
        return user, password

    def users(self) -> list[User]:
        with self._connect() as conn:
            return [_user(r) for r in conn.execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY id")]

    def user_by_email(self, email: str) -> User | None:
        with self._connect() as conn:
            row = conn.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE email = ?", (email.strip(),)).fetchone()
        return _user(row) if row else None

    def user_by_id(self, user_id: int) -> User | None:
        with self._connect() as conn:
            row = conn.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE id = ?", (user_id,)).fetchone()
        return _user(row) if row else None

    def structure_addresses(self, siret: str | None) -> list[str]:
        """The addresses of the active accounts of a structure (for reminders)."""
        if not siret:
            return []
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT email FROM users WHERE role = 'structure' AND siret = ? AND active = 1 ORDER BY id", (siret,)
            )
            return [str(r[0]) for r in rows]

    def disable(self, email: str, *, now: datetime, actor: str) -> User:
        """Disable an account and end its sessions and its API tokens at once."""
        user = self.user_by_email(email)
        if user is None:
            raise UsageError(f"aucun compte pour « {email} »")
        if not user.active:
            raise UsageError(f"le compte « {email} » est déjà désactivé")
        with self._transaction() as conn:
            conn.execute("UPDATE users SET active = 0 WHERE id = ?", (user.id,))
            ended = conn.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,)).rowcount
        self._record("account.disabled", user, now, by=actor, sessions_ended=ended)
        self._revoke_api_tokens(user, now, "account_disabled")
        disabled = self.user_by_id(user.id)
        assert disabled is not None
        return disabled

    # --- logging in ------------------------------------------------------------------------------

    def login(self, email: str, password: str, *, now: datetime, client: str) -> tuple[str, Session]:
        """Check a password; return a new session token and its session (which may still need a TOTP code).

        Raises LoginRefused with one message for an unknown address, a wrong password or a disabled
        account (nothing tells them apart), and with its own message when the client or the typed address
        is temporarily blocked. Failures are counted per typed address, whether an account has it or not,
        so that the lock too looks the same for every address. Each attempt is counted (and the lock
        checked) in one transaction before the password is checked, so parallel attempts cannot pass the
        limit; a right password then gives its attempt back.
        """
        from argon2.exceptions import InvalidHashError, VerificationError

        self._throttle(client, now)
        email = email.strip()
        key = self._lock_key(email)
        with self._transaction() as conn:
            row = conn.execute(f"SELECT {_USER_COLUMNS}, password_hash FROM users WHERE email = ?", (email,)).fetchone()
            self._check_lock(conn, key, now)
            locked = self._add_failure(conn, key, email, now)
        user = _user(row[:9]) if row else None
        try:
            # An unknown address is checked against a dummy hash, so that timing does not tell either.
            valid = self.hasher.verify(row[9] if row else self._dummy_hash, password) and row is not None
        except (VerificationError, InvalidHashError):
            valid = False
        if user is None or not valid or not user.active:
            if user is not None and not valid:
                self._record("account.login_failed", user, now, step="password", locked=locked)
            raise LoginRefused(_wrong_password(self.policy, locked))
        rehashed = self.hasher.hash(password) if self.hasher.check_needs_rehash(row[9]) else None
        token = secrets.token_urlsafe(32)
        with self._transaction() as conn:
            # With a second factor to come, the attempt is only given back: the code resets the count.
            self._release(conn, key, email, locked=locked, complete=not user.totp_enabled)
            if rehashed:
                conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (rehashed, user.id))
            conn.execute(
                "INSERT INTO sessions (token_hash, user_id, csrf, created_at, last_seen) VALUES (?, ?, ?, ?, ?)",
                (_digest(token), user.id, secrets.token_urlsafe(32), _iso(now), _iso(now)),
            )
        self._record("account.login", user, now, step="password")
        session = self.session(token, now=now)
        assert session is not None
        return token, session

    def _throttle(self, client: str, now: datetime) -> None:
        since = _iso(now - self.policy.rate_window)
        with self._transaction() as conn:
            conn.execute("DELETE FROM login_attempts WHERE at < ?", (since,))
            count = conn.execute(
                "SELECT COUNT(*) FROM login_attempts WHERE client = ? AND at >= ?", (client, since)
            ).fetchone()[0]
            if count >= self.policy.rate_max:
                raise LoginRefused(
                    "trop de tentatives de connexion depuis ce poste : patientez quelques minutes", throttled=True
                )
            conn.execute("INSERT INTO login_attempts (client, at) VALUES (?, ?)", (client, _iso(now)))

    # --- failures per address (always inside a BEGIN IMMEDIATE transaction) ------------------------

    def _lock_key(self, email: str) -> str:
        """The keyed hash under which an address's failures are counted (the address is not kept)."""
        return hmac.new(self._address_key, email.strip().lower().encode("utf-8", "replace"), "sha256").hexdigest()

    def _check_lock(self, conn: sqlite3.Connection, key: str, now: datetime) -> None:
        row = conn.execute("SELECT locked_until FROM lockouts WHERE key = ?", (key,)).fetchone()
        if row and row[0] and _instant(row[0]) > now:
            minutes = max(1, -int(-(_instant(row[0]) - now).total_seconds() // 60))
            raise LoginRefused(
                f"compte temporairement verrouillé après plusieurs échecs : réessayez dans {minutes} minute(s) "
                "(en cas d'oubli du mot de passe, adressez-vous au DPO du Département)",
                locked=True,
            )

    def _add_failure(self, conn: sqlite3.Connection, key: str, email: str, now: datetime) -> bool:
        """Count one failure of an address; True when it locks the address (the count then starts again)."""
        conn.execute(
            "DELETE FROM lockouts WHERE updated_at < ? AND (locked_until IS NULL OR locked_until < ?)",
            (_iso(now - self.policy.failures_memory), _iso(now)),
        )
        row = conn.execute("SELECT failures FROM lockouts WHERE key = ?", (key,)).fetchone()
        failures = (row[0] if row else 0) + 1
        locked = failures >= self.policy.max_failures
        conn.execute(
            "INSERT INTO lockouts (key, failures, locked_until, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until, "
            "updated_at = excluded.updated_at",
            (key, 0 if locked else failures, _iso(now + self.policy.lockout) if locked else None, _iso(now)),
        )
        self._mirror(conn, key, email)
        return locked

    def _release(self, conn: sqlite3.Connection, key: str, email: str, *, locked: bool, complete: bool) -> None:
        """After a right password or code: forget the address's failures (``complete``), or give back the one
        attempt counted for it (and the lock it set, unless the lock changed since)."""
        if complete:
            conn.execute("DELETE FROM lockouts WHERE key = ?", (key,))
        elif locked:
            conn.execute(
                "UPDATE lockouts SET failures = ?, locked_until = NULL WHERE key = ? AND failures = 0",
                (self.policy.max_failures - 1, key),
            )
        else:
            conn.execute("UPDATE lockouts SET failures = MAX(failures - 1, 0) WHERE key = ?", (key,))
        self._mirror(conn, key, email)

    @staticmethod
    def _mirror(conn: sqlite3.Connection, key: str, email: str) -> None:
        """Copy an address's count and lock onto its account, if any (``users list`` shows the lock)."""
        conn.execute(
            "UPDATE users SET failures = COALESCE((SELECT failures FROM lockouts WHERE key = ?1), 0), "
            "locked_until = (SELECT locked_until FROM lockouts WHERE key = ?1) WHERE email = ?2",
            (key, email),
        )

    def session(self, token: str, *, now: datetime) -> Session | None:
        """The live session of a token, its idle clock restarted; None when unknown, expired or disabled."""
        digest = _digest(token)
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT s.csrf, s.mfa_ok, s.created_at, s.last_seen, {_SESSION_USER_COLUMNS} "
                "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
                (digest,),
            ).fetchone()
        if row is None:
            return None
        created, last_seen = _instant(row[2]), _instant(row[3])
        user = _user(row[4:])
        expired = (
            now - last_seen >= self.policy.idle_timeout or now - created >= self.policy.max_lifetime or not user.active
        )
        if expired:
            with self._transaction() as conn:
                conn.execute("DELETE FROM sessions WHERE token_hash = ?", (digest,))
            return None
        if now - last_seen >= SEEN_PRECISION:
            # Once a minute at most: a page view is then a read, not a write.
            with self._transaction() as conn:
                conn.execute("UPDATE sessions SET last_seen = ? WHERE token_hash = ?", (_iso(now), digest))
            last_seen = now
        return Session(
            user=user, csrf=row[0], mfa_ok=bool(row[1]), created_at=created, last_seen=last_seen, token_hash=digest
        )

    def logout(self, session: Session, *, now: datetime) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE token_hash = ?", (session.token_hash,))
        self._record("account.logout", session.user, now)

    # --- second factor ---------------------------------------------------------------------------

    def start_totp_enrolment(self, session: Session) -> tuple[str, str]:
        """A new TOTP secret for this session's user, kept pending until a code confirms it.

        Returns the secret (base32) and its ``otpauth://`` URI for an authenticator application.
        """
        import pyotp

        with self._transaction() as conn:
            row = conn.execute(
                "SELECT pending_secret FROM sessions WHERE token_hash = ?", (session.token_hash,)
            ).fetchone()
            secret = row[0] if row and row[0] else pyotp.random_base32()
            conn.execute("UPDATE sessions SET pending_secret = ? WHERE token_hash = ?", (secret, session.token_hash))
        uri = pyotp.TOTP(secret).provisioning_uri(name=session.user.email, issuer_name=TOTP_ISSUER)
        return secret, uri

    def confirm_totp_enrolment(self, session: Session, code: str, *, now: datetime, client: str | None = None) -> None:
        """Enrol the pending secret once a code of it is typed (counted as :meth:`verify_totp` counts)."""
        self._second_factor(session, code, now=now, client=client, enrolment=True)
        self._record("account.totp_enrolled", session.user, now)

    def verify_totp(self, session: Session, code: str, *, now: datetime, client: str | None = None) -> None:
        """Check the second factor of a session; a code is accepted once, within 30 s either side.

        Reading the last used step, checking the code and recording it (or the failure) are one transaction,
        so a code sent several times at once is accepted once, and parallel wrong codes cannot pass the
        limit of failures. A session may send a few wrong codes only (then a new password login is
        needed), and ``client`` counts the attempt against the client's limit of attempts, as a password.
        """
        self._second_factor(session, code, now=now, client=client, enrolment=False)
        self._record("account.login", session.user, now, step="totp")

    def _second_factor(
        self, session: Session, code: str, *, now: datetime, client: str | None, enrolment: bool
    ) -> None:
        if client is not None:
            self._throttle(client, now)
        user = session.user
        key = self._lock_key(user.email)
        with self._transaction() as conn:
            tried = conn.execute(
                "SELECT totp_failures, pending_secret FROM sessions WHERE token_hash = ?", (session.token_hash,)
            ).fetchone()
            if tried is None:
                raise LoginRefused("connexion expirée : reconnectez-vous avec votre mot de passe")
            row = conn.execute("SELECT totp_secret, totp_last_step FROM users WHERE id = ?", (user.id,)).fetchone()
            if enrolment:
                if row is None or row[0] is not None:
                    raise LoginRefused("un second facteur est déjà enregistré pour ce compte : reconnectez-vous")
                if not tried[1]:
                    raise LoginRefused("l'enrôlement du second facteur a expiré : recommencez")
                secret, last_step = str(tried[1]), 0
            else:
                if row is None or row[0] is None:
                    raise LoginRefused("aucun second facteur enregistré pour ce compte")
                secret, last_step = str(row[0]), int(row[1])
            self._check_lock(conn, key, now)
            step = _totp_step(secret, code, now, last_step=last_step)
            accepted = step is not None and (
                conn.execute(
                    "UPDATE users SET totp_secret = ?, totp_last_step = ? WHERE id = ? AND totp_last_step < ?",
                    (secret, step, user.id, step),
                ).rowcount
                == 1
            )
            if accepted:
                self._release(conn, key, user.email, locked=False, complete=True)
                conn.execute(
                    "UPDATE sessions SET pending_secret = NULL, mfa_ok = 1, totp_failures = 0 WHERE token_hash = ?",
                    (session.token_hash,),
                )
                return
            locked = self._add_failure(conn, key, user.email, now)
            ended = tried[0] + 1 >= self.policy.totp_per_session
            if ended:
                conn.execute("DELETE FROM sessions WHERE token_hash = ?", (session.token_hash,))
            else:
                conn.execute(
                    "UPDATE sessions SET totp_failures = totp_failures + 1 WHERE token_hash = ?", (session.token_hash,)
                )
        self._record("account.login_failed", user, now, step="totp_enrol" if enrolment else "totp", locked=locked)
        message = (
            "code incorrect : tapez les 6 chiffres affichés par l'application"
            if enrolment
            else "code incorrect ou déjà utilisé : tapez le code à 6 chiffres actuel"
        )
        if ended:
            message += (
                f" ; après {self.policy.totp_per_session} codes incorrects, cette connexion est fermée : "
                "reconnectez-vous avec votre mot de passe"
            )
        if locked:
            message += f" ; {_lock_notice(self.policy)}"
        raise LoginRefused(message, locked=locked)

    # --- passwords -------------------------------------------------------------------------------

    def change_password(self, session: Session, new: str, confirmation: str, *, now: datetime) -> None:
        """Replace the password (the one-time one on first login); checks strength and confirmation."""
        from dpa_kit.passwords import estimate, known_words, refusal

        if new != confirmation:
            raise UsageError("les deux mots de passe ne sont pas identiques")
        strength = estimate(new)
        if len(new) < 12 or strength.bits < MIN_PASSWORD_BITS:
            raise UsageError(
                refusal(new, required_bits=MIN_PASSWORD_BITS, known=known_words(session.user.email))
                or "mot de passe trop faible : au moins 12 caractères, par exemple une phrase de plusieurs mots"
            )
        digest = self.hasher.hash(new)
        with self._transaction() as conn:
            conn.execute(
                "UPDATE users SET password_hash = ?, must_change_password = 0 WHERE id = ?", (digest, session.user.id)
            )
            # Other browsers of this user are signed out (and its API tokens revoked below).
            conn.execute(
                "DELETE FROM sessions WHERE user_id = ? AND token_hash != ?", (session.user.id, session.token_hash)
            )
        self._record("account.password_changed", session.user, now)
        self._revoke_api_tokens(session.user, now, "password_changed")

    def _revoke_api_tokens(self, user: User, now: datetime, reason: str) -> None:
        """A changed password or a disabled account ends the user's API tokens too."""
        from dpa_kit.api_tokens import Tokens, tokens_database_path

        path = tokens_database_path(self.ledger.path)
        if path.exists():
            Tokens(path, self.ledger).revoke_all(user.id, user.subject, now=now, reason=reason)


def _lock_notice(policy: Policy) -> str:
    minutes = int(policy.lockout.total_seconds() // 60)
    return f"après {policy.max_failures} essais infructueux, le compte est verrouillé pendant {minutes} minutes"


def _wrong_password(policy: Policy, locked: bool) -> str:
    """The one answer to an unknown address, a wrong password or a disabled account."""
    message = "adresse électronique ou mot de passe incorrect"
    return f"{message} ; {_lock_notice(policy)} : réessayez plus tard" if locked else message


def _totp_step(secret: str, code: str, now: datetime, *, last_step: int) -> int | None:
    """The time step a code belongs to (the current one or one either side), or None; never a used step."""
    import pyotp

    code = code.strip().replace(" ", "")
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // totp.interval
    for step in (current - 1, current, current + 1):
        if step > last_step and hmac.compare_digest(totp.at(step * totp.interval), code):
            return step
    return None
