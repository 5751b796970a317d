"""French instants as typed by a person at 23:00, and instants and durations shown in French."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dpa_kit import frenchtime
from dpa_kit.clock import PARIS
from dpa_kit.exceptions import InputError
from dpa_kit.frenchtime import InstantError, french_instant, parse, until

# Sunday 29 November 2026, 01:47 in Paris (winter time, UTC+1).
NOW = datetime(2026, 11, 29, 0, 47, tzinfo=UTC)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("maintenant", NOW),
        ("  Maintenant ", NOW),
        ("29/11/2026 01:47", paris(2026, 11, 29, 1, 47)),
        ("29/11/2026 à 1h47", paris(2026, 11, 29, 1, 47)),
        ("28/11/2026 18 h 30", paris(2026, 11, 28, 18, 30)),
        ("28-11-2026 18:30", paris(2026, 11, 28, 18, 30)),
        ("hier 18h", paris(2026, 11, 28, 18, 0)),
        ("hier à 18 h 30", paris(2026, 11, 28, 18, 30)),
        ("Hier, vers 18h", paris(2026, 11, 28, 18, 0)),
        ("aujourd'hui 0h30", paris(2026, 11, 29, 0, 30)),
        ("aujourd\u2019hui à 1h", paris(2026, 11, 29, 1, 0)),
        ("avant-hier 22h", paris(2026, 11, 27, 22, 0)),
        ("avant hier 22h15", paris(2026, 11, 27, 22, 15)),
        ("1h", paris(2026, 11, 29, 1, 0)),
        ("28 novembre 2026 à 10 h", paris(2026, 11, 28, 10, 0)),
        ("1er août 2026 à 10 h 05", paris(2026, 8, 1, 10, 5)),
        ("samedi 28 mars 2026 à 10 h 00 (heure de Paris)", paris(2026, 3, 28, 10, 0)),
        ("2026-11-28T18:00", paris(2026, 11, 28, 18, 0)),
        ("2026-11-28T17:00Z", paris(2026, 11, 28, 18, 0)),
        ("2026-11-28T18:00+01:00", paris(2026, 11, 28, 18, 0)),
    ],
)
def test_what_people_type_is_read_as_paris_wall_time(text: str, expected: datetime) -> None:
    assert parse(text, now=NOW) == expected


# Friday 27 November 2026, 23:00 in Paris: the secretary declares after the evening meeting.
FRIDAY_NIGHT = datetime(2026, 11, 27, 23, 0, tzinfo=PARIS)
# Monday 30 November 2026, 09:30 in Paris: the president reads the mail after the weekend.
MONDAY_MORNING = datetime(2026, 11, 30, 9, 30, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("text", "friday_night", "monday_morning"),
    [
        ("vendredi 18h", paris(2026, 11, 27, 18, 0), paris(2026, 11, 27, 18, 0)),
        ("Vendredi à 18 h 30", paris(2026, 11, 27, 18, 30), paris(2026, 11, 27, 18, 30)),
        ("vendredi soir vers 9h", paris(2026, 11, 27, 21, 0), paris(2026, 11, 27, 21, 0)),
        # The hour has not come yet today: the Friday before, never the future.
        ("vendredi 23h30", paris(2026, 11, 20, 23, 30), paris(2026, 11, 27, 23, 30)),
        ("lundi 8h", paris(2026, 11, 23, 8, 0), paris(2026, 11, 30, 8, 0)),
        ("lundi 10h", paris(2026, 11, 23, 10, 0), paris(2026, 11, 23, 10, 0)),
        ("lundi dernier 8h", paris(2026, 11, 23, 8, 0), paris(2026, 11, 23, 8, 0)),
        ("samedi 14h", paris(2026, 11, 21, 14, 0), paris(2026, 11, 28, 14, 0)),
        ("ce matin 9h", paris(2026, 11, 27, 9, 0), paris(2026, 11, 30, 9, 0)),
        ("ce matin à 8 h 15", paris(2026, 11, 27, 8, 15), paris(2026, 11, 30, 8, 15)),
        ("cette nuit 2h", paris(2026, 11, 27, 2, 0), paris(2026, 11, 30, 2, 0)),
        ("cette nuit 22h", paris(2026, 11, 27, 22, 0), paris(2026, 11, 29, 22, 0)),
        ("hier soir 21h", paris(2026, 11, 26, 21, 0), paris(2026, 11, 29, 21, 0)),
        ("hier soir 9h", paris(2026, 11, 26, 21, 0), paris(2026, 11, 29, 21, 0)),
        ("hier matin vers 10h", paris(2026, 11, 26, 10, 0), paris(2026, 11, 29, 10, 0)),
        ("avant-hier 22h", paris(2026, 11, 25, 22, 0), paris(2026, 11, 28, 22, 0)),
        ("à 9h", paris(2026, 11, 27, 9, 0), paris(2026, 11, 30, 9, 0)),
    ],
)
def test_natural_instants_are_the_most_recent_past_one(
    text: str, friday_night: datetime, monday_morning: datetime
) -> None:
    assert parse(text, now=FRIDAY_NIGHT) == friday_night
    assert parse(text, now=MONDAY_MORNING) == monday_morning


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ce soir 18h", paris(2026, 11, 27, 18, 0)),
        ("ce soir 9h", paris(2026, 11, 27, 21, 0)),
        ("cet après-midi 15h", paris(2026, 11, 27, 15, 0)),
        ("cet apres-midi 3h", paris(2026, 11, 27, 15, 0)),
        ("cet après midi à 14 h 30", paris(2026, 11, 27, 14, 30)),
        ("vers 19h", paris(2026, 11, 27, 19, 0)),
        ("vers 19 h 30", paris(2026, 11, 27, 19, 30)),
        ("ce soir vers 19h", paris(2026, 11, 27, 19, 0)),
    ],
)
def test_tonight_and_around_an_hour_on_friday_night(text: str, expected: datetime) -> None:
    assert parse(text, now=FRIDAY_NIGHT) == expected


@pytest.mark.parametrize("text", ["ce soir 18h", "cet après-midi 15h", "vers 19h", "vendredi dernier 23h30"])
def test_natural_instants_are_never_in_the_future(text: str) -> None:
    # On Monday morning, « ce soir » has not come; on Friday at 23:00, « vendredi dernier » is a week ago.
    if text.startswith("vendredi"):
        assert parse(text, now=FRIDAY_NIGHT) == paris(2026, 11, 20, 23, 30)
        return
    with pytest.raises(
        InstantError, match=r"dans le futur .*« aujourd'hui 9h », « dimanche 18h » ou « 30/11/2026 09:00 »"
    ):
        parse(text, now=MONDAY_MORNING)


def test_weekdays_across_the_spring_change_of_time() -> None:
    # Monday 30 March 2026, 09:00 summer time; the clocks went forward on Sunday 29 at 02:00.
    now = datetime(2026, 3, 30, 9, 0, tzinfo=PARIS)
    assert parse("vendredi 18h", now=now) == datetime(2026, 3, 27, 17, 0, tzinfo=UTC)  # winter time, UTC+1
    assert parse("avant-hier 22h", now=now) == datetime(2026, 3, 28, 21, 0, tzinfo=UTC)
    assert parse("ce matin 8h", now=now) == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)  # summer time, UTC+2
    assert parse("lundi dernier 8h", now=now) == datetime(2026, 3, 23, 7, 0, tzinfo=UTC)
    with pytest.raises(InstantError, match="n'existe pas à Paris"):
        parse("dimanche 2h30", now=now)


def test_weekdays_across_the_autumn_change_of_time() -> None:
    # Friday 30 October 2026, 23:00 winter time; the clocks went back on Sunday 25 at 03:00.
    now = datetime(2026, 10, 30, 23, 0, tzinfo=PARIS)
    assert parse("samedi 18h", now=now) == datetime(2026, 10, 24, 16, 0, tzinfo=UTC)  # summer time, UTC+2
    assert parse("lundi dernier 8h", now=now) == datetime(2026, 10, 26, 7, 0, tzinfo=UTC)  # winter time
    assert parse("vendredi 18h", now=now) == datetime(2026, 10, 30, 17, 0, tzinfo=UTC)
    with pytest.raises(InstantError, match="a eu lieu deux fois"):
        parse("dimanche 2h30", now=now)
    assert parse("dimanche 2h30 heure d'hiver", now=now) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


@given(st.datetimes(min_value=datetime(2000, 1, 9), max_value=datetime(2100, 12, 30), timezones=st.just(UTC)))
def test_every_example_of_an_error_is_read_at_that_moment(now: datetime) -> None:
    with pytest.raises(InstantError) as caught:
        parse("beaucoup", now=now)
    shown = re.findall(r"« ([^»]+) »", str(caught.value))[1:]  # after the typed text
    assert len(shown) == 6
    for example in shown:
        assert parse(example, now=now) <= now


def test_the_examples_avoid_the_hour_that_happens_twice() -> None:
    # 02:30 summer time on 25 October 2026: « aujourd'hui 2h » would be asked which one.
    now = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert frenchtime.examples(now) == "« aujourd'hui 1h », « samedi 18h » ou « 25/10/2026 01:00 »"


def test_relative_days_follow_paris_not_utc() -> None:
    # 23:30 UTC on 28 November is already the 29th in Paris: « hier » is the 28th.
    now = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)
    assert parse("hier 18h", now=now) == paris(2026, 11, 28, 18, 0)


def test_summer_time_is_used_in_summer() -> None:
    now = datetime(2026, 7, 2, 12, 0, tzinfo=UTC)
    assert parse("hier 18h", now=now) == datetime(2026, 7, 1, 16, 0, tzinfo=UTC)


def test_nonexistent_spring_forward_time_is_refused_with_the_reason() -> None:
    now = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)
    with pytest.raises(InstantError, match=r"n'existe pas à Paris .*passage à l'heure d'été"):
        parse("29/03/2026 02:30", now=now)
    assert parse("29/03/2026 03:00", now=now) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert parse("29/03/2026 01:59", now=now) == datetime(2026, 3, 29, 0, 59, tzinfo=UTC)


def test_ambiguous_fall_back_time_must_say_which() -> None:
    now = datetime(2026, 10, 26, 12, 0, tzinfo=UTC)
    with pytest.raises(InstantError, match=r"a eu lieu deux fois.*heure d'été.*heure d'hiver"):
        parse("25/10/2026 02:30", now=now)
    assert parse("25/10/2026 02:30 heure d'été", now=now) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert parse("25/10/2026 02:30 (heure d'hiver)", now=now) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    # What we show for that hour reads back to the same instant.
    for instant in (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)):
        assert parse(french_instant(instant), now=now) == instant


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "manquante"),
        ("beaucoup", "illisible : tapez par exemple « aujourd'hui 1h », « samedi 18h » ou « 29/11/2026 01:00 »"),
        ("vendredi soir", "précisez aussi l'heure, par exemple « vendredi soir 18h »"),
        ("ce matin 15h", "15 h n'est pas une heure du matin"),
        ("cet après-midi 21h", "21 h n'est pas une heure de l'après-midi"),
        ("cette nuit 14h", "14 h n'est pas une heure de la nuit"),
        ("ce soir 18h", "dans le futur.*« aujourd'hui 1h », « samedi 18h »"),
        ("vers 19h", "dans le futur"),
        ("hier", "précisez aussi l'heure"),
        ("29/11/2026", "précisez aussi l'heure"),
        ("31/02/2026 10:00", "cette date n'existe pas"),
        ("28/11/2026 25:00", "heure impossible"),
        ("28/11/2026 10:61", "heure impossible"),
        ("28/11/1999 10:00", "entre 2000 et 2100"),
        ("1999-11-28T10:00", "entre 2000 et 2100"),
        ("28 brumaire 2026 10h", "mois « brumaire » inconnu"),
        ("29/11/2026 09:00", "dans le futur"),
        ("2026-13-01T10:00", "illisible"),
        ("aujourd'hui 2h", "dans le futur"),
    ],
)
def test_errors_are_french_and_say_what_is_expected(text: str, message: str) -> None:
    with pytest.raises(InstantError, match=message) as caught:
        parse(text, now=NOW, what="prise de connaissance")
    assert isinstance(caught.value, InputError)
    assert str(caught.value).startswith("prise de connaissance")


def test_one_minute_of_clock_skew_is_tolerated() -> None:
    assert parse("29/11/2026 01:48", now=NOW) == paris(2026, 11, 29, 1, 48)


@pytest.mark.parametrize(
    ("instant", "text"),
    [
        (paris(2026, 3, 28, 10, 0), "samedi 28 mars 2026 à 10 h 00"),
        (paris(2026, 11, 1, 9, 5), "dimanche 1er novembre 2026 à 09 h 05"),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "dimanche 29 mars 2026 à 03 h 00"),
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "dimanche 25 octobre 2026 à 02 h 30 (heure d'été)"),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "dimanche 25 octobre 2026 à 02 h 30 (heure d'hiver)"),
    ],
)
def test_french_instant(instant: datetime, text: str) -> None:
    assert french_instant(instant) == text


def test_time_left_and_late() -> None:
    deadline = paris(2026, 11, 29, 18, 0)
    assert until(deadline, deadline - timedelta(hours=4, minutes=12, seconds=59)) == "4 h 12 min restantes"
    assert until(deadline, deadline - timedelta(minutes=7)) == "7 min restantes"
    assert until(deadline, deadline + timedelta(hours=2, minutes=5, seconds=30)) == "en retard de 2 h 05"
    assert until(deadline, deadline + timedelta(minutes=7)) == "en retard de 7 min"
    assert frenchtime.duration(timedelta(hours=52, minutes=3)) == "52 h 03 min"


@given(st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2100, 12, 30), timezones=st.just(UTC)))
def test_what_we_show_reads_back_to_the_same_minute(instant: datetime) -> None:
    instant = instant.replace(second=0, microsecond=0)
    assert parse(french_instant(instant), now=instant + timedelta(days=1)) == instant


@given(st.text(max_size=60))
def test_any_text_is_an_instant_or_a_french_error(text: str) -> None:
    try:
        value = parse(text, now=NOW)
    except InstantError as exc:
        assert str(exc).startswith("date et heure")
    else:
        assert value.tzinfo is not None and value <= NOW + timedelta(minutes=1)
