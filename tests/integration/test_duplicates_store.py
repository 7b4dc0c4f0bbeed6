"""find_duplicates on a real store: right candidates, best first, by indexed lookups only."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from sqlmodel import Session

from coordtui.store.duplicates import ensure_indexes, find_duplicates
from coordtui.store.models import Patient
from coordtui.store.reads import Reads

TODAY = date(2026, 3, 1)


@pytest.fixture
def people(builder):
    ids = {
        "mary": builder.patient("Mary", "Smith", dob=date(1980, 3, 14), phone="+16175550101"),
        "twin": builder.patient("Anna", "Smith", dob=date(1980, 3, 14), phone="+16175550101"),
        "jose": builder.patient("José", "García", preferred_name="Pepe"),
        "bill": builder.patient("William", "Clark", preferred_name="Bill", dob=date(1970, 1, 2)),
        "wei": builder.patient("伟", "王", dob=date(1965, 1, 8)),
        "typo_dob": builder.patient("Kwame", "Mensah", dob=date(1975, 5, 15)),
        "alt": builder.patient("Hodan", "Warsame", phone="+16175550999", phone_alt="+16175550117"),
        "stranger": builder.patient("Zoë", "Müller", dob=date(1980, 3, 14)),
        "merged": builder.patient("Mary", "Smith", dob=date(1980, 3, 14), record_number="OLD1"),
    }
    with Session(builder.engine) as s:
        s.get(Patient, ids["merged"]).merged_into = ids["mary"]
        s.commit()
    return ids


@pytest.fixture(params=[True, False], ids=["indexed", "unmigrated"])
def conn(request, db_path, people):
    c = sqlite3.connect(db_path)
    if request.param:
        ensure_indexes(c)
        c.commit()
    yield c
    c.close()


def ids_of(found) -> list[str]:
    return [c.patient_id for c in found]


def test_same_person_first_twin_lower_stranger_and_merged_absent(conn, people):
    found = find_duplicates(
        conn,
        {
            "given_name": "mary",
            "family_name": "SMITH",
            "dob": "1980-03-14",
            "phone": "617 555 0101",
        },
        TODAY,
    )
    assert ids_of(found) == [people["mary"], people["twin"]]
    assert found[0].score > found[1].score
    assert found[0].reasons[:3] == ("same DOB", "same phone", "same name")
    assert found[0].dob == date(1980, 3, 14) and found[0].phone == "+16175550101"


def test_accents_typed_without_them_and_no_dob(conn, people):
    found = find_duplicates(conn, {"given_name": "Jose", "family_name": "Garcia"}, TODAY)
    assert ids_of(found) == [people["jose"]]
    assert "same name" in found[0].reasons


def test_preferred_name_and_swapped_names(conn, people):
    found = find_duplicates(
        conn, {"given_name": "Bill", "family_name": "Clark", "dob": "1970-01-02"}, TODAY
    )
    assert ids_of(found) == [people["bill"]] and "preferred name matches" in found[0].reasons
    found = find_duplicates(
        conn, {"given_name": "王", "family_name": "伟", "dob": "1965-01-08"}, TODAY
    )
    assert ids_of(found) == [people["wei"]]
    assert "given and family swapped" in found[0].reasons


def test_dob_one_digit_off_is_found_by_name(conn, people):
    found = find_duplicates(
        conn, {"given_name": "Kwame", "family_name": "Mensah", "dob": "1975-05-16"}, TODAY
    )
    assert ids_of(found) == [people["typo_dob"]]
    assert "DOB nearly the same" in found[0].reasons


def test_other_phone_and_record_number(conn, people, builder):
    found = find_duplicates(
        conn, {"given_name": "Hodan", "family_name": "Warsame", "phone": "6175550117"}, TODAY
    )
    assert ids_of(found) == [people["alt"]] and "same phone" in found[0].reasons
    number = conn.execute(
        "SELECT record_number FROM patient WHERE id = ?", (people["stranger"],)
    ).fetchone()[0]
    found = find_duplicates(
        conn, {"given_name": "X", "family_name": "Y", "record_number": number}, TODAY
    )
    assert ids_of(found) == [people["stranger"]] and found[0].score == 100


def test_nothing_similar_finds_nothing_and_limit_holds(conn, people):
    assert find_duplicates(conn, {"given_name": "Nobody", "family_name": "Here"}, TODAY) == []
    assert find_duplicates(conn, {}, TODAY) == []
    many = find_duplicates(
        conn, {"given_name": "Mary", "family_name": "Smith", "dob": "1980-03-14"}, TODAY, limit=1
    )
    assert ids_of(many) == [people["mary"]]


def test_bad_input_is_no_evidence_not_an_error(conn, people):
    found = find_duplicates(
        conn,
        {"given_name": "Mary", "family_name": "Smith", "dob": "14th March", "phone": "call me"},
        TODAY,
    )
    assert people["mary"] in ids_of(found)


def test_every_lookup_uses_an_index(db_path, people):
    """At a million patients a full scan costs ~0.5 s: no statement may scan the table."""
    conn = sqlite3.connect(db_path)
    ensure_indexes(conn)
    conn.commit()
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    for fields in (
        {"given_name": "Mary", "family_name": "Smith", "dob": "1980-03-14", "phone": "6175550101"},
        {"given_name": "Jose", "family_name": "Garcia", "record_number": "X1"},
    ):
        find_duplicates(conn, fields, TODAY)
    conn.set_trace_callback(None)
    assert statements
    for sql in statements:
        if "FROM patient" not in sql:
            continue
        plan = " | ".join(row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + sql))
        assert "SCAN patient" not in plan, (sql, plan)
    conn.close()


def test_reads_wrapper(db_path, people):
    reads = Reads(db_path)
    try:
        found = reads.find_duplicates({"given_name": "Anna", "family_name": "Smith"}, TODAY, 5)
    finally:
        reads.close()
    assert found and found[0].patient_id == people["twin"]
