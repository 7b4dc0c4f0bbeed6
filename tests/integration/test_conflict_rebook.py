"""Rebooking a refused booking is one transaction: the new booking (and its outbox entry)
and the conflict marked "rebooked" commit together or not at all.

A real clinic server on loopback (tests.sync_env.ThreadServer, SQLite), real
workstation stores and the real Service.  Failures are made in the store itself (a
SQLite trigger), never by mocking coordtui.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from coordtui.mutations import MutationError
from coordtui.sync import local
from tests.sync_env import (
    Workstation,
    now_utc,
    small_clinic_server,
)


@pytest.fixture
def server(tmp_path):
    with small_clinic_server(tmp_path) as srv:
        yield srv


@pytest.fixture
def refused(tmp_path, server):
    """Desk A booked Ada offline into a slot desk B gave Bo and synced first: after A's
    sync that booking is a conflict with times to rebook into.  Yields (desk A, conflict)."""
    a = Workstation(tmp_path / "desk-a.db", "desk-a").connect(server)
    b = Workstation(tmp_path / "desk-b.db", "desk-b").connect(server)
    start = now_utc().replace(minute=0, second=0, microsecond=0) + timedelta(hours=3)
    a.service.book(server.ids["ada"], server.ids["dr"], start, "Consultation")
    b.service.book(server.ids["bo"], server.ids["dr"], start, "Consultation")
    b.sync()
    b.close()
    assert a.sync().conflicts == 1
    (conflict,) = a.service.sync_conflicts()
    assert conflict.name == "book_appointment" and conflict.can_rebook
    yield a, conflict
    a.close()


def _ada_booked(desk: Workstation, patient_id: str) -> list:
    with desk.service.engine.connect() as conn:
        sql = "SELECT provider_id, start_utc FROM appointment WHERE patient_id = :p"
        return conn.execute(text(sql), {"p": patient_id}).all()


def _conflict_row(desk: Workstation, mutation_id: int):
    (row,) = [c for c in local.conflicts(desk.service.engine, True) if c.mutation_id == mutation_id]
    return row


def _sql(desk: Workstation, statement: str) -> None:
    """Change the store's schema from another connection, as another process could."""
    conn = sqlite3.connect(desk.path)
    try:
        conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def _nothing_committed(desk: Workstation, conflict, patient_id: str) -> None:
    assert _ada_booked(desk, patient_id) == []
    assert desk.pending() == 0
    row = _conflict_row(desk, conflict.mutation_id)
    assert row.resolved_at is None and row.resolution in ("", None)
    assert [c.mutation_id for c in desk.service.sync_conflicts()] == [conflict.mutation_id]


def test_rebook_books_the_chosen_time_and_resolves_the_conflict(server, refused):
    a, conflict = refused
    ada, chosen = server.ids["ada"], conflict.options[1]
    result = a.service.rebook_conflict(conflict.mutation_id, 1)
    assert result["resolution"] == "rebooked"
    (booked,) = _ada_booked(a, ada)
    assert booked.provider_id == chosen.provider_id
    assert str(booked.start_utc)[:16] == chosen.start.strftime("%Y-%m-%d %H:%M")
    assert a.pending() == 1  # the booking, to be sent
    row = _conflict_row(a, conflict.mutation_id)
    assert row.resolution == "rebooked" and row.resolved_at is not None
    assert a.service.sync_conflicts() == [] and a.service.conflict_count() == 0
    a.sync()
    assert a.pending() == 0 and len(_ada_booked(a, ada)) == 1


def test_when_marking_resolved_fails_the_booking_is_not_committed_either(server, refused):
    a, conflict = refused
    ada = server.ids["ada"]
    _sql(
        a,
        "CREATE TRIGGER refuse_resolution BEFORE UPDATE OF resolved_at ON sync_conflict "
        "BEGIN SELECT RAISE(ABORT, 'no resolution today'); END",
    )
    with pytest.raises(DBAPIError, match="no resolution today"):
        a.service.rebook_conflict(conflict.mutation_id, 0)
    _nothing_committed(a, conflict, ada)

    _sql(a, "DROP TRIGGER refuse_resolution")  # the same rebook now goes through whole
    assert a.service.rebook_conflict(conflict.mutation_id, 0)["resolution"] == "rebooked"
    assert len(_ada_booked(a, ada)) == 1 and a.pending() == 1
    assert _conflict_row(a, conflict.mutation_id).resolution == "rebooked"


def test_a_conflict_resolved_meanwhile_rolls_the_rebooking_back(server, refused):
    """Resolved by someone else between reading it and booking (here: by a trigger in the
    booking's own transaction, so the moment is certain): nothing is booked."""
    a, conflict = refused
    _sql(
        a,
        "CREATE TRIGGER resolved_meanwhile AFTER INSERT ON outbox BEGIN "
        "UPDATE sync_conflict SET resolved_at = '2000-01-01 00:00:00.000000', "
        "resolution = 'accepted' WHERE resolved_at IS NULL; END",
    )
    with pytest.raises(MutationError, match="resolved meanwhile"):
        a.service.rebook_conflict(conflict.mutation_id, 0)
    _nothing_committed(a, conflict, server.ids["ada"])


def test_a_refused_rebooking_leaves_the_conflict_open(server, refused):
    a, conflict = refused
    chosen = conflict.options[0]
    taken = a.service.book(
        server.ids["bo"], chosen.provider_id, chosen.start, "Consultation", end=chosen.end
    )
    with pytest.raises(MutationError):
        a.service.rebook_conflict(conflict.mutation_id, 0)
    assert _ada_booked(a, server.ids["ada"]) == []
    assert a.pending() == 1  # Bo's booking only
    assert a.service.pending_changes()[0].mutation_id == taken["mutation_id"]
    row = _conflict_row(a, conflict.mutation_id)
    assert row.resolved_at is None
    assert a.service.conflict_count() == 1
