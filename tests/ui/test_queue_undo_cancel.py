"""Issue 10, reproduction 5: `x` then `u` brings a cancelled visit back when nobody took
its time since, even if another appointment already overlapped it before the cancel."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from tests.conftest import wait_for
from tests.ui.helpers import make_app, screen_text, table


async def test_x_then_u_restores_a_visit_a_walk_in_overlapped_before_the_cancel(db_path, builder):
    noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    builder.now = noon  # the rows' created_at: before anything the app does
    dr = builder.provider("Dr Okafor")
    ada, bo = builder.patient("Ada", "Lovelace"), builder.patient("Bo", "Diddley")
    booked = builder.appointment(ada, dr, start=noon - timedelta(minutes=5))
    seen = noon - timedelta(minutes=2)  # a walk-in seen in Ada's slot, there first
    builder.appointment(
        bo, dr, start=seen, status="arrived", kind="walk_in", arrived_at=seen, status_since=seen
    )
    app = make_app(db_path, clock=lambda: noon + timedelta(minutes=1))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        assert table(app).selected.id == booked
        await pilot.press("x", "down", "enter")  # cancel, "Patient request"
        await wait_for(pilot, lambda: table(app).rows_by_id[booked].status == "cancelled")
        assert table(app).selected.id == booked
        await pilot.press("u")
        await wait_for(pilot, lambda: table(app).rows_by_id[booked].status == "booked")
        assert "booked again" not in screen_text(app)
    app.service.close()
    conn = sqlite3.connect(db_path)
    names = [r[0] for r in conn.execute("SELECT name FROM outbox ORDER BY mutation_id")]
    assert names == ["set_status", "undo_status"]
    conn.close()
