"""What the web edge sends and suggests from the library: the acknowledgement of a declaration, the message
« personnes à informer » to the structure, the password advice, the limits of the answers, and a draft whose
answers no longer agree."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from html import escape, unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_web import REF, SCRIPT, answer_all, browser_form, client, declare, key_of, login
from webhelpers import BETHUNE_SIRET, FAST, Clock, People, csrf_of, make_people

from dpa_kit import breach_mail
from dpa_kit import breach_questions as bq
from dpa_kit.accounts import Accounts, web_database_path
from dpa_kit.breach_drafts import DraftStore
from dpa_kit.exceptions import NotificationError
from dpa_kit.ledger import Ledger
from dpa_kit.passwords import ACCOUNT_ADVICE
from dpa_kit.web import WebConfig, create_app

# Saturday 28 March 2026, 23:00 in Paris; the breach was discovered at 18:00.
T23 = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
SENDER = "dpa-kit@pasdecalais.fr"


class Outbox:
    """The SMTP hook of the application: keeps what is sent, or refuses it like a server that is down."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self.down = False

    def __call__(self, message: EmailMessage) -> None:
        if self.down:
            raise NotificationError("serveur SMTP injoignable")
        self.sent.append(message)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.sent if m["To"] == address]


@pytest.fixture
def clock() -> Clock:
    return Clock(T23)


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
def site(registers: Path, tmp_path: Path, clock: Clock, outbox: Outbox) -> tuple[Any, People]:
    ledger = tmp_path / "ledger.sqlite"
    people = make_people(ledger, T23)
    config = WebConfig(registers=registers, ledger_path=ledger, now=clock, policy=FAST, send_mail=outbox, sender=SENDER)
    return create_app(config), people


def _body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def _events(app: Any, kind: str) -> list[dict[str, Any]]:
    ledger: Ledger = app.state.web.ledger
    return [e.payload for e in ledger.events() if e.kind == kind]


# --- 1. the acknowledgement of a declaration ---------------------------------------------------------------


def test_the_declaring_user_receives_an_acknowledgement_without_personal_data(
    site: tuple[Any, People], outbox: Outbox
) -> None:
    app, people = site
    c = declare(login(app, people.bethune, people.bethune_once))
    [ack] = outbox.to(people.bethune)
    assert ack["From"] == SENDER
    assert ack["X-DPA-Kit-Breach"] == REF
    body = _body(ack)
    assert f"référence {REF}" in body
    assert "Déclaration reçue le samedi 28 mars 2026 à 23 h 00" in body
    # Nothing of the people: no description, no count, no contact (the reference holds the SIRET's digits).
    for personal in ("bénéficiaires", "200", "40", "Martin", "03 21", "suppression", "destinataire"):
        assert personal not in body.replace(REF, "")
    # The copy to the Département left as before; nothing says a mail failed.
    assert len(outbox.sent) == 2
    page = c.get(f"/violations/{REF}")
    assert page.status_code == 200
    assert "accusé de réception" not in page.text


def test_a_failed_acknowledgement_keeps_the_declaration_and_says_so(site: tuple[Any, People], outbox: Outbox) -> None:
    app, people = site
    c = login(app, people.bethune, people.bethune_once)
    answer_all(c, SCRIPT)
    page = c.get("/violations/nouvelle/verifier")
    outbox.down = True
    response = c.post("/violations/envoyer", data={"csrf": csrf_of(page.text)})
    assert response.status_code == 303
    assert response.headers["location"] == f"/violations/{REF}?courriel=non&accuse=non"
    page = c.get(response.headers["location"])
    assert page.status_code == 200
    assert (
        f"L'accusé de réception n'a pas pu vous être envoyé par courriel ; la déclaration est néanmoins "
        f"enregistrée sous la référence {REF}." in page.text
    )
    assert [p["object"] for p in _events(app, "account.action") if p["action"] == "breach.declared"] == [REF]


# --- 2. « personnes à informer » to the structure ---------------------------------------------------------


def _decide_to_inform(app: Any, people: People, clock: Clock, outbox: Outbox, *, down: bool = False) -> TestClient:
    declare(login(app, people.bethune, people.bethune_once))
    clock.instant = T23 + timedelta(hours=20)
    c = login(app, people.dpo, people.dpo_once, secret=[], now=clock.instant)
    page = c.get(f"/dpo/violations/{REF}")
    outbox.down = down
    response = c.post(
        f"/dpo/violations/{REF}/personnes",
        data={"csrf": csrf_of(page.text), "decision": "to_inform", "date": "31/03/2026", "channel": "courrier"},
    )
    outcome = "non" if down else "envoye"
    assert response.headers["location"] == f"/dpo/violations/{REF}?personnes={outcome}#personnes"
    return c


def test_to_inform_is_sent_to_the_active_users_of_the_structure_and_recorded(
    site: tuple[Any, People], clock: Clock, outbox: Outbox, tmp_path: Path
) -> None:
    app, people = site
    accounts = Accounts(web_database_path(tmp_path / "ledger.sqlite"), Ledger(tmp_path / "ledger.sqlite"), FAST)
    accounts.add_user("direction@ccas-bethune.fr", "structure", BETHUNE_SIRET, now=T23, actor="test")
    accounts.add_user("ancien@ccas-bethune.fr", "structure", BETHUNE_SIRET, now=T23, actor="test")
    accounts.disable("ancien@ccas-bethune.fr", now=T23, actor="test")
    c = _decide_to_inform(app, people, clock, outbox)
    sent = [m for m in outbox.sent if m["Subject"].startswith("[Violation de données] Personnes à informer")]
    assert sorted(m["To"] for m in sent) == ["direction@ccas-bethune.fr", people.bethune]  # not the disabled one
    body = _body(sent[0])
    assert f"Pour la violation {REF}" in body
    assert "au plus tard le" in body and "courrier" in body
    for personal in ("bénéficiaires", "200", "40", "Martin", "03 21"):
        assert personal not in body.replace(REF, "")
    # Recorded with the DPO, without any address.
    [event] = [e for e in app.state.web.ledger.events() if e.payload.get("action") == "breach.subjects.requested"]
    dpo_subject = accounts.user_by_email(people.dpo)
    assert dpo_subject is not None and event.subject == dpo_subject.subject
    assert event.payload == {"action": "breach.subjects.requested", "object": REF, "recipients": 2, "of": 2}
    assert "@" not in repr(event.payload)
    page = c.get(f"/dpo/violations/{REF}?personnes=envoye")
    assert "Le message « personnes à informer » a été envoyé aux comptes de la structure." in page.text


def test_to_inform_that_cannot_leave_is_said_and_not_recorded_as_sent(
    site: tuple[Any, People], clock: Clock, outbox: Outbox
) -> None:
    app, people = site
    c = _decide_to_inform(app, people, clock, outbox, down=True)
    assert not [p for p in _events(app, "account.action") if p["action"] == "breach.subjects.requested"]
    page = c.get(f"/dpo/violations/{REF}?personnes=non")
    assert "n'a pas pu partir vers tous les comptes de la structure : prévenez-la par un autre moyen" in unescape(
        page.text
    )
    # The decision itself is recorded.
    assert "Les personnes concernées vont être informées (31 mars 2026, courrier)." in page.text


def test_request_subjects_sends_records_and_reads_back_the_outcome(
    site: tuple[Any, People], clock: Clock, outbox: Outbox
) -> None:
    """The library's Art. 34 message: each active account of the structure, one ledger event without any
    address, and what the ledger then says of the last sending (the page shows nothing else)."""
    app, people = site
    web_ = app.state.web
    web_.accounts.add_user("direction@ccas-bethune.fr", "structure", BETHUNE_SIRET, now=T23, actor="test")
    _decide_to_inform(app, people, clock, outbox)
    dpo = web_.accounts.user_by_email(people.dpo)
    assert dpo is not None

    def refuse_bethune(message: EmailMessage) -> None:
        if message["To"] == people.bethune:
            raise NotificationError("refusé")
        outbox(message)

    now = clock.instant + timedelta(hours=1)
    common = {"user": dpo, "registers": web_.config.registers, "accounts": web_.accounts, "sender": SENDER}
    assert breach_mail.request_subjects(web_.ledger, REF, send=refuse_bethune, now=now, **common) == "partly"
    last = [e for e in web_.ledger.events() if e.payload.get("action") == breach_mail.REQUESTED][-1]
    assert last.at == now and last.subject == dpo.subject
    assert last.payload == {"action": breach_mail.REQUESTED, "object": REF, "recipients": 1, "of": 2}
    assert breach_mail.last_subjects_request(web_.ledger, REF, dpo.subject, now=now) == "partly"
    assert breach_mail.last_subjects_request(web_.ledger, "V-2026-9999", dpo.subject, now=now) is None
    assert breach_mail.last_subjects_request(web_.ledger, REF, dpo.subject, now=now + timedelta(hours=1)) is None
    assert breach_mail.request_subjects(web_.ledger, REF, send=outbox, now=now, **common) == "sent"
    assert breach_mail.last_subjects_request(web_.ledger, REF, dpo.subject, now=now) == "sent"
    before = len(web_.ledger.events())
    assert breach_mail.request_subjects(web_.ledger, REF, send=None, now=now, **common) == "partly"
    assert len(web_.ledger.events()) == before  # nothing left: nothing recorded


def test_a_crafted_link_cannot_claim_the_message_left(site: tuple[Any, People], clock: Clock, outbox: Outbox) -> None:
    app, people = site
    c = _decide_to_inform(app, people, clock, outbox, down=True)
    for said in ("envoye", "aucun"):
        page = c.get(f"/dpo/violations/{REF}?personnes={said}")
        assert page.status_code == 200
        assert "Le message « personnes à informer » a été envoyé" not in page.text
        assert "Aucun compte actif de la structure" not in page.text
    # Once it left, the page says so; « could not leave » is then refused.
    web_ = app.state.web
    dpo = web_.accounts.user_by_email(people.dpo)
    assert dpo is not None
    sent = breach_mail.request_subjects(
        web_.ledger,
        REF,
        user=dpo,
        registers=web_.config.registers,
        accounts=web_.accounts,
        sender=SENDER,
        send=outbox.sent.append,
        now=clock.instant,
    )
    assert sent == "sent"
    assert "a été envoyé aux comptes de la structure" in c.get(f"/dpo/violations/{REF}?personnes=envoye").text
    assert "n'a pas pu partir" not in unescape(c.get(f"/dpo/violations/{REF}?personnes=non").text)


def test_to_inform_without_any_structure_account_says_so(
    site: tuple[Any, People], clock: Clock, outbox: Outbox, tmp_path: Path
) -> None:
    app, people = site
    c = login(app, people.bethune, people.bethune_once)
    declare(c)
    Accounts(web_database_path(tmp_path / "ledger.sqlite"), Ledger(tmp_path / "ledger.sqlite"), FAST).disable(
        people.bethune, now=clock.instant, actor="test"
    )
    clock.instant = T23 + timedelta(hours=20)
    dpo = login(app, people.dpo, people.dpo_once, secret=[], now=clock.instant)
    page = dpo.get(f"/dpo/violations/{REF}")
    before = len(outbox.sent)
    response = dpo.post(
        f"/dpo/violations/{REF}/personnes",
        data={"csrf": csrf_of(page.text), "decision": "to_inform", "date": "31/03/2026", "channel": "courrier"},
    )
    assert response.headers["location"] == f"/dpo/violations/{REF}?personnes=aucun#personnes"
    assert len(outbox.sent) == before
    assert not [p for p in _events(app, "account.action") if p["action"] == "breach.subjects.requested"]
    page = dpo.get(response.headers["location"])
    assert (
        "Aucun compte actif de la structure dans l'application : le message « personnes à informer » n'a "
        "pas été envoyé" in unescape(page.text)
    )


def test_other_art34_decisions_send_nothing(site: tuple[Any, People], clock: Clock, outbox: Outbox) -> None:
    app, people = site
    declare(login(app, people.bethune, people.bethune_once))
    c = login(app, people.dpo, people.dpo_once, secret=[], now=clock.instant)
    page = c.get(f"/dpo/violations/{REF}")
    before = len(outbox.sent)
    response = c.post(
        f"/dpo/violations/{REF}/personnes",
        data={"csrf": csrf_of(page.text), "decision": "informed", "date": "30/03/2026", "channel": "courrier"},
    )
    assert response.headers["location"] == f"/dpo/violations/{REF}#personnes"
    assert len(outbox.sent) == before


# --- 3. the password advice ----------------------------------------------------------------------------------


def test_the_password_page_gives_the_library_advice_and_following_it_is_accepted(site: tuple[Any, People]) -> None:
    app, people = site
    c = client(app)
    page = c.get("/connexion")
    response = c.post(
        "/connexion", data={"csrf": csrf_of(page.text), "email": people.adil, "password": people.adil_once}
    )
    assert response.headers["location"] == "/connexion/mot-de-passe"
    page = c.get("/connexion/mot-de-passe")
    assert escape(ACCOUNT_ADVICE) in page.text
    assert "par exemple une phrase de plusieurs mots" not in page.text  # the advice that led to refusals
    # Five or six unrelated words, one of them rare or made up, neither the structure's name nor a year.
    following = "girafe tonnelle brumeux quartz zibouligne"
    response = c.post(
        "/connexion/mot-de-passe", data={"csrf": csrf_of(page.text), "password": following, "confirmation": following}
    )
    assert response.status_code == 303, unescape(response.text)
    assert response.headers["location"] == "/structure"
    # A refusal shows the advice again.
    other = client(app)
    page = other.get("/connexion")
    other.post(
        "/connexion", data={"csrf": csrf_of(page.text), "email": people.bethune, "password": people.bethune_once}
    )
    page = other.get("/connexion/mot-de-passe")
    response = other.post(
        "/connexion/mot-de-passe", data={"csrf": csrf_of(page.text), "password": "court", "confirmation": "court"}
    )
    assert response.status_code == 400
    assert escape(ACCOUNT_ADVICE) in response.text


# --- 4. a draft whose answers no longer agree ------------------------------------------------------------


def _contradicting_draft(app: Any, people: People) -> TestClient:
    """A draft finished in the pages, then with a start after the awareness written into the store, as a draft
    saved before the check between the two answers existed."""
    c = login(app, people.bethune, people.bethune_once)
    answer_all(c, SCRIPT)
    store = DraftStore(app.state.web.ledger)
    [draft] = [d for d in store.all() if d.kind == "declare-web"]
    answers = dict(draft.answers)
    assert answers["started_at"] is None
    answers["started_at"] = "2026-03-28T19:00:00+00:00"  # 20:00 in Paris, after 18:00
    store.save(draft.id, answers, now=T23)
    with pytest.raises(bq.AnswerError) as refused:
        bq.to_declaration(answers, bq.Context(now=T23, conventions=(), side="structure", medium="browser"))
    assert refused.value.key == "started_at"
    return c


def test_review_of_a_contradicting_draft_asks_the_answer_again(site: tuple[Any, People]) -> None:
    app, people = site
    c = _contradicting_draft(app, people)
    page = c.get("/violations/nouvelle/verifier")
    assert page.status_code == 400
    assert key_of(page.text) == "started_at"
    error = re.search(r'<p class="error" id="e-reponse"><strong>Erreur :</strong> ([^<]+)</p>', page.text)
    assert error and "réponses incohérentes" in unescape(error.group(1))
    assert 'value="28/03/2026 20:00"' in page.text  # the answer to modify, shown in its field
    # Answered again, the review is back and the declaration can be sent.
    response = c.post(
        "/violations/nouvelle",
        data={
            "csrf": csrf_of(page.text),
            "question": "started_at",
            "action": "continuer",
            "reponse": "28/03/2026 17:00",
        },
    )
    assert response.status_code == 303
    page = c.get("/violations/nouvelle/verifier")
    assert page.status_code == 200
    assert c.post("/violations/envoyer", data={"csrf": csrf_of(page.text)}).status_code == 303


def test_sending_a_contradicting_draft_asks_the_answer_again_and_records_nothing(site: tuple[Any, People]) -> None:
    app, people = site
    c = _contradicting_draft(app, people)
    page = c.get("/structure")
    response = c.post("/violations/envoyer", data={"csrf": csrf_of(page.text)})
    assert response.status_code == 400
    assert key_of(response.text) == "started_at"
    assert "réponses incohérentes" in unescape(response.text)
    assert not [p for p in _events(app, "account.action") if p["action"] == "breach.declared"]


# --- 5. the limits of the answers ----------------------------------------------------------------------------


def test_fields_stop_typing_at_the_library_limit(site: tuple[Any, People]) -> None:
    app, people = site
    c = login(app, people.bethune, people.bethune_once)
    seen: dict[str, str] = {}
    answers = dict(SCRIPT)
    while True:
        page = c.get("/violations/nouvelle")
        if page.status_code == 303:
            break
        key = key_of(page.text)
        question = bq.QUESTIONS_BY_KEY[key]
        typed = r"<(?:textarea|input) id=\"f-(?:reponse|autre)\"(?! type=\"(?:radio|checkbox)\")[^>]*>"
        for field in re.findall(typed, page.text):
            seen[key] = field
            assert f'maxlength="{bq.max_length(question)}"' in field, (key, field)
        assert c.post("/violations/nouvelle", data=browser_form(page.text, answers[key])).status_code == 303
    assert "<textarea" in seen["description"] and 'maxlength="5000"' in seen["description"]
    assert 'maxlength="300"' in seen["contact"]
