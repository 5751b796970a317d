"""Producing filled annexes: one convention in several formats, or a whole folder in parallel.

A batch build renders every convention it can, reports those it could not (unreadable file, answers
missing) and still writes the others, plus an ``index.html`` that links every annex.
"""

from __future__ import annotations

import html
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from dpa_kit.documents.annex import render
from dpa_kit.documents.writers import FORMATS, write_rendered
from dpa_kit.exceptions import DpaKitError, NotReady, UsageError
from dpa_kit.fsutil import atomic_write
from dpa_kit.loader import LoadedConvention, iter_folder
from dpa_kit.model import Convention

__all__ = [
    "BuildItem",
    "BuildReport",
    "annex_name",
    "build_folder",
    "parse_formats",
    "render_annex",
    "write_index",
]


def parse_formats(text: str) -> list[str]:
    """``"pdf,docx"`` -> ``["pdf", "docx"]``; ``"all"`` -> every format."""
    if text.strip() == "all":
        return list(FORMATS)
    formats = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise UsageError(
            f"format(s) inconnu(s) : {', '.join(unknown) or '(aucun)'} ; formats possibles : "
            f"{', '.join(FORMATS)} ou all"
        )
    return list(dict.fromkeys(formats))


def annex_name(convention_id: str, fmt: str) -> str:
    """The file name of the annex of a convention in format ``fmt``."""
    return f"{convention_id}.annexe1.{fmt}"


def render_annex(
    convention: Convention | LoadedConvention,
    formats: Sequence[str],
    out_dir: Path,
    *,
    draft: bool = False,
    templates: Path | None = None,
    force: bool = False,
    keep_record: bool = True,
    target_file: Path | None = None,
) -> list[Path]:
    """Write the annex of one convention in each format into ``out_dir``; return the files written.

    A final annex is written only for a convention that is ready to sign (:func:`dpa_kit.checks.verdict`);
    otherwise :class:`NotReady` lists what stands in the way, and ``draft`` writes a draft instead.
    An annex changed since dpa-kit wrote it is not replaced unless ``force`` (:mod:`dpa_kit.written`);
    ``keep_record`` False leaves the recording of the files to the caller (a batch, once for all workers).
    ``target_file`` names the file to write when there is one format (``out_dir`` is then ignored).
    """
    from dpa_kit import written
    from dpa_kit.checks import verdict

    judged = verdict(convention)
    if isinstance(convention, LoadedConvention):
        convention = convention.convention
    if not judged.ready and not draft:
        raise NotReady(convention.id, judged.reasons())
    if target_file is not None:
        if len(formats) != 1:
            raise UsageError("un nom de fichier ne convient qu'à un seul format ; pour plusieurs, donnez un dossier")
        out_dir, targets = target_file.parent, [target_file]
    else:
        targets = [out_dir / annex_name(convention.id, fmt) for fmt in formats]
    written.guard([*targets, *_security_targets(convention, formats, out_dir)], force=force)
    rendered = render(convention, draft=draft, templates=templates, not_ready=not judged.ready)
    out_dir.mkdir(parents=True, exist_ok=True)
    for fmt, target in zip(formats, targets, strict=True):
        atomic_write(target, write_rendered(fmt, rendered, templates))
    from dpa_kit.security import write_security_annex  # option 2 only: the « annexe Sécurité et Confidentialité »

    files = [*targets, *write_security_annex(convention, formats, out_dir, draft=draft, templates=templates)]
    if keep_record:
        written.record(files)
    return files


def _security_targets(convention: Convention, formats: Sequence[str], out_dir: Path) -> list[Path]:
    """The files of the security annex an option-2 convention also gets (none for option 1)."""
    if convention.security.option != 2:
        return []
    from dpa_kit.security import security_annex_name

    return [out_dir / security_annex_name(convention.id, fmt) for fmt in formats]


@dataclass
class BuildItem:
    """The outcome for one convention file of a batch."""

    file: Path
    convention_id: str | None = None
    structure: str | None = None
    files: list[Path] = field(default_factory=list)
    error: str | None = None


@dataclass
class BuildReport:
    """What a batch build did."""

    items: list[BuildItem]
    index: Path | None = None

    @property
    def failed(self) -> list[BuildItem]:
        return [item for item in self.items if item.error]

    @property
    def succeeded(self) -> list[BuildItem]:
        return [item for item in self.items if not item.error]


def _render_job(
    loaded: LoadedConvention, formats: Sequence[str], out_dir: Path, draft: bool, templates: Path | None
) -> BuildItem:
    convention = loaded.convention
    item = BuildItem(loaded.path, convention.id, convention.processor.display_name)
    try:
        # the batch checked the targets before starting, and records them once at the end
        item.files = render_annex(
            loaded, formats, out_dir, draft=draft, templates=templates, force=True, keep_record=False
        )
    except DpaKitError as exc:
        item.error = str(exc)
    except Exception as exc:  # one document's failure never stops the batch nor loses the index
        item.error = (
            f"erreur interne lors de la production des documents ({type(exc).__name__}) ; les autres sont produits"
        )
    return item


def build_folder(
    folder: Path,
    out_dir: Path,
    formats: Sequence[str],
    *,
    draft: bool = False,
    jobs: int | None = None,
    templates: Path | None = None,
    progress: Callable[[BuildItem], None] | None = None,
    force: bool = False,
) -> BuildReport:
    """Render every convention of ``folder`` into ``out_dir``, on ``jobs`` processes.

    Nothing is written when a file to replace changed since dpa-kit wrote it (a DOCX annex edited by hand),
    unless ``force``: :class:`~dpa_kit.exceptions.WouldOverwrite` names those files.
    """
    from dpa_kit import written

    items: list[BuildItem] = []
    todo: list[LoadedConvention] = []
    for result in iter_folder(folder, required=True):
        if result.loaded is not None:
            todo.append(result.loaded)
        else:
            assert result.error is not None
            item = BuildItem(result.path, error=str(result.error))
            items.append(item)
            if progress:
                progress(item)
    targets = [out_dir / annex_name(loaded.convention.id, fmt) for loaded in todo for fmt in formats]
    targets += [path for loaded in todo for path in _security_targets(loaded.convention, formats, out_dir)]
    written.guard([*targets, out_dir / "index.html"], force=force)
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = max(1, jobs or os.cpu_count() or 1)
    if jobs == 1 or len(todo) < 2:
        for loaded in todo:
            item = _render_job(loaded, formats, out_dir, draft, templates)
            items.append(item)
            if progress:
                progress(item)
    else:
        # "spawn": forking a process that already runs threads (typst, a test runner) can deadlock.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=context) as pool:
            futures = [pool.submit(_render_job, loaded, formats, out_dir, draft, templates) for loaded in todo]
            for future in as_completed(futures):
                item = future.result()
                items.append(item)
                if progress:
                    progress(item)
    items.sort(key=lambda i: i.file.name)
    report = BuildReport(items)
    report.index = write_index(report, out_dir)
    written.record([*(path for item in report.succeeded for path in item.files), report.index])
    return report


def _link_label(path: Path) -> str:
    from dpa_kit.security import ANNEX_NAME_PART

    label = path.suffix[1:].upper()
    return f"{label} (sécurité)" if f".{ANNEX_NAME_PART}." in path.name else label


def write_index(report: BuildReport, out_dir: Path) -> Path:
    """An ``index.html`` linking every annex of the batch, and listing the failures."""
    rows = []
    for item in report.items:
        if item.error:
            continue
        links = " ".join(f'<a href="{html.escape(p.name)}">{html.escape(_link_label(p))}</a>' for p in item.files)
        rows.append(
            f"<tr><td>{html.escape(item.convention_id or '')}</td>"
            f"<td>{html.escape(item.structure or '')}</td><td>{links}</td></tr>"
        )
    failures = "".join(
        f"<li><strong>{html.escape(item.file.name)}</strong> : {html.escape(item.error or '')}</li>"
        for item in report.failed
    )
    page = (
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
        "<title>Annexes 1 - protection des données</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.3em .6em}li{white-space:pre-wrap}</style></head><body>"
        f"<h1>Annexes 1 ({len(report.succeeded)} produite(s), {len(report.failed)} en échec)</h1>"
        "<table><thead><tr><th>Convention</th><th>Structure</th><th>Documents</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
        + (f"<h2>Non produites</h2><ul>{failures}</ul>" if failures else "")
        + "</body></html>\n"
    )
    index = out_dir / "index.html"
    atomic_write(index, page.encode("utf-8"))
    return index
