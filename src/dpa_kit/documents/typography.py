"""French typography of written documents: no-break spaces before « : ; ! ? » and inside « guillemets ».

French puts a space before the high punctuation and inside guillemets, and a line must never start with
« : » or « » »: the space is a no-break one (U+00A0 before the colon, the narrow U+202F elsewhere). The
writers apply it to the text they lay out (:func:`typeset_blocks`) and to the Markdown they write
(:func:`typeset_markdown`); the rendered text itself keeps plain spaces, so that checks and comparisons
read it as people type it. URLs, e-mail addresses, times (18:00) and code spans are never touched.
"""

from __future__ import annotations

import re
from dataclasses import replace

from dpa_kit.documents.markdown import Block, Run

__all__ = ["NBSP", "NNBSP", "french_spacing", "typeset_blocks", "typeset_markdown"]

NBSP = "\u00a0"  # before « : »
NNBSP = "\u202f"  # before « ; ! ? » and inside « guillemets »

_SPACES = r"[ \t\u00a0\u202f]"
# Text that keeps its punctuation as written: addresses, e-mail addresses.
_PROTECTED = re.compile(
    r"(?:\b(?:https?|ftp|mailto|file):|\bwww\.)[^\s<>«»\"]*[^\s<>«»\".,;:!?)\]]"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
)
# In Markdown, also code spans and autolinks.
_PROTECTED_MD = re.compile(r"(`+)[^`]*?\1|<[^<>\s]+>|" + _PROTECTED.pattern)
# What may follow a high punctuation mark for it to be one (not « a:b », « 18:00 », « ?id= »).
_AFTER = r"(?=$|[\s*_)\]»\"'.,;:!?…])"
_RULES = [
    (re.compile(rf"{_SPACES}+:{_AFTER}"), NBSP + ":"),
    (re.compile(rf"{_SPACES}+([;!?]){_AFTER}"), NNBSP + r"\1"),
    # A missing space after a letter (« Pourquoi? », « Note: ») is added.
    (re.compile(rf"(?<=[^\W\d_]):{_AFTER}"), NBSP + ":"),
    (re.compile(rf"(?<=[^\W\d_])([;!?]){_AFTER}"), NNBSP + r"\1"),
    (re.compile(rf"«{_SPACES}*(?=\S)"), "«" + NNBSP),
    (re.compile(rf"(?<=\S){_SPACES}*»"), NNBSP + "»"),
]


def _spacing(text: str) -> str:
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def _outside(text: str, protected: re.Pattern[str]) -> str:
    out, position = [], 0
    for match in protected.finditer(text):
        out.append(_spacing(text[position : match.start()]))
        out.append(match.group(0))
        position = match.end()
    out.append(_spacing(text[position:]))
    return "".join(out)


def french_spacing(text: str) -> str:
    """``text`` with French no-break spaces before « : ; ! ? » and inside « guillemets »."""
    return _outside(text, _PROTECTED)


def typeset_markdown(markdown: str) -> str:
    """The Markdown source typeset line by line; code spans, autolinks, URLs and addresses left as written."""
    return "\n".join(_outside(line, _PROTECTED_MD) for line in markdown.split("\n"))


def typeset_blocks(blocks: list[Block]) -> list[Block]:
    """The blocks with their text typeset, a no-break space also where a run meets the next (« **a** : b »)."""
    return [
        replace(
            block,
            runs=_typeset_runs(block.runs),
            rows=tuple(tuple(_typeset_runs(cell) for cell in row) for row in block.rows),
        )
        for block in blocks
    ]


def _typeset_runs(runs: tuple[Run, ...]) -> tuple[Run, ...]:
    """Typeset the text of a paragraph as a whole (the rules see across runs), then cut it back into runs.

    A code run keeps its text and separates the paragraph into pieces typeset on their own.
    """
    out: list[Run] = []
    group: list[Run] = []
    for run in (*runs, None):
        if run is not None and not run.code:
            group.append(run)
            continue
        if group:
            original = "".join(r.text for r in group)
            typeset = french_spacing(original)
            position = 0
            for r, end in zip(group, _ends(original, typeset, [len(r.text) for r in group]), strict=True):
                out.append(replace(r, text=typeset[position:end]))
                position = end
            group = []
        if run is not None:
            out.append(run)
    return tuple(out)


def _ends(original: str, typeset: str, lengths: list[int]) -> list[int]:
    """Where each piece of ``original`` (of the given lengths) ends in ``typeset``.

    The rules only turn a stretch of spaces into one no-break space or insert one: walking both texts side
    by side, a space inserted at the meeting of two runs goes to the second one.
    """
    ends, i, j, end = [], 0, 0, 0
    for length in lengths:
        end += length
        while i < end:
            a, b = original[i], typeset[j] if j < len(typeset) else ""
            if a == b:
                i, j = i + 1, j + 1
            elif a in _SPACE_CHARS and (b not in _NB or original[i + 1 : i + 2] in _SPACE_LIST):
                i += 1  # a space dropped: several spaces became one
            elif a in _SPACE_CHARS:
                i, j = i + 1, j + 1  # a space made a no-break one
            elif j < len(typeset):
                j += 1  # a no-break space inserted before this character
            else:  # cannot happen (the rules change no letter); never loop for ever
                i = end
        ends.append(j)
    ends[-1] = len(typeset)
    return ends


_SPACE_CHARS = " \t\u00a0\u202f"
_SPACE_LIST = tuple(_SPACE_CHARS)
_NB = (NBSP, NNBSP)
