"""Deletion attestations: due dates, drafting, recording, verifying, chasing; and the DPO's overview."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

import pytest
from conftest import require_program
from helpers import run

from dpa_kit.attest import due_date

ADIL_ID = "2026-FSL-ADIL-NUMERO-VERT"
BETHUNE_ID = "2026-DPID-CCAS-BETHUNE-1.2"


@pytest.mark.parametrize(
    ("end", "grace", "expected"),
    [
        (date(2028, 2, 28), 1, date(2028, 2, 29)),  # leap year
        (date(2027, 2, 28), 1, date(2027, 3, 1)),  # not a leap year
        (date(2028, 2, 29), 30, date(2028, 3, 30)),
        (date(2026, 12, 31), 31, date(2027, 1, 31)),  # year end
        (date(2026, 1, 31), 30, date(2026, 3, 2)),  # month end into a short month
        (date(2100, 2, 28), 1, date(2100, 3, 1)),  # 2100 is not a leap year
        (date(2026, 6, 30), 0, date(2026, 6, 30)),
    ],
)
def test_due_date(end: date, grace: int, expected: date) -> None:
    assert due_date(end, grace) == expected


def as_new_convention(registers: Path) -> None:
    """Drop the ADIL example's signed edition: it then owes a written attestation like any new convention."""
    path = registers / f"{ADIL_ID}.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("# L'annexe signée")], encoding="utf-8")


def due(env: dict[str, str], now: str, *args: str) -> tuple[int, list[dict]]:
    result = run("attest", "due", "--format", "json", *args, env={**env, "DPA_KIT_NOW": now})
    return result.exit_code, json.loads(result.stdout)


def test_grace_period_from_defaults(env: dict[str, str], registers: Path) -> None:
    as_new_convention(registers)
    # defaults.yaml gives 30 days: the 2026 conventions are due on 30 January 2027.
    code, items = due(env, "2027-01-30T12:00")
    assert code == 0 and {i["due_date"] for i in items} == {"2027-01-30"} and not any(i["overdue"] for i in items)
    code, items = due(env, "2027-01-31T00:30", "--overdue")
    assert code == 1 and [i["days_overdue"] for i in items] == [1, 1]
    defaults = registers / "defaults.yaml"
    defaults.write_text(
        defaults.read_text(encoding="utf-8").replace("attestation_grace_days: 30", "attestation_grace_days: 0"),
        encoding="utf-8",
    )
    code, items = due(env, "2027-01-02T10:00", "--overdue")
    assert code == 1 and items[0]["due_date"] == "2026-12-31" and items[0]["days_overdue"] == 2


def test_end_to_end_due_overdue_drafted_recorded_verified(env: dict[str, str], registers: Path, tmp_path: Path) -> None:
    as_new_convention(registers)
    # Before the end: nothing is owed.
    code, items = due(env, "2026-12-31T12:00")
    assert code == 0 and items == []
    # The convention ended: due, then overdue.
    code, items = due(env, "2027-01-15T12:00")
    assert ADIL_ID in {i["convention"] for i in items} and not any(i["overdue"] for i in items)
    code, items = due(env, "2027-02-15T12:00", "--overdue")
    assert code == 1 and ADIL_ID in {i["convention"] for i in items}
    # Drafted, filled (here: a PDF stands for the signed scan), recorded.
    draft = tmp_path / "attestation.docx"
    result = run("attest", "draft", ADIL_ID, "--format", "docx", "-o", draft, env=env)
    assert result.exit_code == 0, result.output
    signed = tmp_path / "attestation-signee.pdf"
    signed.write_bytes(b"%PDF-1.4 attestation signee ADIL\n%%EOF\n")
    result = run(
        "attest",
        "record",
        ADIL_ID,
        "--file",
        signed,
        "--received-at",
        "2027-02-16T09:00",
        env={**env, "DPA_KIT_NOW": "2027-02-16T09:00"},
    )
    assert result.exit_code == 0, result.output
    code, items = due(env, "2027-02-20T12:00", "--overdue")
    assert ADIL_ID not in {i["convention"] for i in items}
    # The stored copy is read-only and identical.
    copies = list((Path(env["DPA_KIT_REGISTERS"]) / "attestations" / ADIL_ID).iterdir())
    assert len(copies) == 1 and copies[0].read_bytes() == signed.read_bytes()
    assert not copies[0].stat().st_mode & 0o222
    assert run("attest", "verify", ADIL_ID, "--file", signed, env=env).exit_code == 0
    tampered = tmp_path / "falsifiee.pdf"
    data = bytearray(signed.read_bytes())
    data[10] ^= 0x01
    tampered.write_bytes(bytes(data))
    result = run("attest", "verify", ADIL_ID, "--file", tampered, env=env)
    assert result.exit_code == 1 and "DIFFÉRENT" in result.stderr


def test_draft_content_by_fate_and_blanks_found_by_check(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "a.md"
    assert run("attest", "draft", BETHUNE_ID, "--format", "md", "-o", out, env=env).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "renvoi de toutes les données à caractère personnel au Département" in text
    assert "Hébergeur des dossiers sociaux (exemple)" in text  # sub-processors' copies
    assert "NIST SP 800-88" in text and "[À COMPLÉTER\u00a0: outil et version]" in text
    assert "Exception légale de conservation" in text
    result = run("check", out, "--format", "json")
    assert result.exit_code == 1
    assert all(f["code"] == "D601" for f in json.loads(result.stdout))
    # Once every field is filled, the check passes.
    import re

    out.write_text(re.sub(r"\[À COMPLÉTER\s: [^\]]*\]", "rempli", text), encoding="utf-8")
    assert run("check", out).exit_code == 0


def test_draft_lists_the_exchanges_of_the_convention(env: dict[str, str], tmp_path: Path) -> None:
    from dpa_kit.ledger import Ledger

    ledger = Ledger(env["DPA_KIT_LEDGER"])
    ledger.append(
        "exchange.packed",
        ADIL_ID,
        {
            "direction": "packed",
            "convention": ADIL_ID,
            "counterpart": "dpo",
            "archive_sha256": "ab" * 32,
            "files": 3,
            "total_size": 10,
        },
    )
    out = tmp_path / "a.md"
    run("attest", "draft", ADIL_ID, "--format", "md", "-o", out, env=env)
    text = out.read_text(encoding="utf-8")
    assert "Archives chiffrées échangées pour cette convention" in text and "ab" * 32 in text


def test_remind_writes_one_eml_per_structure_with_an_address(
    env: dict[str, str], registers: Path, tmp_path: Path
) -> None:
    import email
    from email import policy

    as_new_convention(registers)
    folder = tmp_path / "relances"
    result = run("attest", "due", "--overdue", "--remind", folder, env={**env, "DPA_KIT_NOW": "2027-03-01T10:00"})
    assert result.exit_code == 1
    assert "pas d'adresse de la structure" in result.stderr  # ADIL has no DPO address
    files = list(folder.glob("*.eml"))
    assert [f.name for f in files] == [f"relance-{BETHUNE_ID}.eml"]
    message = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert message["To"] == "dpd@ccas-bethune.example" and BETHUNE_ID in message["Subject"]
    assert "30 jour(s) de retard" in message.get_content()


def test_signed_annex_without_written_justification_owes_no_attestation(env: dict[str, str]) -> None:
    # The ADIL annex as signed lacks « justifier par écrit de la destruction »: nothing is chased.
    code, items = due(env, "2027-03-01T10:00", "--overdue")
    assert code == 1 and ADIL_ID not in {i["convention"] for i in items}
    code, items = due(env, "2027-03-01T10:00")
    adil = next(i for i in items if i["convention"] == ADIL_ID)
    assert adil["end"] == "2026-12-31" and adil["owed_in_writing"] is False and adil["overdue"] is False
    result = run("attest", "due", env={**env, "DPA_KIT_NOW": "2027-03-01T10:00"})
    assert "aucune attestation écrite n'est due (l'annexe signée ne l'exige pas)" in result.stdout


def test_status_overview_text_json_html(env: dict[str, str], tmp_path: Path) -> None:
    run(
        "breach",
        "declare",
        "--convention",
        ADIL_ID,
        "--nature",
        "c",
        "--description",
        "x",
        env={**env, "DPA_KIT_NOW": "2027-02-27T10:00"},
    )
    page = tmp_path / "status.html"
    result = run("status", "--html", page, env={**env, "DPA_KIT_NOW": "2027-03-01T10:00"})
    assert result.exit_code == 1
    assert "Conventions : 2 (2 prête(s) à signer)" in result.stdout
    assert "V-2027-343097333-0001" in result.stdout and "EN RETARD" in result.stdout
    data = json.loads(run("status", "--format", "json", env={**env, "DPA_KIT_NOW": "2027-03-01T10:00"}).stdout)
    assert {"conventions", "open_breaches", "attestations_due", "last_exchanges", "late"} <= set(data)
    assert "V-2027-343097333-0001" in data["late"]
    page_text = page.read_text(encoding="utf-8")
    assert "<h2>Violations ouvertes (par échéance)</h2>" in page_text
    # A summary first, and the late breach marked as such (red), sorted by deadline.
    assert "violations ouvertes</p>" in page_text and "1 en retard" in page_text and '<tr class="late">' in page_text
    # The ADIL annex as signed owes no written attestation: it is not counted as due.
    assert "2026-FSL-ADIL-NUMERO-VERT</td><td>ADIL" not in page_text.split("Attestations de destruction")[1]


@pytest.mark.interop
def test_libreoffice_opens_the_docx_and_odt_drafts(env: dict[str, str], tmp_path: Path) -> None:
    soffice = require_program("soffice", "libreoffice")
    pdftotext = require_program("pdftotext")
    drafts = []
    for fmt in ("docx", "odt"):
        target = tmp_path / f"attestation-{fmt}.{fmt}"
        assert run("attest", "draft", BETHUNE_ID, "--format", fmt, "-o", target, env=env).exit_code == 0
        drafts.append(target)
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path / "pdf"),
            *map(str, drafts),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    for target in drafts:
        pdf = tmp_path / "pdf" / f"{target.stem}.pdf"
        text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "ATTESTATION DE DESTRUCTION" in text and "À COMPLÉTER" in text and BETHUNE_ID in text


def test_status_takes_a_folder_and_prints_french_dates(env: dict[str, str]) -> None:
    run(
        "breach",
        "declare",
        "--convention",
        ADIL_ID,
        "--nature",
        "c",
        "--description",
        "x",
        env={**env, "DPA_KIT_NOW": "2027-02-27T10:00"},
    )
    folder = env["DPA_KIT_REGISTERS"]
    others = {k: v for k, v in env.items() if k != "DPA_KIT_REGISTERS"}
    result = run("status", folder, env={**others, "DPA_KIT_NOW": "2027-03-01T10:00"})
    assert result.exit_code == 1, result.output
    assert "Conventions : 2" in result.stdout
    assert "établie le lundi 1er mars 2027 à 10 h 00" in result.stdout
    assert "échéance le dimanche 28 février 2027 à 10 h 00" in result.stdout
    assert "T10:00" not in result.stdout
    page = Path(folder).parent / "vue.html"
    run("status", folder, "--html", page, env={**others, "DPA_KIT_NOW": "2027-03-01T10:00"})
    html = page.read_text(encoding="utf-8")
    assert "Établie le lundi 1er mars 2027 à 10 h 00" in html and "dimanche 28 février 2027 à 10 h 00" in html
    assert "T10:00" not in html


def test_remind_a_structure_without_dpo_at_its_contact_with_the_fate_of_its_data(
    env: dict[str, str], registers: Path, tmp_path: Path
) -> None:
    import email
    from email import policy

    as_new_convention(registers)
    path = registers / f"{ADIL_ID}.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("  dpo: null\n", "  dpo: null\n  contact_email: accueil@adil.example\n")
    text = text.replace("  action: destroy\n", "  action: return_to_controller\n")
    path.write_text(text, encoding="utf-8")
    folder = tmp_path / "relances"
    result = run("attest", "due", "--overdue", "--remind", folder, env={**env, "DPA_KIT_NOW": "2027-03-01T10:00"})
    assert "relance non écrite" not in result.stderr
    message = email.message_from_bytes((folder / f"relance-{ADIL_ID}.eml").read_bytes(), policy=policy.default)
    assert message["To"] == "accueil@adil.example"
    body = " ".join(message.get_content().split())
    assert body.startswith("À l'attention de Jean-Noël VERFAILLIE, Président")
    assert "l'organisme doit renvoyer au Département les données" in body
    assert "puis détruire toutes les copies" in body and "doit détruire" not in body
