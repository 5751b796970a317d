"""Placeholders and drafting instructions that must never survive into a signed document.

The list comes from the seed's template (DOMAIN.md, "Placeholders"): bracketed blanks, runs of X,
"A COMPLETER", the option headings and the instructions to the drafters. It is shared by the checks
on convention files and on documents edited by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PATTERNS: list[tuple[str, str]] = [
    (r"\[\s*(?:\.{2,}|…)\s*\]", "blanc « [...] »"),
    (r"«\s*(?:\.{2,}|…)\s*»", "blanc « « ... » »"),
    (r"\[\s*À COMPLÉTER[^\]]*\]", "blanc laissé par un projet « [À COMPLÉTER : ...] »"),
    (r"(?<![A-Za-z0-9])X{2,}(?![A-Za-z0-9])", "suite de X « XX » à remplacer"),
    (r"(?i)\bA\s+COMPL[EÉ]TER\b|\bÀ\s+COMPL[EÉ]TER\b", "mention « A COMPLETER »"),
    (r"(?i)\[\s*A\s+ANNEXER\s+ET\s+PERSONNALISER\s*\]", "mention « [A ANNEXER ET PERSONNALISER] »"),
    (r"(?i)\[\s*code de conduite,\s*certification\s*\]", "mention « [code de conduite, certification] »"),
    (r"(?i)«\s*Nom dispositif\s*»|\bNom dispositif\b", "mention « Nom dispositif »"),
    (r"(?i)\bNom de la structure\b", "mention « Nom de la structure »"),
    (r"(?i)\bNom du service\b", "mention « Nom du service »"),
    (r"(?i)\bmail gestionnaire du dossier\b", "mention « mail gestionnaire du dossier »"),
    (r"(?i)\bPrénom\s+NOM\b", "mention « Prénom NOM »"),
    (r"(?i)Choisir l'une des deux options", "consigne de rédaction « Choisir l'une des deux options »"),
    (r"(?i)Au choix des parties", "consigne de rédaction « Au choix des parties »"),
    (r"(?i)Quelle que soit l'option", "titre d'option « Quelle que soit l'option »"),
    (r"(?m)^\s*(?:Option [AB]|OPTION [12])\b", "titre d'option laissé dans le texte"),
    (
        r"(?i)\(\s*si limitation de la sous-traitance sur ce point\s*\)",
        "consigne « (si limitation de la sous-traitance sur ce point) »",
    ),
    (r"(?i)\(\s*à indiquer si connu[^)]*\)", "consigne « (à indiquer si connu...) »"),
    (r"(?i)\(\s*le cas échéant\s*\)\s*$", "choix « (Le cas échéant) » laissé ouvert"),
    (r"\bTODO\b|\?{3,}", "marque de travail « TODO » ou « ??? »"),
]
_COMPILED = [(re.compile(pattern), label) for pattern, label in _PATTERNS]

# "(le cas échéant)" in clause b) is part of the signed wording, not a leftover choice.
_ALLOWED = re.compile(r"figurant en annexe de la présente convention \(le cas échéant\)", re.I)


@dataclass(frozen=True)
class Placeholder:
    """One placeholder found in a text."""

    label: str
    excerpt: str
    offset: int = 0  # position in the text, for line numbers
    end: int = 0  # position just after it, so that a document can mark it


def find_placeholders(text: str) -> list[Placeholder]:
    """Every placeholder or drafting instruction in ``text``, in order of appearance."""
    # Blank out the allowed wording (same length, so offsets stay true).
    cleaned = _ALLOWED.sub(lambda m: " " * len(m.group(0)), text)
    spans: list[tuple[int, int, Placeholder]] = []
    for pattern, label in _COMPILED:
        for match in pattern.finditer(cleaned):
            if any(start < match.end() and match.start() < end for start, end, _ in spans):
                continue  # one placeholder, reported once, under the first (most specific) label
            before = max(0, match.start() - 30)
            excerpt = " ".join(cleaned[before : match.end() + 30].split())
            spans.append((match.start(), match.end(), Placeholder(label, excerpt, match.start(), match.end())))
    spans.sort(key=lambda span: span[0])
    return [hit for _, _, hit in spans]


def empty_answer_lines(text: str) -> list[str]:
    """Lines ending with "sont :" / "est :" with nothing after them (an answer left empty)."""
    lines = [line.strip() for line in text.splitlines()]
    found = []
    for index, line in enumerate(lines):
        if re.search(r"\b(sont|est|suivantes?)\s*:\s*$", line):
            following = next((line for line in lines[index + 1 :] if line), "")
            if not following or re.match(r"^(\d+-|[a-z]\)\s|Les |La |L'|Pour )", following):
                found.append(line)
    return found
