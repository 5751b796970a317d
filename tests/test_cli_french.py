"""Click's own messages (usage, help, bad values) come out in French, from the catalogue shipped in the package."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from helpers import run

PO = Path(__file__).parent.parent / "src" / "dpa_kit" / "cli" / "locale" / "fr" / "LC_MESSAGES" / "click.po"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["build", "-j", "0"], "Erreur : valeur invalide pour '-j' / '--jobs' : 0 : valeur hors limites (de 1 à 64)."),
        (["bild"], "Erreur : commande inconnue « bild ». Vouliez-vous dire 'build' ?"),
        (["regster"], "Erreur : commande inconnue « regster ». (Vouliez-vous dire l'une de : 'ledger', 'register' ?)"),
        (["list", "--formt", "json"], "Erreur : option inconnue « --formt ». Vouliez-vous dire '--format' ?"),
        (
            ["list", "--format", "xml"],
            "Erreur : valeur invalide pour '--format' : « xml » n'est pas une réponse possible : « tableau », « json »",
        ),
        (
            ["breach", "declare", "--people", "beaucoup"],
            "Erreur : valeur invalide pour '--people' : « beaucoup » n'est pas un entier valide.",
        ),
        (
            ["breach", "declare", "--people", "-1"],
            "Erreur : valeur invalide pour '--people' : -1 : valeur hors limites (0 ou plus).",
        ),
        (["annex"], "Erreur : argument manquant 'FICHIER'."),
        (["list", "a", "b"], "Erreur : argument en trop (b)"),
        (
            ["annex", "x.yaml", "--templates", "/nulle/part"],
            "Erreur : valeur invalide pour '--templates' : Dossier « /nulle/part » n'existe pas.",
        ),
        (["breach", "notify", "V-1", "--eml"], "Erreur : l'option « --eml » attend une valeur."),
    ],
)
def test_bad_input_is_refused_in_french(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == message
    assert all(line.startswith("Aide : ") and line.endswith(" --help") for line in lines[1:])


def test_help_is_in_french() -> None:
    text = run("build", "--help").output
    flat = " ".join(text.split())
    assert text.startswith("Utilisation : cli build [OPTIONS] [DOSSIER]")
    assert "Options :" in text and "Affiche cette aide et quitte." in text
    assert "-j, --jobs ENTIER RANGE" not in text and "[de 1" in text and "<=" not in text
    assert "[par défaut : annexes]" in flat
    assert "Commandes :" in run("--help").output
    usage = run("breach", "register", "--help").output.splitlines()[0]
    assert usage == "Utilisation : cli breach register [OPTIONS] COMMANDE [ARGUMENTS]..."
    assert "[obligatoire]" in run("breach", "inform", "--help").output
    for english in ("Usage:", "Show this message", "default:", "required]", "INTEGER", "DIRECTORY"):
        assert english not in text + run("breach", "receive", "--help").output, english


def test_every_message_of_the_catalogue_is_translated_with_the_same_placeholders() -> None:
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    fields = re.compile(r"\{(\w+)[^}]*\}|%\((\w+)\)s")

    def names(text: str) -> set[str]:
        return {a or b for a, b in fields.findall(text)}

    messages = [m for m in catalog if m.id]
    assert len(messages) > 50
    for message in messages:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), ids
        for source, translation in zip(ids, strings, strict=True):
            assert names(translation) == names(source), (source, translation)


def test_a_group_called_alone_shows_its_help_not_an_error() -> None:
    result = run("breach")
    assert result.exit_code == 2
    assert result.stderr.startswith("Utilisation : cli breach [OPTIONS] COMMANDE [ARGUMENTS]...")
    assert "Erreur" not in result.stderr


def test_the_shipped_compiled_catalogue_is_the_po_file() -> None:
    from dpa_kit.cli.common import compile_catalogue

    shipped = PO.with_suffix(".mo").read_bytes()
    assert shipped == compile_catalogue(), "click.po changed: regenerate click.mo with compile_catalogue()"
