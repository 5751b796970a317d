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

SCHEMA_VERSION = 2
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
        """Disable an account and end its sessions at once."""
        user = self.user_by_email(email)
        if user is None:
            raise UsageError(f"aucun compte pour « {email} »")
        if not user.active:
            raise UsageError(f"le compte « {email} » est déjà désactivé")
        with self._transaction() as conn:
            conn.execute("UPDATE users SET active = 0 WHERE id = ?", (user.id,))
            ended = conn.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,)).rowcount
        self._record("account.disabled", user, now, by=actor, sessions_ended=ended)
        disabled = self.user_by_id(user.id)
        assert disabled is not None
        return disabled

    # --- logging in ------------------------------------------------------------------------------

    def login(self, email: str, password: str, *, now: datetime, client: str) -> tuple[str, Session]:
        """Check a password; return a new session token and its session (which may still need a TOTP code).

        Raises LoginRefused with one message for an unknown address, a wrong password or a disabled
        account (nothing tells them apart), and with its own message when the client or the account is
        temporarily blocked.
        """
        from argon2.exceptions import InvalidHashError, VerificationError

        self._throttle(client, now)
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT {_USER_COLUMNS}, password_hash, failures FROM users WHERE email = ?", (email.strip(),)
            ).fetchone()
        if row is None:
            with contextlib.suppress(VerificationError, InvalidHashError):
                self.hasher.verify(self._dummy_hash, password)
            raise LoginRefused("adresse électronique ou mot de passe incorrect")
        user, stored, failures = _user(row[:9]), row[9], row[10]
        if user.locked_until and user.locked_until > now:
            raise LoginRefused(
                "compte temporairement verrouillé après plusieurs échecs : réessayez dans "
                f"{max(1, -int(-(user.locked_until - now).total_seconds() // 60))} minute(s)",
                locked=True,
            )
        try:
            self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            self._failure(user, failures + 1, now, "password")
            raise LoginRefused("adresse électronique ou mot de passe incorrect") from None
        if not user.active:
            raise LoginRefused("adresse électronique ou mot de passe incorrect")
        rehashed = self.hasher.hash(password) if self.hasher.check_needs_rehash(stored) else None
        with self._transaction() as conn:
            conn.execute("UPDATE users SET failures = 0, locked_until = NULL WHERE id = ?", (user.id,))
            if rehashed:
                conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (rehashed, user.id))
        token = secrets.token_urlsafe(32)
        with self._transaction() as conn:
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

    def _failure(self, user: User, failures: int, now: datetime, step: str) -> None:
        locked = failures >= self.policy.max_failures
        with self._transaction() as conn:
            conn.execute(
                "UPDATE users SET failures = ?, locked_until = ? WHERE id = ?",
                (0 if locked else failures, _iso(now + self.policy.lockout) if locked else None, user.id),
            )
        self._record("account.login_failed", user, now, step=step, locked=locked)

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

    def confirm_totp_enrolment(self, session: Session, code: str, *, now: datetime) -> None:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT pending_secret FROM sessions WHERE token_hash = ?", (session.token_hash,)
            ).fetchone()
        if not row or not row[0]:
            raise LoginRefused("l'enrôlement du second facteur a expiré : recommencez")
        step = _totp_step(row[0], code, now, last_step=0)
        if step is None:
            self._failure(session.user, self._failures(session.user) + 1, now, "totp_enrol")
            raise LoginRefused("code incorrect : tapez les 6 chiffres affichés par l'application")
        with self._transaction() as conn:
            conn.execute(
                "UPDATE users SET totp_secret = ?, totp_last_step = ?, failures = 0 WHERE id = ?",
                (row[0], step, session.user.id),
            )
            conn.execute(
                "UPDATE sessions SET pending_secret = NULL, mfa_ok = 1 WHERE token_hash = ?", (session.token_hash,)
            )
        self._record("account.totp_enrolled", session.user, now)

    def verify_totp(self, session: Session, code: str, *, now: datetime) -> None:
        """Check the second factor of a session; a code is accepted once, within 30 s either side."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT totp_secret, totp_last_step, locked_until FROM users WHERE id = ?", (session.user.id,)
            ).fetchone()
        if row is None or row[0] is None:
            raise LoginRefused("aucun second facteur enregistré pour ce compte")
        if row[2] and _instant(row[2]) > now:
            raise LoginRefused(
                "compte temporairement verrouillé après plusieurs échecs : réessayez plus tard", locked=True
            )
        step = _totp_step(row[0], code, now, last_step=row[1])
        if step is None:
            self._failure(session.user, self._failures(session.user) + 1, now, "totp")
            raise LoginRefused("code incorrect ou déjà utilisé : tapez le code à 6 chiffres actuel")
        with self._transaction() as conn:
            conn.execute("UPDATE users SET totp_last_step = ?, failures = 0 WHERE id = ?", (step, session.user.id))
            conn.execute("UPDATE sessions SET mfa_ok = 1 WHERE token_hash = ?", (session.token_hash,))
        self._record("account.login", session.user, now, step="totp")

    def _failures(self, user: User) -> int:
        with self._connect() as conn:
            return int(conn.execute("SELECT failures FROM users WHERE id = ?", (user.id,)).fetchone()[0])

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
            # Other browsers of this user are signed out.
            conn.execute(
                "DELETE FROM sessions WHERE user_id = ? AND token_hash != ?", (session.user.id, session.token_hash)
            )
        self._record("account.password_changed", session.user, now)


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
