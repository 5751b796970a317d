"""The DPO's conventions as the web shows them: readiness, lifecycle, the questionnaire form, the annex files.

Each function is one call for a page or an API route: the list (:func:`rows`), a convention's annex in a
format (:func:`annex_document`: the final document only when :func:`dpa_kit.checks.verdict` says ready, a
a draft otherwise), creating a convention from the posted form (:func:`create_from_form`) and editing one
(:func:`edit_from_form`), both through :mod:`dpa_kit.questionnaire`. Who may see which convention is decided
before (the web's access rules hand in only the conventions the user may see).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dpa_kit import lifecycle, questionnaire, yamlio
from dpa_kit.checks import Verdict, verdict
from dpa_kit.exceptions import ConventionError, InvalidValue
from dpa_kit.ledger import Ledger
from dpa_kit.loader import LoadedConvention, convention_files, load_defaults
from dpa_kit.words import DRAFT_WORD

__all__ = [
    "ANNEX_FORMATS",
    "MEDIA_TYPES",
    "FormResult",
    "Row",
    "annex_document",
    "create_from_form",
    "edit_from_form",
    "form_texts",
    "rows",
]

ANNEX_FORMATS = ("pdf", "docx", "odt", "html", "md")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}


@dataclass
class Row:
    """One convention in the DPO's list."""

    id: str
    structure: str | None
    siret: str | None
    verdict: Verdict
    state: lifecycle.ConventionState

    @property
    def ready(self) -> bool:
        return self.verdict.ready


def rows(conventions: Iterable[LoadedConvention], ledger: Ledger | None) -> list[Row]:
    """The conventions with their readiness and their stage, in the order given."""
    loaded = list(conventions)
    states = lifecycle.states(ledger, [c.convention.id for c in loaded])
    return [
        Row(
            c.convention.id,
            c.convention.processor.display_name,
            c.convention.processor.siret,
            verdict(c),
            states[c.convention.id],
        )
        for c in loaded
    ]


def annex_document(loaded: LoadedConvention, fmt: str, templates: Path | None = None) -> tuple[bytes, str, bool]:
    """The annex in ``fmt``: its bytes, its file name and whether it is final (else a draft, marked on every page)."""
    from dpa_kit.documents.annex import render
    from dpa_kit.documents.writers import write_rendered

    if fmt not in ANNEX_FORMATS:
        raise InvalidValue(f"format « {fmt} » inconnu ({', '.join(ANNEX_FORMATS)})", "format")
    ready = verdict(loaded).ready
    rendered = render(loaded.convention, draft=True, templates=templates, not_ready=not ready)
    suffix = "annexe1" if ready else f"annexe1.{DRAFT_WORD}"
    return write_rendered(fmt, rendered, templates), f"{loaded.convention.id}.{suffix}.{fmt}", ready


@dataclass
class FormResult:
    """The outcome of a posted questionnaire: the file written, or the errors per question (values kept)."""

    texts: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    path: Path | None = None


def _texts(form: Mapping[str, Any]) -> dict[str, str]:
    return {q.key: str(form.get(q.key) or "") for q in questionnaire.QUESTIONS}


def create_from_form(folder: Path, form: Mapping[str, Any]) -> FormResult:
    """Validate the « Nouvelle convention » form and write the convention when every answer is accepted."""
    texts = _texts(form)
    context = questionnaire.Context(
        frozenset(p.stem for p in convention_files(folder)) if folder.is_dir() else frozenset()
    )
    answers, errors = questionnaire.validate_all(texts, context)
    if errors:
        return FormResult(texts, errors)
    try:
        path = questionnaire.write_convention(folder, answers, load_defaults(folder))
    except InvalidValue as exc:
        return FormResult(texts, {exc.field: str(exc)})
    except ConventionError as exc:
        return FormResult(texts, {"": "; ".join(p.message for p in exc.problems)})
    return FormResult(texts, path=path)


def form_texts(path: Path) -> dict[str, str]:
    """The answers of an existing convention file as the form shows them."""
    answers = questionnaire.answers_from_data(yamlio.read(path).data)
    return {
        key: questionnaire.answer_text(questionnaire.QUESTIONS_BY_KEY[key], value) for key, value in answers.items()
    }


def edit_from_form(loaded: LoadedConvention, form: Mapping[str, Any], ledger: Ledger | None) -> FormResult:
    """Apply the edit form to a convention (comments kept); a signed convention no longer changes."""
    texts = _texts(form)
    texts["id"] = loaded.convention.id
    if lifecycle.state(ledger, loaded.convention.id).stage not in {lifecycle.Stage.draft, lifecycle.Stage.sent}:
        return FormResult(texts, {"": "convention signée : son texte ne change plus"})
    answers, errors = questionnaire.validate_all(texts)
    errors.pop("id", None)  # its own identifier exists, of course
    if errors:
        return FormResult(texts, errors)
    # Only what the person changed is written: a sub-processor's address or contract dates, which the form
    # does not show, stay as they are unless that answer was edited.
    before = form_texts(loaded.path)
    changes: dict[str, Any] = {
        key: value for key, value in answers.items() if key != "id" and texts.get(key, "") != before.get(key, "")
    }
    for question in questionnaire.QUESTIONS:
        if question.key not in answers and question.key in before:
            changes[question.key] = None  # an option changed: its follow-up question no longer applies
    try:
        questionnaire.edit_convention(loaded.path, changes, load_defaults(loaded.path.parent))
    except InvalidValue as exc:
        return FormResult(texts, {exc.field: str(exc)})
    except ConventionError as exc:
        return FormResult(texts, {"": "; ".join(p.message for p in exc.problems)})
    return FormResult(texts, path=loaded.path)
