"""Calls and callbacks as FHIR R4B: Communication and Task resources.

Kept apart from coordtui.interop.fhir so the export can add these without
the two growing into each other; resources are plain dicts with the same
``urn:uuid:`` references the export uses for patients and appointments.
A correction is its own Communication carrying an ``urn:coordtui:amends``
extension that points at the original, so both travel, as they do here.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC

from coordtui.domain.days import parse_db
from coordtui.domain.instants import iso_z

AMENDS_URL = "urn:coordtui:amends"
REASON_SYSTEM = "urn:coordtui:call-reason"
OUTCOME_SYSTEM = "urn:coordtui:call-outcome"


def _instant(value: str | None) -> str | None:
    moment = parse_db(value)
    return None if moment is None else iso_z(moment)


def _ref(kind: str, key: str) -> dict:
    return {"reference": f"urn:uuid:{key}", "type": kind}


def communication(row: sqlite3.Row) -> dict:
    """A logged call: sent when we called out, received when they called in."""
    at = _instant(row["at"])
    resource: dict = {
        "resourceType": "Communication",
        "id": row["id"],
        "status": "completed",
        "subject": _ref("Patient", row["patient_id"]),
        "medium": [{"text": "telephone"}],
        "category": [{"coding": [{"system": REASON_SYSTEM, "display": row["reason"]}]}],
        "statusReason": {"coding": [{"system": OUTCOME_SYSTEM, "code": row["outcome"]}]},
        "payload": [{"contentString": row["note"] or "(no note)"}],
    }
    inbound = row["direction"] == "in"
    resource["received" if inbound else "sent"] = at
    if row["who_kind"] != "patient" or row["who_name"]:
        party = {"display": f"{row['who_name'] or 'unnamed'} ({row['who_kind']})"}
        if inbound:
            resource["sender"] = party
        else:
            resource["recipient"] = [party]
    if row["appointment_id"]:
        resource["about"] = [_ref("Appointment", row["appointment_id"])]
    if row["amends"]:
        resource["extension"] = [
            {"url": AMENDS_URL, "valueReference": _ref("Communication", row["amends"])}
        ]
    return resource


def task(row: sqlite3.Row) -> dict:
    """A callback: requested until done, then completed with who and when."""
    due = parse_db(row["due_at"])
    snoozed = parse_db(row["snoozed_until"])
    end = max(due, snoozed) if snoozed else due
    resource: dict = {
        "resourceType": "Task",
        "id": row["id"],
        "status": "completed" if row["status"] == "done" else "requested",
        "intent": "order",
        "priority": row["priority"] if row["priority"] in ("routine", "urgent") else "routine",
        "code": {"text": "Call the patient back"},
        "for": _ref("Patient", row["patient_id"]),
        "authoredOn": _instant(row["created_at"]),
        "executionPeriod": {"end": end.astimezone(UTC).isoformat().replace("+00:00", "Z")},
        "owner": {"display": row["assignee"] or "anyone"},
    }
    if row["call_note_id"]:
        resource["focus"] = _ref("Communication", row["call_note_id"])
    if row["status"] == "done" and row["done_at"]:
        resource["lastModified"] = _instant(row["done_at"])
        resource["note"] = [{"text": f"Done by {row['done_by'] or 'unknown'}"}]
    return resource


def call_resources(conn: sqlite3.Connection) -> list[dict]:
    """Every call note (oldest first) and every callback, as R4B resources."""
    previous = conn.row_factory
    conn.row_factory = sqlite3.Row
    try:
        notes = conn.execute(
            "SELECT id, patient_id, appointment_id, direction, who_kind, who_name, reason, "
            "outcome, note, amends, at FROM call_note ORDER BY at, mutation_id, id"
        ).fetchall()
        callbacks = conn.execute(
            "SELECT id, patient_id, call_note_id, due_at, assignee, priority, status, done_at, "
            "done_by, snoozed_until, created_at FROM callback ORDER BY created_at, id"
        ).fetchall()
    finally:
        conn.row_factory = previous
    return [communication(r) for r in notes] + [task(r) for r in callbacks]
