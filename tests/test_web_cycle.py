"""The yearly cycle in the web application (test client): conventions, registers, attestations, file drop."""

from __future__ import annotations

import html
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_questionnaire import FORM
from test_web import client, login
from webhelpers import ADIL, ADIL_SIRET, BETHUNE, BETHUNE_SIRET, FAST, Clock, People, csrf_of, make_people

from dpa_kit import agecrypt, attest, filedrop, lifecycle
from dpa_kit.api_tokens import Tokens
from dpa_kit.ledger import Ledger
from dpa_kit.web import WebConfig, create_app

# 5 March 2027, 10:00 in Paris: both example conventions ended on 31 December 2026, attestations due 30 January.
NOW = datetime(2027, 3, 5, 9, 0, tzinfo=UTC)
SECRET = b"Compte rendu : Mme Durand, nee le 01/02/1960, NIR 2600262000000. " * 3000


def shown(response: Any) -> str:
    """The page's text as a person reads it (entities such as &#39; decoded)."""
    return html.unescape(response.text)


@pytest.fixture
def keys() -> tuple[str, str]:
    return agecrypt.generate_identity()


@pytest.fixture
def site(registers: Path, tmp_path: Path, keys: tuple[str, str]) -> tuple[Any, People]:
    ledger = tmp_path / "ledger.sqlite"
    people = make_people(ledger, NOW)
    app = create_app(
        WebConfig(registers=registers, ledger_path=ledger, now=Clock(NOW), policy=FAST, drop_recipient=keys[1])
    )
    return app, people


def test_dpo_creates_a_convention_with_the_questionnaire(site: tuple[Any, People], registers: Path) -> None:
    app, people = site
    dpo = login(app, people.dpo, people.dpo_once, secret=[], now=NOW)
    page = dpo.get("/dpo/conventions/nouvelle")
    assert page.status_code == 200
    assert "Responsable de traitement : Département du Pas-de-Calais" in shown(page)
    assert "La structure peut faire appel à d'autres prestataires" in shown(page)  # option A explained
    form = {**FORM, "csrf": csrf_of(page.text), "processor.siret": "34309733300077"}
    response = dpo.post("/dpo/conventions/nouvelle", data=form)
    assert response.status_code == 400
    assert 'id="e-processor.siret"' in shown(response) and "clé de contrôle fausse" in shown(response)
    assert 'value="Association Exemple"' in shown(response)  # what was typed is kept
    assert not (registers / f"{FORM['id']}.yaml").exists()
    response = dpo.post("/dpo/conventions/nouvelle", data={**form, "processor.siret": "34309733300078"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/dpo/conventions/{FORM['id']}?cree=1"
    detail = dpo.get(response.headers["location"])
    assert "Prête à signer : aucun point bloquant." in shown(detail)
    annex = dpo.get(f"/conventions/{FORM['id']}/annexe.md")
    assert annex.status_code == 200 and "PROJET" not in shown(annex)
    listing = dpo.get("/dpo/conventions")
    assert FORM["id"] in shown(listing) and "brouillon" in shown(listing)


def test_a_convention_not_ready_gives_a_projet_then_its_lifecycle(
    site: tuple[Any, People], registers: Path, tmp_path: Path
) -> None:
    app, people = site
    dpo = login(app, people.dpo, people.dpo_once, secret=[], now=NOW)
    page = dpo.get("/dpo/conventions/nouvelle")
    form = {**FORM, "csrf": csrf_of(page.text), "security.option": "2"}
    assert dpo.post("/dpo/conventions/nouvelle", data=form).status_code == 400  # responsibilities required
    path = registers / f"{FORM['id']}.yaml"
    response = dpo.post("/dpo/conventions/nouvelle", data={**form, "security.option": "1"})
    assert response.status_code == 303
    path.write_text(path.read_text(encoding="utf-8").replace("  operations: ", "  #operations: "), encoding="utf-8")
    detail = dpo.get(f"/dpo/conventions/{FORM['id']}")
    assert "Pas encore prête à signer" in shown(detail) and "processing.operations" in shown(detail)
    annex = dpo.get(f"/conventions/{FORM['id']}/annexe.pdf")
    assert annex.status_code == 200
    assert "annexe1.PROJET.pdf" in annex.headers["content-disposition"]
    edit = dpo.get(f"/dpo/conventions/{FORM['id']}/modifier")
    texts = {"csrf": csrf_of(edit.text), **{k: v for k, v in FORM.items()}, "processing.operations": "collecte"}
    assert dpo.post(f"/dpo/conventions/{FORM['id']}/modifier", data=texts).status_code == 303
    assert "#operations" in path.read_text(encoding="utf-8")  # the comment line is kept
    assert "Prête à signer" in shown(dpo.get(f"/dpo/conventions/{FORM['id']}"))
    token = csrf_of(edit.text)
    assert dpo.post(f"/dpo/conventions/{FORM['id']}/envoyee", data={"csrf": token}).status_code == 303
    signed = dpo.post(
        f"/dpo/conventions/{FORM['id']}/signee",
        data={"csrf": token},
        files={"file": ("signee.pdf", b"%PDF-1.7 signed", "application/pdf")},
    )
    assert signed.status_code == 303
    state = lifecycle.state(Ledger(tmp_path / "ledger.sqlite"), FORM["id"])
    assert state.stage is lifecycle.Stage.signed and state.signed_sha256
    assert "signée" in shown(dpo.get(f"/dpo/conventions/{FORM['id']}"))
    refused = dpo.post(f"/dpo/conventions/{FORM['id']}/modifier", data=texts)
    assert refused.status_code == 400 and "convention signée : son texte ne change plus" in shown(refused)


def test_structure_register_security_upload_and_review(site: tuple[Any, People], registers: Path) -> None:
    from openpyxl import load_workbook

    app, people = site
    me = login(app, people.bethune, people.bethune_once, now=NOW)
    page = me.get("/registre")
    # Security option 2: the headings arrive filled from the convention's « annexe Sécurité et Confidentialité ».
    assert "Exemples du guide de la CNIL" in shown(page) and "4 sur 4" in shown(page)
    assert "Sauvegarder les données (CNIL-16)" in shown(page)
    token = csrf_of(page.text)
    values = {
        "csrf": token,
        "convention": BETHUNE,
        "pseudonymisation_encryption": "postes chiffrés",
        "confidentiality_integrity_availability": "mots de passe individuels",
        "restore_access": "sauvegarde hebdomadaire hors site",
        "regular_testing": "revue annuelle",
    }
    assert me.post("/registre/securite", data=values).status_code == 303
    assert "4 sur 4" in shown(me.get("/registre"))
    sheet = me.get("/registre/registre.xlsx")
    assert sheet.status_code == 200
    book = load_workbook(io.BytesIO(sheet.content))
    book["Traitements"]["K2"] = "destructoin"
    edited = io.BytesIO()
    book.save(edited)
    response = me.post(
        "/registre/import",
        data={"csrf": token},
        files={"file": ("registre.xlsx", edited.getvalue(), "application/octet-stream")},
    )
    assert response.status_code == 400
    assert "registre.xlsx : feuille Traitements, cellule K2 : valeur « destructoin » non reconnue" in shown(response)
    assert me.post("/registre/termine", data={"csrf": token}).status_code == 303
    dpo = login(app, people.dpo, people.dpo_once, secret=[], now=NOW)
    listing = dpo.get("/dpo/registres")
    assert "terminé par la structure" in shown(listing) and "4 / 4" in shown(listing)
    dpo_token = csrf_of(listing.text)
    back = dpo.post(f"/dpo/registres/{BETHUNE_SIRET}/renvoye", data={"csrf": dpo_token, "message": "Précisez."})
    assert back.status_code == 303
    assert "Précisez." in shown(me.get("/registre"))
    consolidated = dpo.get("/dpo/registres/consolidation.xlsx")
    assert consolidated.status_code == 200 and consolidated.content.startswith(b"PK")


def test_attestation_uploaded_by_the_structure_seen_received_by_the_dpo(
    site: tuple[Any, People], tmp_path: Path
) -> None:
    app, people = site
    me = login(app, people.bethune, people.bethune_once, now=NOW)
    page = me.get("/attestations")
    assert "EN RETARD de 34 jour(s)" in shown(page)
    draft = me.get(f"/attestations/{BETHUNE}/projet.docx")
    assert draft.status_code == 200 and draft.content.startswith(b"PK")
    response = me.post(
        f"/attestations/{BETHUNE}",
        data={"csrf": csrf_of(page.text)},
        files={"file": ("scan.pdf", b"%PDF-1.4 attestation signee", "application/pdf")},
    )
    assert response.status_code == 303
    assert BETHUNE in attest.recorded_attestations(Ledger(tmp_path / "ledger.sqlite"))
    dpo = login(app, people.dpo, people.dpo_once, secret=[], now=NOW)
    assert "reçue" in shown(dpo.get("/dpo/attestations"))


def test_a_dropped_file_is_only_ciphertext_and_opens_with_the_dpo_key(
    site: tuple[Any, People], tmp_path: Path, keys: tuple[str, str]
) -> None:
    from dpa_kit import exchange

    app, people = site
    me = login(app, people.bethune, people.bethune_once, now=NOW)
    page = me.get("/depot")
    token = csrf_of(page.text)
    refused = me.post("/depot", files={"file": ("cr.txt", SECRET, "text/plain")})
    assert refused.status_code == 403
    response = me.post("/depot", data={"csrf": token}, files={"file": ("Durand.txt", SECRET, "text/plain")})
    assert response.status_code == 303, response.text
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"Durand" not in data and b"2600262000000" not in data, path
    [drop] = filedrop.drops(Ledger(tmp_path / "ledger.sqlite"))
    dpo = login(app, people.dpo, people.dpo_once, secret=[], now=NOW)
    download = dpo.get(f"/dpo/depots/{drop.id}.age")
    assert download.status_code == 200 and download.content.startswith(b"age-encryption.org/v1")
    saved = tmp_path / "telecharge.age"
    saved.write_bytes(download.content)
    out = tmp_path / "ouvert"
    exchange.open_archive(saved, None, out, identities=keys[0])
    assert (out / "Durand.txt").read_bytes() == SECRET
    assert me.get(f"/dpo/depots/{drop.id}.age").status_code == 404  # a structure never downloads ciphertexts


# Every route of the cycle that names an object, with the URL of one of the CCAS de Béthune's objects (or a DPO
# page): the ADIL's user gets 404 on each. /registre/registre.{fmt} names a format, not an object: a structure
# only ever gets its own register there.
CYCLE_OBJECT_ROUTES = [
    ("get", "/dpo/conventions/{convention_id}", f"/dpo/conventions/{BETHUNE}"),
    ("get", "/dpo/conventions/{convention_id}/modifier", f"/dpo/conventions/{BETHUNE}/modifier"),
    ("post", "/dpo/conventions/{convention_id}/modifier", f"/dpo/conventions/{BETHUNE}/modifier"),
    ("post", "/dpo/conventions/{convention_id}/{action}", f"/dpo/conventions/{BETHUNE}/envoyee"),
    ("get", "/dpo/conventions/{convention_id}/signee.pdf", f"/dpo/conventions/{BETHUNE}/signee.pdf"),
    ("get", "/conventions/{convention_id}/annexe.{fmt}", f"/conventions/{BETHUNE}/annexe.pdf"),
    ("get", "/attestations/{convention_id}/projet.{fmt}", f"/attestations/{BETHUNE}/projet.pdf"),
    ("post", "/attestations/{convention_id}", f"/attestations/{BETHUNE}"),
    ("post", "/dpo/attestations/{convention_id}/relance", f"/dpo/attestations/{BETHUNE}/relance"),
    ("post", "/dpo/registres/{siret}/{action}", f"/dpo/registres/{BETHUNE_SIRET}/verifie"),
    ("get", "/dpo/depots/{drop_id}.age", "/dpo/depots/{drop}.age"),
    ("post", "/jetons/{token_id}/revoquer", "/jetons/{token}/revoquer"),
]
CYCLE_PATTERNS = {pattern for _, pattern, _ in CYCLE_OBJECT_ROUTES} | {"/registre/registre.{fmt}"}
CYCLE_ROLE_ROUTES = [
    "/dpo/conventions",
    "/dpo/conventions/nouvelle",
    "/dpo/registres",
    "/dpo/registres/consolidation.xlsx",
    "/dpo/attestations",
    "/dpo/depots",
]


def test_the_isolation_list_covers_every_route_of_the_cycle(site: tuple[Any, People]) -> None:
    from dpa_kit.web import cycle

    app, _ = site
    probe = __import__("fastapi").FastAPI()
    probe.state.web = app.state.web
    cycle.add_routes(probe)
    assert {r.path for r in probe.routes if "{" in getattr(r, "path", "")} == CYCLE_PATTERNS


@pytest.fixture
def bethune_objects(site: tuple[Any, People], keys: tuple[str, str]) -> dict[str, str]:
    """A drop and an API token of the CCAS de Béthune."""
    app, people = site
    owner = login(app, people.bethune, people.bethune_once, now=NOW)
    page = owner.get("/depot")
    owner.post("/depot", data={"csrf": csrf_of(page.text)}, files={"file": ("a.txt", b"contenu", "text/plain")})
    owner.post("/jetons", data={"csrf": csrf_of(page.text), "label": "outil"})
    web = app.state.web
    [drop] = filedrop.drops(web.ledger)
    [token] = Tokens(web.config.ledger_path.with_name("api-tokens.sqlite"), web.ledger).list()
    return {"drop": drop.id, "token": str(token.id)}


@pytest.mark.parametrize(
    ("method", "pattern", "path"), CYCLE_OBJECT_ROUTES + [("get", p, p) for p in CYCLE_ROLE_ROUTES]
)
def test_another_structure_gets_404(
    site: tuple[Any, People], bethune_objects: dict[str, str], method: str, pattern: str, path: str
) -> None:
    app, people = site
    url = path.format(**bethune_objects)
    intruder = login(app, people.adil, people.adil_once, now=NOW)
    token = csrf_of(intruder.get("/structure").text)
    if method == "get":
        response = intruder.get(url)
    else:
        response = intruder.post(
            url, data={"csrf": token, **FORM}, files={"file": ("a.pdf", b"%PDF-1.4 x", "application/pdf")}
        )
    assert response.status_code == 404, url
    assert "Béthune" not in response.text


def test_forms_of_the_cycle_need_their_csrf_token(site: tuple[Any, People]) -> None:
    app, people = site
    me = login(app, people.bethune, people.bethune_once, now=NOW)
    for path in ("/registre/securite", "/registre/termine", f"/attestations/{BETHUNE}"):
        assert me.post(path, data={"convention": BETHUNE}).status_code == 403, path
    dpo = login(app, people.dpo, people.dpo_once, secret=[], now=NOW)
    assert dpo.post("/dpo/conventions/nouvelle", data=FORM).status_code == 403
    assert dpo.post(f"/dpo/conventions/{ADIL}/envoyee", data={}).status_code == 403
    assert client(app).get("/registre").status_code == 303  # not logged in: to the login page
    assert ADIL_SIRET


def test_the_api_with_a_token_reads_and_declares_with_the_users_rights(site: tuple[Any, People]) -> None:
    app, people = site
    me = login(app, people.bethune, people.bethune_once, now=NOW)
    page = me.get("/jetons")
    created = me.post("/jetons", data={"csrf": csrf_of(page.text), "label": "SI Solidarités"})
    token = html.unescape(created.text).split('<code id="nouveau-jeton">')[1].split("<")[0]
    api = client(app)
    assert api.get("/api/conventions").status_code == 401
    assert api.get("/api/conventions", headers={"Authorization": "Bearer dpak_faux"}).status_code == 401
    auth = {"Authorization": f"Bearer {token}"}
    listed = api.get("/api/conventions", headers=auth)
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()] == [BETHUNE]  # only its SIRET's conventions
    assert api.get(f"/api/conventions/{ADIL}", headers=auth).status_code == 404
    bad = api.post("/api/breaches", headers=auth, json={"convention": BETHUNE, "aware_at": "hier"})
    assert bad.status_code == 422 and "aware_at" in bad.json()["erreurs"]
    body = {
        "convention": BETHUNE,
        "aware_at": "05/03/2027 08:00",
        "over": "oui",
        "ended_at": "05/03/2027 08:30",
        "natures": ["confidentiality"],
        "description": "courriel envoyé au mauvais destinataire",
    }
    declared = api.post("/api/breaches", headers=auth, json=body)
    assert declared.status_code == 201, declared.text
    breaches = api.get("/api/breaches", headers=auth).json()
    assert declared.json()["declared"] in {b["id"] for b in breaches}
    schema = api.get("/api/openapi.json").json()
    paths = {"/conventions", "/conventions/{convention_id}", "/breaches", "/breaches/{breach_id}"}
    assert paths <= set(schema["paths"])
    [info] = Tokens(app.state.web.config.ledger_path.with_name("api-tokens.sqlite"), app.state.web.ledger).list()
    revoke = me.post(f"/jetons/{info.id}/revoquer", data={"csrf": csrf_of(page.text)})
    assert revoke.status_code == 303
    assert api.get("/api/conventions", headers=auth).status_code == 401


def test_an_expired_api_token_is_refused_with_its_date_and_what_to_do(site: tuple[Any, People]) -> None:
    app, people = site
    me = login(app, people.bethune, people.bethune_once, now=NOW)
    page = me.get("/jetons")
    created = me.post("/jetons", data={"csrf": csrf_of(page.text), "label": "SI Solidarités"})
    token = html.unescape(created.text).split('<code id="nouveau-jeton">')[1].split("<")[0]
    auth = {"Authorization": f"Bearer {token}"}
    api = client(app)
    assert api.get("/api/conventions", headers=auth).status_code == 200
    app.state.web.config.now.instant = NOW + timedelta(days=91)
    refused = api.get("/api/conventions", headers=auth)
    assert refused.status_code == 401
    message = refused.json()["erreur"]
    assert message.startswith("jeton expiré le ") and "2027" in message and "« Jetons d'API »" in message
