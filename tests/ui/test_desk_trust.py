"""Issue 10: a desk you can trust.  Each reproduction of the issue, pressed with real keys.

The clinic is small and exact; the clock is frozen at 12:00 in New York so the
tests mean the same at any hour in any zone.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest

from coordtui.service import Service
from tests.builders import StoreBuilder
from tests.conftest import wait_for
from tests.contracts import assert_refusal_keeps_work
from tests.ui.helpers import make_app, screen_text, table

NOW = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)  # Friday 12:00 in New York


def _screen(app) -> str:
    return type(app.screen).__name__


@pytest.fixture
def desk(tmp_path):
    path = tmp_path / "desk.db"
    b = StoreBuilder(path, zone="America/New_York")
    b.now = NOW - timedelta(days=30)
    okafor = b.provider("Dr Okafor")
    ada = b.patient(
        "Ada", "Lovelace", record_number="MRN1", phone="+13055550131", dob=date(1980, 3, 14)
    )
    john_a = b.patient(
        "John", "Smith", record_number="MRN-A", phone="+16175550137", dob=date(1978, 3, 14)
    )
    john_b = b.patient(
        "John", "Smith", record_number="MRN-B", phone="+12015550199", dob=date(1978, 3, 14)
    )
    visit = b.appointment(ada, okafor, start=NOW + timedelta(minutes=30))
    b.appointment(john_a, okafor, start=NOW + timedelta(days=1))  # tomorrow's
    b.close()
    return {
        "path": path,
        "okafor": okafor,
        "ada": ada,
        "john_a": john_a,
        "john_b": john_b,
        "visit": visit,
    }


def _app(desk, **config):
    return make_app(desk["path"], clock=lambda: NOW, **config)


def _rows(path, sql, *params):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


# ------------------------------------------------------------ 2. call direction


async def test_call_direction_saved_is_the_direction_shown(desk):
    app = _app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await wait_for(pilot, lambda: _screen(app) == "LogCallScreen")
        assert "inbound (they called)" in screen_text(app)
        assert "outbound" not in screen_text(app)
        await pilot.press("5", "ctrl+s")  # wrong number, as shown: inbound
        await wait_for(pilot, lambda: _screen(app) == "QueueScreen")
        await pilot.press("c")
        await wait_for(pilot, lambda: _screen(app) == "LogCallScreen")
        await pilot.press("ctrl+o")
        assert "outbound (we called)" in screen_text(app)
        assert "inbound" not in screen_text(app)
        await pilot.press("5", "ctrl+s")  # chosen by hand: stays outbound
        await wait_for(pilot, lambda: _screen(app) == "QueueScreen")
        await pilot.press("c", "3")  # a message left: we called, says the dialog
        await wait_for(pilot, lambda: "outbound (we called)" in screen_text(app))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: _screen(app) == "QueueScreen")
        await pilot.press("f5")
        await wait_for(pilot, lambda: _screen(app) == "CallsScreen")
        await wait_for(pilot, lambda: len(app.screen.calls) == 3)
    app.service.close()
    stored = _rows(desk["path"], "SELECT direction FROM call_note ORDER BY at, mutation_id")
    assert [d for (d,) in stored] == ["in", "out", "out"]


# ------------------------------------------------------- 3. a refused save keeps the work


async def test_refused_callback_keeps_the_dialog_and_what_was_typed(desk):
    app = _app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c", "2")  # callback needed: a note is required
        await wait_for(pilot, lambda: _screen(app) == "LogCallScreen")
        dialog = app.screen
        dialog.query_one("#who_name").focus()
        await pilot.press(*"daughter Ana", "ctrl+s")
        await assert_refusal_keeps_work(
            pilot,
            dialog,
            {"who_name": "daughter Ana"},
            "Say what the callback is about",
            field="note",
        )
        await pilot.press(*"results are in", "ctrl+s")
        await wait_for(pilot, lambda: _screen(app) == "QueueScreen")
    app.service.close()
    stored = _rows(desk["path"], "SELECT who_name, note, outcome FROM call_note")
    assert stored == [("daughter Ana", "results are in", "callback needed")]
    assert _rows(desk["path"], "SELECT count(*) FROM callback") == [(1,)]


# ------------------------------------------------------------------ 6. walk-in


async def test_walk_in_in_four_keys_with_the_only_provider(desk):
    app = _app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("w")
        await wait_for(pilot, lambda: _screen(app) == "WalkInScreen")
        await pilot.press(*"lovelace")
        await wait_for(pilot, lambda: app.screen.results)
        await pilot.press("enter", "enter")  # the first match; no reason needed
        await wait_for(pilot, lambda: any(r.kind == "walk_in" for r in table(app).items))
        walk = next(r for r in table(app).items if r.kind == "walk_in")
        assert (walk.patient_id, walk.provider_id) == (desk["ada"], desk["okafor"])
        assert table(app).selected.id == walk.id, "the cursor goes to the new walk-in"
    app.service.close()


async def test_walk_in_names_the_chosen_patient_in_full(desk):
    app = _app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("w", *"smith john")
        await wait_for(
            pilot, lambda: _screen(app) == "WalkInScreen" and len(app.screen.results) == 2
        )
        await pilot.press("down", "down", "enter")  # the second John Smith
        await pilot.pause()
        shown = screen_text(app)
        chosen = app.screen.chosen
        other = "MRN-A" if chosen.record_number == "MRN-B" else "MRN-B"
        assert f"✓ Smith, John  1978-03-14 (48y)  {chosen.record_number}" in shown
        assert other not in shown
    app.service.close()


async def test_walk_in_takes_the_provider_filter(tmp_path):
    path = tmp_path / "two.db"
    b = StoreBuilder(path, zone="America/New_York")
    b.now = NOW - timedelta(days=3)
    b.provider("Dr Okafor")
    lin = b.provider("Dr Lin")
    b.patient("Ada", "Lovelace", record_number="MRN1")
    b.close()
    app = make_app(path, clock=lambda: NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        while app.screen.provider_filter != lin:
            await pilot.press("p")
        await pilot.press("w", *"lovel")
        await wait_for(pilot, lambda: _screen(app) == "WalkInScreen" and app.screen.results)
        await pilot.press("enter", "enter")
        await wait_for(pilot, lambda: _screen(app) == "QueueScreen" and table(app).items)
        assert table(app).items[0].provider_id == lin
    app.service.close()


# --------------------------------------------------------------- 7. navigation


async def test_f2_shows_the_queue_not_a_card_left_open(desk):
    app = _app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: _screen(app) == "PatientScreen")
        await pilot.press("f3")
        await wait_for(pilot, lambda: _screen(app) == "LookupScreen")
        await pilot.press("f2")
        await wait_for(pilot, lambda: _screen(app) == "QueueScreen")
        await pilot.press("enter")
        await wait_for(pilot, lambda: _screen(app) == "PatientScreen")
        await pilot.press("f2")  # from the card itself too
        await wait_for(pilot, lambda: _screen(app) == "QueueScreen")
    app.service.close()


async def test_printable_keys_in_a_form_never_navigate_away(desk):
    app = _app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: _screen(app) == "PatientScreen")
        await pilot.press("e")
        await wait_for(pilot, lambda: _screen(app) == "PatientFormScreen")
        form = app.screen
        form.query_one("#f-sex").focus()
        await pilot.press("2", "slash", "1", "question_mark")
        await pilot.pause(0.2)
        assert app.screen is form and app.current_mode == "queue"
        form.query_one("#f-interpreter_needed").focus()  # a checkbox
        await pilot.press("3", "slash")
        await pilot.pause(0.2)
        assert app.screen is form
        await pilot.press("f3")  # F-keys still work ...
        await wait_for(pilot, lambda: _screen(app) == "LookupScreen")
        await pilot.press("f2")  # ... and nothing typed: the queue itself
        await wait_for(pilot, lambda: _screen(app) == "QueueScreen")
    app.service.close()


async def test_a_form_with_unsaved_typing_is_where_f2_comes_back_to(desk):
    app = _app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: _screen(app) == "PatientScreen")
        await pilot.press("e")
        await wait_for(pilot, lambda: _screen(app) == "PatientFormScreen")
        app.screen.query_one("#f-email").focus()
        await pilot.press(*"ada@example.org", "f3")
        await wait_for(pilot, lambda: _screen(app) == "LookupScreen")
        await pilot.press("f2")
        await wait_for(pilot, lambda: _screen(app) == "PatientFormScreen")
        assert app.screen.query_one("#f-email").value == "ada@example.org"
    app.service.close()


# --------------------------------------------------------------- 8. stale data


async def test_open_card_shows_a_change_made_elsewhere(desk):
    app = _app(desk)
    other = Service(desk["path"], actor="desk2", clock=lambda: NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: _screen(app) == "PatientScreen")
        await wait_for(pilot, lambda: "(305) 555-0131" in screen_text(app))
        record = other.patient(desk["ada"])
        other.update_patient(desk["ada"], record.base_version, {"phone": "+13055550177"})
        await wait_for(pilot, lambda: "(305) 555-0177" in screen_text(app))
        assert "(305) 555-0131" not in screen_text(app)
    other.close()
    app.service.close()


# ------------------------------------------------------------ 10. small but visible


async def test_greyed_status_keys_and_why(desk):
    app = _app(desk)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("l")  # booked cannot be "left without being seen"
        await wait_for(pilot, lambda: "Booked cannot become Left" in screen_text(app))
        assert _screen(app) == "QueueScreen"  # no y/n asked for something refused
        await pilot.press("f1")
        await wait_for(pilot, lambda: _screen(app) == "HelpScreen")
        keys = app.screen.query_one("#keys")
        index = next(i for i, e in enumerate(keys.items) if e.binding_id == "queue.left")
        await pilot.press(*["down"] * index)  # the greyed key says why when highlighted
        await wait_for(pilot, lambda: "l not now: Booked cannot become Left" in screen_text(app))
    app.service.close()


async def test_book_help_lists_book_keys_only(desk):
    app = _app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        await wait_for(pilot, lambda: _screen(app) == "BookScreen")
        await pilot.press("f1")
        await wait_for(pilot, lambda: _screen(app) == "HelpScreen")
        entries = app.screen.entries
        shown = [e.description for e in entries]
        assert "Book" in shown and "Move" in shown
        assert not any("Scroll" in d or "Copy" in d for d in shown)
        assert [e.keys for e in entries].count("^p") + [e.keys for e in entries].count(
            "ctrl+p"
        ) == 1
        assert "u undoes" not in " ".join(app.screen.notes)  # the queue's notes are the queue's
    app.service.close()


async def test_dialog_wording_fits_what_it_does(desk):
    app = _app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("o")
        await wait_for(pilot, lambda: _screen(app) == "ReasonScreen")
        text = screen_text(app)
        assert "Hand-off note" in text and "reason" not in text.lower()
        assert "Lovelace, Ada · Fri 27 Nov 12:30" in text and "Dr Okafor" in text
        await pilot.press("escape", "x")
        await wait_for(pilot, lambda: _screen(app) == "ReasonScreen")
        text = screen_text(app)
        assert "Esc = cancel" not in text and "Esc = keep it" in text
        await pilot.press("escape")
    app.service.close()


async def test_reminders_say_who_was_called_and_how(tmp_path):
    from tests.ui.snapshot_clinic import NOW as FROZEN
    from tests.ui.snapshot_clinic import build

    path = tmp_path / "clinic.db"
    build(path)
    app = make_app(path, clock=lambda: FROZEN)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        await wait_for(pilot, lambda: _screen(app) == "CallsScreen")
        await pilot.press("R")
        await wait_for(pilot, lambda: _screen(app) == "RemindersScreen" and app.screen.rows)
        first = app.screen.rows[0]
        await pilot.press("r")
        await wait_for(pilot, lambda: "✓ reached" in screen_text(app))
        assert "True" not in screen_text(app) and "1 of 3 called" in screen_text(app)
        assert app.screen.query_one("#list").selected.appointment_id == first.appointment_id
    app.service.close()


async def test_no_arrival_for_another_days_visit_nor_a_no_show_before_its_time(desk):
    """Found trying the app: tomorrow's visit could be checked in today."""
    path = desk["path"]
    app = _app(desk)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("n")  # Ada's visit is at 12:30, it is 12:00
        await wait_for(pilot, lambda: "No-show only once the visit's time" in screen_text(app))
        assert _screen(app) == "QueueScreen"
        await pilot.press("right_square_bracket")
        await wait_for(
            pilot, lambda: table(app).items and table(app).items[0].patient_id == desk["john_a"]
        )
        await pilot.press("a")
        await wait_for(
            pilot,
            lambda: "(it is tomorrow)" in screen_text(app),  # in a toast: it may wrap
        )
        assert table(app).selected.status == "booked" and _screen(app) == "QueueScreen"
    app.service.close()
    assert _rows(path, "SELECT count(*) FROM outbox") == [(0,)]


async def test_escape_with_typing_asks_before_throwing_it_away(desk):
    """Found trying the app: Esc in the call dialog dropped a typed note without a word."""
    app = _app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c", "1", *"asked about parking", "escape")
        await wait_for(pilot, lambda: "Discard what you typed?" in screen_text(app))
        await pilot.press("n")  # no: back to the dialog, the note as typed
        await wait_for(pilot, lambda: _screen(app) == "LogCallScreen")
        assert app.screen.query_one("#note").value == "asked about parking"
        await pilot.press("escape", "y")
        await wait_for(pilot, lambda: _screen(app) == "QueueScreen")
        await pilot.press("c", "escape")  # nothing typed: leaves at once
        await wait_for(pilot, lambda: _screen(app) == "QueueScreen")
    app.service.close()
    assert _rows(desk["path"], "SELECT count(*) FROM call_note") == [(0,)]


async def test_quit_with_an_unsaved_form_asks_first(desk):
    app = _app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3", "ctrl+n")
        await wait_for(pilot, lambda: _screen(app) == "PatientFormScreen")
        await pilot.press(*"Newperson", "ctrl+q")
        await wait_for(pilot, lambda: "Quit? What you typed is not saved." in screen_text(app))
        await pilot.press("n")
        await wait_for(pilot, lambda: _screen(app) == "PatientFormScreen")
        assert app.screen.query_one("#f-family_name").value == "Newperson"
        assert app.is_running
    app.service.close()


async def test_a_common_choice_adds_to_what_was_typed(desk):
    """Found trying the app: typing, then picking a common choice, saved only the choice."""
    app = _app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("o", *"Patient anxious,", "down", "down", "enter")
        await wait_for(pilot, lambda: _screen(app) == "ReasonScreen")
        box = app.screen.query_one("#reason")
        await wait_for(pilot, lambda: box.value == "Patient anxious, Wheelchair")
        assert app.focused is box
        await pilot.press("enter")
        await wait_for(pilot, lambda: _screen(app) == "QueueScreen")
    app.service.close()
    assert _rows(desk["path"], "SELECT note FROM hand_off") == [("Patient anxious, Wheelchair",)]


async def test_snooze_moves_a_callback_later_even_before_it_is_due(desk):
    """Found trying the app: snoozing a callback due in an hour said "Snoozed" and changed
    nothing (it was put off to 30 minutes from now, before its due time)."""
    service = Service(desk["path"], actor="desk1", clock=lambda: NOW)
    service.log_call(
        desk["ada"], "in", "patient", "", "Results", "callback needed", "results",
        callback_due=NOW + timedelta(hours=2),
    )  # fmt: skip
    service.close()
    app = _app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        await wait_for(pilot, lambda: _screen(app) == "CallsScreen" and app.screen.callbacks)
        assert "Fri 14:00" in screen_text(app)
        await pilot.press("z")
        await wait_for(pilot, lambda: "Fri 14:30" in screen_text(app))
        assert "Snoozed to Fri 14:30." in screen_text(app)
    app.service.close()
