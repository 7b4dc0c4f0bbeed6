"""Clocks: the real one the app runs on, and the mid-day one for the demo and benchmarks.

The app in production reads the real clock.  The demo, the seeds and the
benchmarks must show (and measure) a working clinic day whatever the hour
where they are run: at 21:30 a demo laid out "as of now" has no one still
booked and patients who have waited six hours.  So they run on a *mid-day
clock*: when the clinic's wall clock is outside the mid-day window, it is the
real clock shifted by a fixed offset so that the clinic's wall clock starts at
``MIDDAY_START`` on the same clinic day, and then ticks live; inside the
window the offset is zero and it is the real clock.  A shifted clock carries a
``label`` ("demo clock") that the header shows, so nobody mistakes it for the
time of day.

"Any zone" is the clinic's zone applied to the real UTC instant: the user's
machine zone (``TZ``) plays no part, since every instant here is aware UTC.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]  # returns aware UTC

# Clinic-local wall-clock times.  The demo clinic's earliest session opens at
# 09:00 at the weekend (07:30 on weekdays) and its last closes at 17:00 (18:30):
# from 11:00 to 15:00 every day has a morning behind it and an afternoon ahead.
MIDDAY_WINDOW = (time(11, 0), time(15, 0))
MIDDAY_START = time(11, 30)  # a busy late morning, before the lunch breaks
DEMO_LABEL = "demo clock"
LAID_OUT_AT = "laid_out_at"  # meta key of a generated store: the instant its day is laid out for


def real_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ShiftedClock:
    """``base()`` plus a fixed ``offset``: it ticks live, at another time of day."""

    offset: timedelta
    base: Clock = real_clock
    label: str = DEMO_LABEL

    def __call__(self) -> datetime:
        return self.base().astimezone(UTC) + self.offset  # in UTC: a real-time shift


def midday_offset(
    now: datetime,
    zone: tzinfo,
    window: tuple[time, time] = MIDDAY_WINDOW,
    start: time = MIDDAY_START,
) -> timedelta:
    """How far to shift ``now`` (aware) so the clinic's wall clock reads mid-day.

    Zero when the clinic-local time is already inside ``window``; otherwise the
    shift to ``start`` on the same clinic-local day (forward before the window,
    back after it), so "today" stays the clinic's real today.
    """
    here = now.astimezone(zone)
    if window[0] <= here.time().replace(tzinfo=None) < window[1]:
        return timedelta(0)
    target = datetime.combine(here.date(), start, tzinfo=zone)
    # Subtract in UTC: aware datetimes sharing a tzinfo subtract as wall-clock times.
    return target.astimezone(UTC) - now.astimezone(UTC)


def midday_clock(zone: tzinfo, base: Clock = real_clock) -> Clock:
    """``base`` itself inside the mid-day window, else a ShiftedClock that starts at mid-day."""
    offset = midday_offset(base(), zone)
    return ShiftedClock(offset, base) if offset else base


def laid_out_at(path: Path) -> tuple[datetime | None, str]:
    """(the instant a generated store was laid out for, its clinic's zone name).

    Plain sqlite3, read-only: cheap enough to call before an app's first paint.
    The instant is None for a store that does not say (an older or a real one).
    """
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (LAID_OUT_AT,)).fetchone()
        zone = conn.execute("SELECT timezone FROM clinic").fetchone()
    except sqlite3.Error:
        row = zone = None
    finally:
        conn.close()
    moment = datetime.fromisoformat(row[0]).replace(tzinfo=UTC) if row else None
    return moment, zone[0] if zone else "UTC"


def store_clock(path: Path, base: Clock = real_clock) -> Clock:
    """A clock that starts at the instant a generated store was laid out for, and ticks.

    For benchmarks and tests that reuse a cached store: whatever the hour, or the
    day, they see the store's day as it was made.  A store that does not say gets
    the mid-day clock in its clinic's zone.
    """
    laid, zone = laid_out_at(path)
    if laid is None:
        return midday_clock(ZoneInfo(zone), base)
    return ShiftedClock(laid - base().astimezone(UTC), base)


def clock_label(clock: Clock | None) -> str:
    """'demo clock' for a shifted clock; '' for the real one (or a test's frozen one)."""
    return getattr(clock, "label", "") if clock is not None else ""
