"""Patient edits carry their base version: disjoint field edits merge, overlapping
stale edits become a conflict (by field name, never by value).

First the mutation itself on one store, then two workstations and a real
clinic server on loopback.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from coordtui.ids import new_id
from coordtui.mutations import MutationError
from coordtui.service import Service
from coordtui.sync import local
from tests.builders import StoreBuilder
from tests.sync_env import ServerProcess, Workstation, dump, sqlite_url

PHONE_A, PHONE_B = "617-253-1000", "212-555-0147"
E164_A, E164_B = "+16172531000", "+12125550147"


def _events(path, patient_id: str) -> list[dict]:
    conn = sqlite3.connect(path)
    try:
        found = conn.execute(
            "SELECT detail FROM patient_event WHERE patient_id = ? AND kind = 'updated' "
            "ORDER BY mutation_id",
            (patient_id,),
        ).fetchall()
    finally:
        conn.close()
    return [json.loads(d) for (d,) in found]


# ------------------------------------------------------------ the mutation


@pytest.fixture
def desk(builder, db_path):
    builder.provider("Dr Okafor")
    pid = builder.patient("Ada", "Lovelace")
    svc = Service(db_path, actor="desk1")
    yield svc, pid
    svc.close()


def test_a_stale_edit_of_other_fields_merges_and_events_record_versions(desk, db_path):
    svc, pid = desk
    assert svc.patient(pid).version == 1
    svc.update_patient(pid, 1, {"phone": PHONE_A})  # v2: someone else's edit
    merged = svc.update_patient(pid, 1, {"address": "1 Main St", "email": "ada@example.org"})
    assert merged["version"] == 3 and merged["changed"] == ["address", "email"]
    record = svc.patient(pid)
    assert (record.phone, record.address, record.email) == (E164_A, "1 Main St", "ada@example.org")
    assert _events(db_path, pid) == [
        {"base": 1, "fields": ["phone"], "version": 2},
        {"base": 1, "fields": ["address", "email"], "version": 3},
    ]


def test_a_stale_edit_of_the_same_field_is_refused_by_name_not_value(desk, db_path):
    svc, pid = desk
    svc.update_patient(pid, 1, {"phone": PHONE_A, "preferred_language": "it"})
    svc.update_patient(pid, 2, {"address": "1 Main St"})
    with pytest.raises(MutationError) as info:
        svc.update_patient(pid, 1, {"phone": PHONE_B, "email": "ada@example.org"})
    message = str(info.value)
    assert "changed elsewhere" in message and "phone" in message
    assert "email" not in message and "address" not in message
    assert not any(v in message for v in (PHONE_A, PHONE_B, E164_A, E164_B, "Main St"))
    assert set(info.value.errors) == {"phone"}
    record = svc.patient(pid)
    assert (record.phone, record.email, record.version) == (E164_A, "", 3)
    # The refused edit wrote nothing, not even to the outbox.
    assert svc.pending_count() == 2
    # A base between the two edits: only the address edit came after it.
    assert svc.update_patient(pid, 2, {"phone": PHONE_B})["version"] == 4


def test_the_same_value_set_twice_is_no_clash(desk):
    svc, pid = desk
    svc.update_patient(pid, 1, {"phone": PHONE_A})
    same = svc.update_patient(pid, 1, {"phone": PHONE_A})
    assert same["changed"] == [] and same["version"] == 2


def test_when_what_changed_since_the_base_is_unknown_the_edit_is_refused(desk, db_path):
    svc, pid = desk
    # An edit recorded before events carried versions: its place in history is unknown.
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(
            "INSERT INTO patient_event (id, patient_id, kind, at, actor, detail, mutation_id) "
            "VALUES (?, ?, 'updated', '2020-01-01 00:00:00', 'old', ?, 0)",
            (new_id(), pid, json.dumps({"fields": ["phone"]})),
        )
        conn.execute("UPDATE patient SET version = 2 WHERE id = ?", (pid,))
    conn.close()
    with pytest.raises(MutationError, match="changed elsewhere since you opened it"):
        svc.update_patient(pid, 1, {"address": "1 Main St"})
    with pytest.raises(MutationError, match="changed elsewhere"):
        svc.update_patient(pid, 7, {"address": "1 Main St"})  # a base it never had
    assert svc.update_patient(pid, 2, {"address": "1 Main St"})["version"] == 3
    # From there on versions are recorded, so a stale edit of another field merges.
    assert svc.update_patient(pid, 2, {"email": "ada@example.org"})["version"] == 4


def test_a_merge_since_the_base_makes_the_edit_a_clash(builder, db_path):
    builder.provider("Dr Okafor")
    keep = builder.patient("Ada", "Lovelace")
    gone = builder.patient("Ada", "Lovelace")
    svc = Service(db_path, actor="desk1")
    try:
        svc.merge_patients(keep, gone)
        with pytest.raises(MutationError, match="changed elsewhere"):
            svc.update_patient(keep, 1, {"address": "1 Main St"})
    finally:
        svc.close()


# ------------------------------------------------------------ two workstations


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One clinic server for the module; each test edits its own patient."""
    tmp = tmp_path_factory.mktemp("merge-rule")
    srv = ServerProcess(sqlite_url(tmp / "server.db"))
    b = StoreBuilder(tmp / "baseline.db")
    b.provider("Dr Okafor")
    srv.patients = [b.patient("Ada", "Lovelace"), b.patient("Bo", "Diddley")]
    srv.load(b.engine)
    b.close()
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def clinic(server, tmp_path):
    a = Workstation(tmp_path / "a.db", "desk-a").connect(server)
    b = Workstation(tmp_path / "b.db", "desk-b").connect(server)
    yield server, a, b
    a.close()
    b.close()


def _server_patient(srv, pid):
    (row,) = [p for p in dump(srv.engine)["patient"] if p["id"] == pid]
    return row


def test_disjoint_edits_from_one_base_both_stand_everywhere(clinic):
    srv, a, b = clinic
    pid = srv.patients[0]
    base = a.service.patient(pid).version
    assert b.service.patient(pid).version == base
    a.service.update_patient(pid, base, {"phone": PHONE_A})
    b.service.update_patient(pid, base, {"address": "221B Baker St"})
    a.sync()
    report = b.sync()  # b's edit is stale on arrival, and merges
    assert report.rejected == 0
    a.sync()
    row = _server_patient(srv, pid)
    assert (row["phone"], row["address"], row["version"]) == (E164_A, "221B Baker St", base + 2)
    for desk in (a, b):
        record = desk.service.patient(pid)
        assert (record.phone, record.address) == (E164_A, "221B Baker St")
        assert local.conflicts(desk.service.engine) == []
        assert desk.pending() == 0
        assert desk.dump() == dump(srv.engine)


def test_overlapping_stale_edits_leave_the_first_and_a_conflict_with_the_reason(clinic):
    srv, a, b = clinic
    pid = srv.patients[1]
    base = a.service.patient(pid).version
    a.service.update_patient(pid, base, {"phone": PHONE_A})
    b.service.update_patient(pid, base, {"phone": PHONE_B, "email": "ada@example.org"})
    a.sync()
    report = b.sync()
    assert report.rejected == 1 and report.conflicts == 1
    a.sync()
    row = _server_patient(srv, pid)
    assert (row["phone"], row["email"], row["version"]) == (E164_A, "", base + 1)
    (conflict,) = local.conflicts(b.service.engine)
    assert conflict.name == "update_patient"
    assert "changed elsewhere" in conflict.reason and "phone" in conflict.reason
    assert "email" not in conflict.reason
    assert not any(v in conflict.reason for v in (PHONE_A, PHONE_B, E164_A, E164_B))
    assert conflict.args["changes"]["phone"] == PHONE_B  # kept, to re-apply by hand
    assert local.conflicts(a.service.engine) == []
    for desk in (a, b):
        assert desk.service.patient(pid).phone == E164_A
        assert desk.pending() == 0
        assert desk.dump() == dump(srv.engine)
    # Re-applied from the current version, B's edit stands.
    b.service.update_patient(pid, b.service.patient(pid).version, conflict.args["changes"])
    b.sync()
    a.sync()
    assert a.service.patient(pid).phone == E164_B == _server_patient(srv, pid)["phone"]
