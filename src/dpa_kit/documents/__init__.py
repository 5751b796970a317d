"""The document pipeline: templates to Markdown to blocks, then one writer per format.

markdown.py      Jinja2 environment (user folder first), template rendering, Markdown to blocks
writers.py       DocumentMeta, Rendered, and the md/html/docx/odt/pdf writers
annex.py         the Annexe 1 (its context contract, CONTEXT_FIELDS, and its rendering)
attestation.py   the deletion attestation
register_doc.py  the printable register of processing activities
build.py         one annex in several formats, or a whole folder in parallel, with index.html
"""

from __future__ import annotations

__all__: list[str] = []
