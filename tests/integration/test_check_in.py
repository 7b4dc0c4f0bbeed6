"""check_in on a real SQLite store: arrival, coverage verified and copay in one transaction
with its outbox entry; each bad field refused with its own message and nothing written."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from coordtui.ids import new_id
from coordtui.mutations import MutationError
from coordtui.service import Service

NOW = datetime(2026, 3, 2, 21, 30, tzinfo=UTC)


def _rows(path, sql, params=()):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def _counts(path):
    tables = ("outbox", "status_event", "coverage_check", "copay_payment")
    return {t: _rows(path, f"SELECT count(*) FROM {t}")[0][0] for t in tables}


@pytest.fixture
def desk(builder, db_path):
    builder.now = NOW - timedelta(days=90)
    dr = builder.provider("Dr Okafor")
    ada = builder.patient(
        "Ada", "Lovelace", payer="Acme Health", member_id="ACM-1", copay_cents=2500
    )
    appt = builder.appointment(ada, dr, start=NOW + timedelta(minutes=10))
    svc = Service(db_path, actor="desk1", clock=lambda: NOW)
    yield svc, appt, ada
    svc.close()


def test_arrival_check_and_copay_commit_with_one_outbox_entry(desk, db_path):
    svc, appt, ada = desk
    seen = svc.visit_coverage(appt)
    assert (seen.payer, seen.member_id, seen.copay_cents, seen.last_check) == (
        "Acme Health", "ACM-1", 2500, None,
    )  # fmt: skip
    result = svc.check_in(appt, seen, 2500, "card")
    row = svc.queue_row(appt)
    assert row.status == "arrived" and row.arrived_at == NOW
    assert row.coverage_verified_at == NOW and row.coverage_on_file
    ((name, args),) = _rows(db_path, "SELECT name, args FROM outbox")
    args = json.loads(args)
    assert name == "check_in" and result["mutation_id"] == 1
    assert args["coverage"] == {
        "check_id": result["check_id"], "payer": "Acme Health", "member_id": "ACM-1",
        "copay_cents": 2500,
    }  # fmt: skip
    assert _rows(
        db_path, "SELECT patient_id, appointment_id, payer, member_id, copay_cents, actor "
        "FROM coverage_check"
    ) == [(ada, appt, "Acme Health", "ACM-1", 2500, "desk1")]  # fmt: skip
    assert _rows(
        db_path, "SELECT id, appointment_id, patient_id, amount_cents, method, actor "
        "FROM copay_payment"
    ) == [(result["payment_id"], appt, ada, 2500, "card", "desk1")]  # fmt: skip
    assert _rows(db_path, "SELECT to_status, mutation_id FROM status_event") == [("arrived", 1)]
    check = svc.last_coverage_check(ada)
    assert (check.at, check.actor, check.payer) == (NOW, "desk1", "Acme Health")


def test_a_verification_stores_what_was_shown_even_if_the_record_changed_since(desk):
    svc, appt, ada = desk
    seen = svc.visit_coverage(appt)
    svc.update_patient(ada, None, {"payer": "Other Insurer", "member_id": "OTH-9"})
    svc.check_in(appt, seen)  # the dialog showed Acme: that is what the desk confirmed
    check = svc.last_coverage_check(ada)
    assert (check.payer, check.member_id) == ("Acme Health", "ACM-1")


def test_plain_check_in_writes_no_coverage_or_copay(desk, db_path):
    svc, appt, _ = desk
    result = svc.check_in(appt)
    assert "check_id" not in result and "payment_id" not in result
    assert _counts(db_path) == {
        "outbox": 1, "status_event": 1, "coverage_check": 0, "copay_payment": 0,
    }  # fmt: skip


def _args(appt, **parts):
    return {"appointment_id": appt, "event_id": new_id(), "at": NOW.isoformat(), **parts}


@pytest.mark.parametrize(
    ("parts", "field", "message"),
    [
        ({"copay": {"amount_cents": "12.3x", "method": "cash"}}, "amount_cents", "like 20"),
        ({"copay": {"amount_cents": 12.5, "method": "cash"}}, "amount_cents", "like 20"),
        ({"copay": {"amount_cents": True, "method": "cash"}}, "amount_cents", "like 20"),
        ({"copay": {"amount_cents": -100, "method": "cash"}}, "amount_cents", "more than 0"),
        ({"copay": {"amount_cents": 10**9, "method": "cash"}}, "amount_cents", "at most"),
        ({"copay": {"amount_cents": 100, "method": "bitcoin"}}, "method", "one of: cash"),
        ({"coverage": {"payer": "  ", "member_id": ""}}, "payer", "No coverage on file"),
        ({"coverage": {"payer": "A" * 201}}, "payer", "at most 200"),
        ({"coverage": {"payer": "A", "member_id": 7}}, "member_id", "Member id"),
        ({"coverage": {"payer": "A", "copay_cents": -1}}, "copay_cents", "Copay due"),
        ({"coverage": {"payer": "A", "copay_cents": 2**40}}, "copay_cents", "Copay due"),
        ({"copay": "20.00"}, None, "copay must be an object"),
    ],
)
def test_each_bad_field_is_refused_with_its_message_and_nothing_is_written(
    desk, db_path, parts, field, message
):
    svc, appt, _ = desk
    for part in parts.values():
        if isinstance(part, dict):
            part.setdefault("payment_id" if "method" in part else "check_id", new_id())
    before = _counts(db_path)
    with pytest.raises(MutationError, match=message) as info:
        svc.run("check_in", _args(appt, **parts))
    if field:
        assert info.value.errors[field] and info.value.field == field
    assert _counts(db_path) == before
    assert svc.queue_row(appt).status == "booked"


def test_every_bad_field_is_reported_at_once(desk):
    svc, appt, _ = desk
    parts = {
        "coverage": {"check_id": new_id(), "payer": ""},
        "copay": {"payment_id": new_id(), "amount_cents": 0, "method": "?"},
    }
    with pytest.raises(MutationError) as info:
        svc.run("check_in", _args(appt, **parts))
    assert set(info.value.errors) == {"payer", "amount_cents", "method"}


def test_checking_in_twice_is_refused_and_keeps_the_first_copay_alone(desk, db_path):
    svc, appt, _ = desk
    svc.check_in(appt, None, 2500, "cash")
    before = _counts(db_path)
    with pytest.raises(MutationError, match="Already arrived"):
        svc.check_in(appt, svc.visit_coverage(appt), 2500, "cash")
    assert _counts(db_path) == before


def test_an_arrival_undone_and_redone_asks_only_for_the_copay_still_due(desk):
    svc, appt, _ = desk
    svc.check_in(appt, None, 1000, "cash")
    svc.undo_status(appt)
    again = svc.visit_coverage(appt)
    assert (again.collected_cents, again.copay_left) == (1000, 1500)
    svc.check_in(appt, None, again.copay_left, "card")
    assert svc.visit_coverage(appt).copay_left == 0


def test_a_version_7_store_gains_the_coverage_tables(tmp_path):
    from coordtui.store.db import open_store
    from coordtui.store.files import SCHEMA_VERSION, schema_version
    from tests.builders import StoreBuilder

    path = tmp_path / "v7.db"
    StoreBuilder(path).close()
    conn = sqlite3.connect(path)
    with conn:  # what version 7 wrote
        conn.execute("DROP TABLE copay_payment")
        conn.execute("DROP TABLE coverage_check")
        conn.execute("PRAGMA user_version=7")
    conn.close()
    open_store(path).dispose()
    assert schema_version(path) == SCHEMA_VERSION >= 8
    tables = {r[0] for r in _rows(path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"coverage_check", "copay_payment"} <= tables
    indexes = {r[1] for r in _rows(path, "PRAGMA index_list(coverage_check)")}
    assert "ix_coverage_check_patient_at" in indexes
