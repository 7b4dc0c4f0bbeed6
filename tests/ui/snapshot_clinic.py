"""The frozen clinic every snapshot is taken of: one of everything a screen can show.

The clock is frozen (Friday 27 Nov 2026, 14:00 in the clinic's zone) and every
row is made by hand or through the service with that clock, so a picture only
changes when a screen does.  Names are diverse and some long, so that cutting
shows; one note carries markup, which must show as typed.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from coordtui.domain.days import db_text
from coordtui.service import Service
from tests.builders import StoreBuilder

NOW = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
WEEK = {
    d: [["08:00", "12:00"], ["13:00", "17:00"]]
    for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}
COVERED = {"payer": "Acme Health PPO", "member_id": "ACM123456789", "copay_cents": 2500}
PEOPLE = [
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


def build(path: Path) -> dict[str, str]:
    """The day's queue (every status), then calls, callbacks, recalls, waitlist, leave,
    tomorrow's reminders and one refused booking; returns a few ids by name."""
    b = StoreBuilder(path)
    b.now = NOW - timedelta(days=1)
    okafor, lin = b.provider("Dr Okafor", hours=WEEK), b.provider("Dr Lin", hours=WEEK)
    ids: dict[str, str] = {"okafor": okafor, "lin": lin}
    for i, (given, family, status, offset) in enumerate(PEOPLE):
        pat = b.patient(
            given,
            family,
            record_number=f"MRN{1000 + i}",
            dob=datetime(1950 + 5 * i, 1 + i % 12, 10).date(),
            phone=f"+1617555{1000 + i:04d}",
            interpreter_needed=(i == 7),
            **(COVERED if i == 7 else {}),
        )
        ids[family] = pat
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
        ids[f"visit:{family}"] = b.appointment(
            pat,
            okafor if i % 2 else lin,
            start=start,
            status=status,
            reason="Follow-up [review]" if i == 3 else "",
            priority="urgent" if i == 6 else "routine",
            **fields,
        )
    # A second Ada Lovelace, as a duplicate to merge or to be warned about.
    ids["Lovelace2"] = b.patient(
        "Ada", "Lovelace", record_number="MRN2000", dob=datetime(1950, 1, 10).date()
    )
    # Tomorrow's visits: the reminder calls.
    for i, family in enumerate(("Turing", "Hopper", "Mensah")):
        b.appointment(ids[family], okafor, start=NOW + timedelta(days=1, hours=-4 + i))
    b.close()

    service = Service(path, actor="desk1", clock=lambda: NOW)
    try:
        service.log_call(ids["Turing"], "in", "patient", "", "Results", "resolved", "Told normal")
        service.log_call(
            ids["Mensah"], "out", "relative", "daughter Ama", "Appointment", "left message", ""
        )
        service.log_call(
            ids["Hopper"], "in", "patient", "", "Prescription", "callback needed",
            "[bold]refill[/] for inhaler", callback_due=NOW - timedelta(minutes=30),
        )  # fmt: skip
        service.log_call(
            ids["D'Angelo"], "in", "pharmacy", "Main St Pharmacy", "Prescription",
            "callback needed", "dose query", callback_due=NOW + timedelta(hours=1),
        )  # fmt: skip
        service.set_recall(ids["Lovelace"], NOW.date() - timedelta(days=3), "BP check")
        service.set_recall(ids["García Márquez"], NOW.date() + timedelta(days=5), "6-week review")
        service.waitlist_add(
            ids["Mensah"], "Consultation", okafor, NOW.date(), NOW.date() + timedelta(days=14),
            "urgent", "any morning",
        )  # fmt: skip
        service.waitlist_add(
            ids["Turing"], "Consultation", None, NOW.date() + timedelta(days=2),
            NOW.date() + timedelta(days=30),
        )  # fmt: skip
        service.add_schedule_exception(
            okafor, date(2026, 12, 24), date(2026, 12, 26), reason="Holidays"
        )
        service.add_schedule_exception(
            okafor, date(2026, 12, 5), start="09:00", end="12:00", kind="extra",
            reason="Saturday clinic",
        )  # fmt: skip
    finally:
        service.close()
    _refused_booking(path, ids)
    return ids


def _refused_booking(path: Path, ids: dict[str, str]) -> None:
    """A booking the clinic server refused (the slot was taken at another desk)."""
    start = NOW + timedelta(hours=2)
    args = {
        "patient_id": ids["Turing"],
        "provider_id": ids["okafor"],
        "start": start.isoformat(),
        "type": "Consultation",
    }
    alternatives = [
        {
            "provider_id": ids["okafor"],
            "start": (start + timedelta(minutes=15 * k)).isoformat(),
            "end": (start + timedelta(minutes=15 * k + 15)).isoformat(),
        }
        for k in (1, 2, 3)
    ]
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO sync_conflict (mutation_id, name, args, reason, detail, client_time, "
        "actor, recorded_at, resolved_at, resolution) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, '')",
        (
            900,
            "book_appointment",
            json.dumps(args),
            "Dr Okafor is already booked at that time.",
            json.dumps({"alternatives": alternatives}),
            db_text(NOW - timedelta(minutes=20)),
            "desk2",
            db_text(NOW - timedelta(minutes=10)),
        ),
    )
    conn.commit()
    conn.close()
