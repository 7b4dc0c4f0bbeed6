"""Named mutations on a real SQLite file: data and outbox commit together."""

from __future__ import annotations

import json
import os
import sqlite3
import stat

import pytest

from coordtui.mutations import MutationError
from coordtui.service import Service
from coordtui.store.files import NewerDatabaseError


def _count(path, sql):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def day(builder, db_path):
    dr = builder.provider("Dr Okafor")
    pat = builder.patient("Ada", "Lovelace")
    appt = builder.appointment(pat, dr)
    svc = Service(db_path, actor="desk1")
    yield svc, appt, pat, dr
    svc.close()


def test_status_change_writes_data_history_and_outbox_in_one_go(day, db_path):
    svc, appt, *_ = day
    result = svc.set_status(appt, "arrived")
    row = svc.queue_row(appt)
    assert row.status == "arrived" and row.arrived_at is not None
    conn = sqlite3.connect(db_path)
    name, args, actor, mid = conn.execute(
        "SELECT name, args, actor, mutation_id FROM outbox"
    ).fetchone()
    assert (name, actor, mid) == ("set_status", "desk1", result["mutation_id"])
    assert json.loads(args)["appointment_id"] == appt
    ev = conn.execute(
        "SELECT to_status, actor, mutation_id FROM status_event WHERE mutation_id > 0"
    ).fetchall()
    assert ev == [("arrived", "desk1", mid)]


def test_illegal_transition_is_refused_and_changes_nothing(day, db_path):
    svc, appt, *_ = day
    for s in ("arrived", "in_room", "done"):
        svc.set_status(appt, s)
    before = (
        _count(db_path, "SELECT count(*) FROM outbox"),
        _count(db_path, "SELECT count(*) FROM status_event"),
    )
    with pytest.raises(MutationError, match="Cannot change done to arrived"):
        svc.set_status(appt, "arrived")
    assert svc.queue_row(appt).status == "done"
    after = (
        _count(db_path, "SELECT count(*) FROM outbox"),
        _count(db_path, "SELECT count(*) FROM status_event"),
    )
    assert before == after


def test_cancel_requires_reason(day):
    svc, appt, *_ = day
    with pytest.raises(MutationError, match="reason"):
        svc.set_status(appt, "cancelled", "")
    svc.set_status(appt, "cancelled", "Patient request")
    row = svc.queue_row(appt)
    assert row.status == "cancelled" and row.cancel_reason == "Patient request"


def test_undo_is_a_recorded_correction(day, db_path):
    svc, appt, *_ = day
    svc.set_status(appt, "arrived")
    svc.set_status(appt, "in_room")
    svc.undo_status(appt)
    row = svc.queue_row(appt)
    assert row.status == "arrived" and row.arrived_at is not None
    svc.undo_status(appt)
    row = svc.queue_row(appt)
    assert row.status == "booked" and row.arrived_at is None and row.status_since is None
    conn = sqlite3.connect(db_path)
    events = conn.execute(
        "SELECT to_status, corrects IS NOT NULL FROM status_event ORDER BY mutation_id"
    ).fetchall()
    assert events == [("arrived", 0), ("in_room", 0), ("arrived", 1), ("booked", 1)]
    with pytest.raises(MutationError, match="Nothing to undo"):
        svc.undo_status(appt)


def test_walk_in_joins_today_as_arrived(day):
    svc, _appt, pat, dr = day
    result = svc.add_walk_in(pat, dr, reason="cough", priority="urgent")
    rows = {r.id: r for r in svc.queue(svc.today())}
    walk = rows[result["appointment_id"]]
    assert (walk.status, walk.kind, walk.priority) == ("arrived", "walk_in", "urgent")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"priority": "soon"}, "Priority"), ({"minutes": 0}, "Duration")],
)
def test_walk_in_bad_input(day, kwargs, message):
    svc, _appt, pat, dr = day
    with pytest.raises(MutationError, match=message):
        svc.add_walk_in(pat, dr, **kwargs)


def test_walk_in_unknown_provider(day, db_path):
    svc, _appt, pat, _dr = day
    from coordtui.ids import new_id

    with pytest.raises(MutationError, match="Provider not found"):
        svc.add_walk_in(pat, new_id())
    with pytest.raises(MutationError, match="provider_id is not a valid id"):
        svc.add_walk_in(pat, "no-such-provider")
    assert _count(db_path, "SELECT count(*) FROM outbox") == 0


def test_register_and_update_patient(day):
    svc, *_ = day
    made = svc.register_patient(
        {
            "given_name": "Zoë",
            "family_name": "D'Angelo",
            "dob": "1990-02-03",
            "phone": "617-253-1000",
        }
    )
    pid = made["patient_id"]
    updated = svc.update_patient(pid, 1, {"preferred_language": "it"})
    assert updated["version"] == 2
    # Base 1, now 2, but version 2 is this desk's own edit: no clash, even on the same
    # field (edits from elsewhere: tests/integration/test_patient_merge_rule.py).
    assert svc.update_patient(pid, 1, {"email": "z@example.org"})["version"] == 3
    assert svc.update_patient(pid, 1, {"preferred_language": "fr"})["version"] == 4
    with pytest.raises(MutationError) as info:
        svc.update_patient(pid, 4, {"dob": "2999-01-01"})
    assert "dob" in info.value.errors


def test_register_bad_input_reports_each_field(day, db_path):
    svc, *_ = day
    before = _count(db_path, "SELECT count(*) FROM patient")
    with pytest.raises(MutationError) as info:
        svc.register_patient({"given_name": "", "family_name": "X", "phone": "123"})
    assert set(info.value.errors) == {"given_name", "phone"}
    assert _count(db_path, "SELECT count(*) FROM patient") == before


def test_store_file_is_owner_only(day, db_path):
    svc, appt, *_ = day
    svc.set_status(appt, "arrived")
    for suffix in ("", "-wal"):
        path = f"{db_path}{suffix}"
        if os.path.exists(path):
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_newer_schema_is_refused(db_path, builder):
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA user_version=99")
    conn.commit()
    conn.close()
    with pytest.raises(NewerDatabaseError, match="schema version 99"):
        Service(db_path, actor="x")


def test_pragmas_in_effect(day):
    svc, *_ = day
    with svc.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_undoing_a_cancel_is_refused_once_the_time_was_booked_again(tmp_path):
    from datetime import UTC, datetime, timedelta

    from tests.sync_env import baseline_clinic, server_overlaps

    b, ids = baseline_clinic(tmp_path / "s.db")
    b.close()
    svc = Service(tmp_path / "s.db", actor="desk")
    try:
        start = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
        start += timedelta(days=1)
        (p1, p2), dr = ids["patients"][:2], ids["providers"][0]
        first = svc.book(p1, dr, start, "Consultation")["appointment_id"]
        svc.set_status(first, "cancelled", "rang to cancel")
        svc.book(p2, dr, start, "Consultation")
        with pytest.raises(MutationError, match="booked again"):
            svc.undo_status(first)
        assert svc.queue_row(first).status == "cancelled"
        assert server_overlaps(svc.engine) == []
        later = svc.book(p1, dr, start + timedelta(hours=2), "Consultation")["appointment_id"]
        svc.set_status(later, "cancelled", "rang to cancel")
        assert svc.undo_status(later)["status"] == "booked"  # a free time comes back
    finally:
        svc.close()


# ------------------------------------- undo of a cancel: "since" means since (issue 10, #5)


class _Clock:
    """The service's clock, moved on by hand so 'before' and 'after' the cancel are exact."""

    def __init__(self) -> None:
        from datetime import UTC, datetime

        self.now = datetime.now(UTC)

    def __call__(self):
        return self.now

    def tick(self, minutes: int = 1) -> None:
        from datetime import timedelta

        self.now += timedelta(minutes=minutes)


@pytest.fixture
def open_all_day(tmp_path):
    """A clinic open all day (UTC), a service on a hand-moved clock, two providers."""
    from tests.sync_env import baseline_clinic

    b, ids = baseline_clinic(tmp_path / "u.db", patients=4)
    b.close()
    clock = _Clock()
    svc = Service(tmp_path / "u.db", actor="desk", clock=clock)
    yield svc, clock, ids
    svc.close()


def _tomorrow_at(clock, hour: int, minute: int = 0):
    from datetime import timedelta

    day = (clock.now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return day + timedelta(hours=hour, minutes=minute)


def test_undo_cancel_is_not_blocked_by_a_walk_in_seen_in_the_slot_before_it(open_all_day):
    from datetime import timedelta

    svc, clock, ids = open_all_day
    dr, (ada, bo, *_) = ids["providers"][0], ids["patients"]
    booked = svc.book(ada, dr, clock.now + timedelta(minutes=10), "Consultation", minutes=15)
    clock.tick()
    svc.add_walk_in(bo, dr)  # now .. now+15: overlaps the booking, and was there first
    clock.tick()
    svc.set_status(booked["appointment_id"], "cancelled", "rang to cancel")
    clock.tick()
    assert svc.undo_status(booked["appointment_id"])["status"] == "booked"


def _overbooked_pair(svc, clock, ids):
    """Allowance 1; 10:00-10:30 tomorrow and, one extra, 10:00-10:15: (first, ten, spare)."""
    dr, (p1, p2, p3, _) = ids["providers"][0], ids["patients"]
    svc.set_provider_schedule(dr, overbook_allowance=1)
    ten = _tomorrow_at(clock, 10)
    first = svc.book(p1, dr, ten, "Consultation", minutes=30)["appointment_id"]
    svc.book(p2, dr, ten, "Consultation", minutes=15)
    return first, ten, lambda start: svc.book(p3, dr, start, "Consultation", minutes=15)


def test_undo_cancel_within_an_overbooking_allowance_that_was_already_used(open_all_day):
    svc, clock, ids = open_all_day
    first, ten, book_third = _overbooked_pair(svc, clock, ids)
    book_third(ten.replace(minute=15))  # 10:15-10:30, before the cancel too
    clock.tick()
    svc.set_status(first, "cancelled", "rang to cancel")
    clock.tick()
    assert svc.undo_status(first)["status"] == "booked"
    assert svc.queue_row(first).status == "booked"


def test_undo_cancel_is_refused_when_a_later_booking_used_the_overbooking_room(open_all_day):
    svc, clock, ids = open_all_day
    first, ten, book_third = _overbooked_pair(svc, clock, ids)
    clock.tick()
    svc.set_status(first, "cancelled", "rang to cancel")
    clock.tick()
    book_third(ten)  # took the freed room since
    clock.tick()
    with pytest.raises(MutationError, match="booked again since"):
        svc.undo_status(first)
    assert svc.queue_row(first).status == "cancelled"


def test_an_appointment_brought_back_after_the_cancel_counts_as_taking_the_time(open_all_day):
    svc, clock, ids = open_all_day
    dr, (p1, p2, *_) = ids["providers"][0], ids["patients"]
    ten = _tomorrow_at(clock, 10)
    older = svc.book(p2, dr, ten, "Consultation")["appointment_id"]
    clock.tick()
    svc.set_status(older, "cancelled", "rang to cancel")
    clock.tick()
    first = svc.book(p1, dr, ten, "Consultation")["appointment_id"]  # the time was free
    clock.tick()
    svc.set_status(first, "cancelled", "rang to cancel")
    clock.tick()
    assert svc.undo_status(older)["status"] == "booked"  # made before, but back only now
    clock.tick()
    with pytest.raises(MutationError, match="booked again since"):
        svc.undo_status(first)
