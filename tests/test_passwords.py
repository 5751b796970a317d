"""Passwords: generated ones strong and readable, supplied ones measured as an attacker would guess them."""

from __future__ import annotations

from pathlib import Path

import pytest

from dpa_kit import passwords
from dpa_kit.exceptions import InputError


def test_generated_passwords_are_strong_readable_and_pass_the_estimate() -> None:
    generated = {passwords.generate() for _ in range(40)}
    assert len(generated) == 40
    for password in generated:
        assert len(password) == 29 and password.count("-") == 5
        assert not set(password.replace("-", "")) & set("0o1liI")
        assert passwords.estimate(password).sufficient, password
        assert passwords.check_supplied(password) == password
    assert passwords.generated_bits() > 110


# The five examples of issue 12, accepted by the character-class count: each pattern named in French.
@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Motdepasse2024!", "mot ou prénom français courant"),
        ("Azerty123456!", "suite de touches du clavier (azerty)"),
        ("Password1!Password1!", "répétition"),
        ("aaa bbb ccc ddd eee fff ggg", "répétition"),
        ("azertyuiopqsdfghjklm", "suite de touches du clavier (azerty)"),
    ],
)
def test_patterned_passwords_are_refused_with_the_reason(password: str, reason: str) -> None:
    strength = passwords.estimate(password)
    assert not strength.sufficient and strength.bits < 60
    assert reason in strength.reason
    with pytest.raises(InputError) as caught:
        passwords.check_supplied(password)
    message = str(caught.value)
    assert "trop faible" in message and reason in message
    assert password not in message  # never echoed
    assert "CNIL" in message and "12 caractères" in message and "7 mots" in message
    assert "--" not in message and "DPA_KIT" not in message  # facts, not flags of one edge


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("xK9#mQ2$vL7@pR4!", True),  # 16 random characters of four kinds
        ("q8Rt3vXm9LpZ2w", True),  # 14 random characters of three kinds (CNIL: 80 bits)
        ("jument-cartable-frigo-pelouse-chaussette-brouette-ananas-girafe", True),  # 8 words
        ("motdepasse", False),
        ("Password123!", False),
        ("Abcdefgh12345x", False),  # 14 characters of three kinds, but a sequence and a common word
        ("soleil2026", False),
        ("aaaaaaaaaaaaaaaaaaaaaaaa", False),
        ("a" * 200, False),  # longer than zxcvbn measures at once
        ("Ceci est une phrase de passe tout à fait banale", False),
        ("qsdfghjklm2024", False),
        ("Bonjour1234!", False),
    ],
)
def test_estimate(password: str, ok: bool) -> None:
    assert passwords.estimate(password).sufficient is ok


def test_empty_password() -> None:
    assert passwords.estimate("").bits == 0
    with pytest.raises(InputError, match="vide"):
        passwords.check_supplied("   ")


def test_french_lists_are_shipped_with_the_package() -> None:
    words, keyboard = passwords._dictionaries()
    assert {"motdepasse", "azerty", "soleil", "bonjour"} <= set(words)
    assert {"azerty", "qsdfgh", "wxcvbn"} <= keyboard


def test_supplied_reads_the_file_then_what_the_edge_passed(tmp_path: Path) -> None:
    secret = tmp_path / "mdp.txt"
    secret.write_text("premiere ligne\nseconde\n", encoding="utf-8")
    assert passwords.supplied(secret, "de l'environnement") == "premiere ligne"
    assert passwords.supplied(None, "de l'environnement") == "de l'environnement"
    assert passwords.supplied(None, None) is None and passwords.supplied(None, "") is None
    empty = tmp_path / "vide.txt"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="vide"):
        passwords.supplied(empty)


def test_passwords_module_reads_no_environment() -> None:
    source = Path(passwords.__file__).read_text(encoding="utf-8")
    assert "os.environ" not in source and "getenv" not in source
