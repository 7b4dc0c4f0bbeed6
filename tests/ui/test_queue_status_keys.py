"""Acceptance: status keys on the queue, pressed for real, persist across restarts."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from tests.conftest import wait_for
from tests.ui.helpers import make_app, screen_text, table


@pytest.fixture
def one_booked(builder, db_path):
    dr = builder.provider("Dr Okafor")
    pat = builder.patient("Ada", "Lovelace")
    return builder.appointment(pat, dr, start=builder.now - timedelta(minutes=5))


def _status(app, appt):
    return table(app).rows_by_id[appt].status


async def test_arrive_room_done_then_survives_restart(db_path, one_booked):
    app = make_app(db_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        assert table(app).selected.id == one_booked
        await pilot.press("a")
        await wait_for(pilot, lambda: _status(app, one_booked) == "arrived")
        row = table(app).rows_by_id[one_booked]
        assert row.arrived_at is not None
        assert "Arrived" in screen_text(app) and "0m" in screen_text(app)  # a wait shows
        await pilot.press("r")
        await wait_for(pilot, lambda: _status(app, one_booked) == "in_room")
        await pilot.press("d")
        await wait_for(pilot, lambda: _status(app, one_booked) == "done")
    app.service.close()

    again = make_app(db_path)
    async with again.run_test(size=(80, 24), notifications=True) as pilot:
        assert _status(again, one_booked) == "done"
        assert "Done" in screen_text(again)
    again.service.close()


async def test_no_show_asks_for_confirmation(db_path, one_booked):
    app = make_app(db_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("n")
        await pilot.pause()
        assert "Mark no-show" in screen_text(app)
        await pilot.press("n")  # answer no
        await pilot.pause(0.2)
        assert _status(app, one_booked) == "booked"
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("y")
        await wait_for(pilot, lambda: _status(app, one_booked) == "no_show")
    app.service.close()


async def test_cancel_asks_for_a_reason_and_refuses_an_empty_one(db_path, one_booked):
    app = make_app(db_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("x")
        await pilot.pause()
        assert "Cancel this appointment" in screen_text(app)
        await pilot.press("enter")  # nothing typed
        await pilot.pause()
        assert "A reason is required" in screen_text(app)
        await pilot.press(*"flu")
        await pilot.press("enter")
        await wait_for(pilot, lambda: _status(app, one_booked) == "cancelled")
        assert table(app).rows_by_id[one_booked].cancel_reason == "flu"
    app.service.close()


async def test_cancel_by_picking_a_common_reason(db_path, one_booked):
    app = make_app(db_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("x", "down", "enter")
        await wait_for(pilot, lambda: _status(app, one_booked) == "cancelled")
        assert table(app).rows_by_id[one_booked].cancel_reason == "Patient request"
    app.service.close()


async def test_escape_leaves_cancel_without_change(db_path, one_booked):
    app = make_app(db_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("x", *"typo", "escape")  # typed: asks first
        await wait_for(pilot, lambda: "Discard what you typed?" in screen_text(app))
        await pilot.press("y")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "QueueScreen")
        assert _status(app, one_booked) == "booked"
    app.service.close()


async def test_undo_reverts_as_recorded_correction(db_path, one_booked):
    app = make_app(db_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("a")
        await wait_for(pilot, lambda: _status(app, one_booked) == "arrived")
        await pilot.press("u")
        await wait_for(pilot, lambda: _status(app, one_booked) == "booked")
    app.service.close()
    conn = sqlite3.connect(db_path)
    rows = conn.execute(
        "SELECT to_status, corrects FROM status_event WHERE appointment_id = ? ORDER BY mutation_id",
        (one_booked,),
    ).fetchall()
    assert rows[0][0] == "arrived" and rows[1][0] == "booked" and rows[1][1] is not None
    names = [r[0] for r in conn.execute("SELECT name FROM outbox ORDER BY mutation_id")]
    assert names == ["set_status", "undo_status"]


async def test_illegal_transition_is_refused_with_a_message(db_path, builder):
    dr = builder.provider("Dr Okafor")
    pat = builder.patient("Grace", "Hopper")
    appt = builder.appointment(
        pat,
        dr,
        status="done",
        start=builder.now - timedelta(hours=1),
        arrived_at=builder.now - timedelta(hours=1),
        status_since=builder.now - timedelta(minutes=30),
    )
    app = make_app(db_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("a")  # greyed in the footer; pressing it says why, and nothing changes
        await wait_for(pilot, lambda: "Done cannot become Arrived" in screen_text(app))
        assert "u undoes" in screen_text(app)
        assert _status(app, appt) == "done"
    app.service.close()
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
