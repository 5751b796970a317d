"""Passwords for encrypted exchanges: generated strong and easy to read out, supplied ones measured.

The CNIL (deliberation 2022-100) asks 80 bits of entropy for a password used alone: for example 12
characters of four kinds, 14 characters of three kinds, or a passphrase of at least 7 words — *drawn at
random*. Counting character classes says nothing of ``Motdepasse2024!``: an attacker tries words,
names, years and keyboard walks first. So a supplied password is measured as such an attacker would
guess it: zxcvbn (the pattern-aware estimator) fed with French words, first names and AZERTY keyboard
walks shipped in ``data/``; 80 bits means at least 2**80 guesses. A passphrase is also measured word by
word (zxcvbn lumps separators and what it does not know into one block it overrates).

Zip AES derives its key with only 1,000 PBKDF2 iterations, so generated passwords carry far more: 24
characters from an alphabet without look-alikes (about 119 bits), grouped by four to be dictated over the
phone. Nothing here reads the environment: the edges pass the password in.
"""

from __future__ import annotations

import functools
import math
import re
import secrets
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from dpa_kit.exceptions import InputError, UsageError

__all__ = [
    "ALPHABET",
    "CNIL_TABLE",
    "GENERATED_LENGTH",
    "MIN_BITS",
    "Strength",
    "check_supplied",
    "estimate",
    "from_file",
    "generate",
    "generated_bits",
    "supplied",
]

# No 0/o, 1/l/i, no upper case: dictated over the phone without "capital" or "zero or O?".
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
GENERATED_LENGTH = 24
MIN_BITS = 80
ZXCVBN_MAX = 72  # zxcvbn refuses longer texts: a longer password is measured by pieces of 72

CNIL_TABLE = """\
Recommandation de la CNIL (délibération 2022-100) : 80 bits d'entropie au moins pour un mot de passe
utilisé seul, par exemple :
  - 12 caractères tirés au hasard parmi majuscules, minuscules, chiffres et caractères spéciaux ;
  - 14 caractères tirés au hasard parmi trois de ces types ;
  - une phrase de passe d'au moins 7 mots tirés au hasard.
Des mots, prénoms, années ou suites de touches (azerty) ne comptent presque pas : ils sont essayés en premier."""

_SEPARATORS = re.compile(r"[\s\-_.,;:/+]+")


def generate() -> str:
    """A fresh password of about 119 bits, as six groups of four characters."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(GENERATED_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, GENERATED_LENGTH, 4))


def generated_bits() -> float:
    return GENERATED_LENGTH * math.log2(len(ALPHABET))


@dataclass(frozen=True)
class Strength:
    """An estimate of a supplied password's strength: log2 of the guesses an informed attacker needs."""

    bits: float
    reason: str

    @property
    def sufficient(self) -> bool:
        # Rounded as the CNIL's table is (12 characters of four kinds: 12 x log2(99) = 79.6, "80 bits").
        return round(self.bits) >= MIN_BITS


def _word_list(name: str) -> list[str]:
    text = resources.files("dpa_kit").joinpath("data", name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@functools.cache
def _dictionaries() -> tuple[list[str], frozenset[str]]:
    keyboard = _word_list("clavier_azerty.txt")
    words = _word_list("mots_francais.txt")
    # zxcvbn ranks its user inputs by position: keyboard walks and the commonest words first.
    merged = list(dict.fromkeys([*keyboard[:6], *words[:60], *keyboard[6:], *words[60:]]))
    return merged, frozenset(keyboard)


def _pool(text: str) -> int:
    """The CNIL's alphabet for ``text``: 26 lower, 26 upper, 10 digits, 37 special characters."""
    pool = 0
    for pattern, size in ((r"[a-z]", 26), (r"[A-Z]", 26), (r"[0-9]", 10), (r"[^a-zA-Z0-9]", 37)):
        if re.search(pattern, text):
            pool += size
    return max(pool, 10)


def _zxcvbn(text: str) -> tuple[float, list[dict[str, object]]]:
    """zxcvbn's decomposition of ``text`` into patterns, in bits. zxcvbn rates what it cannot explain at
    10 guesses per character, far below random characters (``xK9#mQ2$vL7@pR4!`` would get 53 bits): those
    parts are rated as random characters of the password's alphabet instead, as the CNIL counts."""
    from zxcvbn import zxcvbn

    inputs, _ = _dictionaries()
    per_char = math.log2(_pool(text))
    bits = 0.0
    sequence: list[dict[str, object]] = []
    for start in range(0, len(text), ZXCVBN_MAX):  # zxcvbn measures at most 72 characters at once
        part = list(zxcvbn(text[start : start + ZXCVBN_MAX], user_inputs=inputs, max_length=ZXCVBN_MAX)["sequence"])
        bits += math.log2(math.factorial(len(part)))
        for match in part:
            if match["pattern"] == "bruteforce":
                bits += len(str(match["token"])) * per_char
            else:
                bits += math.log2(max(float(match["guesses"]), 1.0))
        sequence += part
    return bits, sequence


def _by_words(password: str) -> tuple[float, list[dict[str, object]]] | None:
    """A passphrase measured word by word (zxcvbn alone lumps separators and the words between those it
    recognises into one block of random characters, which overrates ``aaa bbb ccc ddd eee fff ggg``)."""
    words = [w for w in _SEPARATORS.split(password) if w]
    if len(words) < 2:
        return None
    bits = 0.0
    matches: list[dict[str, object]] = []
    for word in words:
        word_bits, sequence = _zxcvbn(word)
        bits += word_bits
        matches += sequence
    separators = set(_SEPARATORS.findall(password))
    return bits + math.log2(len(words)) + 2 * len(separators), matches


def _reasons(matches: list[dict[str, object]]) -> list[str]:
    _, keyboard = _dictionaries()
    found: list[str] = []
    for match in matches:
        pattern = match["pattern"]
        if pattern == "dictionary":
            token = str(match.get("matched_word", "")).lower()
            if token in keyboard:
                label = "suite de touches du clavier (azerty)"
            elif match.get("dictionary_name") == "user_inputs":
                label = "mot ou prénom français courant"
            elif match.get("dictionary_name") == "passwords":
                label = "mot de passe parmi les plus utilisés"
            else:
                label = "mot ou prénom courant"
            if match.get("l33t"):
                label += " (même avec des chiffres ou symboles à la place de lettres)"
            elif match.get("reversed"):
                label += " (même à l'envers)"
        else:
            label = {
                "spatial": "suite de touches du clavier",
                "repeat": "répétition",
                "sequence": "suite logique (abcd, 1234)",
                "regex": "année",
                "date": "date",
            }.get(str(pattern), "")
        if label and label not in found:
            found.append(label)
    return found


def estimate(password: str) -> Strength:
    """How many guesses (in bits) an attacker trying French and English words, names, keyboard walks,
    years, repetitions and sequences first needs; the reason names the patterns found, never the text."""
    if not password:
        return Strength(0.0, "mot de passe vide")
    bits, matches = _zxcvbn(password)
    words = _by_words(password)
    if words is not None and words[0] < bits:
        bits, matches = words
    reasons = _reasons(matches)
    if reasons:
        reason = "il contient : " + ", ".join(reasons)
    else:
        reason = f"{len(password)} caractères sans motif reconnu : trop peu"
    return Strength(round(bits, 1), reason)


def check_supplied(password: str) -> str:
    """Refuse a supplied password under 80 bits, with the reason and what to do."""
    if not password.strip():
        raise InputError("le mot de passe fourni est vide")
    strength = estimate(password)
    if not strength.sufficient:
        raise InputError(
            f"mot de passe trop faible : environ {strength.bits:.0f} bits ({strength.reason}), il en faut au moins "
            f"{MIN_BITS}.\n{CNIL_TABLE}\nLe plus sûr : laisser dpa-kit en générer un (environ "
            f"{generated_bits():.0f} bits), en n'en fournissant aucun."
        )
    return password


def from_file(path: Path) -> str:
    """The password in the first line of a file (the newline is not part of it)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path} : fichier de mot de passe illisible ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} : fichier de mot de passe illisible (pas de l'UTF-8)") from exc
    first = text.splitlines()[0] if text else ""
    if not first:
        raise InputError(f"{path} : le fichier de mot de passe est vide")
    return first


def supplied(password_file: Path | None, given: str | None = None) -> str | None:
    """The password given by a file, else ``given`` (the edge's own source, such as an environment
    variable the CLI read), or None when none was given."""
    if password_file is not None:
        return from_file(password_file)
    return given if given else None
