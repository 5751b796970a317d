"""The application: configuration, security (cookies, CSRF, headers, error pages) and the routes.

Every route is thin: it reads the request, calls :mod:`dpa_kit.accounts`, :mod:`dpa_kit.access` or
:mod:`dpa_kit.breach_forms`, and renders a template. Pages work without JavaScript; ``countdown.js``
only makes the time left tick.
"""

from __future__ import annotations

import contextlib
import hmac
import inspect
import logging
import secrets
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from dpa_kit import access, breach_forms, breach_mail, clock
from dpa_kit.accounts import Accounts, Policy, Session, web_database_path
from dpa_kit.breach import ART34_GROUNDS, NATURES, SUBJECT_DECISIONS
from dpa_kit.breach_questions import ITEM_LABELS
from dpa_kit.crash import write_crash_report
from dpa_kit.exceptions import DpaKitError, LoginRefused, NotFound, UsageError
from dpa_kit.labels import subjects_decision
from dpa_kit.ledger import Ledger
from dpa_kit.passwords import ACCOUNT_ADVICE

HERE = Path(__file__).parent
SESSION_COOKIE = "dpa_session"
ANON_COOKIE = "dpa_csrf"
#: What the DPO's breach page says of the message « personnes à informer » sent to the structure.
SUBJECTS_MAIL = {
    "envoye": ("success", "Le message « personnes à informer » a été envoyé aux comptes de la structure."),
    "non": (
        "notice",
        "Le message « personnes à informer » n'a pas pu partir vers tous les comptes de la structure : "
        "prévenez-la par un autre moyen.",
    ),
    "aucun": (
        "notice",
        "Aucun compte actif de la structure dans l'application : le message « personnes à informer » n'a pas "
        "été envoyé ; prévenez-la par un autre moyen.",
    ),
}
#: The page's word for each outcome of :func:`dpa_kit.breach_mail.request_subjects` (``?personnes=``).
SUBJECTS_OUTCOME = {"sent": "envoye", "partly": "non", "no_account": "aucun"}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

ERROR_TEXTS = {
    400: ("Requête incorrecte", "La demande envoyée n'est pas complète ou pas lisible."),
    403: (
        "Action refusée",
        "Le formulaire a expiré ou ne vient pas de cette application. Rechargez la page puis recommencez.",
    ),
    404: ("Page introuvable", "Cette page n'existe pas, ou vous n'y avez pas accès."),
    405: ("Action impossible", "Cette adresse ne s'utilise pas ainsi."),
    429: ("Trop de tentatives", "Trop de tentatives de connexion depuis ce poste : patientez quelques minutes."),
    500: (
        "Erreur interne",
        "Une erreur inattendue s'est produite ; rien de ce que vous avez saisi n'est perdu "
        "si la page précédente l'avait enregistré. Prévenez le délégué à la protection des données.",
    ),
}


#: The server's log of unexpected errors: one line, the crash report's path, never a message or a value.
LOG = logging.getLogger("dpa_kit.web")

#: What a posted form may hold (Starlette's parser refuses more, the page says which limit in French).
FORM_MAX_FIELDS = 1000
FORM_MAX_FILES = 10
FORM_MAX_PART_BYTES = 1024 * 1024
#: A whole posted form: text only (2 Mo), or with files (the largest upload, a signed PDF of 50 MB, and its
#: fields). The parser keeps text in memory and spools files to disk: both stay bounded.
FORM_MAX_TEXT_BODY = 2_000_000
FORM_MAX_BODY = 52_000_000


def _real_now() -> datetime:

    return datetime.now(UTC)


@dataclass
class WebConfig:
    """What the edge that starts the application (``dpa-kit serve``, a test) decides."""

    registers: Path
    ledger_path: Path
    #: Sends a message through the configured SMTP server (None: no e-mail copy).
    send_mail: Callable[[EmailMessage], None] | None = None
    sender: str = "dpa-kit@localhost"
    secure_cookies: bool = False
    now: Callable[[], datetime] = _real_now
    policy: Policy = field(default_factory=Policy)
    #: The DPO's age public key (``age1...``): files dropped by structures are encrypted to it.
    drop_recipient: str | None = None
    #: Where the crash reports of unexpected errors go (0600 files; None: the system's temporary folder).
    crash_dir: Path | None = None


class FormRefused(Exception):
    """A posted form the application will not read (too many fields, a field too big, not a form): answered
    with the 400 page, which says ``reason`` in French."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Redirect(Exception):
    """Raised inside a route to answer with a 303 redirection."""

    def __init__(self, url: str):
        super().__init__(url)
        self.url = url


class Web:
    """The application's shared objects, reachable from every route as ``request.app.state.web``."""

    def __init__(self, config: WebConfig):
        self.config = config
        self.ledger = Ledger(config.ledger_path)
        self.accounts = Accounts(web_database_path(config.ledger_path), self.ledger, config.policy)
        self.signer = URLSafeTimedSerializer(self.accounts.secret_key(), salt="dpa-kit-web")
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(HERE / "templates")),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["paris"] = lambda d: f"{clock.french_instant(d)} (heure de Paris)" if d else ""
        self.templates.filters["instant"] = lambda t: datetime.fromisoformat(t) if t else None
        self.templates.filters["iso"] = lambda d: d.isoformat() if d else ""
        self.templates.globals.update(
            labels=breach_forms.LABELS,
            cnil_labels=breach_forms.CNIL_LABELS,
            subjects_labels=breach_forms.SUBJECTS_LABELS,
            art34_grounds=ART34_GROUNDS,
            event_labels=breach_forms.EVENT_LABELS,
            declaration_items=breach_forms.declaration_items,
            item_labels=ITEM_LABELS,
            natures=NATURES,
            subject_decisions=SUBJECT_DECISIONS,
            subjects_decision=subjects_decision,
            unknown=breach_forms.UNKNOWN,
        )

    def now(self) -> datetime:
        return self.config.now()

    def overview(self) -> dict[str, Any]:
        """``dpa_kit.status.overview``: always up to date, and fast because the library keeps the judged
        conventions (until a file of the folder changes) and the breaches (brought up to date with the
        events appended since)."""
        from dpa_kit.status import overview

        return overview(self.config.registers, self.ledger)

    # --- cookies and sessions ----------------------------------------------------------------------

    def session(self, request: Request) -> Session | None:
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return None
        try:
            token = self.signer.loads(raw, max_age=int(self.config.policy.max_lifetime.total_seconds()))
        except BadSignature:
            return None
        return self.accounts.session(str(token), now=self.now())

    def set_cookie(self, response: Response, name: str, value: str, max_age: timedelta | None) -> None:
        response.set_cookie(
            name,
            self.signer.dumps(value),
            max_age=int(max_age.total_seconds()) if max_age else None,
            httponly=True,
            samesite="strict",
            secure=self.config.secure_cookies,
            path="/",
        )

    def anon_token(self, request: Request) -> str | None:
        raw = request.cookies.get(ANON_COOKIE)
        if not raw:
            return None
        try:
            return str(self.signer.loads(raw, max_age=86400))
        except BadSignature:
            return None

    def render(
        self, request: Request, name: str, status: int = 200, session: Session | None = None, **context: Any
    ) -> HTMLResponse:
        now = self.now()
        csrf = session.csrf if session else context.pop("csrf", None)
        page = self.templates.get_template(name).render(
            request=request,
            session=session,
            user=session.user if session else None,
            csrf=csrf or "",
            now=now,
            **context,
        )
        return HTMLResponse(page, status_code=status)


def web(request: Request) -> Web:
    return request.app.state.web  # type: ignore[no-any-return]


def current(request: Request, *, role: str | None = None, stage: str = "ok") -> Session:
    """The signed-in session at the given stage, or a redirection to where the user must go first."""
    app = web(request)
    session = app.session(request)
    if session is None:
        if request.cookies.get(SESSION_COOKIE):
            # A session that ended (idle timeout): say so, and come back after the login to this page (or, for
            # a form, to the page of the form).
            page = request.url.path + ("?" + request.url.query if request.url.query else "")
            if request.method != "GET":
                referer = urlsplit(request.headers.get("referer", ""))
                same = referer.netloc == request.url.netloc
                page = referer.path + ("?" + referer.query if referer.query else "") if same else ""
            raise Redirect("/connexion?expiree=1" + (f"&suite={quote(page)}" if local_path(page) else ""))
        raise Redirect("/connexion")
    if session.stage != stage:
        raise Redirect(_stage_url(session))
    if role is not None and session.user.role != role:
        # A page of the other role is answered like a page that does not exist.
        raise HTTPException(404)
    return session


def _stage_url(session: Session) -> str:
    return {
        "totp": "/connexion/code",
        "totp_enrol": "/connexion/second-facteur",
        "password": "/connexion/mot-de-passe",
        "ok": "/dpo" if session.user.is_dpo else "/structure",
    }[session.stage]


def _form_refusal(detail: str) -> str:
    """The French reason of Starlette's refusal of a form (its English ``detail``)."""
    if "Too many fields" in detail:
        return f"formulaire trop volumineux : {FORM_MAX_FIELDS:_} champs au plus".replace("_", "\u00a0")
    if "Too many files" in detail:
        return f"formulaire trop volumineux : {FORM_MAX_FILES} fichiers au plus"
    if "exceeded maximum size" in detail:
        return f"champ trop volumineux : {FORM_MAX_PART_BYTES // (1024 * 1024)} Mo au plus par champ (hors fichiers)"
    return "formulaire illisible : rechargez la page puis recommencez"


async def read_form(request: Request) -> Any:
    """The posted form within the application's limits; :class:`FormRefused` (French) beyond them."""
    files = request.headers.get("content-type", "").lower().startswith("multipart/")
    limit = FORM_MAX_BODY if files else FORM_MAX_TEXT_BODY
    too_big = f"formulaire trop volumineux : {limit // 1_000_000} Mo au plus" + (", fichiers compris" if files else "")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FormRefused(too_big)
    received = 0

    async def counted() -> Any:
        nonlocal received
        message = await request.receive()
        received += len(message.get("body", b""))
        if received > limit:  # a body sent in chunks, without its length, is counted as it arrives
            raise FormRefused(too_big)
        return message

    try:
        return await Request(request.scope, counted).form(
            max_fields=FORM_MAX_FIELDS, max_files=FORM_MAX_FILES, max_part_size=FORM_MAX_PART_BYTES
        )
    except HTTPException as exc:
        if exc.status_code != 400:
            raise
        raise FormRefused(_form_refusal(str(exc.detail))) from None


def posted(func: Callable[..., Response]) -> Callable[..., Any]:
    """An endpoint that reads the posted form, then runs ``func(request, form, ...)`` in a worker thread
    (password hashes and ledger writes must not block the event loop). Files sent with the form are closed
    (removed) afterwards, whatever the route did with them."""

    async def endpoint(request: Request, **params: Any) -> Response:
        form = await read_form(request)
        try:
            return await run_in_threadpool(func, request, form, **params)
        finally:
            await form.close()

    signature = inspect.signature(func)
    endpoint.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p for name, p in signature.parameters.items() if name != "form"]
    )
    endpoint.__name__ = func.__name__
    return endpoint


def record_action(request: Request, session: Session, action: str, obj: str, **details: Any) -> None:
    """Record what a user did as an ``account.action`` ledger event (who, what, on which object; never the
    content of a file or a form)."""
    app_ = web(request)
    app_.ledger.append(
        "account.action", session.user.subject, {"action": action, "object": obj, **details}, at=app_.now()
    )


def check_csrf(request: Request, session: Session | None, form: Any) -> None:
    """Refuse (403) a form whose CSRF token is not the session's (or the anonymous cookie's) token."""
    sent = str(form.get("csrf") or "")
    expected = session.csrf if session else web(request).anon_token(request)
    if not expected or not sent or not hmac.compare_digest(sent, expected):
        raise HTTPException(403)


#: Said on the login page when a page was asked after the session ended.
SESSION_ENDED = (
    "Votre session a expiré après une période sans activité. Reconnectez-vous pour revenir à la page demandée."
)
#: The fields of a declaration's answer that the login page carries after an idle timeout.
CARRIED_FIELDS = ("question", "action", "reponse", "choix", "autre", "parcours")


def department_breach(
    request: Request, breach_id: str, form: Any = None, *, open_only: bool = False
) -> tuple[Session, Web, Any]:
    """The DPO's session, the application and a breach of the Département's side for a DPO page or form
    (its CSRF token checked when ``form`` is given); 404 for any other breach (and a closed one if
    ``open_only``)."""
    session = current(request, role="dpo")
    if form is not None:
        check_csrf(request, session, form)
    app_ = web(request)
    breach = access.get_breach(session.user, app_.config.registers, app_.ledger, breach_id)
    if breach.side != "departement" or (open_only and breach.closed):
        raise HTTPException(404)
    return session, app_, breach


def dpo_breach_view(request: Request, session: Session, breach: Any, status: int = 200, **extra: Any) -> Response:
    """The DPO's page of a breach (``dpo_breach.html``), empty forms unless ``extra`` gives the values and
    errors of the one that was refused (``status`` 400)."""
    context: dict[str, Any] = {"values": {}, "errors": {}} | extra
    return web(request).render(
        request,
        "dpo_breach.html",
        status=status,
        session=session,
        b=breach,
        urgency=breach_forms.urgency,
        time_left=breach_forms.time_left,
        **context,
    )


def subjects_mail(app_: Web, session: Session, breach: Any, said: str | None) -> tuple[str, str] | None:
    """What the DPO's breach page says of the message « personnes à informer » after ``?personnes=said``:
    only what the ledger confirms (a crafted link cannot claim a message left)."""
    if said not in SUBJECTS_MAIL:
        return None
    last = breach_mail.last_subjects_request(app_.ledger, breach.id, session.user.subject, now=app_.now())
    if said == "aucun":
        recipients = breach_mail.structure_recipients(
            breach, user=session.user, registers=app_.config.registers, accounts=app_.accounts
        )
        return SUBJECTS_MAIL[said] if last is None and not recipients else None
    return SUBJECTS_MAIL[said] if last in ({"envoye": ("sent",), "non": ("partly", None)}[said]) else None


def local_path(url: str) -> str:
    """``url`` when it is a path of this application (« /violations/nouvelle »), else "" (never another site)."""
    if not url.startswith("/") or url.startswith("//") or "\\" in url or any(ord(c) < 32 for c in url):
        return ""
    return url


def totp_qr_svg(uri: str) -> bytes:
    """The QR code of an ``otpauth://`` URI as an SVG image (black on white, with its quiet zone)."""
    import io

    import segno

    buffer = io.BytesIO()
    segno.make(uri, error="m", micro=False).save(
        buffer, kind="svg", scale=5, border=4, dark="#000", light="#fff", xmldecl=False, nl=False
    )
    return buffer.getvalue()


def carried_answer(form: Any) -> list[tuple[str, str]]:
    """The answer fields of a posted form, to carry through the login page (hidden fields, never on disk)."""
    return [(name, str(value)) for name in CARRIED_FIELDS for value in form.getlist(name) if str(value)]


def login_page(
    request: Request,
    status: int = 200,
    error: str | None = None,
    email: str = "",
    *,
    notice: str | None = None,
    carried: list[tuple[str, str]] | None = None,
    next_url: str = "",
) -> Response:
    """The login page with its anonymous CSRF cookie; after an idle timeout it says so and carries back
    the page to return to (``next_url``) and the answer being sent (``carried``)."""
    app_ = web(request)
    token = app_.anon_token(request) or secrets.token_urlsafe(32)
    response = app_.render(
        request,
        "login.html",
        status=status,
        csrf=token,
        error=error,
        email=email,
        notice=notice,
        carried=carried or [],
        next_url=next_url,
    )
    app_.set_cookie(response, ANON_COOKIE, token, timedelta(days=1))
    return response


def _values(form: Any, names: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in names:
        if name == "natures":
            values[name] = [str(v) for v in form.getlist(name)]
        else:
            values[name] = str(form.get(name) or "").strip()
    return values


def _warm_up(app_: Web) -> None:
    """Load and judge the conventions and replay the breaches once, before the first dashboard asks."""
    try:
        with clock.fixed(app_.now()):
            app_.overview()
    except DpaKitError as exc:
        # A folder or ledger in error: the first page that needs it shows the error in French; the log says
        # only the kind of error (never its message, which may quote a file's content).
        LOG.warning("préparation du tableau de bord impossible (%s) / dashboard warm-up failed", type(exc).__name__)


class CrashGuard:
    """The outermost layer of an application: an unexpected exception is answered by ``answer`` (when no
    answer has started), written to a crash report (types and code locations, no message, no value) and
    logged as one line naming the report, and goes no further: the server never prints its traceback,
    which would quote personal data (pydantic's ``input_value=...``, a spreadsheet's cell)."""

    def __init__(self, app: ASGIApp, answer: Callable[[Scope], Response], crash_dir: Path | None) -> None:
        self.app = app
        self.answer = answer
        self.crash_dir = crash_dir

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:  # every unexpected error: reported without its message
            crash_report(exc, self.crash_dir)
            if not started:
                await self.answer(scope)(scope, receive, send)


def crash_report(exc: BaseException, crash_dir: Path | None) -> Path | None:
    """Write the crash report of ``exc`` and log one line naming it (in French and English)."""
    try:
        report: Path | None = write_crash_report(exc, crash_dir)
    except OSError:
        report = None
    LOG.error(
        "Erreur interne (%s), rapport technique : %s / internal error, crash report: %s",
        type(exc).__name__,
        report or "non écrit",
        report or "not written",
    )
    return report


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # In the background: the server answers at once; pages arriving meanwhile wait for this one computation.
    app.state.warm_up = threading.Thread(target=_warm_up, args=(app.state.web,), name="dpa-kit-warm-up", daemon=True)
    app.state.warm_up.start()
    yield


def create_app(config: WebConfig) -> FastAPI:
    """The ASGI application."""
    app = FastAPI(title="dpa-kit", docs_url=None, redoc_url=None, openapi_url=None, lifespan=_lifespan)
    app.state.web = Web(config)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    def secure(request: Request, response: Response) -> Response:
        """The security headers of every answer (pages, errors, redirections, files)."""
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        if config.secure_cookies:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        # The library's own clock reads (overview, French dates) agree with the application's clock.
        with clock.fixed(config.now()):
            response: Response = await call_next(request)
        return secure(request, response)

    def error_page(request: Request, status: int) -> HTMLResponse:
        title, text = ERROR_TEXTS.get(status, ERROR_TEXTS[400])
        # A signed-in user keeps the navigation and their name (not on a 500: the session store may be the cause).
        session = app.state.web.session(request) if status == 404 else None
        if session is not None and session.stage != "ok":
            session = None
        return app.state.web.render(  # type: ignore[no-any-return]
            request, "error.html", status=status, session=session, title=title, text=text
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return error_page(request, exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return error_page(request, 404)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return error_page(request, 404)

    @app.exception_handler(Redirect)
    async def redirect(request: Request, exc: Redirect) -> Response:
        return RedirectResponse(exc.url, status_code=303)

    def internal_error(scope: Scope) -> Response:
        # Answered outside the middleware (by the crash guard): the headers are set here.
        request = Request(scope)
        try:
            return secure(request, error_page(request, 500))
        except Exception:  # the page itself failed: the same words, without the layout
            title, text = ERROR_TEXTS[500]
            return secure(
                request,
                HTMLResponse(
                    f'<!doctype html><html lang="fr"><title>{title}</title><h1>{title}</h1><p>{text}</p></html>',
                    status_code=500,
                ),
            )

    app.add_middleware(CrashGuard, answer=internal_error, crash_dir=config.crash_dir)

    @app.exception_handler(FormRefused)
    async def form_refused(request: Request, exc: FormRefused) -> Response:
        title, _ = ERROR_TEXTS[400]
        text = f"{exc.reason[0].upper()}{exc.reason[1:]}."
        return web(request).render(request, "error.html", status=400, title=title, text=text)

    # --- logging in -------------------------------------------------------------------------------

    @app.get("/")
    def home(request: Request) -> Response:
        session = web(request).session(request)
        return RedirectResponse(_stage_url(session) if session else "/connexion", status_code=303)

    @app.get("/connexion")
    def login_form(request: Request, expiree: str | None = None, suite: str | None = None) -> Response:
        if expiree is None:
            return login_page(request)
        return login_page(request, notice=SESSION_ENDED, next_url=local_path(suite or ""))

    @app.post("/connexion")
    @posted
    def login(request: Request, form: Any) -> Response:
        app_ = web(request)
        check_csrf(request, None, form)
        email = str(form.get("email") or "").strip()
        next_url = local_path(str(form.get("next") or ""))
        client = request.client.host if request.client else "inconnu"
        try:
            token, session = app_.accounts.login(email, str(form.get("password") or ""), now=app_.now(), client=client)
        except LoginRefused as exc:
            return login_page(
                request, 429 if exc.throttled else 401, str(exc), email, carried=carried_answer(form), next_url=next_url
            )
        # The second factor comes first; the page to come back to goes along.
        after = f"?suite={quote(next_url)}" if next_url and session.stage == "totp" else ""
        response: Response = RedirectResponse(_stage_url(session) + after, status_code=303)
        if session.stage == "ok" and next_url:
            # Back where the session expired; an answer typed then is checked and saved as if posted now.
            from dpa_kit.web.declare import replay

            response = replay(request, session, form, next_url)
        app_.set_cookie(response, SESSION_COOKIE, token, config.policy.max_lifetime)
        return response

    @app.get("/connexion/code")
    def totp_form(request: Request, suite: str | None = None) -> Response:
        session = current(request, stage="totp")
        return web(request).render(request, "totp.html", session=session, error=None, next_url=local_path(suite or ""))

    @app.post("/connexion/code")
    @posted
    def totp(request: Request, form: Any) -> Response:
        session = current(request, stage="totp")
        check_csrf(request, session, form)
        app_ = web(request)
        client = request.client.host if request.client else "inconnu"
        next_url = local_path(str(form.get("next") or ""))
        try:
            app_.accounts.verify_totp(session, str(form.get("code") or ""), now=app_.now(), client=client)
        except LoginRefused as exc:
            if app_.session(request) is None:  # too many wrong codes: the session is closed, the password again
                return login_page(request, 429 if exc.throttled else 401, str(exc))
            return app_.render(
                request,
                "totp.html",
                status=429 if exc.throttled else 401,
                session=session,
                error=str(exc),
                next_url=next_url,
            )
        refreshed = app_.session(request)
        if refreshed is not None and refreshed.stage == "ok" and next_url:
            return RedirectResponse(next_url, status_code=303)
        return RedirectResponse(_stage_url(refreshed) if refreshed else "/connexion", status_code=303)

    @app.get("/connexion/second-facteur")
    def enrol_form(request: Request) -> Response:
        session = current(request, stage="totp_enrol")
        secret, uri = web(request).accounts.start_totp_enrolment(session)
        return web(request).render(request, "enrol.html", session=session, secret=secret, uri=uri, error=None)

    @app.get("/connexion/second-facteur/qr.svg")
    def enrol_qr(request: Request) -> Response:
        """The QR code of this session's pending secret (its ``otpauth://`` URI), for the enrolment page only.

        Made here (the page's CSP allows images from the site only, no ``data:``); the secret never travels in
        an address, and the answer is not kept by any cache (``no-store``, as every page). Any other stage of
        the session is sent where it must go, like the enrolment page itself.
        """
        session = current(request, stage="totp_enrol")
        _, uri = web(request).accounts.start_totp_enrolment(session)
        return Response(totp_qr_svg(uri), media_type="image/svg+xml")

    @app.post("/connexion/second-facteur")
    @posted
    def enrol(request: Request, form: Any) -> Response:
        session = current(request, stage="totp_enrol")
        check_csrf(request, session, form)
        app_ = web(request)
        client = request.client.host if request.client else "inconnu"
        try:
            app_.accounts.confirm_totp_enrolment(session, str(form.get("code") or ""), now=app_.now(), client=client)
        except LoginRefused as exc:
            if app_.session(request) is None:
                return login_page(request, 429 if exc.throttled else 401, str(exc))
            secret, uri = app_.accounts.start_totp_enrolment(session)
            return app_.render(
                request, "enrol.html", status=400, session=session, secret=secret, uri=uri, error=str(exc)
            )
        refreshed = app_.session(request)
        return RedirectResponse(_stage_url(refreshed) if refreshed else "/connexion", status_code=303)

    @app.get("/connexion/mot-de-passe")
    def password_form(request: Request) -> Response:
        session = current(request, stage="password")
        return web(request).render(request, "password.html", session=session, error=None, advice=ACCOUNT_ADVICE)

    @app.post("/connexion/mot-de-passe")
    @posted
    def password(request: Request, form: Any) -> Response:
        session = current(request, stage="password")
        check_csrf(request, session, form)
        app_ = web(request)
        try:
            app_.accounts.change_password(
                session, str(form.get("password") or ""), str(form.get("confirmation") or ""), now=app_.now()
            )
        except UsageError as exc:
            return app_.render(
                request, "password.html", status=400, session=session, error=str(exc), advice=ACCOUNT_ADVICE
            )
        refreshed = app_.session(request)
        return RedirectResponse(_stage_url(refreshed) if refreshed else "/connexion", status_code=303)

    @app.post("/deconnexion")
    @posted
    def logout(request: Request, form: Any) -> Response:
        app_ = web(request)
        session = app_.session(request)
        if session is not None:
            check_csrf(request, session, form)
            app_.accounts.logout(session, now=app_.now())
        response = RedirectResponse("/connexion", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # --- structure side ---------------------------------------------------------------------------

    @app.get("/structure")
    def structure_home(request: Request) -> Response:
        session = current(request, role="structure")
        app_ = web(request)
        conventions = access.conventions_for(session.user, config.registers)
        breaches = sorted(
            access.structure_breaches(access.breaches_for(session.user, config.registers, app_.ledger)),
            key=lambda b: b.notify_deadline,
            reverse=True,
        )
        from dpa_kit.web.declare import draft_of

        draft = draft_of(app_, session)
        return app_.render(
            request,
            "structure_home.html",
            session=session,
            conventions=conventions,
            breaches=breaches,
            draft=draft,
            urgency=breach_forms.urgency,
            time_left=breach_forms.time_left,
        )

    @app.get("/conventions/{convention_id}")
    def convention_page(request: Request, convention_id: str) -> Response:
        session = current(request)
        app_ = web(request)
        loaded = access.get_convention(session.user, config.registers, convention_id)
        breaches = [
            b for b in access.breaches_for(session.user, config.registers, app_.ledger) if b.convention == convention_id
        ]
        return app_.render(request, "convention.html", session=session, c=loaded.convention, breaches=breaches)

    from dpa_kit.web import declare

    declare.add_routes(app)  # before /violations/{breach_id}, which would take « nouvelle » for an id

    def breach_view(
        request: Request, session: Session, breach: Any, asked: list[Any], status: int = 200, **context: Any
    ) -> Response:
        return web(request).render(
            request,
            "breach.html",
            status=status,
            session=session,
            b=breach,
            urgency=breach_forms.urgency,
            time_left=breach_forms.time_left,
            asked=asked,
            **context,
        )

    @app.get("/violations/{breach_id}")
    def breach_page(
        request: Request, breach_id: str, courriel: str | None = None, accuse: str | None = None
    ) -> Response:
        from dpa_kit.web.declare import complement_fields, context_of

        session = current(request)
        app_ = web(request)
        breach = access.get_breach(session.user, config.registers, app_.ledger, breach_id)
        asked = [] if session.user.is_dpo else complement_fields(breach, context_of(app_, session))[0]
        return breach_view(
            request, session, breach, asked, mail_failed=courriel == "non", ack_failed=accuse == "non", refused=0
        )

    @app.post("/violations/{breach_id}/complement")
    @posted
    def breach_complement(request: Request, form: Any, breach_id: str) -> Response:
        from dpa_kit.web.declare import complement_fields, context_of

        session = current(request, role="structure")
        check_csrf(request, session, form)
        app_ = web(request)
        visible = access.breaches_for(session.user, config.registers, app_.ledger)
        declared = next((b for b in visible if b.id == breach_id), None)
        if declared is None:
            raise HTTPException(404)
        # A declaration made before one web declaration was one breach has a second, linked record.
        received = access.linked_record(visible, declared)
        context = context_of(app_, session)
        asked, learnt = complement_fields(declared, context, form)
        refused = sum(1 for item in asked if item.error)
        convention = access.get_convention(session.user, config.registers, declared.convention).convention
        try:
            if refused:
                raise breach_forms.FormErrors({item.q.key: item.error for item in asked if item.error})
            submitted = breach_forms.submit_complement(
                app_.ledger,
                declared,
                received,
                learnt,
                context,
                now=app_.now(),
                actor=session.user.subject,
                to=convention.notifications.breach_address or config.sender,
                sender=config.sender,
                send=config.send_mail,
            )
        except breach_forms.FormErrors as exc:
            for item in asked:
                item.error = exc.errors.get(item.q.key, item.error)
            return breach_view(
                request, session, declared, asked, status=400, mail_failed=False, refused=len(exc.errors)
            )
        suffix = "?courriel=non" if submitted.mail_error else ""
        raise Redirect(f"/violations/{submitted.breach.id}{suffix}")

    # --- DPO side ---------------------------------------------------------------------------------

    @app.get("/dpo")
    def dashboard(request: Request) -> Response:
        session = current(request, role="dpo")
        app_ = web(request)
        data = app_.overview()
        inbox = sorted(
            access.breaches_for(session.user, config.registers, app_.ledger, side="departement"),
            key=lambda b: b.deadline(),
        )
        return app_.render(
            request,
            "dpo_dashboard.html",
            session=session,
            data=data,
            inbox=[b for b in inbox if b.is_open],
            urgency=breach_forms.urgency,
            time_left=breach_forms.time_left,
        )

    @app.get("/dpo/violations/{breach_id}")
    def dpo_breach(request: Request, breach_id: str, personnes: str | None = None) -> Response:
        session = current(request, role="dpo")
        app_ = web(request)
        breach = access.get_breach(session.user, config.registers, app_.ledger, breach_id)
        return dpo_breach_view(request, session, breach, subjects_mail=subjects_mail(app_, session, breach, personnes))

    @app.post("/dpo/violations/{breach_id}/cnil")
    @posted
    def dpo_cnil(request: Request, form: Any, breach_id: str) -> Response:
        from dpa_kit.breach import record_cnil

        session, app_, breach = department_breach(request, breach_id, form)
        values = _values(form, ("notified", "at", "reference", "reason", "delay_reason"))
        now = app_.now()
        try:
            decision = breach_forms.check_cnil(breach, values, now=now)
        except breach_forms.FormErrors as exc:
            return dpo_breach_view(request, session, breach, status=400, values=values, errors=exc.errors)
        record_cnil(
            app_.ledger,
            breach,
            notified=decision.notified,
            at=decision.at,
            reference=decision.reference,
            reason=decision.reason,
            delay_reason=decision.delay_reason,
        )
        record_action(request, session, "breach.cnil", breach.id)
        raise Redirect(f"/dpo/violations/{breach.id}#cnil")

    @app.post("/dpo/violations/{breach_id}/cloture")
    @posted
    def dpo_close(request: Request, form: Any, breach_id: str) -> Response:
        from dpa_kit.breach import close

        session, app_, breach = department_breach(request, breach_id, form, open_only=True)
        try:
            reason = breach_forms.check_close(breach, _values(form, ("reason",)))
        except breach_forms.FormErrors as exc:
            from dpa_kit.web.dpo import close_warnings

            return app_.render(
                request,
                "dpo_close.html",
                status=400,
                session=session,
                b=breach,
                warnings=close_warnings(breach),
                error=exc.errors.get("reason"),
                typed=str(form.get("reason") or ""),
            )
        close(app_.ledger, breach, reason)
        record_action(request, session, "breach.closed", breach.id)
        raise Redirect(f"/dpo/violations/{breach.id}#cloture")

    @app.post("/dpo/violations/{breach_id}/personnes")
    @posted
    def dpo_subjects(request: Request, form: Any, breach_id: str) -> Response:
        from dpa_kit.breach import record_subjects

        session, app_, breach = department_breach(request, breach_id, form)
        values = _values(form, ("decision", "date", "channel", "ground"))
        try:
            decision = breach_forms.check_subjects(breach, values)
        except breach_forms.FormErrors as exc:
            return dpo_breach_view(request, session, breach, status=400, values=values, errors=exc.errors)
        record_subjects(
            app_.ledger,
            breach,
            decision=decision.decision,
            date=decision.date,
            channel=decision.channel,
            ground=decision.ground,
        )
        record_action(request, session, "breach.subjects", breach.id)
        if decision.decision != "to_inform":
            raise Redirect(f"/dpo/violations/{breach.id}#personnes")
        outcome = breach_mail.request_subjects(
            app_.ledger,
            breach.id,
            user=session.user,
            registers=config.registers,
            accounts=app_.accounts,
            sender=config.sender,
            send=config.send_mail,
            now=app_.now(),
        )
        raise Redirect(f"/dpo/violations/{breach.id}?personnes={SUBJECTS_OUTCOME[outcome]}#personnes")

    from dpa_kit.web import cycle

    cycle.add_routes(app)

    from dpa_kit.web import dpo

    dpo.add_routes(app)

    @app.exception_handler(DpaKitError)
    async def library_error(request: Request, exc: DpaKitError) -> Response:
        return error_page(request, 400 if exc.exit_code == 2 else 500)

    return app
