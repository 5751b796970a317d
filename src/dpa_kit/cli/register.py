"""Commands of processing registers (``dpa-kit register ...``)."""

from __future__ import annotations

from pathlib import Path

import click

from dpa_kit.cli.common import EXIT_OK, EXIT_PROBLEMS, FORCE_HELP, CommandGroup, Settings, echo_err, pass_settings


@click.group("register", cls=CommandGroup)
def register_group() -> None:
    """Registre des traitements de la structure (article 30.2 du RGPD).

    \b
    Exemple :
      dpa-kit register init --siret 26620011900011 registers -o registre.yaml
    """


@register_group.command("init")
@click.argument("folder", required=False, metavar="[DOSSIER]", type=click.Path(file_okay=False, path_type=Path))
@click.option("--siret", required=True, help="SIRET de la structure.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Registre YAML à écrire."
)
@click.option("--force", is_flag=True, help=FORCE_HELP)
@pass_settings
def register_init(settings: Settings, folder: Path | None, siret: str, output: Path, force: bool) -> None:
    """Pré-remplit le registre d'une structure à partir de ses conventions.

    \b
    Exemple :
      dpa-kit register init --siret 26620011900011 registers -o ccas-bethune.registre.yaml
    """
    from dpa_kit import written
    from dpa_kit.register import check_register, dump, init_register

    written.guard([output], force=force)
    register = init_register(folder or settings.registers, siret)
    written.write_file(output, dump(register).encode("utf-8"), force=force)
    todo = check_register(register)
    click.echo(f"Registre pré-rempli : {output} ({len(register.categories())} traitement(s)).")
    click.echo(f"{len(todo)} champ(s) à compléter par la structure : dpa-kit register check {output}")


@register_group.command("export")
@click.argument("file", metavar="FICHIER", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["xlsx", "ods", "csv", "html", "md", "pdf"]), default="xlsx", show_default=True
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Fichier à écrire.")
@click.option("--force", is_flag=True, help=FORCE_HELP)
def register_export(file: Path, fmt: str, output: Path | None, force: bool) -> None:
    """Exporte le registre : tableur à compléter (xlsx, ods), CSV, ou version imprimable (html, md, pdf).

    \b
    Exemple :
      dpa-kit register export ccas-bethune.registre.yaml --format xlsx -o registre.xlsx
    """
    from dpa_kit import written
    from dpa_kit.register import load_register
    from dpa_kit.register_sheet import export

    register = load_register(file)
    target = output or file.with_suffix(f".{fmt}")
    written.write_file(target, export(register, fmt), force=force)
    click.echo(f"Registre exporté : {target}")


@register_group.command("import")
@click.argument("file", metavar="FICHIER", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Registre YAML à écrire."
)
@click.option("--force", is_flag=True, help=FORCE_HELP)
def register_import(file: Path, output: Path, force: bool) -> None:
    """Relit le tableur complété par la structure et écrit le registre YAML.

    \b
    Exemple :
      dpa-kit register import registre.xlsx -o ccas-bethune.registre.yaml
    """
    from dpa_kit import written
    from dpa_kit.register import dump
    from dpa_kit.register_sheet import import_sheets

    written.guard([output], force=force)
    register = import_sheets(file)
    written.write_file(output, dump(register).encode("utf-8"), force=force)
    click.echo(f"Registre relu : {output} ({len(register.categories())} traitement(s)).")


@register_group.command("check")
@click.argument("file", metavar="FICHIER", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--conventions",
    "folder",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Dossier des conventions à comparer (par défaut : --registers).",
)
@pass_settings
def register_check(settings: Settings, file: Path, folder: Path | None) -> int:
    """Vérifie le registre : éléments de l'article 30.2 manquants, accord avec les conventions.

    \b
    Exemple :
      dpa-kit register check ccas-bethune.registre.yaml --conventions registers
    """
    from dpa_kit.labels import REGISTER_LABELS, located
    from dpa_kit.register import check_register, load_register

    register = load_register(file)
    source = folder or (settings.registers if settings.registers.is_dir() else None)
    problems = check_register(register, source)
    if not problems:
        click.echo(f"{file} : registre complet et cohérent avec les conventions.")
        return EXIT_OK
    click.echo(f"{file} : {len(problems)} point(s) à traiter :")
    for problem in problems:
        click.echo(f"  - {located(problem.field, REGISTER_LABELS)} : {problem.message}")
    return EXIT_PROBLEMS


@register_group.command("consolidate")
@click.argument("paths", nargs=-1, required=True, metavar="CHEMINS...", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--format", "fmt", type=click.Choice(["xlsx", "ods", "csv", "html"]), default="xlsx", show_default=True)
@click.option("--force", is_flag=True, help=FORCE_HELP)
def register_consolidate(paths: tuple[Path, ...], output: Path, fmt: str, force: bool) -> int:
    """Côté Département : tous les registres des structures en une vue (qui traite quoi, données sensibles,
    sous-traitants, transferts hors UE).

    \b
    Exemple :
      dpa-kit register consolidate registres/ -o consolidation.xlsx
    """
    from dpa_kit import written
    from dpa_kit.fsutil import PRIVATE
    from dpa_kit.register import consolidated_rows, load_registers
    from dpa_kit.tables import table_bytes

    written.guard([output], force=force)
    registers, problems = load_registers(list(paths))
    for problem in problems:
        echo_err(f"  - {problem}")
    headers, rows = consolidated_rows(registers)
    written.write_file(
        output, table_bytes(fmt, "Registres consolidés", headers, rows), force=force, mode=PRIVATE
    )  # personal data: readable by its owner only, as tables.write_table
    click.echo(f"{len(registers)} registre(s), {len(rows)} traitement(s) : {output}")
    return EXIT_PROBLEMS if problems else EXIT_OK
