"""API tokens: shown once, stored hashed in a private file, acting for one user until revoked or expired."""

from __future__ import annotations

import re
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dpa_kit.accounts import Accounts, Policy, web_database_path
from dpa_kit.api_tokens import Tokens, tokens_database_path
from dpa_kit.exceptions import InvalidValue, LoginRefused
from dpa_kit.ledger import Ledger

NOW = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
BETHUNE_SIRET = "26620011900011"
FAST = Policy(argon2_time_cost=1, argon2_memory_kib=8 * 1024)


def _user_of(tokens: Tokens, token: str, *, now: datetime) -> int | None:
    """The user the token acts for, or None when the API refuses it (its French reason is tested apart)."""
    try:
        return tokens.authenticate(token, now=now)
    except LoginRefused:
        return None


def test_a_token_acts_for_its_user_until_revoked(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    tokens = Tokens(tmp_path / "tokens.sqlite", ledger)
    token = tokens.issue(3, "user:3", "SI Solidarités", now=NOW)
    assert token.startswith("dpak_") and len(token) > 40
    assert _user_of(tokens, token, now=NOW) == 3
    assert _user_of(tokens, token + "x", now=NOW) is None
    assert _user_of(tokens, "n'importe quoi", now=NOW) is None
    # Only the hash is stored, and the ledger never sees the token.
    assert token.encode() not in (tmp_path / "tokens.sqlite").read_bytes()
    assert all(token not in str(e.payload) for e in ledger.events())
    [info] = tokens.list(3)
    assert info.label == "SI Solidarités" and info.active and info.last_used == NOW
    with pytest.raises(InvalidValue, match="introuvable"):
        tokens.revoke(info.id, "user:4", user_id=4, now=NOW)  # another user's token
    tokens.revoke(info.id, "user:3", user_id=3, now=NOW)
    assert _user_of(tokens, token, now=NOW) is None
    assert [e.kind for e in ledger.events(kind_prefix="api.")] == ["api.token_issued", "api.token_revoked"]
    with pytest.raises(InvalidValue, match="nom du jeton manquant"):
        tokens.issue(3, "user:3", " ", now=NOW)


def test_token_store_is_private(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    path = tokens_database_path(ledger.path)
    assert path == tmp_path / "api-tokens.sqlite"
    tokens = Tokens(path, ledger)
    tokens.issue(3, "user-3", "SI Solidarités", now=NOW)
    for name in ("api-tokens.sqlite", "api-tokens.sqlite-wal", "api-tokens.sqlite-shm"):
        if (tmp_path / name).exists():
            assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    # A store left readable by an earlier version is made private when opened.
    path.chmod(0o644)
    Tokens(path, ledger)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_token_expires_after_90_days_by_default(tmp_path: Path) -> None:
    tokens = Tokens(tmp_path / "api-tokens.sqlite", Ledger(tmp_path / "ledger.sqlite"))
    token = tokens.issue(3, "user-3", "SI Solidarités", now=NOW)
    [info] = tokens.list(3)
    assert info.expires_at == NOW + timedelta(days=90) and not info.expired(NOW + timedelta(days=89))
    assert _user_of(tokens, token, now=NOW + timedelta(days=89)) == 3
    assert _user_of(tokens, token, now=NOW + timedelta(days=90)) is None
    with pytest.raises(LoginRefused, match=r"^jeton expiré le 5 avril 2027 à 11 h 00 : créez-en un nouveau"):
        tokens.authenticate(token, now=NOW + timedelta(days=90))
    with pytest.raises(LoginRefused, match="jeton absent, inconnu ou révoqué"):
        tokens.authenticate("dpak_inconnu", now=NOW)
    short = tokens.issue(3, "user-3", "essai", now=NOW, lifetime=timedelta(days=1))
    assert _user_of(tokens, short, now=NOW + timedelta(days=1)) is None


def test_tokens_issued_before_expiry_existed_get_90_days_from_their_issue(tmp_path: Path) -> None:
    from dpa_kit.api_tokens import _SCHEMA

    path = tmp_path / "api-tokens.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(_SCHEMA[0])
        conn.execute(
            "INSERT INTO tokens (hash, user_id, label, created_at) VALUES (?, 3, 'ancien', ?)",
            ("h", "2026-10-01T08:00:00+00:00"),
        )
        conn.execute("PRAGMA user_version = 1")
    conn.close()
    [info] = Tokens(path, Ledger(tmp_path / "ledger.sqlite")).list()
    assert info.expires_at == datetime(2026, 12, 30, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("label", "shown"),
    [
        ("SI\x00Solidarités", "U+0000"),
        ("SI\nSolidarités", "U+000A"),
        ("SI \u202egnirahs", "U+202E"),
        ("a\u200bb", "U+200B"),
    ],
)
def test_token_label_refuses_control_and_invisible_characters(tmp_path: Path, label: str, shown: str) -> None:
    tokens = Tokens(tmp_path / "api-tokens.sqlite", Ledger(tmp_path / "ledger.sqlite"))
    with pytest.raises(
        InvalidValue, match=re.escape(f"nom du jeton : caractère invisible ou de contrôle interdit ({shown})")
    ):
        tokens.issue(3, "user-3", label, now=NOW)
    assert tokens.list() == []


def test_too_long_token_label_is_refused_not_cut(tmp_path: Path) -> None:
    tokens = Tokens(tmp_path / "api-tokens.sqlite", Ledger(tmp_path / "ledger.sqlite"))
    with pytest.raises(InvalidValue, match="nom du jeton trop long : 101 caractères, 100 au plus"):
        tokens.issue(3, "user-3", "x" * 101, now=NOW)
    tokens.issue(3, "user-3", "é" * 100, now=NOW)
    assert [info.label for info in tokens.list()] == ["é" * 100]


def test_password_change_and_disabling_revoke_the_users_tokens(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    accounts = Accounts(web_database_path(ledger.path), ledger, FAST)
    tokens = Tokens(tokens_database_path(ledger.path), ledger)
    user, once = accounts.add_user("a@ccas.fr", "structure", BETHUNE_SIRET, now=NOW, actor="cli")
    other, _ = accounts.add_user("b@ccas.fr", "structure", BETHUNE_SIRET, now=NOW, actor="cli")
    _, session = accounts.login("a@ccas.fr", once, now=NOW, client="c")
    accounts.change_password(session, "une phrase assez longue", "une phrase assez longue", now=NOW)
    first = tokens.issue(user.id, user.subject, "SI Solidarités", now=NOW)
    kept = tokens.issue(other.id, other.subject, "SI Habitat", now=NOW)
    _, session = accounts.login("a@ccas.fr", "une phrase assez longue", now=NOW, client="c")
    accounts.change_password(session, "une autre phrase assez longue", "une autre phrase assez longue", now=NOW)
    assert _user_of(tokens, first, now=NOW) is None
    second = tokens.issue(user.id, user.subject, "SI Solidarités", now=NOW)
    accounts.disable("a@ccas.fr", now=NOW, actor="cli")
    assert _user_of(tokens, second, now=NOW) is None
    assert _user_of(tokens, kept, now=NOW) == other.id
    revoked = [e.payload for e in ledger.events(subject=user.subject, kind_prefix="api.token_revoked")]
    assert [p["reason"] for p in revoked] == ["password_changed", "account_disabled"]
