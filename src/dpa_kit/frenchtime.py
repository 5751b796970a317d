"""French instants as a stressed person types them, and instants and durations shown in full French.

``parse("hier 18h", now=...)`` reads ``maintenant``, ``29/11/2026 01:47``, ``29/11/2026 à 1h47``,
``hier à 18 h 30``, ``aujourd'hui 9h30``, ``avant-hier 22h``, ``vendredi 18h``, ``lundi dernier 8h``,
``ce matin 9h``, ``cet après-midi 3h`` (15 h), ``ce soir 9h`` (21 h), ``cette nuit 2h``, ``hier soir 21h``,
``vers 19 h 30``, ``28 mars 2026 à 10 h`` and ISO 8601, as Europe/Paris wall time relative to ``now``
(passed in by the edge: the library never reads the clock itself here). A wall time that does not
exist (the spring-forward gap) or happens twice (the autumn fall-back hour) is refused with an
explanation instead of being guessed; the second case accepts an explicit ``heure d'été`` /
``heure d'hiver``. Instants are bounded (years 2000 to 2100, at most one minute in the future). A
weekday is the most recent one that is not in the future (« vendredi 18h » typed on a Friday at 10:00
is the Friday before; « lundi dernier » is never today). « vers 19h » is read as 19:00: an instant has
no notion of approximation here, the person explains it in the circumstances. Errors are French, say
which formats are expected and give examples that work at ``now``.

Why not dateparser or python-dateutil: dateparser is lenient by design (it turns « beaucoup » or
« 12/11 » into some date, guessing day/month order and filling missing parts from today), which is
exactly what a legal deadline must not do, and neither library reports ambiguous or nonexistent
Paris wall times; the grammar people type for an incident is small enough to read exactly.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

from dpa_kit.clock import MONTHS_FR, PARIS, WEEKDAYS_FR, french_instant, french_wall
from dpa_kit.exceptions import UsageError

__all__ = [
    "EXPECTED",
    "InstantError",
    "duration",
    "examples",
    "french_instant",
    "late_by",
    "parse",
    "until",
]

#: What the user may type, shown in every error and as help of every question taking an instant.
EXPECTED = (
    "« maintenant », « hier 18h », « ce matin 9h », « vendredi 18h », « vers 19 h 30 » "
    "ou une date et une heure (JJ/MM/AAAA HH:MM)"
)

MIN_YEAR, MAX_YEAR = 2000, 2100
FUTURE_TOLERANCE = timedelta(minutes=1)

_RELATIVE_DAYS = {"aujourd'hui": 0, "aujourdhui": 0, "ce jour": 0, "hier": 1, "avant-hier": 2, "avant hier": 2}
_MONTHS = {unicodedata.normalize("NFKD", m).encode("ascii", "ignore").decode(): i + 1 for i, m in enumerate(MONTHS_FR)}
_TIME = r"(?P<hour>\d{1,2})\s*(?:h|:|heures?)\s*(?P<minute>\d{2})?(?:\s*(?::\s*(?P<second>\d{2})|min))?"
_SEASON = r"(?:\s*\(?\s*(?:en\s+)?heure\s+d'?\s*(?P<season>ete|hiver)\s*\)?)?"
_NUMERIC_DATE = r"(?P<day>\d{1,2})\s*[/.-]\s*(?P<month>\d{1,2})\s*[/.-]\s*(?P<year>\d{4})"
_NAMED_DATE = (
    r"(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s+)?"
    r"(?P<day>\d{1,2})(?:er)?\s+(?P<monthname>[a-z]+)\s+(?P<year>\d{4})"
)
_RELATIVE = r"(?P<relative>aujourd'hui|aujourdhui|ce jour|avant-hier|avant hier|hier)"
_WEEKDAY = r"(?P<weekday>lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)(?P<last>\s+dernier)?"
_THIS = r"(?P<this>ce|cet|cette)(?=\s*(?:matin|apres|soir|nuit))"
_PERIOD = r"(?:\s*(?P<period>matin|apres-midi|apres midi|soir|nuit))?"
_NATURAL_DAY = rf"(?:{_RELATIVE}|{_WEEKDAY}|{_THIS}){_PERIOD}"
_ABOUT = r"(?:(?:vers|a|environ)\s*)?"
#: The hours a part of the day may hold, once « ce soir 9h » is read as 21 h: (first, last, add 12 below 12).
_PERIOD_HOURS = {
    "matin": (0, 12, False),
    "apres-midi": (12, 19, True),
    "apres midi": (12, 19, True),
    "soir": (16, 23, True),
    "nuit": (0, 23, False),
}
_PERIOD_WORDS = {
    "matin": "du matin",
    "apres-midi": "de l'après-midi",
    "apres midi": "de l'après-midi",
    "soir": "du soir",
    "nuit": "de la nuit (de 20 h à 6 h)",
}
_AT = r"(?:\s*,?\s*(?:a|vers|de)?\s*)"


class InstantError(UsageError):
    """Raised when a typed instant cannot be read, does not exist in Paris, or is out of bounds."""


def _fold(text: str) -> str:
    """Lower case, no accents, one kind of apostrophe, single spaces: what we match against."""
    text = text.replace("\u2019", "'").replace("\u00a0", " ").strip().lower()
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"\s+", " ", text)
    # Our own output pasted back (« samedi 28 mars 2026 à 10 h 00 (heure de Paris) ») must read.
    return re.sub(r"\s*\(?heure de paris\)?$", "", text)


def parse(text: str, *, now: datetime, what: str = "date et heure") -> datetime:
    """The UTC instant meant by ``text``, read as Paris wall time relative to ``now`` (an aware instant).

    Raises :class:`InstantError` naming ``what`` and the expected formats when the text is not an
    instant, is a Paris wall time that does not exist or happens twice, or is out of bounds.
    """
    raw = text.strip()
    if not raw:
        raise InstantError(f"{what} manquante : indiquez par exemple {EXPECTED}")
    folded = _fold(raw)
    if folded in {"maintenant", "a l'instant", "a linstant", "tout de suite"}:
        return _bounded(now.astimezone(UTC), raw, now, what)
    if re.match(r"^\d{4}-\d{2}-\d{2}", raw):
        return _bounded(_iso(raw, what), raw, now, what)
    local_now = now.astimezone(PARIS)
    day: date | None = None
    match = re.fullmatch(rf"{_NATURAL_DAY}{_AT}{_TIME}{_SEASON}", folded)
    if match is None:
        match = re.fullmatch(rf"{_NUMERIC_DATE}{_AT}{_TIME}{_SEASON}", folded)
    if match is None:
        match = re.fullmatch(rf"{_NAMED_DATE}{_AT}{_TIME}{_SEASON}", folded)
    if match is None:
        match = re.fullmatch(rf"{_ABOUT}{_TIME}{_SEASON}", folded)
        if match:
            day = local_now.date()
    if match is None:
        if any(re.fullmatch(p, folded) for p in (_NATURAL_DAY, _NUMERIC_DATE, _NAMED_DATE)):
            raise InstantError(
                f"{what} « {raw} » : précisez aussi l'heure, par exemple « {raw} 18h » ; "
                "le délai court à partir d'une heure précise"
            )
        raise InstantError(
            f"{what} « {raw} » illisible : tapez par exemple {examples(now)} "
            "(ou « maintenant », « hier soir 21h », « lundi dernier 8h »)"
        )
    groups = match.groupdict()
    clock_time = _time_of(match, raw, what)
    if groups.get("period"):
        clock_time = _in_period(clock_time, groups["period"], raw, what)
    if day is None:
        day = _natural_day(groups, clock_time, local_now.replace(tzinfo=None)) or _date_of(match, raw, what)
    wall = datetime.combine(day, clock_time)
    instant = _paris_wall(wall, match["season"], raw, what)
    return _bounded(instant, raw, now, what)


def examples(now: datetime) -> str:
    """Three instants to type that are read at ``now``: « aujourd'hui 22h », « jeudi 18h » (yesterday) and
    « 27/11/2026 22:00 ». The hour is the current one, or the one before in the night the clocks go back."""
    local = now.astimezone(PARIS)
    hour = local.hour
    wall = datetime.combine(local.date(), time(hour))
    if wall.replace(tzinfo=PARIS, fold=0).utcoffset() != wall.replace(tzinfo=PARIS, fold=1).utcoffset():
        hour -= 1  # 02:00 happens twice that night: 01:00 does not
    yesterday = WEEKDAYS_FR[(local.weekday() - 1) % 7]
    return f"« aujourd'hui {hour}h », « {yesterday} 18h » ou « {local:%d/%m/%Y} {hour:02d}:00 »"


def _in_period(clock_time: time, period: str, raw: str, what: str) -> time:
    """The clock time of « ce soir 9h » (21:00); refuse an hour outside the part of the day named."""
    first, last, afternoon = _PERIOD_HOURS[period]
    hour = clock_time.hour
    if afternoon and hour < 12:
        hour += 12
    if not first <= hour <= last or (period == "nuit" and 7 <= hour <= 19):
        span = "" if period == "nuit" else f" (de {first} h à {last} h)"
        raise InstantError(
            f"{what} « {raw} » : {clock_time.hour} h n'est pas une heure {_PERIOD_WORDS[period]}{span} ; "
            f"donnez le jour et l'heure, par exemple « hier {clock_time.hour}h »"
        )
    return clock_time.replace(hour=hour)


def _natural_day(groups: Mapping[str, str | None], clock_time: time, local_now: datetime) -> date | None:
    """The day meant by « hier », « vendredi », « lundi dernier », « ce soir », « cette nuit » (None: a date)."""
    today = local_now.date()
    relative, weekday = groups.get("relative"), groups.get("weekday")
    if relative is not None:
        return today - timedelta(days=_RELATIVE_DAYS[relative])
    if groups.get("this") is not None:
        # « cette nuit 23h » typed at 08:00 is last night: the most recent such hour, never the future.
        if groups.get("period") == "nuit" and datetime.combine(today, clock_time) > local_now:
            return today - timedelta(days=1)
        return today
    if weekday is not None:
        back = (today.weekday() - WEEKDAYS_FR.index(weekday)) % 7
        if back == 0 and (groups.get("last") or datetime.combine(today, clock_time) > local_now):
            back = 7
        return today - timedelta(days=back)
    return None


def _iso(raw: str, what: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InstantError(f"{what} « {raw} » illisible : attendu {EXPECTED}, ou ISO 8601 (2026-11-29T01:47)") from exc
    # Checked before any time-zone arithmetic: year 1 or 9999 would overflow it.
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise InstantError(f"{what} « {raw} » : l'année doit être comprise entre {MIN_YEAR} et {MAX_YEAR}")
    if value.tzinfo is None:
        return _paris_wall(value, None, raw, what)
    return value.astimezone(UTC)


def _date_of(match: re.Match[str], raw: str, what: str) -> date:
    groups = match.groupdict()
    year = int(groups["year"])
    if groups.get("monthname") is not None:
        month = _MONTHS.get(groups["monthname"])
        if month is None:
            raise InstantError(f"{what} « {raw} » : mois « {groups['monthname']} » inconnu (janvier ... décembre)")
    else:
        month = int(groups["month"])
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InstantError(f"{what} « {raw} » : l'année doit être comprise entre {MIN_YEAR} et {MAX_YEAR}")
    try:
        return date(year, month, int(groups["day"]))
    except ValueError as exc:
        raise InstantError(
            f"{what} « {raw} » : cette date n'existe pas (jour ou mois impossible ; format JJ/MM/AAAA)"
        ) from exc


def _time_of(match: re.Match[str], raw: str, what: str) -> time:
    hour = int(match["hour"])
    minute = int(match["minute"] or 0)
    second = int(match["second"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise InstantError(f"{what} « {raw} » : heure impossible (de 00:00 à 23:59)")
    return time(hour, minute, second)


def _paris_wall(wall: datetime, season: str | None, raw: str, what: str) -> datetime:
    """The UTC instant of a Paris wall time; refuse the hour that does not exist, ask which of a double hour."""
    earlier = wall.replace(tzinfo=PARIS, fold=0)
    later = wall.replace(tzinfo=PARIS, fold=1)
    shown = french_wall(wall)
    if earlier.astimezone(UTC).astimezone(PARIS).replace(tzinfo=None) != wall:
        raise InstantError(
            f"{what} « {raw} » : le {shown} n'existe pas à Paris (passage à l'heure d'été : les horloges passent "
            "de 02 h 00 à 03 h 00) ; indiquez l'heure lue avant ou après le changement, par exemple 01:59 ou 03:00"
        )
    if earlier.utcoffset() != later.utcoffset():
        if season is None:
            raise InstantError(
                f"{what} « {raw} » : le {shown} a eu lieu deux fois à Paris (retour à l'heure d'hiver) ; "
                f"précisez « {raw} heure d'été » (la première fois) ou « {raw} heure d'hiver » (la seconde)"
            )
        chosen = earlier if season == "ete" else later
        return chosen.astimezone(UTC)
    return earlier.astimezone(UTC)


def _bounded(instant: datetime, raw: str, now: datetime, what: str) -> datetime:
    local_year = instant.astimezone(PARIS).year
    if not MIN_YEAR <= local_year <= MAX_YEAR:
        raise InstantError(f"{what} « {raw} » : l'année doit être comprise entre {MIN_YEAR} et {MAX_YEAR}")
    if instant > now + FUTURE_TOLERANCE:
        raise InstantError(
            f"{what} « {raw} » : {french_instant(instant)} est dans le futur (il est {french_instant(now)}) ; "
            f"vouliez-vous dire « hier » ? Tapez par exemple {examples(now)}"
        )
    return instant


# --- showing durations (instants: clock.french_instant, re-exported here for its callers) ----------------


def duration(delta: timedelta) -> str:
    """« 4 h 12 min », « 52 h 03 min », « 12 min » (whole minutes, rounded down; sign ignored)."""
    minutes = int(abs(delta).total_seconds()) // 60
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def until(deadline: datetime, now: datetime) -> str:
    """« 4 h 12 min restantes » before the deadline, « en retard de 2 h 05 » after it."""
    if now <= deadline:
        return f"{duration(deadline - now)} restantes"
    return late_by(deadline, now)


def late_by(deadline: datetime, now: datetime) -> str:
    """« en retard de 2 h 05 » (or « en retard de 7 min »)."""
    minutes = int((now - deadline).total_seconds()) // 60
    hours, minutes = divmod(minutes, 60)
    return f"en retard de {hours} h {minutes:02d}" if hours else f"en retard de {minutes} min"
