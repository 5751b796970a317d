"""The DPO's breach register (page and downloads) and the ENISA severity of a breach.

Same rules as :mod:`dpa_kit.web.app`: every route checks the session's role (a structure's user gets 404),
the CSRF token of a form, calls the library (:mod:`dpa_kit.access`, :mod:`dpa_kit.breach_register`,
:mod:`dpa_kit.breach_severity`) and renders a page; every action is a ledger event with its user.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from dpa_kit import access, breach_forms, breach_register, breach_severity
from dpa_kit.breach import Breach, record_severity
from dpa_kit.breach_facts import closing_warnings, department_decisions, structure_delay
from dpa_kit.breach_register import register_rows
from dpa_kit.tables import text_rows
from dpa_kit.web.app import Redirect, current, department_breach, dpo_breach_view, posted, record_action, web
from dpa_kit.words import french_day

__all__ = [
    "add_routes",
    "close_warnings",
    "router",
]

router = APIRouter()


def _register(request: Request) -> tuple[Any, list[Breach]]:
    session = current(request, role="dpo")
    app_ = web(request)
    return session, access.breaches_for(session.user, app_.config.registers, app_.ledger)


@router.get("/dpo/registre-violations")
def register_page(request: Request) -> Response:
    session, breaches = _register(request)
    headers, rows = register_rows(breaches)
    return web(request).render(
        request,
        "dpo_breach_register.html",
        session=session,
        headers=headers,
        rows=text_rows(rows),  # instants and numbers as the CSV and the printable HTML show them
        formats=breach_register.FORMATS,
    )


@router.get("/dpo/registre-violations/registre.{fmt}")
def register_download(request: Request, fmt: str) -> Response:
    if fmt not in breach_register.FORMATS:
        raise HTTPException(404)
    session, breaches = _register(request)
    app_ = web(request)
    # Shown in the browser under the application's CSP (no inline style): the same rules, from /static.
    data = breach_register.export(breaches, fmt, stylesheet="/static/register.css")
    name = f"registre-violations-{app_.now().date().isoformat()}.{fmt}"
    record_action(request, session, "breach.register.exported", name, rows=len(breaches))
    # The HTML register opens in the browser, to read or print; the spreadsheets are downloaded.
    disposition = "inline" if fmt == "html" else "attachment"
    return Response(
        data,
        media_type=breach_register.FORMATS[fmt].media_type,
        headers={"Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}"},
    )


@router.post("/dpo/violations/{breach_id}/gravite")
@posted
def severity(request: Request, form: Any, breach_id: str) -> Response:
    session, app_, breach = department_breach(request, breach_id, form)
    values = {name: str(form.get(name) or "").strip() for name in breach_severity.SEVERITY_LABELS}
    try:
        assessed = breach_severity.check_severity(values)
    except breach_forms.FormErrors as exc:
        return dpo_breach_view(request, session, breach, status=400, severity_values=values, severity_errors=exc.errors)
    record_severity(app_.ledger, breach, assessed.severity, assessed.inputs)
    record_action(request, session, "breach.severity", breach.id, band=assessed.severity.band)
    raise Redirect(f"/dpo/violations/{breach.id}#gravite")


def close_warnings(breach: Breach) -> list[str]:
    """What is still open on a breach the DPO is about to close, as sentences of the confirmation page."""
    return [w.text[0].upper() + w.text[1:] + "." for w in closing_warnings(breach)]


@router.get("/dpo/violations/{breach_id}/cloturer")
def close_page(request: Request, breach_id: str) -> Response:
    """« Clôturer la violation ? »: what is still open, the reason, then the confirmed close (POST)."""
    session, app_, breach = department_breach(request, breach_id, open_only=True)
    return app_.render(request, "dpo_close.html", session=session, b=breach, warnings=close_warnings(breach))


def add_routes(app: Any) -> None:
    """Register this module's routes and the words its pages use on the application of
    :func:`dpa_kit.web.app.create_app`."""
    shared = app.state.web

    @jinja2.pass_context
    def decisions_for(context: Any, breach: Breach) -> list[tuple[str, str]]:
        """The decisions shown on a structure's breach page: those of the breach itself, or of the
        Département's record of it when the structure recorded its declaration apart (sent by e-mail)."""
        if breach.side == "departement":
            return department_decisions(breach)
        visible = access.breaches_for(context["user"], shared.config.registers, shared.ledger, side="departement")
        linked = access.linked_record(visible, breach)
        return department_decisions(linked) if linked else []

    app.state.web.templates.globals.update(
        severity_labels=breach_severity.SEVERITY_LABELS,
        severity_choices=breach_severity.SEVERITY_CHOICES,
        severity_of=breach_severity.recorded,
        severity_form_values=breach_severity.form_values,
        severity_hints=breach_severity.SEVERITY_HINTS,
        structure_delay=structure_delay,
        department_decisions=decisions_for,
        french_day=french_day,
    )
    app.include_router(router)
