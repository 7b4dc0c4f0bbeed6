"""Reads for the patient card: the record, its appointments and its history.

Plain sqlite3, like coordtui.store.reads, so the card opens without the ORM.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date

from coordtui.domain.days import parse_db
from coordtui.read_models.patients import (
    PatientAppointment,
    PatientHistoryEntry,
    PatientRecord,
)

PATIENT_COLUMNS = (
    "id",
    "record_number",
    "given_name",
    "family_name",
    "preferred_name",
    "dob",
    "sex",
    "phone",
    "phone_alt",
    "email",
    "address",
    "preferred_language",
    "interpreter_needed",
    "flags",
    "payer",
    "member_id",
    "copay_cents",
    "merged_into",
    "version",
    "created_at",
    "updated_at",
    "updated_by",
)


def patient(conn: sqlite3.Connection, patient_id: str) -> PatientRecord | None:
    row = conn.execute(
        f"SELECT {', '.join(PATIENT_COLUMNS)} FROM patient WHERE id = ?", (patient_id,)
    ).fetchone()
    if row is None:
        return None
    values = dict(zip(PATIENT_COLUMNS, row, strict=True))
    values["dob"] = date.fromisoformat(values["dob"]) if values["dob"] else None
    values["interpreter_needed"] = bool(values["interpreter_needed"])
    for key in ("created_at", "updated_at"):
        values[key] = parse_db(values[key])
    for key in PATIENT_COLUMNS:
        if values[key] is None and key not in ("dob", "merged_into", "created_at", "updated_at"):
            values[key] = ""
    return PatientRecord(**values, base_version=_base_version(conn, patient_id, values["version"]))


def _base_version(conn: sqlite3.Connection, patient_id: str, version: int) -> int | None:
    """The record's version before the oldest unsynced mutation that touched it.

    The rebase keeps that pre-image (coordtui.sync.local), so it is the server's
    state; with no unsynced change the current version is.
    """
    row = conn.execute(
        "SELECT image FROM sync_undo WHERE table_name = 'patient' AND row_key = ? "
        "ORDER BY mutation_id, seq LIMIT 1",
        (patient_id,),
    ).fetchone()
    if row is None:
        return version
    return None if row[0] is None else int(json.loads(row[0])["version"])


def appointments(conn: sqlite3.Connection, patient_id: str) -> list[PatientAppointment]:
    rows = conn.execute(
        "SELECT a.id, a.start_utc, a.end_utc, v.short_name, a.type, a.status, a.reason, a.kind "
        "FROM appointment a JOIN provider v ON v.id = a.provider_id "
        "WHERE a.patient_id = ? ORDER BY a.start_utc DESC LIMIT 200",
        (patient_id,),
    ).fetchall()
    return [
        PatientAppointment(r[0], parse_db(r[1]), parse_db(r[2]), r[3], r[4], r[5], r[6] or "", r[7])
        for r in rows
    ]


def history(conn: sqlite3.Connection, patient_id: str) -> list[PatientHistoryEntry]:
    rows = conn.execute(
        "SELECT kind, at, actor, detail FROM patient_event WHERE patient_id = ? "
        "ORDER BY at DESC, mutation_id DESC LIMIT 100",
        (patient_id,),
    ).fetchall()
    return [PatientHistoryEntry(r[0], parse_db(r[1]), r[2], json.loads(r[3] or "{}")) for r in rows]
