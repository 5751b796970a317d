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
    "ACCOUNT_ADVICE",
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
    "known_words",
    "refusal",
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


def _zxcvbn(text: str, known: tuple[str, ...] = ()) -> tuple[float, list[dict[str, object]]]:
    """zxcvbn's decomposition of ``text`` into patterns, in bits. zxcvbn rates what it cannot explain at
    10 guesses per character, far below random characters (``xK9#mQ2$vL7@pR4!`` would get 53 bits): those
    parts are rated as random characters of the password's alphabet instead, as the CNIL counts."""
    from zxcvbn import zxcvbn

    inputs, _ = _dictionaries()
    inputs = [*known, *inputs] if known else inputs
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


def _by_words(password: str, known: tuple[str, ...] = ()) -> tuple[float, list[dict[str, object]]] | None:
    """A passphrase measured word by word (zxcvbn alone lumps separators and the words between those it
    recognises into one block of random characters, which overrates ``aaa bbb ccc ddd eee fff ggg``)."""
    words = [w for w in _SEPARATORS.split(password) if w]
    if len(words) < 2:
        return None
    bits = 0.0
    matches: list[dict[str, object]] = []
    for word in words:
        word_bits, sequence = _zxcvbn(word, known)
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


def _measure(password: str, known: tuple[str, ...] = ()) -> tuple[float, list[dict[str, object]]]:
    """(bits, the patterns found): the lower of the whole password's and the word-by-word measure."""
    bits, matches = _zxcvbn(password, known)
    words = _by_words(password, known)
    if words is not None and words[0] < bits:
        bits, matches = words
    return bits, matches


def known_words(*texts: str | None) -> tuple[str, ...]:
    """The words an attacker knows about an account, from its address and names (« rgpd@ccas-bethune.fr »
    -> rgpd, ccas, bethune): tried before any dictionary."""
    import unicodedata

    found: list[str] = []
    for text in texts:
        folded = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
        found += [w for w in re.split(r"[^a-z0-9]+", folded) if len(w) >= 3 and w not in {"com", "fr", "org", "net"}]
    return tuple(dict.fromkeys(found))


def estimate(password: str, known: tuple[str, ...] = ()) -> Strength:
    """How many guesses (in bits) an attacker trying French and English words, names, keyboard walks,
    years, repetitions and sequences first needs; the reason names the patterns found, never the text.
    ``known``: words the attacker knows about the account (:func:`known_words`), tried first."""
    if not password:
        return Strength(0.0, "mot de passe vide")
    bits, matches = _measure(password, known)
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


# --- why a password is refused, in words a user can act on --------------------------------------------

#: What a page asking for an account's password advises, so that following it leads to acceptance.
ACCOUNT_ADVICE = (
    "au moins 12 caractères : par exemple cinq ou six mots sans rapport entre eux, dont un rare ou inventé, "
    "sans le nom de la structure ni une année"
)

#: zxcvbn's advice, in French (an advice without translation is left out, never shown in English).
FEEDBACK_FR = {
    "Straight rows of keys are easy to guess.": "Une rangée de touches du clavier se devine facilement.",
    "Short keyboard patterns are easy to guess.": "Un petit motif sur le clavier se devine facilement.",
    'Repeats like "aaa" are easy to guess.': "Une répétition comme « aaa » se devine facilement.",
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': (
        "Répéter un motif (« abcabcabc ») ne le rend guère plus difficile à deviner que « abc »."
    ),
    'Sequences like "abc" or "6543" are easy to guess.': "Une suite comme « abc » ou « 6543 » se devine facilement.",
    "Recent years are easy to guess.": "Une année récente se devine facilement.",
    "Dates are often easy to guess.": "Une date se devine souvent facilement.",
    "This is a top-10 common password.": "C'est l'un des 10 mots de passe les plus utilisés.",
    "This is a top-100 common password.": "C'est l'un des 100 mots de passe les plus utilisés.",
    "This is a very common password.": "C'est un mot de passe très utilisé.",
    "This is similar to a commonly used password.": "Il ressemble à un mot de passe très utilisé.",
    "A word by itself is easy to guess.": "Un mot seul se devine facilement.",
    "Names and surnames by themselves are easy to guess.": "Un prénom ou un nom seul se devine facilement.",
    "Common names and surnames are easy to guess.": "Les prénoms et noms courants se devinent facilement.",
    "Capitalization doesn't help very much.": "Une majuscule au début n'aide presque pas.",
    "All-uppercase is almost as easy to guess as all-lowercase.": (
        "Tout en majuscules se devine presque aussi vite que tout en minuscules."
    ),
    "Reversed words aren't much harder to guess.": "Un mot à l'envers n'est guère plus difficile à deviner.",
    "Predictable substitutions like '@' instead of 'a' don't help very much.": (
        "Remplacer des lettres par des chiffres ou symboles attendus (@ pour a, 3 pour e) n'aide presque pas."
    ),
    "Avoid recent years.": "Évitez les années récentes.",
    "Avoid years that are associated with you.": "Évitez les années liées à vous ou à votre structure.",
    "Avoid dates and years that are associated with you.": (
        "Évitez les dates et années liées à vous ou à votre structure."
    ),
    "Avoid sequences.": "Évitez les suites.",
    "Avoid repeated words and characters.": "Évitez de répéter des mots ou des caractères.",
    "Use a longer keyboard pattern with more turns.": "Évitez les motifs dessinés sur le clavier.",
}

_DICTIONARY_WORDS = {"user_inputs", "english_wikipedia", "us_tv_and_film", "surnames", "male_names", "female_names"}


def _feedback_fr(matches: list[dict[str, object]]) -> list[str]:
    """zxcvbn's warnings and suggestions for each pattern found, translated, each said once."""
    from zxcvbn.feedback import get_match_feedback

    said: list[str] = []
    for match in matches:
        if match.get("pattern") == "bruteforce":
            continue
        given = get_match_feedback(match, len(matches) == 1) or {}
        for text in [given.get("warning") or "", *given.get("suggestions", [])]:
            french = FEEDBACK_FR.get(" ".join(str(text).split()))
            if french and french not in said:
                said.append(french)
    return said


def _found_fr(matches: list[dict[str, object]], known: tuple[str, ...]) -> list[str]:
    """What the attacker tries first, found in the password: « le nom de votre structure ou de votre
    adresse », « une année », « 4 mots courants (dictionnaire, prénoms, noms) »; never the text itself."""
    _, keyboard = _dictionaries()
    own = words = 0
    found: list[str] = []

    def add(text: str) -> None:
        if text not in found:
            found.append(text)

    for match in matches:
        pattern = match.get("pattern")
        token = str(match.get("matched_word", "")).lower()
        if pattern == "dictionary" and token in known:
            own += 1
        elif (pattern == "dictionary" and token in keyboard) or pattern == "spatial":
            add("une suite de touches du clavier")
        elif pattern == "dictionary" and match.get("dictionary_name") == "passwords":
            add("un mot de passe parmi les plus utilisés")
        elif pattern == "dictionary" and match.get("dictionary_name") in _DICTIONARY_WORDS:
            words += 1
        elif pattern in {"regex", "date"}:
            add("une année" if len(str(match.get("token", ""))) <= 4 else "une date")
        elif pattern == "sequence":
            add("une suite logique (abcd, 1234)")
        elif pattern == "repeat":
            add("une répétition")
    if own:
        found.insert(0, "le nom de votre structure ou de votre adresse")
    if words:
        found.append(
            "un mot courant (dictionnaire, prénoms, noms)"
            if words == 1
            else f"{words} mots courants (dictionnaire, prénoms, noms)"
        )
    return found


def _joined(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} et {parts[-1]}"


def _guesses_fr(bits: float, noun: str = "essais") -> str:
    """2**bits ``noun`` in plain French: « 3 400 milliards d'essais », « 240 essais », « 330 fois »."""
    value = 2.0**bits

    def rounded(number: float) -> str:
        """Two significant digits, grouped by thousands, decimal comma: « 3 400 », « 1,1 »."""
        kept = float(f"{number:.2g}")
        if kept >= 10:
            return f"{round(kept):,}".replace(",", "\u202f")
        return f"{kept:g}".replace(".", ",")

    for scale, singular, plural in (
        (1e15, "million de milliards", "millions de milliards"),
        (1e9, "milliard", "milliards"),
        (1e6, "million", "millions"),
    ):
        if value >= scale:
            amount = value / scale
            elided = "d'" if noun[0] in "aeiouéh" else "de "
            return f"{rounded(amount)} {singular if amount < 2 else plural} {elided}{noun}"
    return f"{rounded(value)} {noun}"


_CONSONANTS = "bcdfgjklmnprstvz"
_VOWELS = "aeiou"


def _invented_word(syllables: int) -> str:
    """A pronounceable word found in no dictionary (« rovipazu »), drawn at random."""
    return "".join(secrets.choice(_CONSONANTS) + secrets.choice(_VOWELS) for _ in range(syllables))


def _addition(password: str, required_bits: float, known: tuple[str, ...]) -> str | None:
    """Two invented words which, added at the end, make the password strong enough (checked), or None."""
    for syllables in (3, 3, 3, 4, 4, 4, 5):
        added = f"-{_invented_word(syllables)}-{_invented_word(syllables)}"
        if _measure(password + added, known)[0] >= required_bits:
            return added
    return None


def refusal(password: str, *, required_bits: float, min_length: int = 12, known: tuple[str, ...] = ()) -> str | None:
    """Why ``password`` is refused for an account, in French, with the real reason and a concrete next
    step; None when it is long and strong enough (at least ``min_length`` characters and ``required_bits``
    estimated bits, ``known`` words tried first: :func:`known_words` of the account's address and
    structure). The message never quotes the password.

    « mot de passe trop faible, car trop facile à deviner : le nom de votre structure ou de votre adresse,
    une année et un mot courant (dictionnaire, prénoms, noms) sont parmi les premiers essais d'un attaquant.
    Une date se devine souvent facilement. […] Il serait trouvé en environ 28 milliards d'essais ; il en faut
    au moins 1,1 million de milliards d'essais, soit environ 40 000 fois plus (estimation : 34,7 bits pour
    50 exigés). Ajoutez deux mots sans rapport entre eux ni avec la structure, par exemple en ajoutant
    « -rovipa-talizo » à la fin. »
    """
    if not password:
        return "mot de passe vide : choisissez une phrase de plusieurs mots sans rapport entre eux"
    bits, matches = _measure(password, known)
    short = len(password) < min_length
    weak = bits < required_bits
    if not short and not weak:
        return None
    sentences: list[str] = []
    if weak:
        found = _found_fr(matches, known)
        if found:
            verb = (
                "est parmi les premiers essais"
                if len(found) == 1 and not found[0][0].isdigit()
                else "sont parmi les premiers essais"
            )
            sentences.append(
                f"mot de passe trop faible, car trop facile à deviner : {_joined(found)} {verb} d'un attaquant."
            )
        else:
            sentences.append("mot de passe trop faible, car trop facile à deviner.")
        sentences += _feedback_fr(matches)
        factor = 2.0 ** (required_bits - bits)
        from dpa_kit.words import french_number

        sentences.append(
            f"Il serait trouvé en environ {_guesses_fr(bits)} ; il en faut au moins {_guesses_fr(required_bits)}, "
            f"soit environ {_guesses_fr(math.log2(max(factor, 2.0)), 'fois')} plus (estimation : "
            f"{french_number(round(bits, 1))} bits pour {french_number(required_bits)} exigés)."
        )
    if short:
        sentences.insert(
            0 if not weak else 1,
            ("mot de passe trop faible, car trop court : " if not weak else "Il est aussi trop court : ")
            + f"{len(password)} caractères, il en faut au moins {min_length}.",
        )
    added = _addition(password, required_bits, known) if weak or short else None
    if added and len(password) + len(added) >= min_length:
        sentences.append(
            "Ajoutez deux mots sans rapport entre eux ni avec la structure, par exemple en ajoutant "
            f"« {added} » à la fin."
        )
    else:
        sentences.append("Choisissez une phrase de plusieurs mots sans rapport entre eux ni avec la structure.")
    return " ".join(sentences)
