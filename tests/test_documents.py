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
from dpa_kit.documents.writers import FORMATS, write_rendered
from dpa_kit.loader import load_convention
from dpa_kit.words import DRAFT_BANNER


def rendered(path: Path, fmt: str, draft: bool = False) -> bytes:
    convention = load_convention(path).convention
    return write_rendered(fmt, render(convention, draft=draft))


def alnum(text: str) -> str:
    """Letters and digits only: immune to line breaks, hyphenation and bullets of each renderer."""
    return re.sub(r"[^0-9a-zà-ÿœæ]", "", text.lower().replace("\u00ad", ""))


def clauses(path: Path) -> list[str]:
    convention = load_convention(path).convention
    return [alnum(b.text) for b in parse_blocks(render_markdown(convention))]


def assert_same_clauses(pdf_text: str, path: Path) -> None:
    convention = load_convention(path).convention
    header = alnum(meta_for(convention, False).subject)
    lines = [line for line in pdf_text.splitlines() if not re.fullmatch(r"\s*\d+\s*/\s*\d+\s*", line)]
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
    assert "<li>a) traiter les données <strong>uniquement pour la ou les seule(s) finalité(s)</strong>" in page
    assert "d&#x27;" not in page or "d'" in page


def test_html_draft_highlights_blanks(tmp_path: Path) -> None:
    text = ADIL.read_text(encoding="utf-8").replace("  service: Mission prévention des expulsions par le biais d'un numéro vert.\n", "")
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    page = rendered(path, "html", draft=True).decode()
    assert '<mark class="blank">[À COMPLÉTER : le service]</mark>' in page
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


@pytest.mark.interop
def test_libreoffice_converts_docx_and_odt_with_the_same_clauses(tmp_path: Path) -> None:
    soffice = require_program("soffice", "libreoffice")
    require_program("pdftotext")
    sources = []
    for path in (ADIL, BETHUNE):
        for fmt in ("docx", "odt"):
            target = tmp_path / f"{path.stem}-{fmt}.{fmt}"
            target.write_bytes(rendered(path, fmt))
            sources.append((path, target))
    out = tmp_path / "pdf"
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", str(out),
         *[str(t) for _, t in sources]],
        check=True, capture_output=True, timeout=300,
    )
    for path, target in sources:
        pdf = out / (target.stem + ".pdf")
        assert pdf.is_file(), f"LibreOffice did not convert {target.name}"
        assert_same_clauses(_pdftotext(pdf), path)


# --- the draft banner: once per page (page header) or once at the top -----------------------------


def incomplete(tmp_path: Path) -> Path:
    text = ADIL.read_text(encoding="utf-8").replace("  service: Mission prévention des expulsions par le biais d'un numéro vert.\n", "")
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
    assert [p.text for p in document.sections[0].header.paragraphs] == [DRAFT_BANNER]
    assert all(DRAFT_BANNER not in p.text for p in document.paragraphs)


def test_odt_draft_shows_the_banner_once_at_the_top(tmp_path: Path) -> None:
    from odfdo import Document

    body = Document(io.BytesIO(rendered(incomplete(tmp_path), "odt", draft=True))).body
    texts = [element.text_recursive for element in body.get_elements("//text:p | //text:h")]
    assert texts[0] == DRAFT_BANNER
    assert sum(DRAFT_BANNER in text for text in texts) == 1


def test_pdf_draft_shows_the_banner_once_on_every_page(tmp_path: Path) -> None:
    require_program("pdftotext")
    pdf = tmp_path / "draft.pdf"
    pdf.write_bytes(rendered(incomplete(tmp_path), "pdf", draft=True))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    pages = [page for page in text.split("\f") if page.strip()]
    assert len(pages) > 1
    for page in pages:
        assert page.count(DRAFT_BANNER) == 1, page[:300]


def test_the_draft_word_is_written_in_one_place_only() -> None:
    # The command-line help (cli*.py, cli/) speaks of drafts in its own sentences; the documents do not.
    library = [p for p in (REPO / "src" / "dpa_kit").rglob("*.py") if not p.name.startswith("cli") and "cli" not in p.parts]
    sources = library + sorted((REPO / "templates").glob("*.j2"))
    holders = [p.relative_to(REPO).as_posix() for p in sources if "PROJET" in p.read_text(encoding="utf-8")]
    assert holders == ["src/dpa_kit/words.py"]
