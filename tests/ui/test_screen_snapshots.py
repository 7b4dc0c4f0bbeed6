"""Every screen at 80x24 (snapshots): nothing essential cut off.

Same frozen clinic as the queue snapshots; update with `uv run pytest --snapshot-update`.
"""

from __future__ import annotations

import json
import sqlite3

from tests.conftest import wait_for
from tests.ui.test_queue_snapshots import NOW, _app, fixed_day  # noqa: F401 (fixture)

WEEK = {
    d: [["08:00", "12:00"], ["13:00", "17:00"]]
    for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}


def _searched(text):
    async def run_before(pilot):
        await pilot.press("f3", *text)
        search = pilot.app.screen.query_one("PatientSearch")
        await wait_for(pilot, lambda: search.hits and search.query_text == text)

    return run_before


def test_lookup_80x24(snap_compare, fixed_day):  # noqa: F811
    assert snap_compare(_app(fixed_day), terminal_size=(80, 24), run_before=_searched("lov"))


def test_patient_card_80x24(snap_compare, fixed_day):  # noqa: F811
    async def run_before(pilot):
        await _searched("lovelace")(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "PatientScreen")

    assert snap_compare(_app(fixed_day), terminal_size=(80, 24), run_before=run_before)


def test_patient_form_80x24(snap_compare, fixed_day):  # noqa: F811
    async def run_before(pilot):
        await _searched("lovelace")(pilot)
        await pilot.press("enter", "e")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "PatientFormScreen")

    assert snap_compare(_app(fixed_day), terminal_size=(80, 24), run_before=run_before)


def test_book_80x24(snap_compare, fixed_day):  # noqa: F811
    conn = sqlite3.connect(fixed_day)
    conn.execute("UPDATE provider SET schedule_json = ?", (json.dumps(WEEK),))
    conn.commit()
    conn.close()

    async def run_before(pilot):
        await pilot.press("f4")
        await wait_for(
            pilot,
            lambda: type(pilot.app.screen).__name__ == "BookScreen" and pilot.app.screen.slots,
        )

    assert snap_compare(_app(fixed_day), terminal_size=(80, 24), run_before=run_before)
