"""Issue 5 with real keys: log a call from the queue, callback due, mark done, reminders."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import wait_for
from tests.ui.helpers import make_app, screen_text


@pytest.fixture
def day(builder, db_path):
    dr = builder.provider("Dr Okafor")
    ada = builder.patient("Ada", "Lovelace", record_number="MRN1", phone="+16172531000")
    appt = builder.appointment(ada, dr, start=builder.now + timedelta(minutes=30))
    return {"ada": ada, "appt": appt, "dr": dr}


async def test_call_with_callback_from_the_queue_then_done(db_path, day):
    clock = {"now": datetime.now(UTC)}
    app = make_app(db_path, clock=lambda: clock["now"])
    async with app.run_test(size=(100, 36), notifications=True) as pilot:
        await pilot.press("c")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "LogCallScreen")
        await pilot.press("2", *"wants results", "ctrl+s")  # 2 = callback needed
        await wait_for(pilot, lambda: "Call logged" in screen_text(app))

        # the note is on the patient card
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PatientScreen")
        await wait_for(pilot, lambda: "wants results" in screen_text(app))
        await pilot.press("escape")

        # at its due time the callback is under "due now", and the header counts it
        clock["now"] += timedelta(minutes=61)
        await pilot.press("f5")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CallsScreen")
        await wait_for(
            pilot,
            lambda: app.screen.callbacks and app.screen.callbacks[0].state in ("due", "overdue"),
        )
        assert "Lovelace, Ada" in screen_text(app)
        await wait_for(pilot, lambda: "overdue" in screen_text(app))
        await pilot.press("d")
        await wait_for(pilot, lambda: "Callback done" in screen_text(app))
    app.service.close()
    conn = sqlite3.connect(db_path)
    done_by, done_at = conn.execute("SELECT done_by, done_at FROM callback").fetchone()
    assert done_by == "desk1" and done_at is not None


async def test_three_keys_log_a_left_message(db_path, day):
    app = make_app(db_path)
    async with app.run_test(size=(100, 36), notifications=True) as pilot:
        await pilot.press("c", "3", "ctrl+s")
        await wait_for(pilot, lambda: "Call logged" in screen_text(app))
    app.service.close()
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT outcome, appointment_id FROM call_note").fetchone() == (
        "left message",
        day["appt"],
    )


async def test_empty_resolved_note_is_refused_and_markup_is_literal(db_path, day):
    app = make_app(db_path)
    async with app.run_test(size=(100, 36), notifications=True) as pilot:
        await pilot.press("c", "1", "ctrl+s")
        await wait_for(pilot, lambda: "Write what was resolved" in screen_text(app))
        await pilot.press(*"[bold]x[/]", "ctrl+s")  # the dialog stayed, the note has the focus
        await wait_for(pilot, lambda: "Call logged" in screen_text(app))
        await pilot.press("f5")
        await wait_for(pilot, lambda: "[bold]x[/]" in screen_text(app))
    app.service.close()


async def test_hand_off_note_marks_the_queue_row(db_path, day):
    from tests.ui.helpers import table

    app = make_app(db_path)
    async with app.run_test(size=(100, 36), notifications=True) as pilot:
        await pilot.press("o")
        await wait_for(pilot, lambda: "Hand-off note for" in screen_text(app))
        await pilot.press("down", "enter")  # first preset: Needs interpreter
        await wait_for(
            pilot, lambda: table(app).rows_by_id[day["appt"]].hand_off == "Needs interpreter"
        )
        assert "hand-off: Needs interpreter" in screen_text(app)
        assert table(app).cells_at(0)[1].plain.startswith("h")
    app.service.close()
