"""Coverage at check-in (issue 10): `a` on a booked row opens the arrival step, pressed for
real; what the dialog shows is what gets stored; with the check off `a` is one key."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from coordtui.domain.days import parse_db
from coordtui.screens.arrival import ArrivalScreen
from tests.conftest import wait_for
from tests.ui.helpers import make_app, screen_text, table
from tests.ui.snapshot_clinic import NOW

ON = {"coverage_check_days": 30}


def _arrived(app, appt) -> bool:
    """The arrival dialog has closed and the queue shows the visit arrived (the queue is
    not there to read while the dialog is still on top: seen under load)."""
    on_queue = type(app.screen).__name__ == "QueueScreen"
    return on_queue and table(app).rows_by_id[appt].status == "arrived"


def _rows(db_path, sql, params=()):
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@pytest.fixture
def insured(builder, db_path):
    """Ada, booked in 10 minutes, with coverage last verified 40 days ago by desk2."""
    builder.now = NOW - timedelta(days=60)
    dr = builder.provider("Dr Okafor")
    ada = builder.patient(
        "Ada", "Lovelace", payer="Acme Health PPO", member_id="ACM123456789", copay_cents=2500
    )
    builder.coverage_check(ada, NOW - timedelta(days=40), actor="desk2")
    appt = builder.appointment(ada, dr, start=NOW + timedelta(minutes=10))
    return {"patient": ada, "appointment": appt}


def _app(db_path, **config):
    return make_app(db_path, clock=lambda: NOW, user="desk1", **config)


async def _open(pilot, app):
    await pilot.press("a")
    await wait_for(pilot, lambda: isinstance(app.screen, ArrivalScreen))


def _field(app, selector: str) -> str:
    return app.screen.query_one(selector).value


async def test_enter_checks_in_and_stores_the_copay_the_dialog_showed(db_path, insured):
    app = _app(db_path, **ON)
    appt = insured["appointment"]
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        assert table(app).selected.id == appt
        await _open(pilot, app)
        shown = screen_text(app)
        assert "Check in: Lovelace, Ada" in shown and "Dr Okafor" in shown  # names the record
        assert "Acme Health PPO" in shown and "ACM123456789" in shown and "25.00" in shown
        assert "by desk2" in shown and "$ due" in shown
        typed = _field(app, "#amount")
        assert typed == "25.00"  # prefilled with the copay due
        await pilot.press("enter")
        await wait_for(pilot, lambda: _arrived(app, appt))
        assert not isinstance(app.screen, ArrivalScreen)
    app.service.close()
    (payment,) = _rows(
        db_path, "SELECT amount_cents, method, actor, appointment_id, at FROM copay_payment"
    )
    assert payment[:4] == (2500, "cash", "desk1", appt)
    assert parse_db(payment[4]) == NOW
    assert _rows(db_path, "SELECT count(*) FROM coverage_check WHERE actor = 'desk1'") == [(0,)]
    assert [r[0] for r in _rows(db_path, "SELECT name FROM outbox")] == ["check_in"]


async def test_ctrl_t_marks_coverage_verified_and_what_is_stored_is_what_was_shown(
    db_path, insured
):
    app = _app(db_path, **ON)
    appt = insured["appointment"]
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open(pilot, app)
        visit = app.screen.visit
        shown = screen_text(app)
        await pilot.press("ctrl+u", *"30", "tab", "enter")  # 30.00, then open the method list
        await pilot.pause()
        await pilot.press("down", "enter")  # Card
        await wait_for(pilot, lambda: _field(app, "#method") == "card")
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: _arrived(app, appt))
    app.service.close()
    ((payer, member_id, copay, actor, at, visit_id),) = _rows(
        db_path,
        "SELECT payer, member_id, copay_cents, actor, at, appointment_id FROM coverage_check "
        "WHERE actor = 'desk1'",
    )
    assert (payer, member_id, copay) == (visit.payer, visit.member_id, visit.copay_cents)
    assert payer in shown and member_id in shown and "25.00" in shown  # shown = stored
    assert (actor, parse_db(at), visit_id) == ("desk1", NOW, appt)
    assert _rows(db_path, "SELECT amount_cents, method FROM copay_payment") == [(3000, "card")]


async def test_the_queue_flag_shows_until_coverage_is_verified(db_path, insured):
    app = _app(db_path, **ON)
    appt = insured["appointment"]
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        index = list(table(app).rows_by_id).index(appt)
        assert "$" in table(app).cells_at(index)[1].plain  # verified 40 days ago: due
        assert "$ coverage verified 40d ago" in screen_text(app)  # the detail line says why
        await _open(pilot, app)
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: _arrived(app, appt))
        await wait_for(pilot, lambda: "$" not in table(app).cells_at(index)[1].plain)
        assert "$ coverage" not in screen_text(app)  # nor in the detail line
        await pilot.press("enter")  # the patient card says who verified, and when
        await wait_for(pilot, lambda: "Verified today by desk1" in screen_text(app))
    app.service.close()


async def test_with_the_check_off_a_arrives_in_one_key_and_flags_nothing(db_path, insured):
    app = _app(db_path, coverage_check_days=0)
    appt = insured["appointment"]
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        index = list(table(app).rows_by_id).index(appt)
        assert "$" not in table(app).cells_at(index)[1].plain
        await pilot.press("a")
        await wait_for(pilot, lambda: _arrived(app, appt))
        assert not isinstance(app.screen, ArrivalScreen)
    app.service.close()
    assert [r[0] for r in _rows(db_path, "SELECT name FROM outbox")] == ["set_status"]


async def test_a_bad_amount_keeps_the_dialog_open_with_the_message_at_the_field(db_path, insured):
    app = _app(db_path, **ON)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open(pilot, app)
        await pilot.press("ctrl+u", *"12.3x", "enter")
        await wait_for(pilot, lambda: "Copay now must be" in screen_text(app))
        assert isinstance(app.screen, ArrivalScreen)
        assert _field(app, "#amount") == "12.3x"  # what was typed stays
        assert app.focused is app.screen.query_one("#amount")
        lines = screen_text(app).splitlines()
        at = next(i for i, line in enumerate(lines) if "Copay now" in line)
        assert "Copay now must be" in lines[at + 1]  # right under the field
        await pilot.press("ctrl+u", *"9999999", "ctrl+t")  # refused by the mutation itself
        await wait_for(pilot, lambda: "at most 100000.00" in screen_text(app))
        assert isinstance(app.screen, ArrivalScreen) and _field(app, "#amount") == "9999999"
        await pilot.press("escape", "y")  # something typed: asked before it is thrown away
        await wait_for(pilot, lambda: not isinstance(app.screen, ArrivalScreen))
        assert table(app).rows_by_id[insured["appointment"]].status == "booked"
    app.service.close()
    assert _rows(db_path, "SELECT count(*) FROM outbox") == [(0,)]


async def test_missing_coverage_says_so_and_checks_in_anyway(db_path, builder):
    dr = builder.provider("Dr Okafor")
    bo = builder.patient("Bo", "Diddley")  # nothing on file
    builder.now = NOW - timedelta(days=1)
    appt = builder.appointment(bo, dr, start=NOW + timedelta(minutes=10))
    app = _app(db_path, **ON)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        assert "$ no coverage on file" in screen_text(app)
        await _open(pilot, app)
        assert "No coverage on file" in screen_text(app)
        assert "Ctrl+T" not in screen_text(app)
        await pilot.press("ctrl+t")  # nothing to verify: does nothing
        await pilot.pause(0.2)
        assert isinstance(app.screen, ArrivalScreen)
        assert _field(app, "#amount") == "0.00"
        await pilot.press("enter")
        await wait_for(pilot, lambda: _arrived(app, appt))
    app.service.close()
    assert _rows(db_path, "SELECT count(*) FROM coverage_check") == [(0,)]
    assert _rows(db_path, "SELECT count(*) FROM copay_payment") == [(0,)]


async def test_arrived_elsewhere_meanwhile_is_said_in_the_dialog_which_stays_open(db_path, insured):
    from coordtui.service import Service

    app = _app(db_path, **ON)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open(pilot, app)
        other = Service(db_path, actor="desk2", clock=lambda: NOW)  # another desk, same file
        other.set_status(insured["appointment"], "arrived")
        other.close()
        await pilot.press("ctrl+u", *"25", "enter")
        await wait_for(pilot, lambda: "Already arrived" in screen_text(app))
        assert isinstance(app.screen, ArrivalScreen) and _field(app, "#amount") == "25"
    app.service.close()
    assert _rows(db_path, "SELECT count(*) FROM copay_payment") == [(0,)]
