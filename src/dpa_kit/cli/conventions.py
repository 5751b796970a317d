"""Commands on convention files: list, schema, check, rules, annex, build."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from dpa_kit.cli import common
from dpa_kit.cli.common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    FORCE_HELP,
    Settings,
    echo_err,
    folder_arg,
    pass_settings,
)
from dpa_kit.exceptions import UsageError


@click.command("list")
@click.argument("folder", required=False, metavar="[DOSSIER]", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=common.TABLE_OR_JSON,
    default="tableau",
    show_default=True,
    help="Présentation : tableau lisible ou JSON.",
)
@pass_settings
def list_command(settings: Settings, folder: Path | None, fmt: str) -> int:
    """Liste les conventions d'un dossier (identifiant, structure, dispositif, période, options).

    \b
    Exemple :
      dpa-kit list registers --format json
    """
    from dpa_kit.listing import summarise

    rows = summarise(folder_arg(settings, folder))
    if fmt == "json":
        click.echo(json.dumps([row.as_json() for row in rows], ensure_ascii=False, indent=2))
    else:
        _print_table(rows)
    return EXIT_USAGE if any(row.error for row in rows) else EXIT_OK


def _print_table(rows: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(rows)} convention(s)", show_lines=False)
    table.add_column("Identifiant", no_wrap=True)
    table.add_column("Structure")
    table.add_column("Disp.", no_wrap=True)
    table.add_column("Période", no_wrap=True)
    table.add_column("Montant", no_wrap=True, justify="right")
    table.add_column("Sous-trait. / sécu. / sort")
    for row in rows:
        if row.error:
            table.add_row(row.file, "[red]fichier invalide[/red]", "", "", "", "")
        else:
            table.add_row(
                row.id, row.structure or "—", row.dispositif or "—", row.period_fr, row.amount_fr, row.options
            )
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    console.print(table)
    bad = [row for row in rows if row.error]
    if bad:
        echo_err(f"{len(bad)} fichier(s) invalide(s), non listé(s) ci-dessus :")
        for row in bad:
            for problem in row.error or []:
                echo_err(f"  - {problem}")
        echo_err("Corrigez ces points puis relancez la commande.")


@click.command("schema")
@click.option(
    "--breach", is_flag=True, help="Le schéma de la pièce jointe des notifications de violation (dpa-kit-breach/1)."
)
def schema_command(breach: bool) -> None:
    """Affiche le schéma JSON du format de convention dpa-kit/1.

    Les éditeurs (VS Code avec l'extension YAML...) s'en servent pour valider et compléter les
    fichiers de convention. Avec --breach : le schéma de la copie lisible par machine jointe à chaque
    notification de violation, que le Département importe avec « dpa-kit breach receive --eml ».

    \b
    Exemples :
      dpa-kit schema > dpa-kit-1.schema.json
      dpa-kit schema --breach > dpa-kit-breach-1.schema.json
    """
    if breach:
        from dpa_kit.breach_notice import notice_schema

        click.echo(json.dumps(notice_schema(), ensure_ascii=False, indent=2))
        return
    from dpa_kit.model import json_schema

    click.echo(json.dumps(json_schema(), ensure_ascii=False, indent=2))


@click.command("check")
@click.argument("paths", nargs=-1, metavar="[CHEMINS]...", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=common.TEXT_OR_JSON,
    default="texte",
    show_default=True,
    help="Présentation : texte lisible (couleurs sur un terminal) ou JSON.",
)
@click.option("--strict", is_flag=True, help="Les avertissements font aussi échouer la vérification (code 1).")
@click.option(
    "--convention",
    "convention_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Pour un document (docx, odt, pdf, md) : la convention dont il doit reprendre les clauses.",
)
@pass_settings
def check_command(
    settings: Settings, paths: tuple[Path, ...], fmt: str, strict: bool, convention_file: Path | None
) -> int:
    """Vérifie des conventions (fichiers ou dossiers) ou des annexes avant signature.

    Trouve les réponses manquantes, les blancs du modèle, les contradictions et les risques.
    Code de sortie : 0 sans erreur, 1 si des erreurs (ou des avertissements avec --strict),
    2 si un fichier est illisible.

    \b
    Exemples :
      dpa-kit check registers
      dpa-kit check annexes/2026-FSL-ADIL-NUMERO-VERT.annexe1.docx --convention registers/2026-FSL-ADIL-NUMERO-VERT.yaml
    """
    from dpa_kit.checks import Report, check_conventions, findings_from_problems
    from dpa_kit.loader import load_paths

    targets = list(paths) or [settings.registers]
    documents: list[Path] = []
    if any(p.suffix.lower() not in {"", ".yaml", ".yml"} for p in targets):  # the document checks only if needed
        from dpa_kit.doccheck import DOCUMENT_SUFFIXES

        documents = [p for p in targets if p.suffix.lower() in DOCUMENT_SUFFIXES]
    conventions = [p for p in targets if p not in documents]
    for path in conventions:
        if not path.exists():
            raise UsageError(f"{path} : fichier ou dossier introuvable")
    if convention_file is not None and not documents:
        raise UsageError("--convention s'utilise avec un document à vérifier (docx, odt, pdf ou md)")
    loaded, problems = load_paths(conventions)
    report = check_conventions(loaded)
    for document in documents:
        from dpa_kit.doccheck import check_document

        other = check_document(document, convention_file)
        report = Report(report.findings + other.findings, report.checked + other.checked)
    load_findings = findings_from_problems(problems)
    all_findings = load_findings + report.findings
    if fmt == "json":
        click.echo(json.dumps([f.as_json() for f in all_findings], ensure_ascii=False, indent=2))
    else:
        _print_findings(all_findings, report, len(problems))
    if problems:
        return EXIT_USAGE
    return EXIT_PROBLEMS if report.failed(strict) else EXIT_OK


def _print_findings(findings: list[Any], report: Any, unreadable: int) -> None:
    from dpa_kit.labels import located

    colours = {"error": "red", "warning": "yellow", "info": "cyan"}
    by_file: dict[str, list[Any]] = {}
    for finding in findings:
        by_file.setdefault(finding.file or "(dossier)", []).append(finding)
    for file, items in by_file.items():
        click.secho(file, bold=True)
        for f in items:
            where = f"ligne {f.line}" if f.line else "—"
            label = {"error": "erreur", "warning": "avertissement", "info": "info"}[f.severity.value]
            head = click.style(f"{label} {f.code}", fg=colours[f.severity.value])
            field = f" {located(f.field)}" if f.field else ""
            click.echo(f"  {where:>9}  {head}{field} : {f.message}")
            if f.waived:
                click.echo(click.style(f"             levée : {f.waived}", fg="green"))
    counts = report.counts()
    waived = sum(1 for f in report.findings if f.waived)
    summary = (
        f"{len(report.checked)} fichier(s) vérifié(s) : {counts['error']} erreur(s), "
        f"{counts['warning']} avertissement(s), {counts['info']} information(s)"
    )
    if waived:
        summary += f", {waived} levée(s) justifiée(s)"
    if unreadable:
        summary += f" ; {unreadable} problème(s) de lecture (code L001) : corrigez ces fichiers d'abord"
    click.echo(summary + ".")


@click.command("rules")
@click.option(
    "--format",
    "fmt",
    type=common.TEXT_MARKDOWN_OR_JSON,
    default="texte",
    show_default=True,
    help="Présentation : texte, tableau Markdown (celui du README) ou JSON.",
)
def rules_command(fmt: str) -> None:
    """Liste les règles de vérification, avec leur code et leur explication.

    \b
    Exemple :
      dpa-kit rules --format markdown
    """
    from dpa_kit.checks import all_rules, rule_table_markdown
    from dpa_kit.doccheck import DOCUMENT_RULES

    if fmt == "markdown":
        table = rule_table_markdown()
        extra = "\n".join(f"| {c} | {s} | {t} | {e} |" for c, s, t, e in DOCUMENT_RULES)
        click.echo(table + "\n" + extra)
        return
    rows = [(r.code, r.severity.value, r.title, r.explanation) for r in all_rules()] + list(DOCUMENT_RULES)
    rows.sort()
    if fmt == "json":
        click.echo(
            json.dumps(
                [dict(zip(("code", "severity", "title", "explanation"), r, strict=True)) for r in rows],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for code, severity, title, explanation in rows:
        click.echo(f"{code}  {severity:<8} {title}")
        click.echo(f"      {explanation}")


_FORMAT_HELP = "Formats séparés par des virgules : md, html, docx, odt, pdf, ou all."
_TEMPLATES_HELP = "Dossier de modèles Jinja2 qui remplacent ceux de dpa-kit (même nom de fichier)."


@click.command("annex")
@click.argument("file", metavar="FICHIER", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "formats", default="pdf", show_default=True, help=_FORMAT_HELP)
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("."),
    show_default=True,
    help="Dossier où écrire l'annexe ; avec un seul format, un nom de fichier (annexe.pdf) convient aussi.",
)
@click.option("--draft", is_flag=True, help="Produire un PROJET même si des réponses manquent (blancs surlignés).")
@click.option("--templates", type=click.Path(file_okay=False, exists=True, path_type=Path), help=_TEMPLATES_HELP)
@click.option("--force", is_flag=True, help=FORCE_HELP)
def annex_command(file: Path, formats: str, out_dir: Path, draft: bool, templates: Path | None, force: bool) -> None:
    """Produit l'annexe 1 remplie d'une convention.

    Refuse une convention qui n'est pas prête à signer (le verdict de « dpa-kit check ») en listant ce qui
    l'empêche ; avec --draft, produit un PROJET.

    \b
    Exemple :
      dpa-kit annex registers/2026-FSL-ADIL-NUMERO-VERT.yaml --format pdf,docx -o annexes
    """
    from dpa_kit.documents.build import parse_formats, render_annex
    from dpa_kit.documents.writers import FORMATS
    from dpa_kit.loader import load_convention

    chosen = parse_formats(formats)
    target_file = None
    suffix = out_dir.suffix.lower().lstrip(".")
    if suffix in FORMATS and not out_dir.is_dir():
        if chosen != [suffix]:
            raise UsageError(
                f"-o {out_dir} : l'extension .{suffix} ne correspond pas au format demandé "
                f"({', '.join(chosen)}) ; choisissez --format {suffix} ou un dossier"
            )
        target_file = out_dir
    loaded = load_convention(file)
    for path in render_annex(
        loaded, chosen, out_dir, draft=draft, templates=templates, force=force, target_file=target_file
    ):
        click.echo(f"Écrit : {path}")


@click.command("build")
@click.argument("folder", required=False, metavar="[DOSSIER]", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("annexes"),
    show_default=True,
    help="Dossier où écrire les annexes et index.html.",
)
@click.option("--format", "formats", default="all", show_default=True, help=_FORMAT_HELP)
@click.option(
    "-j", "--jobs", type=click.IntRange(1, 64), default=None, help="Nombre de processus (par défaut : un par cœur)."
)
@click.option("--draft", is_flag=True, help="Produire des PROJETS pour les conventions incomplètes.")
@click.option("--templates", type=click.Path(file_okay=False, exists=True, path_type=Path), help=_TEMPLATES_HELP)
@click.option("--force", is_flag=True, help=FORCE_HELP)
@pass_settings
def build_command(
    settings: Settings,
    folder: Path | None,
    out_dir: Path,
    formats: str,
    jobs: int | None,
    draft: bool,
    templates: Path | None,
    force: bool,
) -> int:
    """Produit l'annexe 1 de toutes les conventions d'un dossier, et un index.html.

    Les conventions impossibles à produire sont signalées ; les autres sont produites quand même
    (code de sortie 1 s'il y a des échecs).

    \b
    Exemple :
      dpa-kit build registers -o annexes --format pdf,odt -j 2
    """
    from rich.progress import Progress

    from dpa_kit.documents.build import build_folder, parse_formats

    chosen = parse_formats(formats)
    source = folder_arg(settings, folder)
    with Progress(transient=True, disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task("Annexes", total=None)
        report = build_folder(
            source,
            out_dir,
            chosen,
            draft=draft,
            jobs=jobs,
            templates=templates,
            progress=lambda item: progress.advance(task),
            force=force,
        )
    click.echo(f"{len(report.succeeded)} annexe(s) produite(s) dans {out_dir} ({', '.join(chosen)}).")
    click.echo(f"Index : {report.index}")
    if report.failed:
        echo_err(f"{len(report.failed)} convention(s) non produite(s) :")
        for item in report.failed:
            echo_err(f"- {item.file.name} :")
            for line in (item.error or "").splitlines():
                echo_err(f"    {line.strip()}")
        return EXIT_PROBLEMS
    return EXIT_OK


COMMANDS = (list_command, schema_command, check_command, rules_command, annex_command, build_command)
