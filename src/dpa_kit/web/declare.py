"""« Déclarer une violation »: the library's breach questionnaire (:mod:`dpa_kit.breach_questions`) in pages.

The same questions, checks and draft as ``dpa-kit breach declare`` in a terminal: each page asks
``next_question(answers, context)`` with its label, help, choices (radio buttons or check boxes) and proposed
answer; the posted form becomes the text a terminal user would type (a choice's number, numbers separated by
commas, the typed text, « je ne sais pas encore »), which :func:`~dpa_kit.breach_questions.validate` accepts
or refuses with a French reason shown next to the field. Every accepted answer is saved in the ledger's
:class:`~dpa_kit.breach_drafts.DraftStore` (owner: the web user), so a reload or a new login resumes it.
The review page lists every answer with a « Modifier » link; submitting records ONE breach, notified to and
received by the Département on the server's clock (:func:`dpa_kit.breach_forms.submit_declaration`).

An answer sent after the session's idle timeout is not lost and not stored unauthenticated: the login page
carries it in hidden fields (with the page to come back to), and once logged in it goes through the same
checks into the draft (:func:`replay`). « Question précédente » reopens the previous answer like « Modifier »,
then walks forward through the answered questions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature
from starlette.exceptions import HTTPException

from dpa_kit import access, breach_forms, clock, frenchtime, mail
from dpa_kit import breach_questions as bq
from dpa_kit import breach_steps as steps
from dpa_kit.accounts import Session
from dpa_kit.breach_drafts import Draft, DraftStore
from dpa_kit.exceptions import InvalidValue, NotificationError, UsageError
from dpa_kit.web.app import (
    SESSION_COOKIE,
    Redirect,
    Web,
    carried_answer,
    check_csrf,
    current,
    login_page,
    posted,
    web,
)

#: The kind of the web declarations' drafts in the DraftStore (the terminal's are « declare »).
DRAFT_KIND = "declare-web"
NEW = "/violations/nouvelle"
REVIEW = "/violations/nouvelle/verifier"
ABANDON = "/violations/abandonner"
#: Said on the login page when a session ended while an answer was being sent.
EXPIRED = (
    "Votre session a expiré après une période sans activité. Reconnectez-vous : votre réponse est conservée "
    "et sera enregistrée dès la connexion."
)


@dataclass
class Shown:
    """What a question's field shows: the typed text, the ticked choices (numbers), the free text."""

    text: str = ""
    chosen: set[str] = field(default_factory=set)
    other: str = ""


def store_of(app_: Web) -> DraftStore:
    """The ledger's draft store (its table is made once per application)."""
    store = getattr(app_, "drafts", None)
    if store is None:
        store = DraftStore(app_.ledger)
        app_.drafts = store  # type: ignore[attr-defined]
    return store


def owner_of(session: Session) -> str:
    return session.user.subject


def context_of(app_: Web, session: Session) -> bq.Context:
    conventions = tuple(c.convention for c in access.conventions_for(session.user, app_.config.registers))
    return bq.Context(now=app_.now(), conventions=conventions, side="structure", medium="browser")


def draft_of(app_: Web, session: Session) -> Draft | None:
    """The declaration this user touched last, or None."""
    return store_of(app_).latest(owner_of(session), kind=DRAFT_KIND)


def _without(answers: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in answers.items() if k != key}


def _numbers(question: bq.Question, values: list[Any]) -> set[str]:
    return {str(i) for i, c in enumerate(question.choices, start=1) if c.value in values}


def shown_for(question: bq.Question, value: Any, answered: bool) -> Shown:
    """The field of ``question`` filled with its answer (``answered``) or with its proposed answer."""
    if not answered:
        value = question.default
        if value is None:
            return Shown()
    if value is None:
        return Shown()
    if question.kind in {"choice", "convention"}:
        chosen = _numbers(question, [value])
        return Shown(chosen=chosen, other="" if chosen else str(value))
    if question.kind == "choices":
        values = list(value)
        if not values:
            return Shown(chosen=_numbers(question, ["none"]))
        chosen = _numbers(question, values)
        known = {c.value for c in question.choices}
        return Shown(chosen=chosen, other=" ; ".join(str(v) for v in values if v not in known))
    # An instant with its season in the autumn hour, a count as « 10 à 50 »: as typed, read back the same.
    return Shown(text=steps.input_text(question, value))


def posted_shown(form: Any, sfx: str = "") -> Shown:
    """What the person typed or ticked, shown back as is (next to the reason of a refusal)."""
    return Shown(
        text=str(form.get("reponse" + sfx) or ""),
        chosen={str(v) for v in form.getlist("choix" + sfx)},
        other=str(form.get("autre" + sfx) or "").strip(),
    )


def posted_answer(question: bq.Question, form: Any, answers: dict[str, Any], context: bq.Context, sfx: str = "") -> Any:
    """The value of the posted form through :func:`~dpa_kit.breach_questions.validate`.

    The form becomes what a terminal user types: « je ne sais pas encore » (its own button), the text of the
    field, a choice's number, numbers separated by commas, or the words of « autre ». ``sfx`` names the
    fields of one question among several. Raises :class:`~dpa_kit.breach_questions.AnswerError` with the
    French reason.
    """
    if form.get("action") == "nsp" and question.allow_not_yet:
        return bq.validate(question, bq.NOT_YET, answers=answers, context=context)
    shown = posted_shown(form, sfx)
    if question.kind not in {"choice", "choices", "convention"}:
        return bq.validate(question, shown.text, answers=answers, context=context)
    return steps.ticked_and_typed(question, shown.chosen, shown.other, answers=answers, context=context)


@dataclass
class Asked:
    """One question of a page of several (the complement): as worded, its field, its refusal."""

    q: bq.Question
    label: str
    help_text: str
    shown: Shown
    error: str | None = None


def complement_fields(breach: Any, context: bq.Context, form: Any = None) -> tuple[list[Asked], dict[str, Any]]:
    """The questions still « je ne sais pas encore » of a breach, each with its field (empty, or as posted),
    and, for a posted ``form``, the answers it gives (None: still not known) checked by ``validate``."""
    answers = bq.reopen(breach.convention, breach.aware_at, breach.details)
    asked: list[Asked] = []
    learnt: dict[str, Any] = {}
    for pending in breach_forms.complement_questions(breach, context):
        question = bq.question(pending.key, answers, context)
        label, help_text = bq.worded(question, context)
        item = Asked(question, label, help_text, Shown())
        asked.append(item)
        if form is None:
            continue
        sfx = f"-{question.key}"
        item.shown = posted_shown(form, sfx)
        learnt[question.key] = None
        if item.shown.text.strip() or item.shown.chosen or item.shown.other:
            try:
                learnt[question.key] = posted_answer(question, form, answers, context, sfx)
            except bq.AnswerError as exc:
                item.error = str(exc)
        answers[question.key] = learnt[question.key]
    return asked, learnt


def _deadline(app_: Web, answers: dict[str, Any], context: bq.Context) -> dict[str, Any]:
    due = bq.deadline(answers, context)
    now = app_.now()
    return {
        "deadline": due,
        "left": breach_forms.time_left(due, now) if due else None,
        "late": bool(due and now > due),
        "late_by": frenchtime.late_by(due, now) if due and now > due else None,
        "delay_hours": steps.delay_hours(answers, context),
        "aware": bq.answer_text("aware_at", answers["aware_at"], context) if "aware_at" in answers else None,
    }


def question_page(
    request: Request,
    session: Session,
    question: bq.Question,
    answers: dict[str, Any],
    context: bq.Context,
    shown: Shown,
    *,
    error: str | None = None,
    modifying: bool = False,
    understood: tuple[str, str, str] | None = None,
    walking: bool = False,
    status: int = 200,
) -> Response:
    app_ = web(request)
    label, help_text = bq.worded(question, context)
    return app_.render(
        request,
        "declare.html",
        status=status,
        session=session,
        q=question,
        label=label,
        help_text=help_text,
        shown=shown,
        error=error,
        modifying=modifying,
        walking=walking,
        progress=steps.progress(question.key, answers),
        previous=steps.previous_key(question.key, answers),
        not_yet=bq.NOT_YET,
        started=bool(answers),
        understood=understood,
        **_deadline(app_, answers, context),
    )


def review_rows(answers: dict[str, Any], context: bq.Context) -> list[dict[str, Any]]:
    """Every answer in questionnaire order: its key, the question as worded, the answer in French."""
    return [
        {
            "key": q.key,
            "label": bq.worded(q, context)[0],
            "text": bq.answer_text(q.key, answers[q.key], context),
            "not_yet": answers[q.key] is None,
        }
        for q in bq.QUESTIONS
        if q.key in answers and steps.applies(q.key, answers)
    ]


def review_page(
    request: Request,
    session: Session,
    answers: dict[str, Any],
    context: bq.Context,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    app_ = web(request)
    try:
        declaration = bq.to_declaration(answers, context)
    except bq.AnswerError as exc:
        return ask_again(request, session, answers, context, exc)
    return app_.render(
        request,
        "review.html",
        status=status,
        session=session,
        rows=review_rows(answers, context),
        pending=[bq.ITEM_LABELS.get(k, k) for k in declaration.pending],
        errors=errors or {},
        values=values or {},
        **_deadline(app_, answers, context),
    )


def ask_again(
    request: Request, session: Session, answers: dict[str, Any], context: bq.Context, exc: bq.AnswerError
) -> Response:
    """A draft the questionnaire no longer accepts as a whole (answers at odds with each other, e.g. saved
    before a check between them existed): the question to answer again, as « Modifier », with the reason
    next to its field; or the next open question when the refusal names none already answered."""
    key = exc.key
    if key is None or key not in answers or not steps.applies(key, answers):
        raise Redirect(NEW)
    asked = bq.question(key, _without(answers, key), context)
    return question_page(
        request,
        session,
        asked,
        answers,
        context,
        shown_for(asked, answers[key], True),
        error=str(exc),
        modifying=True,
        status=400,
    )


def send_quietly(send: Callable[[EmailMessage], None] | None, message: EmailMessage) -> bool:
    """Send ``message`` through the configured SMTP server; False when it could not leave (no server, or
    the server refused it): the caller says so on the page, what is recorded stays recorded."""
    if send is None:
        return False
    try:
        send(message)
    except (NotificationError, UsageError, OSError):
        return False
    return True


def acknowledge(app_: Web, session: Session, breach: Any) -> bool:
    """E-mail the acknowledgement of a recorded declaration to the user who sent it; False if it could not
    leave (the declaration is recorded all the same)."""
    try:
        message = mail.build_acknowledgement(breach, to=session.user.email, sender=app_.config.sender, now=app_.now())
    except UsageError:
        return False
    return send_quietly(app_.config.send_mail, message)


def accept(request: Request, session: Session, form: Any, *, replayed: bool = False) -> Response:
    """Check a posted answer with the library and save it in the draft; the page to go to next.

    ``replayed``: the answer was carried through the login page after an idle timeout; when the draft has
    moved on meanwhile (another tab), it is dropped and the person goes on where the draft is."""
    app_ = web(request)
    context = context_of(app_, session)
    store = store_of(app_)
    draft = draft_of(app_, session)
    answers = dict(draft.answers) if draft else {}
    key = str(form.get("question") or "")
    following = bq.next_question(answers, context)
    modifying = key in answers
    if key not in bq.QUESTIONS_BY_KEY or not (modifying or (following is not None and following.key == key)):
        if replayed:
            return RedirectResponse(NEW, status_code=303)
        raise HTTPException(404)  # not a question of this draft (another person's, or a stale page)
    others = _without(answers, key)
    asked = bq.question(key, others, context)
    walking = form.get("parcours") == "1"
    try:
        value = posted_answer(asked, form, others, context)
    except bq.AnswerError as exc:
        return question_page(
            request,
            session,
            asked,
            answers,
            context,
            posted_shown(form),
            error=str(exc),
            modifying=modifying,
            walking=walking,
            status=400,
        )
    answers = {**answers, key: value}
    now = app_.now()
    if draft is None:
        store.create(owner_of(session), now=now, kind=DRAFT_KIND, answers=answers, convention=answers.get("convention"))
    else:
        store.save(draft.id, answers, now=now, convention=answers.get("convention"))
    if walking:
        # Going back through the answers with « Question précédente »: forward again one by one.
        after = steps.following_key(key, answers)
        if after is not None and after in answers:
            return RedirectResponse(f"{NEW}?question={after}&parcours=1", status_code=303)
    if bq.next_question(answers, context) is None:
        return RedirectResponse(REVIEW, status_code=303)
    url = f"{NEW}?compris={key}" if asked.kind == "instant" and value is not None else NEW
    return RedirectResponse(url, status_code=303)


def _same_browser(request: Request) -> bool:
    """The request carries this application's signed session cookie (expired or not). The cookie is
    SameSite=strict: a form posted from another site never carries it."""
    app_ = web(request)
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw or request.headers.get("sec-fetch-site", "same-origin") not in {"same-origin", "none"}:
        return False
    try:
        app_.signer.loads(raw)
    except BadSignature:
        return False
    return True


def expired(request: Request, form: Any) -> Response:
    """An answer posted after the session ended: the login page says so and carries the answer (in hidden
    fields, never stored on the server before the person is authenticated)."""
    if not _same_browser(request):
        raise Redirect("/connexion")
    return login_page(request, 401, notice=EXPIRED, carried=carried_answer(form), next_url=NEW)


def replay(request: Request, session: Session, form: Any, next_url: str) -> Response:
    """After a login that followed an idle timeout: the carried answer goes through the same checks as if
    posted now (saved, or shown again with its error), then the person is back at ``next_url``."""
    if session.user.is_dpo or next_url != NEW or not form.get("question"):
        return RedirectResponse(next_url, status_code=303)
    return accept(request, session, form, replayed=True)


def add_routes(app: FastAPI) -> None:
    """The declaration's pages (registered before ``/violations/{breach_id}``)."""
    # « 29 mars 2026 à 19 h 00, heure de Paris »: a deadline in a sentence, without stacked brackets.
    app.state.web.templates.filters["paris_time"] = lambda d: f"{clock.french_instant(d)}, heure de Paris" if d else ""
    app.state.web.templates.globals["late_by"] = frenchtime.late_by
    # The longest answer each question accepts: the browser stops typing there (maxlength).
    app.state.web.templates.globals["max_length"] = bq.max_length

    @app.get(NEW)
    def declaration_question(
        request: Request, question: str | None = None, compris: str | None = None, parcours: str | None = None
    ) -> Response:
        session = current(request, role="structure")
        app_ = web(request)
        context = context_of(app_, session)
        draft = draft_of(app_, session)
        answers = dict(draft.answers) if draft else {}
        if question is not None:
            # « Modifier » or « Question précédente »: one answered question again, the others kept.
            if question not in answers or not steps.applies(question, answers):
                raise HTTPException(404)
            asked = bq.question(question, _without(answers, question), context)
            return question_page(
                request,
                session,
                asked,
                answers,
                context,
                shown_for(asked, answers[question], True),
                modifying=True,
                walking=parcours == "1",
            )
        following = bq.next_question(answers, context)
        if following is None:
            raise Redirect(REVIEW)
        understood: tuple[str, str, str] | None = None
        if compris in answers and answers[compris] is not None and bq.QUESTIONS_BY_KEY[compris].kind == "instant":
            # As the terminal's « Compris : ... Est-ce exact ? »: a typed instant said back in full.
            label = bq.worded(bq.QUESTIONS_BY_KEY[compris], context)[0]
            understood = (compris, label, bq.answer_text(compris, answers[compris], context))
        return question_page(
            request, session, following, answers, context, shown_for(following, None, False), understood=understood
        )

    @app.post(NEW)
    @posted
    def declaration_answer(request: Request, form: Any) -> Response:
        if web(request).session(request) is None:
            return expired(request, form)
        session = current(request, role="structure")
        check_csrf(request, session, form)
        return accept(request, session, form)

    @app.get(ABANDON)
    def declaration_drop_page(request: Request) -> Response:
        session = current(request, role="structure")
        app_ = web(request)
        draft = draft_of(app_, session)
        if draft is None:
            raise Redirect("/structure")
        return app_.render(request, "declare_drop.html", session=session, count=len(draft.answers))

    @app.get(REVIEW)
    def declaration_review(request: Request) -> Response:
        session = current(request, role="structure")
        app_ = web(request)
        context = context_of(app_, session)
        draft = draft_of(app_, session)
        if draft is None or bq.next_question(draft.answers, context) is not None:
            raise Redirect(NEW)
        return review_page(request, session, dict(draft.answers), context)

    @app.post(ABANDON)
    @posted
    def declaration_drop(request: Request, form: Any) -> Response:
        session = current(request, role="structure")
        check_csrf(request, session, form)
        app_ = web(request)
        draft = draft_of(app_, session)
        if draft is not None:
            # The draft goes and the event is written in one transaction: both, or neither.
            with app_.ledger.unit_of_work() as writer:
                store_of(app_).discard(draft.id, writer.conn)
                payload = {"action": "breach.draft.abandoned", "object": f"draft:{draft.id}"}
                writer.append("account.action", session.user.subject, payload, at=app_.now())
        raise Redirect("/structure?brouillon=abandonne")

    @app.post("/violations/envoyer")
    @posted
    def declaration_submit(request: Request, form: Any) -> Response:
        session = current(request, role="structure")
        check_csrf(request, session, form)
        app_ = web(request)
        context = context_of(app_, session)
        draft = draft_of(app_, session)
        if draft is None or bq.next_question(draft.answers, context) is not None:
            raise Redirect(NEW)
        answers = dict(draft.answers)
        delay_reason = str(form.get("delay_reason") or "").strip() or None
        store = store_of(app_)
        try:
            submitted = breach_forms.submit_declaration(
                app_.ledger,
                answers,
                context,
                now=app_.now(),
                actor=session.user.subject,
                sender=app_.config.sender,
                send=app_.config.send_mail,
                delay_reason=delay_reason,
                then=lambda conn: store.take(draft.id, conn),
            )
        except bq.AnswerError as exc:
            # A draft saved before a check between answers existed: that answer again, never a 500.
            return ask_again(request, session, answers, context, exc)
        except InvalidValue as exc:
            name = exc.field if exc.field == "delay_reason" else "envoi"
            return review_page(
                request,
                session,
                answers,
                context,
                errors={name: str(exc)},
                values={"delay_reason": delay_reason or ""},
                status=400,
            )
        except UsageError:
            if draft_of(app_, session) is None:  # sent twice (two tabs): recorded once, by the first
                raise Redirect("/structure") from None
            raise
        # The copy to the Département and the acknowledgement to the user: the page says which could not leave.
        acknowledged = acknowledge(app_, session, submitted.breach)
        failed = [name for name, lost in (("courriel", submitted.mail_error), ("accuse", not acknowledged)) if lost]
        suffix = "?" + "&".join(f"{name}=non" for name in failed) if failed else ""
        raise Redirect(f"/violations/{submitted.breach.id}{suffix}")
