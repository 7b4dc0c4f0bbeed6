"""Contract 1 (selection) for every list of the app, at 80x24 and 160x48.

One clinic with forty of everything (lookup results, free slots, callbacks, the
call log, reminder calls, recalls, the waitlist, conflicts, leave, duplicates);
each list is checked by ``tests.contracts.check_selection``: the highlighted
row is on screen after start-up, End, Home, PageDown and 25 Downs, and stays on
its record (or its neighbour) after a write and after another desk's change.
The queue and the Book grid have their own modules (test_selection_contract,
test_book_selection).  The clock is frozen: the same at any hour.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest

from coordtui.domain.days import db_text
from coordtui.service import Service
from tests.builders import ALL_DAY, StoreBuilder
from tests.conftest import wait_for
from tests.contracts import check_selection
from tests.ui.helpers import make_app, screen_text

NOW = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
SIZES = [(80, 24), (160, 48)]
MANY = 40


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """Built once: each test copies the file (the app writes to it)."""
    path = tmp_path_factory.mktemp("lists") / "template.db"
    b = StoreBuilder(path)
    b.now = NOW - timedelta(days=30)
    dr = b.provider("Dr Okafor", hours=ALL_DAY)
    people = [
        b.patient(f"Given{i:02d}", f"Smith{i:02d}", record_number=f"R{i:03d}",
                  dob=date(1970, 1, 1) + timedelta(days=i), phone=f"+1617555{i:04d}")
        for i in range(MANY)
    ]  # fmt: skip
    for i, pat in enumerate(people):  # tomorrow's visits: the reminder calls
        b.appointment(pat, dr, start=NOW + timedelta(days=1, minutes=10 * i))
    b.close()
    service = Service(path, actor="desk1", clock=lambda: NOW)
    try:
        for i, pat in enumerate(people):
            service.log_call(pat, "in", "patient", "", "Results", "resolved", f"note {i}")
            service.log_call(
                pat, "in", "patient", "", "Results", "callback needed", f"call back {i}",
                callback_due=NOW + timedelta(minutes=5 * i),
            )  # fmt: skip
            service.set_recall(pat, NOW.date() + timedelta(days=i % 14), f"review {i}")
            service.waitlist_add(
                pat, "Consultation", None, NOW.date(), NOW.date() + timedelta(days=30 + i)
            )
            service.add_schedule_exception(
                dr, NOW.date() + timedelta(days=2 + i), reason=f"leave {i}"
            )
    finally:
        service.close()
    conn = sqlite3.connect(path)
    for i, pat in enumerate(people):  # refused bookings, as a sync would leave them
        conn.execute(
            "INSERT INTO sync_conflict (mutation_id, name, args, reason, detail, client_time, "
            "actor, recorded_at, resolution) VALUES (?, 'book_appointment', ?, ?, '{}', ?, "
            "'desk2', ?, '')",
            (
                1000 + i,
                json.dumps({"patient_id": pat, "provider_id": dr, "type": "Consultation",
                            "start": (NOW + timedelta(hours=1, minutes=i)).isoformat()}),
                "Dr Okafor is already booked at that time.",
                db_text(NOW - timedelta(minutes=i)),
                db_text(NOW),
            ),
        )  # fmt: skip
    conn.commit()
    conn.close()
    return {"path": path, "people": people, "dr": dr}


@pytest.fixture
def clinic(template, tmp_path):
    path = tmp_path / "clinic.db"
    src = sqlite3.connect(template["path"])
    dst = sqlite3.connect(path)
    src.backup(dst)
    src.close()
    dst.close()
    return {**template, "path": path}


def _other_desk_commits(path) -> None:
    """Another process on the same file commits something unrelated to the lists."""
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('test_touch', ?)",
        (datetime.now(UTC).isoformat(),),
    )
    conn.commit()
    conn.close()


def refresh_by_other_desk(path):
    async def refresh(pilot) -> None:
        seen = pilot.app._store_version
        _other_desk_commits(path)
        await wait_for(pilot, lambda: pilot.app._store_version != seen)  # noticed: reloading
        await pilot.pause(0.3)

    return refresh


async def _open(pilot, *keys: str, screen: str, ready) -> None:
    await pilot.press(*keys)
    await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == screen and ready(pilot.app))


def _table(app, selector: str):
    return app.screen.query_one(selector)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
async def test_callbacks(clinic, size):
    app = make_app(clinic["path"], clock=lambda: NOW)

    async def write(pilot) -> None:  # snooze: the callback moves down the list, the cursor too
        cb = _table(app, "#callbacks").selected
        await pilot.press("z")
        await wait_for(pilot, lambda: "Snoozed" in screen_text(app))
        await wait_for(pilot, lambda: _table(app, "#callbacks").selected.due_at != cb.due_at)

    async with app.run_test(size=size) as pilot:
        await _open(
            pilot, "f5", screen="CallsScreen", ready=lambda a: len(a.screen.callbacks) >= 30
        )
        await pilot.press("down", "down")
        await check_selection(
            pilot, lambda: _table(app, "#callbacks"), key=lambda c: c.id,
            label=lambda c: f"{c.family_name}, {c.given_name}", write=write,
            refresh=refresh_by_other_desk(clinic["path"]),
        )  # fmt: skip
    app.service.close()


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
async def test_call_log(clinic, size):
    app = make_app(clinic["path"], clock=lambda: NOW)

    async def write(pilot) -> None:  # an amendment adds a row; the cursor keeps the original
        count = len(app.screen.calls)
        await pilot.press("m")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ReasonScreen")
        await pilot.press(*"correction", "enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CallsScreen")
        await wait_for(pilot, lambda: len(app.screen.calls) == count + 1)

    async with app.run_test(size=size) as pilot:
        await _open(pilot, "f5", screen="CallsScreen", ready=lambda a: len(a.screen.calls) >= 30)
        await pilot.press("tab")
        assert app.focused is _table(app, "#log")
        await check_selection(
            pilot, lambda: _table(app, "#log"), key=lambda c: c.id,
            label=lambda c: f"{c.family_name}, {c.given_name}", write=write,
            refresh=refresh_by_other_desk(clinic["path"]),
        )  # fmt: skip
    app.service.close()


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
async def test_reminders(clinic, size):
    app = make_app(clinic["path"], clock=lambda: NOW)

    async def write(pilot) -> None:
        row = _table(app, "#list").selected
        await pilot.press("r")
        await wait_for(
            pilot,
            lambda: any(r.reminded for r in app.screen.rows if r.appointment_id == row.appointment_id),
        )  # fmt: skip

    async with app.run_test(size=size) as pilot:
        await _open(pilot, "f5", screen="CallsScreen", ready=lambda a: a.screen.calls)
        await _open(pilot, "R", screen="RemindersScreen", ready=lambda a: len(a.screen.rows) >= 30)
        await check_selection(
            pilot, lambda: _table(app, "#list"), key=lambda r: r.appointment_id,
            label=lambda r: f"{r.family_name}, {r.given_name}", write=write,
            refresh=refresh_by_other_desk(clinic["path"]),
        )  # fmt: skip
    app.service.close()


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
async def test_recalls(clinic, size):
    app = make_app(clinic["path"], clock=lambda: NOW)

    async def write(pilot) -> None:  # closing one takes it off: the cursor goes to its neighbour
        count = len(app.screen.rows)
        await pilot.press("x", "y")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "RecallsScreen")
        await wait_for(pilot, lambda: len(app.screen.rows) == count - 1)

    async with app.run_test(size=size) as pilot:
        await _open(pilot, "f5", screen="CallsScreen", ready=lambda a: a.screen.calls)
        await _open(pilot, "L", screen="RecallsScreen", ready=lambda a: len(a.screen.rows) >= 30)
        await check_selection(
            pilot, lambda: _table(app, "#recalls"), key=lambda r: r.id,
            label=lambda r: f"{r.family_name}, {r.given_name}", write=write,
            refresh=refresh_by_other_desk(clinic["path"]),
        )  # fmt: skip
    app.service.close()


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
async def test_waitlist(clinic, size):
    app = make_app(clinic["path"], clock=lambda: NOW)

    async def write(pilot) -> None:
        count = len(app.screen.rows)
        await pilot.press("x", "down", "enter")  # a common reason
        await wait_for(pilot, lambda: type(app.screen).__name__ == "WaitlistScreen")
        await wait_for(pilot, lambda: len(app.screen.rows) == count - 1)

    async with app.run_test(size=size) as pilot:
        await _open(pilot, "f4", screen="BookScreen", ready=lambda a: True)
        await _open(pilot, "L", screen="WaitlistScreen", ready=lambda a: len(a.screen.rows) >= 30)
        await check_selection(
            pilot, lambda: _table(app, "#waitlist"), key=lambda r: r.id,
            label=lambda r: f"{r.family_name}, {r.given_name}", write=write,
            refresh=refresh_by_other_desk(clinic["path"]),
        )  # fmt: skip
    app.service.close()


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
async def test_conflicts(clinic, size):
    app = make_app(clinic["path"], clock=lambda: NOW)

    async def write(pilot) -> None:  # accepting resolves it: off the list, to the neighbour
        count = len(app.screen.conflicts)
        await pilot.press("a", "y")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "SyncScreen")
        await wait_for(pilot, lambda: len(app.screen.conflicts) == count - 1)

    async with app.run_test(size=size) as pilot:
        await _open(pilot, "f6", screen="SyncScreen", ready=lambda a: len(a.screen.conflicts) >= 30)
        await check_selection(
            pilot, lambda: _table(app, "#conflicts"), key=lambda c: c.mutation_id,
            label=lambda c: c.label, write=write, refresh=refresh_by_other_desk(clinic["path"]),
        )  # fmt: skip
    app.service.close()


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
async def test_schedule_exceptions(clinic, size):
    app = make_app(clinic["path"], clock=lambda: NOW)

    async def write(pilot) -> None:
        count = len(app.screen.rows)
        await pilot.press("ctrl+r", "y")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ScheduleScreen")
        await wait_for(pilot, lambda: len(app.screen.rows) == count - 1)

    async with app.run_test(size=size) as pilot:
        await _open(pilot, "f4", screen="BookScreen", ready=lambda a: True)
        await pilot.press("g")
        await _open(pilot, "h", screen="ScheduleScreen", ready=lambda a: len(a.screen.rows) >= 30)
        app.screen.query_one("#exceptions").focus()
        await check_selection(
            pilot, lambda: _table(app, "#exceptions"), key=lambda r: r.id,
            label=lambda r: r.first_day.isoformat(), write=write,
            refresh=refresh_by_other_desk(clinic["path"]),
        )  # fmt: skip
    app.service.close()


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
async def test_lookup_results(clinic, size):
    app = make_app(clinic["path"], clock=lambda: NOW)

    async def refresh(pilot) -> None:  # another desk edits a patient on the list
        other = Service(clinic["path"], actor="desk2", clock=lambda: NOW)
        try:
            pid = clinic["people"][0]
            other.update_patient(pid, other.patient(pid).base_version, {"email": "a@b.org"})
        finally:
            other.close()
        await pilot.pause(1.0)

    async with app.run_test(size=size) as pilot:
        await _open(pilot, "f3", *"smith", screen="LookupScreen",
                    ready=lambda a: len(a.screen.query_one("PatientSearch").hits) >= 30)  # fmt: skip
        await pilot.press("down")  # into the results
        await check_selection(
            pilot, lambda: _table(app, "#results"), key=lambda h: h.patient_id,
            label=lambda h: f"{h.family_name}, {h.given_name}", refresh=refresh,
        )  # fmt: skip
    app.service.close()


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
async def test_free_slots(clinic, size):
    app = make_app(clinic["path"], clock=lambda: NOW)

    async def write(pilot) -> None:  # booking takes the slot off the list: the neighbour
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Booked" in screen_text(app))

    async with app.run_test(size=size) as pilot:
        pid = clinic["people"][0]
        await app.book_for(pid, "Given00", "Smith00", "R000")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "BookScreen")
        await wait_for(pilot, lambda: len(app.screen.slots) >= 20)
        await check_selection(
            pilot, lambda: app.screen.table, key=lambda r: (r[1].provider_id, r[1].start),
            label=lambda r: f"{r[1].start.astimezone(UTC):%H:%M}", write=write, min_rows=20,
        )  # fmt: skip
    app.service.close()


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
async def test_duplicates(clinic, size):
    app = make_app(clinic["path"], clock=lambda: NOW)
    async with app.run_test(size=size) as pilot:
        await _open(pilot, "f3", screen="LookupScreen", ready=lambda a: True)
        await _open(pilot, "ctrl+n", screen="PatientFormScreen", ready=lambda a: True)
        # Same DOB and phone as one patient, a family name like all forty.
        form = app.screen
        form.query_one("#f-family_name").value = "Smith05"
        form.query_one("#f-given_name").value = "Given05"
        form.query_one("#f-dob").value = "1970-01-06"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "DuplicatesScreen")
        await check_selection(
            pilot, lambda: app.screen.query_one("#candidates"), key=lambda c: c.patient_id,
            label=lambda c: f"{c.family_name}, {c.given_name}", min_rows=1,
        )  # fmt: skip
    app.service.close()
