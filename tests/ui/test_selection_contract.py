"""Contract 1 (selection) for the queue: the highlighted row is always the one on screen.

A day of 300 appointments, the clock frozen at mid-day: at start-up the cursor
is on the first patient still in play, far down the list, and must be on
screen; so after End, Home, PageDown and 25 Downs, at 80x24 and at 160x48.
After a write and after another process's change, it stays on its record.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import wait_for
from tests.contracts import check_selection
from tests.ui.helpers import make_app, table

NOW = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)  # 12:00 in New York
SIZES = [(80, 24), (160, 48)]


@pytest.fixture
def busy_day(tmp_path):
    from tests.builders import StoreBuilder

    path = tmp_path / "busy.db"
    b = StoreBuilder(path, zone="America/New_York")
    b.now = NOW - timedelta(days=1)
    providers = [b.provider(f"Dr P{i}") for i in range(5)]
    morning = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)  # 08:00 local
    for i in range(300):
        pat = b.patient(f"Given{i}", f"Family{i:03d}", record_number=f"R{i:04d}")
        start = morning + timedelta(minutes=2 * i)
        status, fields = "booked", {}
        if start < NOW - timedelta(minutes=60):
            status = "done"
            fields = {"arrived_at": start, "finished_at": start + timedelta(minutes=20)}
        b.appointment(pat, providers[i % 5], start=start, status=status, **fields)
    b.close()
    return path


def _label(row) -> str:
    return row.family_name


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
async def test_queue_cursor_always_on_screen(busy_day, size):
    app = make_app(busy_day, clock=lambda: NOW)

    async def write(pilot):
        row = table(app).selected
        await pilot.press("r")  # booked -> in room is not allowed; arrive first
        await pilot.press("a")
        await wait_for(pilot, lambda: table(app).rows_by_id[row.id].status == "arrived")

    async def refresh(pilot):
        # Another coordinator (another process) checks in the patient two rows up.
        rows = table(app).items
        other = rows[max(table(app).cursor_row - 2, 0)]
        conn = sqlite3.connect(busy_day)
        conn.execute("UPDATE appointment SET status = 'no_show' WHERE id = ?", (other.id,))
        conn.commit()
        conn.close()
        await wait_for(pilot, lambda: table(app).rows_by_id[other.id].status == "no_show")

    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert table(app).cursor_row > 20, "start-up should land on the first patient in play"
        await check_selection(
            pilot,
            lambda: table(app),
            key=lambda r: r.id,
            label=_label,
            write=write,
            refresh=refresh,
        )
    app.service.close()


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
async def test_queue_cursor_on_screen_after_the_provider_filter_comes_back(busy_day, size):
    """Regression (found trying the app): after `p` went round back to every provider the
    list showed its top while the cursor stayed on a row far below: a key then acted on
    a visit nobody could see."""
    from tests.contracts import assert_cursor_visible

    app = make_app(busy_day, clock=lambda: NOW)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("end")
        rows = table(app).row_count
        for _ in range(6):  # five providers, then all of them again
            await pilot.press("p")
            await pilot.pause()
            assert_cursor_visible(app, table(app), _label)
        assert table(app).row_count == rows
    app.service.close()


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
async def test_queue_cursor_on_screen_after_a_short_filtered_list(busy_day, size):
    """From a list that fits on screen (filtered to one name) back to the whole day: the
    cursor stays on that visit, far down, and the list scrolls to it."""
    from tests.contracts import assert_cursor_visible

    app = make_app(busy_day, clock=lambda: NOW)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("f", *"Family250", "enter")
        await wait_for(pilot, lambda: table(app).row_count == 1)
        await pilot.press("escape")
        await wait_for(pilot, lambda: table(app).row_count == 300)
        await pilot.pause()
        assert table(app).selected.family_name == "Family250"
        assert_cursor_visible(app, table(app), _label)
    app.service.close()


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
async def test_walk_in_under_a_provider_filter_then_all_providers(tmp_path, size):
    """Regression (found trying the app): a walk-in added for a provider with nobody booked,
    then `p` back to every provider: the list showed its top while the cursor was on the
    walk-in far below, so `u` undid a change on a visit nobody could see."""
    from tests.builders import StoreBuilder
    from tests.contracts import assert_cursor_visible

    path = tmp_path / "two.db"
    b = StoreBuilder(path, zone="America/New_York")
    b.now = NOW - timedelta(days=1)
    busy, quiet = b.provider("Dr Busy"), b.provider("Dr Quiet")
    morning = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)
    for i in range(80):
        b.appointment(
            b.patient(f"G{i}", f"Family{i:03d}"), busy, start=morning + timedelta(minutes=3 * i)
        )
    b.patient("Walker", "Zed", record_number="RZED")
    b.close()
    app = make_app(path, clock=lambda: NOW)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        while app.screen.provider_filter != quiet:
            await pilot.press("p")
        await wait_for(pilot, lambda: table(app).row_count == 0)
        await pilot.press("w", *"zed walker")
        await wait_for(
            pilot, lambda: type(app.screen).__name__ == "WalkInScreen" and app.screen.results
        )
        await pilot.press("enter", "enter")
        # The walk-in dialog saves, then closes: the queue is on top again only after that.
        await wait_for(
            pilot,
            lambda: type(app.screen).__name__ == "QueueScreen" and table(app).row_count == 1,
        )
        await pilot.press("p")  # back to every provider
        await wait_for(pilot, lambda: table(app).row_count == 81)
        await pilot.pause()
        assert table(app).selected.family_name == "Zed"
        assert_cursor_visible(app, table(app), _label)
    app.service.close()
