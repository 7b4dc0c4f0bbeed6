"""Undoing a cancel, replayed by a real clinic server (SQLite and PostgreSQL): the server
runs the same rule, so "booked again since" means since there too (issue 10, #5)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from coordtui.sync import local
from tests.sync_env import Workstation, dump, now_utc, server_database, start_server


@pytest.fixture(params=["sqlite", "postgres"])
def server(request, tmp_path):
    srv = start_server(server_database(request, tmp_path), tmp_path)
    yield srv
    srv.stop()


def _ten_tomorrow():
    day = (now_utc() + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return day + timedelta(hours=10)


def _status(server, appointment_id: str) -> str:
    rows = {r["id"]: r for r in dump(server.engine)["appointment"]}
    return rows[appointment_id]["status"]


def test_the_server_accepts_an_undo_whose_only_overlaps_were_there_before(tmp_path, server):
    dr, (p1, p2, p3) = server.ids["providers"][0], server.ids["patients"]
    a = Workstation(tmp_path / "a.db", "desk-a").connect(server)
    b = None
    try:
        svc, ten = a.service, _ten_tomorrow()
        svc.set_provider_schedule(dr, overbook_allowance=1)
        first = svc.book(p1, dr, ten, "Consultation", minutes=30)["appointment_id"]
        svc.book(p2, dr, ten, "Consultation", minutes=15)
        svc.book(p3, dr, ten + timedelta(minutes=15), "Consultation", minutes=15)
        svc.set_status(first, "cancelled", "rang to cancel")
        svc.undo_status(first)  # offline: all of it reaches the server in one push
        a.sync()
        assert a.pending() == 0 and local.conflicts(svc.engine) == []
        assert _status(server, first) == "booked"
        b = Workstation(tmp_path / "b.db", "desk-b").connect(server)
        assert b.service.queue_row(first).status == "booked"
        assert a.dump() == b.dump() == dump(server.engine)
    finally:
        a.close()
        if b is not None:
            b.close()


def test_the_server_refuses_an_undo_once_another_desk_took_the_time(tmp_path, server):
    dr, (p1, p2, p3) = server.ids["providers"][0], server.ids["patients"]
    a = Workstation(tmp_path / "a.db", "desk-a").connect(server)
    b = None
    try:
        ten = _ten_tomorrow()
        a.service.set_provider_schedule(dr, overbook_allowance=1)
        first = a.service.book(p1, dr, ten, "Consultation", minutes=30)["appointment_id"]
        a.service.book(p2, dr, ten, "Consultation", minutes=15)  # there before the cancel
        a.service.set_status(first, "cancelled", "rang to cancel")
        a.sync()
        b = Workstation(tmp_path / "b.db", "desk-b").connect(server)
        b.service.book(p3, dr, ten, "Consultation", minutes=15)  # the freed room, since
        b.sync()
        a.service.undo_status(first)  # desk a has not heard of b's booking: fine here
        a.sync()
        (conflict,) = local.conflicts(a.service.engine)
        assert conflict.name == "undo_status" and "booked again since" in conflict.reason
        assert _status(server, first) == "cancelled"
        assert a.service.queue_row(first).status == "cancelled"  # the server's word
    finally:
        a.close()
        if b is not None:
            b.close()
