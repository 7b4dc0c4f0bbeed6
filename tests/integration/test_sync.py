"""Workstations and a real clinic server on loopback: convergence, double booking, exactly-once."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text

from coordtui.interop.fhir import export_bundle
from coordtui.store.db import open_store
from coordtui.sync import local
from coordtui.sync.client import SyncError, headers
from tests.sync_env import (
    ServerProcess,
    Workstation,
    dump,
    now_utc,
    small_clinic,
    sqlite_url,
)


def _serve(url: str, tmp_path) -> ServerProcess:
    srv = ServerProcess(url)
    b, srv.ids = small_clinic(tmp_path / "baseline.db")
    srv.load(b.engine)
    b.close()
    return srv.start()


@pytest.fixture(params=["sqlite", "postgres"])
def server(request, tmp_path):
    if request.param == "sqlite":
        url = sqlite_url(tmp_path / "server.db")
    else:
        url = request.getfixturevalue("pg_database")
    srv = _serve(url, tmp_path)
    yield srv
    srv.stop()


@pytest.fixture
def sqlite_server(tmp_path):
    srv = _serve(sqlite_url(tmp_path / "server.db"), tmp_path)
    yield srv
    srv.stop()


def _desks(tmp_path, server, *names):
    return [Workstation(tmp_path / f"{n}.db", n).connect(server) for n in names]


def _slot(hours: int = 2):
    start = now_utc().replace(minute=0, second=0, microsecond=0) + timedelta(hours=hours)
    return start


def _server_appointments(server, where: str = "1=1", **params):
    with server.engine.connect() as conn:
        return conn.execute(text(f"SELECT id, patient_id, status FROM appointment WHERE {where}"),
                            params).all()  # fmt: skip


def test_registered_and_checked_in_on_a_appears_on_b_and_all_match_the_server(
    tmp_path, sqlite_server
):
    server = sqlite_server
    a, b = _desks(tmp_path, server, "desk-a", "desk-b")
    try:
        new = a.service.register_patient(
            {"given_name": "Grace", "family_name": "Hopper", "dob": "1906-12-09"}
        )["patient_id"]
        booked = a.service.book(new, server.ids["dr"], _slot(), "Consultation")
        a.service.set_status(booked["appointment_id"], "arrived")
        assert a.pending() == 3
        a.sync()
        assert a.pending() == 0
        b.sync()
        row = b.service.queue_row(booked["appointment_id"])
        assert row is not None and row.status == "arrived"
        assert [h.patient_id for h in b.service.search_patients("hopper grace")] == [new]
        assert a.dump() == b.dump() == dump(server.engine)
        fixed = now_utc()
        server_path = tmp_path / "server.db"
        assert (
            export_bundle(a.path, now=fixed)
            == export_bundle(b.path, now=fixed)
            == export_bundle(server_path, now=fixed)
        )
    finally:
        a.close()
        b.close()


def test_offline_double_booking_leaves_one_booking_and_two_conflicts(tmp_path, server):
    desks = _desks(tmp_path, server, "a", "b", "c")
    try:
        start = _slot(3)
        patients = []
        for i, desk in enumerate(desks):  # all three offline: each books the same slot
            pid = desk.service.register_patient(
                {"given_name": f"Walker{i}", "family_name": "Offline"}
            )["patient_id"]
            patients.append(pid)
            desk.service.book(pid, server.ids["dr"], start, "Consultation")
        for desk in desks:
            desk.sync()
        for desk in desks:  # everyone hears about everyone
            desk.sync()
        standing = _server_appointments(
            server, "provider_id = :p AND status = 'booked'", p=server.ids["dr"]
        )
        assert len(standing) == 1 and standing[0].patient_id == patients[0]
        for desk in desks:
            assert desk.pending() == 0
            assert desk.dump() == dump(server.engine)
        assert local.conflicts(desks[0].service.engine) == []
        for desk in desks[1:]:
            (conflict,) = local.conflicts(desk.service.engine)
            assert conflict.name == "book_appointment"
            assert "taken" in conflict.reason.lower() or "booked" in conflict.reason.lower()
            assert conflict.detail["alternatives"], "alternatives offered"
        # The refused patients' registrations stood; only the bookings were refused.
        assert {r.patient_id for r in _server_appointments(server)} == {patients[0]}
    finally:
        for desk in desks:
            desk.close()


def test_the_same_push_batch_ten_times_has_one_effect(tmp_path, sqlite_server):
    server = sqlite_server
    (a,) = _desks(tmp_path, server, "a")
    try:
        booked = a.service.book(server.ids["ada"], server.ids["dr"], _slot(), "Consultation")
        a.service.set_status(booked["appointment_id"], "arrived")
        batch = local.pending(a.service.engine, 100)
        token = local.read_meta(a.service.engine, "sync.token")
        answers = []
        for _ in range(10):
            r = httpx.post(
                server.url + "/v1/push",
                json={"mutations": batch},
                headers={**headers(token)},
                timeout=10,
            )
            assert r.status_code == 200
            answers.append(r.json()["results"])
        assert [x["status"] for x in answers[0]] == ["applied", "applied"]
        assert all([x["status"] for x in ans] == ["applied", "applied"] for ans in answers[1:])
        assert len(_server_appointments(server)) == 1
        with server.engine.connect() as conn:
            events = conn.execute(
                text("SELECT count(*) FROM status_event WHERE to_status = 'arrived'")
            ).scalar_one()
            results = conn.execute(text("SELECT count(*) FROM srv_result")).scalar_one()
        assert results == 2
        assert events == 1  # the check-in, once
        a.sync()
        assert a.pending() == 0 and a.dump() == dump(server.engine)
    finally:
        a.close()


def test_server_killed_after_commit_before_reply_leaves_no_duplicate(tmp_path, sqlite_server):
    server = sqlite_server
    (a,) = _desks(tmp_path, server, "a")
    try:
        server.stop()
        server.start(env={"COORDTUI_SERVER_CRASH_AFTER_COMMIT": "1"})
        booked = a.service.book(server.ids["ada"], server.ids["dr"], _slot(), "Consultation")
        with pytest.raises(SyncError):
            a.sync()  # committed on the server, which then died without answering
        assert server.proc.wait(10) == 17
        assert a.pending() == 1
        server.start()
        a.sync()
        assert a.pending() == 0
        found = _server_appointments(server)
        assert [r.id for r in found] == [booked["appointment_id"]]
        assert local.conflicts(a.service.engine) == []
        assert a.dump() == dump(server.engine)
    finally:
        a.close()


def test_open_store_on_bootstrapped_copy_has_search_index(tmp_path, sqlite_server):
    (a,) = _desks(tmp_path, sqlite_server, "a")
    try:
        hits = a.service.search_patients("lovelace")
        assert [h.patient_id for h in hits] == [sqlite_server.ids["ada"]]
    finally:
        a.close()
    open_store(a.path).dispose()


def test_a_bootstrapped_store_has_the_indexes_of_a_fresh_one(tmp_path, sqlite_server):
    """Bootstrap drops secondary indexes for speed and must put every one back."""
    import sqlite3
    from contextlib import closing

    def indexes(path):
        with closing(sqlite3.connect(path)) as conn:
            return sorted(
                conn.execute(
                    "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index'"
                ).fetchall()
            )

    (a,) = _desks(tmp_path, sqlite_server, "a")
    a.close()
    open_store(tmp_path / "fresh.db").dispose()
    assert indexes(a.path) == indexes(tmp_path / "fresh.db")
    with closing(sqlite3.connect(a.path)) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'sync.reindex'").fetchone() is None
