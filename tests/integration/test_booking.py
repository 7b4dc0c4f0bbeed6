"""Booking through the service and named mutations, on real store files (issue 4).

The clinic is in America/New_York and the clock is frozen, so every stored
UTC instant below can be checked by hand.  Refusals must say why, offer
alternatives, and leave the store and the outbox exactly as they were.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordtui.domain.schedule import AmbiguousTime, NonexistentTime
from coordtui.domain.slots import DEFAULT_TYPES, Slot
from coordtui.mutations import MutationError
from coordtui.service import Service
from coordtui.store.db import MIGRATIONS, open_store
from coordtui.store.files import SCHEMA_VERSION, schema_version
from coordtui.sync.local import run_local
from tests.builders import ALL_DAY, StoreBuilder

ZONE = "America/New_York"
NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # Mon 2 Mar 2026 09:00 EST
TUESDAY = date(2026, 3, 3)
WEEKDAYS = {
    d: [["09:00", "12:00"], ["13:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")
}

V3_TABLES = {
    "appointment", "clinic", "meta", "outbox", "patient", "patient_event", "patient_fts",
    "patient_fts_config", "patient_fts_data", "patient_fts_idx", "patient_fts_terms",
    "patient_search", "provider", "search_typo", "search_vocab", "sqlite_sequence",
    "status_event",
}  # fmt: skip
V4_TABLES = {
    "appointment_type", "schedule_exception", "waitlist_entry", "appointment_booking",
    "provider_booking",
}  # fmt: skip
LATER_TABLES = {
    "call_note",
    "callback",
    "recall",
    "hand_off",
    "sync_undo",
    "sync_conflict",
    "coverage_check",
    "copay_payment",
    "sync_sent",
}  # v5, v6, v8, v10


def _rows(path, sql, params=()):
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql, params).fetchall()


def _count(path, table):
    return _rows(path, f"SELECT count(*) FROM {table}")[0][0]


def _snapshot(path):
    """What a refusal must leave untouched."""
    return {t: _count(path, t) for t in ("outbox", "appointment", "status_event", "waitlist_entry")}


def _set_schedule(path, provider_id, schedule):
    with closing(sqlite3.connect(path)) as conn:
        conn.execute(
            "UPDATE provider SET schedule_json = ? WHERE id = ?",
            (json.dumps(schedule), provider_id),
        )
        conn.commit()


def _at(day: date, hh: int, mm: int = 0) -> datetime:
    """A clinic wall-clock time that exists once (tests pick such times)."""
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time(hh, mm), tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


@pytest.fixture
def clinic(tmp_path):
    """Two weekday providers, three patients, a Service with the clock at NOW."""
    path = tmp_path / "store.db"
    b = StoreBuilder(path, zone=ZONE)
    ids = {
        "okafor": b.provider("Dr Okafor"),
        "haddad": b.provider("Dr Haddad"),
        "ada": b.patient("Ada", "Lovelace"),
        "bo": b.patient("Bo", "Diddley"),
        "cy": b.patient("Cy", "Young"),
    }
    b.close()
    for key in ("okafor", "haddad"):
        _set_schedule(path, ids[key], WEEKDAYS)
    svc = Service(path, actor="desk1", clock=lambda: NOW)
    yield svc, ids, path
    svc.close()


# ------------------------------------------------------------------ book


def test_book_writes_the_appointment_and_its_outbox_entry(clinic):
    svc, ids, path = clinic
    result = svc.book(ids["ada"], ids["okafor"], _at(TUESDAY, 10), "Consultation", "phone")
    assert result["warnings"] == [] and result["override_used"] is False
    assert result["start"] == "2026-03-03T15:00:00+00:00"
    row = _rows(
        path,
        "SELECT start_utc, end_utc, status, type, modality, kind, created_by FROM appointment "
        "WHERE id = ?",
        (result["appointment_id"],),
    )
    assert row == [
        (
            "2026-03-03 15:00:00.000000",
            "2026-03-03 15:30:00.000000",  # Consultation: 30 minutes by default
            "booked",
            "Consultation",
            "phone",
            "scheduled",
            "desk1",
        )
    ]
    name, args, mid = _rows(path, "SELECT name, args, mutation_id FROM outbox")[0]
    assert (name, mid) == ("book_appointment", result["mutation_id"])
    args = json.loads(args)
    assert args["appointment_id"] == result["appointment_id"]
    assert args["start"] == "2026-03-03T15:00:00+00:00" and args["horizon_days"] == 365
    # the same mutation, re-run from its args (as the server will), is refused, not duplicated
    with pytest.raises(MutationError, match="already saved"):
        run_local(svc.engine, "book_appointment", args, "server")


def test_a_taken_slot_is_refused_with_the_reason_and_the_nearest_free_times(clinic):
    svc, ids, path = clinic
    svc.book(ids["ada"], ids["okafor"], _at(TUESDAY, 10), "Follow-up")
    before = _snapshot(path)
    with pytest.raises(MutationError) as refused:
        svc.book(ids["bo"], ids["okafor"], _at(TUESDAY, 10), "Follow-up")
    assert str(refused.value) == "The provider is already booked 10:00-10:15 on Tue 03 Mar 2026."
    starts = [a["start"] for a in refused.value.alternatives]
    assert starts == [
        _at(TUESDAY, 9, 30).isoformat(),
        _at(TUESDAY, 9, 45).isoformat(),
        _at(TUESDAY, 10, 15).isoformat(),
        _at(TUESDAY, 10, 30).isoformat(),
    ]
    assert {a["provider_id"] for a in refused.value.alternatives} == {ids["okafor"]}
    assert _snapshot(path) == before
    # an alternative really is free
    alt = refused.value.alternatives[1]
    svc.book(ids["bo"], ids["okafor"], datetime.fromisoformat(alt["start"]), "Follow-up")


def test_outside_hours_past_and_days_off_are_refused_with_reasons(clinic):
    svc, ids, path = clinic
    before = _snapshot(path)
    with pytest.raises(MutationError) as lunch:
        svc.book(ids["ada"], ids["okafor"], _at(TUESDAY, 12, 15), "Follow-up")
    assert str(lunch.value) == (
        "Outside the provider's hours: on Tue 03 Mar 2026 they work 09:00-12:00, 13:00-17:00."
    )
    assert [a["start"] for a in lunch.value.alternatives] == [
        _at(TUESDAY, 11, 15).isoformat(),
        _at(TUESDAY, 11, 30).isoformat(),
        _at(TUESDAY, 11, 45).isoformat(),
        _at(TUESDAY, 13).isoformat(),
    ]
    with pytest.raises(MutationError, match="not working on Sun 08 Mar 2026"):
        svc.book(ids["ada"], ids["okafor"], _at(date(2026, 3, 8), 10), "Follow-up")
    with pytest.raises(MutationError, match="has already passed; for a patient who is here now"):
        svc.book(ids["ada"], ids["okafor"], NOW - timedelta(hours=1), "Follow-up")
    assert _snapshot(path) == before


def test_the_patient_booked_elsewhere_at_that_time_is_a_warning_not_a_refusal(clinic):
    svc, ids, _ = clinic
    svc.book(ids["ada"], ids["okafor"], _at(TUESDAY, 10), "Follow-up")
    result = svc.book(ids["ada"], ids["haddad"], _at(TUESDAY, 10), "Follow-up")
    assert result["warnings"] == [
        "The patient already has an appointment 10:00-10:15 on Tue 03 Mar 2026 with "
        "another provider."
    ]


def test_a_supervisor_override_books_outside_hours_and_is_recorded(clinic):
    svc, ids, _ = clinic
    with pytest.raises(MutationError, match="Outside the provider's hours"):
        svc.book(ids["ada"], ids["okafor"], _at(TUESDAY, 18), "Follow-up")
    result = svc.book(ids["ada"], ids["okafor"], _at(TUESDAY, 18), "Follow-up", override=True)
    assert result["override_used"] is True
    assert "supervisor override is recorded" in result["warnings"][0]
    assert svc.booking_links(result["appointment_id"]).override_by == "desk1"
    # an override inside hours is not "used", so nothing is recorded
    inside = svc.book(ids["bo"], ids["okafor"], _at(TUESDAY, 10), "Follow-up", override=True)
    assert inside["override_used"] is False
    assert svc.booking_links(inside["appointment_id"]).override_by == ""


def test_overbooking_only_within_the_providers_allowance(clinic):
    svc, ids, _ = clinic
    assert svc.set_provider_schedule(ids["okafor"], overbook_allowance=1)["overbook_allowance"] == 1
    svc.book(ids["ada"], ids["okafor"], _at(TUESDAY, 10), "Follow-up")
    second = svc.book(ids["bo"], ids["okafor"], _at(TUESDAY, 10), "Follow-up")
    assert second["warnings"][0].startswith("Overbooked")
    with pytest.raises(MutationError, match="overbooking allows 1 extra at a time"):
        svc.book(ids["cy"], ids["okafor"], _at(TUESDAY, 10), "Follow-up")
    # the other provider allows none
    svc.book(ids["ada"], ids["haddad"], _at(TUESDAY, 11), "Follow-up")
    with pytest.raises(MutationError, match="already booked"):
        svc.book(ids["bo"], ids["haddad"], _at(TUESDAY, 11), "Follow-up")
    with pytest.raises(MutationError, match="0 to 10 extra"):
        svc.set_provider_schedule(ids["okafor"], overbook_allowance=-1)


# ---------------------------------------------------- reschedule, cancel


def test_reschedule_keeps_the_old_appointment_and_links_both_ways(clinic):
    svc, ids, path = clinic
    old = svc.book(ids["ada"], ids["okafor"], _at(TUESDAY, 10), "Consultation")["appointment_id"]
    # 15 minutes later overlaps the old time: the appointment being moved is no conflict
    moved = svc.reschedule(old, _at(TUESDAY, 10, 15))
    new = moved["appointment_id"]
    assert moved["rescheduled_from"] == old and moved["start"] == "2026-03-03T15:15:00+00:00"
    assert moved["freed"] == Slot(ids["okafor"], _at(TUESDAY, 10), _at(TUESDAY, 10, 30))
    assert _rows(path, "SELECT status, cancel_reason FROM appointment WHERE id = ?", (old,)) == [
        ("cancelled", "rescheduled")
    ]
    assert _rows(
        path,
        "SELECT from_status, to_status, reason, actor FROM status_event WHERE appointment_id = ?",
        (old,),
    ) == [("booked", "cancelled", "rescheduled", "desk1")]
    new_row = _rows(path, "SELECT status, type, end_utc FROM appointment WHERE id = ?", (new,))
    assert new_row == [("booked", "Consultation", "2026-03-03 15:45:00.000000")]
    assert svc.booking_links(new).rescheduled_from == old
    assert svc.booking_links(old).rescheduled_to == new
    # to another provider, and the moved appointment can move again
    again = svc.reschedule(new, _at(TUESDAY, 14), ids["haddad"])
    assert _rows(
        path, "SELECT provider_id FROM appointment WHERE id = ?", (again["appointment_id"],)
    ) == [(ids["haddad"],)]
    assert svc.booking_links(new).rescheduled_to == again["appointment_id"]
    # a cancelled appointment cannot be moved
    before = _snapshot(path)
    with pytest.raises(MutationError, match="Only a booked appointment can be moved"):
        svc.reschedule(old, _at(TUESDAY, 15))
    assert _snapshot(path) == before


def test_a_reschedule_into_a_taken_slot_is_refused_and_moves_nothing(clinic):
    svc, ids, path = clinic
    first = svc.book(ids["ada"], ids["okafor"], _at(TUESDAY, 10, 45), "Follow-up")
    first = first["appointment_id"]
    svc.book(ids["bo"], ids["okafor"], _at(TUESDAY, 11), "Follow-up")
    before = _snapshot(path)
    with pytest.raises(MutationError, match="already booked") as refused:
        svc.reschedule(first, _at(TUESDAY, 11))
    # the appointment's own time counts as free for the alternatives
    assert [a["start"] for a in refused.value.alternatives] == [
        _at(TUESDAY, 10, 30).isoformat(),
        _at(TUESDAY, 10, 45).isoformat(),
        _at(TUESDAY, 11, 15).isoformat(),
        _at(TUESDAY, 11, 30).isoformat(),
    ]
    assert _snapshot(path) == before
    assert svc.queue_row(first).status == "booked"


def test_cancelling_frees_the_slot(clinic):
    svc, ids, _ = clinic
    appt = svc.book(ids["ada"], ids["okafor"], _at(TUESDAY, 10), "Follow-up")["appointment_id"]
    with pytest.raises(MutationError):
        svc.book(ids["bo"], ids["okafor"], _at(TUESDAY, 10), "Follow-up")
    grid = svc.day_grid(ids["okafor"], TUESDAY)
    assert _at(TUESDAY, 10) not in [s.start for s in grid.free]
    svc.cancel(appt, "Patient request")
    grid = svc.day_grid(ids["okafor"], TUESDAY)
    assert _at(TUESDAY, 10) in [s.start for s in grid.free]
    assert [r.status for r in grid.appointments] == ["cancelled"]
    svc.book(ids["bo"], ids["okafor"], _at(TUESDAY, 10), "Follow-up")


# -------------------------------------------------------------- waitlist


def test_a_cancellation_offers_the_slot_to_the_waitlist_and_booking_it_closes_the_entry(clinic):
    svc, ids, path = clinic
    appt = svc.book(ids["ada"], ids["okafor"], _at(TUESDAY, 10), "Follow-up")["appointment_id"]
    week = (TUESDAY, TUESDAY + timedelta(days=4))
    routine = svc.waitlist_add(ids["bo"], "Follow-up", None, *week)["entry_id"]
    urgent = svc.waitlist_add(ids["cy"], "Lab review", ids["okafor"], *week, priority="urgent")
    urgent = urgent["entry_id"]
    # entries the freed slot does not fit
    svc.waitlist_add(ids["cy"], "Follow-up", ids["haddad"], *week)  # another provider
    svc.waitlist_add(ids["cy"], "Consultation", None, *week)  # 30 minutes > 15 free
    svc.waitlist_add(ids["cy"], "Follow-up", None, TUESDAY + timedelta(days=1), week[1])

    cancelled = svc.cancel(appt, "Patient request")
    slot = cancelled["freed"]
    assert slot == Slot(ids["okafor"], _at(TUESDAY, 10), _at(TUESDAY, 10, 15))
    assert [o.id for o in cancelled["offers"]] == [urgent, routine]  # urgent first
    assert [o.id for o in svc.waitlist_matching(slot)] == [urgent, routine]
    assert cancelled["offers"][0].family_name == "Young"

    result = svc.book_from_waitlist(routine, slot)
    appointment = _rows(
        path, "SELECT patient_id, type, status FROM appointment WHERE id = ?",
        (result["appointment_id"],),
    )  # fmt: skip
    assert appointment == [(ids["bo"], "Follow-up", "booked")]
    entry = svc.waitlist_entry(routine)
    assert (entry.status, entry.appointment_id, entry.version) == (
        "booked",
        result["appointment_id"],
        2,
    )
    assert routine not in [e.id for e in svc.waitlist_open()]
    assert _rows(path, "SELECT name FROM outbox ORDER BY mutation_id DESC LIMIT 1") == [
        ("book_from_waitlist",)
    ]
    # the slot is taken now: the urgent entry's booking is refused and its entry stays open
    before = _snapshot(path)
    with pytest.raises(MutationError, match="already booked"):
        svc.book_from_waitlist(urgent, slot)
    assert svc.waitlist_entry(urgent).status == "open"
    assert _snapshot(path) == before
    with pytest.raises(MutationError, match="already booked"):
        svc.book_from_waitlist(routine, slot)


def test_waitlist_entries_are_validated_and_can_be_closed(clinic):
    svc, ids, path = clinic
    before = _snapshot(path)
    with pytest.raises(MutationError, match="latest date must be on or after"):
        svc.waitlist_add(ids["bo"], "Follow-up", None, TUESDAY, TUESDAY - timedelta(days=1))
    with pytest.raises(MutationError, match="already passed"):
        svc.waitlist_add(ids["bo"], "Follow-up", None, date(2026, 1, 1), date(2026, 2, 1))
    with pytest.raises(MutationError, match="Unknown appointment type"):
        svc.waitlist_add(ids["bo"], "Massage", None, TUESDAY, TUESDAY)
    with pytest.raises(MutationError, match="Unknown provider"):
        svc.waitlist_add(ids["bo"], "Follow-up", UNKNOWN, TUESDAY, TUESDAY)
    assert _snapshot(path) == before
    entry = svc.waitlist_add(ids["bo"], "Follow-up", None, TUESDAY, TUESDAY)["entry_id"]
    svc.waitlist_close(entry, "Found a slot elsewhere")
    assert svc.waitlist_open() == []
    with pytest.raises(MutationError, match="already closed"):
        svc.waitlist_close(entry)


# ---------------------------------------------------------------- series


def test_a_series_is_booked_whole_or_not_at_all_with_reasons_per_date(clinic):
    svc, ids, path = clinic
    third = TUESDAY + timedelta(weeks=2)
    blocker = svc.book(ids["bo"], ids["okafor"], _at(third, 9, 45), "Consultation")
    before = _snapshot(path)
    with pytest.raises(MutationError) as refused:
        svc.book_series(ids["ada"], ids["okafor"], TUESDAY, time(10), 1, 4, "Follow-up")
    err = refused.value
    assert str(err).startswith("1 of 4 dates cannot be booked, so none were. Tue 17 Mar 2026:")
    assert [o["ok"] for o in err.occurrences] == [True, True, False, True]
    assert err.occurrences[2]["reasons"] == [
        "The provider is already booked 09:45-10:15 on Tue 17 Mar 2026."
    ]
    assert err.occurrences[2]["alternatives"]
    assert _snapshot(path) == before

    svc.cancel(blocker["appointment_id"], "Clinic request")
    result = svc.book_series(ids["ada"], ids["okafor"], TUESDAY, time(10), 2, 3, "Follow-up")
    assert len(result["appointment_ids"]) == 3
    assert svc.series_appointments(result["series_id"]) == result["appointment_ids"]
    starts = _rows(
        path,
        "SELECT a.start_utc FROM appointment a JOIN appointment_booking b "
        "ON b.appointment_id = a.id WHERE b.series_id = ? ORDER BY a.start_utc",
        (result["series_id"],),
    )
    # 10:00 local every two weeks; New York springs forward on 8 Mar, so UTC moves an hour
    assert starts == [
        ("2026-03-03 15:00:00.000000",),
        ("2026-03-17 14:00:00.000000",),
        ("2026-03-31 14:00:00.000000",),
    ]


def test_series_input_is_checked(clinic):
    svc, ids, path = clinic
    before = _snapshot(path)
    with pytest.raises(MutationError, match="Repeat every 1 to 52 weeks"):
        svc.book_series(ids["ada"], ids["okafor"], TUESDAY, time(10), 0, 4, "Follow-up")
    with pytest.raises(MutationError, match="1 to 104 occurrences"):
        svc.book_series(ids["ada"], ids["okafor"], TUESDAY, time(10), 1, 0, "Follow-up")
    # 60 weekly dates run past a 300-day horizon: the late ones are refused, none saved
    svc.booking_horizon_days = 300
    with pytest.raises(MutationError, match="too far ahead") as refused:
        svc.book_series(ids["ada"], ids["okafor"], TUESDAY, time(10), 1, 60, "Follow-up")
    assert sum(not o["ok"] for o in refused.value.occurrences) == 60 - 43
    assert _snapshot(path) == before


# ------------------------------------------------------------------- DST


@pytest.fixture
def all_day(clinic):
    svc, ids, path = clinic
    _set_schedule(path, ids["okafor"], ALL_DAY)
    return svc, ids, path


def test_spring_forward_gap_is_refused_and_real_durations_are_kept(all_day):
    svc, ids, path = all_day
    sunday = date(2026, 3, 8)  # 02:00 EST -> 03:00 EDT
    with pytest.raises(NonexistentTime) as gap:
        svc.resolve_local(sunday, time(2, 30))
    assert "choose 03:30 or 01:30" in str(gap.value)
    later, earlier = gap.value.suggestions
    assert (later, earlier) == (
        datetime(2026, 3, 8, 7, 30, tzinfo=UTC),
        datetime(2026, 3, 8, 6, 30, tzinfo=UTC),
    )
    # 01:30 EST for 60 minutes ends at 03:30 EDT: one real hour across the gap
    start = svc.resolve_local(sunday, time(1, 30))
    result = svc.book(ids["ada"], ids["okafor"], start, "Follow-up", minutes=60)
    assert _rows(
        path, "SELECT start_utc, end_utc FROM appointment WHERE id = ?", (result["appointment_id"],)
    ) == [("2026-03-08 06:30:00.000000", "2026-03-08 07:30:00.000000")]
    # so 03:00 EDT (07:00 UTC) is taken, and the message shows local wall time
    with pytest.raises(MutationError, match=r"already booked 01:30-03:30 on Sun 08 Mar 2026"):
        svc.book(ids["bo"], ids["okafor"], svc.resolve_local(sunday, time(3)), "Follow-up")
    booked = svc.book(ids["bo"], ids["okafor"], svc.resolve_local(sunday, time(3, 30)), "Follow-up")
    assert booked["start"] == "2026-03-08T07:30:00+00:00"
    # a weekly series at 02:30 hits the gap on the 8th: that date is refused, nothing saved
    before = _snapshot(path)
    with pytest.raises(MutationError) as series:
        svc.book_series(ids["cy"], ids["okafor"], date(2026, 3, 1), time(2, 30), 1, 3, "Follow-up")
    assert [o["ok"] for o in series.value.occurrences] == [False, False, True]
    assert "has already passed" in series.value.occurrences[0]["reasons"][0]  # 1 Mar < NOW
    assert "does not exist on 2026-03-08" in series.value.occurrences[1]["reasons"][0]
    assert series.value.occurrences[1]["start"] is None
    assert _snapshot(path) == before


def test_fall_back_fold_needs_an_explicit_choice_and_both_readings_book(all_day):
    svc, ids, path = all_day
    sunday = date(2026, 11, 1)  # 02:00 EDT -> 01:00 EST
    with pytest.raises(AmbiguousTime) as fold:
        svc.resolve_local(sunday, time(1, 30))
    assert "happens twice" in str(fold.value)
    first = svc.resolve_local(sunday, time(1, 30), fold=0)
    second = svc.resolve_local(sunday, time(1, 30), fold=1)
    a = svc.book(ids["ada"], ids["okafor"], first, "Consultation")
    b = svc.book(ids["bo"], ids["okafor"], second, "Consultation")  # an hour later: no clash
    assert _rows(
        path,
        "SELECT start_utc, end_utc FROM appointment WHERE id IN (?, ?) ORDER BY start_utc",
        (a["appointment_id"], b["appointment_id"]),
    ) == [
        ("2026-11-01 05:30:00.000000", "2026-11-01 06:00:00.000000"),
        ("2026-11-01 06:30:00.000000", "2026-11-01 07:00:00.000000"),
    ]
    # 01:45 first reading (EDT, 05:45 UTC) falls inside the first booking, which the
    # message shows in wall-clock time: 01:30 EDT to 01:00 EST
    with pytest.raises(MutationError, match="already booked 01:30-01:00 on Sun 01 Nov 2026"):
        svc.book(ids["cy"], ids["okafor"], svc.resolve_local(sunday, time(1, 45), 0), "Follow-up")
    # a series at 01:30 without a fold refuses the ambiguous date; with fold=1 it books
    _set_schedule(path, ids["haddad"], ALL_DAY)
    first_day = date(2026, 10, 25)
    with pytest.raises(MutationError) as series:
        svc.book_series(ids["cy"], ids["haddad"], first_day, time(1, 30), 1, 2, "Lab review")
    assert [o["ok"] for o in series.value.occurrences] == [True, False]
    assert "happens twice" in series.value.occurrences[1]["reasons"][0]
    ok = svc.book_series(
        ids["cy"], ids["haddad"], first_day, time(1, 30), 1, 2, "Lab review", fold=1
    )
    starts = _rows(
        path,
        f"SELECT start_utc FROM appointment WHERE id IN ({','.join('?' * 2)}) ORDER BY start_utc",
        tuple(ok["appointment_ids"]),
    )
    assert starts == [("2026-10-25 05:30:00.000000",), ("2026-11-01 06:30:00.000000",)]


# ------------------------------------------------------------- bad input


UNKNOWN = "01a250eb-0000-7000-8000-000000000000"  # a well-formed id of nothing here


def test_bad_input_is_refused_clearly_and_saves_nothing(clinic):
    svc, ids, path = clinic
    before = _snapshot(path)
    start = _at(TUESDAY, 10)
    cases = [
        (lambda: svc.book(ids["ada"], UNKNOWN, start, "Follow-up"), "Unknown provider"),
        (lambda: svc.book(ids["ada"], ids["okafor"], start, "Follow-up", minutes=0), "more than 0"),
        (
            lambda: svc.book(ids["ada"], ids["okafor"], start, "Follow-up", minutes=-15),
            "more than 0",
        ),
        (
            lambda: svc.book(
                ids["ada"], ids["okafor"], start, "Follow-up", end=start - timedelta(minutes=15)
            ),
            r"The end \(09:45\) must be after the start \(10:00\)",
        ),
        (
            lambda: svc.book(ids["ada"], ids["okafor"], start.replace(year=2036), "Follow-up"),
            r"Mon 03 Mar 2036 is too far ahead: bookings open 365 days ahead \(until Tue 02 Mar 2027\)",
        ),
        (lambda: svc.book(ids["ada"], ids["okafor"], start, "Massage"), "Unknown appointment type"),
        (
            lambda: svc.book(ids["ada"], ids["okafor"], start, "Vaccination", "video"),
            "Vaccination is in person only",
        ),
        (lambda: svc.book(ids["ada"], ids["okafor"], start, "Follow-up", "fax"), "not a modality"),
        (lambda: svc.book(UNKNOWN, ids["okafor"], start, "Follow-up"), "Patient not found"),
        (lambda: svc.book("nobody", ids["okafor"], start, "Follow-up"), "not a valid id"),
        (
            lambda: svc.book(ids["ada"], ids["okafor"], start, "Follow-up", minutes=9 * 60),
            "longer than 8 hours",
        ),
        (
            lambda: svc.book(ids["ada"], ids["okafor"], start, "Follow-up", priority="asap"),
            "routine or urgent",
        ),
    ]
    for call, message in cases:
        with pytest.raises(MutationError, match=message):
            call()
        assert _snapshot(path) == before, message
    # the far-future refusal still offers the last bookable days
    with pytest.raises(MutationError) as far:
        svc.book(ids["ada"], ids["okafor"], start.replace(year=2036), "Follow-up")
    alternatives = [datetime.fromisoformat(a["start"]) for a in far.value.alternatives]
    assert alternatives and all(a <= NOW + timedelta(days=365) for a in alternatives)
    # raw args as a damaged outbox or a hostile client might send them
    base = {
        "appointment_id": UNKNOWN, "patient_id": ids["ada"], "provider_id": ids["okafor"],
        "type": "Follow-up", "start": start.isoformat(), "at": NOW.isoformat(),
    }  # fmt: skip
    for patch, message in [
        ({"start": "next tuesday"}, "not a valid start time"),
        ({"start": None}, "start time is required"),
        ({"minutes": "15.5"}, "whole number"),
        ({"minutes": True}, "whole number"),
        ({"horizon_days": 0}, "at least 1 day"),
        ({"kind": "walk_in"}, "walk-in"),
        ({"at": "yesterday"}, "not a valid at time"),
        ({"appointment_id": "a1"}, "appointment_id is not a valid id"),
        ({"patient_id": "' OR 1=1 --"}, "patient_id is not a valid id"),
        ({"provider_id": -1}, "provider_id is not a valid id"),
    ]:
        with pytest.raises(MutationError, match=message):
            run_local(svc.engine, "book_appointment", {**base, **patch}, "desk1")
    assert _snapshot(path) == before
    with pytest.raises(ValueError, match="aware"):
        svc.book(ids["ada"], ids["okafor"], datetime(2026, 3, 3, 10), "Follow-up")


# ------------------------------------------------- schedules and reads


def test_schedules_and_exceptions_shape_the_grid_and_the_finder(clinic):
    svc, ids, path = clinic
    with pytest.raises(MutationError, match="Monday 13:00-12:00: end before start"):
        svc.set_provider_schedule(ids["okafor"], {"mon": [["13:00", "12:00"]]})
    with pytest.raises(MutationError, match="5 to 240 minutes"):
        svc.set_provider_schedule(ids["okafor"], slot_minutes=7)
    svc.set_provider_schedule(ids["okafor"], WEEKDAYS, slot_minutes=30)

    grid = svc.day_grid(ids["okafor"], TUESDAY)
    assert [(s.start, s.end) for s in grid.sessions] == [
        (_at(TUESDAY, 9), _at(TUESDAY, 12)),
        (_at(TUESDAY, 13), _at(TUESDAY, 17)),
    ]
    assert len(grid.free) == 14 and grid.slot_minutes == 30
    appt = svc.book(ids["ada"], ids["okafor"], _at(TUESDAY, 9, 30), "Consultation")
    grid = svc.day_grid(ids["okafor"], TUESDAY)
    assert [r.id for r in grid.appointments] == [appt["appointment_id"]]
    assert grid.appointments[0].family_name == "Lovelace"
    assert _at(TUESDAY, 9, 30) not in [s.start for s in grid.free] and len(grid.free) == 13

    # leave on Tuesday afternoon, an extra Saturday morning
    leave = svc.add_schedule_exception(
        ids["okafor"], TUESDAY, start="09:00", end="12:00", reason="Training"
    )
    assert leave["affected"] == [appt["appointment_id"]]  # someone must move it
    saturday = TUESDAY + timedelta(days=4)
    svc.add_schedule_exception(ids["okafor"], saturday, start="08:00", end="10:00", kind="extra")
    grid = svc.day_grid(ids["okafor"], TUESDAY)
    assert [(s.start, s.end) for s in grid.sessions] == [(_at(TUESDAY, 13), _at(TUESDAY, 17))]
    with pytest.raises(MutationError, match="Outside the provider's hours"):
        svc.book(ids["bo"], ids["okafor"], _at(TUESDAY, 10), "Follow-up")
    assert len(svc.day_grid(ids["okafor"], saturday).free) == 4
    svc.book(ids["bo"], ids["okafor"], _at(saturday, 8), "Follow-up")
    rows = svc.schedule_exceptions(ids["okafor"], TUESDAY, saturday)
    assert [(r.kind, r.reason) for r in rows] == [("closure", "Training"), ("extra", "")]
    with pytest.raises(MutationError, match="both a start and an end time"):
        svc.add_schedule_exception(ids["okafor"], TUESDAY, start="09:00")
    with pytest.raises(MutationError, match="is before the first"):
        svc.add_schedule_exception(ids["okafor"], TUESDAY, TUESDAY - timedelta(days=1))
    svc.remove_schedule_exception(rows[0].id)
    assert len(svc.day_grid(ids["okafor"], TUESDAY).sessions) == 2

    # whole-day leave for Dr Haddad on Tuesday: the finder skips him that day
    svc.add_schedule_exception(ids["haddad"], TUESDAY, reason="Leave")
    slots = svc.next_free_slots("Follow-up", None, _at(TUESDAY, 0), limit=40)
    assert slots == sorted(slots, key=lambda s: (s.start, s.provider_id))
    assert all(s.start >= _at(TUESDAY, 0) for s in slots)
    tuesday_haddad = [
        s for s in slots if s.provider_id == ids["haddad"] and s.start < _at(TUESDAY, 23)
    ]
    assert tuesday_haddad == []
    first = svc.next_free_slots("Consultation", ids["okafor"], NOW, limit=1)
    assert first == [Slot(ids["okafor"], NOW, NOW + timedelta(minutes=30))]  # Mon 09:00


def test_appointment_types_fall_back_to_the_defaults_and_follow_the_table(clinic):
    svc, ids, path = clinic
    assert [t.name for t in svc.appointment_types()] == [t.name for t in DEFAULT_TYPES]
    with closing(sqlite3.connect(path)) as conn:
        clinic_id = conn.execute("SELECT id FROM clinic").fetchone()[0]
        conn.execute(
            "INSERT INTO appointment_type (id, clinic_id, name, minutes, modalities, active) "
            "VALUES ('t1', ?, 'Long visit', 60, 'in_person', 1), "
            "('t2', ?, 'Retired', 15, 'phone', 0)",
            (clinic_id, clinic_id),
        )
        conn.commit()
    assert [(t.name, t.minutes) for t in svc.appointment_types()] == [("Long visit", 60)]
    result = svc.book(ids["ada"], ids["okafor"], _at(TUESDAY, 10), "Long visit")
    assert result["end"] == _at(TUESDAY, 11).isoformat()
    with pytest.raises(MutationError, match="Unknown appointment type 'Follow-up'"):
        svc.book(ids["bo"], ids["okafor"], _at(TUESDAY, 14), "Follow-up")
    with pytest.raises(MutationError, match="in person only"):
        svc.book(ids["bo"], ids["okafor"], _at(TUESDAY, 14), "Long visit", "phone")


# ------------------------------------------------------------- migration


def test_a_version_3_store_migrates_to_4_with_types_and_books(tmp_path):
    path = tmp_path / "v3.db"
    b = StoreBuilder(path, zone=ZONE)
    dr, ada = b.provider("Dr Okafor"), b.patient("Ada", "Lovelace")
    old = b.appointment(ada, dr, start=NOW + timedelta(days=1))
    b.close()
    _set_schedule(path, dr, WEEKDAYS)
    with closing(sqlite3.connect(path)) as conn:  # take the store back to what v3 wrote
        for table in V4_TABLES | LATER_TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute("DROP INDEX ix_appointment_provider_span")
        conn.execute("PRAGMA user_version=3")
        conn.commit()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == V3_TABLES

    svc = Service(path, actor="desk1", clock=lambda: NOW)  # migrates before the first read
    try:
        assert schema_version(path) == SCHEMA_VERSION
        stored = _rows(path, "SELECT clinic_id, name, minutes, modalities FROM appointment_type")
        assert [(n, m) for _, n, m, _ in stored] == [(t.name, t.minutes) for t in DEFAULT_TYPES]
        assert dict((n, mods) for _, n, _, mods in stored)["Vaccination"] == "in_person"
        assert {c for c, *_ in stored} == {_rows(path, "SELECT id FROM clinic")[0][0]}
        assert svc.queue_row(old).status == "booked"
        result = svc.book(ada, dr, _at(TUESDAY, 10), "Follow-up")
        assert svc.queue_row(result["appointment_id"]).status == "booked"
    finally:
        svc.close()
    assert _rows(path, "PRAGMA integrity_check") == [("ok",)]
    assert _rows(path, "PRAGMA foreign_key_check") == []
    indexes = {r[1] for r in _rows(path, "PRAGMA index_list(appointment)")}
    assert "ix_appointment_provider_span" in indexes  # create_all skips old tables' indexes


def test_the_version_4_step_is_harmless_on_a_store_that_already_has_it(tmp_path):
    path = tmp_path / "fresh.db"
    b = StoreBuilder(path, zone=ZONE)  # fresh: v1's create_all already made the v4 tables
    engine = b.engine
    with engine.begin() as conn:
        MIGRATIONS[4](conn)  # seeds types for the clinic that exists now
    with engine.begin() as conn:
        MIGRATIONS[4](conn)  # and a second run adds nothing
    b.close()
    assert _count(path, "appointment_type") == len(DEFAULT_TYPES)
    open_store(path).dispose()
    assert schema_version(path) == SCHEMA_VERSION


# ------------------------------------------------------------- property


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.tuples(st.integers(0, 40), st.sampled_from([15, 30, 45]), st.integers(0, 2)),
        min_size=1,
        max_size=12,
    )
)
def test_booked_appointments_of_a_provider_never_overlap(clinic, attempts):
    """Whatever is attempted, the store never holds two overlapping active bookings."""
    svc, ids, path = clinic
    with closing(sqlite3.connect(path)) as conn:  # a fresh provider per example
        provider = f"p-{conn.execute('SELECT count(*) FROM provider').fetchone()[0]}"
        conn.execute(
            "INSERT INTO provider (id, clinic_id, name, short_name, specialty, schedule_json, "
            "slot_minutes, active) SELECT ?, id, 'P', 'P', '', ?, 15, 1 FROM clinic",
            (provider, json.dumps(WEEKDAYS)),
        )
        conn.commit()
    patients = [ids["ada"], ids["bo"], ids["cy"]]
    booked = 0
    for step, minutes, who in attempts:
        start = _at(TUESDAY, 9) + timedelta(minutes=15 * step)
        try:
            svc.book(patients[who], provider, start, "Follow-up", minutes=minutes)
            booked += 1
        except MutationError as exc:
            assert str(exc)
            for alt in exc.alternatives:  # every alternative offered is really free now
                assert alt["provider_id"] == provider
    rows = _rows(
        path,
        "SELECT start_utc, end_utc FROM appointment WHERE provider_id = ? AND status = 'booked' "
        "ORDER BY start_utc",
        (provider,),
    )
    assert len(rows) == booked
    assert all(a[1] <= b[0] for a, b in zip(rows, rows[1:], strict=False))
