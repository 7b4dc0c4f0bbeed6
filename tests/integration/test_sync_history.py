"""Issue 6, bootstrap: a new workstation pulls every patient but only a window of
appointments (a year by default), never a status event, hand-off note, coverage
check or copay whose appointment it lacks; an old appointment that changes later
still reaches it.  Real server on loopback."""

from __future__ import annotations

import base64
import sqlite3
from datetime import timedelta

import pytest

from coordtui.server import cursors, enrolment, history, pulling
from tests.builders import StoreBuilder
from tests.sync_env import ServerProcess, Workstation, dump, now_utc, sqlite_url


@pytest.fixture(params=["sqlite", "postgres"])
def server(request, tmp_path):
    b = StoreBuilder(tmp_path / "baseline.db")
    dr = b.provider("Dr Okafor")
    ada, bo = b.patient("Ada", "Lovelace"), b.patient("Bo", "Diddley")
    now = now_utc()
    ids = {
        "old_done": b.appointment(ada, dr, start=now - timedelta(days=800), status="done"),
        "old_open": b.appointment(bo, dr, start=now - timedelta(days=500)),  # never closed
        "recent": b.appointment(ada, dr, start=now - timedelta(days=30), status="done"),
        "next": b.appointment(bo, dr, start=now + timedelta(days=7)),
        "ada": ada,
        "bo": bo,
    }
    for visit in ("old_done", "recent"):  # coverage checked and copay taken at both visits
        at = now - timedelta(days=800 if visit == "old_done" else 30)
        b.coverage_check(ada, at, appointment_id=ids[visit], payer="Acme")
        b.copay_payment(ids[visit])
    ids["unattached_check"] = b.coverage_check(bo, now - timedelta(days=900), payer="Self-pay")
    if request.param == "sqlite":
        url = sqlite_url(tmp_path / "server.db")
    else:
        url = request.getfixturevalue("pg_database")
    srv = ServerProcess(url)
    srv.load(b.engine)
    b.close()
    srv.ids = ids
    srv.start()
    yield srv
    srv.stop()


def _ids(desk: Workstation, table: str, column: str = "id") -> set[str]:
    return {row[column] for row in desk.dump()[table]}


def _orphans(path) -> list:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        conn.close()


def test_a_bootstrap_takes_every_patient_and_a_year_of_appointments(server, tmp_path):
    ids = server.ids
    a = Workstation(tmp_path / "a.db", "desk-a").connect(server)  # the default: 365 days
    b = Workstation(tmp_path / "b.db", "desk-b").connect(server, history_days=0)  # all
    try:
        assert _ids(a, "patient") == {ids["ada"], ids["bo"]}
        assert _ids(a, "appointment") == {ids["recent"], ids["next"]}
        booked = {ids["recent"], ids["next"]}
        assert _ids(a, "status_event", "appointment_id") == {ids["recent"]}
        assert _ids(a, "appointment_booking", "appointment_id") <= booked
        assert _ids(a, "copay_payment", "appointment_id") == {ids["recent"]}
        checks = {r["appointment_id"] for r in a.dump()["coverage_check"]}
        assert checks == {ids["recent"], None}  # one not made at a visit is always sent
        assert ids["unattached_check"] in _ids(a, "coverage_check")
        assert _orphans(a.path) == []
        # Every other synced table is the server's, whole.
        server_rows = dump(server.engine)
        mine = a.dump()
        for table in server_rows:
            if table not in history.BY_APPOINTMENT:
                assert mine[table] == server_rows[table], table
        assert b.dump() == server_rows  # history_days = 0: everything
        # Past visits inside the window are on the card; older ones are on the server.
        visits = {v.id for v in a.service.patient_appointments(ids["ada"])}
        assert visits == {ids["recent"]}
    finally:
        a.close()
        b.close()


def test_an_old_appointment_reaches_a_windowed_desk_when_it_changes(server, tmp_path):
    ids = server.ids
    a = Workstation(tmp_path / "a.db", "desk-a").connect(server)
    b = Workstation(tmp_path / "b.db", "desk-b").connect(server, history_days=0)
    try:
        # A note on an old visit alone: A has no such visit, so it gets no note.
        b.service.add_hand_off(ids["old_done"], "Records sent to the new clinic")
        b.sync()
        a.sync()
        assert ids["old_done"] not in _ids(a, "appointment")
        assert _ids(a, "hand_off") == set()
        assert _orphans(a.path) == []
        # The never-closed old visit is marked a no-show: the visit itself changed.
        b.service.set_status(ids["old_open"], "no_show")
        b.sync()
        a.sync()
        assert ids["old_open"] in _ids(a, "appointment")
        (row,) = [r for r in a.dump()["appointment"] if r["id"] == ids["old_open"]]
        assert row["status"] == "no_show"
        assert ids["old_open"] in _ids(a, "status_event", "appointment_id")
        assert _orphans(a.path) == []
        assert a.pending() == 0 and b.pending() == 0
    finally:
        a.close()
        b.close()


def test_the_window_is_fixed_when_the_bootstrap_starts(server):
    """Pages after the first read the window from the cursor, not from the request."""
    writer, reader = server.engine, server.engine
    client_id, _token = enrolment.register(writer, enrolment.make_enrol_code(writer), "desk-c")
    first = pulling.pull(reader, client_id, None, limit=1, history_days=365)
    position = cursors.decode_cursor(first["cursor"])
    assert position.floor and position.boot > 0
    seen, cursor = [c for c in first["changes"]], first["cursor"]
    while True:
        page = pulling.pull(reader, client_id, cursor, limit=1, history_days=0)
        seen += page["changes"]
        cursor = page["cursor"]
        if not page["more"]:
            break
    appointments = {c["k"] for c in seen if c["t"] == "appointment"}
    assert appointments == {server.ids["recent"], server.ids["next"]}
    assert cursors.decode_cursor(cursor).floor == position.floor


def test_a_cursor_from_an_older_server_still_reads():
    five = base64.urlsafe_b64encode(b'["e",3,"v","t","k"]').decode()
    assert cursors.decode_cursor(five) == cursors.Position("e", 3, "v", "t", "k")  # no window
    again = cursors.encode_cursor(
        cursors.Position("e", 3, "v", "t", "k", 9, "2026-01-01T00:00:00+00:00")
    )
    assert cursors.decode_cursor(again).boot == 9
    naive = base64.urlsafe_b64encode(b'["e",3,"v","","",1,"2026-01-01T00:00:00"]').decode()
    assert cursors.decode_cursor(naive) is None  # not one this server issued
