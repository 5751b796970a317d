"""Breach references unique across structures: ``V-2026-343097333-0001``.

Every structure keeps its own ledger, so a plain yearly sequence (``V-2026-0001``) collides as soon as the
Département receives notifications from two structures. A reference carries the structure's SIREN (the
first nine digits of its SIRET, the same for all its establishments) or, without a SIRET, a code made
from its short name, then a sequence that is unique within that structure and year.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from dpa_kit.exceptions import UsageError

__all__ = ["REFERENCE_PATTERN", "next_reference", "reference", "structure_code"]

#: Structure references (new form) and the older per-ledger form ``V-2026-0001``.
REFERENCE_PATTERN = re.compile(r"^V-(?P<year>\d{4})-(?:(?P<code>[A-Z0-9]{1,12})-)?(?P<seq>\d{4,})$")
_CODE_LENGTH = 12


def structure_code(siret: str | None, short_name: str | None = None) -> str:
    """The SIREN of ``siret`` or, failing that, up to 12 letters and digits of ``short_name``, upper case."""
    if siret:
        digits = re.sub(r"\D", "", siret)
        if len(digits) == 14:
            return digits[:9]
    if short_name:
        ascii_name = unicodedata.normalize("NFKD", short_name).encode("ascii", "ignore").decode()
        code = re.sub(r"[^A-Za-z0-9]", "", ascii_name).upper()[:_CODE_LENGTH]
        if code:
            return code
    raise UsageError(
        "impossible de construire la référence de la violation : la convention n'indique ni le SIRET "
        "ni le nom court de la structure"
    )


def reference(year: int, code: str, seq: int) -> str:
    """``V-<year>-<code>-<seq on 4 digits>``."""
    if seq < 1:
        raise ValueError("sequence numbers start at 1")
    return f"V-{year}-{code}-{seq:04d}"


def next_reference(existing: Iterable[str], year: int, code: str) -> str:
    """The next reference of ``code`` in ``year``: one more than the highest already used (gaps stay gaps)."""
    highest = 0
    for ref in existing:
        match = REFERENCE_PATTERN.match(ref)
        if match and int(match["year"]) == year and match["code"] == code:
            highest = max(highest, int(match["seq"]))
    return reference(year, code, highest + 1)
