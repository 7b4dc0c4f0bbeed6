"""Reads for calls: the call log, callbacks, reminder and recall lists, the day summary.

Plain sqlite3 like coordtui.store.reads, so the Calls screen paints without
the ORM.  Every function takes the connection first (``Reads.run(fn, *args)``).
Notes come back exactly as stored; screens pass them through ``clean()``.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, tzinfo

from coordtui.domain import calls as rules
from coordtui.domain.days import day_bounds_utc, db_text, parse_db
from coordtui.read_models.calls import CallbackRow, CallRow, RecallRow, ReminderRow

EXCERPT = 80  # characters of a note shown in the callback list


_CALL_SQL = """
SELECT c.id, c.patient_id, p.given_name, p.family_name, c.appointment_id, c.direction,
       c.who_kind, c.who_name, c.reason, c.outcome, c.note, c.at, c.actor, c.amends
FROM call_note c JOIN patient p ON p.id = c.patient_id
"""


def _calls(conn: sqlite3.Connection, where: str, params: tuple, limit: int = -1) -> list[CallRow]:
    rows = conn.execute(
        f"{_CALL_SQL} WHERE {where} ORDER BY c.at DESC, c.mutation_id DESC LIMIT ?",
        (*params, limit),
    ).fetchall()
    ids = [r[0] for r in rows]
    amended: dict[str, list[str]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        # INDEXED BY: with amendments rare, ANALYZE rates the amends index useless and the
        # planner scans all notes by time instead (52 ms at 50,000 notes; this: 0.1 ms).
        for amends, cid in conn.execute(
            "SELECT amends, id FROM call_note INDEXED BY ix_call_note_amends "
            f"WHERE amends IN ({marks}) ORDER BY at, mutation_id",
            chunk,
        ):
            amended.setdefault(amends, []).append(cid)
    return [
        CallRow(*r[:11], parse_db(r[11]), r[12], r[13], tuple(amended.get(r[0], ()))) for r in rows
    ]


def calls_between(conn: sqlite3.Connection, start: datetime, end: datetime) -> list[CallRow]:
    """Calls (and corrections) logged in [start, end), newest first."""
    return _calls(conn, "c.at >= ? AND c.at < ?", (db_text(start), db_text(end)))


def patient_calls(conn: sqlite3.Connection, patient_id: str, limit: int = 200) -> list[CallRow]:
    return _calls(conn, "c.patient_id = ?", (patient_id,), limit)


def call(conn: sqlite3.Connection, call_id: str) -> CallRow | None:
    found = _calls(conn, "c.id = ?", (call_id,))
    return found[0] if found else None


def callbacks(
    conn: sqlite3.Connection, now: datetime, include_done: bool = False, limit: int | None = None
) -> list[CallbackRow]:
    """Open callbacks by when they are due (overdue first, as the time has passed).

    ``limit`` keeps only the first rows of that order, chosen in SQL: the Calls
    screen shows the soonest 200, so 2,000 open callbacks cost 200 rows of Python.
    The order is the same as the final sort below (done last, effective due,
    urgent first, id); due times compare as text, the store's UTC format.

    INDEXED BY: amendments are rare, so after ANALYZE the planner prefers scanning
    call_note by time for the latest-wording subquery (measured: 112 s for 2,000
    callbacks over 50,000 calls); the amends index makes it 24 ms.
    """
    status = "" if include_done else "WHERE status = 'open'"
    order = "pick.done, pick.due, pick.routine, pick.id"
    rows = conn.execute(
        "WITH pick AS (SELECT id, done_at IS NOT NULL AS done, "
        "MAX(due_at, COALESCE(snoozed_until, due_at)) AS due, priority != 'urgent' AS routine "
        f"FROM callback {status} ORDER BY done, due, routine, id LIMIT ?) "
        "SELECT b.id, b.patient_id, p.given_name, p.family_name, p.phone, b.due_at, "
        "b.assignee, b.priority, b.done_at, b.snoozed_until, b.call_note_id, b.version, "
        "b.created_by, COALESCE((SELECT a.note FROM call_note a INDEXED BY ix_call_note_amends "
        "WHERE a.amends = c.id "
        "ORDER BY a.at DESC, a.mutation_id DESC LIMIT 1), c.note, '') "
        "FROM pick JOIN callback b ON b.id = pick.id JOIN patient p ON p.id = b.patient_id "
        f"LEFT JOIN call_note c ON c.id = b.call_note_id ORDER BY {order}",
        (-1 if limit is None else limit,),
    ).fetchall()
    out = []
    for r in rows:
        due, done_at, snoozed = parse_db(r[5]), parse_db(r[8]), parse_db(r[9])
        out.append(
            CallbackRow(
                id=r[0],
                patient_id=r[1],
                given_name=r[2],
                family_name=r[3],
                phone=r[4] or "",
                due_at=rules.effective_due(due, snoozed),
                assignee=r[6],
                priority=r[7],
                state=rules.callback_state(due, done_at, snoozed, now),
                note=(r[13] or "")[:EXCERPT],
                call_note_id=r[10],
                snoozed_until=snoozed,
                version=r[11],
                created_by=r[12] or "",
            )
        )
    out.sort(key=lambda c: (c.state == "done", c.due_at, c.priority != "urgent", c.id))
    return out


def open_callback_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM callback WHERE status = 'open'").fetchone()[0]


def overdue_count(conn: sqlite3.Connection, now: datetime) -> int:
    return conn.execute(
        "SELECT count(*) FROM callback WHERE status = 'open' "
        "AND MAX(due_at, COALESCE(snoozed_until, due_at)) < ?",
        (db_text(now),),
    ).fetchone()[0]


def callback_version(conn: sqlite3.Connection, callback_id: str) -> int | None:
    row = conn.execute("SELECT version FROM callback WHERE id = ?", (callback_id,)).fetchone()
    return row[0] if row else None


def reminder_list(conn: sqlite3.Connection, day: date, zone: tzinfo) -> list[ReminderRow]:
    """The day's still-booked visits with phone and language, by start time."""
    start, end = day_bounds_utc(day, zone)
    rows = conn.execute(
        "SELECT a.id, p.id, p.given_name, p.family_name, p.phone, p.preferred_language, "
        "a.start_utc, v.short_name, a.type, "
        "(SELECT c.outcome FROM call_note c WHERE c.appointment_id = a.id AND c.reason = ? "
        " AND c.amends IS NULL ORDER BY c.at DESC, c.mutation_id DESC LIMIT 1) "
        "FROM appointment a JOIN patient p ON p.id = a.patient_id "
        "JOIN provider v ON v.id = a.provider_id "
        "WHERE a.start_utc >= ? AND a.start_utc < ? AND a.status = 'booked' "
        "ORDER BY a.start_utc, v.short_name, a.id",
        (rules.REMINDER_REASON, db_text(start), db_text(end)),
    ).fetchall()
    return [
        ReminderRow(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4] or "",
            r[5] or "",
            parse_db(r[6]),
            r[7],
            r[8],
            r[9] is not None,
            r[9] or "",
        )  # fmt: skip
        for r in rows
    ]


def appointment_patient(conn: sqlite3.Connection, appointment_id: str) -> str | None:
    row = conn.execute(
        "SELECT patient_id FROM appointment WHERE id = ?", (appointment_id,)
    ).fetchone()
    return row[0] if row else None


_RECALL_SQL = (
    "SELECT r.id, p.id, p.given_name, p.family_name, p.phone, r.due_date, r.reason, r.status "
    "FROM recall r JOIN patient p ON p.id = r.patient_id WHERE r.status = 'open' AND "
)


def recalls_due(conn: sqlite3.Connection, until_day: date) -> list[RecallRow]:
    """Open recalls due on or before ``until_day``, earliest first."""
    rows = conn.execute(
        _RECALL_SQL + "r.due_date <= ? ORDER BY r.due_date, p.family_name, p.given_name, r.id",
        (until_day.isoformat(),),
    ).fetchall()
    return _recall_rows(rows)


def patient_recalls(conn: sqlite3.Connection, patient_id: str) -> list[RecallRow]:
    """One patient's open recalls, earliest due first (for the card)."""
    rows = conn.execute(
        _RECALL_SQL + "r.patient_id = ? ORDER BY r.due_date, r.id", (patient_id,)
    ).fetchall()
    return _recall_rows(rows)


def _recall_rows(rows: list[tuple]) -> list[RecallRow]:
    return [
        RecallRow(r[0], r[1], r[2], r[3], r[4] or "", date.fromisoformat(r[5]), r[6] or "", r[7])
        for r in rows
    ]


def hand_offs(conn: sqlite3.Connection, appointment_ids: list[str]) -> dict[str, list[str]]:
    """Hand-off notes per appointment, oldest first (only appointments that have some)."""
    out: dict[str, list[str]] = {}
    ids = list(dict.fromkeys(appointment_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for appointment_id, note in conn.execute(
            f"SELECT appointment_id, note FROM hand_off WHERE appointment_id IN ({marks}) "
            "ORDER BY at, id",
            chunk,
        ):
            out.setdefault(appointment_id, []).append(note)
    return out


def day_summary(conn: sqlite3.Connection, day: date, zone: tzinfo, now: datetime) -> rules.Summary:
    """Facts for the day's appointments and calls, summed by coordtui.domain.calls."""
    start, end = day_bounds_utc(day, zone)
    lo, hi = db_text(start), db_text(end)
    appointments = [
        rules.ApptFact(r[0], r[1], r[2], parse_db(r[3]), parse_db(r[4]), parse_db(r[5]))
        for r in conn.execute(
            "SELECT a.provider_id, v.short_name, a.status, a.arrived_at, "
            "(SELECT MIN(s.at) FROM status_event s WHERE s.appointment_id = a.id "
            " AND s.to_status = 'in_room' AND s.corrects IS NULL AND NOT EXISTS "
            " (SELECT 1 FROM status_event c WHERE c.corrects = s.id)), a.finished_at "
            "FROM appointment a JOIN provider v ON v.id = a.provider_id "
            "WHERE a.start_utc >= ? AND a.start_utc < ?",
            (lo, hi),
        )
    ]
    call_facts = [
        rules.CallFact(parse_db(r[0]), r[1])
        for r in conn.execute("SELECT at, amends FROM call_note WHERE at >= ? AND at < ?", (lo, hi))
    ]
    open_callbacks = [
        rules.CallbackFact(parse_db(r[0]), None, parse_db(r[1]))
        for r in conn.execute("SELECT due_at, snoozed_until FROM callback WHERE status = 'open'")
    ]
    return rules.day_summary(appointments, call_facts, open_callbacks, now)
