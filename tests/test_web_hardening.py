"""The web edge under hostile or unlucky conditions (security review): crashes that never print personal data,
hostile forms refused in French, a bounded file drop, every action in the ledger, the structure's API view."""

from __future__ import annotations

import html
import logging
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_web import login
from webhelpers import BETHUNE, BETHUNE_SIRET, FAST, Clock, People, csrf_of, make_people

from dpa_kit import agecrypt, filedrop
from dpa_kit.ledger import Ledger
from dpa_kit.web import WebConfig, create_app

# 5 March 2027, 10:00 in Paris (as test_web_cycle).
NOW = datetime(2027, 3, 5, 9, 0, tzinfo=UTC)
#: Personal data that an exception's message may quote (pydantic's input_value, an openpyxl cell).
PERSONAL = "input_value='Mme Durand\x00 NIR 2600262000000'"


def shown(response: Any) -> str:
    return html.unescape(response.text)


@pytest.fixture
def keys() -> tuple[str, str]:
    return agecrypt.generate_identity()


@pytest.fixture
def site(registers: Path, tmp_path: Path, keys: tuple[str, str]) -> tuple[Any, People]:
    ledger = tmp_path / "ledger.sqlite"
    people = make_people(ledger, NOW)
    (tmp_path / "crash").mkdir()
    app = create_app(
        WebConfig(
            registers=registers,
            ledger_path=ledger,
            now=Clock(NOW),
            policy=FAST,
            drop_recipient=keys[1],
            crash_dir=tmp_path / "crash",
        )
    )
    return app, people


def structure(site: tuple[Any, People]) -> TestClient:
    app, people = site
    return login(app, people.bethune, people.bethune_once, now=NOW)


def events(app: Any, kind: str = "account.action") -> list[Any]:
    return [e for e in Ledger(app.state.web.config.ledger_path).events() if e.kind == kind]


# --- 1. an unexpected error: a French page, a crash report without values, one log line -------------------


def _crash(*args: Any, **kwargs: Any) -> None:
    raise ValueError(PERSONAL)


def test_a_crash_logs_one_line_and_writes_a_private_report_without_values(
    site: tuple[Any, People], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: Any, capsys: Any
) -> None:
    app, _ = site
    me = structure(site)
    me = TestClient(app, follow_redirects=False, cookies=me.cookies)  # raise_server_exceptions: nothing escapes
    monkeypatch.setattr("dpa_kit.access.conventions_for", _crash)
    with caplog.at_level(logging.DEBUG):
        response = me.get("/structure")
    assert response.status_code == 500
    assert "<h1>Erreur interne</h1>" in response.text and 'lang="fr"' in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.headers["x-frame-options"] == "DENY" and response.headers["cache-control"] == "no-store"
    assert "Durand" not in response.text
    logged = caplog.text + capsys.readouterr().err
    assert "Durand" not in logged and "2600262000000" not in logged and "Traceback" not in logged
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "Erreur interne" in record.getMessage() and "internal error" in record.getMessage()
    [report] = (tmp_path / "crash").iterdir()
    assert str(report) in record.getMessage()
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    text = report.read_text(encoding="utf-8")
    assert "ValueError" in text and "_crash" in text
    assert "Durand" not in text and "2600262000000" not in text


def test_a_crash_in_the_api_is_a_json_500_without_values(
    site: tuple[Any, People], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: Any, capsys: Any
) -> None:
    app, _ = site
    me = structure(site)
    page = me.get("/jetons")
    created = me.post("/jetons", data={"csrf": csrf_of(page.text), "label": "outil"})
    token = shown(created).split('<code id="nouveau-jeton">')[1].split("<")[0]
    monkeypatch.setattr("dpa_kit.access.conventions_for", _crash)
    with caplog.at_level(logging.DEBUG):
        response = TestClient(app).get("/api/conventions", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 500 and response.json() == {"erreur": "erreur interne : prévenez le DPO"}
    logged = caplog.text + capsys.readouterr().err
    assert "Durand" not in logged and "Traceback" not in logged
    assert len(list((tmp_path / "crash").iterdir())) == 1


# --- 2. hostile form input: a French error naming the field or the limit --------------------------------

SECURITY = {
    "pseudonymisation_encryption": "postes chiffrés",
    "confidentiality_integrity_availability": "mots de passe individuels",
    "restore_access": "sauvegarde hebdomadaire hors site",
    "regular_testing": "revue annuelle",
}


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("postes\x00chiffrés", "caractère de contrôle interdit (U+0000)"),
        ("postes\x1bchiffrés", "caractère de contrôle interdit (U+001B)"),
    ],
)
def test_register_security_with_a_control_character_names_the_heading(
    site: tuple[Any, People], registers: Path, typed: str, reason: str
) -> None:
    me = structure(site)
    page = me.get("/registre")
    before = {p: p.read_bytes() for p in registers.rglob("*") if p.is_file()}
    values = {"csrf": csrf_of(page.text), "convention": BETHUNE, **SECURITY, "pseudonymisation_encryption": typed}
    response = me.post("/registre/securite", data=values)
    assert response.status_code == 400, response.text
    assert f"Pseudonymisation et chiffrement : {reason}" in shown(response)
    assert "mots de passe individuels" in shown(response)  # what was typed in the other headings is kept
    assert {p: p.read_bytes() for p in registers.rglob("*") if p.is_file()} == before


def test_register_security_with_invalid_utf8_is_refused_in_french(site: tuple[Any, People]) -> None:
    me = structure(site)
    page = me.get("/registre")
    body = f"csrf={csrf_of(page.text)}&convention={BETHUNE}&pseudonymisation_encryption=postes%FF%FEchiffr%C3"
    response = me.post(
        "/registre/securite", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 400, response.text
    assert "Pseudonymisation et chiffrement : texte illisible" in shown(response)


def test_too_many_fields_or_a_field_too_big_say_which_limit(site: tuple[Any, People]) -> None:
    me = structure(site)
    token = csrf_of(me.get("/registre").text)
    many = "&".join(f"x{i}=1" for i in range(1001))
    response = me.post(
        "/registre/securite",
        content=f"csrf={token}&{many}",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert "<h1>Requête incorrecte</h1>" in response.text
    assert "Formulaire trop volumineux : 1\u00a0000 champs au plus." in shown(response)
    response = me.post("/registre/securite", data={"csrf": token, "regular_testing": "x" * (1024 * 1024 + 1)})
    assert response.status_code == 400
    assert "Champ trop volumineux : 1 Mo au plus par champ (hors fichiers)." in shown(response)
    response = me.post(
        "/registre/import",
        data={"csrf": token, "regular_testing": "x" * (1024 * 1024 + 1)},
        files={"file": ("registre.xlsx", b"PK", "application/octet-stream")},
    )
    assert response.status_code == 400
    assert "Champ trop volumineux : 1 Mo au plus par champ (hors fichiers)." in shown(response)


# --- 3. the file drop: the token first (never in the URL), a bounded form -----------------------------------


def _multipart(
    parts: list[tuple[str, str | None, bytes]], boundary: str = "dpaboundary"
) -> tuple[bytes, dict[str, str]]:
    body = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, {"content-type": f"multipart/form-data; boundary={boundary}"}


def _nothing_dropped(app: Any, registers: Path) -> bool:
    store = registers / "depots"
    return not filedrop.drops(app.state.web.ledger) and not (store.exists() and any(store.rglob("*.age")))


def test_the_drop_form_carries_its_token_first_and_not_in_the_url(site: tuple[Any, People], registers: Path) -> None:
    app, _ = site
    me = structure(site)
    page = me.get("/depot")
    assert 'action="/depot"' in page.text and "csrf=" not in page.text.split('action="/depot"')[1].split(">")[0]
    form = page.text.split('enctype="multipart/form-data">')[1]
    assert form.lstrip().startswith('<input type="hidden" name="csrf"')  # the first part the browser sends
    token = csrf_of(page.text)
    # The token in the URL is no longer read; a token after the file is refused before the file is stored.
    assert me.post(f"/depot?csrf={token}", files={"file": ("a.txt", b"contenu", "text/plain")}).status_code == 403
    body, headers = _multipart([("file", "a.txt", b"contenu"), ("csrf", None, token.encode())])
    assert me.post("/depot", content=body, headers=headers).status_code == 403
    body, headers = _multipart([("csrf", None, b"faux"), ("file", "a.txt", b"contenu")])
    assert me.post("/depot", content=body, headers=headers).status_code == 403
    assert _nothing_dropped(app, registers)
    body, headers = _multipart([("csrf", None, token.encode()), ("file", "a.txt", b"contenu")])
    response = me.post("/depot", content=body, headers=headers)
    assert response.status_code == 303
    [drop] = filedrop.drops(app.state.web.ledger)
    assert response.headers["location"] == f"/depot?depose={drop.id}"


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ([(f"x{i}", None, b"1") for i in range(20_000)], "formulaire de dépôt trop volumineux : 4 champs au plus"),
        ([(f"x{i}", None, b"x" * 9_000) for i in range(3)], "formulaire de dépôt trop volumineux : 16 ko de texte"),
        ([("x", None, b"x" * 9_000) for _ in range(3)], "champ trop long : 10 ko au plus"),
        ([("x", None, b"x" * 10_001)], "champ trop long : 10 ko au plus"),
    ],
)
def test_the_drop_form_bounds_its_text_fields_and_stores_nothing(
    site: tuple[Any, People], registers: Path, extra: list[tuple[str, str | None, bytes]], reason: str
) -> None:
    app, _ = site
    me = structure(site)
    token = csrf_of(me.get("/depot").text)
    for where in ("before", "after"):
        file = [("file", "Durand.txt", b"Mme Durand" * 1000)]
        parts = [("csrf", None, token.encode()), *(extra + file if where == "before" else file + extra)]
        body, headers = _multipart(parts)
        response = me.post("/depot", content=body, headers=headers)
        assert response.status_code == 400, where
        assert reason in shown(response)
        assert _nothing_dropped(app, registers)


# --- 6. « Fichier déposé » only for a real drop of this user ----------------------------------------------


def test_the_drop_confirmation_shows_only_a_real_drop_of_the_user(site: tuple[Any, People]) -> None:
    app, people = site
    me = structure(site)
    spoofed = me.get("/depot", params={"depose": "appelez le 06 00 00 00 00 pour récupérer votre fichier"})
    assert spoofed.status_code == 200
    assert "Fichier déposé" not in shown(spoofed) and "06 00 00 00 00" not in shown(spoofed)
    token = csrf_of(me.get("/depot").text)
    done = me.post("/depot", data={"csrf": token}, files={"file": ("a.txt", b"contenu", "text/plain")})
    [drop] = filedrop.drops(app.state.web.ledger)
    assert f"Fichier déposé (référence {drop.id})." in shown(me.get(done.headers["location"]))
    other = login(app, people.adil, people.adil_once, now=NOW)
    assert "Fichier déposé" not in shown(other.get(done.headers["location"]))


# --- 4. every action is a ledger event with its user ----------------------------------------------------


def _actions(app: Any, subject: str) -> list[dict[str, Any]]:
    return [e.payload for e in events(app) if e.subject == subject]


def _user(app: Any, email: str) -> str:
    return str(app.state.web.accounts.user_by_email(email).subject)


def test_structure_actions_and_downloads_are_ledger_events(site: tuple[Any, People]) -> None:
    app, people = site
    me = structure(site)
    who = _user(app, people.bethune)
    page = me.get("/registre")
    token = csrf_of(page.text)
    register = f"register:{BETHUNE_SIRET}"
    assert me.post("/registre/securite", data={"csrf": token, "convention": BETHUNE, **SECURITY}).status_code == 303
    downloads = {}
    for fmt in ("xlsx", "ods", "pdf"):
        downloads[fmt] = me.get(f"/registre/registre.{fmt}")
        assert downloads[fmt].status_code == 200
    imported = me.post(
        "/registre/import",
        data={"csrf": token},
        files={"file": ("registre.xlsx", downloads["xlsx"].content, "application/octet-stream")},
    )
    assert imported.status_code == 303, shown(imported)
    assert me.get(f"/conventions/{BETHUNE}/annexe.md").status_code == 200
    assert me.get(f"/attestations/{BETHUNE}/projet.docx").status_code == 200
    question = me.get("/violations/nouvelle")
    answered = me.post(
        "/violations/nouvelle",
        data={"csrf": csrf_of(question.text), "question": "aware_at", "reponse": "05/03/2027 08:00"},
    )
    assert answered.status_code == 303
    draft_id = app.state.web.drafts.latest(who, kind="declare-web").id
    assert me.post("/violations/abandonner", data={"csrf": token}).status_code == 303
    assert _actions(app, who) == [
        {"action": "register.security.saved", "object": register, "convention": BETHUNE},
        {"action": "register.downloaded", "object": register, "format": "xlsx"},
        {"action": "register.downloaded", "object": register, "format": "ods"},
        {"action": "register.downloaded", "object": register, "format": "pdf"},
        {"action": "register.imported", "object": register},
        {"action": "convention.annex.downloaded", "object": BETHUNE, "format": "md"},
        {"action": "attestation.draft.downloaded", "object": BETHUNE, "format": "docx"},
        {"action": "breach.draft.abandoned", "object": f"draft:{draft_id}"},
    ]
    assert app.state.web.drafts.latest(who, kind="declare-web") is None
    # Only who, what and which object: nothing typed nor any content of a file.
    assert "mots de passe individuels" not in str(events(app)) and "05/03/2027" not in str(events(app))


def test_dpo_downloads_are_ledger_events(site: tuple[Any, People]) -> None:
    app, people = site
    dpo = login(app, people.dpo, people.dpo_once, secret=[], now=NOW)
    who = _user(app, people.dpo)
    token = csrf_of(dpo.get("/dpo/registres").text)
    assert dpo.post(f"/dpo/conventions/{BETHUNE}/envoyee", data={"csrf": token}).status_code == 303
    signed = dpo.post(
        f"/dpo/conventions/{BETHUNE}/signee",
        data={"csrf": token},
        files={"file": ("signee.pdf", b"%PDF-1.7 signed", "application/pdf")},
    )
    assert signed.status_code == 303, shown(signed)
    before = len(_actions(app, who))
    assert dpo.get(f"/dpo/conventions/{BETHUNE}/signee.pdf").content == b"%PDF-1.7 signed"
    assert dpo.get("/dpo/registres/consolidation.xlsx").status_code == 200
    assert _actions(app, who)[before:] == [
        {"action": "convention.signed.downloaded", "object": BETHUNE},
        {"action": "registers.consolidated.downloaded", "object": "registres", "registers": 0},
    ]


# --- 5. a structure's API token gets what its page shows, not the DPO's assessment ----------------------------


def _token(c: TestClient) -> dict[str, str]:
    page = c.get("/jetons")
    created = c.post("/jetons", data={"csrf": csrf_of(page.text), "label": "outil"})
    token = shown(created).split('<code id="nouveau-jeton">')[1].split("<")[0]
    return {"Authorization": f"Bearer {token}"}


def test_a_structure_token_reads_a_breach_without_the_dpo_assessment(site: tuple[Any, People]) -> None:
    from dpa_kit import breach as breaches

    app, people = site
    me = structure(site)
    mine = _token(me)
    body = {
        "convention": BETHUNE,
        "aware_at": "05/03/2027 08:00",
        "over": "oui",
        "ended_at": "05/03/2027 08:30",
        "natures": ["confidentiality"],
        "description": "courriel envoyé au mauvais destinataire",
    }
    api = TestClient(app)
    declared = api.post("/api/breaches", headers=mine, json=body)
    assert declared.status_code == 201, declared.text
    ref = declared.json()["declared"]
    ledger = app.state.web.ledger
    found = breaches.all_breaches(ledger)[ref]
    internal = "motif interne du DPO : la structure minimise"
    breaches.record_cnil(ledger, found, notified=False, at=None, reference=None, reason=internal, delay_reason=None)
    breaches.record_subjects(ledger, found, decision="not_informed", date=None, channel=None, ground="no_high_risk")
    severity = breaches.assess(4, 0.0, "significant", "unknown", "none", "none", False)
    breaches.record_severity(ledger, found, severity, {"dpc": 4})

    for answer in (
        api.get(f"/api/breaches/{ref}", headers=mine).json(),
        api.get("/api/breaches", headers=mine).json()[0],
    ):
        assert not {"cnil", "subjects", "severity", "side", "received_at", "cnil_deadline"} & set(answer)
        assert internal not in str(answer)
        assert answer["id"] == ref and answer["status"] == "notifiée au Département"
        page = shown(me.get(f"/violations/{ref}"))
        for item in answer["declaration"]:
            assert f"{item['item']}" in page and f"{item['value']}" in page
        assert answer["details"]["description"] == "courriel envoyé au mauvais destinataire"
    assert len(api.get("/api/breaches", headers=mine).json()) == 1
    dpo = login(app, people.dpo, people.dpo_once, secret=[], now=NOW)
    full = api.get(f"/api/breaches/{ref}", headers=_token(dpo)).json()
    assert full["cnil"]["reason"] == internal and full["subjects"] and full["severity"]


def test_under_uvicorn_a_crash_prints_no_traceback_nor_value(
    site: tuple[Any, People], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: Any, caplog: Any
) -> None:
    """The real server: Starlette's last error layer re-raises what reaches it, and uvicorn then prints the
    traceback with the exception's message; nothing reaches it."""
    import asyncio
    import socket
    import threading
    import urllib.error
    import urllib.request

    import uvicorn

    from dpa_kit.web.app import Web

    app, _ = site
    monkeypatch.setattr(Web, "anon_token", _crash)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="info", access_log=False, lifespan="off"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    with caplog.at_level(logging.DEBUG):
        thread.start()
        try:
            for _ in range(200):
                if server.started:
                    break
                threading.Event().wait(0.05)
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/connexion", timeout=30)
                status, text = 200, ""
            except urllib.error.HTTPError as exc:
                status, text = exc.code, exc.read().decode("utf-8")
        finally:
            server.should_exit = True
            thread.join(timeout=30)
            sock.close()
    assert status == 500 and "<h1>Erreur interne</h1>" in text
    captured = capfd.readouterr()
    logged = captured.out + captured.err + caplog.text
    assert "Durand" not in logged and "2600262000000" not in logged
    assert "Traceback" not in logged and "Exception in ASGI application" not in logged
    assert "rapport technique" in logged


def test_the_api_refuses_an_unreadable_body_in_french(site: tuple[Any, People]) -> None:
    app, _ = site
    auth = _token(structure(site))
    api = TestClient(app)
    bad = api.post(
        "/api/breaches", headers={**auth, "content-type": "application/json"}, content=b'{"convention": "\xff\xfe"}'
    )
    assert bad.status_code == 400
    assert bad.json() == {"erreur": "requête illisible : un corps JSON en UTF-8 est attendu"}
    assert api.get("/api/rien", headers=auth).json() == {"erreur": "introuvable"}
    assert api.delete("/api/conventions", headers=auth).json() == {"erreur": "méthode non permise à cette adresse"}


def test_a_whole_form_is_bounded_even_without_its_length(site: tuple[Any, People]) -> None:
    me = structure(site)
    token = csrf_of(me.get("/registre").text)
    fields = "&".join(f"x{i}={'y' * 900_000}" for i in range(3))
    response = me.post(
        "/registre/securite",
        content=f"csrf={token}&{fields}",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert "Formulaire trop volumineux : 2 Mo au plus." in shown(response)

    def chunks() -> Any:
        yield f"csrf={token}&".encode()
        for i in range(3):
            yield f"x{i}={'y' * 900_000}&".encode()

    response = me.post(
        "/registre/securite", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 400
    assert "Formulaire trop volumineux : 2 Mo au plus." in shown(response)


HOSTILE = "a\x00b\x1bc\ufffd\u202e"
HOSTILE_FIELDS = (
    "convention label message reason delay_reason question reponse autre choix id title processor.siret "
    "pseudonymisation_encryption regular_testing notified at reference decision date channel ground dpc ei"
).split()


def test_no_form_answers_hostile_text_with_an_internal_error(site: tuple[Any, People], tmp_path: Path) -> None:
    """Every posted form of both roles, every field a NUL, an escape, U+FFFD and a direction mark: a page (a
    French refusal, or the action done), never the 500 page, never a crash report."""
    from dpa_kit import breach as breaches

    app, people = site
    me = structure(site)
    dpo = login(app, people.dpo, people.dpo_once, secret=[], now=NOW)
    received = breaches.receive(
        app.state.web.ledger,
        convention_id=BETHUNE,
        structure="CCAS de Béthune",
        delay_hours=24,
        aware_at=NOW,
        received_at=NOW,
        details={"natures": ["confidentiality"], "description": "x"},
        structure_reference=None,
    ).id
    routes = {
        me: [
            "/registre/securite",
            "/registre/import",
            "/registre/termine",
            "/jetons",
            f"/attestations/{BETHUNE}",
            "/violations/nouvelle",
            "/violations/envoyer",
            "/depot",
        ],
        dpo: [
            "/dpo/conventions/nouvelle",
            f"/dpo/conventions/{BETHUNE}/modifier",
            f"/dpo/conventions/{BETHUNE}/signee",
            f"/dpo/registres/{BETHUNE_SIRET}/renvoye",
            f"/dpo/violations/{received}/cnil",
            f"/dpo/violations/{received}/personnes",
            f"/dpo/violations/{received}/gravite",
        ],
    }
    for c, paths in routes.items():
        token = csrf_of(c.get("/jetons").text)
        for path in paths:
            data = {"csrf": token, **dict.fromkeys(HOSTILE_FIELDS, HOSTILE)}
            for files in (None, {"file": (HOSTILE, b"PK\x03\x04" + HOSTILE.encode(), "application/octet-stream")}):
                response = c.post(path, data=data, files=files)
                assert response.status_code in {200, 303, 400, 403, 404}, (path, response.status_code)
    assert not list((tmp_path / "crash").iterdir())
