"""Issue 5 with real keys: set a recall, the recall list (book, close), the day summary."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from coordtui.service import Service
from tests.builders import ALL_DAY
from tests.conftest import wait_for
from tests.ui.helpers import make_app, screen_text

NOW = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)  # a Friday


def _name(app) -> str:
    return type(app.screen).__name__


def _recalls(db_path) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(
            "SELECT patient_id, due_date, reason, status, appointment_id FROM recall"
        ).fetchall()
    finally:
        conn.close()


@pytest.fixture
def clinic(builder, db_path):
    dr = builder.provider("Dr Okafor", hours=ALL_DAY)
    ada = builder.patient("Ada", "Lovelace", record_number="MRN1", phone="+16172531000")
    visit = builder.appointment(ada, dr, start=builder.now + timedelta(minutes=30))
    return {"dr": dr, "ada": ada, "visit": visit}


def _set_recalls(db_path, *recalls) -> None:
    """(patient_id, days from today, reason) through the real service."""
    service = Service(db_path, actor="desk1")
    try:
        for patient_id, days, reason in recalls:
            service.set_recall(patient_id, service.today() + timedelta(days=days), reason)
    finally:
        service.close()


async def _open_recall_list(pilot, app) -> None:
    await pilot.press("f5")
    await wait_for(pilot, lambda: _name(app) == "CallsScreen")
    await pilot.press("L")
    await wait_for(pilot, lambda: _name(app) == "RecallsScreen")


async def test_recall_from_the_card_bad_date_then_listed(db_path, clinic):
    app = make_app(db_path)
    async with app.run_test(size=(100, 36), notifications=True) as pilot:
        await pilot.press("enter")  # the queue row's patient card
        await wait_for(pilot, lambda: _name(app) == "PatientScreen")
        await pilot.press("F")
        await wait_for(pilot, lambda: _name(app) == "RecallFormScreen")
        await pilot.press(*"31/02/2027", "tab", *"6-week review", "ctrl+s")
        form = app.screen
        await wait_for(pilot, lambda: "Not a date" in str(form.query_one("#e-due").render()))
        assert form.query_one("#due").value == "31/02/2027"  # what was typed stays
        assert form.focused is form.query_one("#due")
        assert _recalls(db_path) == []

        due = app.service.today() + timedelta(days=10)
        await pilot.press("home", "ctrl+k", *due.strftime("%d/%m/%Y"), "ctrl+s")
        await wait_for(pilot, lambda: _name(app) == "PatientScreen")
        assert f"Recall set for {due:%a %d %b %Y}" in screen_text(app)
        listed = f"Recall due {due:%a %d %b %Y}  6-week review"
        await wait_for(pilot, lambda: listed in screen_text(app))  # the card lists it

        await pilot.press("escape")
        await _open_recall_list(pilot, app)
        await wait_for(pilot, lambda: len(app.screen.rows) == 1)
        text = screen_text(app)
        assert "Lovelace, Ada" in text and "6-week review" in text and "in 10d" in text
    app.service.close()
    assert _recalls(db_path) == [(clinic["ada"], due.isoformat(), "6-week review", "open", None)]


async def test_book_from_the_recall_list_closes_the_recall(db_path, clinic):
    _set_recalls(db_path, (clinic["ada"], -3, "BP check"))
    app = make_app(db_path)
    async with app.run_test(size=(100, 36), notifications=True) as pilot:
        await _open_recall_list(pilot, app)
        await wait_for(pilot, lambda: len(app.screen.rows) == 1)
        assert "3d overdue" in screen_text(app)
        await pilot.press("b")
        await wait_for(pilot, lambda: _name(app) == "BookScreen" and app.screen.patient is not None)
        book = app.screen
        assert book.patient.patient_id == clinic["ada"]
        await wait_for(pilot, lambda: book.slots)
        due = app.service.today() - timedelta(days=3)
        await wait_for(pilot, lambda: "Booking for a recall due" in screen_text(app))
        assert f"Booking for a recall due {due:%a %d %b %Y}" in screen_text(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "The recall is closed." in screen_text(app))
        # closed by the booking itself, while the coordinator is still on Book
        assert _recalls(db_path)[0][3] == "booked"
        assert book.recall_id is None
        await wait_for(pilot, lambda: "Booking for a recall" not in screen_text(app))
        await pilot.press("f5", "L")  # F5 is the Calls screen itself; L its recall list
        await wait_for(pilot, lambda: _name(app) == "RecallsScreen" and app.screen.rows == [])
    app.service.close()
    conn = sqlite3.connect(db_path)
    booked = conn.execute(
        "SELECT id FROM appointment WHERE status = 'booked' AND id != ?", (clinic["visit"],)
    ).fetchall()
    conn.close()
    assert len(booked) == 1
    assert _recalls(db_path)[0][3:] == ("booked", booked[0][0])
    conn = sqlite3.connect(db_path)
    names = [r[0] for r in conn.execute("SELECT name FROM outbox ORDER BY mutation_id")]
    conn.close()
    assert names == ["set_recall", "book_appointment"]  # one action, one transaction


async def test_leaving_book_without_booking_keeps_the_recall(db_path, clinic, builder):
    builder.patient("Bob", "Marley", record_number="MRN2")
    _set_recalls(db_path, (clinic["ada"], 2, "Results"))
    app = make_app(db_path)
    async with app.run_test(size=(100, 36), notifications=True) as pilot:
        await _open_recall_list(pilot, app)
        await wait_for(pilot, lambda: len(app.screen.rows) == 1)
        await pilot.press("b")
        await wait_for(pilot, lambda: _name(app) == "BookScreen" and app.screen.recall_id)
        book = app.screen
        await pilot.press("f5", "L")  # back without booking: the recall stays on the list
        await wait_for(pilot, lambda: _name(app) == "RecallsScreen")
        await wait_for(pilot, lambda: len(app.screen.rows) == 1)
        assert "Lovelace, Ada" in screen_text(app)

        await pilot.press("f4")  # Book again: still for Ada's recall ...
        await wait_for(pilot, lambda: app.screen is book)
        assert book.recall_id is not None
        await pilot.press("P", *"MRN2")  # ... until another patient is chosen
        await wait_for(pilot, lambda: _name(app) == "PickPatientScreen")
        await wait_for(pilot, lambda: "MRN2" in screen_text(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is book and book.patient.given_name == "Bob")
        assert book.recall_id is None
        await wait_for(pilot, lambda: book.slots)
        await pilot.press("enter")  # Bob's booking has nothing to do with Ada's recall
        await wait_for(pilot, lambda: "Booked" in screen_text(app))
        assert "recall" not in screen_text(app).lower()
    app.service.close()
    assert _recalls(db_path)[0][3] == "open"


async def test_close_call_and_horizon_keys_on_the_recall_list(db_path, clinic, builder):
    bob = builder.patient("Bob", "Marley", record_number="MRN2")
    _set_recalls(db_path, (clinic["ada"], 1, "Annual"), (bob, 20, "Later"))
    app = make_app(db_path)
    async with app.run_test(size=(100, 36), notifications=True) as pilot:
        await _open_recall_list(pilot, app)
        screen = app.screen
        await wait_for(pilot, lambda: len(screen.rows) == 1)  # Bob is due after 14 days
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: len(screen.rows) == 2)
        await pilot.press("t")
        await wait_for(pilot, lambda: len(screen.rows) == 1)

        await pilot.press("c", "3", "ctrl+s")  # log a call: left message
        await wait_for(pilot, lambda: "Call logged" in screen_text(app))

        await pilot.press("x")
        await wait_for(pilot, lambda: "off the recall list?" in screen_text(app))
        await pilot.press("y")
        await wait_for(pilot, lambda: "Recall closed." in screen_text(app) and not screen.rows)

        await pilot.press("f1")
        await wait_for(pilot, lambda: _name(app) == "HelpScreen")
        help_text = screen_text(app)
        assert "Close recall" in help_text and "recalls.book" in help_text
    app.service.close()
    statuses = {r[0]: r[3] for r in _recalls(db_path)}
    assert statuses == {clinic["ada"]: "closed", bob: "open"}
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT patient_id, outcome FROM call_note").fetchall() == [
        (clinic["ada"], "left message")
    ]
    conn.close()


async def test_recall_from_a_queue_row_names_the_visit(db_path, clinic):
    app = make_app(db_path)
    async with app.run_test(size=(100, 36), notifications=True) as pilot:
        await pilot.press("F")
        await wait_for(pilot, lambda: _name(app) == "RecallFormScreen")
        await pilot.press("ctrl+s")  # nothing typed
        form = app.screen
        await wait_for(pilot, lambda: "Type the date" in str(form.query_one("#e-due").render()))
        past = app.service.today() - timedelta(days=1)
        await pilot.press(*past.isoformat(), "ctrl+s")
        await wait_for(pilot, lambda: "has passed" in str(form.query_one("#e-due").render()))
        due = app.service.today() + timedelta(days=42)
        await pilot.press("home", "ctrl+k", *due.isoformat(), "enter", "enter")
        await wait_for(pilot, lambda: _name(app) == "QueueScreen")
        await wait_for(pilot, lambda: _recalls(db_path))
    app.service.close()
    assert _recalls(db_path) == [(clinic["ada"], due.isoformat(), "", "open", None)]
    conn = sqlite3.connect(db_path)
    (args,) = conn.execute("SELECT args FROM outbox WHERE name = 'set_recall'").fetchone()
    conn.close()
    assert json.loads(args)["appointment_id"] == clinic["visit"]  # the visit that asked for it


# ------------------------------------------------------------- day summary


@pytest.fixture
def known_day(builder, db_path):
    """Dr Okafor: 2 seen (waits 20 and 10 min), 1 booked, 1 no-show, 1 cancelled; Dr Lin: 1."""
    builder.now = NOW - timedelta(days=1)
    okafor, lin = builder.provider("Dr Okafor"), builder.provider("Dr Lin")
    people = [builder.patient(f"P{i}", f"Person{i}", record_number=f"MRN{i}") for i in range(6)]
    for person, hours, wait in ((people[0], -4, 20), (people[1], -3, 10)):
        start = NOW + timedelta(hours=hours)
        builder.appointment(
            person,
            okafor,
            start=start,
            status="done",
            arrived_at=start,
            finished_at=start + timedelta(minutes=wait),
            status_since=start + timedelta(minutes=wait),
        )
    builder.appointment(people[2], okafor, start=NOW + timedelta(hours=1))
    builder.appointment(people[3], okafor, start=NOW - timedelta(hours=2), status="no_show")
    builder.appointment(
        people[4],
        okafor,
        start=NOW + timedelta(hours=2),
        status="cancelled",
        cancel_reason="Patient request",
    )
    builder.appointment(people[5], lin, start=NOW + timedelta(hours=3))
    service = Service(db_path, actor="desk1", clock=lambda: NOW)
    try:
        service.log_call(people[0], "in", "patient", "", "Results", "resolved", "told results")
        service.log_call(
            people[2],
            "in",
            "patient",
            "",
            "General",
            "callback needed",
            "call back re: time",
            callback_due=NOW + timedelta(hours=1),
        )
    finally:
        service.close()
    return db_path


def _summary_line(app, provider: str) -> list[str]:
    line = next(line for line in screen_text(app).splitlines() if provider in line)
    return line.split(provider, 1)[1].split()


async def test_day_summary_shows_the_days_figures(known_day):
    app = make_app(known_day, clock=lambda: NOW)
    async with app.run_test(size=(100, 36)) as pilot:
        await pilot.press("S")
        await wait_for(pilot, lambda: _name(app) == "DaySummaryScreen" and app.screen.summary)
        text = screen_text(app)
        assert "Day summary for Fri 27 Nov 2026 (today)" in text
        assert _summary_line(app, "Dr Okafor") == ["5", "2", "2", "1", "1", "15m", "20m"]
        assert _summary_line(app, "Dr Lin") == ["1", "0", "0", "0", "0", "-", "-"]
        assert _summary_line(app, "All providers") == ["6", "2", "2", "1", "1", "15m", "20m"]
        assert "Calls logged 2" in text and "Callbacks outstanding 1" in text

        await pilot.press("left_square_bracket")  # the day before: nothing happened
        await wait_for(pilot, lambda: "Thu 26 Nov 2026" in screen_text(app))
        await wait_for(pilot, lambda: "No appointments on this day." in screen_text(app))
        assert "Calls logged 0" in screen_text(app)
        await pilot.press("t")
        await wait_for(pilot, lambda: "Dr Okafor" in screen_text(app))
        await pilot.press("escape")
        await wait_for(pilot, lambda: _name(app) == "QueueScreen")

        await pilot.press("f5")  # also from Calls
        await wait_for(pilot, lambda: _name(app) == "CallsScreen")
        await pilot.press("S")
        await wait_for(pilot, lambda: _name(app) == "DaySummaryScreen" and app.screen.summary)
        assert _summary_line(app, "All providers")[0] == "6"
    app.service.close()


# ---------------------------------------------------------------- 80x24


def _fits(table) -> bool:
    """No sideways scrolling: every column is inside the visible width."""
    return table.max_scroll_x == 0 and table.virtual_size.width <= table.size.width


async def test_screens_fit_80x24(known_day, builder):
    long_name = builder.patient("Maximiliana-Alexandra", "Featherstonehaugh-Wolfeschlegel")
    service = Service(known_day, actor="desk1", clock=lambda: NOW)
    try:
        for i in range(25):  # more rows than fit: the list scrolls down, never sideways
            service.set_recall(
                long_name, NOW.date() + timedelta(days=i - 5), "Reason " + "very long " * 10
            )
    finally:
        service.close()
    conn = sqlite3.connect(known_day)
    conn.execute(
        "UPDATE provider SET short_name = ? WHERE short_name = 'Dr Lin'", ("Dr " + "Lin" * 20,)
    )
    conn.commit()
    conn.close()

    app = make_app(known_day, clock=lambda: NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_recall_list(pilot, app)
        await wait_for(pilot, lambda: len(app.screen.rows) == 20)  # due within 14 days
        table = app.screen.query_one("#recalls")
        await pilot.pause()
        assert _fits(table)
        text = screen_text(app)
        assert "Recalls due by Fri 11 Dec 2026: 20" in text and "!5 overdue" in text
        assert "5d overdue" in text and "Featherstone" in text
        assert "Book" in text.splitlines()[-1] and "Close recall" in text.splitlines()[-1]

        await pilot.press("F")  # nothing: F is not a key of the recall list
        await pilot.press("enter")
        await wait_for(pilot, lambda: _name(app) == "PatientScreen")
        await pilot.press("F")
        await wait_for(pilot, lambda: _name(app) == "RecallFormScreen")
        dialog = app.screen.query_one("#dialog")
        assert dialog.region.right <= 80 and dialog.region.bottom <= 24
        assert "Ctrl+S save" in screen_text(app)
        await pilot.press("escape", "escape", "escape")
        await wait_for(pilot, lambda: _name(app) == "CallsScreen")

        await pilot.press("S")
        await wait_for(pilot, lambda: _name(app) == "DaySummaryScreen" and app.screen.summary)
        await pilot.pause()
        assert _fits(app.screen.query_one("#providers"))
        text = screen_text(app)
        assert "Max wait" in text and "Callbacks outstanding 1" in text
        assert _summary_line(app, "All providers") == ["6", "2", "2", "1", "1", "15m", "20m"]
    app.service.close()
