"""User-facing words shared by the library and both edges (CLI and web).

Every French phrase that more than one module shows lives here, so that a document, a terminal and a
web page say the same thing. Messages specific to one error stay next to the code raising it.
"""

from __future__ import annotations

__all__ = ["DRAFT_BANNER", "DRAFT_WORD"]

#: The word that marks a document that must not be signed.
DRAFT_WORD = "PROJET"
#: The banner shown on every page of a draft document, in every format.
DRAFT_BANNER = f"{DRAFT_WORD} : document incomplet, à ne pas signer"
