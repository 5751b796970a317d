"""The ``dpa-kit`` command line: parses options, calls one library function, prints in French.

The group catches :class:`~dpa_kit.exceptions.DpaKitError` once and turns it into one French message on
stderr and a documented exit code (0 fine, 1 problems found or overdue, 2 bad usage or input,
3 internal error with a crash report). No Python traceback reaches the user.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

import dpa_kit
from dpa_kit.exceptions import ConventionError, DpaKitError, UsageError

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

_CLICK_FR = {
    "No such option": "option inconnue",
    "No such command": "commande inconnue",
    "Missing argument": "argument manquant",
    "Missing option": "option manquante",
    "Invalid value for": "valeur invalide pour",
    "Got unexpected extra argument": "argument en trop",
    "Got unexpected extra arguments": "arguments en trop",
    "requires an argument": "attend une valeur",
    "does not exist": "n'existe pas",
    "is not one of": "ne fait pas partie de",
    "is not a valid integer": "n'est pas un nombre entier",
    "Did you mean": "Vouliez-vous dire",
}


def _fr(message: str) -> str:
    for english, french in _CLICK_FR.items():
        message = message.replace(english, french)
    return message


def interactive() -> bool:
    """True when a person types the answers (questions may be asked), False for scripts and pipes."""
    return sys.stdin.isatty()


def echo_err(message: str) -> None:
    click.echo(message, err=True)


def _crash_report(exc: BaseException) -> Path:
    """Write where the error happened to a private (0600) file and return its path.

    Only the exception types and the code locations are written: no message (it may quote a value from a
    file), no local variables, no environment, so no personal data and no secret can leak into it.
    """
    fd, name = tempfile.mkstemp(prefix="dpa-kit-crash-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"dpa-kit {dpa_kit.__version__}\n")
        current: BaseException | None = exc
        while current is not None:
            handle.write(f"{type(current).__module__}.{type(current).__qualname__}\n")
            handle.write("".join(traceback.format_tb(current.__traceback__)))
            current = current.__cause__ or current.__context__
    return Path(name)


class FrenchFormatter(click.HelpFormatter):
    """Click's help layout with its few English words in French."""

    _WORDS = {
        "Show this message and exit.": "Affiche cette aide et quitte.",
        "Show the version and exit.": "Affiche la version et quitte.",
        "[default: ": "[par défaut : ",
        "[required]": "[obligatoire]",
    }

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix="Utilisation : " if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        super().write_heading({"Commands": "Commandes"}.get(heading, heading))

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        def fr(text: str) -> str:
            for english, french in self._WORDS.items():
                text = text.replace(english, french)
            return text

        super().write_dl([(term, fr(text)) for term, text in rows], col_max, col_spacing)


class FrenchContext(click.Context):
    formatter_class = FrenchFormatter


class DpaCommand(click.Command):
    context_class = FrenchContext


class DpaGroup(click.Group):
    """A click group that maps every error to a French message and an exit code."""

    context_class = FrenchContext
    command_class = DpaCommand
    group_class = type  # sub-groups are DpaGroups too

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            echo_err("Interrompu.")
            sys.exit(EXIT_USAGE)
        except click.ClickException as exc:
            hint = ""
            if isinstance(exc, click.UsageError) and exc.ctx is not None:
                hint = f"\nAide : {exc.ctx.command_path} --help"
            echo_err(f"Erreur : {_fr(exc.format_message())}{hint}")
            sys.exit(EXIT_USAGE)
        except ConventionError as exc:
            echo_err("Erreur dans les fichiers de convention :")
            for problem in exc.problems:
                echo_err(f"  - {problem}")
            echo_err("Corrigez ces points puis relancez la commande.")
            sys.exit(exc.exit_code)
        except DpaKitError as exc:
            echo_err(f"Erreur : {exc}")
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            echo_err("Interrompu.")
            sys.exit(130)
        except Exception as exc:  # noqa: BLE001 - last resort: never show a traceback
            report = _crash_report(exc)
            echo_err(
                "Erreur interne de dpa-kit (ce n'est pas de votre fait). "
                f"Un rapport technique a été écrit dans {report} ; transmettez-le à l'équipe dpa-kit."
            )
            sys.exit(EXIT_INTERNAL)
        code = result if isinstance(result, int) else EXIT_OK
        sys.exit(code)


@dataclass
class Settings:
    """Options shared by every command."""

    registers: Path
    ledger_path: Path | None

    @property
    def ledger(self) -> Path:
        return self.ledger_path or self.registers / "ledger.sqlite"


pass_settings = click.make_pass_decorator(Settings)


@click.group(cls=DpaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(None, "--version", "-V", package_name="dpa-kit", message="dpa-kit %(version)s")
@click.option(
    "--registers",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="DPA_KIT_REGISTERS",
    default="registers",
    show_default=True,
    help="Dossier des conventions (variable DPA_KIT_REGISTERS).",
)
@click.option(
    "--ledger",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="DPA_KIT_LEDGER",
    default=None,
    help="Journal SQLite (variable DPA_KIT_LEDGER ; par défaut ledger.sqlite dans le dossier des conventions).",
)
@click.pass_context
def cli(ctx: click.Context, registers: Path, ledger: Path | None) -> None:
    """dpa-kit : l'annexe 1 RGPD des conventions du Département, de la convention signée à
    l'attestation de destruction.

    \b
    Exemples :
      dpa-kit list registers
      dpa-kit check registers
      dpa-kit build registers -o annexes

    La variable DPA_KIT_NOW (instant ISO 8601) remplace l'horloge, pour les tests et les audits.
    """
    ctx.obj = Settings(registers=registers, ledger_path=ledger)


def _folder_arg(settings: Settings, folder: Path | None) -> Path:
    return folder if folder is not None else settings.registers


@cli.command("list")
@click.argument("folder", required=False, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Présentation : tableau lisible ou JSON.")
@pass_settings
def list_command(settings: Settings, folder: Path | None, fmt: str) -> int:
    """Liste les conventions d'un dossier (identifiant, structure, dispositif, période, options).

    \b
    Exemple :
      dpa-kit list registers --format json
    """
    from dpa_kit.listing import summarise

    rows = summarise(_folder_arg(settings, folder))
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
            table.add_row(row.id, row.structure or "—", row.dispositif or "—", row.period_fr, row.amount_fr, row.options)
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


@cli.command("schema")
def schema_command() -> None:
    """Affiche le schéma JSON du format de convention dpa-kit/1.

    Les éditeurs (VS Code avec l'extension YAML...) s'en servent pour valider et compléter les
    fichiers de convention.

    \b
    Exemple :
      dpa-kit schema > dpa-kit-1.schema.json
    """
    from dpa_kit.model import json_schema

    click.echo(json.dumps(json_schema(), ensure_ascii=False, indent=2))


@cli.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Présentation : texte lisible (couleurs sur un terminal) ou JSON.")
@click.option("--strict", is_flag=True, help="Les avertissements font aussi échouer la vérification (code 1).")
@click.option("--convention", "convention_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Pour un document (docx, odt, pdf, md) : la convention dont il doit reprendre les clauses.")
@pass_settings
def check_command(settings: Settings, paths: tuple[Path, ...], fmt: str, strict: bool,
                  convention_file: Path | None) -> int:
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
    from dpa_kit.doccheck import DOCUMENT_SUFFIXES, check_document
    from dpa_kit.loader import load_paths

    targets = list(paths) or [settings.registers]
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
            field = f" [{f.field}]" if f.field else ""
            click.echo(f"  {where:>9}  {head}{field} : {f.message}")
            if f.waived:
                click.echo(click.style(f"             levée : {f.waived}", fg="green"))
    counts = report.counts()
    waived = sum(1 for f in report.findings if f.waived)
    summary = (f"{len(report.checked)} fichier(s) vérifié(s) : {counts['error']} erreur(s), "
               f"{counts['warning']} avertissement(s), {counts['info']} information(s)")
    if waived:
        summary += f", {waived} levée(s) justifiée(s)"
    if unreadable:
        summary += f" ; {unreadable} problème(s) de lecture (code L001) : corrigez ces fichiers d'abord"
    click.echo(summary + ".")


@cli.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
              help="Présentation : texte, tableau Markdown (celui du README) ou JSON.")
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
        click.echo(json.dumps([dict(zip(("code", "severity", "title", "explanation"), r)) for r in rows],
                              ensure_ascii=False, indent=2))
        return
    for code, severity, title, explanation in rows:
        click.echo(f"{code}  {severity:<8} {title}")
        click.echo(f"      {explanation}")


_FORMAT_HELP = "Formats séparés par des virgules : md, html, docx, odt, pdf, ou all."
_TEMPLATES_HELP = "Dossier de modèles Jinja2 qui remplacent ceux de dpa-kit (même nom de fichier)."


@cli.command("annex")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "formats", default="pdf", show_default=True, help=_FORMAT_HELP)
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Dossier où écrire l'annexe.")
@click.option("--draft", is_flag=True, help="Produire un PROJET même si des réponses manquent (blancs surlignés).")
@click.option("--templates", type=click.Path(file_okay=False, exists=True, path_type=Path), help=_TEMPLATES_HELP)
def annex_command(file: Path, formats: str, out_dir: Path, draft: bool, templates: Path | None) -> None:
    """Produit l'annexe 1 remplie d'une convention.

    Refuse une convention incomplète en listant ce qui manque, sauf avec --draft.

    \b
    Exemple :
      dpa-kit annex registers/2026-FSL-ADIL-NUMERO-VERT.yaml --format pdf,docx -o annexes
    """
    from dpa_kit.build import parse_formats, render_annex
    from dpa_kit.loader import load_convention

    chosen = parse_formats(formats)
    convention = load_convention(file).convention
    for path in render_annex(convention, chosen, out_dir, draft=draft, templates=templates):
        click.echo(f"Écrit : {path}")


@cli.command("build")
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("annexes"), show_default=True, help="Dossier où écrire les annexes et index.html.")
@click.option("--format", "formats", default="all", show_default=True, help=_FORMAT_HELP)
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None,
              help="Nombre de processus (par défaut : un par cœur).")
@click.option("--draft", is_flag=True, help="Produire des PROJETS pour les conventions incomplètes.")
@click.option("--templates", type=click.Path(file_okay=False, exists=True, path_type=Path), help=_TEMPLATES_HELP)
@pass_settings
def build_command(settings: Settings, folder: Path | None, out_dir: Path, formats: str, jobs: int | None,
                  draft: bool, templates: Path | None) -> int:
    """Produit l'annexe 1 de toutes les conventions d'un dossier, et un index.html.

    Les conventions impossibles à produire sont signalées ; les autres sont produites quand même
    (code de sortie 1 s'il y a des échecs).

    \b
    Exemple :
      dpa-kit build registers -o annexes --format pdf,odt -j 2
    """
    from rich.progress import Progress

    from dpa_kit.build import build_folder, parse_formats

    chosen = parse_formats(formats)
    source = _folder_arg(settings, folder)
    with Progress(transient=True, disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task("Annexes", total=None)
        report = build_folder(source, out_dir, chosen, draft=draft, jobs=jobs, templates=templates,
                              progress=lambda item: progress.advance(task))
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


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="dpa-kit")
from dpa_kit import cli_breach as _cli_breach  # noqa: E402,F401  (registers the ledger and breach commands)
from dpa_kit import cli_exchange as _cli_exchange  # noqa: E402,F401  (registers the exchange commands)
from dpa_kit import cli_attest as _cli_attest  # noqa: E402,F401  (registers the attest and status commands)
from dpa_kit import cli_register as _cli_register  # noqa: E402,F401  (registers the register commands)
from dpa_kit.cli_web import remind as _remind, serve as _serve, users as _users  # noqa: E402  (web app, accounts)
for _command in (_serve, _users, _remind):
    cli.add_command(_command)
