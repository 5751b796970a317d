"""The yearly cycle in the browser: conventions (DPO), registers, attestations, file drops, API tokens.

Same rules as :mod:`dpa_kit.web.app`: every route reads the request, checks the session's role and the CSRF
token of a form, calls one library function (:mod:`dpa_kit.convention_desk`, :mod:`dpa_kit.lifecycle`,
:mod:`dpa_kit.register_workspace`, :mod:`dpa_kit.attestation_desk`, :mod:`dpa_kit.filedrop`) and renders a
page. What a structure may reach is decided by :mod:`dpa_kit.access` (another structure's object: 404).
The file drop reads the upload as it streams in and hands each piece to the encrypting writer, so the
server never spools a clear copy to disk.
"""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from dpa_kit import (
    access,
    attest,
    attestation_desk,
    convention_desk,
    filedrop,
    lifecycle,
    questionnaire,
    register_workspace,
)
from dpa_kit.exceptions import ConventionError, InvalidValue
from dpa_kit.register import SECURITY_HEADINGS

__all__ = ["add_routes"]
from dpa_kit.accounts import Session
from dpa_kit.web.app import Redirect, check_csrf, current, posted, record_action, web

MEDIA = convention_desk.MEDIA_TYPES
#: The file drop's form: its text fields besides the token (it has one, « convention », today), each one's
#: size and their total. Anything beyond is refused before the file is read further.
DROP_MAX_FIELDS = 4
DROP_MAX_FIELD_BYTES = 10_000
DROP_MAX_TEXT_BYTES = 16_000


def _download(data: bytes, name: str, media: str) -> Response:
    return Response(
        data, media_type=media, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}
    )


def _drops_store(request: Request) -> Any:
    return web(request).config.registers / "depots"


def _problems(exc: ConventionError) -> list[str]:
    return [f"{Path(p.file).name if p.file else ''} : {p.message}".lstrip(" :") for p in exc.problems]


def _upload(form: Any, name: str = "file") -> tuple[Any, str]:
    item = form.get(name)
    if item is None or isinstance(item, str) or not getattr(item, "filename", ""):
        raise InvalidValue("choisissez un fichier à envoyer", name)
    return item.file, str(item.filename)


def add_routes(app: FastAPI) -> None:
    """Register the routes of this module on the application made by :func:`dpa_kit.web.app.create_app`."""

    from dpa_kit.web.api import create_api, tokens_of

    if app.state.web.config.drop_recipient:
        from dpa_kit.agecrypt import parse_recipient

        parse_recipient(app.state.web.config.drop_recipient)  # a wrong key stops the start, in French

    app.mount("/api", create_api(app.state.web))

    # --- API tokens -----------------------------------------------------------------------------------

    def tokens_page(
        request: Request, session: Session, *, created: str | None = None, error: str | None = None, status: int = 200
    ) -> Response:
        app_ = web(request)
        items = tokens_of(request).list(session.user.id)
        return app_.render(
            request, "tokens.html", status=status, session=session, items=items, created=created, error=error
        )

    @app.get("/jetons")
    def tokens_list(request: Request) -> Response:
        return tokens_page(request, current(request))

    @app.post("/jetons")
    @posted
    def token_issue(request: Request, form: Any) -> Response:
        session = current(request)
        check_csrf(request, session, form)
        try:
            token = tokens_of(request).issue(
                session.user.id, session.user.subject, str(form.get("label") or ""), now=web(request).now()
            )
        except InvalidValue as exc:
            return tokens_page(request, session, error=str(exc), status=400)
        return tokens_page(request, session, created=token)

    @app.post("/jetons/{token_id}/revoquer")
    @posted
    def token_revoke(request: Request, form: Any, token_id: int) -> Response:
        session = current(request)
        check_csrf(request, session, form)
        try:
            tokens_of(request).revoke(token_id, session.user.subject, user_id=session.user.id, now=web(request).now())
        except InvalidValue as exc:
            raise HTTPException(404) from exc
        raise Redirect("/jetons")

    # --- conventions (DPO) ----------------------------------------------------------------------------

    def conventions_page(request: Request, session: Session) -> Response:
        app_ = web(request)
        rows = convention_desk.rows(access.conventions_for(session.user, app_.config.registers), app_.ledger)
        return app_.render(request, "conventions.html", session=session, rows=rows)

    @app.get("/dpo/conventions")
    def conventions_list(request: Request) -> Response:
        return conventions_page(request, current(request, role="dpo"))

    def form_page(
        request: Request,
        session: Session,
        texts: dict[str, str],
        errors: dict[str, str],
        editing: str | None = None,
        status: int = 200,
    ) -> Response:
        app_ = web(request)
        parties = questionnaire.parties(_defaults(app_.config.registers))
        return app_.render(
            request,
            "convention_form.html",
            status=status,
            session=session,
            questions=questionnaire.QUESTIONS,
            texts=texts,
            errors=errors,
            editing=editing,
            parties=parties,
        )

    @app.get("/dpo/conventions/nouvelle")
    def convention_new_form(request: Request) -> Response:
        session = current(request, role="dpo")
        defaults = {q.key: q.default for q in questionnaire.QUESTIONS if q.default is not None}
        return form_page(request, session, defaults, {})

    @app.post("/dpo/conventions/nouvelle")
    @posted
    def convention_new(request: Request, form: Any) -> Response:
        session = current(request, role="dpo")
        check_csrf(request, session, form)
        app_ = web(request)
        result = convention_desk.create_from_form(app_.config.registers, form)
        if result.path is None:
            return form_page(request, session, result.texts, result.errors, status=400)
        convention_id = result.texts["id"].strip()
        record_action(request, session, "convention.created", convention_id)
        raise Redirect(f"/dpo/conventions/{convention_id}?cree=1")

    @app.get("/dpo/conventions/{convention_id}")
    def convention_detail(request: Request, convention_id: str, cree: str | None = None) -> Response:
        session = current(request, role="dpo")
        app_ = web(request)
        loaded = access.get_convention(session.user, app_.config.registers, convention_id)
        [row] = convention_desk.rows([loaded], app_.ledger)
        return app_.render(
            request,
            "convention_detail.html",
            session=session,
            row=row,
            c=loaded.convention,
            formats=convention_desk.ANNEX_FORMATS,
            created=cree == "1",
            error=None,
        )

    @app.get("/dpo/conventions/{convention_id}/modifier")
    def convention_edit_form(request: Request, convention_id: str) -> Response:
        session = current(request, role="dpo")
        loaded = access.get_convention(session.user, web(request).config.registers, convention_id)
        return form_page(request, session, convention_desk.form_texts(loaded.path), {}, editing=convention_id)

    @app.post("/dpo/conventions/{convention_id}/modifier")
    @posted
    def convention_edit(request: Request, form: Any, convention_id: str) -> Response:
        session = current(request, role="dpo")
        check_csrf(request, session, form)
        app_ = web(request)
        loaded = access.get_convention(session.user, app_.config.registers, convention_id)
        result = convention_desk.edit_from_form(loaded, form, app_.ledger)
        if result.path is None:
            return form_page(request, session, result.texts, result.errors, editing=convention_id, status=400)
        record_action(request, session, "convention.edited", convention_id)
        raise Redirect(f"/dpo/conventions/{convention_id}")

    @app.get("/conventions/{convention_id}/annexe.{fmt}")
    def convention_annex(request: Request, convention_id: str, fmt: str) -> Response:
        session = current(request)
        loaded = access.get_convention(session.user, web(request).config.registers, convention_id)
        if fmt not in convention_desk.ANNEX_FORMATS:
            raise HTTPException(404)
        data, name, _ = convention_desk.annex_document(loaded, fmt)
        record_action(request, session, "convention.annex.downloaded", convention_id, format=fmt)
        return _download(data, name, MEDIA[fmt])

    def lifecycle_action(request: Request, form: Any, convention_id: str, action: str) -> Response:
        session = current(request, role="dpo")
        check_csrf(request, session, form)
        app_ = web(request)
        loaded = access.get_convention(session.user, app_.config.registers, convention_id)
        by, now = session.user.subject, app_.now()
        try:
            if action == "envoyee":
                lifecycle.mark_sent(app_.ledger, convention_id, by=by, now=now)
            elif action == "signee":
                source, _ = _upload(form)
                lifecycle.record_signed(
                    app_.ledger, app_.config.registers, loaded.path, convention_id, source, by=by, now=now
                )
            else:
                lifecycle.mark_ended(app_.ledger, convention_id, by=by, now=now)
        except InvalidValue as exc:
            [row] = convention_desk.rows([loaded], app_.ledger)
            return app_.render(
                request,
                "convention_detail.html",
                status=400,
                session=session,
                row=row,
                c=loaded.convention,
                formats=convention_desk.ANNEX_FORMATS,
                created=False,
                error=str(exc),
            )
        raise Redirect(f"/dpo/conventions/{convention_id}")

    @app.post("/dpo/conventions/{convention_id}/{action}")
    @posted
    def convention_lifecycle(request: Request, form: Any, convention_id: str, action: str) -> Response:
        if action not in {"envoyee", "signee", "terminee"}:
            raise HTTPException(404)
        return lifecycle_action(request, form, convention_id, action)

    @app.get("/dpo/conventions/{convention_id}/signee.pdf")
    def convention_signed_pdf(request: Request, convention_id: str) -> Response:
        session = current(request, role="dpo")
        app_ = web(request)
        access.get_convention(session.user, app_.config.registers, convention_id)
        state = lifecycle.state(app_.ledger, convention_id)
        if state.signed_file is None:
            raise HTTPException(404)
        data = (app_.config.registers / state.signed_file).read_bytes()
        record_action(request, session, "convention.signed.downloaded", convention_id)
        return _download(data, f"{convention_id}.signee.pdf", MEDIA["pdf"])

    # --- registers ------------------------------------------------------------------------------------

    def register_page(
        request: Request,
        session: Session,
        *,
        errors: list[str] | None = None,
        message: str | None = None,
        typed: tuple[str, dict[str, str]] | None = None,
        status: int = 200,
    ) -> Response:
        app_ = web(request)
        siret = _siret(session)
        register = register_workspace.structure_register(app_.config.registers, siret)
        return app_.render(
            request,
            "register.html",
            status=status,
            session=session,
            register=register,
            review=register_workspace.review(app_.ledger, siret),
            completeness=register_workspace.completeness(register),
            headings=_headings(),
            examples=register_workspace.CNIL_EXAMPLES,
            errors=errors or [],
            message=message,
            typed=typed,
        )

    @app.get("/registre")
    def register_view(request: Request, enregistre: str | None = None) -> Response:
        session = current(request, role="structure")
        return register_page(request, session, message="Enregistré." if enregistre else None)

    @app.post("/registre/securite")
    @posted
    def register_security(request: Request, form: Any) -> Response:
        session = current(request, role="structure")
        check_csrf(request, session, form)
        app_ = web(request)
        values = {key: str(form.get(key) or "") for key in SECURITY_HEADINGS}
        convention = str(form.get("convention") or "")
        try:
            register_workspace.save_security(app_.config.registers, _siret(session), convention, values)
        except InvalidValue as exc:
            heading = _headings().get(exc.field)
            error = f"{heading} : {exc}" if heading else str(exc)
            return register_page(request, session, errors=[error], typed=(convention, values), status=400)
        record_action(request, session, "register.security.saved", f"register:{_siret(session)}", convention=convention)
        raise Redirect("/registre?enregistre=1")

    @app.get("/registre/registre.{fmt}")
    def register_download(request: Request, fmt: str) -> Response:
        session = current(request, role="structure")
        if fmt not in {"xlsx", "ods", "pdf"}:
            raise HTTPException(404)
        register = register_workspace.structure_register(web(request).config.registers, _siret(session))
        if fmt == "pdf":
            from dpa_kit.documents.register_doc import register_document

            data = register_document(register, "pdf")
        else:
            from dpa_kit.register_sheet import export

            data = export(register, fmt)
        record_action(request, session, "register.downloaded", f"register:{_siret(session)}", format=fmt)
        return _download(data, f"registre-{_siret(session)}.{fmt}", MEDIA[fmt])

    @app.post("/registre/import")
    @posted
    def register_import(request: Request, form: Any) -> Response:
        session = current(request, role="structure")
        check_csrf(request, session, form)
        try:
            source, name = _upload(form)
            register_workspace.import_upload(web(request).config.registers, _siret(session), source, name)
        except ConventionError as exc:
            return register_page(request, session, errors=_problems(exc), status=400)
        except InvalidValue as exc:
            return register_page(request, session, errors=[str(exc)], status=400)
        record_action(request, session, "register.imported", f"register:{_siret(session)}")
        raise Redirect("/registre?enregistre=1")

    @app.post("/registre/termine")
    @posted
    def register_finished(request: Request, form: Any) -> Response:
        session = current(request, role="structure")
        check_csrf(request, session, form)
        app_ = web(request)
        try:
            register_workspace.mark_finished(
                app_.ledger, app_.config.registers, _siret(session), by=session.user.subject, now=app_.now()
            )
        except InvalidValue as exc:
            return register_page(request, session, errors=[str(exc)], status=400)
        raise Redirect("/registre")

    def registers_page(request: Request, session: Session, error: str | None = None, status: int = 200) -> Response:
        app_ = web(request)
        visible = access.conventions_for(session.user, app_.config.registers)
        sirets = sorted({c.convention.processor.siret for c in visible if c.convention.processor.siret})
        items = []
        for siret in sirets:
            try:
                register = register_workspace.structure_register(app_.config.registers, siret)
            except (InvalidValue, ConventionError):
                continue
            items.append(
                (
                    siret,
                    register,
                    register_workspace.completeness(register),
                    register_workspace.review(app_.ledger, siret),
                )
            )
        return app_.render(request, "dpo_registers.html", status=status, session=session, items=items, error=error)

    @app.get("/dpo/registres")
    def registers_list(request: Request) -> Response:
        return registers_page(request, current(request, role="dpo"))

    @app.post("/dpo/registres/{siret}/{action}")
    @posted
    def register_review(request: Request, form: Any, siret: str, action: str) -> Response:
        session = current(request, role="dpo")
        check_csrf(request, session, form)
        app_ = web(request)
        if action not in {"verifie", "renvoye"}:
            raise HTTPException(404)
        try:
            if action == "verifie":
                register_workspace.mark_checked(app_.ledger, siret, by=session.user.subject, now=app_.now())
            else:
                register_workspace.send_back(
                    app_.ledger, siret, str(form.get("message") or ""), by=session.user.subject, now=app_.now()
                )
        except InvalidValue as exc:
            return registers_page(request, session, error=str(exc), status=400)
        raise Redirect("/dpo/registres")

    @app.get("/dpo/registres/consolidation.xlsx")
    def registers_consolidated(request: Request) -> Response:
        session = current(request, role="dpo")
        app_ = web(request)
        from dpa_kit.register import consolidated_rows
        from dpa_kit.tables import table_bytes

        registers = []
        for siret in sorted(
            {
                c.convention.processor.siret
                for c in access.conventions_for(session.user, app_.config.registers)
                if c.convention.processor.siret
            }
        ):
            path = register_workspace.register_path(app_.config.registers, siret)
            if path.is_file():
                registers.append(register_workspace.structure_register(app_.config.registers, siret))
        header, rows = consolidated_rows(registers)
        data = table_bytes("xlsx", "Registres consolidés", header, rows)
        record_action(request, session, "registers.consolidated.downloaded", "registres", registers=len(registers))
        return _download(data, "registres-consolides.xlsx", MEDIA["xlsx"])

    # --- attestations ---------------------------------------------------------------------------------

    def attestations_page(request: Request, session: Session, error: str | None = None, status: int = 200) -> Response:
        app_ = web(request)
        mine = {c.convention.id for c in access.conventions_for(session.user, app_.config.registers)}
        items = [d for d in attest.owed(app_.config.registers, app_.ledger, app_.now().date()) if d.convention in mine]
        template = "dpo_attestations.html" if session.user.is_dpo else "attestations.html"
        return app_.render(
            request,
            template,
            status=status,
            session=session,
            items=items,
            error=error,
            reminded=attestation_desk.last_reminders(app_.ledger),
        )

    @app.get("/attestations")
    def attestations_list(request: Request) -> Response:
        return attestations_page(request, current(request, role="structure"))

    @app.get("/dpo/attestations")
    def attestations_due(request: Request) -> Response:
        return attestations_page(request, current(request, role="dpo"))

    @app.get("/attestations/{convention_id}/projet.{fmt}")
    def attestation_draft(request: Request, convention_id: str, fmt: str) -> Response:
        session = current(request)
        app_ = web(request)
        loaded = access.get_convention(session.user, app_.config.registers, convention_id)
        if fmt not in {"docx", "odt", "pdf"}:
            raise HTTPException(404)
        from dpa_kit.documents.attestation import render_attestation
        from dpa_kit.documents.writers import write_rendered

        rendered = render_attestation(loaded.convention, attest.exchanges_for(app_.ledger, convention_id))
        data = write_rendered(fmt, rendered)
        record_action(request, session, "attestation.draft.downloaded", convention_id, format=fmt)
        return _download(data, f"attestation-{convention_id}.{fmt}", MEDIA[fmt])

    @app.post("/attestations/{convention_id}")
    @posted
    def attestation_upload(request: Request, form: Any, convention_id: str) -> Response:
        session = current(request, role="structure")
        check_csrf(request, session, form)
        app_ = web(request)
        loaded = access.get_convention(session.user, app_.config.registers, convention_id)
        try:
            source, _ = _upload(form)
            attestation_desk.record_upload(app_.ledger, app_.config.registers, loaded, source, now=app_.now())
        except InvalidValue as exc:
            return attestations_page(request, session, error=str(exc), status=400)
        record_action(request, session, "attestation.uploaded", convention_id)
        raise Redirect("/attestations")

    @app.post("/dpo/attestations/{convention_id}/relance")
    @posted
    def attestation_reminder(request: Request, form: Any, convention_id: str) -> Response:
        session = current(request, role="dpo")
        check_csrf(request, session, form)
        app_ = web(request)
        access.get_convention(session.user, app_.config.registers, convention_id)
        due = {d.convention: d for d in attest.owed(app_.config.registers, app_.ledger, app_.now().date())}
        if convention_id not in due:
            raise HTTPException(404)
        if app_.config.send_mail is None:
            return attestations_page(
                request, session, error="aucun serveur SMTP configuré : relance impossible", status=400
            )
        try:
            attestation_desk.send_reminder(
                app_.ledger,
                due[convention_id],
                sender=app_.config.sender,
                send=app_.config.send_mail,
                by=session.user.subject,
                now=app_.now(),
            )
        except InvalidValue as exc:
            return attestations_page(request, session, error=str(exc), status=400)
        raise Redirect("/dpo/attestations")

    # --- file drop ------------------------------------------------------------------------------------

    def drop_page(
        request: Request, session: Session, *, error: str | None = None, done: str | None = None, status: int = 200
    ) -> Response:
        app_ = web(request)
        siret = None if session.user.is_dpo else _siret(session)
        items = filedrop.drops(app_.ledger, siret)
        template = "dpo_drops.html" if session.user.is_dpo else "drop.html"
        # « Fichier déposé (référence ...) » only for a real drop of this structure, never a text from the URL.
        done = done if done and any(d.id == done and d.by == session.user.subject for d in items) else None
        return app_.render(
            request,
            template,
            status=status,
            session=session,
            items=items,
            error=error,
            done=done,
            enabled=bool(app_.config.drop_recipient),
        )

    @app.get("/depot")
    def drop_form(request: Request, depose: str | None = None) -> Response:
        return drop_page(request, current(request, role="structure"), done=depose)

    @app.post("/depot")
    async def drop_upload(request: Request) -> Response:
        # The CSRF token is the form's first part, checked before any byte of the file is read (never in the
        # URL, which proxies log and browsers keep in their history).
        session = current(request, role="structure")
        app_ = web(request)
        if not app_.config.drop_recipient:
            return drop_page(request, session, error="dépôt indisponible : aucune clé du DPO configurée", status=400)
        try:
            drop = await _stream_drop(request, session)
        except InvalidValue as exc:
            return drop_page(request, session, error=str(exc), status=400)
        raise Redirect(f"/depot?depose={drop.id}")

    @app.get("/dpo/depots")
    def drops_list(request: Request) -> Response:
        return drop_page(request, current(request, role="dpo"))

    @app.get("/dpo/depots/{drop_id}.age")
    def drop_download(request: Request, drop_id: str) -> Response:
        session = current(request, role="dpo")
        app_ = web(request)
        found = filedrop.find_drop(app_.ledger, _drops_store(request), drop_id)
        if found is None:
            raise HTTPException(404)
        record_action(request, session, "drop.downloaded", drop_id)
        return _download(found[1].read_bytes(), f"{drop_id}.age", "application/octet-stream")


def _siret(session: Session) -> str:
    if not session.user.siret:
        raise HTTPException(404)
    return str(session.user.siret)


def _headings() -> dict[str, str]:
    return {
        "pseudonymisation_encryption": "Pseudonymisation et chiffrement",
        "confidentiality_integrity_availability": "Confidentialité, intégrité, disponibilité et résilience",
        "restore_access": "Rétablissement de la disponibilité et de l'accès après un incident",
        "regular_testing": "Tests et évaluation réguliers de l'efficacité des mesures",
    }


def _defaults(folder: Any) -> Any:
    from dpa_kit.loader import load_defaults

    return load_defaults(folder)


async def _stream_drop(request: Request, session: Session) -> filedrop.Drop:
    """Parse the multipart body as it arrives; the file part goes, piece by piece, into the age writer."""
    from python_multipart.multipart import MultipartParser, parse_options_header

    app_ = web(request)
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise InvalidValue("envoi illisible : utilisez le formulaire de dépôt", "file")
    state: dict[str, Any] = {"headers": {}, "field": b"", "value": b"", "writer": None, "parts": []}
    pending: list[tuple[str, Any]] = []

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] += data[start:end]
        _bounded(state["field"])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]
        _bounded(state["value"])

    def _bounded(header: bytes) -> None:
        if len(header) > 4096:
            raise InvalidValue("envoi illisible : en-tête de partie trop long", "file")

    def on_header_end() -> None:
        state["headers"][state["field"].decode("latin-1").lower()] = state["value"]
        state["field"], state["value"] = b"", b""

    def on_headers_finished() -> None:
        _, disposition = parse_options_header(state["headers"].get("content-disposition", b""))
        name = disposition.get(b"name", b"").decode("utf-8", "replace")
        filename = disposition.get(b"filename")
        state["current"] = (name, filename.decode("utf-8", "replace") if filename is not None else None)
        state["headers"] = {}
        pending.append(("begin", state["current"]))

    def on_part_data(data: bytes, start: int, end: int) -> None:
        pending.append(("data", bytes(data[start:end])))

    def on_part_end() -> None:
        pending.append(("end", None))

    parser = MultipartParser(
        boundary,
        {
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    fields: dict[str, bytes] = {}
    token = b""
    parts = 0
    writer: filedrop.DropWriter | None = None
    current_part: tuple[str, str | None] | None = None
    drop: filedrop.Drop | None = None
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            for kind, value in pending:
                if kind == "begin":
                    current_part = value
                    parts += 1
                    if parts == 1:
                        if current_part != ("csrf", None):
                            raise HTTPException(403)  # the token first, before anything else is read
                        continue
                    if current_part and current_part[0] == "file" and current_part[1]:
                        if writer is not None:
                            raise InvalidValue("un seul fichier par dépôt", "file")
                        convention = fields.get("convention", b"").decode("utf-8", "replace").strip() or None
                        if convention is not None:
                            access.get_convention(session.user, app_.config.registers, convention)
                        writer = await run_in_threadpool(
                            filedrop.DropWriter,
                            app_.ledger,
                            _drops_store(request),
                            current_part[1],
                            str(app_.config.drop_recipient),
                            siret=_siret(session),
                            by=session.user.subject,
                            convention=convention,
                            now=app_.now(),
                        )
                    elif len(fields) >= DROP_MAX_FIELDS:
                        raise InvalidValue(
                            f"formulaire de dépôt trop volumineux : {DROP_MAX_FIELDS} champs au plus", "file"
                        )
                    else:
                        fields.setdefault(current_part[0], b"")
                elif kind == "end" and parts == 1:
                    if not token or not hmac.compare_digest(token, session.csrf.encode()):
                        raise HTTPException(403)
                elif kind == "data" and current_part is not None:
                    if parts == 1:
                        token += value
                        if len(token) > 200:
                            raise HTTPException(403)
                    elif current_part[0] == "file" and writer is not None:
                        await run_in_threadpool(writer.write, value)
                    elif current_part[0] != "file":
                        fields[current_part[0]] += value
                        if len(fields[current_part[0]]) > DROP_MAX_FIELD_BYTES:
                            raise InvalidValue(
                                f"champ trop long : {DROP_MAX_FIELD_BYTES // 1000} ko au plus", current_part[0]
                            )
                        if sum(len(v) for v in fields.values()) > DROP_MAX_TEXT_BYTES:
                            kilobytes = DROP_MAX_TEXT_BYTES // 1000
                            raise InvalidValue(
                                f"formulaire de dépôt trop volumineux : {kilobytes} ko de texte au plus", "file"
                            )
            pending.clear()
        parser.finalize()
        if parts == 0 or not token:
            raise HTTPException(403)
        if writer is None:
            raise InvalidValue("choisissez un fichier à envoyer", "file")
        drop = await run_in_threadpool(writer.close)
    finally:
        if writer is not None and drop is None:
            writer.abort()
    return drop
