"""Passwords for encrypted exchanges: generated strong and easy to read out, supplied ones measured.

The CNIL (deliberation 2022-100) asks 80 bits of entropy for a password used alone: for example 12
characters of four kinds, 14 characters of three kinds, or a passphrase of at least 7 words. Zip AES
derives its key with only 1,000 PBKDF2 iterations, so generated passwords carry far more: 24 characters
from an alphabet without look-alikes (about 119 bits), grouped by four to be dictated over the phone.
"""

from __future__ import annotations

import math
import os
import re
import secrets
import string
from dataclasses import dataclass
from pathlib import Path

from dpa_kit.exceptions import InputError, UsageError

# No 0/o, 1/l/i, no upper case: dictated over the phone without "capital" or "zero or O?".
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
GENERATED_LENGTH = 24
MIN_BITS = 80
PASSWORD_ENV = "DPA_KIT_PASSWORD"


def generate() -> str:
    """A fresh password of about 119 bits, as six groups of four characters."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(GENERATED_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, GENERATED_LENGTH, 4))


def generated_bits() -> float:
    return GENERATED_LENGTH * math.log2(len(ALPHABET))


@dataclass(frozen=True)
class Strength:
    """An estimate of a supplied password's entropy, in the CNIL's way of counting."""

    bits: float
    reason: str

    @property
    def sufficient(self) -> bool:
        return self.bits >= MIN_BITS


def estimate(password: str) -> Strength:
    """Estimate entropy: character classes x length, or words for a passphrase; repetition is penalised."""
    words = [w for w in re.split(r"[\s\-_.]+", password) if w]
    if len(words) >= 7 and all(len(w) >= 3 for w in words) and len(set(w.lower() for w in words)) == len(words):
        # CNIL: a passphrase of at least 7 words (drawn from a large list) reaches the 80-bit floor.
        return Strength(len(words) * 11.5, f"phrase de passe de {len(words)} mots")
    pool = 0
    kinds: list[str] = []
    if re.search(r"[a-z]", password):
        pool, kinds = pool + 26, kinds + ["minuscules"]
    if re.search(r"[A-Z]", password):
        pool, kinds = pool + 26, kinds + ["majuscules"]
    if re.search(r"[0-9]", password):
        pool, kinds = pool + 10, kinds + ["chiffres"]
    if re.search(r"[^a-zA-Z0-9]", password):
        pool, kinds = pool + len(string.punctuation) + 1, kinds + ["caractères spéciaux"]
    if not pool:
        return Strength(0.0, "mot de passe vide")
    effective = min(len(password), 2 * len(set(password)))
    # Rounded like the CNIL's table, which counts 12 characters of four kinds as 80 bits.
    bits = round(effective * math.log2(pool) + (1.5 if len(kinds) == 4 else 0), 1)
    return Strength(bits, f"{len(password)} caractères ({', '.join(kinds)})")


def check_supplied(password: str) -> str:
    """Refuse a supplied password under 80 bits, with the reason and what to do."""
    if password != password.strip() and not password.strip():
        raise InputError("le mot de passe fourni est vide")
    strength = estimate(password)
    if not strength.sufficient:
        raise InputError(
            f"mot de passe trop faible : environ {strength.bits:.0f} bits pour {strength.reason}, "
            f"il en faut au moins {MIN_BITS} (CNIL, délibération 2022-100 : par exemple 12 caractères de quatre "
            "types, 14 de trois types, ou une phrase de 7 mots). Laissez dpa-kit en générer un : "
            "n'indiquez ni --password-file ni DPA_KIT_PASSWORD."
        )
    return password


def from_file(path: Path) -> str:
    """The password in the first line of a file (the newline is not part of it)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path} : fichier de mot de passe illisible ({exc.strerror})") from exc
    first = text.splitlines()[0] if text else ""
    if not first:
        raise InputError(f"{path} : le fichier de mot de passe est vide")
    return first


def supplied(password_file: Path | None) -> str | None:
    """The password given by a file or the environment, or None when none was given."""
    if password_file is not None:
        return from_file(password_file)
    value = os.environ.get(PASSWORD_ENV)
    return value if value else None
