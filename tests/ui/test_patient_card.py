"""Patient card, edit with field validation, registration with duplicates, merge."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import pytest

from tests.conftest import wait_for
from tests.ui.helpers import make_app, screen_text


@pytest.fixture
def people(builder, db_path):
    dr = builder.provider("Dr Okafor")
    ada = builder.patient(
        "Ada", "Lovelace", record_number="MRN1", dob=date(1980, 3, 14), phone="+16172531000"
    )
    dup = builder.patient("Ada", "Lovelace", record_number="MRN2", dob=date(1980, 3, 14))
    builder.appointment(ada, dr, start=builder.now + timedelta(minutes=10))
    builder.appointment(dup, dr, start=builder.now + timedelta(days=2))
    return {"ada": ada, "dup": dup, "dr": dr}


def _field(app, name):
    return app.screen.query_one(f"#f-{name}")


async def _open_card_from_queue(pilot, app):
    await pilot.press("enter")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "PatientScreen")


async def test_enter_on_queue_opens_the_card(db_path, people):
    app = make_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_card_from_queue(pilot, app)
        text = screen_text(app)
        assert "LOVELACE, Ada" in text and "MRN1" in text and "(617) 253-1000" in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "QueueScreen")
    app.service.close()


async def test_edit_and_ctrl_s_persists(db_path, people):
    app = make_app(db_path, date_order="DMY")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open_card_from_queue(pilot, app)
        await pilot.press("e")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PatientFormScreen")
        _field(app, "preferred_name").value = "Addie"
        _field(app, "dob").value = "15/03/1980"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PatientScreen")
        await wait_for(pilot, lambda: "(Addie)" in screen_text(app))
    app.service.close()
    conn = sqlite3.connect(db_path)
    row = conn.execute(
        "SELECT preferred_name, dob, version FROM patient WHERE id = ?", (people["ada"],)
    ).fetchone()
    assert row == ("Addie", "1980-03-15", 2)
    assert conn.execute("SELECT name FROM outbox").fetchall() == [("update_patient",)]


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("dob", "31/02/1980", "Date of birth must be a date"),
        ("dob", "01/01/2999", "cannot be in the future"),
        ("phone", "12345", "not valid"),
        ("family_name", "", "Required"),
    ],
)
async def test_bad_input_shows_at_the_field_and_keeps_what_was_typed(
    db_path, people, field, typed, message
):
    app = make_app(db_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open_card_from_queue(pilot, app)
        await pilot.press("e")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PatientFormScreen")
        _field(app, field).value = typed
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: message in str(app.screen.query_one(f"#e-{field}").render()))
        assert type(app.screen).__name__ == "PatientFormScreen"
        assert _field(app, field).value == typed
        assert app.screen.focused is _field(app, field)
    app.service.close()
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0


async def test_escape_with_changes_asks_before_discarding(db_path, people):
    app = make_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_card_from_queue(pilot, app)
        await pilot.press("e")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PatientFormScreen")
        await pilot.press("end", *"x", "escape")
        await wait_for(pilot, lambda: "Discard the changes" in screen_text(app))
        await pilot.press("n")
        await pilot.pause()
        assert _field(app, "family_name").value == "Lovelacex"
        await pilot.press("escape", "y")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PatientScreen")
    app.service.close()


async def test_register_shows_duplicates_and_create_anyway_is_recorded(db_path, people):
    app = make_app(db_path)
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        await pilot.press("f3")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "LookupScreen")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PatientFormScreen")
        _field(app, "family_name").value = "Lovelace"
        _field(app, "given_name").value = "Ada"
        _field(app, "dob").value = "1980-03-14"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "DuplicatesScreen")
        text = screen_text(app)
        assert "MRN1" in text and "MRN2" in text
        await pilot.press("c")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PatientScreen")
        assert "created despite 2 possible duplicate" in screen_text(app)
    app.service.close()
    conn = sqlite3.connect(db_path)
    assert (
        conn.execute("SELECT count(*) FROM patient WHERE family_name = 'Lovelace'").fetchone()[0]
        == 3
    )


async def test_register_use_existing_creates_nothing(db_path, people):
    app = make_app(db_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f3")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "LookupScreen")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PatientFormScreen")
        _field(app, "family_name").value = "Lovelace"
        _field(app, "given_name").value = "Ada"
        _field(app, "phone").value = "617-253-1000"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "DuplicatesScreen")
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PatientScreen")
        assert "MRN1" in screen_text(app)
    app.service.close()
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0


async def test_merge_moves_appointments_and_shows_in_history(db_path, people):
    app = make_app(db_path)
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        await _open_card_from_queue(pilot, app)
        await pilot.press("m")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PickPatientScreen")
        await pilot.press(*"MRN2")
        await wait_for(pilot, lambda: "MRN2" in screen_text(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Merge these two records" in screen_text(app))
        assert "merged away  MRN2" in screen_text(app) and "survives     MRN1" in screen_text(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: "Merged in record MRN2" in screen_text(app))
        assert "1 appointment(s) moved" in screen_text(app)
    app.service.close()
    conn = sqlite3.connect(db_path)
    assert (
        conn.execute("SELECT merged_into FROM patient WHERE id = ?", (people["dup"],)).fetchone()[0]
        == people["ada"]
    )
    assert (
        conn.execute(
            "SELECT count(*) FROM appointment WHERE patient_id = ?", (people["ada"],)
        ).fetchone()[0]
        == 2
    )


async def test_a_store_change_while_a_card_is_being_built_is_not_an_error(db_path, people):
    """Seen under load: another process committed just as a card was pushed; the app told
    the card before its widgets existed (NoMatches '#identity').  A screen still being
    built reads the store in its own on_mount instead."""
    from coordtui.screens.patient import PatientScreen

    app = make_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(PatientScreen(people["ada"]))
        app.store_changed()  # at once: the card is on the stack, not yet mounted
        await wait_for(pilot, lambda: "LOVELACE, Ada" in screen_text(app))
    app.service.close()
