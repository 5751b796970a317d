"""Time and French formatting: the clock, instants, dates and amounts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dpa_kit import clock


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2026, 1, 1), "1er janvier 2026"),
        (date(2026, 12, 31), "31 décembre 2026"),
        (date(2028, 2, 29), "29 février 2028"),
        (date(2026, 8, 2), "2 août 2026"),
    ],
)
def test_french_date(day: date, text: str) -> None:
    assert clock.french_date(day) == text


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (18000, "18\u00a0000\u00a0€"),
        (Decimal("68831.23"), "68\u00a0831,23\u00a0€"),
        (Decimal("1017680.00"), "1\u00a0017\u00a0680\u00a0€"),
        (0, "0\u00a0€"),
        (Decimal("4480.5"), "4\u00a0480,50\u00a0€"),
    ],
)
def test_french_amount(amount: object, text: str) -> None:
    assert clock.french_amount(amount) == text


def test_a_fixed_clock_is_used_only_inside_its_block(monkeypatch: pytest.MonkeyPatch) -> None:
    instant = datetime(2026, 3, 28, 9, 0, tzinfo=UTC)
    with clock.fixed(instant):
        assert clock.now() == instant
        assert clock.today().isoformat() == "2026-03-28"
    assert clock.now() != instant
    monkeypatch.setenv("DPA_KIT_NOW", "2020-01-01T00:00")
    assert clock.now().year != 2020  # the library never reads the environment


def test_cli_reads_dpa_kit_now_and_refuses_a_bad_one() -> None:
    from helpers import run

    result = run("schema", env={"DPA_KIT_NOW": "hier"})
    assert result.exit_code == 2 and "DPA_KIT_NOW « hier » illisible" in result.stderr


def test_instant_without_offset_is_paris_time_across_dst() -> None:
    assert clock.parse_instant("2026-07-01T12:00").isoformat() == "2026-07-01T10:00:00+00:00"
    assert clock.parse_instant("2026-01-01T12:00").isoformat() == "2026-01-01T11:00:00+00:00"
    assert clock.parse_instant("2026-01-01T12:00Z").isoformat() == "2026-01-01T12:00:00+00:00"


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)),
    st.integers(min_value=1, max_value=240),
)
def test_deadlines_are_elapsed_hours_whatever_the_local_time(aware: datetime, hours: int) -> None:
    # Deadlines are computed on UTC instants. (Subtracting two datetimes that share the Paris tzinfo would
    # compare wall clocks and be an hour off across a DST change: found by this very test.)
    deadline = aware + timedelta(hours=hours)
    shown = deadline.astimezone(clock.PARIS)
    assert shown.astimezone(UTC) - aware == timedelta(hours=hours)
    assert clock.parse_instant(shown.isoformat()) == deadline


@pytest.mark.parametrize(
    ("instant", "text"),
    [
        # Winter (UTC+1) and summer (UTC+2): always the Paris wall time.
        (datetime(2026, 11, 30, 17, 0, tzinfo=UTC), "lundi 30 novembre 2026 à 18 h 00"),
        (datetime(2026, 7, 14, 7, 5, 59, tzinfo=UTC), "mardi 14 juillet 2026 à 09 h 05"),
        (datetime(2026, 1, 1, 0, 0, tzinfo=UTC), "jeudi 1er janvier 2026 à 01 h 00"),
        # The night of the spring change: 01:59 is followed by 03:00.
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "dimanche 29 mars 2026 à 01 h 59"),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "dimanche 29 mars 2026 à 03 h 00"),
        # The autumn hour that happens twice says which one it is.
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "dimanche 25 octobre 2026 à 02 h 30 (heure d'été)"),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "dimanche 25 octobre 2026 à 02 h 30 (heure d'hiver)"),
        (datetime(2026, 10, 25, 2, 0, tzinfo=UTC), "dimanche 25 octobre 2026 à 03 h 00"),
    ],
)
def test_the_one_instant_format_is_paris_time_with_the_weekday(instant: datetime, text: str) -> None:
    from dpa_kit import frenchtime

    assert clock.french_instant(instant) == text
    # The terminal's questionnaire and the breach messages use the same function, not a copy.
    assert frenchtime.french_instant is clock.french_instant
