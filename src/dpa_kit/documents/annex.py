"""Annexe 1 as text: the Jinja2 template resolved for one convention, then parsed into blocks.

The legal wording lives in one template, ``annex1.md.j2`` (a small Markdown subset), which a user may
override with ``--templates DIR``. Every output format is produced from the same rendered Markdown,
parsed into :class:`Block` objects, so that the DOCX, ODT, HTML and PDF carry exactly the same clauses.

A value the template needs but the convention lacks goes through ``need()``: a final render refuses
the convention with the list of what is missing; a draft render shows a visible blank instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dpa_kit.clock import french_date
from dpa_kit.countries import country_name, is_eu_eea
from dpa_kit.documents.markdown import Blank, Safe, banner_markdown, blank, environment, md_escape, parse_blocks, tidy
from dpa_kit.exceptions import NotReady, RenderError
from dpa_kit.model import Convention, format_siret

if TYPE_CHECKING:  # the writers (docx, odt, pdf engines) are imported only to write: `check` needs none of them
    from dpa_kit.documents.writers import DocumentMeta, Rendered

__all__ = [
    "ANNEX_TEMPLATE",
    "CONTEXT_FIELDS",
    "document_date",
    "meta_for",
    "missing_answers",
    "render",
    "render_markdown",
]

ANNEX_TEMPLATE = "annex1.md.j2"

# The names a template may use (the documented context contract; tests keep templates within it).
CONTEXT_FIELDS = {
    "c": "the validated Convention model (dpa_kit.model.Convention)",
    "need": "need(value, label): the value, or a missing-answer error (final) / visible blank (draft)",
    "sentence": "sentence(text): the text ending with a full stop",
    "items": "items(list, label, mode): a list in French, mode 'auto', 'inline', 'inline_bare' or 'list'",
    "letter2": "letter2(): the next clause letter of section 2 (a, b, c... without gap)",
    "letter3": "letter3(): the next clause letter of section 3",
    "country": "country(code): French name of an ISO country code",
    "date_fr": "date_fr(date): « 1er janvier 2026 »",
    "sensitive_labels": "French labels of the sensitive data categories",
    "draft": "True when rendering a draft (the document then carries the draft banner)",
    "in_eea": "in_eea(code): True when the country is in the EU/EEA",
    "cap": "cap(text): the text with its first letter in capitals",
    "security_annex": "option 2: the security annex (reference, date_text, responsibilities from its matrix), or None",
}


class _Letters:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> Safe:
        letter = chr(ord("a") + self.count) if self.count < 26 else f"a{self.count - 25}"
        self.count += 1
        return Safe(letter)


@dataclass
class _Needs:
    draft: bool
    missing: list[str] = field(default_factory=list)

    def __call__(self, value: Any, label: str) -> Any:
        if value not in (None, "", []):
            return value
        self.missing.append(label)
        return blank(label)


def _sentence(text: Any) -> Any:
    if isinstance(text, Blank):
        return text
    text = " ".join(str(text).split())
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def _strip_end(text: str) -> str:
    return text.rstrip(" .;,")


def _items_factory(need: _Needs) -> Callable[..., Safe]:
    def items(values: Iterable[Any], label: str, mode: str = "auto") -> Safe:
        values = [v for v in values if str(v).strip()]
        if not values:
            return Safe(md_escape(need(None, label)) if label else "")
        texts = [md_escape(_strip_end(str(v))) for v in values]
        if mode == "inline_bare":
            return Safe(", ".join(texts))
        if mode == "inline" or (mode == "auto" and len(texts) == 1):
            return Safe(", ".join(texts) + ".")
        lines = [f"- {t} ;" for t in texts[:-1]] + [f"- {texts[-1]}."]
        return Safe("\n\n" + "\n".join(lines))

    return items


def _in_eea(code: Any) -> bool:
    return isinstance(code, str) and is_eu_eea(code)


def _cap(text: Any) -> Any:
    if isinstance(text, Blank) or not str(text):
        return text
    value = str(text)
    capped = value[0].upper() + value[1:]
    return Safe(capped) if isinstance(text, Safe) else capped


def _country(code: Any) -> Any:
    return code if isinstance(code, Blank) else country_name(str(code))


#: The context functions whose result is only written into the text (dpa_kit.documents.needs.TEXT).
_TEXT_FUNCTIONS = ("sentence", "letter2", "letter3", "country", "date_fr", "cap")


def _context(
    convention: Convention, functions: dict[str, Any], *, draft: bool, templates: Path | None
) -> dict[str, Any]:
    return {
        "c": convention,
        **functions,
        "sensitive_labels": [s.label for s in convention.processing.sensitive_data],
        "draft": draft,
        "in_eea": _in_eea,
        "security_annex": _security_annex(convention, templates),
    }


def _body(convention: Convention, *, draft: bool, templates: Path | None) -> tuple[str, list[str]]:
    """The template resolved for ``convention`` and the answers it lacked (blanks when ``draft``)."""
    need = _Needs(draft)
    functions = {
        "need": need,
        "sentence": _sentence,
        "items": _items_factory(need),
        "letter2": _Letters(),
        "letter3": _Letters(),
        "country": _country,
        "date_fr": french_date,
        "cap": _cap,
    }
    context = _context(convention, functions, draft=draft, templates=templates)
    import jinja2  # here: `check` finds the missing answers without rendering (dpa_kit.documents.needs)

    env = environment(templates)
    try:
        body = env.get_template(ANNEX_TEMPLATE).render(context)
    except jinja2.UndefinedError as exc:
        raise RenderError(f"modèle {ANNEX_TEMPLATE} : valeur indéfinie ({exc.message})") from exc
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"modèle {exc.filename or exc.name}, ligne {exc.lineno} : {exc.message}") from exc
    except jinja2.TemplateError as exc:
        raise RenderError(f"modèle {ANNEX_TEMPLATE} : {exc}") from exc
    return body, need.missing


def render(
    convention: Convention, *, draft: bool = False, templates: Path | None = None, not_ready: bool = False
) -> Rendered:
    """The filled Annexe 1, ready for every writer; raises NotReady listing missing answers unless ``draft``.

    The result is a draft (banner on every page) only when ``draft`` is asked *and* the convention is not
    ready: answers are missing, or ``not_ready`` says that checks forbid the signature.
    """
    body, missing = _body(convention, draft=True, templates=templates)
    if missing and not draft:
        raise NotReady(convention.id, missing)
    is_draft = draft and (bool(missing) or not_ready)
    from dpa_kit.documents.writers import Rendered

    text = _title_line(convention) + tidy(body)
    markdown = (banner_markdown() if is_draft else "") + text
    return Rendered(markdown, parse_blocks(text), meta_for(convention, is_draft))


def _security_annex(convention: Convention, templates: Path | None) -> Any:
    from dpa_kit.security import annex1_context  # security imports this module

    return annex1_context(convention, templates)


def render_markdown(convention: Convention, *, draft: bool = False, templates: Path | None = None) -> str:
    """The filled Annexe 1 as Markdown (the ``md`` output); see :func:`render`."""
    return render(convention, draft=draft, templates=templates).markdown


def missing_answers(convention: Convention, templates: Path | None = None) -> list[str]:
    """What the annex (and, for security option 2, its security annex) still needs (empty when ready to sign)."""
    from dpa_kit.security import missing_answers as security_missing  # security imports this module

    missing = _needs(convention, templates)
    if missing is None:
        missing = _body(convention, draft=True, templates=templates)[1]
    return list(dict.fromkeys([*missing, *security_missing(convention, templates)]))


def _needs(convention: Convention, templates: Path | None) -> list[str] | None:
    """The labels of a draft render, found without rendering (None: the template must be rendered)."""
    from dpa_kit.documents.needs import ITEMS, NEED, TEXT, needs_of

    functions = {"need": NEED, "items": ITEMS, **dict.fromkeys(_TEXT_FUNCTIONS, TEXT)}
    return needs_of(ANNEX_TEMPLATE, _context(convention, functions, draft=True, templates=templates), templates)


def _title_line(convention: Convention) -> str:
    """The identification line: the convention and its parties by their legal names and SIRET."""
    controller = convention.controller.name or "Département du Pas-de-Calais"
    processor = convention.processor.name or convention.processor.display_name or "la structure"
    siret = convention.processor.siret
    identity = (
        f"{md_escape(processor)} (SIRET {format_siret(siret)}, sous-traitant)"
        if siret
        else f"{md_escape(processor)} (sous-traitant)"
    )
    title = f" « {md_escape(convention.title)} »" if convention.title else ""
    return f"*Convention{title}. Parties : {md_escape(controller)} (responsable de traitement) et {identity}.*\n\n"


def document_date(convention: Convention) -> date:
    """The fixed date written into document metadata, so that output is byte-identical across runs."""
    return convention.period.start or date(2000, 1, 1)


def meta_for(convention: Convention, draft: bool) -> DocumentMeta:
    """The metadata (title, author, subject, fixed date) of the annex of ``convention``."""
    from dpa_kit.documents.writers import DocumentMeta

    processor = convention.processor.display_name or "structure"
    title = f"Annexe 1 - Protection des données - {convention.id}"
    operation = f" : {convention.title}" if convention.title else ""
    subject = f"Convention {convention.id}{operation} ({processor})"
    return DocumentMeta(
        title=title,
        author=convention.controller.name or "Département du Pas-de-Calais",
        subject=subject,
        day=document_date(convention),
        draft=draft,
        header=f"Annexe 1 · Convention {convention.id} · {processor}",
    )
