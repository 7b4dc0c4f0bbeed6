"""The history window of a bootstrap: a new workstation gets every patient but
only the appointments that ended within the last ``history_days``, with their
booking, status history, hand-off notes, coverage checks and copays.  Years of
old visits would make a bootstrap slow and the store large, for rows a front
desk rarely opens.

The window is fixed when the bootstrap starts (the cursor carries the
change-log position then, ``boot``, and the cut-off instant, ``floor``).  An
old appointment is *absent* from a workstation when it ended before the floor
and has not changed since the bootstrap began; absent appointments and the
rows that hang off them are left out of every page, so no workstation holds a
status event, hand-off, coverage check or copay whose appointment it lacks.
An old appointment that changes later (seq > boot) is sent like any change,
from then on with the rows that change with it.  Call notes, callbacks,
recalls and waitlist entries only link to an appointment and are always sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, or_, select
from sqlmodel import SQLModel

from coordtui.server.schema import srv_change

# table -> the column that names its appointment
BY_APPOINTMENT = {
    "appointment": "id",
    "appointment_booking": "appointment_id",
    "status_event": "appointment_id",
    "hand_off": "appointment_id",
    "coverage_check": "appointment_id",  # None (not made at a visit): always sent
    "copay_payment": "appointment_id",
}


def _appointment_of(change: dict[str, Any]) -> str | None:
    column = BY_APPOINTMENT.get(change["t"])
    if column is None or change["row"] is None:  # another table, or a tombstone
        return None
    return change["row"].get(column)


def absent(conn: Connection, ids: set[str], boot: int, floor: datetime) -> set[str]:
    """Of these appointments, those the workstation does not have (see the module)."""
    appointment = SQLModel.metadata.tables["appointment"]
    out: set[str] = set()
    listed = sorted(ids)
    for start in range(0, len(listed), 1000):
        chunk = listed[start : start + 1000]
        query = (
            select(appointment.c.id)
            .select_from(
                appointment.outerjoin(
                    srv_change,
                    and_(
                        srv_change.c.table_name == "appointment",
                        srv_change.c.row_key == appointment.c.id,
                    ),
                )
            )
            .where(
                appointment.c.id.in_(chunk),
                appointment.c.end_utc < floor,
                or_(srv_change.c.seq.is_(None), srv_change.c.seq <= boot),
            )
        )
        out.update(conn.execute(query).scalars())
    return out


def window(
    conn: Connection, changes: list[dict[str, Any]], boot: int, floor: datetime
) -> list[dict[str, Any]]:
    """The page's changes without the rows of absent appointments."""
    owners = [_appointment_of(c) for c in changes]
    ids = {a for a in owners if a}
    gone = absent(conn, ids, boot, floor) if ids else set()
    if not gone:
        return changes
    return [c for c, owner in zip(changes, owners, strict=True) if owner not in gone]
