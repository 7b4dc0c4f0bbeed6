"""Acceptance: the queue is usable at 80x24 and uses the room at 160x48 (snapshots).

The clock is frozen and every row is built by hand, so the picture only
changes when the screen does.  Update with `uv run pytest --snapshot-update`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.ui.helpers import make_app

NOW = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)


@pytest.fixture
def fixed_day(builder, db_path):
    builder.now = NOW - timedelta(days=1)
    okafor, lin = builder.provider("Dr Okafor"), builder.provider("Dr Lin")
    people = [
        ("Ada", "Lovelace", "done", -240),
        ("José", "García Márquez", "done", -200),
        ("Siobhán", "O'Brien", "no_show", -150),
        ("Wei", "王", "left", -120),
        ("Zoë", "van der Berg", "in_room", -50),
        ("Jean-Luc", "Smith-Jones", "arrived", -35),
        ("Fatima", "Al-Sayed", "arrived", -10),
        ("Dmitri", "Иванов", "booked", 15),
        ("Grace", "Hopper", "cancelled", 30),
        ("Alan", "Turing", "booked", 45),
        ("Maya", "D'Angelo", "booked", 60),
        ("Kofi", "Mensah", "booked", 90),
    ]
    for i, (given, family, status, offset) in enumerate(people):
        pat = builder.patient(
            given,
            family,
            record_number=f"MRN{1000 + i}",
            dob=datetime(1950 + 5 * i, 1 + i % 12, 10).date(),
            interpreter_needed=(i == 7),
        )
        start = NOW + timedelta(minutes=offset)
        fields = {}
        if status in ("arrived", "in_room", "done", "left"):
            fields["arrived_at"] = start - timedelta(minutes=5)
            fields["status_since"] = start - timedelta(minutes=5) if status == "arrived" else start
        if status in ("done", "left", "no_show", "cancelled"):
            fields["finished_at"] = start + timedelta(minutes=20)
            fields["status_since"] = start + timedelta(minutes=20)
        if status == "cancelled":
            fields["cancel_reason"] = "Patient request"
        builder.appointment(
            pat,
            okafor if i % 2 else lin,
            start=start,
            status=status,
            reason="Follow-up [review]" if i == 3 else "",
            priority="urgent" if i == 6 else "routine",
            **fields,
        )
    return db_path


def _app(db_path):
    return make_app(db_path, clock=lambda: NOW, user="desk1")


def test_queue_80x24(snap_compare, fixed_day):
    assert snap_compare(_app(fixed_day), terminal_size=(80, 24))


def test_queue_160x48(snap_compare, fixed_day):
    assert snap_compare(_app(fixed_day), terminal_size=(160, 48))


def test_queue_80x24_monochrome(snap_compare, fixed_day):
    assert snap_compare(
        make_app(fixed_day, clock=lambda: NOW, user="desk1", theme="monochrome"),
        terminal_size=(80, 24),
    )


def test_help_80x24(snap_compare, fixed_day):
    assert snap_compare(_app(fixed_day), terminal_size=(80, 24), press=["f1"])
