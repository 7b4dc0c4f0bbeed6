"""Calls, callbacks, reminders, recalls, hand-offs and the day summary (issue 5).

Real store files, the service facade and the named mutations; the clock is
frozen (and moved by hand) so every due time and wait can be checked.
"""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, date, datetime, timedelta

import pytest

from coordtui.domain.text import clean
from coordtui.mutations import MutationError
from coordtui.service import Service
from coordtui.store.files import SCHEMA_VERSION, schema_version
from tests.builders import StoreBuilder

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # Mon 2 Mar 2026, clinic in UTC
TODAY = date(2026, 3, 2)
TOMORROW = date(2026, 3, 3)


def _at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=UTC)


def _rows(path, sql, params=()):
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql, params).fetchall()


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clinic(tmp_path):
    path = tmp_path / "store.db"
    b = StoreBuilder(path)
    clock = Clock(NOW)
    ids = {
        "dr_a": b.provider("Dr A"),
        "dr_b": b.provider("Dr B"),
        "ada": b.patient("Ada", "Lovelace", phone="+14155550101", preferred_language="en"),
        "bo": b.patient("Bo", "Chen", phone="+14155550102", preferred_language="zh"),
        "cy": b.patient("Cy", "Diaz", phone="+14155550103", preferred_language="es"),
    }
    service = Service(path, actor="desk1", clock=clock)
    yield b, service, clock, ids
    service.close()
    b.close()


def test_schema_has_the_call_tables(clinic):
    b, *_ = clinic
    tables = {r[0] for r in _rows(b.path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"call_note", "callback", "recall", "hand_off"} <= tables
    assert schema_version(b.path) == SCHEMA_VERSION >= 5


def test_log_call_with_callback_due(clinic):
    b, service, clock, ids = clinic
    due = NOW + timedelta(hours=2)
    result = service.log_call(
        ids["ada"], "in", "relative", "Maria (daughter)", "Results", "callback needed",
        "Wants the lab results explained.", callback_due=due, assignee="nurse1",
        priority="urgent",
    )  # fmt: skip
    assert result["capped"] is False and result["callback_id"]
    [row] = service.callbacks_due()
    assert (row.id, row.patient_id, row.given_name, row.phone) == (
        result["callback_id"], ids["ada"], "Ada", "+14155550101",
    )  # fmt: skip
    assert (row.due_at, row.assignee, row.priority, row.state) == (due, "nurse1", "urgent", "later")
    assert row.note == "Wants the lab results explained."
    assert service.overdue_count() == 0
    clock.now = due + timedelta(minutes=1)
    assert service.callbacks_due()[0].state == "overdue" and service.overdue_count() == 1
    # The call and its callback were one mutation: one outbox entry.
    assert _rows(b.path, "SELECT name FROM outbox") == [("log_call",)]


def test_callbacks_sort_by_due_time(clinic):
    _, service, _, ids = clinic
    later = service.log_call(ids["bo"], "in", "patient", "", "Billing", "callback needed",
                             "Query", callback_due=NOW + timedelta(hours=3))  # fmt: skip
    overdue = service.log_call(ids["cy"], "in", "patient", "", "Billing", "callback needed",
                               "Query", callback_due=NOW - timedelta(hours=1))  # fmt: skip
    now = service.log_call(ids["ada"], "in", "patient", "", "Billing", "callback needed", "Q")
    rows = service.callbacks_due()
    assert [r.id for r in rows] == [overdue["callback_id"], now["callback_id"],
                                    later["callback_id"]]  # fmt: skip
    assert [r.state for r in rows] == ["overdue", "due", "later"]


def test_amendment_keeps_the_original_visible_and_linked(clinic):
    b, service, clock, ids = clinic
    first = service.log_call(ids["ada"], "out", "patient", "", "Prescription", "resolved",
                             "Refill sent to pharmacy on Main St.")  # fmt: skip
    clock.now = NOW + timedelta(minutes=5)
    fix = service.amend_call(first["call_id"], "Refill sent to pharmacy on Elm St.")
    clock.now = NOW + timedelta(minutes=6)
    fix2 = service.amend_call(fix["call_id"], "…and the patient was told.")
    assert fix2["amends"] == first["call_id"]  # corrections hang off the original
    log = service.calls_for_day(TODAY)
    assert [c.id for c in log] == [fix2["call_id"], fix["call_id"], first["call_id"]]
    original = log[-1]
    assert original.note == "Refill sent to pharmacy on Main St." and original.amends is None
    assert original.amended_by == (fix["call_id"], fix2["call_id"])
    assert log[1].amends == first["call_id"] and log[1].reason == "Prescription"
    assert [c.id for c in service.patient_calls(ids["ada"])] == [c.id for c in log]
    with pytest.raises(MutationError) as exc:
        service.amend_call(first["call_id"], "   ")
    assert exc.value.field == "note"


def test_complete_records_user_and_time_then_reopen(clinic):
    b, service, clock, ids = clinic
    cb = service.log_call(ids["ada"], "in", "patient", "", "Results", "callback needed", "Call")
    clock.now = NOW + timedelta(minutes=42)
    service.complete_callback(cb["callback_id"])
    assert _rows(b.path, "SELECT status, done_by, done_at FROM callback") == [
        ("done", "desk1", "2026-03-02 14:42:00.000000")
    ]
    assert service.callbacks_due() == []
    with pytest.raises(MutationError):
        service.complete_callback(cb["callback_id"])
    service.reopen_callback(cb["callback_id"])
    assert _rows(b.path, "SELECT status, done_by, done_at FROM callback") == [("open", "", None)]
    assert len(service.callbacks_due()) == 1


def test_snooze_and_reassign(clinic):
    b, service, clock, ids = clinic
    cb = service.log_call(ids["ada"], "in", "patient", "", "Results", "callback needed", "Call",
                          callback_due=NOW - timedelta(minutes=30))  # fmt: skip
    assert service.overdue_count() == 1
    service.snooze_callback(cb["callback_id"], 60)
    [row] = service.callbacks_due()
    assert row.due_at == NOW + timedelta(minutes=60) and row.state == "later"
    assert service.overdue_count() == 0
    with pytest.raises(MutationError):
        service.snooze_callback(cb["callback_id"], 0)
    service.reassign_callback(cb["callback_id"], "nurse2")
    assert service.callbacks_due()[0].assignee == "nurse2"
    service.reassign_callback(cb["callback_id"], "")
    assert service.callbacks_due()[0].assignee == "anyone"
    assert _rows(b.path, "SELECT version FROM callback") == [(4,)]


def test_reminder_list_for_tomorrow_and_one_key_marking(clinic):
    b, service, clock, ids = clinic
    a1 = b.appointment(ids["ada"], ids["dr_a"], start=_at(TOMORROW, 9))
    a2 = b.appointment(ids["bo"], ids["dr_b"], start=_at(TOMORROW, 8, 30))
    b.appointment(ids["cy"], ids["dr_a"], start=_at(TOMORROW, 10), status="cancelled")
    b.appointment(ids["cy"], ids["dr_a"], start=_at(TODAY, 15))  # today: not on the list
    b.appointment(ids["cy"], ids["dr_a"], start=_at(date(2026, 3, 4), 0, 0))  # day after
    rows = service.reminder_list(TOMORROW)
    assert [r.appointment_id for r in rows] == [a2, a1]
    assert (rows[0].phone, rows[0].preferred_language, rows[0].provider) == (
        "+14155550102", "zh", "Dr B",
    )  # fmt: skip
    assert not any(r.reminded for r in rows)

    result = service.log_reminder(a1, "left message")
    [call] = service.calls_for_day(TODAY)
    assert call.id == result["call_id"] and call.appointment_id == a1
    assert (call.direction, call.reason, call.outcome) == (
        "out", "Appointment reminder", "left message",
    )  # fmt: skip
    marked = {r.appointment_id: r for r in service.reminder_list(TOMORROW)}
    assert marked[a1].reminded and marked[a1].last_outcome == "left message"
    assert not marked[a2].reminded
    service.log_reminder(a2, "reached")  # "resolved" with a note written for the desk
    with pytest.raises(MutationError):
        service.log_reminder(a2, "maybe")


def test_recalls_and_hand_offs(clinic):
    b, service, clock, ids = clinic
    r1 = service.set_recall(ids["ada"], date(2026, 3, 10), "6-month check")
    service.set_recall(ids["bo"], date(2026, 4, 1), "Bloods")
    due = service.recalls_due(date(2026, 3, 31))
    assert [r.id for r in due] == [r1["recall_id"]] and due[0].reason == "6-month check"
    booked = b.appointment(ids["ada"], ids["dr_a"], start=_at(date(2026, 3, 10), 9))
    service.close_recall(r1["recall_id"], appointment_id=booked)
    assert service.recalls_due(date(2026, 3, 31)) == []
    assert _rows(b.path, "SELECT status, appointment_id FROM recall WHERE id = ?",
                 (r1["recall_id"],)) == [("booked", booked)]  # fmt: skip

    service.add_hand_off(booked, "needs interpreter")
    service.add_hand_off(booked, "wheelchair")
    assert service.hand_offs([booked, "nope"]) == {booked: ["needs interpreter", "wheelchair"]}
    with pytest.raises(MutationError):
        service.add_hand_off(booked, "  ")


def test_empty_resolved_note_is_refused_unless_the_clinic_allows(clinic):
    b, service, _, ids = clinic
    with pytest.raises(MutationError) as exc:
        service.log_call(ids["ada"], "in", "patient", "", "Results", "resolved", "")
    assert "note" in exc.value.errors
    assert _rows(b.path, "SELECT count(*) FROM outbox") == [(0,)]  # nothing half-saved
    service.allow_empty_resolved_note = True
    assert service.log_call(ids["ada"], "in", "patient", "", "Results", "resolved", "")["call_id"]
    # A third party must be named.
    with pytest.raises(MutationError) as exc:
        service.log_call(ids["ada"], "in", "pharmacy", "", "Prescription", "resolved", "ok")
    assert exc.value.field == "who_name"


def test_a_1mb_paste_is_capped_and_controls_are_stored_literally(clinic):
    b, service, _, ids = clinic
    result = service.log_call(ids["ada"], "in", "patient", "", "Other", "resolved", "z" * 2**20)
    assert result["capped"] is True
    assert _rows(b.path, "SELECT length(note) FROM call_note") == [(4000,)]
    assert max(len(r[0]) for r in _rows(b.path, "SELECT args FROM outbox")) < 5000

    nasty = "ok\x1b[2J\x07\u202eevil"
    result = service.log_call(ids["bo"], "in", "patient", "", "Other", "resolved", nasty)
    assert result["capped"] is False
    [call] = service.patient_calls(ids["bo"])
    assert call.note == nasty  # stored as typed ...
    assert "\x1b" not in clean(call.note) and "\u202e" not in clean(call.note)  # ... shown safe


def test_day_summary_matches_a_hand_computed_day(clinic):
    b, service, clock, ids = clinic
    pa, pb = ids["dr_a"], ids["dr_b"]

    def move(appointment_id, hh, mm, status, reason=""):
        clock.now = _at(TODAY, hh, mm)
        service.set_status(appointment_id, status, reason)

    # Dr A: seen (wait 12), seen after an undone room move (wait 20), no-show, cancelled.
    a1 = b.appointment(ids["ada"], pa, start=_at(TODAY, 9))
    a2 = b.appointment(ids["bo"], pa, start=_at(TODAY, 9, 30))
    a3 = b.appointment(ids["cy"], pa, start=_at(TODAY, 10))
    a4 = b.appointment(ids["cy"], pa, start=_at(TODAY, 11))
    # Dr B: in room (wait 5), still waiting, still booked.
    b1 = b.appointment(ids["ada"], pb, start=_at(TODAY, 9))
    b2 = b.appointment(ids["bo"], pb, start=_at(TODAY, 10))
    b.appointment(ids["cy"], pb, start=_at(TODAY, 12))
    b.appointment(ids["cy"], pb, start=_at(TOMORROW, 9))  # another day: ignored

    move(a1, 9, 0, "arrived")
    move(a1, 9, 12, "in_room")
    move(a1, 9, 40, "done")
    move(a2, 9, 25, "arrived")
    move(a2, 9, 30, "in_room")  # a slip ...
    clock.now = _at(TODAY, 9, 31)
    service.undo_status(a2)  # ... corrected
    move(a2, 9, 45, "in_room")
    move(a2, 10, 0, "done")
    move(a3, 10, 20, "no_show")
    move(a4, 8, 0, "cancelled", "patient asked")
    move(b1, 9, 0, "arrived")
    move(b1, 9, 5, "in_room")
    move(b2, 10, 0, "arrived")

    clock.now = _at(TODAY, 13)
    service.log_call(ids["ada"], "in", "patient", "", "Results", "resolved", "ok")
    c = service.log_call(ids["bo"], "out", "patient", "", "Billing", "callback needed", "x",
                         callback_due=_at(TODAY, 12))  # fmt: skip
    service.amend_call(c["call_id"], "correction")  # not another call
    done = service.log_call(ids["cy"], "in", "patient", "", "Billing", "callback needed", "y")
    service.complete_callback(done["callback_id"])

    s = service.day_summary(TODAY)
    rows = {r.provider: r for r in s.providers}
    a, bb = rows["Dr A"], rows["Dr B"]
    assert (a.booked, a.arrived, a.seen, a.no_show, a.cancelled) == (4, 2, 2, 1, 1)
    assert (a.avg_wait, a.max_wait) == (16.0, 20.0)  # (12 + 20) / 2
    assert a.no_show_rate == round(1 / 3, 3)
    assert (bb.booked, bb.arrived, bb.seen, bb.no_show, bb.cancelled) == (3, 2, 0, 0, 0)
    assert (bb.avg_wait, bb.max_wait) == (5.0, 5.0)
    t = s.total
    assert (t.booked, t.arrived, t.seen, t.avg_wait, t.max_wait) == (7, 4, 2, 12.3, 20.0)
    assert s.calls_logged == 3
    assert (s.callbacks_outstanding, s.callbacks_overdue) == (1, 1)

    # The same figures from the command line, as CSV, with no patient names.
    env = {**os.environ, "COORDTUI_DB": str(b.path)}
    out = subprocess.run(
        [sys.executable, "-m", "coordtui", "report", "day", "--date", "2026-03-02", "--csv"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    table = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [r["provider"] for r in table] == ["Dr A", "Dr B", "All providers"]
    assert table[0]["avg_wait_min"] == "16" and table[0]["max_wait_min"] == "20"
    assert table[2]["booked"] == "7" and table[2]["calls_logged"] == "3"
    assert table[2]["callbacks_outstanding"] == "1"
    assert "Lovelace" not in out.stdout and "Ada" not in out.stdout

    pretty = subprocess.run(
        [sys.executable, "-m", "coordtui", "report", "day", "--date", "2026-03-02"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert pretty.returncode == 0 and "Dr A" in pretty.stdout and "Calls logged: 3" in pretty.stdout


def test_report_refuses_a_bad_date(clinic):
    b, *_ = clinic
    out = subprocess.run(
        [sys.executable, "-m", "coordtui", "--db", str(b.path), "report", "day", "--date", "x"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 2 and "YYYY-MM-DD" in out.stderr


def test_fhir_resources_validate(clinic):
    from fhir.resources.R4B.communication import Communication
    from fhir.resources.R4B.task import Task

    from coordtui.interop.fhir_calls import AMENDS_URL, call_resources

    b, service, clock, ids = clinic
    appt = b.appointment(ids["ada"], ids["dr_a"], start=_at(TOMORROW, 9))
    first = service.log_reminder(appt, "no answer")
    service.amend_call(first["call_id"], "Number was out of service.")
    cb = service.log_call(ids["bo"], "in", "pharmacy", "Main St Pharmacy", "Prescription",
                          "callback needed", "Dose query", priority="urgent")  # fmt: skip
    service.log_call(ids["cy"], "in", "patient", "", "Results", "callback needed", "Q")
    service.complete_callback(cb["callback_id"])
    with closing(sqlite3.connect(b.path)) as conn:
        resources = call_resources(conn)
    comms = [Communication.model_validate(r) for r in resources if r["resourceType"] ==
             "Communication"]  # fmt: skip
    tasks = [Task.model_validate(r) for r in resources if r["resourceType"] == "Task"]
    assert len(comms) == 4 and len(tasks) == 2
    reminder = next(r for r in resources if r["id"] == first["call_id"])
    assert reminder["about"][0]["reference"] == f"urn:uuid:{appt}" and "sent" in reminder
    amendment = next(r for r in resources if r.get("extension"))
    assert amendment["extension"][0]["url"] == AMENDS_URL
    task = next(r for r in resources if r["id"] == cb["callback_id"])
    assert (task["status"], task["priority"], task["intent"]) == ("completed", "urgent", "order")
    assert {t.status for t in tasks} == {"completed", "requested"}


def test_a_version_4_store_gains_the_call_tables(tmp_path):
    from coordtui.store.db import open_store

    path = tmp_path / "old.db"
    StoreBuilder(path).close()
    with closing(sqlite3.connect(path)) as conn:
        for table in ("call_note", "callback", "recall", "hand_off"):
            conn.execute(f"DROP TABLE {table}")
        conn.execute("PRAGMA user_version=4")
        conn.commit()
    open_store(path).dispose()
    assert schema_version(path) == SCHEMA_VERSION
    tables = {r[0] for r in _rows(path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"call_note", "callback", "recall", "hand_off"} <= tables


def test_a_limited_callback_list_is_the_head_of_the_full_one(clinic):
    """The Calls screen reads only the soonest N; they must be the full list's first N."""
    _, service, clock, ids = clinic
    patients = [ids["ada"], ids["bo"], ids["cy"]]
    made = []
    for i in range(12):
        due = NOW + timedelta(minutes=37 * ((i * 7) % 12) - 150)
        made.append(service.log_call(patients[i % 3], "in", "patient", "", "Billing",
                                     "callback needed", f"Q{i}", callback_due=due,
                                     priority="urgent" if i % 4 == 0 else "routine"))  # fmt: skip
    service.snooze_callback(made[0]["callback_id"], 300)
    service.complete_callback(made[1]["callback_id"])
    full = service.callbacks_due()
    assert len(full) == 11 == service.open_callback_count()
    for n in (1, 3, 5, 11, 20):
        assert [r.id for r in service.callbacks_due(limit=n)] == [r.id for r in full[:n]]
