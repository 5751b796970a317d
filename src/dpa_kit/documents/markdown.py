"""The shared Markdown pipeline: the Jinja2 environment, template rendering, and Markdown to blocks.

Every document (annex, attestation, register) is a Jinja2 template rendered to a small Markdown
subset, then parsed into :class:`Block` objects that every writer (HTML, DOCX, ODT, PDF) consumes, so
that all formats carry exactly the same text. A user's ``--templates DIR`` is searched before the
templates shipped with dpa-kit.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dpa_kit.exceptions import RenderError
from dpa_kit.words import DRAFT_BANNER

if TYPE_CHECKING:  # imported when a template is rendered: `dpa-kit check` renders none
    import jinja2

__all__ = [
    "BLANK_PREFIX",
    "BLANK_RE",
    "Blank",
    "Block",
    "Cell",
    "Run",
    "Safe",
    "banner_markdown",
    "blank",
    "environment",
    "mark_blanks",
    "md_escape",
    "packaged_templates",
    "parse_blocks",
    "plain_text",
    "render_template",
    "tidy",
]

BLANK_PREFIX = "À COMPLÉTER : "
BLANK_RE = re.compile(r"\[À COMPLÉTER : [^\]]*\]")


class Safe(str):
    """Text already in Markdown form: not escaped again."""


class Blank(Safe):
    """A visible blank left in a document for a missing answer."""


def blank(label: str) -> Blank:
    """The visible blank « [À COMPLÉTER : label] »."""
    return Blank(f"[{BLANK_PREFIX}{label}]")


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


def banner_markdown() -> str:
    """The draft banner as the first paragraph of a Markdown document."""
    return f"**{DRAFT_BANNER}**\n\n"


def tidy(text: str) -> str:
    """Trailing spaces removed, at most one empty line in a row, one final newline."""
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip() + "\n"


# --- the template environment -------------------------------------------------------------------


def packaged_templates() -> Path:
    """The folder of the templates shipped with dpa-kit (inside the installed package)."""
    # what importlib.resources.files("dpa_kit") gives for an installed package, without importing it (~7 ms)
    packaged = Path(__file__).resolve().parents[1] / "templates"
    if packaged.is_dir():
        return packaged
    # An editable install or a source tree: the templates sit at the top of the checkout.
    return Path(__file__).resolve().parents[3] / "templates"


@functools.lru_cache(maxsize=16)
def environment(templates: Path | None = None, *, autoescape: bool = False) -> jinja2.Environment:
    """A strict Jinja2 environment that looks in the user's folder first, then the packaged one.

    Cached: compiling the annex template costs more than rendering it. Jinja2 still reloads a template
    whose file changed on disk.
    """
    import jinja2

    search = [str(templates)] if templates else []
    search.append(str(packaged_templates()))
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        keep_trailing_newline=True,
        finalize=None if autoescape else md_escape,
        bytecode_cache=_bytecode_cache(),
    )


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Jinja2's cache of compiled templates, in a private (0700) folder of the user's temporary directory.

    Compiling the annex template takes ~100-200 ms, more than everything else ``check`` does; the cache is
    keyed by the template's file and source checksum, so an edited template is compiled again. Templates only
    are cached, never a rendered document. None (no cache) when no safe folder can be found.
    """
    import jinja2

    try:
        return jinja2.FileSystemBytecodeCache()
    except (RuntimeError, OSError):
        return None


def render_template(name: str, context: dict[str, Any], templates: Path | None = None) -> str:
    """Render the Markdown template ``name``; any template error becomes a RenderError naming it."""
    import jinja2

    try:
        return environment(templates).get_template(name).render(context)
    except jinja2.TemplateError as exc:
        raise RenderError(f"modèle {name} : {exc}") from exc


# --- Markdown to blocks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """A piece of text with its emphasis."""

    text: str
    bold: bool = False
    italic: bool = False
    blank: bool = False
    #: Code (`...`): its characters are shown as written, never typeset.
    code: bool = False


#: A table's cell: its runs.
Cell = tuple[Run, ...]


@dataclass(frozen=True)
class Block:
    """A heading (level 1-2), a paragraph (level 0), a list item (``bullet`` depth 1-2) or a table.

    A table (``kind`` "table", from a Markdown pipe table) has no runs: its ``rows`` hold its cells, the
    first row being its header; ``align`` gives each column's alignment ("left", "center", "right" or "").
    """

    kind: str  # "heading" | "paragraph" | "item" | "table"
    runs: tuple[Run, ...]
    level: int = 0
    rows: tuple[tuple[Cell, ...], ...] = ()
    align: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        if self.kind == "table":
            return "\n".join(" ".join("".join(run.text for run in cell) for cell in row) for row in self.rows)
        return "".join(run.text for run in self.runs)


@functools.cache
def _markdown_parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table")


def parse_blocks(markdown: str) -> list[Block]:
    """Parse the Markdown subset of the templates into blocks (CommonMark and pipe tables, by markdown-it-py)."""
    tokens = _markdown_parser().parse(markdown)
    blocks: list[Block] = []
    depth = 0
    heading = 0
    table: list[list[Cell]] | None = None
    align: list[str] = []
    for token in tokens:
        if token.type == "bullet_list_open":
            depth += 1
        elif token.type == "bullet_list_close":
            depth -= 1
        elif token.type == "heading_open":
            heading = int(token.tag[1])
        elif token.type == "heading_close":
            heading = 0
        elif token.type == "table_open":
            table, align = [], []
        elif token.type == "table_close" and table is not None:
            width = max(len(row) for row in table)
            rows = tuple(tuple(row) + ((),) * (width - len(row)) for row in table)
            blocks.append(Block("table", (), rows=rows, align=tuple(align[:width])))
            table = None
        elif token.type == "tr_open" and table is not None:
            table.append([])
        elif token.type in {"th_open", "td_open"} and table is not None and len(table) == 1:
            style = str(token.attrs.get("style") or "")
            align.append(style.removeprefix("text-align:").strip())
        elif token.type == "inline":
            runs = tuple(_runs(token.children or []))
            if table is not None:
                table[-1].append(runs)
            elif heading:
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
        elif child.type == "code_inline":
            yield Run(child.content, bold, italic, code=True)
        elif child.type == "text":
            yield from _split_blanks(child.content, bold, italic)


def _split_blanks(text: str, bold: bool, italic: bool) -> Iterable[Run]:
    """The text cut into runs, every blank and typed placeholder (« [...] », « XXXX »: rule P201) marked."""
    position = 0
    for start, end in _blank_spans(text):
        if start > position:
            yield Run(text[position:start], bold, italic)
        yield Run(text[start:end], bold, italic, blank=True)
        position = end
    if position < len(text):
        yield Run(text[position:], bold, italic)


def _blank_spans(text: str) -> list[tuple[int, int]]:
    """Where the visible blanks and the placeholders of ``text`` are (the catalogue of :mod:`dpa_kit.placeholders`)."""
    if not text.strip():
        return []
    from dpa_kit.placeholders import find_placeholders

    return [(hit.offset, hit.end) for hit in find_placeholders(text)]


#: How the Markdown output marks a blank or a placeholder (the « mark » extension: pandoc, markdown-it, Obsidian).
MARK = "=="
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def mark_blanks(markdown: str) -> str:
    """The Markdown with every blank and typed placeholder marked ``==[...]==``, so that a reader sees each one.

    Placeholders are found in the text as a reader sees it (Markdown escapes removed), line by line.
    """
    out = []
    for line in markdown.split("\n"):
        # The line without its backslash escapes, and where each of its characters (escape included) starts.
        shown, begins, index = [], [], 0
        while index < len(line):
            begins.append(index)
            escaped = _ESCAPED.match(line, index)
            index = escaped.start(1) if escaped else index
            shown.append(line[index])
            index += 1
        begins.append(len(line))
        spans = _blank_spans("".join(shown))
        for start, end in reversed(spans):
            first, last = begins[start], begins[end]
            if line[max(0, first - len(MARK)) : first] == MARK:
                continue
            line = f"{line[:first]}{MARK}{line[first:last]}{MARK}{line[last:]}"
        out.append(line)
    return "\n".join(out)


def plain_text(blocks: list[Block]) -> str:
    """The blocks as plain text, one per line (for comparisons and checks)."""
    return "\n".join(block.text for block in blocks)
