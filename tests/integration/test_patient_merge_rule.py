"""Patient edits carry their base version: disjoint field edits merge, overlapping
stale edits become a conflict (by field name, never by value).

First the mutation itself on one store, then two workstations and a real
clinic server on loopback.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from coordtui.ids import new_id
from coordtui.mutations import MUTATIONS, Context, MutationError
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


def _elsewhere(svc: Service, pid: str, base: int, changes: dict) -> None:
    """An edit that another desk made (arrived here as the server's rows would)."""
    at = datetime.now(UTC)
    ctx = Context("desk2", 0, at, origin="desk-b", own=frozenset({"desk-b"}))
    args = {"patient_id": pid, "event_id": new_id(), "base_version": base, "changes": changes}
    with Session(svc.engine) as session, session.begin():
        MUTATIONS["update_patient"](session, {**args, "at": at.isoformat()}, ctx)


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
    _elsewhere(svc, pid, 1, {"phone": PHONE_A})  # v2: another desk's edit
    merged = svc.update_patient(pid, 1, {"address": "1 Main St", "email": "ada@example.org"})
    assert merged["version"] == 3 and merged["changed"] == ["address", "email"]
    record = svc.patient(pid)
    assert (record.phone, record.address, record.email) == (E164_A, "1 Main St", "ada@example.org")
    assert _events(db_path, pid) == [
        {"base": 1, "fields": ["phone"], "origin": "desk-b", "version": 2},
        {"base": 1, "fields": ["address", "email"], "origin": "local", "version": 3},
    ]


def test_a_stale_edit_of_the_same_field_is_refused_by_name_not_value(desk, db_path):
    svc, pid = desk
    _elsewhere(svc, pid, 1, {"phone": PHONE_A, "preferred_language": "it"})
    _elsewhere(svc, pid, 2, {"address": "1 Main St"})
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
    assert svc.pending_count() == 0
    # A base between the two edits: only the address edit came after it.
    assert svc.update_patient(pid, 2, {"phone": PHONE_B})["version"] == 4


def test_this_desks_own_unsynced_edits_never_clash_with_its_later_ones(desk, db_path):
    svc, pid = desk
    svc.update_patient(pid, svc.patient(pid).base_version, {"phone": PHONE_A})
    record = svc.patient(pid)
    # The form bases the next edit on the server's state under the unsynced one.
    assert (record.version, record.base_version) == (2, 1)
    assert svc.update_patient(pid, record.base_version, {"phone": PHONE_B})["version"] == 3
    assert svc.patient(pid).phone == E164_B
    # Another desk's edit of the same field in between is still a clash.
    _elsewhere(svc, pid, 3, {"address": "1 Main St"})
    with pytest.raises(MutationError, match="address"):
        svc.update_patient(pid, svc.patient(pid).base_version, {"address": "2 High St"})


def test_a_record_registered_here_and_not_synced_has_no_base(desk):
    svc, _pid = desk
    new = svc.register_patient({"given_name": "Grace", "family_name": "Hopper"})["patient_id"]
    assert svc.patient(new).base_version is None


def test_a_version_6_store_gains_the_undo_index_and_keeps_its_pending_base(builder, db_path):
    from coordtui.store.files import SCHEMA_VERSION, schema_version

    builder.provider("Dr Okafor")
    pid = builder.patient("Ada", "Lovelace")
    svc = Service(db_path, actor="desk1")
    svc.update_patient(pid, 1, {"phone": PHONE_A})
    svc.close()
    conn = sqlite3.connect(db_path)
    with conn:  # what version 6 wrote: the undo log without its index
        conn.execute("DROP INDEX ix_sync_undo_row")
        conn.execute("PRAGMA user_version=6")
    conn.close()
    svc = Service(db_path, actor="desk1")
    try:
        assert schema_version(db_path) == SCHEMA_VERSION >= 7
        record = svc.patient(pid)
        assert (record.version, record.base_version) == (2, 1)
    finally:
        svc.close()
    conn = sqlite3.connect(db_path)
    plan = conn.execute(
        "EXPLAIN QUERY PLAN SELECT image FROM sync_undo WHERE table_name = 'patient' "
        "AND row_key = ? ORDER BY mutation_id, seq LIMIT 1",
        (pid,),
    ).fetchall()
    conn.close()
    assert any("ix_sync_undo_row" in row[-1] for row in plan)


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
    srv.patients = [
        b.patient("Ada", "Lovelace"),
        b.patient("Bo", "Diddley"),
        b.patient("Cy", "Twombly"),
        b.patient("Di", "Prince"),
    ]
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


def test_one_desk_editing_a_field_twice_offline_is_no_conflict(clinic):
    srv, a, b = clinic
    pid = srv.patients[2]
    a.service.update_patient(pid, a.service.patient(pid).base_version, {"phone": PHONE_A})
    b.service.update_patient(pid, b.service.patient(pid).base_version, {"address": "9 Elm St"})
    b.sync()
    a.service.update_patient(pid, a.service.patient(pid).base_version, {"phone": PHONE_B})
    report = a.sync()
    assert report.rejected == 0
    b.sync()
    row = _server_patient(srv, pid)
    assert (row["phone"], row["address"]) == (E164_B, "9 Elm St")
    for desk in (a, b):
        assert local.conflicts(desk.service.engine) == []
        assert desk.dump() == dump(srv.engine)


def test_a_later_offline_edit_of_a_field_another_desk_changed_is_a_conflict(clinic):
    """The second edit is based on the server's state A last saw, not on A's own
    unsynced version number, which means something else on the server."""
    srv, a, b = clinic
    pid = srv.patients[3]
    a.service.update_patient(pid, a.service.patient(pid).base_version, {"phone": PHONE_A})
    a.service.update_patient(pid, a.service.patient(pid).base_version, {"address": "1 Oak Rd"})
    b.service.update_patient(pid, b.service.patient(pid).base_version, {"address": "9 Elm St"})
    b.sync()
    report = a.sync()
    assert report.rejected == 1
    (conflict,) = local.conflicts(a.service.engine)
    assert "address" in conflict.reason and conflict.args["changes"] == {"address": "1 Oak Rd"}
    b.sync()
    row = _server_patient(srv, pid)
    assert (row["phone"], row["address"]) == (E164_A, "9 Elm St")  # B's address stands
    for desk in (a, b):
        assert desk.dump() == dump(srv.engine)
