"""Passwords: generated ones strong and readable, supplied ones measured as an attacker would guess them."""

from __future__ import annotations

import re
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


# --- an account's password refused: the real reason and what to do -----------------------------------------

ACCOUNT_BITS = 50  # what the web application's accounts require (accounts.MIN_PASSWORD_BITS)
KNOWN = passwords.known_words("rgpd@ccas-bethune.fr", "CCAS de Béthune")


@pytest.mark.parametrize(
    ("password", "bits", "found"),
    [
        ("cheval-violet-lampe-nuage", "41,6", "4 mots courants (dictionnaire, prénoms, noms) sont parmi les premiers"),
        ("Association-Bethune-2026", "34,7", "le nom de votre structure ou de votre adresse, une année et un mot"),
    ],
)
def test_a_refused_account_password_says_the_real_reason_and_a_next_step_that_works(
    password: str, bits: str, found: str
) -> None:
    said = passwords.refusal(password, required_bits=ACCOUNT_BITS, min_length=12, known=KNOWN)
    assert said is not None and said.startswith("mot de passe trop faible, car trop facile à deviner : ")
    assert found in said
    assert f"(estimation : {bits} bits pour 50 exigés)" in said
    assert "il en faut au moins 1,1 million de milliards d'essais" in said
    assert "au moins 12 caractères" not in said  # long enough: the length is not what is wrong
    # Never the password nor its words in a message that may be shown or logged.
    assert not [w for w in re.split(r"[-]", password.lower()) if w in said.lower()]
    # Only French: zxcvbn's English advice is translated or left out.
    assert not re.search(r"\b(the|is|are|easy|guess|Avoid)\b", said)
    # The example given is a real way out: with it added, the same password is accepted.
    added = re.search(r"par exemple en ajoutant « (-[a-z]+-[a-z]+) » à la fin\.$", said)
    assert added is not None
    assert passwords.refusal(password + added[1], required_bits=ACCOUNT_BITS, known=KNOWN) is None


def test_the_year_and_the_structures_name_are_said_as_such() -> None:
    said = passwords.refusal("Association-Bethune-2026", required_bits=ACCOUNT_BITS, known=KNOWN)
    assert said is not None
    assert "Une date se devine souvent facilement." in said and "Une majuscule au début n'aide presque pas." in said
    # Without knowing the account, the town is still a common word, not the structure's name.
    anonymous = passwords.refusal("Association-Bethune-2026", required_bits=ACCOUNT_BITS)
    assert anonymous is not None and "structure ou de votre adresse" not in anonymous
    assert "une année et 2 mots courants" in anonymous


def test_a_short_password_is_said_short_and_a_strong_one_is_accepted() -> None:
    said = passwords.refusal("Zq8#vT2!", required_bits=ACCOUNT_BITS, min_length=12)
    assert said is not None and "8 caractères, il en faut au moins 12" in said
    assert passwords.refusal(passwords.generate(), required_bits=ACCOUNT_BITS, known=KNOWN) is None
    assert passwords.known_words("Sécrétariat@CCAS-Béthune.fr") == ("secretariat", "ccas", "bethune")


def test_the_web_accounts_refuse_with_the_real_reason(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from dpa_kit.accounts import Accounts, Policy, web_database_path
    from dpa_kit.exceptions import UsageError
    from dpa_kit.ledger import Ledger

    now = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
    ledger_path = tmp_path / "ledger.sqlite"
    accounts = Accounts(
        web_database_path(ledger_path), Ledger(ledger_path), Policy(argon2_time_cost=1, argon2_memory_kib=8 * 1024)
    )
    _, once = accounts.add_user("rgpd@ccas-bethune.fr", "structure", "26620011900011", now=now, actor="cli")
    _, session = accounts.login("rgpd@ccas-bethune.fr", once, now=now, client="1.2.3.4")
    with pytest.raises(UsageError) as refused:
        accounts.change_password(session, "Association-Bethune-2026", "Association-Bethune-2026", now=now)
    said = str(refused.value)
    assert "le nom de votre structure ou de votre adresse, une année" in said and "34,7 bits pour 50" in said
    added = re.search(r"« (-[a-z]+-[a-z]+) »", said)
    assert added is not None
    accounts.change_password(
        session, f"Association-Bethune-2026{added[1]}", f"Association-Bethune-2026{added[1]}", now=now
    )


def test_following_the_pages_advice_leads_to_acceptance() -> None:
    assert "sans le nom de la structure ni une année" in passwords.ACCOUNT_ADVICE
    for followed in ("tortue-orange-garage-piano-vague-zomira", "cheval-violet-lampe-nuage-pilude"):
        assert passwords.refusal(followed, required_bits=ACCOUNT_BITS, known=KNOWN) is None
