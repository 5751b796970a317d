"""Time: the clock (an edge may fix it, for tests and audits), Paris time, French dates.

Instants are stored in UTC and shown in Europe/Paris. A 24-hour delay is 24 hours of elapsed time,
so deadlines are computed on UTC instants and only converted for display.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from dpa_kit.exceptions import UsageError

__all__ = [
    "MONTHS_FR",
    "NBSP",
    "PARIS",
    "WEEKDAYS_FR",
    "fixed",
    "french_amount",
    "french_date",
    "french_instant",
    "french_wall",
    "now",
    "parse_instant",
    "today",
]

PARIS = ZoneInfo("Europe/Paris")
_FIXED: ContextVar[datetime | None] = ContextVar("dpa_kit_fixed_now", default=None)

MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
NBSP = "\u00a0"


def parse_instant(text: str, what: str = "instant") -> datetime:
    """Parse an ISO-8601 instant; a value without offset is read as Paris local time."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise UsageError(
            f"{what} « {text} » illisible : attendu une date et heure ISO 8601, "
            "par exemple 2026-03-28T10:00 ou 2026-03-28T10:00+01:00"
        ) from exc
    if not FIRST_YEAR <= value.year <= LAST_YEAR:  # also keeps deadlines (instant + hours) computable
        raise UsageError(f"{what} « {text.strip()[:40]} » hors des dates admises (années {FIRST_YEAR} à {LAST_YEAR})")
    if value.tzinfo is None:
        value = value.replace(tzinfo=PARIS)
    return value.astimezone(UTC)


FIRST_YEAR, LAST_YEAR = 2000, 2100  # the instants a ledger or a deadline may hold


def now() -> datetime:
    """The current instant in UTC, or the one an edge fixed with :func:`fixed`."""
    forced = _FIXED.get()
    return forced if forced is not None else datetime.now(UTC)


@contextmanager
def fixed(instant: datetime) -> Iterator[None]:
    """Within the block, :func:`now` returns ``instant`` (the CLI reads it from ``DPA_KIT_NOW``)."""
    if instant.tzinfo is None:
        raise ValueError("fixed() needs an aware datetime")
    token = _FIXED.set(instant.astimezone(UTC))
    try:
        yield
    finally:
        _FIXED.reset(token)


def today() -> date:
    """Today's date in Paris (by ``now()``)."""
    return now().astimezone(PARIS).date()


def french_date(day: date) -> str:
    """« 1er janvier 2026 », « 31 décembre 2026 »."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTHS_FR[day.month - 1]} {day.year}"


def french_wall(wall: datetime, *, weekday: bool = True) -> str:
    """« lundi 30 novembre 2026 à 18 h 00 »: a Paris wall time as every instant is shown (seconds dropped)."""
    day = f"{WEEKDAYS_FR[wall.weekday()]} " if weekday else ""
    return f"{day}{french_date(wall.date())} à {wall.hour:02d} h {wall.minute:02d}"


def french_instant(instant: datetime, *, weekday: bool = True) -> str:
    """« lundi 30 novembre 2026 à 18 h 00 »: an instant as shown to a user, in Paris time.

    The one format of instants, in documents, messages, the terminal and the web (``weekday=False`` drops
    the day's name). During the autumn hour that happens twice, « (heure d'été) » or « (heure d'hiver) »
    says which one. Callers add « (heure de Paris) » (:data:`dpa_kit.words.PARIS_TIME`).
    """
    local = instant.astimezone(PARIS)
    text = french_wall(local, weekday=weekday)
    wall = local.replace(tzinfo=None)
    if wall.replace(tzinfo=PARIS, fold=0).utcoffset() != wall.replace(tzinfo=PARIS, fold=1).utcoffset():
        text += " (heure d'été)" if local.dst() else " (heure d'hiver)"
    return text


def french_amount(amount: Decimal | int | float) -> str:
    """« 18 000 € », « 68 831,23 € » with non-breaking spaces."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"))
    units, cents = divmod(abs(value), 1)
    grouped = f"{int(units):,}".replace(",", NBSP)
    sign = "-" if value < 0 else ""
    text = grouped if cents == 0 else f"{grouped},{int(cents * 100):02d}"
    return f"{sign}{text}{NBSP}€"
