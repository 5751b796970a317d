"""Documents in every format: same clauses, deterministic bytes, metadata, real clients (LibreOffice, pdftotext)."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import ADIL, BETHUNE, REPO, require_program

from dpa_kit.documents.annex import meta_for, render, render_markdown
from dpa_kit.documents.build import render_annex
from dpa_kit.documents.markdown import parse_blocks
from dpa_kit.documents.typography import french_spacing
from dpa_kit.documents.writers import FORMATS, write_rendered
from dpa_kit.exceptions import NotReady, RenderError
from dpa_kit.loader import load_convention
from dpa_kit.words import DRAFT_BANNER as PLAIN_BANNER
from dpa_kit.words import DRAFT_WORD

#: The banner as documents write it (French typography: no-break space before the colon).
DRAFT_BANNER = french_spacing(PLAIN_BANNER)


def rendered(path: Path, fmt: str, draft: bool = False, templates: Path | None = None) -> bytes:
    convention = load_convention(path).convention
    return write_rendered(fmt, render(convention, draft=draft), templates)


BETHUNE_HEADER = "Annexe 1 · Convention 2026-DPID-CCAS-BETHUNE-1.2 · CCAS de Béthune"
ADIL_HEADER = "Annexe 1 · Convention 2026-FSL-ADIL-NUMERO-VERT · ADIL du Nord et du Pas-de-Calais"
PAGE_LINE = re.compile(r"\s*Page (\d+) / (\d+)\s*")


def alnum(text: str) -> str:
    """Letters and digits only: immune to line breaks, hyphenation and bullets of each renderer."""
    return re.sub(r"[^0-9a-zà-ÿœæ]", "", text.lower().replace("\u00ad", ""))


def clauses(path: Path) -> list[str]:
    convention = load_convention(path).convention
    return [alnum(b.text) for b in parse_blocks(render_markdown(convention))]


def assert_same_clauses(pdf_text: str, path: Path) -> None:
    convention = load_convention(path).convention
    header = alnum(meta_for(convention, False).running_header)
    lines = [line for line in pdf_text.splitlines() if not PAGE_LINE.fullmatch(line)]
    stream = alnum("\n".join(lines)).replace(header, "")
    position = 0
    for clause in clauses(path):
        found = stream.find(clause, position)
        assert found >= 0, f"clause missing or out of order: {clause[:80]}"
        position = found + len(clause)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_byte_identical_across_runs(fmt: str) -> None:
    assert rendered(BETHUNE, fmt) == rendered(BETHUNE, fmt)


def test_html_is_standalone_a4_with_escaped_values() -> None:
    page = rendered(ADIL, "html").decode()
    assert page.startswith("<!DOCTYPE html>") and '<html lang="fr">' in page
    assert "@page { size: A4" in page and "@media print" in page
    lettered = (
        '<li class="lettered">a) traiter les données <strong>uniquement pour la ou les seule(s) finalité(s)</strong>'
    )
    assert lettered in page
    assert "li.lettered { list-style: none;" in page  # the letter is the marker: no bullet before « a) »
    item = page[page.index("d) veiller à ce que les") :]
    assert item.index("<ul>") < item.index("</li>")  # the sub-list belongs to item d), indented under it
    assert "d&#x27;" not in page or "d'" in page


def test_html_does_not_repeat_the_title_line() -> None:
    convention = load_convention(BETHUNE).convention
    page = rendered(BETHUNE, "html").decode()
    body = page[page.index("<body>") :]
    assert body.count("Accompagnement remobilisation sociale des bénéficiaires du RSA") == 1
    assert meta_for(convention, False).subject not in body
    assert body.index("<em>Convention «\u202fAccompagnement") < body.index("<h1>")


def test_html_draft_highlights_blanks(tmp_path: Path) -> None:
    text = ADIL.read_text(encoding="utf-8").replace(
        "  service: Mission prévention des expulsions par le biais d'un numéro vert.\n", ""
    )
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    page = rendered(path, "html", draft=True).decode()
    assert '<mark class="blank">[À COMPLÉTER\u00a0: le service]</mark>' in page
    assert page.count(DRAFT_BANNER) == 1


def test_docx_has_metadata_clauses_and_fixed_timestamps() -> None:
    from docx import Document

    data = rendered(ADIL, "docx")
    document = Document(io.BytesIO(data))
    props = document.core_properties
    assert props.title == "Annexe 1 - Protection des données - 2026-FSL-ADIL-NUMERO-VERT"
    assert props.author == "Département du Pas-de-Calais"
    text = "\n".join(p.text for p in document.paragraphs)
    assert "f) Sous-traitance" in text
    assert {info.date_time for info in zipfile.ZipFile(io.BytesIO(data)).infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_docx_looks_official_french_justified_sober_with_page_numbers() -> None:
    from docx import Document

    data = rendered(BETHUNE, "docx")
    archive = zipfile.ZipFile(io.BytesIO(data))
    styles = archive.read("word/styles.xml").decode()
    defaults = re.search(r"<w:docDefaults>.*?</w:docDefaults>", styles, re.S).group(0)
    assert '<w:lang w:val="fr-FR"' in defaults and 'w:ascii="Liberation Serif"' in defaults
    assert "Theme" not in defaults  # no theme fonts (Calibri, Cambria)
    assert not re.search(r"<w:color [^>]*w:themeColor", styles)  # no Word-blue text anywhere
    document = Document(io.BytesIO(data))
    assert document.core_properties.language == "fr-FR"
    assert str(document.styles["Normal"].paragraph_format.alignment) == "JUSTIFY (3)"
    for name in ("Heading 1", "Heading 2"):
        style = document.styles[name]
        assert style.font.name == "Liberation Sans" and str(style.font.color.rgb) == "1A1A1A"
        assert style.paragraph_format.keep_with_next
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert [p.text for p in section.header.paragraphs] == [BETHUNE_HEADER]
    footer = archive.read("word/footer1.xml").decode() if "word/footer1.xml" in archive.namelist() else ""
    footer = footer or next(archive.read(n).decode() for n in archive.namelist() if n.startswith("word/footer"))
    assert 'w:instr=" PAGE "' in footer and 'w:instr=" NUMPAGES "' in footer and ">Page <" in footer
    paragraphs = document.paragraphs
    assert paragraphs[0].text.startswith("Convention «\u202fAccompagnement remobilisation sociale")
    assert "Accompagnement" not in section.header.paragraphs[0].text  # the title line is not repeated
    lettered = [p for p in paragraphs if re.match(r"[a-z]\) ", p.text) and p.style.name != "Normal"]
    assert lettered and {p.style.name for p in lettered} == {"Clause"}  # a hanging letter, no bullet
    assert document.styles["Clause"].paragraph_format.first_line_indent < 0
    numbering = archive.read("word/numbering.xml").decode()
    assert re.search(r'<w:pStyle w:val="ListBullet2"/><w:lvlText w:val="–"/>', numbering)  # a dash one level down


def test_odt_looks_official_french_justified_with_page_numbers() -> None:
    data = rendered(BETHUNE, "odt")
    archive = zipfile.ZipFile(io.BytesIO(data))
    styles = archive.read("styles.xml").decode()
    default = re.search(r'<style:default-style style:family="paragraph">.*?</style:default-style>', styles, re.S)[0]
    assert 'fo:language="fr"' in default and 'fo:country="FR"' in default
    body_style = re.search(r'<style:style style:name="Text_20_body".*?</style:style>', styles, re.S).group(0)
    assert 'fo:text-align="justify"' in body_style and 'fo:margin-bottom="0.21cm"' in body_style
    header = re.search(r"<style:header>(.*?)</style:header>", styles, re.S).group(1)
    assert BETHUNE_HEADER in header
    footer = re.search(r"<style:footer>(.*?)</style:footer>", styles, re.S).group(1)
    assert re.search(r">Page<text:s/><text:page-number [^>]*/><text:s/>/<text:s/><text:page-count/>", footer)
    content = archive.read("content.xml").decode()
    clauses = re.search(r'<text:list text:style-name="Clauses">.*?</text:list>', content, re.S).group(0)
    assert "a) traiter les données" in clauses
    level_one = re.search(r'<text:list-style style:name="Clauses">\s*<text:list-level-style-number [^>]*>', styles)
    assert level_one and 'style:num-format=""' in level_one.group(0)  # the letter is the only marker


def test_the_shipped_reference_styles_are_up_to_date() -> None:
    from dpa_kit.documents.styles import reference_docx, reference_odt

    assert (REPO / "templates" / "reference.docx").read_bytes() == reference_docx()
    assert (REPO / "templates" / "reference.odt").read_bytes() == reference_odt()


def test_a_reference_in_the_user_templates_folder_takes_precedence(tmp_path: Path) -> None:
    from docx import Document

    reference = Document(str(REPO / "templates" / "reference.docx"))
    reference.styles["Normal"].font.name = "DejaVu Sans"
    reference.save(str(tmp_path / "reference.docx"))
    styled = zipfile.ZipFile(io.BytesIO(rendered(BETHUNE, "docx", templates=tmp_path))).read("word/styles.xml")
    assert b'w:ascii="DejaVu Sans"' in styled
    odt = (REPO / "templates" / "reference.odt").read_bytes()
    with zipfile.ZipFile(io.BytesIO(odt)) as source, zipfile.ZipFile(tmp_path / "reference.odt", "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "styles.xml":
                content = content.replace(b'fo:margin-bottom="0.21cm"', b'fo:margin-bottom="0.5cm"')
            target.writestr(info, content)
    styled = zipfile.ZipFile(io.BytesIO(rendered(BETHUNE, "odt", templates=tmp_path))).read("styles.xml")
    assert b'fo:margin-bottom="0.5cm"' in styled


def test_a_user_reference_lacking_a_style_is_refused_in_french(tmp_path: Path) -> None:
    from docx import Document

    Document().save(str(tmp_path / "reference.docx"))  # python-docx's own template: no « Clause » style
    with pytest.raises(RenderError, match=r"reference\.docx : le style « Clause » manque"):
        rendered(BETHUNE, "docx", templates=tmp_path)


def test_an_unreadable_user_reference_is_refused_in_french(tmp_path: Path) -> None:
    (tmp_path / "reference.odt").write_bytes(b"not a zip")
    with pytest.raises(RenderError, match=r"reference\.odt : document OpenDocument illisible"):
        rendered(BETHUNE, "odt", templates=tmp_path)


def test_typst_source_hangs_lettered_items_on_their_letter_and_keeps_titles_with_text() -> None:
    from dpa_kit.documents.writers import typst_source

    result = render(load_convention(ADIL).convention)
    source = typst_source(result.blocks, result.meta)
    assert '#item(1, [#"a)"], [#"traiter les données "#strong(' in source
    assert not re.search(r'\[•\], \[#"[a-z]\)', source)  # no bullet in front of a letter
    assert '#block(sticky: true, above: 1.4em)[#"f) "#strong("Sous-traitance")]' in source
    assert "#show heading: set block(above: 1.5em, below: 0.9em, sticky: true)" in source
    assert 'counter(page).display("1 / 1", both: true)' in source


def test_odt_is_valid_odf_with_mimetype_first_and_fixed_meta() -> None:
    data = rendered(ADIL, "odt")
    archive = zipfile.ZipFile(io.BytesIO(data))
    first = archive.infolist()[0]
    assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
    assert archive.read("mimetype") == b"application/vnd.oasis.opendocument.text"
    meta = archive.read("meta.xml").decode()
    assert "2026-01-01T00:00:00" in meta and "Annexe 1 - Protection des données" in meta
    outline = re.findall(r"<text:outline-level-style [^>]*>", archive.read("styles.xml").decode())
    assert outline and all('style:num-format=""' in tag for tag in outline)


def test_pdf_is_pdfa_with_title_and_author() -> None:
    data = rendered(ADIL, "pdf")
    assert data.startswith(b"%PDF-")
    assert b"pdfaid:part" in data  # PDF/A identification in the XMP metadata
    assert "Annexe 1 - Protection des données - 2026-FSL-ADIL-NUMERO-VERT".encode() in data


def test_render_annex_writes_each_format(tmp_path: Path) -> None:
    convention = load_convention(ADIL).convention
    written = render_annex(convention, ["md", "pdf"], tmp_path)
    assert [p.name for p in written] == [
        "2026-FSL-ADIL-NUMERO-VERT.annexe1.md",
        "2026-FSL-ADIL-NUMERO-VERT.annexe1.pdf",
    ]
    assert not list(tmp_path.glob(".*.tmp"))


# --- real clients ---------------------------------------------------------------------------------


def _pdftotext(pdf: Path) -> str:
    exe = require_program("pdftotext")
    return subprocess.run([exe, "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, text=True).stdout


@pytest.mark.interop
@pytest.mark.parametrize("path", [ADIL, BETHUNE])
def test_pdftotext_of_our_pdf_gives_the_clauses(tmp_path: Path, path: Path) -> None:
    require_program("pdftotext")
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(rendered(path, "pdf"))
    assert_same_clauses(_pdftotext(pdf), path)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Title:           Annexe 1 - Protection des données" in info
    assert "Author:          Département du Pas-de-Calais" in info
    assert "Page size:       595.276 x 841.89 pts (A4)" in info
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(" yes " in row for row in rows), fonts  # every font embedded


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """PDFs as a reader sees them: (example, format) -> PDF; DOCX and ODT printed by LibreOffice.

    Examples: ``adil`` and ``bethune`` (final annexes, 3+ pages), ``draft`` (the ADIL annex missing an answer).
    """
    soffice = require_program("soffice", "libreoffice")
    require_program("pdftotext")
    folder = tmp_path_factory.mktemp("printed")
    draft_source = folder / "c.yaml"
    draft_source.write_text(
        ADIL.read_text(encoding="utf-8").replace(
            "  service: Mission prévention des expulsions par le biais d'un numéro vert.\n", ""
        ),
        encoding="utf-8",
    )
    examples = {"adil": (ADIL, False), "bethune": (BETHUNE, False), "draft": (draft_source, True)}
    out: dict[tuple[str, str], Path] = {}
    office = []
    for name, (path, draft) in examples.items():
        for fmt in ("docx", "odt", "pdf"):
            target = folder / f"{name}-{fmt}.{fmt}"
            target.write_bytes(rendered(path, fmt, draft=draft))
            out[name, fmt] = target if fmt == "pdf" else folder / "pdf" / f"{name}-{fmt}.pdf"
            if fmt != "pdf":
                office.append(str(target))
    profile = (folder / "lo-profile").as_uri()
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder / "pdf"),
            *office,
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    for (name, fmt), pdf in out.items():
        assert pdf.is_file(), f"LibreOffice did not convert {name}.{fmt}"
    return out


def pdf_pages(pdf: Path) -> list[str]:
    """The text of each page, page by page (``pdftotext -f i -l i``)."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    return [
        subprocess.run(
            ["pdftotext", "-enc", "UTF-8", "-f", str(i), "-l", str(i), str(pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for i in range(1, count + 1)
    ]


@pytest.mark.interop
@pytest.mark.parametrize("fmt", ["docx", "odt"])
@pytest.mark.parametrize("example", ["adil", "bethune"])
def test_libreoffice_prints_docx_and_odt_with_the_same_clauses(printed: dict, example: str, fmt: str) -> None:
    assert_same_clauses(_pdftotext(printed[example, fmt]), ADIL if example == "adil" else BETHUNE)


@pytest.mark.interop
@pytest.mark.parametrize("fmt", ["docx", "odt", "pdf"])
@pytest.mark.parametrize("example", ["bethune", "draft"])
def test_every_page_has_the_header_and_page_n_of_total(printed: dict, example: str, fmt: str) -> None:
    pages = pdf_pages(printed[example, fmt])
    assert len(pages) >= 2
    header = BETHUNE_HEADER if example == "bethune" else ADIL_HEADER
    for number, page in enumerate(pages, start=1):
        numbers = [match.groups() for line in page.splitlines() if (match := PAGE_LINE.fullmatch(line))]
        assert numbers == [(str(number), str(len(pages)))], f"{fmt} page {number}: {page[-200:]!r}"
        assert page.count(header) == 1, f"{fmt} page {number}: {page[:200]!r}"


@pytest.mark.interop
@pytest.mark.parametrize("fmt", ["docx", "odt", "pdf"])
@pytest.mark.parametrize("example", ["adil", "bethune", "draft"])
def test_no_printed_line_starts_with_a_colon_or_a_closing_guillemet(printed: dict, example: str, fmt: str) -> None:
    text = _pdftotext(printed[example, fmt])
    assert text.count(" :") > 10  # pdftotext reads a no-break space as a space
    bad = re.search(r"^\s*[:;!?»]|«\s*$", text, re.M)
    assert bad is None, text[max(0, bad.start() - 80) : bad.end() + 40]


@pytest.mark.interop
@pytest.mark.parametrize("fmt", ["docx", "odt", "pdf"])
def test_a_draft_says_projet_once_on_every_page(printed: dict, fmt: str) -> None:
    for number, page in enumerate(pdf_pages(printed["draft", fmt]), start=1):
        # pdftotext reads a no-break space as a space
        assert page.count(PLAIN_BANNER) == 1, f"{fmt} page {number}: {page[:200]!r}"
    for page in pdf_pages(printed["bethune", fmt]):
        assert DRAFT_WORD not in page


@pytest.mark.interop
@pytest.mark.parametrize("fmt", ["docx", "odt", "pdf"])
@pytest.mark.parametrize("example", ["adil", "bethune", "draft"])
def test_no_double_markers_and_no_title_alone_at_a_page_bottom(printed: dict, example: str, fmt: str) -> None:
    path = BETHUNE if example == "bethune" else ADIL  # the draft has the titles of the ADIL annex
    blocks = parse_blocks(render_markdown(load_convention(path).convention))
    titles = [
        alnum(b.text)
        for b in blocks
        if b.kind == "heading" or (b.kind == "paragraph" and re.match(r"[a-z]\) ", b.text))
    ]
    pages = pdf_pages(printed[example, fmt])
    text = "\n".join(pages)
    assert re.findall(r"a\)\s+traiter les données", text), "the lettered clauses are missing"
    assert not re.findall(r"[•◦▪·–-]\s*[a-z]\)\s", text), "a lettered item also got a bullet"
    for number, page in enumerate(pages[:-1], start=1):
        lines = [line for line in page.splitlines() if line.strip() and not PAGE_LINE.fullmatch(line)]
        ends = {alnum(lines[-1]), alnum("".join(lines[-2:]))}  # a title takes one or two lines
        assert not ends & set(titles), f"{fmt} page {number} ends on a title: {lines[-2:]!r}"


# --- the draft banner: once per page (page header) or once at the top -----------------------------


def incomplete(tmp_path: Path) -> Path:
    text = ADIL.read_text(encoding="utf-8").replace(
        "  service: Mission prévention des expulsions par le biais d'un numéro vert.\n", ""
    )
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_markdown_and_html_drafts_show_the_banner_once_at_the_top(tmp_path: Path) -> None:
    path = incomplete(tmp_path)
    markdown = rendered(path, "md", draft=True).decode()
    assert markdown.startswith(f"**{DRAFT_BANNER}**") and markdown.count(DRAFT_BANNER) == 1
    page = rendered(path, "html", draft=True).decode()
    assert page.count(DRAFT_BANNER) == 1
    assert page.index(DRAFT_BANNER) < page.index("<h1>")
    assert DRAFT_BANNER not in rendered(ADIL, "html", draft=True).decode()


def test_docx_draft_shows_the_banner_in_the_page_header_only(tmp_path: Path) -> None:
    from docx import Document

    document = Document(io.BytesIO(rendered(incomplete(tmp_path), "docx", draft=True)))
    header = [p.text for p in document.sections[0].header.paragraphs]
    assert header == [DRAFT_BANNER, ADIL_HEADER]
    assert all(DRAFT_BANNER not in p.text for p in document.paragraphs)


def test_odt_draft_shows_the_banner_in_the_page_header_only(tmp_path: Path) -> None:
    data = rendered(incomplete(tmp_path), "odt", draft=True)
    archive = zipfile.ZipFile(io.BytesIO(data))
    header = re.search(r"<style:header>(.*?)</style:header>", archive.read("styles.xml").decode(), re.S)
    assert header and header.group(1).count(DRAFT_BANNER) == 1
    assert DRAFT_BANNER not in archive.read("content.xml").decode()


def test_the_draft_word_is_written_in_one_place_only() -> None:
    # The command-line help (cli*.py, cli/) speaks of drafts in its own sentences; the documents do not.
    library = [
        p for p in (REPO / "src" / "dpa_kit").rglob("*.py") if not p.name.startswith("cli") and "cli" not in p.parts
    ]
    sources = library + sorted((REPO / "templates").glob("*.j2"))
    holders = [p.relative_to(REPO).as_posix() for p in sources if "PROJET" in p.read_text(encoding="utf-8")]
    assert holders == ["src/dpa_kit/words.py"]


# --- typed placeholders made visible in drafts -------------------------------------------------------


def _with_typed_placeholders(tmp_path: Path) -> Path:
    """The ADIL convention with placeholders typed into its values (rule P201)."""
    text = ADIL.read_text(encoding="utf-8")
    text = text.replace(
        "  service: Mission prévention des expulsions par le biais d'un numéro vert.\n",
        "  service: Mission prévention [...] auprès du service XXXX\n",
    )
    text = text.replace("    - téléphones\n", "    - « ... »\n")
    text = text.replace("réalisation de diagnostics et bilans", "réalisation de diagnostics TODO")
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_draft_highlights_every_typed_placeholder_that_p201_finds(tmp_path: Path) -> None:
    from docx import Document
    from docx.enum.text import WD_COLOR_INDEX

    from dpa_kit.checks import verdict

    path = _with_typed_placeholders(tmp_path)
    loaded = load_convention(path)
    judged = verdict(loaded)
    assert {f.code for f in judged.blocking} == {"P201"}  # no final document
    with pytest.raises(NotReady):
        render_annex(loaded, ["html"], tmp_path / "final")
    files = render_annex(loaded, ["md", "html", "docx"], tmp_path / "draft", draft=True)
    md, page, docx = (f.read_bytes() for f in files[:3])
    typed = ["[...]", "XXXX", "«\u202f...\u202f»", "TODO"]
    page_text = page.decode()
    for placeholder in typed:
        assert f'<mark class="blank">{placeholder}</mark>' in page_text, placeholder
    highlighted = [
        run.text
        for paragraph in Document(io.BytesIO(docx)).paragraphs
        for run in paragraph.runs
        if run.font.highlight_color == WD_COLOR_INDEX.YELLOW
    ]
    assert set(typed) <= set(highlighted), highlighted
    markdown = md.decode()
    for placeholder in ("==\\[...\\]==", "==XXXX==", "==«\u202f...\u202f»==", "==TODO=="):
        assert placeholder in markdown, placeholder
    # The rest of the text is not marked.
    assert "Mission prévention ==" in markdown and '<mark class="blank">Mission' not in page_text


def test_a_final_document_has_no_highlight() -> None:
    page = rendered(BETHUNE, "html").decode()
    assert "<mark" not in page
    assert "==" not in rendered(BETHUNE, "md").decode()


# --- tables (the security annex's responsibility matrix) --------------------------------------------------


TABLE_MD = """Avant :

| Mesure | Intitulé | Département |
|:--|:--|:-:|
| **CNIL-01** | Piloter la sécurité : tout \\\\| rien | oui |
| CNIL-02 | [...] | non |

Après.
"""


def test_a_pipe_table_is_one_block_with_its_header_and_alignment() -> None:
    before, table, after = parse_blocks(TABLE_MD)
    assert (before.kind, table.kind, after.kind) == ("paragraph", "table", "paragraph")
    cells = [["".join(run.text for run in cell) for cell in row] for row in table.rows]
    assert cells == [
        ["Mesure", "Intitulé", "Département"],
        ["CNIL-01", "Piloter la sécurité : tout | rien", "oui"],
        ["CNIL-02", "[...]", "non"],
    ]
    assert table.align == ("left", "left", "center")
    assert table.rows[1][0][0].bold and table.rows[2][1][0].blank  # emphasis and placeholders kept in cells


def _table_document(fmt: str) -> bytes:
    from datetime import date

    from dpa_kit.documents.writers import DocumentMeta, write

    meta = DocumentMeta(title="Essai", author="dpa-kit", subject="Tableau", day=date(2026, 1, 1))
    return write(fmt, TABLE_MD, parse_blocks(TABLE_MD), meta)


def test_html_table_has_a_header_row_and_centred_columns() -> None:
    page = _table_document("html").decode()
    table = page[page.index("<table") : page.index("</table>")]
    assert '<thead><tr><th>Mesure</th><th>Intitulé</th><th class="center">Département</th></tr>' in table.replace(
        "\n", ""
    )
    assert "<td><strong>CNIL-01</strong></td>" in table
    assert "<td>Piloter la sécurité\u00a0: tout | rien</td>" in table  # French typography in cells too
    assert '<td><mark class="blank">[...]</mark></td>' in table
    assert page.index("Avant") < page.index("<table") < page.index("Après")


def test_docx_table_repeats_its_header_and_keeps_rows_whole() -> None:
    from docx import Document

    document = Document(io.BytesIO(_table_document("docx")))
    (table,) = document.tables
    assert [[cell.text for cell in row.cells] for row in table.rows] == [
        ["Mesure", "Intitulé", "Département"],
        ["CNIL-01", "Piloter la sécurité\u00a0: tout | rien", "oui"],
        ["CNIL-02", "[...]", "non"],
    ]
    xml = table._tbl.xml
    assert xml.count("<w:tblHeader/>") == 1 and xml.count("<w:cantSplit/>") == 3
    assert all(run.bold for run in table.rows[0].cells[0].paragraphs[0].runs)
    assert str(table.rows[1].cells[2].paragraphs[0].alignment) == "CENTER (1)"
    # The body order: the paragraph before, the table, the paragraph after.
    tags = [child.tag.split("}")[-1] for child in document.element.body]
    assert tags[:3] == ["p", "tbl", "p"]


def test_odt_table_has_header_rows_columns_and_cells() -> None:
    from odfdo import Document as OdfDocument

    document = OdfDocument(io.BytesIO(_table_document("odt")))
    (table,) = document.body.get_elements("//table:table")
    headers = table.get_elements("table:table-header-rows/table:table-row")
    assert len(headers) == 1 and len(table.get_elements("table:table-column")) == 3
    rows = table.get_elements(".//table:table-row")
    assert [[cell.text_recursive.strip() for cell in row.get_elements("table:table-cell")] for row in rows] == [
        ["Mesure", "Intitulé", "Département"],
        ["CNIL-01", "Piloter la sécurité\u00a0: tout | rien", "oui"],
        ["CNIL-02", "[...]", "non"],
    ]


@pytest.mark.interop
def test_libreoffice_opens_the_tables_and_pdftotext_reads_them_row_by_row(tmp_path: Path) -> None:
    soffice = require_program("soffice", "libreoffice")
    for fmt in ("docx", "odt"):
        (tmp_path / f"t-{fmt}.{fmt}").write_bytes(_table_document(fmt))
    (tmp_path / "t-pdf.pdf").write_bytes(_table_document("pdf"))
    profile = (tmp_path / "lo-profile").as_uri()
    command = [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir"]
    office = [str(tmp_path / "t-docx.docx"), str(tmp_path / "t-odt.odt")]
    subprocess.run([*command, str(tmp_path / "lo"), *office], check=True, capture_output=True, timeout=300)
    for pdf in (tmp_path / "t-pdf.pdf", tmp_path / "lo" / "t-docx.pdf", tmp_path / "lo" / "t-odt.pdf"):
        layout = subprocess.run(
            ["pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, text=True
        ).stdout
        lines = [" ".join(line.split()) for line in layout.splitlines()]
        assert "Mesure Intitulé Département" in lines, (pdf.name, lines)
        assert "CNIL-01 Piloter la sécurité : tout | rien oui" in lines, (pdf.name, lines)
        assert "CNIL-02 [...] non" in lines, (pdf.name, lines)
