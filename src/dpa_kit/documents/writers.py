"""Writing documents (Markdown, HTML, DOCX, ODT, PDF) from the blocks of a rendered text.

Every writer takes the same :class:`~dpa_kit.documents.markdown.Block` list, so all formats carry the same clauses.
Output is deterministic: the same input gives byte-identical files (fixed timestamps in the DOCX and ODT
archives and in PDF metadata), so annexes can be kept under version control. Heavy libraries
(python-docx, odfdo, typst) are imported only by the writer that needs them.
"""

from __future__ import annotations

import html
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from dpa_kit.documents.markdown import Block, Run, environment, mark_blanks
from dpa_kit.documents.typography import french_spacing, typeset_blocks, typeset_markdown
from dpa_kit.exceptions import RenderError
from dpa_kit.words import DRAFT_BANNER

__all__ = [
    "FORMATS",
    "DocumentMeta",
    "Rendered",
    "column_shares",
    "html_body",
    "normalise_zip",
    "to_docx",
    "to_html",
    "to_odt",
    "to_pdf",
    "typst_source",
    "write",
    "write_rendered",
]

FORMATS = ("md", "html", "docx", "odt", "pdf")

#: The draft banner as every writer lays it out (French typography).
_BANNER = french_spacing(DRAFT_BANNER)

# A list item that carries its own marker (« a) », « b) », « 3) »): laid out with a hanging indent,
# never with a bullet in front of it.
_LETTERED = re.compile(r"^(?:[a-z]{1,2}\d*|\d+)\)\s")


def _is_clause_title(block: Block) -> bool:
    """A paragraph « f) **Sous-traitance** »: a lettered title, kept on the page of the text it opens."""
    if block.kind != "paragraph" or len(block.text) > 150 or not _LETTERED.match(block.text):
        return False
    words = [run for run in block.runs if run.text.strip()]
    return all(run.bold for run in words[1:]) and (words[0].bold or _LETTERED.fullmatch(words[0].text) is not None)


def column_shares(block: Block) -> list[float]:
    """Each column's share of a table's width, from the length of its cells (long ones capped).

    A column is at least as wide as its longest word, so that a heading such as « Sous-traitant » is not
    cut, and at most as wide as a 40-character cell: a long title wraps in its column.
    """
    width = len(block.rows[0]) if block.rows else 0
    weights = []
    for column in range(width):
        texts = ["".join(run.text for run in row[column]) for row in block.rows]
        longest_word = max((len(word) for text in texts for word in text.split()), default=1)
        # A bold heading in a narrow column takes more room than its letters (capitals, wide fonts): a margin.
        weights.append(max(longest_word * 1.5 + 2, min(40, max((len(text) for text in texts), default=1))))
    total = sum(weights) or 1
    return [weight / total for weight in weights]


@dataclass(frozen=True)
class DocumentMeta:
    """What goes into the metadata and the page header of a document."""

    title: str
    author: str
    subject: str
    day: date
    draft: bool = False
    lang: str = "fr-FR"
    #: The line at the top of every page (convention and structure); the subject when empty.
    header: str = ""

    @property
    def running_header(self) -> str:
        return self.header or self.subject

    @property
    def instant(self) -> datetime:
        return datetime(self.day.year, self.day.month, self.day.day, tzinfo=UTC)


@dataclass(frozen=True)
class Rendered:
    """A rendered document, ready for any writer.

    ``markdown`` is the ``md`` output (a draft starts with the banner paragraph); ``blocks`` are the
    body the other writers lay out, *without* the banner, which each writer places itself once (page
    header or top of the page); ``meta.draft`` says whether the document is a draft.
    """

    markdown: str
    blocks: list[Block]
    meta: DocumentMeta

    @property
    def is_draft(self) -> bool:
        return self.meta.draft


def write_rendered(fmt: str, rendered: Rendered, templates: Path | None = None) -> bytes:
    """The rendered document in format ``fmt`` as bytes."""
    return write(fmt, rendered.markdown, rendered.blocks, rendered.meta, templates)


def write(fmt: str, markdown: str, blocks: list[Block], meta: DocumentMeta, templates: Path | None = None) -> bytes:
    """The document in format ``fmt`` as bytes, in French typography (:mod:`dpa_kit.documents.typography`)."""
    if fmt == "md":
        return typeset_markdown(mark_blanks(markdown)).encode("utf-8")
    blocks = typeset_blocks(blocks)
    meta = replace(meta, header=french_spacing(meta.running_header))
    if fmt == "html":
        return to_html(blocks, meta, templates).encode("utf-8")
    if fmt == "docx":
        return to_docx(blocks, meta, templates)
    if fmt == "odt":
        return to_odt(blocks, meta, templates)
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


def _html_table(block: Block) -> str:
    shares = column_shares(block)
    out = ['<table class="matrix">', "<colgroup>"]
    out.extend(f'<col style="width: {share * 100:.1f}%">' for share in shares)
    out.append("</colgroup>")
    for number, row in enumerate(block.rows):
        tag = "th" if number == 0 else "td"
        if number <= 1:
            out.append("<thead>" if number == 0 else "<tbody>")
        cells = []
        for column, cell in enumerate(row):
            align = block.align[column] if column < len(block.align) else ""
            attribute = f' class="{align}"' if align in {"center", "right"} else ""
            cells.append(f"<{tag}{attribute}>{_html_runs(cell)}</{tag}>")
        out.append(f"<tr>{''.join(cells)}</tr>")
        if number == 0:
            out.append("</thead>")
    if len(block.rows) > 1:
        out.append("</tbody>")
    out.append("</table>")
    return "\n".join(out)


def html_body(blocks: list[Block]) -> str:
    """The blocks as an HTML fragment (a nested list sits inside the item it belongs to)."""
    out: list[str] = []
    depth = 0
    for block in blocks:
        target = block.level if block.kind == "item" else 0
        while depth > target:
            out.append("</li>\n</ul>")
            depth -= 1
        content = _html_runs(block.runs)
        if block.kind == "item":
            if depth == target:
                out.append("</li>")
            while depth < target:
                out.append("<ul>")
                depth += 1
            lettered = ' class="lettered"' if _LETTERED.match(block.text) else ""
            out.append(f"<li{lettered}>{content}")
        elif block.kind == "heading":
            out.append(f"<h{block.level}>{content}</h{block.level}>")
        elif block.kind == "table":
            out.append(_html_table(block))
        elif _is_clause_title(block):
            out.append(f'<p class="clause-title">{content}</p>')
        else:
            out.append(f"<p>{content}</p>")
    out.extend("</li>\n</ul>" for _ in range(depth))
    return "\n".join(out)


def to_html(blocks: list[Block], meta: DocumentMeta, templates: Path | None = None) -> str:
    """A standalone HTML page, A4 print stylesheet included (template ``document.html.j2``)."""
    from markupsafe import Markup

    template = environment(templates, autoescape=True).get_template("document.html.j2")
    return template.render(meta=meta, banner=_BANNER, body=Markup(html_body(blocks)))


# --- DOCX -----------------------------------------------------------------------------------------


def to_docx(blocks: list[Block], meta: DocumentMeta, templates: Path | None = None) -> bytes:
    """A Word document laid out in the reference ``reference.docx`` (styles, A4 margins), core properties fixed.

    Every page has a header (the draft banner, then the convention line) and a footer « Page n / N ».
    """
    from docx import Document
    from docx.enum.text import WD_COLOR_INDEX
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn
    from docx.shared import Pt

    from dpa_kit.documents.styles import DOCX_STYLES, REFERENCE_DOCX, reference_file

    source = reference_file(REFERENCE_DOCX, templates)
    try:
        document = Document(str(source))
    except Exception as exc:  # python-docx raises several unrelated types for a broken file
        raise RenderError(f"modèle {source} : document Word illisible ({exc})") from exc
    # python-docx resolves a style *name* by scanning every style (~3 ms a paragraph): resolve each once.
    ids: dict[str, str] = {}
    for name in DOCX_STYLES:
        try:
            ids[name] = document.styles[name].style_id
        except KeyError:
            raise RenderError(f"modèle {source} : le style « {name} » manque") from None
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    section = document.sections[0]
    section.different_first_page_header_footer = False
    header = section.header
    header.is_linked_to_previous = False
    for paragraph in header.paragraphs[1:]:
        paragraph._p.getparent().remove(paragraph._p)
    first = header.paragraphs[0]
    first.text = _BANNER if meta.draft else meta.running_header
    first._p.style = ids["Bandeau projet" if meta.draft else "Header"]
    if meta.draft:
        header.add_paragraph(meta.running_header)._p.style = ids["Header"]
    footer = section.footer
    footer.is_linked_to_previous = False
    for paragraph in footer.paragraphs[1:]:
        paragraph._p.getparent().remove(paragraph._p)
    page = footer.paragraphs[0]
    page.text = "Page "
    page._p.style = ids["Footer"]
    for field, after in (("PAGE", " / "), ("NUMPAGES", "")):
        simple = f'<w:fldSimple {nsdecls("w")} w:instr=" {field} "><w:r><w:t>1</w:t></w:r></w:fldSimple>'
        page._p.append(parse_xml(simple))
        if after:
            page._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:t xml:space="preserve">{after}</w:t></w:r>'))
    follows_table = False
    for block in blocks:
        if block.kind == "table":
            _docx_table(document, block)
            follows_table = True
            continue
        paragraph = document.add_paragraph()
        if follows_table:  # a Word table has no space below it
            paragraph.paragraph_format.space_before = Pt(8)
            follows_table = False
        if block.kind == "heading":
            paragraph._p.style = ids["Heading 1" if block.level == 1 else "Heading 2"]
        elif block.kind == "item" and _LETTERED.match(block.text):
            paragraph._p.style = ids["Clause" if block.level == 1 else "Clause 2"]
        elif block.kind == "item":
            paragraph._p.style = ids["List Bullet" if block.level == 1 else "List Bullet 2"]
        elif _is_clause_title(block):
            paragraph.paragraph_format.keep_with_next = True
            paragraph.paragraph_format.space_before = Pt(8)
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


_TBL_PR_ORDER = (
    "tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize", "tblStyleColBandSize", "tblW", "jc",
    "tblCellSpacing", "tblInd", "tblBorders", "shd", "tblLayout", "tblCellMar", "tblLook",
)  # fmt: skip


def _docx_table(document: Any, block: Block) -> None:
    """A table with thin grey borders, a shaded header row repeated on every page, columns sized to their text."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls
    from docx.shared import Emu, Pt

    table = document.add_table(rows=len(block.rows), cols=len(block.rows[0]))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    properties = table._tbl.tblPr
    edges = "".join(
        f'<w:{edge} w:val="single" w:sz="4" w:space="0" w:color="808080"/>'
        for edge in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    margins = "".join(f'<w:{side} w:w="70" w:type="dxa"/>' for side in ("left", "right"))
    for tag, inner in (("tblBorders", edges), ("tblCellMar", margins)):
        element = parse_xml(f"<w:{tag} {nsdecls('w')}>{inner}</w:{tag}>")
        after = _TBL_PR_ORDER[_TBL_PR_ORDER.index(tag) + 1 :]
        later = [child for child in properties if child.tag.split("}")[-1] in after]
        if later:
            later[0].addprevious(element)
        else:
            properties.append(element)
    section = document.sections[0]
    usable = section.page_width - section.left_margin - section.right_margin
    widths = [Emu(int(usable * share)) for share in column_shares(block)]
    aligns = {"center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT}
    for number, (row, cells) in enumerate(zip(table.rows, block.rows, strict=True)):
        row_properties = row._tr.get_or_add_trPr()
        row_properties.append(parse_xml(f"<w:cantSplit {nsdecls('w')}/>"))
        if number == 0:
            row_properties.append(parse_xml(f"<w:tblHeader {nsdecls('w')}/>"))
        for column, (cell, runs) in enumerate(zip(row.cells, cells, strict=True)):
            cell.width = widths[column]
            if number == 0:
                cell._tc.get_or_add_tcPr().append(
                    parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="EDEDED"/>')
                )
            paragraph = cell.paragraphs[0]
            align = block.align[column] if column < len(block.align) else ""
            paragraph.alignment = aligns.get(align, WD_ALIGN_PARAGRAPH.LEFT)
            paragraph.paragraph_format.space_before = Pt(1)
            paragraph.paragraph_format.space_after = Pt(1)
            for run in runs:
                piece = paragraph.add_run(run.text)
                piece.font.size = Pt(9.5)
                piece.bold = (run.bold or number == 0) or None
                piece.italic = run.italic or None
                if run.blank:
                    piece.font.highlight_color = WD_COLOR_INDEX.YELLOW
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width


CORE_PROPERTY_MAX = 255  # what the DOCX core properties (OPC) allow in a text field


def _core(text: str) -> str:
    """``text`` fit for a DOCX core property: no control character, at most 255 characters (cut with « … »)."""
    clean = "".join(" " if unicodedata.category(c) in {"Cc", "Cs"} else c for c in text)
    return clean if len(clean) <= CORE_PROPERTY_MAX else clean[: CORE_PROPERTY_MAX - 1].rstrip() + "…"


# --- ODT ------------------------------------------------------------------------------------------


def to_odt(blocks: list[Block], meta: DocumentMeta, templates: Path | None = None) -> bytes:
    """An OpenDocument text laid out in the reference ``reference.odt`` (odfdo), with meta.xml fixed.

    Every page has a header (the draft banner, then the convention line) and a footer « Page n / N ».
    """
    from odfdo import (
        Document,
        Header,
        List,
        ListItem,
        Paragraph,
        Span,
        Style,
        StyleMasterPage,
        VarPageCount,
        VarPageNumber,
    )

    from dpa_kit.documents.styles import ODT_STYLES, REFERENCE_ODT, reference_file

    source = reference_file(REFERENCE_ODT, templates)
    try:
        document = Document(source)
    except Exception as exc:  # odfdo raises several unrelated types for a broken file
        raise RenderError(f"modèle {source} : document OpenDocument illisible ({exc})") from exc
    for family, name in ODT_STYLES:
        if document.get_style(family, name) is None:
            raise RenderError(f"modèle {source} : le style « {name.replace('_20_', ' ')} » manque")
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
    document.insert_style(
        '<style:style style:name="dpa_clause_title" style:family="paragraph" style:parent-style-name="Text_20_body">'
        '<style:paragraph-properties fo:margin-top="0.3cm" fo:keep-with-next="always"/></style:style>',
        automatic=True,
    )

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

    master = document.get_style("master-page", "Standard")
    if not isinstance(master, StyleMasterPage):
        raise RenderError(f"modèle {source} : la page maîtresse « Standard » manque")
    top = [Paragraph(_BANNER, style="Bandeau_20_projet")] if meta.draft else []
    master.set_page_header([*top, Paragraph(meta.running_header, style="Header")])
    page = Paragraph("Page ", style="Footer")
    page.append(VarPageNumber(select_page="current"))
    page.append(" / ")
    page.append(VarPageCount())
    master.set_page_footer([page])

    stack: list[List] = []
    last_items: list[ListItem | None] = []
    lettered = False
    tables = 0
    for block in blocks:
        if block.kind == "table":
            stack.clear()
            last_items.clear()
            tables += 1
            body.append(_odt_table(document, block, tables, fill))
            continue
        if block.kind == "item" and block.level == 1 and stack and bool(_LETTERED.match(block.text)) != lettered:
            stack.clear()  # a lettered run and a bulleted run are two lists: each has its own markers
            last_items.clear()
        if block.kind != "item":
            stack.clear()
            last_items.clear()
            if block.kind == "heading":
                level_style = "Heading_20_1" if block.level == 1 else "Heading_20_2"
                body.append(fill(Header(block.level, "", suppress_numbering=True, style=level_style), block.runs))
            else:
                text_style = "dpa_clause_title" if _is_clause_title(block) else "Text_20_body"
                body.append(fill(Paragraph("", style=text_style), block.runs))
            continue
        while len(stack) > block.level:
            stack.pop()
            last_items.pop()
        while len(stack) < block.level:
            if stack:
                new = List()
                holder = last_items[-1]
                if holder is None:
                    holder = ListItem()
                    stack[-1].append(holder)
                    last_items[-1] = holder
                holder.append(new)
            else:
                lettered = bool(_LETTERED.match(block.text))
                new = List(style="Clauses" if lettered else "Puces")
                body.append(new)
            stack.append(new)
            last_items.append(None)
        item = ListItem()
        item.append(fill(Paragraph("", style="List_20_Contents"), block.runs))
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


#: The width of the text on an A4 page of the reference (21 cm less two 2.2 cm margins), for table columns.
_ODT_TEXT_WIDTH_CM = 16.6


def _odt_table(document: Any, block: Block, number: int, fill: Callable[..., Any]) -> Any:
    """A table with thin grey borders, a shaded header row repeated on every page, columns sized to their text."""
    from odfdo import Cell, Column, Element, Paragraph, Row, Table

    name = f"dpa_table_{number}"
    document.insert_style(
        f'<style:style style:name="{name}" style:family="table"><style:table-properties '
        f'style:width="{_ODT_TEXT_WIDTH_CM}cm" table:align="center" fo:margin-top="0.15cm" '
        'fo:margin-bottom="0.25cm"/></style:style>',
        automatic=True,
    )
    for column, share in enumerate(column_shares(block)):
        document.insert_style(
            f'<style:style style:name="{name}_c{column}" style:family="table-column"><style:table-column-properties '
            f'style:column-width="{_ODT_TEXT_WIDTH_CM * share:.2f}cm"/></style:style>',
            automatic=True,
        )
    if number == 1:
        border = 'fo:border="0.5pt solid #808080" fo:padding="0.06cm"'
        for style, fill_colour in (("dpa_cell", ""), ("dpa_head_cell", ' fo:background-color="#ededed"')):
            document.insert_style(
                f'<style:style style:name="{style}" style:family="table-cell"><style:table-cell-properties '
                f"{border}{fill_colour}/></style:style>",
                automatic=True,
            )
        document.insert_style(
            '<style:style style:name="dpa_row" style:family="table-row">'
            '<style:table-row-properties fo:keep-together="always"/></style:style>',
            automatic=True,
        )
        for align in ("start", "center", "end"):
            document.insert_style(
                f'<style:style style:name="dpa_cell_{align}" style:family="paragraph" '
                'style:parent-style-name="Text_20_body"><style:paragraph-properties '
                f'fo:text-align="{align}" fo:margin-top="0cm" fo:margin-bottom="0cm"/>'
                '<style:text-properties fo:font-size="9.5pt"/></style:style>',
                automatic=True,
            )
    table = Table(f"Tableau{number}", style=name)
    for column in range(len(block.rows[0])):
        table.append(Column(style=f"{name}_c{column}"))
    header = Element.from_tag("<table:table-header-rows/>")
    table.append(header)
    for index, cells in enumerate(block.rows):
        row = Row(style="dpa_row")
        for column, runs in enumerate(cells):
            align = block.align[column] if column < len(block.align) else ""
            paragraph_style = {"center": "dpa_cell_center", "right": "dpa_cell_end"}.get(align, "dpa_cell_start")
            cell = Cell(style="dpa_head_cell" if index == 0 else "dpa_cell")
            bold = tuple(Run(r.text, True, r.italic, r.blank, r.code) for r in runs) if index == 0 else runs
            cell.append(fill(Paragraph("", style=paragraph_style), bold))
            row.append(cell)
        (header if index == 0 else table).append(row)
    return table


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
            piece = f'highlight(fill: rgb("#ffeb3b"), {piece})'
        out.append(f"#{piece}")
    return "".join(out)


def typst_source(blocks: list[Block], meta: DocumentMeta) -> str:
    """The Typst markup of the document.

    Headings stay with the text that follows them; a lettered item (« a) ... ») hangs on its own letter
    without a bullet; every page has a header (the draft banner, then the convention line) and a footer
    « Page n / N ».
    """
    day = meta.day
    banner = f'align(center, text(size: 10pt, weight: "bold", fill: rgb("#b00000"), {_typst_string(_BANNER)}))'
    header = f"align(center, {_typst_string(meta.running_header)})"
    header_body = f"{banner} + v(-0.5em) + {header}" if meta.draft else header
    lines = [
        f"#set document(title: {_typst_string(meta.title)}, author: {_typst_string(meta.author)}, "
        f"date: datetime(year: {day.year}, month: {day.month}, day: {day.day}))",
        '#set page(paper: "a4", margin: (x: 2.2cm, top: 2.5cm, bottom: 2.2cm), header-ascent: 35%, '
        f"header: text(size: 8.5pt, fill: luma(35%), {header_body}), "
        "footer: context align(center, text(size: 8.5pt, fill: luma(35%), "
        '[Page #counter(page).display("1 / 1", both: true)])))',
        '#set text(lang: "fr", region: "FR", size: 10.5pt)',
        "#set par(justify: true, spacing: 0.9em)",
        "#show heading: set block(above: 1.5em, below: 0.9em, sticky: true)",
        "#show heading: set text(hyphenate: false)",
        "#show heading.where(level: 1): set text(size: 12.5pt)",
        "#show heading.where(level: 1): set align(center)",
        "#show heading.where(level: 2): set text(size: 11pt)",
        "#let item(depth, marker, body) = pad(left: (depth - 1) * 1.5em, grid(columns: (1.5em, 1fr), marker, body))",
        "",
    ]
    for block in blocks:
        content = _typst_runs(block.runs)
        if block.kind == "table":
            lines.append(_typst_table(block))
        elif block.kind == "heading":
            lines.append(f"{'=' * block.level} {content}")
        elif block.kind == "item":
            letter = _LETTERED.match(block.text)
            if letter:
                runs = _drop_prefix(block.runs, len(letter.group(0)))
                marker = f"[{_typst_runs((Run(letter.group(0).strip()),))}]"
                lines.append(f"#item({block.level}, {marker}, [{_typst_runs(runs)}])")
            else:
                marker = "[•]" if block.level == 1 else "[–]"
                lines.append(f"#item({block.level}, {marker}, [{content}])")
        elif _is_clause_title(block):
            lines.append(f"#block(sticky: true, above: 1.4em)[{content}]")
        else:
            lines.append(content)
        lines.append("")
    return "\n".join(lines)


def _typst_table(block: Block) -> str:
    """A table with thin grey lines and a shaded header repeated on every page; columns sized to their text."""
    columns = ", ".join(f"{share * 100:.1f}%" for share in column_shares(block))
    aligns = ", ".join({"center": "center", "right": "right"}.get(a, "left") for a in block.align) or "left"
    header = ", ".join(
        f"[{_typst_runs(tuple(Run(r.text, True, r.italic, r.blank) for r in cell))}]" for cell in block.rows[0]
    )
    body = ", ".join(f"[{_typst_runs(cell)}]" for row in block.rows[1:] for cell in row)
    return (
        "#block(width: 100%, breakable: true)[\n#set par(justify: false)\n#set text(size: 9.5pt)\n"
        "#set table.cell(breakable: false)\n"
        f"#table(columns: ({columns},), align: ({aligns},), stroke: 0.5pt + luma(55%), inset: 4pt, "
        "fill: (_, y) => if y == 0 { luma(93%) }, "
        f"table.header({header}), {body})\n]"
    )


def _drop_prefix(runs: tuple[Run, ...], count: int) -> tuple[Run, ...]:
    """The runs without their first ``count`` characters (the letter of a lettered item)."""
    out = []
    for run in runs:
        if count >= len(run.text):
            count -= len(run.text)
            continue
        out.append(Run(run.text[count:], run.bold, run.italic, run.blank) if count else run)
        count = 0
    return tuple(out)


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
