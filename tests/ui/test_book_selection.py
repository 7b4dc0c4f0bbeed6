"""Contract 1 on Book: the keys act on the row you see, before and after a write.

Regression (issue 10, reproduction 4): after book, move or cancel the cursor
jumped to the first row, so the next Enter or x acted on another appointment;
the cancel dialog named only the patient.  The clock is frozen at 09:00 in the
clinic's zone; a day grid of 15-minute slots has 40 rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coordtui.domain.days import local
from tests.conftest import wait_for
from tests.contracts import check_selection
from tests.ui.helpers import make_app, screen_text

NOW = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)  # 09:00 in New York
HOURS = {d: [["08:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def clinic(tmp_path):
    from tests.builders import StoreBuilder

    path = tmp_path / "book.db"
    b = StoreBuilder(path, zone="America/New_York")
    b.now = NOW - timedelta(days=3)
    dr = b.provider("Dr Okafor", hours=HOURS)
    people = [b.patient(f"Given{i}", f"Family{i:02d}", record_number=f"R{i}") for i in range(40)]
    # Two visits booked later today, so the grid mixes free rows and appointments.
    for i, minutes in ((1, 120), (2, 180)):
        b.appointment(people[i], dr, start=NOW + timedelta(minutes=minutes))
    b.close()
    return {"path": path, "dr": dr, "ada": people[0]}


def _book(app):
    return app.screen if type(app.screen).__name__ == "BookScreen" else None


async def _open_grid(pilot, clinic):
    app = pilot.app
    await app.book_for(clinic["ada"], "Given0", "Family00", "R0")
    await wait_for(pilot, lambda: _book(app) is not None and _book(app).slots)
    await pilot.press("g")
    await wait_for(pilot, lambda: _book(app).grid is not None and _book(app).table.row_count > 30)
    return _book(app)


async def test_cursor_stays_on_the_visit_after_book_move_and_cancel(clinic):
    app = make_app(clinic["path"], clock=lambda: NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        book = await _open_grid(pilot, clinic)
        zone = app.service.zone
        await pilot.press(*["down"] * 10)  # a free slot (11:30) well below the first row
        kind, slot = book.table.selected
        assert kind == "free"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Booked" in screen_text(app))
        await wait_for(pilot, lambda: book.table.selected[0] == "appt")
        kind, visit = book.table.selected
        assert (visit.patient_id, visit.start) == (clinic["ada"], slot.start)

        await pilot.press("r", "down")  # 11:45, free
        target = book.table.selected[1]
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Moved" in screen_text(app))
        await wait_for(
            pilot,
            lambda: book.table.selected[0] == "appt" and book.table.selected[1].status == "booked",
        )
        moved = book.table.selected[1]
        assert (moved.patient_id, moved.start) == (clinic["ada"], target.start)

        await pilot.press("x")
        await wait_for(pilot, lambda: "Cancel this appointment" in screen_text(app))
        shown = screen_text(app)
        when = local(moved.start, zone)
        assert "Family00, Given0" in shown
        assert f"{when:%a %d %b %H:%M}" in shown and "Dr Okafor" in shown
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: book.table.selected[1].status == "cancelled")
        assert book.table.selected[1].id == moved.id
    app.service.close()


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
async def test_grid_selection_contract(clinic, size):
    app = make_app(clinic["path"], clock=lambda: NOW)
    zone = None

    def label(row) -> str:
        return local(row[1].start, zone).strftime("%H:%M")

    async def write(pilot):
        book = _book(app)
        await pilot.press("enter")  # books the highlighted free slot (or does nothing on a visit)
        await wait_for(pilot, lambda: "Booked" in screen_text(app))
        await wait_for(pilot, lambda: book.table.selected[0] == "appt")

    async with app.run_test(size=size) as pilot:
        book = await _open_grid(pilot, clinic)
        zone = app.service.zone
        await pilot.press("down", "down")
        await check_selection(
            pilot,
            lambda: book.table,
            key=lambda row: row[1].start,  # a free time booked stays the same line
            label=label,
            write=write,
        )
    app.service.close()
