"""Wait-time computation, in whole minutes, from UTC instants.

Times are passed as aware datetimes or epoch values by the caller; nothing
here reads the clock, so the rules are testable at any instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from coordtui.domain.status import WAITING, Status


@dataclass(frozen=True)
class Wait:
    since_arrival: int | None  # minutes since arrival; None if not arrived
    in_status: int | None  # minutes in the current status; None if not tracked
    long: bool  # waiting and past the alert threshold


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole minutes from start to end, never negative (clock skew clamps to 0)."""
    return max(0, int((end - start).total_seconds() // 60))


def compute_wait(
    status: Status,
    arrived_at: datetime | None,
    status_since: datetime | None,
    now: datetime,
    alert_minutes: int,
    finished_at: datetime | None = None,
) -> Wait:
    """Wait figures for one appointment.

    ``since_arrival`` stops counting once the visit is finished (done/left),
    so the board shows the total visit length instead of a growing number.
    """
    end = finished_at if (finished_at and status not in WAITING | {Status.IN_ROOM}) else now
    since_arrival = minutes_between(arrived_at, end) if arrived_at else None
    in_status = minutes_between(status_since, now) if status_since else None
    long = status in WAITING and in_status is not None and in_status >= alert_minutes
    return Wait(since_arrival, in_status, long)


def format_minutes(minutes: int | None) -> str:
    """`7m`, `1h05` - short enough for an 80-column board."""
    if minutes is None:
        return ""
    if minutes < 60:
        return f"{minutes}m"
    return f"{minutes // 60}h{minutes % 60:02d}"
