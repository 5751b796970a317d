"""API tokens: shown once, stored hashed, acting for one user until revoked."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from dpa_kit.api_tokens import Tokens
from dpa_kit.exceptions import InvalidValue
from dpa_kit.ledger import Ledger

NOW = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)


def test_a_token_acts_for_its_user_until_revoked(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    tokens = Tokens(tmp_path / "tokens.sqlite", ledger)
    token = tokens.issue(3, "user:3", "SI Solidarités", now=NOW)
    assert token.startswith("dpak_") and len(token) > 40
    assert tokens.user_id(token, now=NOW) == 3
    assert tokens.user_id(token + "x", now=NOW) is None
    assert tokens.user_id("n'importe quoi", now=NOW) is None
    # Only the hash is stored, and the ledger never sees the token.
    assert token.encode() not in (tmp_path / "tokens.sqlite").read_bytes()
    assert all(token not in str(e.payload) for e in ledger.events())
    [info] = tokens.list(3)
    assert info.label == "SI Solidarités" and info.active and info.last_used == NOW
    with pytest.raises(InvalidValue, match="introuvable"):
        tokens.revoke(info.id, "user:4", user_id=4, now=NOW)  # another user's token
    tokens.revoke(info.id, "user:3", user_id=3, now=NOW)
    assert tokens.user_id(token, now=NOW) is None
    assert [e.kind for e in ledger.events(kind_prefix="api.")] == ["api.token_issued", "api.token_revoked"]
    with pytest.raises(InvalidValue, match="nom du jeton manquant"):
        tokens.issue(3, "user:3", " ", now=NOW)
