"""The mid-day clock the demo, seeds and benchmarks run on (coordtui.clock)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from coordtui.clock import (
    MIDDAY_START,
    MIDDAY_WINDOW,
    ShiftedClock,
    clock_label,
    midday_clock,
    midday_offset,
    real_clock,
)

ZONES = ["America/New_York", "Asia/Tokyo", "Pacific/Auckland", "Europe/London", "Asia/Kolkata"]
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(now=instants, zone=st.sampled_from(ZONES).map(ZoneInfo))
def test_the_shifted_wall_clock_is_midday_on_the_clinics_own_day(now, zone):
    offset = midday_offset(now, zone)
    before, after = now.astimezone(zone), (now + offset).astimezone(zone)
    assert MIDDAY_WINDOW[0] <= after.time() < MIDDAY_WINDOW[1]
    assert after.date() == before.date()  # "today" is the clinic's real today
    if MIDDAY_WINDOW[0] <= before.time() < MIDDAY_WINDOW[1]:
        assert offset == timedelta(0)  # already mid-day: the real clock
    else:
        assert after.time() == MIDDAY_START
    assert abs(offset) < timedelta(hours=13)


def test_on_a_dst_day_the_shift_lands_on_the_wall_clock_time():
    zone = ZoneInfo("America/New_York")
    now = datetime(2026, 3, 8, 1, 30, tzinfo=zone).astimezone(UTC)  # spring forward at 02:00
    after = ShiftedClock(midday_offset(now, zone), lambda: now)().astimezone(zone)
    assert after.replace(tzinfo=None) == datetime(2026, 3, 8, 11, 30)


def test_a_shifted_clock_ticks_and_says_so():
    ticks = iter([datetime(2026, 3, 14, 2, 0, tzinfo=UTC), datetime(2026, 3, 14, 2, 5, tzinfo=UTC)])
    clock = midday_clock(ZoneInfo("UTC"), base=lambda: next(ticks))
    assert isinstance(clock, ShiftedClock) and clock_label(clock) == "demo clock"
    assert clock().time() == time(11, 35)  # the second reading, five minutes on


def test_inside_the_window_it_is_the_real_clock():
    def base():
        return datetime(2026, 3, 14, 12, 0, tzinfo=UTC)

    assert midday_clock(ZoneInfo("UTC"), base=base) is base
    assert clock_label(base) == clock_label(real_clock) == clock_label(None) == ""
