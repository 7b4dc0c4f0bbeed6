"""Fast read queries for the screens, on plain sqlite3.

The app paints its first screen from here before SQLAlchemy is even
imported; reads are simple, indexed SELECTs returning small dataclasses
(coordtui.read_models).
``data_version`` lets the app notice commits from any other connection
(another coordinator's process on the same file, or our own writer).
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import date, datetime
from pathlib import Path

from coordtui.domain.days import db_text, parse_db
from coordtui.read_models.queue import ClinicInfo, PatientBrief, ProviderInfo, QueueRow
from coordtui.store.files import apply_pragmas

_QUEUE_SQL = """
SELECT a.id, a.start_utc, a.end_utc, p.id, p.given_name, p.family_name, p.preferred_name,
       p.dob, p.phone, p.record_number, p.interpreter_needed, p.flags,
       v.id, v.short_name, a.type, a.reason, a.kind, a.priority, a.status, a.status_since,
       a.arrived_at, a.finished_at, a.cancel_reason, a.version,
       (SELECT group_concat(h.note, ' · ') FROM hand_off h WHERE h.appointment_id = a.id),
       p.payer != '',
       (SELECT max(c.at) FROM coverage_check c WHERE c.patient_id = p.id)
FROM appointment a
JOIN patient p ON p.id = a.patient_id
JOIN provider v ON v.id = a.provider_id
WHERE a.start_utc >= ? AND a.start_utc < ?
ORDER BY a.start_utc, v.short_name, a.id
"""


class Reads:
    """One read connection, shared by worker threads under a lock."""

    def __init__(self, path: Path):
        self.path = path
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        apply_pragmas(self._conn)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _all(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def run(self, fn, *args):
        """Run ``fn(conn, *args)`` under the lock: for read modules beside this one."""
        with self._lock:
            return fn(self._conn, *args)

    def data_version(self) -> int:
        """Changes whenever another connection commits to the file."""
        with self._lock:
            return self._conn.execute("PRAGMA data_version").fetchone()[0]

    def clinic(self) -> ClinicInfo | None:
        rows = self._all("SELECT id, name, timezone, phone_region FROM clinic LIMIT 1")
        return ClinicInfo(*rows[0]) if rows else None

    def providers(self) -> list[ProviderInfo]:
        rows = self._all(
            "SELECT id, name, short_name FROM provider WHERE active ORDER BY short_name, id"
        )
        return [ProviderInfo(*r) for r in rows]

    def queue(self, start_utc: datetime, end_utc: datetime) -> list[QueueRow]:
        rows = self._all(_QUEUE_SQL, (db_text(start_utc), db_text(end_utc)))
        return [_queue_row(r) for r in rows]

    def queue_row(self, appointment_id: str) -> QueueRow | None:
        sql = _QUEUE_SQL.replace("WHERE a.start_utc >= ? AND a.start_utc < ?", "WHERE a.id = ?")
        rows = self._all(sql, (appointment_id,))
        return _queue_row(rows[0]) if rows else None

    def find_patients(self, text: str, limit: int = 20) -> list[PatientBrief]:
        """Simple prefix finder for pickers (the Lookup screen has the full search)."""
        terms = [t for t in text.replace(",", " ").split() if t]
        if not terms:
            return []
        where, params = [], []
        for term in terms[:3]:
            where.append(
                "(given_name LIKE ? ESCAPE '\\' OR family_name LIKE ? ESCAPE '\\' "
                "OR record_number LIKE ? ESCAPE '\\')"
            )
            like = _escape_like(term) + "%"
            params += [like, like, like]
        sql = (
            "SELECT id, record_number, given_name, family_name, dob, phone FROM patient "
            f"WHERE merged_into IS NULL AND {' AND '.join(where)} "
            "ORDER BY family_name, given_name LIMIT ?"
        )
        rows = self._all(sql, (*params, limit))
        return [
            PatientBrief(r[0], r[1], r[2], r[3], date.fromisoformat(r[4]) if r[4] else None, r[5])
            for r in rows
        ]

    def find_duplicates(self, fields: dict, today: date, limit: int = 10) -> list:
        """Possible duplicates of a registration (store.duplicates; imported on first use)."""
        from coordtui.store.duplicates import find_duplicates

        with self._lock:
            return find_duplicates(self._conn, fields, today, limit)

    def search_patients(
        self,
        query: str,
        today: date,
        date_order: str = "DMY",
        limit: int = 50,
        offset: int = 0,
        now: datetime | None = None,
    ) -> list:
        """The Lookup screen's search (store.search; imported on first use)."""
        from coordtui.store.search import search

        with self._lock:
            return search(self._conn, query, today, date_order, limit, offset, now=now)

    def outbox_count(self) -> int:
        return self._all("SELECT count(*) FROM outbox")[0][0]

    def meta(self, key: str) -> str | None:
        rows = self._all("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _queue_row(r: tuple) -> QueueRow:
    return QueueRow(
        id=r[0],
        start=parse_db(r[1]),
        end=parse_db(r[2]),
        patient_id=r[3],
        given_name=r[4],
        family_name=r[5],
        preferred_name=r[6] or "",
        dob=date.fromisoformat(r[7]) if r[7] else None,
        phone=r[8] or "",
        record_number=r[9],
        interpreter_needed=bool(r[10]),
        flags=r[11] or "",
        provider_id=r[12],
        provider=r[13],
        type=r[14],
        reason=r[15] or "",
        kind=r[16],
        priority=r[17],
        status=r[18],
        status_since=parse_db(r[19]),
        arrived_at=parse_db(r[20]),
        finished_at=parse_db(r[21]),
        cancel_reason=r[22] or "",
        version=r[23],
        hand_off=r[24] or "",
        coverage_on_file=bool(r[25]),
        coverage_verified_at=parse_db(r[26]),
    )
