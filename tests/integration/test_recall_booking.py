"""Booking for a recall: the appointment and the recall closure are one mutation.

One user action, one SQLite transaction, one outbox entry: the recall is
closed as "booked" (linked to the appointment, at the booking's own time)
by ``book_appointment`` itself, never by a second write afterwards.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import UTC, date, datetime

import pytest

from coordtui.mutations import MutationError
from coordtui.service import Service
from tests.builders import ALL_DAY, StoreBuilder

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # Mon 2 Mar 2026, clinic in UTC
START = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


def _rows(path, sql, params=()):
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql, params).fetchall()


def _count(path, table) -> int:
    return _rows(path, f"SELECT count(*) FROM {table}")[0][0]


def _recall(path, recall_id):
    return _rows(
        path, "SELECT status, appointment_id, closed_at FROM recall WHERE id = ?", (recall_id,)
    )[0]


@pytest.fixture
def clinic(tmp_path):
    path = tmp_path / "store.db"
    b = StoreBuilder(path)
    ids = {
        "dr": b.provider("Dr A", hours=ALL_DAY),
        "ada": b.patient("Ada", "Lovelace"),
        "bo": b.patient("Bo"),
    }
    service = Service(path, actor="desk1", clock=lambda: NOW)
    yield path, service, ids
    service.close()
    b.close()


def test_booking_closes_the_recall_in_the_same_outbox_entry(clinic):
    path, service, ids = clinic
    recall_id = service.set_recall(ids["ada"], date(2026, 3, 10), "6-month check")["recall_id"]
    outbox = _count(path, "outbox")

    result = service.book(ids["ada"], ids["dr"], START, "Consultation", recall_id=recall_id)

    assert result["recall_closed"] is True
    assert _count(path, "outbox") == outbox + 1  # one action, one transaction
    (name, args), *_ = _rows(path, "SELECT name, args FROM outbox ORDER BY mutation_id DESC")
    assert name == "book_appointment" and json.loads(args)["recall_id"] == recall_id
    status, appointment_id, closed_at = _recall(path, recall_id)
    assert (status, appointment_id) == ("booked", result["appointment_id"])
    assert datetime.fromisoformat(closed_at).replace(tzinfo=UTC) == NOW  # the booking's `at`
    assert _rows(path, "SELECT patient_id, status FROM appointment WHERE id = ?",
                 (appointment_id,)) == [(ids["ada"], "booked")]  # fmt: skip
    assert service.recalls_due(date(2026, 3, 31)) == []


def test_a_recall_closed_elsewhere_does_not_block_the_booking(clinic):
    path, service, ids = clinic
    recall_id = service.set_recall(ids["ada"], date(2026, 3, 10), "Bloods")["recall_id"]
    service.close_recall(recall_id)  # another desk took it off the list meanwhile
    before = _recall(path, recall_id)
    outbox, appointments = _count(path, "outbox"), _count(path, "appointment")

    result = service.book(ids["ada"], ids["dr"], START, "Consultation", recall_id=recall_id)

    assert result["recall_closed"] is False
    assert _count(path, "outbox") == outbox + 1
    assert _count(path, "appointment") == appointments + 1
    assert _recall(path, recall_id) == before == ("closed", None, before[2])  # left alone


def test_a_recall_of_another_patient_is_refused_and_nothing_written(clinic):
    path, service, ids = clinic
    recall_id = service.set_recall(ids["bo"], date(2026, 3, 10), "Review")["recall_id"]
    outbox, appointments = _count(path, "outbox"), _count(path, "appointment")

    with pytest.raises(MutationError, match="recall is for another patient") as refused:
        service.book(ids["ada"], ids["dr"], START, "Consultation", recall_id=recall_id)

    assert refused.value.field == "recall_id"
    assert "nothing was booked" in str(refused.value)
    assert (_count(path, "outbox"), _count(path, "appointment")) == (outbox, appointments)
    assert _recall(path, recall_id) == ("open", None, None)


def test_booking_without_a_recall_is_unchanged(clinic):
    path, service, ids = clinic
    result = service.book(ids["ada"], ids["dr"], START, "Consultation")
    assert "recall_closed" not in result
    (args,) = _rows(path, "SELECT args FROM outbox WHERE name = 'book_appointment'")[0]
    assert "recall_id" not in json.loads(args)
