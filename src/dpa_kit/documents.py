"""Writing documents (Markdown, HTML, DOCX, ODT, PDF) from the blocks of a rendered text.

Every writer takes the same :class:`~dpa_kit.annex.Block` list, so all formats carry the same clauses.
Output is deterministic: the same input gives byte-identical files (fixed timestamps in the DOCX and ODT
archives and in PDF metadata), so annexes can be kept under version control. Heavy libraries
(python-docx, odfdo, typst) are imported only by the writer that needs them.
"""

from __future__ import annotations

import html
import io
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from dpa_kit.annex import Block, Run, environment
from dpa_kit.exceptions import RenderError

FORMATS = ("md", "html", "docx", "odt", "pdf")


@dataclass(frozen=True)
class DocumentMeta:
    """What goes into the metadata and the page header of a document."""

    title: str
    author: str
    subject: str
    day: date
    draft: bool = False
    lang: str = "fr-FR"

    @property
    def instant(self) -> datetime:
        return datetime(self.day.year, self.day.month, self.day.day, tzinfo=timezone.utc)


def write(fmt: str, markdown: str, blocks: list[Block], meta: DocumentMeta, templates: Path | None = None) -> bytes:
    """The document in format ``fmt`` as bytes."""
    if fmt == "md":
        return markdown.encode("utf-8")
    if fmt == "html":
        return to_html(blocks, meta, templates).encode("utf-8")
    if fmt == "docx":
        return to_docx(blocks, meta)
    if fmt == "odt":
        return to_odt(blocks, meta)
    if fmt == "pdf":
        return to_pdf(blocks, meta)
    raise RenderError(f"format inconnu « {fmt} » (formats possibles : {', '.join(FORMATS)})")


# --- HTML -----------------------------------------------------------------------------------------


def _html_runs(runs: tuple[Run, ...]) -> str:
    out = []
    for run in runs:
        text = html.escape(run.text, quote=False)
        if run.italic:
            text = f"<em>{text}</em>"
        if run.bold:
            text = f"<strong>{text}</strong>"
        if run.blank:
            text = f'<mark class="blank">{text}</mark>'
        out.append(text)
    return "".join(out)


def html_body(blocks: list[Block]) -> str:
    """The blocks as an HTML fragment (nested lists for nested items)."""
    out: list[str] = []
    depth = 0
    for block in blocks:
        target = block.level if block.kind == "item" else 0
        while depth < target:
            out.append("<ul>")
            depth += 1
        while depth > target:
            out.append("</ul>")
            depth -= 1
        content = _html_runs(block.runs)
        if block.kind == "heading":
            out.append(f"<h{block.level}>{content}</h{block.level}>")
        elif block.kind == "item":
            out.append(f"<li>{content}</li>")
        else:
            out.append(f"<p>{content}</p>")
    out.extend("</ul>" for _ in range(depth))
    return "\n".join(out)


def to_html(blocks: list[Block], meta: DocumentMeta, templates: Path | None = None) -> str:
    """A standalone HTML page, A4 print stylesheet included (template ``document.html.j2``)."""
    from markupsafe import Markup

    template = environment(templates, autoescape=True).get_template("document.html.j2")
    return template.render(meta=meta, body=Markup(html_body(blocks)))


# --- DOCX -----------------------------------------------------------------------------------------


def to_docx(blocks: list[Block], meta: DocumentMeta) -> bytes:
    """A Word document (python-docx), A4, with core properties fixed for determinism."""
    from docx import Document
    from docx.enum.text import WD_COLOR_INDEX
    from docx.shared import Mm, Pt

    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(20))
    document.styles["Normal"].font.size = Pt(10.5)
    if meta.draft:
        section.header.paragraphs[0].text = "PROJET : document incomplet, à ne pas signer"
    else:
        section.header.paragraphs[0].text = meta.subject
    # python-docx resolves a style *name* by scanning every style (~3 ms a paragraph); the ids of the
    # default template's styles are stable, so they are set directly on the paragraph element.
    for name in ("Heading 1", "Heading 2", "List Bullet", "List Bullet 2"):
        document.styles[name]  # fails loudly if the template ever lacks one of them
    for block in blocks:
        paragraph = document.add_paragraph()
        if block.kind == "heading":
            paragraph._p.style = f"Heading{block.level}"
        elif block.kind == "item":
            paragraph._p.style = "ListBullet" if block.level == 1 else "ListBullet2"
        for run in block.runs:
            piece = paragraph.add_run(run.text)
            piece.bold = run.bold or None
            piece.italic = run.italic or None
            if run.blank:
                piece.font.highlight_color = WD_COLOR_INDEX.YELLOW
    props = document.core_properties
    props.title, props.author, props.subject = _core(meta.title), _core(meta.author), _core(meta.subject)
    props.language = meta.lang
    props.last_modified_by = _core(meta.author)
    props.created = props.modified = props.last_printed = meta.instant.replace(tzinfo=None)
    props.revision = 1
    buffer = io.BytesIO()
    document.save(buffer)
    return normalise_zip(buffer.getvalue())


CORE_PROPERTY_MAX = 255  # what the DOCX core properties (OPC) allow in a text field


def _core(text: str) -> str:
    """``text`` fit for a DOCX core property: no control character, at most 255 characters (cut with « … »)."""
    clean = "".join(" " if unicodedata.category(c) in {"Cc", "Cs"} else c for c in text)
    return clean if len(clean) <= CORE_PROPERTY_MAX else clean[: CORE_PROPERTY_MAX - 1].rstrip() + "…"


# --- ODT ------------------------------------------------------------------------------------------


def to_odt(blocks: list[Block], meta: DocumentMeta) -> bytes:
    """An OpenDocument text (odfdo), with meta.xml fixed for determinism."""
    from odfdo import Document, Header, List, ListItem, Paragraph, Span, Style

    document = Document("text")
    body = document.body
    body.clear()
    styles = {
        "dpa_bold": Style("text", name="dpa_bold", bold=True),
        "dpa_italic": Style("text", name="dpa_italic", italic=True),
        "dpa_bold_italic": Style("text", name="dpa_bold_italic", bold=True, italic=True),
        "dpa_blank": Style("text", name="dpa_blank", background_color="#ffff00", bold=True),
    }
    for style in styles.values():
        document.insert_style(style, automatic=True)

    def fill(paragraph: Paragraph, runs: tuple[Run, ...]) -> Paragraph:
        for run in runs:
            name = None
            if run.blank:
                name = "dpa_blank"
            elif run.bold and run.italic:
                name = "dpa_bold_italic"
            elif run.bold:
                name = "dpa_bold"
            elif run.italic:
                name = "dpa_italic"
            if name:
                paragraph.append(Span(run.text, style=name))
            else:
                paragraph.append(run.text)
        return paragraph

    if meta.draft:
        body.append(fill(Paragraph(""), (Run("PROJET : document incomplet, à ne pas signer", bold=True, blank=True),)))
    stack: list[List] = []
    last_items: list[ListItem | None] = []
    for block in blocks:
        if block.kind != "item":
            stack.clear()
            last_items.clear()
            if block.kind == "heading":
                body.append(fill(Header(block.level, "", suppress_numbering=True), block.runs))
            else:
                body.append(fill(Paragraph(""), block.runs))
            continue
        while len(stack) > block.level:
            stack.pop()
            last_items.pop()
        while len(stack) < block.level:
            new = List()
            if stack:
                holder = last_items[-1]
                if holder is None:
                    holder = ListItem()
                    stack[-1].append(holder)
                    last_items[-1] = holder
                holder.append(new)
            else:
                body.append(new)
            stack.append(new)
            last_items.append(None)
        item = ListItem()
        item.append(fill(Paragraph(""), block.runs))
        stack[-1].append(item)
        last_items[-1] = item
    info = document.meta
    info.set_title(meta.title)
    info.set_subject(meta.subject)
    info.set_initial_creator(meta.author)
    info.set_creator(meta.author)
    info.set_language(meta.lang)
    info.set_creation_date(meta.instant.replace(tzinfo=None))
    info.set_modification_date(meta.instant.replace(tzinfo=None))
    info.set_generator("dpa-kit")
    info.set_editing_cycles(1)
    buffer = io.BytesIO()
    document.save(buffer)
    return normalise_zip(buffer.getvalue(), patches={"styles.xml": _unnumbered_outline})


def _unnumbered_outline(xml: bytes) -> bytes:
    """odfdo's default outline style numbers headings ("1.", "1.1."); the annex has its own numbers."""
    import re

    def strip(match: re.Match[bytes]) -> bytes:
        tag = re.sub(rb' (loext:num-list-format|style:num-suffix|text:display-levels)="[^"]*"', b"", match.group(0))
        return re.sub(rb'style:num-format="[^"]*"', b'style:num-format=""', tag)

    return re.sub(rb"<text:outline-level-style [^>]*>", strip, xml)


# --- PDF ------------------------------------------------------------------------------------------


def _typst_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _typst_runs(runs: tuple[Run, ...]) -> str:
    out = []
    for run in runs:
        piece = _typst_string(run.text)
        if run.italic:
            piece = f"emph({piece})"
        if run.bold:
            piece = f"strong({piece})"
        if run.blank:
            piece = f"highlight(fill: rgb(\"#ffeb3b\"), {piece})"
        out.append(f"#{piece}")
    return "".join(out)


def typst_source(blocks: list[Block], meta: DocumentMeta) -> str:
    """The Typst markup of the document."""
    day = meta.day
    header = "PROJET : document incomplet, à ne pas signer" if meta.draft else meta.subject
    lines = [
        f"#set document(title: {_typst_string(meta.title)}, author: {_typst_string(meta.author)}, "
        f"date: datetime(year: {day.year}, month: {day.month}, day: {day.day}))",
        f"#set page(paper: \"a4\", margin: (x: 2cm, top: 2.2cm, bottom: 2cm), "
        f"header: align(right, text(size: 8pt, fill: luma(90), {_typst_string(header)})), "
        "numbering: \"1 / 1\")",
        "#set text(lang: \"fr\", region: \"FR\", size: 10.5pt)",
        "#set par(justify: true)",
        "#show heading.where(level: 1): set text(size: 12.5pt)",
        "#show heading.where(level: 2): set text(size: 11pt)",
        "",
    ]
    for block in blocks:
        content = _typst_runs(block.runs)
        if block.kind == "heading":
            lines.append(f"{'=' * block.level} {content}")
        elif block.kind == "item":
            lines.append(f"{'  ' * (block.level - 1)}- {content}")
        else:
            lines.append(content)
        lines.append("")
    return "\n".join(lines)


def to_pdf(blocks: list[Block], meta: DocumentMeta) -> bytes:
    """A PDF/A-2b document (Typst): A4, embedded fonts, extractable text, title and author set."""
    import typst

    source = typst_source(blocks, meta).encode("utf-8")
    try:
        return bytes(typst.compile(source, format="pdf", ignore_system_fonts=True, pdf_standards="a-2b"))
    except Exception as exc:  # typst raises its own TypstError subclasses of Exception
        raise RenderError(f"la production du PDF a échoué : {exc}") from exc


# --- deterministic archives ------------------------------------------------------------------------

_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def normalise_zip(data: bytes, patches: dict[str, Callable[[bytes], bytes]] | None = None) -> bytes:
    """Rewrite a zip (DOCX, ODT) with fixed entry timestamps, keeping order and compression per entry.

    ``patches`` maps an entry name to a function that rewrites its content.
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            fixed.compress_type = info.compress_type
            fixed.external_attr = 0o644 << 16
            content = source.read(info.filename)
            if patches and info.filename in patches:
                content = patches[info.filename](content)
            target.writestr(fixed, content)
    return buffer.getvalue()
