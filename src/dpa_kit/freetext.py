"""Free text typed by a person (breach answers, the DPO's decisions): what may be recorded, and how any
recorded text is made safe to write in a table.

A text is recorded in the append-only ledger and e-mailed: it is refused at the door when it holds a
control character (C0, DEL, C1; line feeds and tabs only where several lines are allowed), a lone
surrogate or a non-character (which XML, hence XLSX, ODS, DOCX and ODT, cannot carry), or a bidirectional
override (which shows a text other than the one stored), or when it is longer than its field allows.
Texts recorded before these checks may still hold such characters: :func:`visible` replaces them with
U+FFFD wherever a text is written out, so that no export ever fails on them.
"""

from __future__ import annotations

import re

__all__ = [
    "LONG_TEXT",
    "NUMBER_DIGITS",
    "SHORT_TEXT",
    "one_kind_of_line_break",
    "problem",
    "too_many_digits",
    "visible",
]

#: The longest text of a field of several lines (a description, measures, the reasons of a delay).
LONG_TEXT = 5000
#: The longest text of a one-line field (a contact, a reference, a channel, a typed choice or instant).
SHORT_TEXT = 300
#: The most digits a typed number may have (a count of people or records, a choice number).
NUMBER_DIGITS = 12

_BIDI = "\u202a-\u202e\u2066-\u2069"
# Never in a recorded text: C0 controls but tab and line breaks (LF, CR: a browser's text area sends CR LF),
# DEL and C1 controls, bidirectional embeddings/overrides/isolates, lone surrogates, U+FFFE and U+FFFF; in a
# one-line text, no tab nor line break either.
_FORBIDDEN = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}\ud800-\udfff\ufffe\uffff]")
_FORBIDDEN_ONE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}\ud800-\udfff\ufffe\uffff]")
# Replaced when a text is written out: everything XML 1.0 cannot hold, C1 controls and bidirectional
# overrides. Tab, line feed and carriage return stay (a cell may hold several lines).
_UNSAFE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}\ud800-\udfff\ufffe\uffff]")
_DIGITS = re.compile(rf"\d{{{NUMBER_DIGITS + 1},}}")


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", "\u202f")


def problem(text: str, name: str, *, limit: int, multiline: bool) -> str | None:
    """The French reason why ``text`` cannot be recorded as the field ``name``, or None when it can.

    ``multiline``: line breaks and tabs allowed (a description, the reasons of a delay).
    """
    found = (_FORBIDDEN if multiline else _FORBIDDEN_ONE_LINE).search(text)
    if found:
        char = found.group()
        what = (
            "retour à la ligne ou tabulation"
            if char in "\n\t\r"
            else "caractère de direction du texte"
            if re.fullmatch(f"[{_BIDI}]", char)
            else "caractère de contrôle"
        )
        return (
            f"« {name} » : {what} interdit (U+{ord(char):04X}) en position {found.start() + 1} ; "
            "supprimez-le (souvent un copier-coller depuis un autre logiciel)"
        )
    if len(text) > limit:
        return (
            f"« {name} » trop long : {_thousands(limit)} caractères au plus ({_thousands(len(text))} saisis) ; "
            "joignez les détails en pièce jointe chiffrée"
        )
    return None


def one_kind_of_line_break(text: str) -> str:
    """``text`` with its CR LF and CR line breaks (a browser's text area) made LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def too_many_digits(text: str) -> bool:
    """True when ``text`` holds a number of more than :data:`NUMBER_DIGITS` digits (« nombre trop grand »)."""
    return _DIGITS.search(text) is not None


def visible(text: str) -> str:
    """``text`` with every character an export cannot hold (or should not show) replaced by U+FFFD."""
    return _UNSAFE.sub("\ufffd", text)
