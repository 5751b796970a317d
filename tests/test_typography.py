"""French typography of written documents: no-break spaces before « : ; ! ? » and inside « guillemets »."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest
from conftest import ADIL, BETHUNE, require_program
from hypothesis import given
from hypothesis import strategies as st

from dpa_kit.documents.annex import render
from dpa_kit.documents.markdown import Block, Run, parse_blocks, plain_text
from dpa_kit.documents.typography import NBSP, NNBSP, french_spacing, typeset_blocks, typeset_markdown
from dpa_kit.documents.writers import DocumentMeta, to_odt, write, write_rendered
from dpa_kit.loader import load_convention
from dpa_kit.security import render_security

#: A line that starts with high punctuation or a closing guillemet, or ends with an opening one.
BAD_LINE = re.compile(r"^\s*[:;!?»]|«\s*$", re.M)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sous-traitance : le texte", f"Sous-traitance{NBSP}: le texte"),
        ("les données ; les personnes ! vraiment ?", f"les données{NNBSP}; les personnes{NNBSP}! vraiment{NNBSP}?"),
        ("« Accompagnement »", f"«{NNBSP}Accompagnement{NNBSP}»"),
        ("«Accompagnement»", f"«{NNBSP}Accompagnement{NNBSP}»"),
        ("Note: Pourquoi?", f"Note{NBSP}: Pourquoi{NNBSP}?"),
        ("deux  espaces  :", f"deux  espaces{NBSP}:"),
        # Left as written: times, addresses, e-mail addresses, ratios.
        ("à 18:00 ou 9:30", "à 18:00 ou 9:30"),
        (
            "voir https://exemple.fr/page?id=3&x=a:b ou http://x.fr/a?",
            "voir https://exemple.fr/page?id=3&x=a:b ou http://x.fr/a?",
        ),
        ("écrire à dpo@pasdecalais.fr : merci", f"écrire à dpo@pasdecalais.fr{NBSP}: merci"),
        ("mailto:dpo@exemple.fr", "mailto:dpo@exemple.fr"),
        ("un ratio 1:2", "un ratio 1:2"),
        ("[...] et TODO ???", f"[...] et TODO{NNBSP}???"),
    ],
)
def test_french_spacing(text: str, expected: str) -> None:
    assert french_spacing(text) == expected


def test_typesetting_twice_changes_nothing() -> None:
    text = "« a » : b ; c ! d ? https://x.fr/?q=1"
    assert french_spacing(french_spacing(text)) == french_spacing(text)


def test_markdown_syntax_and_code_are_kept() -> None:
    markdown = (
        "f) **Sous-traitance** : le « **titre** » ; `a : b` et <https://x.fr/?a=b> !\n\n- Item :\n  - sous-item ?"
    )
    typeset = typeset_markdown(markdown)
    assert typeset == (
        f"f) **Sous-traitance**{NBSP}: le «{NNBSP}**titre**{NNBSP}»{NNBSP}; `a : b` et <https://x.fr/?a=b>{NNBSP}!"
        f"\n\n- Item{NBSP}:\n  - sous-item{NNBSP}?"
    )
    blocks = parse_blocks(typeset)
    # The same Markdown structure (bold, code, list nesting) and the same text as the typeset blocks.
    assert [(b.kind, b.level) for b in blocks] == [(b.kind, b.level) for b in parse_blocks(markdown)]
    assert [b.runs for b in blocks] == [b.runs for b in typeset_blocks(parse_blocks(markdown))]
    assert Run("a : b", code=True) in blocks[0].runs


@given(
    st.lists(
        st.tuples(st.text(alphabet="ab :;!?«»\u00a0\u202f.", max_size=8), st.booleans(), st.booleans()),
        max_size=6,
    )
)
def test_runs_are_typeset_as_their_joined_text(pieces: list[tuple[str, bool, bool]]) -> None:
    runs = tuple(Run(text, bold=bold, code=code) for text, bold, code in pieces)
    (typeset,) = typeset_blocks([Block("paragraph", runs)])
    # Each run keeps its emphasis; code is untouched; the rest reads as the typeset text of its stretch.
    assert [(r.bold, r.code) for r in typeset.runs] == [(r.bold, r.code) for r in runs]
    assert [r.text for r in typeset.runs if r.code] == [r.text for r in runs if r.code]
    stretch: list[str] = []
    expected: list[str] = []
    for original, done in [*zip(runs, typeset.runs, strict=True), (None, None)]:
        if original is not None and not original.code:
            stretch.append(original.text)
            expected.append(done.text)
            # Only spaces move: every other character stays in its run (its emphasis).
            assert re.sub(r"\s", "", done.text) == re.sub(r"\s", "", original.text)
            continue
        assert "".join(expected) == french_spacing("".join(stretch))
        stretch, expected = [], []


def test_a_space_is_added_or_made_no_break_where_two_runs_meet() -> None:
    block = Block("paragraph", (Run("«"), Run("titre", bold=True), Run("» et "), Run("gras", bold=True), Run(" :")))
    (typeset,) = typeset_blocks([block])
    assert typeset.runs == (
        Run("«"),
        Run(f"{NNBSP}titre", bold=True),
        Run(f"{NNBSP}» et "),
        Run("gras", bold=True),
        Run(f"{NBSP}:"),
    )


@pytest.mark.parametrize("path", [ADIL, BETHUNE])
def test_written_annex_has_no_breakable_space_before_high_punctuation(path: Path) -> None:
    convention = load_convention(path).convention
    for rendered in (render(convention), render_security(convention, draft=True)):
        markdown = write_rendered("md", rendered).decode()
        assert not re.search(r" [:;!?»]|« ", markdown), re.search(r".{30} [:;!?»].{10}|« .{10}", markdown)
        html = write_rendered("html", rendered).decode()
        body = html[html.index("<body>") :]
        assert not re.search(r" [:;!?»]|« ", body)
        # The text itself keeps plain spaces (checks and comparisons read it as people type it).
        assert " : " in plain_text(rendered.blocks)


def test_docx_and_odt_carry_the_no_break_spaces() -> None:
    from docx import Document
    from odfdo import Document as OdfDocument

    rendered = render(load_convention(BETHUNE).convention)
    docx = Document(io.BytesIO(write_rendered("docx", rendered)))
    text = "\n".join(p.text for p in docx.paragraphs)
    assert f"Convention «{NNBSP}Accompagnement" in text and f"Parties{NBSP}:" in text
    assert not re.search(r" [:;!?»]|« ", text)
    odt = OdfDocument(io.BytesIO(write_rendered("odt", rendered)))
    text = "\n".join(e.text_recursive for e in odt.body.get_elements("//text:p | //text:h"))
    assert f"Parties{NBSP}:" in text and not re.search(r" [:;!?»]|« ", text)


def _tight_blocks() -> list[Block]:
    """Paragraphs full of « : », « ; », « ? » and guillemets, where plain spaces would let a line start with them."""
    words = ["mesure", "organisme", "de", "sauvegarde", "à", "chiffrement", "RGPD", "données", "responsable"]
    sentences = []
    for i in range(160):
        word = words[i % len(words)]
        sentences.append(f"« {word} » : {words[(i * 5) % len(words)]} ; {word[: 1 + i % 6]} ?")
    return [Block("paragraph", (Run(" ".join(sentences[k : k + 16])),)) for k in range(0, len(sentences), 16)]


def _pdf_lines(pdf: Path) -> str:
    exe = require_program("pdftotext")
    return subprocess.run([exe, "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, text=True).stdout


@pytest.mark.interop
def test_no_printed_line_starts_with_a_colon_or_a_closing_guillemet(tmp_path: Path) -> None:
    """PDF (Typst), DOCX and ODT (printed by LibreOffice), read back by pdftotext."""
    soffice = require_program("soffice", "libreoffice")
    blocks = _tight_blocks()
    meta = DocumentMeta(title="Essai", author="dpa-kit", subject="Typographie", day=date(2026, 1, 1))
    (tmp_path / "typeset.pdf").write_bytes(write("pdf", "", blocks, meta))
    office = [tmp_path / "typeset-docx.docx", tmp_path / "typeset-odt.odt", tmp_path / "plain.odt"]
    office[0].write_bytes(write("docx", "", blocks, meta))
    office[1].write_bytes(write("odt", "", blocks, meta))
    office[2].write_bytes(to_odt(blocks, meta))  # the writer alone: plain spaces, no typography
    profile = (tmp_path / "lo-profile").as_uri()
    command = [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir"]
    subprocess.run([*command, str(tmp_path / "pdf"), *map(str, office)], check=True, capture_output=True, timeout=300)
    # With plain spaces, LibreOffice does start lines with « : » and « » »: the check below can see the fault.
    assert BAD_LINE.search(_pdf_lines(tmp_path / "pdf" / "plain.pdf"))
    for pdf in (tmp_path / "typeset.pdf", tmp_path / "pdf" / "typeset-docx.pdf", tmp_path / "pdf" / "typeset-odt.pdf"):
        text = _pdf_lines(pdf)
        assert text.count("mesure") >= 17, pdf.name  # the whole text is there
        bad = BAD_LINE.search(text)
        assert bad is None, f"{pdf.name}: {text[max(0, bad.start() - 80) : bad.end() + 40]!r}"
