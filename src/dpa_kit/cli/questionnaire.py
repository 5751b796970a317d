"""Asking the breach questionnaire in a terminal: the CLI's driver of :mod:`dpa_kit.breach_questions`.

Each question shows its numbered choices, its help and the proposed answer; a wrong answer is asked
again with the reason; every accepted answer is handed to ``save`` at once (the draft in the ledger),
so Ctrl-C loses nothing. The deadline and the time left are shown from the first answer on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import click

from dpa_kit import breach_questions as bq
from dpa_kit import breach_steps as steps
from dpa_kit import frenchtime
from dpa_kit.words import DELAY_REASON_PLACEHOLDER


class Interrupted(Exception):
    """Raised when the person stops the questionnaire (Ctrl-C, end of input): the draft is kept."""


def _deadline_line(answers: dict[str, Any], context: bq.Context) -> str | None:
    due = bq.deadline(answers, context)
    if due is None:
        return None
    return (
        f"Échéance de notification au Département : {frenchtime.french_instant(due)} (heure de Paris), "
        f"{frenchtime.until(due, context.now)}"
    )


def _show(question: bq.Question, where: steps.Progress, context: bq.Context) -> None:
    label, help_text = bq.worded(question, context)
    click.echo("")
    click.secho(f"{where.text} : {label}", bold=True)
    for index, choice in enumerate(question.choices, start=1):
        click.echo(f"  {index}. {choice.label}")
    if help_text:
        click.echo(f"  {help_text}")
    if question.default_text:
        click.echo(f"  Entrée = {question.default_text}")
    if question.allow_not_yet:
        click.echo(f"  Si vous ne savez pas : « {bq.NOT_YET} ».")


def _read(prompt: str = "Réponse") -> str:
    try:
        return str(click.prompt(prompt, default="", show_default=False, prompt_suffix=" > "))
    except (click.Abort, EOFError, KeyboardInterrupt) as exc:
        raise Interrupted from exc


def _echo_back(question: bq.Question, value: Any) -> str | None:
    """What an answer was understood as, when it is worth checking (instants, said in full French)."""
    if question.kind == "instant" and isinstance(value, str):
        return frenchtime.french_instant(datetime.fromisoformat(value)) + " (heure de Paris)"
    return None


def ask(answers: dict[str, Any], context: bq.Context, save: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Ask every open question until the questionnaire is done; ``save`` after each accepted answer."""
    while (question := bq.next_question(answers, context)) is not None:
        line = _deadline_line(answers, context)
        if line and question.key != "convention":
            click.echo(line)
        _show(question, steps.progress(question.key, answers), context)
        while True:
            text = _read()
            try:
                value = bq.validate(question, text, answers=answers, context=context)
            except bq.AnswerError as exc:
                click.secho(f"  Réponse non retenue : {exc}. Réessayez.", fg="red", err=True)
                continue
            shown = _echo_back(question, value)
            if shown is not None:
                click.echo(f"  Compris : {shown}.")
                check = _read("Est-ce exact ? (Entrée = oui, n = non)").strip().lower()
                if check in {"n", "non", "no"}:
                    continue
            break
        answers[question.key] = value
        save(answers)
        if question.key in {"aware_at", "convention"}:
            line = _deadline_line(answers, context)
            if line:
                click.secho(line, bold=True)
    return answers


def review(answers: dict[str, Any], context: bq.Context, save: Callable[[dict[str, Any]], None]) -> bool:
    """Show every answer; True when the person confirms, False to keep the draft; a number re-asks one answer."""
    while True:
        declaration = bq.to_declaration(answers, context)
        click.echo("")
        click.secho("Récapitulatif de la déclaration", bold=True)
        keys = [q.key for q in bq.QUESTIONS if q.key in answers]
        for index, key in enumerate(keys, start=1):
            label = bq.worded(bq.QUESTIONS_BY_KEY[key], context)[0]
            click.echo(f"  {index:2d}. {label} {bq.answer_text(key, answers[key], context)}")
        line = _deadline_line(answers, context)
        if line:
            click.secho(line, bold=True)
        if declaration.pending:
            click.echo(f"À compléter plus tard (notification complémentaire) : {len(declaration.pending)} élément(s).")
        choice = (
            _read(
                "Enregistrer la déclaration ? (o = oui ; n = non, le brouillon est gardé ; "
                "un numéro = corriger cette réponse)"
            )
            .strip()
            .lower()
        )
        if choice in {"o", "oui", "y", "yes"}:
            return True
        if choice in {"n", "non", "no"}:
            return False
        if choice.isascii() and choice.isdigit() and len(choice) <= 3 and 1 <= int(choice) <= len(keys):
            del answers[keys[int(choice) - 1]]
            save(answers)
            ask(answers, context, save)
            continue
        click.secho("  Réponse non retenue : tapez o, n ou un numéro de la liste.", fg="red", err=True)


# --- the flows of `breach declare` and `breach receive --eml` in a terminal --------------------------------


def answers_from_options(
    options: dict[str, Any], convention_id: str | None, aware_at: datetime | None, context: bq.Context
) -> dict[str, Any]:
    """Answers already given as options (they are not asked again); each is checked like a typed one."""
    answers: dict[str, Any] = {}
    if aware_at is not None:
        answers["aware_at"] = aware_at.isoformat()
    if convention_id:
        answers["convention"] = bq.validate(
            bq.question("convention", answers, context), convention_id, answers=answers, context=context
        )
    if options.get("ongoing"):
        answers["over"] = "ongoing"
    elif options.get("ended_at"):
        answers["over"] = "over"
    texts = {
        "started_at": options.get("started_at"),
        "ended_at": options.get("ended_at"),
        "natures": ",".join(options.get("natures") or ()) or None,
        "description": options.get("description"),
        "discovery": options.get("discovery"),
        "cause": options.get("cause"),
        "data_categories": options.get("data_categories"),
        "people_categories": options.get("people_categories"),
        "consequences": options.get("consequences"),
        "measures_before": options.get("measures_before"),
        "measures": options.get("measures"),
        "contact": options.get("contact"),
        "people": None if options.get("people") is None else str(options["people"]),
        "records": None if options.get("records") is None else str(options["records"]),
    }
    if options.get("vulnerable"):
        answers["vulnerable"] = ["vulnerable"]
    for key, text in texts.items():
        if text:
            question = bq.question(key, answers, context)
            try:
                answers[key] = bq.validate(question, text, answers=answers, context=context)
            except bq.AnswerError as exc:
                raise bq.AnswerError(f"{question.label} {exc}") from exc
    return answers


def next_step(breach_id: str, deadline: datetime, now: datetime) -> str:
    """The command to run next, runnable exactly as shown (with the delay reason once the deadline is past)."""
    command = f"dpa-kit breach notify {breach_id} --eml notification.eml"
    if now > deadline:
        command += f' --delay-reason "{DELAY_REASON_PLACEHOLDER}"'
    return command


def print_declared(breach: Any, address: str | None, now: datetime) -> None:
    """What a structure needs once the breach is recorded: its reference, the deadline, what is missing, what next."""
    from dpa_kit.breach_notice import normalise_details

    click.echo(f"Violation enregistrée : {breach.id}")
    click.secho(
        f"À notifier au Département avant le {frenchtime.french_instant(breach.notify_deadline)} (heure de Paris) "
        f"({frenchtime.until(breach.notify_deadline, now)}).",
        bold=True,
    )
    click.echo(f"Adresse : {address or 'non renseignée dans la convention'}")
    pending = normalise_details(breach.details).get("pending") or []
    if pending:
        labels = " ; ".join(bq.ITEM_LABELS.get(key, key) for key in pending)
        click.echo(f"À compléter dès que vous le saurez (notification complémentaire, art. 33(4) RGPD) : {labels}")
    if now > breach.notify_deadline:
        click.echo("L'échéance est dépassée : écrivez les vrais motifs du retard dans --delay-reason.")
    click.echo(f"Étape suivante : {next_step(breach.id, breach.notify_deadline, now)}")
    if pending:
        click.echo(f"Puis, dès que vous en saurez plus : dpa-kit breach complete {breach.id}")


def print_items(details: dict[str, Any]) -> None:
    """Every item of a notification, one per line (« je ne sais pas encore » said as such)."""
    from dpa_kit.breach_notice import normalise_details

    for label, value in bq.items(normalise_details(details)):
        click.echo(f"  - {label} : {value}")
