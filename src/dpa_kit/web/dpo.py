"""The DPO's breach register (page and downloads) and the ENISA severity of a breach.

Same rules as :mod:`dpa_kit.web.app`: every route checks the session's role (a structure's user gets 404),
the CSRF token of a form, calls the library (:mod:`dpa_kit.access`, :mod:`dpa_kit.breach_register`,
:mod:`dpa_kit.breach_severity`) and renders a page; every action is a ledger event with its user.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from dpa_kit import access, breach_forms, breach_severity
from dpa_kit.breach import record_severity
from dpa_kit.breach_register import register_rows
from dpa_kit.tables import table_bytes
from dpa_kit.web.app import Redirect, check_csrf, current, posted, web

__all__ = ["REGISTER_FORMATS", "add_routes", "router"]

router = APIRouter()

#: The formats of ``dpa-kit breach register export``: extension -> (French name, media type).
REGISTER_FORMATS = {
    "csv": ("CSV (tableur, séparateur point-virgule)", "text/csv; charset=utf-8"),
    "xlsx": ("Excel (XLSX)", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "ods": ("LibreOffice (ODS)", "application/vnd.oasis.opendocument.spreadsheet"),
    "html": ("page HTML (à imprimer)", "text/html; charset=utf-8"),
}
REGISTER_TITLE = "Registre des violations"


def _register(request: Request) -> tuple[Any, list[str], list[list[Any]]]:
    session = current(request, role="dpo")
    app_ = web(request)
    breaches = access.breaches_for(session.user, app_.config.registers, app_.ledger)
    headers, rows = register_rows(breaches)
    return session, headers, rows


@router.get("/dpo/registre-violations")
def register_page(request: Request) -> Response:
    session, headers, rows = _register(request)
    return web(request).render(
        request,
        "dpo_breach_register.html",
        session=session,
        headers=headers,
        rows=rows,
        formats=REGISTER_FORMATS,
    )


@router.get("/dpo/registre-violations/registre.{fmt}")
def register_download(request: Request, fmt: str) -> Response:
    if fmt not in REGISTER_FORMATS:
        raise HTTPException(404)
    session, headers, rows = _register(request)
    app_ = web(request)
    data = table_bytes(fmt, REGISTER_TITLE, headers, rows)
    name = f"registre-violations-{app_.now().date().isoformat()}.{fmt}"
    app_.ledger.append(
        "account.action",
        session.user.subject,
        {"action": "breach.register.exported", "object": name, "rows": len(rows)},
        at=app_.now(),
    )
    return Response(
        data,
        media_type=REGISTER_FORMATS[fmt][1],
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


@router.post("/dpo/violations/{breach_id}/gravite")
@posted
def severity(request: Request, form: Any, breach_id: str) -> Response:
    session = current(request, role="dpo")
    check_csrf(request, session, form)
    app_ = web(request)
    breach = access.get_breach(session.user, app_.config.registers, app_.ledger, breach_id)
    if breach.side != "departement":
        raise HTTPException(404)
    values = {name: str(form.get(name) or "").strip() for name in breach_severity.SEVERITY_LABELS}
    try:
        assessed = breach_severity.check_severity(values)
    except breach_forms.FormErrors as exc:
        return app_.render(
            request,
            "dpo_breach.html",
            status=400,
            session=session,
            b=breach,
            values={},
            errors={},
            severity_values=values,
            severity_errors=exc.errors,
            urgency=breach_forms.urgency,
            time_left=breach_forms.time_left,
        )
    record_severity(app_.ledger, breach, assessed.severity, assessed.inputs)
    app_.ledger.append(
        "account.action",
        session.user.subject,
        {"action": "breach.severity", "object": breach.id, "band": assessed.severity.band},
        at=app_.now(),
    )
    raise Redirect(f"/dpo/violations/{breach.id}")


def add_routes(app: Any) -> None:
    """Register this module's routes and the words its pages use on the application of
    :func:`dpa_kit.web.app.create_app`."""
    app.state.web.templates.globals.update(
        severity_labels=breach_severity.SEVERITY_LABELS,
        severity_choices=breach_severity.SEVERITY_CHOICES,
        severity_of=breach_severity.recorded,
        severity_form_values=breach_severity.form_values,
    )
    app.include_router(router)
