"""The raw writer: generated rows go straight into SQLite with ``executemany``.

The generators write through raw ``sqlite3`` after ``open_store`` has created
the schema: that is far faster than SQLModel objects and lets the demo and
the seeder share one row builder.  Text formats match what SQLAlchemy writes
on SQLite (UTC datetimes without offset in ``coordtui.domain.days.DB_FORMAT``,
ISO dates, 0/1 booleans), so the app reads the rows exactly as if it had
written them.

Column lists come from the SQLModel tables (coordtui/store/models.py), in
their declared order, and the row builders emit values in that order.  A
column added to one of these models makes every generated row one value
short, which ``insert`` reports by table: give the builder the new value.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import SQLModel

from coordtui.store.models import (
    Appointment,
    Clinic,
    CoverageCheck,
    Meta,
    Patient,
    Provider,
    StatusEvent,
)
from coordtui.store.search import rebuild_index

ACTOR = "demo"  # StatusEvent.actor / created_by / updated_by of generated rows


# ------------------------------------------------------------ text formats


def ts(moment: datetime) -> str:
    """A naive-UTC instant as SQLAlchemy stores it on SQLite (DB_FORMAT, always with micros)."""
    return moment.isoformat(" ", "microseconds")


def ts_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else ts(moment)


def naive_utc(now: datetime) -> datetime:
    """`now` as naive UTC (naive input is taken to be UTC already)."""
    if now.tzinfo is not None:
        now = now.astimezone(UTC).replace(tzinfo=None)
    return now


# ----------------------------------------------------------------- columns


def columns_of(model: type[SQLModel]) -> tuple[str, ...]:
    """The table's column names in models.py order: the order rows are built in."""
    return tuple(column.name for column in model.__table__.columns)


PATIENT_COLUMNS = columns_of(Patient)
APPOINTMENT_COLUMNS = columns_of(Appointment)
EVENT_COLUMNS = columns_of(StatusEvent)
PROVIDER_COLUMNS = columns_of(Provider)
CLINIC_COLUMNS = columns_of(Clinic)
META_COLUMNS = columns_of(Meta)
COVERAGE_COLUMNS = columns_of(CoverageCheck)
TABLES = {
    "coverage_check": COVERAGE_COLUMNS,
    "meta": META_COLUMNS,
    "clinic": CLINIC_COLUMNS,
    "provider": PROVIDER_COLUMNS,
    "patient": PATIENT_COLUMNS,
    "appointment": APPOINTMENT_COLUMNS,
    "status_event": EVENT_COLUMNS,
}


# ------------------------------------------------------------ sqlite I/O


def remove_store(path: Path) -> None:
    """Delete a store and its WAL/SHM/journal side files (generators replace, never merge)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def check_columns(conn: sqlite3.Connection) -> None:
    """Fail loudly if the store's tables are not the models': raw inserts name every column."""
    for table, columns in TABLES.items():
        actual = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if actual != set(columns):
            raise RuntimeError(
                f"Table {table} has columns {sorted(actual)}, but models.py declares "
                f"{sorted(columns)}; the migrations and coordtui/store/models.py disagree."
            )


def insert(conn: sqlite3.Connection, table: str, rows: Sequence[Sequence]) -> None:
    columns = TABLES[table]
    if rows and len(rows[0]) != len(columns):
        raise RuntimeError(
            f"models.py gives {table} {len(columns)} columns {columns}, but coordtui.demo "
            f"builds its rows with {len(rows[0])} values; add the new column's value there."
        )
    marks = ", ".join("?" * len(columns))
    conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def clinic_row(clinic_id: str, name: str, timezone: str, created: datetime) -> tuple:
    return (clinic_id, name, timezone, "US", ts(created))


def write_all(path: Path, tables: dict[str, list]) -> None:
    """One transaction, foreign keys checked: the demo is small, safety is free."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        check_columns(conn)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("BEGIN IMMEDIATE")
        for table in (
            "clinic", "provider", "patient", "appointment", "status_event", "coverage_check",
            "meta",
        ):  # fmt: skip
            insert(conn, table, tables[table])
        rebuild_index(conn)  # raw inserts bypass the mutations that keep it current
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
    finally:
        conn.close()
