"""The « annexe Sécurité et Confidentialité » of security option 2: catalogue, selection, responsibilities.

A catalogue of measures ships as package data (``security_measures.yaml``, overridable from the user's
templates folder like the Jinja templates). For one convention, :func:`select` keeps the measures whose
condition holds (platform or hosting sub-processed, sub-processors, sensitive data, transfers, health data
hosted by a third party), applies the convention's personalisation (``security.annex_measures``: measures
added, excluded with a reason, responsible party changed, a note) and yields the responsibility matrix.
The same selection fills the security annex document, the Art. 32 paragraph of Annexe 1 and the four
security headings of the structure's Art. 30.2 register.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dpa_kit.clock import french_date

# The document pipeline: every use of it goes through these names. Jinja2 and the writers are imported where
# a document is rendered or written: `dpa-kit check` uses the catalogue and the selection only.
from dpa_kit.documents.annex import _country, _Needs, _sentence, _title_line, document_date
from dpa_kit.documents.markdown import (
    Safe,
    banner_markdown,
    environment,
    md_escape,
    packaged_templates,
    parse_blocks,
    tidy,
)
from dpa_kit.exceptions import ConventionError, NotReady, Problem, RenderError
from dpa_kit.fsutil import atomic_write
from dpa_kit.loader import FieldPath, SourceMap, _problems, read_yaml
from dpa_kit.model import Convention, Parties, Party, SensitiveData, format_siret

if TYPE_CHECKING:
    from dpa_kit.documents.writers import DocumentMeta, Rendered

__all__ = [
    "ANNEX_NAME_PART",
    "CATALOGUE_FILE",
    "CONTEXT_FIELDS",
    "SECURITY_TEMPLATE",
    "Catalogue",
    "Conditions",
    "ExcludedMeasure",
    "Measure",
    "SelectedMeasure",
    "Selection",
    "annex1_context",
    "applicable_ids",
    "catalogue_path",
    "conditions_of",
    "hds_mentioned",
    "load_catalogue",
    "missing_answers",
    "register_security",
    "render_security",
    "render_security_markdown",
    "security_annex_name",
    "select",
    "version_date",
    "write_security_annex",
]

CATALOGUE_FILE = "security_measures.yaml"
SECURITY_TEMPLATE = "security_annex.md.j2"
ANNEX_NAME_PART = "annexe-securite"
DEFAULT_REFERENCE = "Annexe Sécurité et Confidentialité"
OWN_THEME = "propres"
OWN_THEME_TITLE = "Mesures propres à la convention"

Applies = Literal[
    "always", "platform", "subprocessors", "special_categories", "transfers", "health_hosting", "on_request"
]
RegisterHeading = Literal[
    "pseudonymisation_encryption", "confidentiality_integrity_availability", "restore_access", "regular_testing"
]

PARTY_LABELS = {Party.departement: "Département", Party.structure: "Organisme", Party.subprocessor: "Sous-traitant"}
_PARTY_PHRASES = {  # after « relèvent »
    (Party.departement,): "du Département",
    (Party.structure,): "de l'organisme",
    (Party.subprocessor,): "du sous-traitant de l'organisme, sous la responsabilité de celui-ci",
    (Party.departement, Party.structure): "du Département et de l'organisme, chacun pour les systèmes qu'il administre",
    (Party.structure, Party.subprocessor): "de l'organisme et de son sous-traitant",
    (Party.departement, Party.subprocessor): "du Département et du sous-traitant de l'organisme",
    (Party.departement, Party.structure, Party.subprocessor): "du Département, de l'organisme et de son sous-traitant",
}
_SHORT_LABELS = {
    (Party.departement,): "Département",
    (Party.structure,): "organisme",
    (Party.subprocessor,): "sous-traitant de l'organisme",
    (Party.departement, Party.structure): "Département et organisme",
    (Party.structure, Party.subprocessor): "organisme et son sous-traitant",
    (Party.departement, Party.subprocessor): "Département et sous-traitant de l'organisme",
    (Party.departement, Party.structure, Party.subprocessor): "Département, organisme et sous-traitant",
}

# A platform, a piece of software or hosting among the sub-processed activities.
_PLATFORM = re.compile(
    r"(?i)(h[ée]berg|plate-?forme|logiciel|application|cloud|saas|infog[ée]rance|stockage|serveur|"
    r"centre de donn[ée]es|datacenter|base de donn[ée]es|extranet|messagerie|outil (?:num[ée]rique|informatique))"
)
_HOSTING = re.compile(
    r"(?i)(h[ée]berg|cloud|saas|stockage|infog[ée]rance|centre de donn[ée]es|datacenter|plate-?forme)"
)
_HDS = re.compile(r"(?i)(\bHDS\b|h[ée]bergeur (?:certifi[ée] )?de donn[ée]es de sant[ée])")


# --- the catalogue ------------------------------------------------------------------------------------


class _CatalogueModel(BaseModel):
    # built on first use: `check` on a convention of security option 1 never reads the catalogue
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, populate_by_name=True, defer_build=True
    )


class Measure(_CatalogueModel):
    """One measure of the catalogue."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
    theme: str
    title: str = Field(min_length=1)
    text: str = Field(min_length=1)
    sources: list[str] = Field(default_factory=list)
    ref: str | None = None
    responsible: Parties = Field(min_length=1)
    applies: Applies = "always"
    headings: list[RegisterHeading] = Field(default_factory=list, alias="register")


class Catalogue(_CatalogueModel):
    """The catalogue file (format ``dpa-kit-security-catalogue/1``)."""

    format: Literal["dpa-kit-security-catalogue/1"]
    sources: dict[str, str]
    themes: dict[str, str]
    measures: list[Measure]

    def by_id(self) -> dict[str, Measure]:
        return {m.id: m for m in self.measures}


def catalogue_path(templates: Path | None = None) -> Path:
    """The catalogue file used: the user's templates folder first, then the packaged one."""
    if templates is not None and (templates / CATALOGUE_FILE).is_file():
        return templates / CATALOGUE_FILE
    return packaged_templates() / CATALOGUE_FILE


def load_catalogue(templates: Path | None = None) -> Catalogue:
    """The catalogue of measures; raise ConventionError (file, line, field) if the file is malformed."""
    path = catalogue_path(templates)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError as exc:
        raise RenderError(f"{path} : catalogue des mesures de sécurité introuvable") from exc
    return _load_catalogue(path, stamp)


#: The packaged catalogue as JSON (``security_measures.yaml.json``), stamped with the SHA-256 of the YAML it was
#: read from: reading it costs a tenth of parsing the YAML, on every `check` of an option-2 convention.
SNAPSHOT_FORMAT = "dpa-kit-security-catalogue-snapshot/1"


def snapshot_path(path: Path) -> Path:
    """Where the snapshot of the catalogue file ``path`` is kept: beside it, with ``.json`` added."""
    return path.with_name(path.name + ".json")


def write_snapshot(path: Path) -> Path:
    """Write the snapshot of the catalogue file ``path`` (the developers' command, after editing the catalogue)."""
    import hashlib
    import json

    source = path.read_bytes()
    data, _ = read_yaml(path)
    _checked(Catalogue.model_validate(data), path, {})  # a catalogue with problems gets no snapshot
    if json.loads(json.dumps(data)) != data:  # pragma: no cover - a value JSON cannot carry (a date...)
        raise ValueError(f"{path}: the catalogue does not survive JSON")
    payload = {"format": SNAPSHOT_FORMAT, "sha256": hashlib.sha256(source).hexdigest(), "catalogue": data}
    target = snapshot_path(path)
    target.write_text(json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    return target


def _snapshot(path: Path) -> Any:
    """The catalogue's data from its snapshot, or None (no snapshot, or one of another version of the file)."""
    import hashlib
    import json

    try:
        source = path.read_bytes()
        payload = json.loads(snapshot_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(payload, dict) or payload.get("format") != SNAPSHOT_FORMAT:
        return None
    return payload.get("catalogue") if payload.get("sha256") == hashlib.sha256(source).hexdigest() else None


@functools.lru_cache(maxsize=8)
def _load_catalogue(path: Path, stamp: int) -> Catalogue:
    data = _snapshot(path)
    if data is not None:  # the very data the YAML holds, which validated when the snapshot was written
        try:
            return _checked(Catalogue.model_validate(data), path, {})
        except (ValidationError, ConventionError):  # pragma: no cover - the YAML then says where
            pass
    data, lines = read_yaml(path)
    try:
        catalogue = Catalogue.model_validate(data)
    except ValidationError as exc:
        raise ConventionError(_problems(exc, SourceMap(path, lines), model=Catalogue)) from exc
    return _checked(catalogue, path, lines)


def _checked(catalogue: Catalogue, path: Path, lines: dict[FieldPath, tuple[Path, int]]) -> Catalogue:
    """``catalogue``, or ConventionError: ids in double, unknown themes or sources (located with ``lines``)."""
    problems = []
    seen: set[str] = set()
    for index, measure in enumerate(catalogue.measures):
        where = lines.get(("measures", index), (path, None))[1]
        if measure.id in seen:
            problems.append(Problem(path, where, f"measures[{index}].id", f"identifiant « {measure.id} » en double"))
        seen.add(measure.id)
        if measure.theme not in catalogue.themes:
            problems.append(Problem(path, where, f"measures[{index}].theme", f"thème « {measure.theme} » inconnu"))
        for source in measure.sources:
            if source not in catalogue.sources:
                problems.append(Problem(path, where, f"measures[{index}].sources", f"source « {source} » inconnue"))
    if problems:
        raise ConventionError(problems)
    return catalogue


# --- conditions and selection ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Conditions:
    """The facts of a convention that decide which measures apply."""

    platform: bool
    subprocessors: bool
    special_categories: bool
    transfers: bool
    health_hosting: bool

    def holds(self, applies: str) -> bool:
        if applies == "always":
            return True
        if applies == "on_request":
            return False
        return bool(getattr(self, applies))

    def sentences(self) -> list[str]:
        """The context of the choice, in French, one sentence per fact."""
        return [
            "une plateforme, un logiciel ou un hébergement figure parmi les activités sous-traitées"
            if self.platform
            else "aucune plateforme ni aucun hébergement ne figure parmi les activités sous-traitées",
            "l'organisme fait appel à un ou plusieurs sous-traitants"
            if self.subprocessors
            else "l'organisme ne déclare aucun sous-traitant",
            "des données sensibles sont traitées"
            if self.special_categories
            else "aucune donnée sensible n'est déclarée",
            "des données sont transférées hors de l'Union européenne et de l'Espace économique européen"
            if self.transfers
            else "aucun transfert hors de l'Union européenne et de l'Espace économique européen",
            "des données de santé sont hébergées par un tiers : l'hébergeur doit être certifié HDS"
            if self.health_hosting
            else "aucune donnée de santé n'est hébergée par un tiers",
        ]


def _activities(convention: Convention) -> list[str]:
    sub = convention.subprocessing
    return [*sub.authorised_activities, *(a for s in sub.subprocessors for a in s.activities)]


def conditions_of(convention: Convention) -> Conditions:
    """Which applicability conditions of the catalogue hold for ``convention``."""
    from dpa_kit.countries import is_eu_eea

    activities = _activities(convention)
    subprocessors = bool(convention.subprocessing.subprocessors)
    hosting = any(_HOSTING.search(a) for a in activities)
    outside = any(s.country and not is_eu_eea(s.country) for s in convention.subprocessing.subprocessors)
    return Conditions(
        platform=any(_PLATFORM.search(a) for a in activities),
        subprocessors=subprocessors,
        special_categories=bool(convention.processing.sensitive_data),
        transfers=bool(convention.transfers) or outside,
        health_hosting=SensitiveData.health in convention.processing.sensitive_data and hosting,
    )


@dataclass(frozen=True)
class SelectedMeasure:
    """A measure of this convention's security annex, with the parties in charge and the agreed note."""

    id: str
    theme: str
    title: str | None
    text: str | None
    parties: tuple[Party, ...]
    note: str | None = None
    ref: str | None = None
    added: bool = False
    register: tuple[str, ...] = ()

    @property
    def responsible_label(self) -> str:
        return _SHORT_LABELS.get(self.parties, "") if self.parties else ""

    def marks(self) -> list[tuple[str, bool]]:
        """One (party label, responsible?) pair per column of the matrix."""
        return [(label, party in self.parties) for party, label in PARTY_LABELS.items()]


@dataclass(frozen=True)
class ExcludedMeasure:
    """An applicable measure the parties left out, with their reason."""

    id: str
    title: str
    reason: str | None


@dataclass
class Selection:
    """The measures of one convention's security annex."""

    conditions: Conditions
    measures: list[SelectedMeasure]
    excluded: list[ExcludedMeasure]
    unknown: list[str]
    themes: dict[str, str]
    sources: dict[str, str]
    cited_sources: list[str] = field(default_factory=list)
    #: catalogue measures personalised although they do not apply (and are not added): without effect
    inapplicable: list[str] = field(default_factory=list)

    def by_theme(self) -> list[tuple[str, list[SelectedMeasure]]]:
        groups: dict[str, list[SelectedMeasure]] = {}
        order = [*self.themes, OWN_THEME]
        for measure in self.measures:
            groups.setdefault(measure.theme if measure.theme in self.themes else OWN_THEME, []).append(measure)
        titles = {**self.themes, OWN_THEME: OWN_THEME_TITLE}
        return [(titles[key], groups[key]) for key in order if key in groups]

    def responsible_for(self, party: Party) -> list[SelectedMeasure]:
        return [m for m in self.measures if party in m.parties]


def _effective(parties: Sequence[Party], has_subprocessor: bool) -> tuple[Party, ...]:
    """The parties in the matrix's column order; a sub-processor's share goes to the structure when there is none."""
    chosen = set(parties)
    if Party.subprocessor in chosen and not has_subprocessor:
        chosen.discard(Party.subprocessor)
        chosen.add(Party.structure)
    return tuple(p for p in PARTY_LABELS if p in chosen)


def _first(*options: list[Party] | None) -> list[Party]:
    """The first party list actually written (an empty list counts: it is a missing answer for the checks)."""
    return next(option for option in options if option is not None)


def select(convention: Convention, catalogue: Catalogue | None = None) -> Selection:
    """The measures of ``convention``'s security annex: applicable ones, personalised, plus those added."""
    catalogue = catalogue or load_catalogue()
    conditions = conditions_of(convention)
    choices = convention.security.annex_measures
    has_sub = conditions.subprocessors
    catalogue_ids = catalogue.by_id()
    added = {a.id: a for a in choices.added}
    measures: list[SelectedMeasure] = []
    excluded: list[ExcludedMeasure] = []
    for measure in catalogue.measures:
        choice = choices.measures.get(measure.id)
        extra = added.get(measure.id)
        if not (conditions.holds(measure.applies) or extra is not None):
            continue
        if choice is not None and choice.exclude:
            excluded.append(ExcludedMeasure(measure.id, measure.title, choice.reason))
            continue
        responsible = _first(
            extra.responsible if extra else None, choice.responsible if choice else None, measure.responsible
        )
        note = (extra.note if extra else None) or (choice.note if choice else None)
        measures.append(
            SelectedMeasure(
                measure.id,
                measure.theme,
                measure.title,
                measure.text,
                _effective(responsible, has_sub),
                note,
                measure.ref,
                False,
                tuple(measure.headings),
            )
        )
    for extra in choices.added:
        if extra.id in catalogue_ids:
            continue
        choice = choices.measures.get(extra.id)
        responsible = _first(extra.responsible, choice.responsible if choice else None, [])
        measures.append(
            SelectedMeasure(
                extra.id,
                extra.theme or OWN_THEME,
                extra.title,
                extra.text,
                _effective(responsible, has_sub),
                extra.note or (choice.note if choice else None),
                None,
                True,
                ("confidentiality_integrity_availability",),
            )
        )
    known = set(catalogue_ids) | set(added)
    unknown = [key for key in choices.measures if key not in known]
    kept_or_excluded = {m.id for m in measures} | {e.id for e in excluded}
    inapplicable = [
        key
        for key, choice in choices.measures.items()
        if key in catalogue_ids and key not in kept_or_excluded and not choice.exclude
    ]
    kept = {m.id for m in measures}
    always = [key for key in ("RGPD-32",) if key in catalogue.sources]
    cited = list(dict.fromkeys([*always, *(s for m in catalogue.measures if m.id in kept for s in m.sources)]))
    return Selection(
        conditions, measures, excluded, unknown, dict(catalogue.themes), dict(catalogue.sources), cited, inapplicable
    )


def applicable_ids(convention: Convention, catalogue: Catalogue | None = None) -> set[str]:
    """Ids of the catalogue measures whose condition holds for ``convention`` (before personalisation)."""
    catalogue = catalogue or load_catalogue()
    conditions = conditions_of(convention)
    return {m.id for m in catalogue.measures if conditions.holds(m.applies)}


def hds_mentioned(convention: Convention) -> bool:
    """True when the convention says the health-data host is certified HDS (certification, safeguards, note)."""
    texts = [convention.security.certification, *convention.security.measures]
    texts += [s.safeguards for s in convention.subprocessing.subprocessors]
    texts += [c.note for c in convention.security.annex_measures.measures.values()]
    texts += [a.note for a in convention.security.annex_measures.added]
    return any(t and _HDS.search(t) for t in texts)


# --- Annexe 1: the annex's name and the responsibilities paragraph ---------------------------------------


def version_date(convention: Convention) -> date | None:
    """The date of the security annex: the one written in the convention, else the start of the convention."""
    return convention.security.annex_measures.version_date or convention.period.start


def responsibilities_markdown(selection: Selection) -> str:
    """The Art. 32 split, party by party, as one French sentence in Markdown (values escaped)."""
    groups: dict[tuple[Party, ...], list[SelectedMeasure]] = {}
    for measure in selection.measures:
        if measure.parties:
            groups.setdefault(measure.parties, []).append(measure)
    order = sorted(groups, key=lambda parties: (len(parties), [list(PARTY_LABELS).index(p) for p in parties]))
    parts = []
    for parties in order:
        names = ", ".join(f"« {md_escape(m.title or m.id)} » ({md_escape(m.id)})" for m in groups[parties])
        phrase = _PARTY_PHRASES[parties]
        comma = "," if "," in phrase else ""
        what = "les mesures" if len(groups[parties]) > 1 else "la mesure"
        verb = "relèvent" if len(groups[parties]) > 1 else "relève"
        parts.append(f"{verb} {phrase}{comma} {what} {names}")
    if not parts:
        return ""
    detail = "le détail, mesure par mesure, figure dans la matrice des responsabilités de cette annexe."
    return " ; ".join([*parts, detail])


@dataclass(frozen=True)
class Annex1Security:
    """What Annexe 1 needs to know about the security annex (option 2)."""

    reference: str | None
    date_text: str | None
    responsibilities: Any  # dpa_kit.annex.Safe: Markdown already escaped


def annex1_context(convention: Convention, templates: Path | None = None) -> Annex1Security | None:
    """For option 2: the annex's reference and date, and the responsibilities sentence from the matrix."""
    if convention.security.option != 2:
        return None
    selection = select(convention, load_catalogue(templates))
    day = version_date(convention)
    return Annex1Security(
        reference=convention.security.annex,
        date_text=french_date(day) if day else None,
        responsibilities=Safe(responsibilities_markdown(selection)),
    )


# --- the security annex document ---------------------------------------------------------------------


CONTEXT_FIELDS = {
    "c": "the validated Convention model (dpa_kit.model.Convention)",
    "sel": "the Selection: conditions, by_theme(), measures, excluded, cited_sources, sources",
    "need": "need(value, label): the value, or a missing-answer error (final) / visible blank (draft)",
    "sentence": "sentence(text): the text ending with a full stop",
    "country": "country(code): French name of an ISO country code",
    "date_fr": "date_fr(date): « 1er janvier 2026 »",
    "version_date": "the date of this version of the annex, or None",
    "party_labels": "the matrix's column labels: Département, Organisme, Sous-traitant",
    "siret": "the structure's SIRET as people write it (343 097 333 00078), or None",
    "draft": "True when rendering a draft (the document then carries the draft banner)",
}


def _context(
    convention: Convention, functions: dict[str, Any], *, draft: bool, templates: Path | None
) -> dict[str, Any]:
    return {
        "c": convention,
        "sel": select(convention, load_catalogue(templates)),
        **functions,
        "version_date": version_date(convention),
        "party_labels": list(PARTY_LABELS.values()),
        "siret": format_siret(convention.processor.siret) if convention.processor.siret else None,
        "draft": draft,
    }


def _security_body(convention: Convention, *, draft: bool, templates: Path | None) -> tuple[str, list[str]]:
    """The security template resolved for ``convention`` and the answers it lacked (blanks when ``draft``)."""
    need = _Needs(draft)
    functions = {"need": need, "sentence": _sentence, "country": _country, "date_fr": french_date}
    context = _context(convention, functions, draft=draft, templates=templates)
    import jinja2

    try:
        body = environment(templates).get_template(SECURITY_TEMPLATE).render(context)
    except jinja2.UndefinedError as exc:
        raise RenderError(f"modèle {SECURITY_TEMPLATE} : valeur indéfinie ({exc.message})") from exc
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"modèle {exc.filename or exc.name}, ligne {exc.lineno} : {exc.message}") from exc
    except jinja2.TemplateError as exc:
        raise RenderError(f"modèle {SECURITY_TEMPLATE} : {exc}") from exc
    return body, need.missing


def render_security(convention: Convention, *, draft: bool = False, templates: Path | None = None) -> Rendered:
    """The « annexe Sécurité et Confidentialité », ready for every writer.

    Raises NotReady listing the missing answers unless ``draft``; the result is a draft (banner) only when
    ``draft`` is asked and answers are missing, as for Annexe 1.
    """
    body, missing = _security_body(convention, draft=True, templates=templates)
    if missing and not draft:
        raise NotReady(convention.id, missing)
    is_draft = draft and bool(missing)
    from dpa_kit.documents.writers import Rendered

    text = _title_line(convention) + tidy(body)
    markdown = (banner_markdown() if is_draft else "") + text
    return Rendered(markdown, parse_blocks(text), _meta(convention, is_draft))


def render_security_markdown(convention: Convention, *, draft: bool = False, templates: Path | None = None) -> str:
    """The security annex as Markdown (the ``md`` output); see :func:`render_security`."""
    return render_security(convention, draft=draft, templates=templates).markdown


def _meta(convention: Convention, draft: bool) -> DocumentMeta:
    from dpa_kit.documents.writers import DocumentMeta

    processor = convention.processor.display_name or "structure"
    operation = f" : {convention.title}" if convention.title else ""
    return DocumentMeta(
        title=f"Annexe Sécurité et Confidentialité - {convention.id}",
        author=convention.controller.name or "Département du Pas-de-Calais",
        subject=f"Convention {convention.id}{operation} ({processor})",
        day=version_date(convention) or document_date(convention),
        draft=draft,
    )


def missing_answers(convention: Convention, templates: Path | None = None) -> list[str]:
    """What the security annex of an option-2 convention still needs (empty when ready, or for option 1)."""
    if convention.security.option != 2:
        return []
    from dpa_kit.documents.needs import NEED, TEXT, needs_of  # found without rendering when it can be

    functions = {"need": NEED, "sentence": TEXT, "country": TEXT, "date_fr": TEXT}
    context = _context(convention, functions, draft=True, templates=templates)
    missing = needs_of(SECURITY_TEMPLATE, context, templates)
    if missing is None:
        missing = _security_body(convention, draft=True, templates=templates)[1]
    return list(dict.fromkeys(missing))


def security_annex_name(convention_id: str, fmt: str) -> str:
    """``<id>.annexe-securite.<fmt>``, beside ``<id>.annexe1.<fmt>``."""
    return f"{convention_id}.{ANNEX_NAME_PART}.{fmt}"


def write_security_annex(
    convention: Convention,
    formats: Sequence[str],
    out_dir: Path,
    *,
    draft: bool = False,
    templates: Path | None = None,
) -> list[Path]:
    """Write the security annex of an option-2 convention in each format; nothing for option 1."""
    if convention.security.option != 2:
        return []
    from dpa_kit.documents.writers import write_rendered

    rendered = render_security(convention, draft=draft, templates=templates)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        target = out_dir / security_annex_name(convention.id, fmt)
        atomic_write(target, write_rendered(fmt, rendered, templates))
        written.append(target)
    return written


# --- the structure's register (Art. 30.2(d)) -------------------------------------------------------------


def register_security(convention: Convention, templates: Path | None = None) -> dict[str, str]:
    """The register's security headings described from the measures the structure answers for.

    Only option-2 conventions have an agreed list of measures; a heading no such measure describes is
    left out, for the structure to write itself.
    """
    if convention.security.option != 2:
        return {}
    selection = select(convention, load_catalogue(templates))
    reference = convention.security.annex or DEFAULT_REFERENCE
    day = version_date(convention)
    origin = f"selon {reference}" + (f" du {french_date(day)}" if day else "")
    headings: dict[str, list[str]] = {}
    for measure in selection.measures:
        if Party.structure not in measure.parties and Party.subprocessor not in measure.parties:
            continue
        by_sub = " (par son sous-traitant)" if measure.parties == (Party.subprocessor,) else ""
        note = f" : {measure.note.rstrip(' .;')}" if measure.note else ""
        line = f"{measure.title or measure.id} ({measure.id}){by_sub}{note}"
        for heading in measure.register:
            headings.setdefault(heading, []).append(line)
    return {key: f"{' ; '.join(lines)} ({origin})." for key, lines in headings.items()}
