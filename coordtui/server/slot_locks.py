"""PostgreSQL's ``slot_lock`` table kept in step with the appointments.

The exclusion constraint on ``slot_lock`` (coordtui.server.schema) is what
makes two overlapping bookings of one provider impossible across server
processes; it only works if every write that changes an appointment mirrors
it there in the same transaction.  Push does so per mutation and baseline
loading for all appointments at once, from the one definition of which
appointments are exclusive below.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

from coordtui.domain.status import ACTIVE

# Appointments that must not overlap another of their provider's: scheduled, active
# (coordtui.domain.status.ACTIVE), with a provider who allows no overbooking.
LOCK_EXCLUSIVE = (
    "INSERT INTO slot_lock (appointment_id, provider_id, span) "
    "SELECT a.id, a.provider_id, tstzrange(a.start_utc, a.end_utc, '[)') "
    "FROM appointment a LEFT JOIN provider_booking pb ON pb.provider_id = a.provider_id "
    "WHERE a.kind = 'scheduled' AND COALESCE(pb.overbook_allowance, 0) = 0 "
    f"AND a.status IN ({', '.join(repr(s.value) for s in sorted(ACTIVE))})"
)


def maintain_slot_locks(session: Session, touched: dict[tuple[str, str], bool]) -> None:
    """PostgreSQL only: mirror exclusive appointments into the exclusion-constrained table."""
    ids = [k for (t, k) in touched if t == "appointment"]
    if not ids:
        return
    conn = session.connection()
    conn.execute(text("DELETE FROM slot_lock WHERE appointment_id = ANY(:ids)"), {"ids": ids})
    conn.execute(text(LOCK_EXCLUSIVE + " AND a.id = ANY(:ids)"), {"ids": ids})
