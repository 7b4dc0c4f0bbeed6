"""Coverage at check-in through a real clinic server (SQLite and PostgreSQL): a check-in
made offline (arrival, coverage verified, copay) reaches the server and a second
workstation whole; one refused by the server is a conflict that still shows the copay."""

from __future__ import annotations

from datetime import timedelta

import pytest

from coordtui.interop.fhir import export_bundle
from coordtui.sync import local
from tests.builders import ALL_DAY, StoreBuilder
from tests.sync_env import ServerProcess, Workstation, dump, now_utc, server_database


@pytest.fixture(params=["sqlite", "postgres"])
def server(request, tmp_path):
    b = StoreBuilder(tmp_path / "baseline.db")
    dr = b.provider("Dr Okafor", hours=ALL_DAY)
    ada = b.patient("Ada", "Lovelace", payer="Acme Health", member_id="ACM-1", copay_cents=2500)
    appt = b.appointment(ada, dr, start=now_utc() + timedelta(hours=1))
    srv = ServerProcess(server_database(request, tmp_path))
    srv.load(b.engine)
    b.close()
    srv.ids = {"ada": ada, "appt": appt}
    srv.start()
    yield srv
    srv.stop()


def _desks(tmp_path, server, *names):
    return [Workstation(tmp_path / f"{n}.db", n).connect(server) for n in names]


def test_a_check_in_made_offline_arrives_whole_on_the_server_and_another_desk(tmp_path, server):
    a, b = _desks(tmp_path, server, "desk-a", "desk-b")
    appt = server.ids["appt"]
    try:
        seen = a.service.visit_coverage(appt)
        a.service.check_in(appt, seen, 2500, "card")  # offline: nothing sent yet
        assert a.pending() == 1 and b.service.queue_row(appt).status == "booked"
        a.sync()
        b.sync()
        row = b.service.queue_row(appt)
        assert row.status == "arrived" and row.coverage_verified_at is not None
        check = b.service.last_coverage_check(server.ids["ada"])
        assert (check.payer, check.member_id) == ("Acme Health", "ACM-1")
        # Recorded by the server under what the desk said and which desk sent it.
        assert check.actor.startswith("desk-a · desk-a [") and check.actor.endswith("]")
        assert b.service.visit_coverage(appt).collected_cents == 2500
        server_rows = dump(server.engine)
        assert [(r["amount_cents"], r["method"]) for r in server_rows["copay_payment"]] == [
            (2500, "card")
        ]
        assert a.dump() == b.dump() == server_rows
        if server.database_url.startswith("sqlite"):
            fixed = now_utc()
            server_path = server.database_url.split("///", 1)[1]
            assert export_bundle(a.path, now=fixed) == export_bundle(server_path, now=fixed)
    finally:
        a.close()
        b.close()


def test_a_check_in_the_server_refuses_is_a_conflict_that_shows_the_copay(tmp_path, server):
    a, b = _desks(tmp_path, server, "desk-a", "desk-b")
    appt = server.ids["appt"]
    try:
        a.service.check_in(appt, None, 2500, "cash")  # both desks, both offline
        b.service.check_in(appt, b.service.visit_coverage(appt), 2500, "card")
        a.sync()
        b.sync()
        (conflict,) = local.conflicts(b.service.engine)
        assert conflict.name == "check_in" and "Already arrived" in conflict.reason
        (shown,) = b.service.sync_conflicts()
        assert shown.label == "Check-in"
        assert shown.what == "Lovelace, Ada → arrived; coverage verified; copay 25.00 card"
        server_rows = dump(server.engine)  # desk b's copay and check were not applied
        assert [(r["method"]) for r in server_rows["copay_payment"]] == ["cash"]
        assert server_rows["coverage_check"] == []
        assert b.dump() == server_rows and b.pending() == 0
    finally:
        a.close()
        b.close()
