"""Acceptance (issue 4): from the queue, b, pick a type, accept the first slot; it shows in
the queue of that day; reschedule and cancel work from the grid."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest

from coordtui.domain.days import local
from tests.builders import ALL_DAY
from tests.conftest import wait_for
from tests.ui.helpers import make_app, screen_text, table


@pytest.fixture
def clinic(builder, db_path):
    dr = builder.provider("Dr Okafor", hours=ALL_DAY)
    ada = builder.patient("Ada", "Lovelace", record_number="MRN1")
    builder.appointment(
        ada,
        dr,
        start=builder.now - timedelta(minutes=30),
        status="done",
        arrived_at=builder.now - timedelta(minutes=35),
    )
    return {"dr": dr, "ada": ada}


def _book(app):
    return app.screen if type(app.screen).__name__ == "BookScreen" else None


async def test_book_from_queue_then_reschedule_and_cancel_in_grid(db_path, clinic):
    app = make_app(db_path)
    async with app.run_test(size=(100, 36), notifications=True) as pilot:
        await pilot.press("b")
        await wait_for(pilot, lambda: _book(app) is not None and _book(app).patient is not None)
        book = _book(app)
        await wait_for(pilot, lambda: book.slots)
        assert "Lovelace, Ada" in screen_text(app)
        first = book.slots[0]
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Booked" in screen_text(app))
        conn = sqlite3.connect(db_path)
        rows = conn.execute(
            "SELECT id, start_utc FROM appointment WHERE status = 'booked'"
        ).fetchall()
        assert len(rows) == 1
        new_id = rows[0][0]

        # it shows in the queue of that day
        day = local(first.start, app.service.zone).date()
        await pilot.press("f2")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "QueueScreen")
        while app.screen.day < day:
            await pilot.press("right_square_bracket")
            await pilot.pause(0.1)
        await wait_for(pilot, lambda: new_id in table(app).rows_by_id)

        # grid: move it one slot later, then cancel it
        await pilot.press("f4")
        await wait_for(pilot, lambda: _book(app) is not None)
        book = _book(app)
        book.day = day
        await pilot.press("g")
        await wait_for(
            pilot,
            lambda: (
                book.grid is not None
                and any(k == "appt" and getattr(v, "id", None) == new_id for k, v in book._keys)
            ),
        )
        index = next(i for i, (k, v) in enumerate(book._keys) if k == "appt" and v.id == new_id)
        book.table.move_cursor(index)
        await pilot.press("r")
        await wait_for(pilot, lambda: book.moving is not None)
        free_after = next(i for i, (k, v) in enumerate(book._keys) if k == "free" and i > index)
        book.table.move_cursor(free_after)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Moved" in screen_text(app))
        moved = conn.execute(
            "SELECT a.id, b.rescheduled_from FROM appointment a "
            "LEFT JOIN appointment_booking b ON b.appointment_id = a.id "
            "WHERE a.status = 'booked'"
        ).fetchall()
        assert len(moved) == 1 and moved[0][1] == new_id
        assert (
            conn.execute("SELECT status FROM appointment WHERE id = ?", (new_id,)).fetchone()[0]
            == "cancelled"
        )

        await wait_for(
            pilot, lambda: any(k == "appt" and v.id == moved[0][0] for k, v in book._keys)
        )
        index = next(
            i for i, (k, v) in enumerate(book._keys) if k == "appt" and v.id == moved[0][0]
        )
        book.table.move_cursor(index)
        await pilot.press("x")
        await wait_for(pilot, lambda: "Cancel this appointment" in screen_text(app))
        await pilot.press("down", "enter")
        await wait_for(
            pilot,
            lambda: (
                conn.execute(
                    "SELECT status FROM appointment WHERE id = ?", (moved[0][0],)
                ).fetchone()[0]
                == "cancelled"
            ),
        )
        conn.close()
    app.service.close()


async def test_waitlist_and_series_from_the_book_screen(db_path, clinic):
    app = make_app(db_path)
    async with app.run_test(size=(100, 36), notifications=True) as pilot:
        await pilot.press("b")
        await wait_for(pilot, lambda: _book(app) is not None and _book(app).patient is not None)
        book = _book(app)
        await pilot.press("W")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "WaitlistForm")
        app.screen.query_one("#latest").value = "yesterday"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Dates must look like" in screen_text(app))
        app.screen.query_one("#latest").value = ""
        app.screen.query_one("#latest").focus()
        await pilot.press(*(app.service.today() + timedelta(days=14)).isoformat(), "ctrl+s")
        await wait_for(pilot, lambda: "Added to the waitlist" in screen_text(app))
        assert len(app.service.waitlist_open()) == 1

        await pilot.press("S")
        await wait_for(pilot, lambda: "A series needs one provider" in screen_text(app))
        book.query_one("#provider").value = clinic["dr"]
        await pilot.press("S")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "SeriesForm")
        app.screen.query_one("#first").value = (app.service.today() + timedelta(days=1)).isoformat()
        app.screen.query_one("#count").value = "3"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Booked a series of 3" in screen_text(app))
    app.service.close()
    conn = sqlite3.connect(db_path)
    assert (
        conn.execute(
            "SELECT count(*) FROM appointment a JOIN appointment_booking b "
            "ON b.appointment_id = a.id WHERE b.series_id IS NOT NULL"
        ).fetchone()[0]
        == 3
    )


async def test_hours_and_leave_are_managed_from_the_app(db_path, clinic):
    app = make_app(db_path)
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        await pilot.press("f4")
        await wait_for(pilot, lambda: _book(app) is not None)
        _book(app).query_one("#provider").value = clinic["dr"]
        await pilot.press("h")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ScheduleScreen")
        monday = app.screen.query_one("#d-mon")
        monday.value = "12:00-09:00"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "end before start" in screen_text(app))
        monday.value = "nonsense"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "must look like 08:00-12:00" in screen_text(app))
        assert monday.value == "nonsense"  # what was typed stays
        monday.value = "08:00-12:00, 13:00-17:00"
        await pilot.press("ctrl+s")
        await wait_for(
            pilot,
            lambda: (
                json.loads(
                    sqlite3.connect(db_path)
                    .execute("SELECT schedule_json FROM provider")
                    .fetchone()[0]
                )["mon"]
                == [["08:00", "12:00"], ["13:00", "17:00"]]
            ),
        )
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ExceptionForm")
        app.screen.query_one("#reason").value = "Annual leave"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Annual leave" in screen_text(app))
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: "Remove this leave or closure" in screen_text(app))
        await pilot.press("y")
        await wait_for(pilot, lambda: "Annual leave" not in screen_text(app))
    app.service.close()
