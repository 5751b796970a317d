"""The reference styles of the Word and OpenDocument outputs (``reference.docx`` and ``reference.odt``).

The DOCX and ODT writers lay their content out inside a *reference document* and only name its
styles, so the look (fonts, colours, spacing, margins) lives in the reference, not in code. The
reference is taken from the user's ``--templates`` folder when it holds one, else from the templates
shipped with dpa-kit. To change the look: copy the shipped ``reference.docx`` or ``reference.odt``,
edit its styles in Word or LibreOffice (keep the style names), and put it in your templates folder.

The shipped references are built by :func:`reference_docx` and :func:`reference_odt` (a test checks
that the files in ``templates/`` are what these functions give; :func:`write_references` rewrites them).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from dpa_kit.documents.markdown import packaged_templates
from dpa_kit.fsutil import atomic_write

__all__ = [
    "DOCX_STYLES",
    "ODT_STYLES",
    "REFERENCE_DOCX",
    "REFERENCE_ODT",
    "reference_docx",
    "reference_file",
    "reference_odt",
    "write_references",
]

REFERENCE_DOCX = "reference.docx"
REFERENCE_ODT = "reference.odt"

#: The paragraph styles the DOCX writer uses, by name (a reference must define them all).
DOCX_STYLES = (
    "Normal", "Heading 1", "Heading 2", "List Bullet", "List Bullet 2", "Clause", "Clause 2",
    "Header", "Footer", "Bandeau projet",
)  # fmt: skip
#: The styles the ODT writer uses: (family, name).
ODT_STYLES = (
    ("paragraph", "Text_20_body"), ("paragraph", "Heading_20_1"), ("paragraph", "Heading_20_2"),
    ("paragraph", "List_20_Contents"), ("paragraph", "Header"), ("paragraph", "Footer"),
    ("paragraph", "Bandeau_20_projet"), ("list", "Puces"), ("list", "Clauses"),
)  # fmt: skip

_BODY_FONT = "Liberation Serif"
_HEADING_FONT = "Liberation Sans"
_INK = "1A1A1A"
_GREY = "595959"
_RED = "B00000"
_FIXED = datetime(2026, 1, 1)


def reference_file(name: str, templates: Path | None = None) -> Path:
    """The reference ``name`` from the user's templates folder when it holds one, else the shipped one."""
    if templates is not None and (templates / name).is_file():
        return templates / name
    return packaged_templates() / name


def write_references(folder: Path) -> list[Path]:
    """Write the shipped references into ``folder`` (for maintainers: ``templates/``)."""
    written = []
    for name, data in ((REFERENCE_DOCX, reference_docx()), (REFERENCE_ODT, reference_odt())):
        atomic_write(folder / name, data)
        written.append(folder / name)
    return written


# --- DOCX -------------------------------------------------------------------------------------------


def reference_docx() -> bytes:
    """python-docx's default template restyled: French, serif body justified, sober headings, A4."""
    import io

    from docx import Document
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    from dpa_kit.documents.writers import normalise_zip

    document = Document()
    styles = document.styles
    root = styles.element
    # No theme fonts or theme colours anywhere: they bring Calibri/Cambria and Word's blue headings.
    for fonts in root.iter(qn("w:rFonts")):
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attr), None)
    for colour in root.iter(qn("w:color")):
        for attr in ("w:themeColor", "w:themeShade", "w:themeTint"):
            colour.attrib.pop(qn(attr), None)
        colour.set(qn("w:val"), _INK)
    defaults = root.find(qn("w:docDefaults"))
    run_defaults = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
    fonts = run_defaults.find(qn("w:rFonts"))
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), _BODY_FONT)
    for tag in ("w:sz", "w:szCs"):
        run_defaults.find(qn(tag)).set(qn("w:val"), "21")
    lang = run_defaults.find(qn("w:lang"))
    lang.set(qn("w:val"), "fr-FR")
    lang.set(qn("w:eastAsia"), "fr-FR")
    spacing = defaults.find(f"{qn('w:pPrDefault')}/{qn('w:pPr')}/{qn('w:spacing')}")
    spacing.set(qn("w:after"), "120")
    spacing.set(qn("w:line"), "259")
    theme_lang = document.settings.element.find(qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(qn("w:val"), "fr-FR")

    normal = styles["Normal"]
    normal.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    normal.paragraph_format.widow_control = True
    for name, size, before, after, align in (
        ("Heading 1", 13, 18, 12, WD_ALIGN_PARAGRAPH.CENTER),
        ("Heading 2", 11.5, 14, 6, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        style = styles[name]
        style.font.name = _HEADING_FONT
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.italic = False
        style.font.color.rgb = RGBColor.from_string(_INK)
        fmt = style.paragraph_format
        fmt.space_before, fmt.space_after, fmt.alignment = Pt(before), Pt(after), align
        fmt.keep_with_next = fmt.keep_together = True
    for name in ("List Bullet", "List Bullet 2"):
        styles[name].paragraph_format.space_after = Pt(4)
    for name, indent in (("Clause", 6), ("Clause 2", 12)):
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.quick_style = True
        style.paragraph_format.left_indent = Mm(indent)
        style.paragraph_format.first_line_indent = Mm(-6)
        style.paragraph_format.space_after = Pt(4)
    for name in ("Header", "Footer"):
        style = styles[name]
        style.font.size = Pt(8.5)
        style.font.color.rgb = RGBColor.from_string(_GREY)
        style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        style.paragraph_format.space_after = Pt(0)
    banner = styles.add_style("Bandeau projet", WD_STYLE_TYPE.PARAGRAPH)
    banner.base_style = styles["Header"]
    banner.font.size = Pt(10)
    banner.font.bold = True
    banner.font.color.rgb = RGBColor.from_string(_RED)
    banner.paragraph_format.space_after = Pt(2)

    section = document.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(25), Mm(22)
    section.left_margin = section.right_margin = Mm(22)
    section.header_distance = section.footer_distance = Mm(10)
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    props = document.core_properties
    props.title = "Modèle de référence des documents dpa-kit"
    props.author = props.last_modified_by = "dpa-kit"
    props.language = "fr-FR"
    props.created = props.modified = props.last_printed = _FIXED
    props.revision = 1
    buffer = io.BytesIO()
    document.save(buffer)
    return normalise_zip(
        buffer.getvalue(), patches={"word/fontTable.xml": _declare_fonts, "word/numbering.xml": _dash_second_level}
    )


def _dash_second_level(xml: bytes) -> bytes:
    """« List Bullet 2 » gets a dash instead of a second bullet, as in the ODT and the PDF."""
    import re

    def dash(match: re.Match[bytes]) -> bytes:
        level = match.group(0).replace('<w:lvlText w:val="\uf0b7"/>'.encode(), '<w:lvlText w:val="–"/>'.encode())
        font = f'w:ascii="{_BODY_FONT}" w:hAnsi="{_BODY_FONT}"'.encode()
        return level.replace(b'w:ascii="Symbol" w:hAnsi="Symbol"', font)

    level = rb'<w:lvl w:ilvl="0">(?:(?!</w:lvl>).)*<w:pStyle w:val="ListBullet2"/>.*?</w:lvl>'
    return re.sub(level, dash, xml, flags=re.S)


# Word on a machine without the Liberation fonts falls back to the metric-compatible font named here.
_FONT_DECLARATIONS = "".join(
    f'<w:font w:name="{name}"><w:altName w:val="{alternative}"/><w:panose1 w:val="{panose}"/><w:charset w:val="00"/>'
    f'<w:family w:val="{family}"/><w:pitch w:val="variable"/></w:font>'
    for name, alternative, panose, family in (
        (_BODY_FONT, "Times New Roman", "02020603050405020304", "roman"),
        (_HEADING_FONT, "Arial", "020B0604020202020204", "swiss"),
    )
).encode()


def _declare_fonts(xml: bytes) -> bytes:
    return xml.replace(b"</w:fonts>", _FONT_DECLARATIONS + b"</w:fonts>")


# --- ODT --------------------------------------------------------------------------------------------

_ODT_STYLES_XML = (
    # Body text: justified, spaced, kept in one piece at the bottom of a page.
    '<style:style style:name="Text_20_body" style:display-name="Text body" style:family="paragraph" '
    'style:parent-style-name="Standard" style:class="text">'
    '<style:paragraph-properties fo:text-align="justify" fo:margin-top="0cm" fo:margin-bottom="0.21cm" '
    'fo:line-height="115%" fo:orphans="2" fo:widows="2"/></style:style>',
    '<style:style style:name="List_20_Contents" style:display-name="List Contents" style:family="paragraph" '
    'style:parent-style-name="Text_20_body" style:class="list">'
    '<style:paragraph-properties fo:margin-bottom="0.12cm"/></style:style>',
    '<style:style style:name="Heading" style:family="paragraph" style:parent-style-name="Standard" '
    'style:next-style-name="Text_20_body" style:class="text">'
    '<style:paragraph-properties fo:margin-top="0.5cm" fo:margin-bottom="0.25cm" fo:keep-with-next="always"/>'
    f'<style:text-properties style:font-name="{_HEADING_FONT}" fo:font-family="&apos;{_HEADING_FONT}&apos;" '
    f'fo:font-weight="bold" fo:color="#{_INK.lower()}"/></style:style>',
    '<style:style style:name="Heading_20_1" style:display-name="Heading 1" style:family="paragraph" '
    'style:parent-style-name="Heading" style:next-style-name="Text_20_body" style:default-outline-level="1" '
    'style:class="text"><style:paragraph-properties fo:text-align="center" fo:margin-top="0.6cm" '
    'fo:margin-bottom="0.4cm"/><style:text-properties fo:font-size="13pt" fo:font-weight="bold"/></style:style>',
    '<style:style style:name="Heading_20_2" style:display-name="Heading 2" style:family="paragraph" '
    'style:parent-style-name="Heading" style:next-style-name="Text_20_body" style:default-outline-level="2" '
    'style:class="text"><style:paragraph-properties fo:margin-top="0.45cm" fo:margin-bottom="0.2cm"/>'
    '<style:text-properties fo:font-size="11.5pt" fo:font-weight="bold"/></style:style>',
    '<style:style style:name="Header" style:family="paragraph" style:parent-style-name="Standard" '
    'style:class="extra"><style:paragraph-properties fo:text-align="center"/>'
    f'<style:text-properties fo:font-size="8.5pt" fo:color="#{_GREY.lower()}"/></style:style>',
    '<style:style style:name="Footer" style:family="paragraph" style:parent-style-name="Standard" '
    'style:class="extra"><style:paragraph-properties fo:text-align="center"/>'
    f'<style:text-properties fo:font-size="8.5pt" fo:color="#{_GREY.lower()}"/></style:style>',
    '<style:style style:name="Bandeau_20_projet" style:display-name="Bandeau projet" style:family="paragraph" '
    'style:parent-style-name="Header" style:class="extra">'
    '<style:paragraph-properties fo:margin-bottom="0.05cm"/>'
    f'<style:text-properties fo:font-size="10pt" fo:font-weight="bold" fo:color="#{_RED.lower()}"/></style:style>',
    # Bulleted lists: a bullet, then a dash one level down.
    '<text:list-style style:name="Puces">'
    + "".join(
        f'<text:list-level-style-bullet text:level="{level}" text:bullet-char="{char}">'
        '<style:list-level-properties text:list-level-position-and-space-mode="label-alignment">'
        f'<style:list-level-label-alignment text:label-followed-by="listtab" text:list-tab-stop-position="{left}cm" '
        f'fo:text-indent="-0.45cm" fo:margin-left="{left}cm"/></style:list-level-properties>'
        "</text:list-level-style-bullet>"
        for level, char, left in ((1, "•", "0.6"), (2, "–", "1.2"))
    )
    + "</text:list-style>",
    # Lettered clauses « a) ... »: the letter is in the text, so level 1 shows no marker, only a hanging indent.
    '<text:list-style style:name="Clauses">'
    '<text:list-level-style-number text:level="1" style:num-format="">'
    '<style:list-level-properties text:list-level-position-and-space-mode="label-alignment">'
    '<style:list-level-label-alignment text:label-followed-by="nothing" fo:text-indent="-0.6cm" '
    'fo:margin-left="0.6cm"/></style:list-level-properties></text:list-level-style-number>'
    '<text:list-level-style-bullet text:level="2" text:bullet-char="–">'
    '<style:list-level-properties text:list-level-position-and-space-mode="label-alignment">'
    '<style:list-level-label-alignment text:label-followed-by="listtab" text:list-tab-stop-position="1.2cm" '
    'fo:text-indent="-0.45cm" fo:margin-left="1.2cm"/></style:list-level-properties>'
    "</text:list-level-style-bullet></text:list-style>",
)

_ODT_PAGE_LAYOUT = (
    '<style:page-layout style:name="Mpm1"><style:page-layout-properties fo:page-width="21cm" '
    'fo:page-height="29.7cm" style:num-format="1" style:print-orientation="portrait" fo:margin-top="1.2cm" '
    'fo:margin-bottom="1.2cm" fo:margin-left="2.2cm" fo:margin-right="2.2cm" style:writing-mode="lr-tb"/>'
    '<style:header-style><style:header-footer-properties fo:min-height="0.6cm" fo:margin-bottom="0.5cm"/>'
    '</style:header-style><style:footer-style><style:header-footer-properties fo:min-height="0.6cm" '
    'fo:margin-top="0.4cm"/></style:footer-style></style:page-layout>'
)


def reference_odt() -> bytes:
    """odfdo's default text template restyled: French, justified spaced body, sober headings, A4."""
    import io
    import re

    from odfdo import Document

    from dpa_kit.documents.writers import normalise_zip

    document = Document("text")
    document.body.clear()
    for xml in _ODT_STYLES_XML:
        document.insert_style(xml)
    document.insert_style(_ODT_PAGE_LAYOUT)
    info = document.meta
    info.set_title("Modèle de référence des documents dpa-kit")
    info.set_initial_creator("dpa-kit")
    info.set_creator("dpa-kit")
    info.set_language("fr-FR")
    info.set_creation_date(_FIXED)
    info.set_modification_date(_FIXED)
    info.set_generator("dpa-kit")
    info.set_editing_cycles(1)
    buffer = io.BytesIO()
    document.save(buffer)

    def body_size(xml: bytes) -> bytes:
        # The default paragraph style: 10.5 pt text (it already says fo:language="fr" fo:country="FR").
        default = rb'(<style:default-style style:family="paragraph">.*?)fo:font-size="12pt"'
        return re.sub(default, rb'\1fo:font-size="10.5pt"', xml, count=1, flags=re.S)

    return normalise_zip(buffer.getvalue(), patches={"styles.xml": body_size})
