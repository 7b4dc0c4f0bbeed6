"""Reads for coverage at check-in: what the arrival step and the patient card show.

Plain sqlite3, like coordtui.store.reads, so the dialog opens without the ORM.
"""

from __future__ import annotations

import sqlite3

from coordtui.domain.days import parse_db
from coordtui.read_models.coverage import LastCheck, VisitCoverage


def last_check(conn: sqlite3.Connection, patient_id: str) -> LastCheck | None:
    row = conn.execute(
        "SELECT at, actor, payer, member_id FROM coverage_check WHERE patient_id = ? "
        "ORDER BY at DESC, id DESC LIMIT 1",
        (patient_id,),
    ).fetchone()
    return None if row is None else LastCheck(parse_db(row[0]), row[1], row[2], row[3] or "")


def visit(conn: sqlite3.Connection, appointment_id: str) -> VisitCoverage | None:
    row = conn.execute(
        "SELECT a.id, p.id, p.payer, p.member_id, p.copay_cents, "
        "(SELECT coalesce(sum(c.amount_cents), 0) FROM copay_payment c "
        " WHERE c.appointment_id = a.id) "
        "FROM appointment a JOIN patient p ON p.id = a.patient_id WHERE a.id = ?",
        (appointment_id,),
    ).fetchone()
    if row is None:
        return None
    return VisitCoverage(
        appointment_id=row[0],
        patient_id=row[1],
        payer=row[2] or "",
        member_id=row[3] or "",
        copay_cents=row[4] or 0,
        last_check=last_check(conn, row[1]),
        collected_cents=row[5],
    )
