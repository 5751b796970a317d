"""``dpa-kit new``: the « Nouvelle convention » questionnaire in a terminal (:mod:`dpa_kit.questionnaire`)."""

from __future__ import annotations

from typing import Any

import click

from dpa_kit.cli.common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, Settings, echo_err, interactive, pass_settings

EXIT_INTERRUPTED = 130  # as for Ctrl-C anywhere else in dpa-kit


def _show(question: Any, number: int) -> None:
    click.echo("")
    click.secho(f"Question {number} : {question.label}", bold=True)
    for index, choice in enumerate(question.choices, start=1):
        click.echo(f"  {index}. {choice.label}")
        if choice.explanation:
            click.echo(f"     {choice.explanation}")
    if question.help:
        click.echo(f"  {question.help}")
    if question.default is not None:
        click.echo(f"  Entrée = {question.default}")
    elif not question.required:
        click.echo("  Entrée = sans réponse")


def _read() -> str:
    return str(click.prompt("Réponse", default="", show_default=False, prompt_suffix=" > "))


@click.command("new")
@pass_settings
def new_command(settings: Settings) -> int:
    """Créer une convention en répondant à des questions, sans écrire de YAML.

    Les parties du Département viennent de defaults.yaml ; le fichier est écrit dans le dossier des
    conventions, puis vérifié : prête à signer, ou ce qui manque encore.

    \b
    Exemple :
      dpa-kit --registers registres new
    """
    from dpa_kit import questionnaire as q
    from dpa_kit.checks import verdict
    from dpa_kit.exceptions import InvalidValue
    from dpa_kit.loader import convention_files, load_convention, load_defaults

    if not interactive():
        echo_err("dpa-kit new pose des questions : lancez-la dans un terminal.")
        return EXIT_USAGE
    folder = settings.registers
    defaults = load_defaults(folder) if folder.is_dir() else None
    click.secho("Nouvelle convention", bold=True)
    for line in q.parties(defaults) if defaults else []:
        click.echo(f"  {line}")
    context = q.Context(frozenset(path.stem for path in convention_files(folder)) if folder.is_dir() else frozenset())
    answers: dict[str, Any] = {}
    number = 0
    try:
        while (question := q.next_question(answers)) is not None:
            number += 1
            _show(question, number)
            while True:
                try:
                    answers[question.key] = q.validate(question, _read(), answers, context)
                    break
                except InvalidValue as exc:
                    click.secho(f"  Réponse refusée : {exc}. Recommencez.", fg="red")
    except (click.Abort, EOFError, KeyboardInterrupt):
        echo_err("\nInterrompu : aucune convention n'a été écrite.")
        return EXIT_INTERRUPTED
    path = q.write_convention(folder, answers, defaults)
    click.echo("")
    click.echo(f"Convention écrite : {path}")
    result = verdict(load_convention(path, defaults))
    if result.ready:
        click.secho("Prête à signer : aucune erreur bloquante.", fg="green")
        return EXIT_OK
    click.secho("Pas encore prête à signer ; il manque :", fg="yellow")
    for reason in result.reasons():
        click.echo(f"  - {reason}")
    return EXIT_PROBLEMS
