"""Annexe 1 as text: the Jinja2 template resolved for one convention, then parsed into blocks.

The legal wording lives in one template, ``annex1.md.j2`` (a small Markdown subset), which a user may
override with ``--templates DIR``. Every output format is produced from the same rendered Markdown,
parsed into :class:`Block` objects, so that the DOCX, ODT, HTML and PDF carry exactly the same clauses.

A value the template needs but the convention lacks goes through ``need()``: a final render refuses
the convention with the list of what is missing; a draft render shows a visible blank instead.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from dpa_kit.clock import french_date
from dpa_kit.countries import country_name
from dpa_kit.exceptions import NotReady, RenderError
from dpa_kit.model import Convention

ANNEX_TEMPLATE = "annex1.md.j2"
BLANK_PREFIX = "À COMPLÉTER : "
BLANK_RE = re.compile(r"\[À COMPLÉTER : [^\]]*\]")

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
    "draft": "True when rendering a draft (PROJET)",
    "security_annex": "option 2: the security annex (reference, date_text, responsibilities from the matrix), else None",
}


class Safe(str):
    """Text already in Markdown form: not escaped again."""


class Blank(Safe):
    """A visible blank left in a draft for a missing answer."""


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def md_escape(value: Any) -> str:
    """Escape a value inserted into the Markdown template (Jinja ``finalize``)."""
    if isinstance(value, Safe):
        return value
    if value is None:
        raise RenderError("valeur vide insérée dans le modèle sans passer par need()")
    text = " ".join(str(value).split())
    text = _MD_SPECIAL.sub(r"\\\1", text)
    # A value at the start of a list item must not open a nested list or an ordered list.
    text = re.sub(r"^(\d+)([.)])(\s)", r"\1\\\2\3", text)
    return re.sub(r"^([-+])(\s)", r"\\\1\2", text)


# --- the template environment -------------------------------------------------------------------


def packaged_templates() -> Path:
    """The folder of the templates shipped with dpa-kit (inside the installed package)."""
    packaged = Path(str(resources.files("dpa_kit") / "templates"))
    if packaged.is_dir():
        return packaged
    # An editable install or a source tree: the templates sit at the top of the checkout.
    return Path(__file__).resolve().parents[2] / "templates"


@functools.lru_cache(maxsize=16)
def environment(templates: Path | None = None, *, autoescape: bool = False) -> jinja2.Environment:
    """A strict Jinja2 environment that looks in the user's folder first, then the packaged one.

    Cached: compiling the annex template costs more than rendering it. Jinja2 still reloads a template
    whose file changed on disk.
    """
    search = [str(templates)] if templates else []
    search.append(str(packaged_templates()))
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        keep_trailing_newline=True,
        finalize=None if autoescape else md_escape,
    )


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
        return Blank(f"[{BLANK_PREFIX}{label}]")


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


def _country(code: Any) -> Any:
    return code if isinstance(code, Blank) else country_name(str(code))


def render_markdown(
    convention: Convention, *, draft: bool = False, templates: Path | None = None
) -> str:
    """The filled Annexe 1 as Markdown; raises RenderError listing missing answers unless ``draft``."""
    need = _Needs(draft)
    context = {
        "c": convention,
        "need": need,
        "sentence": _sentence,
        "items": _items_factory(need),
        "letter2": _Letters(),
        "letter3": _Letters(),
        "country": _country,
        "date_fr": french_date,
        "sensitive_labels": [s.label for s in convention.processing.sensitive_data],
        "draft": draft,
        "security_annex": _security_annex(convention, templates),
    }
    env = environment(templates)
    try:
        body = env.get_template(ANNEX_TEMPLATE).render(context)
    except jinja2.UndefinedError as exc:
        raise RenderError(f"modèle {ANNEX_TEMPLATE} : valeur indéfinie ({exc.message})") from exc
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"modèle {exc.filename or exc.name}, ligne {exc.lineno} : {exc.message}") from exc
    except jinja2.TemplateError as exc:
        raise RenderError(f"modèle {ANNEX_TEMPLATE} : {exc}") from exc
    if need.missing and not draft:
        raise NotReady(convention.id, need.missing)
    header = _header(convention, draft and bool(need.missing))
    return header + _tidy(body)



def _security_annex(convention: Convention, templates: Path | None) -> Any:
    from dpa_kit.security import annex1_context

    return annex1_context(convention, templates)


def missing_answers(convention: Convention, templates: Path | None = None) -> list[str]:
    """What the annex still needs from this convention (empty when it is ready to sign)."""
    try:
        render_markdown(convention, templates=templates)
    except NotReady as exc:
        return exc.missing
    return []


def _header(convention: Convention, unfinished: bool) -> str:
    processor = convention.processor.display_name or "la structure"
    title = md_escape(convention.title) if convention.title else "convention"
    lines = []
    if unfinished:
        lines.append("**PROJET : document incomplet, à ne pas signer**\n\n")
    lines.append(
        f"*Convention {md_escape(convention.id)} : {title}. "
        f"Département du Pas-de-Calais et {md_escape(processor)}.*\n\n"
    )
    return "".join(lines)


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip() + "\n"


# --- Markdown to blocks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """A piece of text with its emphasis."""

    text: str
    bold: bool = False
    italic: bool = False
    blank: bool = False


@dataclass(frozen=True)
class Block:
    """A heading (level 1-2), a paragraph (level 0) or a list item (``bullet`` depth 1-2)."""

    kind: str  # "heading" | "paragraph" | "item"
    runs: tuple[Run, ...]
    level: int = 0

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)


@functools.cache
def _markdown_parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")


def parse_blocks(markdown: str) -> list[Block]:
    """Parse the Markdown subset of the templates into blocks (CommonMark, by markdown-it-py)."""
    tokens = _markdown_parser().parse(markdown)
    blocks: list[Block] = []
    depth = 0
    heading = 0
    for token in tokens:
        if token.type == "bullet_list_open":
            depth += 1
        elif token.type == "bullet_list_close":
            depth -= 1
        elif token.type == "heading_open":
            heading = int(token.tag[1])
        elif token.type == "heading_close":
            heading = 0
        elif token.type == "inline":
            runs = tuple(_runs(token.children or []))
            if heading:
                blocks.append(Block("heading", runs, heading))
            elif depth:
                blocks.append(Block("item", runs, depth))
            else:
                blocks.append(Block("paragraph", runs))
    return blocks


def _runs(children: list[Any]) -> Iterable[Run]:
    bold = italic = False
    for child in children:
        if child.type == "strong_open":
            bold = True
        elif child.type == "strong_close":
            bold = False
        elif child.type == "em_open":
            italic = True
        elif child.type == "em_close":
            italic = False
        elif child.type in {"softbreak", "hardbreak"}:
            yield Run(" ", bold, italic)
        elif child.type in {"text", "code_inline"}:
            yield from _split_blanks(child.content, bold, italic)


def _split_blanks(text: str, bold: bool, italic: bool) -> Iterable[Run]:
    position = 0
    for match in BLANK_RE.finditer(text):
        if match.start() > position:
            yield Run(text[position : match.start()], bold, italic)
        yield Run(match.group(0), bold, italic, blank=True)
        position = match.end()
    if position < len(text):
        yield Run(text[position:], bold, italic)


def plain_text(blocks: list[Block]) -> str:
    """The blocks as plain text, one per line (for comparisons and checks)."""
    return "\n".join(block.text for block in blocks)


def document_date(convention: Convention) -> date:
    """The fixed date written into document metadata, so that output is byte-identical across runs."""
    return convention.period.start or date(2000, 1, 1)
