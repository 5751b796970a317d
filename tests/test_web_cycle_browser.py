"""The yearly cycle end to end in a real Chromium (Playwright driving /usr/bin/chromium) against `dpa-kit serve`.

The DPO creates a convention with the questionnaire (one invalid SIRET corrected on the way), sees it not
ready, completes it and downloads the final PDF; the CCAS de Béthune fills its register's security headings,
downloads the XLSX, uploads it back with one wrong cell and reads the French error for that cell; it uploads
its signed attestation, which the DPO then sees received; a file it drops is stored only as age ciphertext
and opens with the DPO's key. Screenshots go to the test's folder (and $DPA_KIT_SCREENSHOTS when set).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import require_program
from test_questionnaire import FORM
from webhelpers import BETHUNE, NEW_PASSWORD, code_at

from dpa_kit import agecrypt, attest, exchange, filedrop
from dpa_kit.accounts import Accounts, web_database_path
from dpa_kit.ledger import Ledger
from dpa_kit.questionnaire import QUESTIONS_BY_KEY

NOW = "2027-03-05T10:00"  # Paris; both example conventions ended on 31 December 2026
NOW_UTC = datetime(2027, 3, 5, 9, 0, tzinfo=UTC)
SCREENSHOTS = os.environ.get("DPA_KIT_SCREENSHOTS")
SECRET = b"Compte rendu de visite : Mme Durand, NIR 2600262000000, dettes de loyer. " * 2000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def shots(tmp_path: Path) -> Iterator[Any]:
    folder = tmp_path / "screenshots"
    folder.mkdir()
    taken: list[Path] = []

    def shoot(page: Any, name: str) -> None:
        path = folder / f"cycle-{len(taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)

    yield shoot
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        for path in taken:
            shutil.copy2(path, Path(SCREENSHOTS) / path.name)


@pytest.fixture
def keys() -> tuple[str, str]:
    return agecrypt.generate_identity()


@pytest.fixture
def server(registers: Path, tmp_path: Path, keys: tuple[str, str]) -> Iterator[tuple[str, dict[str, str]]]:
    ledger = tmp_path / "ledger.sqlite"
    accounts = Accounts(web_database_path(ledger), Ledger(ledger))
    _, dpo = accounts.add_user("dpo@pasdecalais.fr", "dpo", None, now=NOW_UTC, actor="test")
    _, bethune = accounts.add_user(
        "secretariat@ccas-bethune.fr", "structure", "26620011900011", now=NOW_UTC, actor="test"
    )
    port = _free_port()
    env = {**os.environ, "DPA_KIT_NOW": NOW, "DPA_KIT_DROP_RECIPIENT": keys[1], "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dpa_kit",
            "--registers",
            str(registers),
            "--ledger",
            str(ledger),
            "serve",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"dpa-kit serve did not start: {process.communicate()}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", {"dpo": dpo, "bethune": bethune}
    finally:
        process.terminate()
        process.communicate(timeout=30)


WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def _accessible(page: Any, where: str) -> None:
    """axe-core (WCAG 2.1 A and AA rules) finds no violation on the page.

    axe needs JavaScript, which these pages are used without: the page's HTML, as the server sent it, is
    loaded into a page of a JavaScript-enabled context at the same address (so its style sheet applies).
    """
    from axe_playwright_python.sync_playwright import Axe

    checker = page.context.browser.new_context(bypass_csp=True).new_page()
    try:
        parts = urlsplit(page.url)
        checker.goto(f"{parts.scheme}://{parts.netloc}/static/style.css")  # the page's address, for its links
        checker.set_content(page.content(), wait_until="load")
        results = Axe().run(checker, options=WCAG_AA)
    finally:
        checker.context.close()
    assert results.violations_count == 0, f"{where}:\n{results.generate_report()}"


def _login(page: Any, base: str, email_address: str, password: str) -> None:
    page.goto(base + "/connexion")
    page.get_by_label("Adresse électronique").fill(email_address)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def _new_password(page: Any) -> None:
    page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_label("Le même, une seconde fois").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer").click()


def _fill_questionnaire(page: Any, answers: dict[str, str]) -> None:
    for key, text in answers.items():
        question = QUESTIONS_BY_KEY[key]
        if question.kind == "choice":
            choice = question.choices[int(text) - 1]
            page.get_by_label(choice.label, exact=True).check()
        else:
            page.locator(f'[name="{key}"]').fill(text)


def test_the_yearly_cycle_in_the_browser(
    server: tuple[str, dict[str, str]], shots: Any, tmp_path: Path, registers: Path, keys: tuple[str, str]
) -> None:
    chromium_path = require_program("chromium")
    from openpyxl import load_workbook
    from playwright.sync_api import expect, sync_playwright

    base, once = server
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path)
        try:
            # --- the DPO creates a convention, without JavaScript ----------------------------------------
            dpo = browser.new_context(java_script_enabled=False, locale="fr-FR", accept_downloads=True).new_page()
            _login(dpo, base, "dpo@pasdecalais.fr", once["dpo"])
            secret = dpo.locator("#totp-secret").inner_text()
            dpo.get_by_label("Code à 6 chiffres").fill(code_at(secret, NOW_UTC))
            dpo.get_by_role("button", name="Confirmer").click()
            _new_password(dpo)
            dpo.get_by_role("link", name="Conventions").click()
            dpo.get_by_role("link", name="Nouvelle convention").click()
            expect(dpo.get_by_role("heading", level=1)).to_have_text("Nouvelle convention")
            answers = {**FORM, "processor.siret": "343 097 333 00077", "transfers": "US, Hébergeur Inc"}
            _fill_questionnaire(dpo, answers)
            shots(dpo, "questionnaire")
            dpo.get_by_role("button", name="Créer la convention").click()
            siret = dpo.locator('[name="processor.siret"]')
            expect(dpo.locator('[id="e-processor.siret"]')).to_contain_text("clé de contrôle fausse")
            expect(siret).to_have_attribute("aria-invalid", "true")
            expect(dpo.locator('[name="processor.name"]')).to_have_value(FORM["processor.name"])
            shots(dpo, "questionnaire-siret-refuse")
            _accessible(dpo, "questionnaire avec une erreur")
            siret.fill("343 097 333 00078")
            dpo.get_by_role("button", name="Créer la convention").click()
            expect(dpo.locator("#verdict")).to_contain_text("Pas encore prête à signer")
            expect(dpo.locator("ul.findings")).to_contain_text("indiquez les garanties appropriées de ce transfert")
            shots(dpo, "convention-pas-prete")
            _accessible(dpo, "convention pas prête")
            dpo.get_by_role("link", name="Compléter ou modifier la convention").click()
            dpo.locator('[name="transfers"]').fill("US, Hébergeur Inc, clauses contractuelles types de 2021")
            dpo.get_by_role("button", name="Enregistrer les modifications").click()
            expect(dpo.locator("#verdict")).to_have_text("Prête à signer : aucun point bloquant.")
            shots(dpo, "convention-prete")
            with dpo.expect_download() as info:
                dpo.get_by_role("link", name="PDF", exact=True).click()
            download = info.value
            assert download.suggested_filename == f"{FORM['id']}.annexe1.pdf"
            pdf = tmp_path / "annexe.pdf"
            download.save_as(pdf)
            assert pdf.read_bytes().startswith(b"%PDF")

            # --- the structure: register, attestation, file drop ------------------------------------------
            me = browser.new_context(java_script_enabled=False, locale="fr-FR", accept_downloads=True).new_page()
            _login(me, base, "secretariat@ccas-bethune.fr", once["bethune"])
            _new_password(me)
            me.get_by_role("link", name="Mon registre").click()
            for label, text in [
                ("Pseudonymisation et chiffrement", "postes et sauvegardes chiffrés"),
                (
                    "Confidentialité, intégrité, disponibilité et résilience",
                    "un compte par personne, habilitations revues chaque année",
                ),
                (
                    "Rétablissement de la disponibilité et de l'accès après un incident",
                    "sauvegarde hebdomadaire hors site, restauration testée",
                ),
                ("Tests et évaluation réguliers de l'efficacité des mesures", "revue annuelle avec le référent RGPD"),
            ]:
                me.get_by_label(label).fill(text)
            me.get_by_role("button", name="Enregistrer les mesures de sécurité").click()
            expect(me.get_by_role("status")).to_have_text("Enregistré.")
            shots(me, "registre-securite")
            with me.expect_download() as info:
                me.get_by_role("link", name="XLSX").click()
            sheet = tmp_path / "registre.xlsx"
            info.value.save_as(sheet)
            book = load_workbook(sheet)
            assert "postes et sauvegardes chiffrés" in [c.value for c in book["Traitements"][2]]
            book["Traitements"]["K2"] = "destructoin"
            book.save(sheet)
            me.get_by_label("Tableur complété (XLSX ou ODS)").set_input_files(str(sheet))
            me.get_by_role("button", name="Envoyer le tableur complété").click()
            expect(me.locator("#erreurs-registre")).to_contain_text(
                "registre.xlsx : feuille Traitements, cellule K2 : valeur « destructoin » non reconnue"
            )
            shots(me, "registre-erreur-cellule")
            _accessible(me, "registre avec une erreur de cellule")

            me.get_by_role("link", name="Attestations").click()
            with me.expect_download() as info:
                me.get_by_role("link", name="DOCX").click()
            assert info.value.suggested_filename == f"attestation-{BETHUNE}.docx"
            signed = tmp_path / "attestation-signee.pdf"
            signed.write_bytes(b"%PDF-1.4\n% attestation signee par le CCAS\n%%EOF\n")
            me.get_by_label("Attestation signée (PDF ou photo)").set_input_files(str(signed))
            me.get_by_role("button", name="Envoyer l'attestation signée").click()
            expect(me.locator(".etat-attestation")).to_have_text("reçue")
            shots(me, "attestation-envoyee")
            _accessible(me, "attestations")

            me.get_by_role("link", name="Déposer un fichier").click()
            dropped = tmp_path / "outside" / "compte-rendu Durand.txt"
            dropped.parent.mkdir()
            dropped.write_bytes(SECRET)
            me.get_by_label("Fichier").set_input_files(str(dropped))
            me.get_by_role("button", name="Déposer le fichier").click()
            expect(me.get_by_role("status")).to_contain_text("Fichier déposé")
            shots(me, "depot")
            _accessible(me, "dépôt")
            dropped.unlink()

            # --- the DPO sees the attestation received and downloads the drop ---------------------------
            dpo.get_by_role("link", name="Attestations").click()
            expect(dpo.locator("table")).to_contain_text("reçue")
            shots(dpo, "dpo-attestations")
            _accessible(dpo, "attestations du DPO")
            dpo.get_by_role("link", name="Dépôts").click()
            with dpo.expect_download() as info:
                dpo.locator("table a").first.click()
            age_file = tmp_path / "telecharge.age"
            info.value.save_as(age_file)
            shots(dpo, "dpo-depots")
        finally:
            browser.close()

    # No clear byte of the dropped file anywhere under the test's folder (registers, ledger, the server's
    # temporary folder): only the ciphertext, which opens with the DPO's key.
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"Durand" not in data and b"2600262000000" not in data, path
    [drop] = filedrop.drops(Ledger(tmp_path / "ledger.sqlite"))
    assert age_file.read_bytes() == filedrop.stored_path(registers / "depots", drop.siret, drop.id).read_bytes()
    out = tmp_path / "ouvert"
    exchange.open_archive(age_file, None, out, identities=keys[0])
    assert (out / "compte-rendu Durand.txt").read_bytes() == SECRET
    assert BETHUNE in attest.recorded_attestations(Ledger(tmp_path / "ledger.sqlite"))
    assert Ledger(tmp_path / "ledger.sqlite").verify().ok
