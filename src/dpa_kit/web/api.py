"""The JSON API for the Département's other systems, documented by FastAPI's OpenAPI (``/api/openapi.json``).

A call carries ``Authorization: Bearer dpak_...``, a token a user created on the « Jetons d'accès » page
(:mod:`dpa_kit.api_tokens`); it acts with that user's rights, checked by the same library calls as the pages
(:mod:`dpa_kit.access`: another structure's object is a 404). Reading conventions and breaches; declaring a
breach (a structure's token) with the fields and French checks of the web form.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from dpa_kit import access, breach_forms, convention_desk
from dpa_kit.accounts import User
from dpa_kit.api_tokens import Tokens, tokens_database_path
from dpa_kit.breach import Breach
from dpa_kit.exceptions import InvalidValue, LoginRefused, NotFound

__all__ = ["create_api", "tokens_of"]


class ConventionOut(BaseModel):
    """A convention: its identity, whether it may be signed, where it stands."""

    id: str
    title: str | None
    structure: str | None
    siret: str | None
    ready: bool = Field(description="Prête à signer : aucun point bloquant (le verdict de « dpa-kit check »).")
    stage: str = Field(description="draft, sent, signed, ended ou attestation_received.")
    blocking: list[str] = Field(description="Ce qui empêche la signature, une phrase par point.")


class DeclarationIn(BaseModel):
    """A breach declaration: the answers of the questionnaire (``dpa-kit breach declare``), as one would type
    them (instants as « JJ/MM/AAAA HH:MM », Paris time; counts as « 40 », « 40 à 50 », « environ 40 »; a
    choice by its number or its words); a missing item is « je ne sais pas encore »."""

    convention: str
    aware_at: str = Field(description="Prise de connaissance par la structure, par exemple « 28/03/2026 18:00 ».")
    started_at: str | None = None
    over: str | None = Field(None, description="« oui » ou « non ».")
    ended_at: str | None = None
    natures: list[str] = Field(default_factory=list, description="confidentiality, integrity, availability.")
    description: str | None = None
    discovery: str | None = None
    cause: str | None = None
    data_categories: str | None = None
    records: str | None = None
    people_categories: str | None = None
    people: str | None = None
    vulnerable: str | None = Field(None, description="« mineurs », « vulnérables » ou « non ».")
    consequences: str | None = None
    measures_before: str | None = None
    measures: str | None = None
    contact: str | None = None
    origin: str | None = None
    sensitive_data: str | None = None
    subjects_informed: str | None = None
    subjects_detail: str | None = None
    other_authorities: str | None = None
    delay_reason: str | None = None


class DeclaredOut(BaseModel):
    declared: str = Field(description="Référence de la violation.")
    received: str = Field(description="Référence de la notification reçue par le Département (la même).")
    mail_error: str | None = None


#: The French words of the refusals that the framework, not a route, decides (its own details are English).
FRAMEWORK_ERRORS = {
    400: "requête illisible : un corps JSON en UTF-8 est attendu",
    404: "introuvable",
    405: "méthode non permise à cette adresse",
    413: "requête trop volumineuse",
}

#: What a breach's details may show to a structure: the items of its declaration (and how they are pending).


def structure_view(breach: Breach, now: datetime) -> dict[str, Any]:
    """A breach as the structure's page shows it: the library's structure view (never the Département's own
    assessment) with the declaration's items worded as on the page."""
    items = breach_forms.declaration_items(breach)
    return {**breach.structure_json(now), "declaration": [{"item": label, "value": value} for label, value in items]}


def breach_for(user: User, breach: Breach, now: datetime) -> dict[str, Any]:
    """The DPO sees every field of a breach; a structure what its page shows (:func:`structure_view`)."""
    return breach.as_json(now) if user.is_dpo else structure_view(breach, now)


def tokens_of(request: Request) -> Tokens:
    """The token store of the application (one per ledger)."""
    web = request.app.state.web
    store = getattr(request.app.state, "tokens", None)
    if store is None:
        store = Tokens(tokens_database_path(web.config.ledger_path), web.ledger)
        request.app.state.tokens = store
    return store


def _user(request: Request) -> User:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    web = request.app.state.web
    if scheme.lower() != "bearer":
        raise HTTPException(401, "jeton absent, inconnu ou révoqué")
    try:
        user_id = tokens_of(request).authenticate(token.strip(), now=web.now())
    except LoginRefused as exc:  # an expired token says so and what to do
        raise HTTPException(401, str(exc)) from None
    user = web.accounts.user_by_id(user_id)
    if user is None or not user.active:
        raise HTTPException(401, "jeton absent, inconnu ou révoqué")
    return user  # type: ignore[no-any-return]


CurrentUser = Annotated[User, Depends(_user)]


def create_api(web: Any) -> FastAPI:
    """The API application, mounted under ``/api`` by :func:`dpa_kit.web.app.create_app`."""
    api = FastAPI(
        title="dpa-kit : API du Département",
        version="1",
        description="Conventions et violations de données, avec les droits de l'utilisateur du jeton.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    api.state.web = web
    from dpa_kit.web.app import CrashGuard

    api.add_middleware(
        CrashGuard,
        answer=lambda scope: JSONResponse({"erreur": "erreur interne : prévenez le DPO"}, status_code=500),
        crash_dir=web.config.crash_dir,
    )

    @api.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"erreur": "introuvable"}, status_code=404)

    @api.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        # The framework's own refusals are in English (« There was an error parsing the body »): said in French.
        detail = str(exc.detail) if exc.status_code in {401, 403} else FRAMEWORK_ERRORS.get(exc.status_code)
        detail = detail or FRAMEWORK_ERRORS[400]
        return JSONResponse({"erreur": detail}, status_code=exc.status_code, headers=headers)

    @api.exception_handler(RequestValidationError)
    async def invalid_body(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = {
            ".".join(str(p) for p in e["loc"][1:]) or "corps": "valeur absente ou de mauvais type" for e in exc.errors()
        }
        return JSONResponse({"erreurs": errors}, status_code=422)

    @api.exception_handler(breach_forms.FormErrors)
    async def form_errors(request: Request, exc: breach_forms.FormErrors) -> JSONResponse:
        return JSONResponse({"erreurs": exc.errors}, status_code=422)

    def out(row: convention_desk.Row, title: str | None) -> ConventionOut:
        return ConventionOut(
            id=row.id,
            title=title,
            structure=row.structure,
            siret=row.siret,
            ready=row.ready,
            stage=row.state.stage.value,
            blocking=row.verdict.reasons(),
        )

    @api.get("/conventions", response_model=list[ConventionOut], summary="Conventions visibles par le jeton")
    def conventions(user: CurrentUser) -> list[ConventionOut]:
        loaded = access.conventions_for(user, web.config.registers)
        titles = {c.convention.id: c.convention.title for c in loaded}
        return [out(row, titles[row.id]) for row in convention_desk.rows(loaded, web.ledger)]

    @api.get("/conventions/{convention_id}", response_model=ConventionOut, summary="Une convention")
    def convention(convention_id: str, user: CurrentUser) -> ConventionOut:
        loaded = access.get_convention(user, web.config.registers, convention_id)
        [row] = convention_desk.rows([loaded], web.ledger)
        return out(row, loaded.convention.title)

    @api.get(
        "/breaches", summary="Violations visibles par le jeton (un jeton de structure reçoit ce que montrent ses pages)"
    )
    def breaches(user: CurrentUser) -> list[dict[str, Any]]:
        now = web.now()
        found = access.breaches_for(user, web.config.registers, web.ledger)
        if not user.is_dpo:
            found = access.structure_breaches(found)  # each breach once, as on the structure's home page
        return [breach_for(user, b, now) for b in sorted(found, key=lambda b: b.id)]

    @api.get(
        "/breaches/{breach_id}",
        summary="Une violation (un jeton de structure reçoit ce que montre sa page, sans l'évaluation du DPO)",
    )
    def breach(breach_id: str, user: CurrentUser) -> dict[str, Any]:
        return breach_for(user, access.get_breach(user, web.config.registers, web.ledger, breach_id), web.now())

    @api.post(
        "/breaches",
        response_model=DeclaredOut,
        status_code=201,
        summary="Déclarer une violation (jeton d'une structure)",
        responses={422: {"description": 'Réponses refusées : {"erreurs": {champ: message en français}}'}},
    )
    def declare(body: DeclarationIn, user: CurrentUser) -> DeclaredOut:
        if user.is_dpo:
            raise HTTPException(403, "seule une structure déclare une violation")
        from dpa_kit import breach_questions as bq

        conventions = tuple(c.convention for c in access.conventions_for(user, web.config.registers))
        context = bq.Context(now=web.now(), conventions=conventions, side="structure")
        texts = body.model_dump(exclude={"delay_reason"})
        texts["natures"] = ",".join(body.natures)
        # The same questions and checks as the terminal and the web pages.
        answers = breach_forms.answers_from_texts(texts, context)
        try:
            submitted = breach_forms.submit_declaration(
                web.ledger,
                answers,
                context,
                now=web.now(),
                actor=user.subject,
                sender=web.config.sender,
                send=web.config.send_mail,
                delay_reason=body.delay_reason,
            )
        except InvalidValue as exc:
            raise breach_forms.FormErrors({exc.field or "delay_reason": str(exc)}) from exc
        # One breach: the structure's declaration is the Département's reception (same reference).
        return DeclaredOut(declared=submitted.breach.id, received=submitted.breach.id, mail_error=submitted.mail_error)

    return api
