"""Helpers shared by the web tests: a settable clock, users created through the library, logins over HTTP."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyotp

from dpa_kit.accounts import Accounts, Policy, web_database_path
from dpa_kit.ledger import Ledger

BETHUNE = "2026-DPID-CCAS-BETHUNE-1.2"
ADIL = "2026-FSL-ADIL-NUMERO-VERT"
BETHUNE_SIRET = "26620011900011"
ADIL_SIRET = "34309733300078"
#: Argon2id at a test cost (the default parameters are tested in test_accounts.py).
FAST = Policy(argon2_time_cost=1, argon2_memory_kib=8 * 1024)
NEW_PASSWORD = "une phrase de passe pour les tests"


class Clock:
    """The application's clock, moved by the test."""

    def __init__(self, instant: datetime):
        self.instant = instant

    def __call__(self) -> datetime:
        return self.instant


@dataclass
class People:
    """The accounts of a test: the DPO, a user of the CCAS de Béthune, a user of the ADIL."""

    dpo: str
    bethune: str
    adil: str
    dpo_once: str
    bethune_once: str
    adil_once: str


def make_people(ledger_path: Path, now: datetime) -> People:
    accounts = Accounts(web_database_path(ledger_path), Ledger(ledger_path), FAST)
    _, dpo = accounts.add_user("dpo@pasdecalais.fr", "dpo", None, now=now, actor="test")
    _, bethune = accounts.add_user("secretariat@ccas-bethune.fr", "structure", BETHUNE_SIRET, now=now, actor="test")
    _, adil = accounts.add_user("contact@adil.fr", "structure", ADIL_SIRET, now=now, actor="test")
    return People("dpo@pasdecalais.fr", "secretariat@ccas-bethune.fr", "contact@adil.fr", dpo, bethune, adil)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def totp_secret_of(html: str) -> str:
    match = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', html)
    assert match, "no TOTP secret in the page"
    return match.group(1)


def code_at(secret: str, instant: datetime) -> str:
    return pyotp.TOTP(secret).at(instant.astimezone(UTC))
