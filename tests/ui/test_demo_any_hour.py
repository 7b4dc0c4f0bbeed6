"""Issue 10, reproduction 13: the demo shows a live mid-day board at any hour, in any zone.

The demo is built and opened the way `coordtui demo` does it (``demo_clock`` ->
``generate_demo(now=clock())`` -> the app's Service on that clock), with the real
clock replaced by one that starts at 03:00 or 21:30 in the user's zone and ticks.
The user's zone is also the process's ``TZ``: nothing may depend on it.  Before
the fix the demo was laid out relative to a clamped time while the app ran on the
real clock: at 21:30 arrived patients had waited six hours and nobody was booked.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from coordtui.demo.clinic import DEFAULT_TIMEZONE, demo_clock, generate_demo
from coordtui.domain.status import Status
from coordtui.domain.waits import compute_wait
from tests.conftest import wait_for
from tests.ui.helpers import make_app, screen_text, table

CLINIC = ZoneInfo(DEFAULT_TIMEZONE)


def ticking(start: datetime):
    """A stand-in for the real clock: reads ``start`` now and runs at real speed."""
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


@pytest.fixture
def user_zone(request, monkeypatch) -> Iterator[ZoneInfo]:
    """The person's machine zone, as TZ, for the length of the test."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield ZoneInfo(request.param)
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("user_zone", ["America/New_York", "Asia/Tokyo"], indirect=True)
@pytest.mark.parametrize("wall", [(3, 0), (21, 30)], ids=["03:00", "21:30"])
async def test_demo_is_a_live_midday_board(tmp_path, user_zone, wall):
    real = datetime(2026, 3, 14, *wall, tzinfo=user_zone).astimezone(UTC)
    clock = demo_clock(ticking(real))
    path = tmp_path / "demo.db"
    generate_demo(path, now=clock())
    app = make_app(path, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: table(app).row_count > 0)
        now = app.service.now()
        wall_now = now.astimezone(CLINIC)
        assert 11 <= wall_now.hour < 15, wall_now  # mid-day at the clinic
        assert wall_now.date() == real.astimezone(CLINIC).date()  # the clinic's real today
        rows = list(table(app).rows_by_id.values())
        assert {r.status for r in rows} == {s.value for s in Status}
        waits = [
            compute_wait(
                Status(r.status),
                r.arrived_at,
                r.status_since,
                now,
                alert_minutes=20,
                finished_at=r.finished_at,
            )
            for r in rows
            if r.status in (Status.ARRIVED, Status.IN_ROOM)
        ]
        assert waits and max(w.in_status for w in waits) <= 60  # no six-hour waits
        assert any(w.long for w in waits)  # ... but one over the alert, to show it off
        later = [r for r in rows if r.status == Status.BOOKED and r.start > now]
        assert len(later) >= 10  # the afternoon is still ahead
        for r in rows:  # nothing happened after "now"
            for moment in (r.arrived_at, r.status_since, r.finished_at):
                assert moment is None or moment <= now, (r.status, moment, now)
        header = screen_text(app).splitlines()[0]
        assert f"{wall_now:%H:%M}" in header, header
        # 03:00 in Tokyo is 14:00 the day before in New York: mid-day already, real clock.
        assert ("demo clock" in header) == (not 11 <= real.astimezone(CLINIC).hour < 15), header


async def test_inside_midday_the_demo_runs_on_the_real_clock(tmp_path):
    real = datetime(2026, 3, 11, 13, 5, tzinfo=CLINIC).astimezone(UTC)
    base = ticking(real)
    clock = demo_clock(base)
    assert clock is base  # no shift, no label
    path = tmp_path / "demo.db"
    generate_demo(path, now=clock())
    app = make_app(path, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: table(app).row_count > 0)
        header = screen_text(app).splitlines()[0]
        assert "13:05" in header and "demo" not in header, header
