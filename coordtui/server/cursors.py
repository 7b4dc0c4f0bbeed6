"""Pull cursors: the opaque position a desk sends back with each pull.

A cursor names where the desk is in the change log (the epoch of the
server's data, a sequence number and the id of the write there, and the last
row sent) and the history window of its bootstrap.  It is base64 JSON the
server issues and only the server reads; a cursor it could not have issued
decodes to None, which the HTTP layer refuses before any work is done.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from coordtui.server.schema import BIGINT


@dataclass(frozen=True)
class Position:
    """Where a workstation is in the change log, and its bootstrap's history window
    (coordtui.server.history; ``floor`` empty: no window)."""

    epoch: str
    seq: int
    vid: str
    table: str = ""
    key: str = ""
    boot: int = 0
    floor: str = ""


def encode_cursor(p: Position) -> str:
    fields = [p.epoch, p.seq, p.vid, p.table, p.key, p.boot, p.floor]
    raw = json.dumps(fields, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str | None) -> Position | None:
    """The position, or None for a cursor this server never issued (five fields: an
    older server's, without a window)."""
    if not cursor:
        return None
    try:
        fields = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(fields, list) or len(fields) not in (5, 7):
            return None
        epoch, seq, vid, table, key, *window = fields
        boot, floor = window or (0, "")
        if not all(type(n) is int and 0 <= n <= BIGINT for n in (seq, boot)):
            return None  # a forged position: the log's sequence numbers are 64-bit
        if floor:
            moment = datetime.fromisoformat(str(floor))
            # Past the calendar's ends once in UTC (year 1 at +14:00): not one we issued.
            if moment.tzinfo is None or not 1900 <= moment.astimezone(UTC).year <= 9000:
                return None
        return Position(str(epoch), seq, str(vid), str(table), str(key), boot, str(floor))
    except (ValueError, TypeError, OverflowError, RecursionError):
        return None
