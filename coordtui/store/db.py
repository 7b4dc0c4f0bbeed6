"""The write engine: SQLite with WAL, synchronous=FULL, BEGIN IMMEDIATE, migrations.

Writes begin with BEGIN IMMEDIATE so that two coordinators on one file (two
SSH sessions, one host) serialise on the write lock up front instead of
failing half-way through a transaction.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlmodel import Session, SQLModel

from coordtui.store import (
    duplicates,
    models,  # registers the tables
    search,
)
from coordtui.store.files import (
    SCHEMA_VERSION,
    apply_pragmas,
    check_version,
    ensure_private_file,
)


def _migrate_to_1(conn) -> None:
    SQLModel.metadata.create_all(conn)


def _migrate_to_2(conn) -> None:
    """Patient search index (coordtui.store.search), built for the patients already here.

    Runs on the migration's own DB-API connection, so it commits (or rolls
    back) together with the user_version bump.
    """
    raw = conn.connection.driver_connection
    search.create_schema(raw)
    search.rebuild_index(raw)


def _migrate_to_3(conn) -> None:
    """Patient history (patient_event) and the indexes behind the duplicate check."""
    SQLModel.metadata.create_all(conn)  # creates only what is missing
    duplicates.ensure_indexes(conn.connection.driver_connection)


def _migrate_to_4(conn) -> None:
    """Booking: appointment types, schedule exceptions, waitlist, booking side tables.

    New tables (created if missing, so a fresh store that got them from step
    1 passes through) and a covering index for the finder, then the default
    appointment types for the clinic already in the store.  A store whose
    clinic arrives later (demo, first sync) reads ``DEFAULT_TYPES`` until
    types are written.
    """
    SQLModel.metadata.create_all(conn)
    # create_all adds indexes only with new tables; appointment is an old one.
    conn.exec_driver_sql(
        "CREATE INDEX IF NOT EXISTS ix_appointment_provider_span "
        "ON appointment (provider_id, start_utc, end_utc, status)"
    )
    seed_appointment_types(conn.connection.driver_connection)


def _migrate_to_5(conn) -> None:
    """Calls: call notes, callbacks, recalls and hand-off notes (new tables only).

    No columns are added to existing tables (seeders write those with exact
    column lists), so the step is create-if-missing and nothing else.
    """
    SQLModel.metadata.create_all(conn)


def seed_appointment_types(raw: sqlite3.Connection) -> int:
    """Insert DEFAULT_TYPES for every clinic that has none; returns rows added.

    Ids are derived from clinic and name, so every workstation that migrates
    makes the same rows and a later sync does not see two "Follow-up"s.
    """
    from coordtui.domain.slots import DEFAULT_TYPES, Modality

    added = 0
    clinics = [r[0] for r in raw.execute("SELECT id FROM clinic ORDER BY id")]
    for clinic_id in clinics:
        if raw.execute(
            "SELECT 1 FROM appointment_type WHERE clinic_id = ? LIMIT 1", (clinic_id,)
        ).fetchone():
            continue
        for t in DEFAULT_TYPES:
            modalities = ",".join(m.value for m in Modality if m in t.modalities)
            type_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"coordtui:type:{clinic_id}:{t.name}"))
            added += raw.execute(
                "INSERT OR IGNORE INTO appointment_type (id, clinic_id, name, minutes, "
                "modalities, active) VALUES (?, ?, ?, ?, ?, 1)",
                (type_id, clinic_id, t.name, t.minutes, modalities),
            ).rowcount
    return added


def _migrate_to_6(conn) -> None:
    """Sync: the undo log of pending mutations and the conflicts list (new tables only)."""
    SQLModel.metadata.create_all(conn)


def _migrate_to_7(conn) -> None:
    """An index on the undo log by row, for the base of a patient edit."""
    for index in models.SyncUndo.__table__.indexes:
        index.create(conn, checkfirst=True)


def _migrate_to_8(conn) -> None:
    """Coverage at check-in: coverage checks and copay payments (new tables only)."""
    SQLModel.metadata.create_all(conn)


def _migrate_to_9(conn) -> None:
    """Lookup: merged records' numbers, Cyrillic/Greek/Arabic romanised, a skeleton column.

    The search index is workstation-only derived data (never synced, so the
    sync schema is unchanged): its tables are dropped and built again from
    the patient rows, in this migration's transaction.
    """
    raw = conn.connection.driver_connection
    search.drop_schema(raw)
    search.create_schema(raw)
    search.rebuild_index(raw)


def _migrate_to_10(conn) -> None:
    """Restore recovery: acknowledged mutations are kept (sync_sent) and can be re-queued."""
    SQLModel.metadata.create_all(conn)
    # A store created at an earlier version by create_all already has the column.
    columns = {row[1] for row in conn.exec_driver_sql("PRAGMA table_info(outbox)")}
    if "recovered" not in columns:
        conn.exec_driver_sql("ALTER TABLE outbox ADD COLUMN recovered BOOLEAN NOT NULL DEFAULT 0")


# version -> step that upgrades from version-1; each runs in one transaction.
MIGRATIONS: dict[int, Callable] = {
    1: _migrate_to_1,
    2: _migrate_to_2,
    3: _migrate_to_3,
    4: _migrate_to_4,
    5: _migrate_to_5,
    6: _migrate_to_6,
    7: _migrate_to_7,
    8: _migrate_to_8,
    9: _migrate_to_9,
    10: _migrate_to_10,
}


def make_engine(path: Path) -> Engine:
    """Engine for a store file, creating the file owner-only if needed."""
    ensure_private_file(path)
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        apply_pragmas(dbapi_conn)

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def migrate(engine: Engine, path: Path) -> int:
    """Bring the schema up to SCHEMA_VERSION; refuse a newer file."""
    current = check_version(path)
    for version in range(current + 1, SCHEMA_VERSION + 1):
        with engine.begin() as conn:
            MIGRATIONS[version](conn)
            conn.exec_driver_sql(f"PRAGMA user_version={version}")
    ensure_private_file(path)
    return SCHEMA_VERSION


def open_store(path: Path) -> Engine:
    engine = make_engine(path)
    migrate(engine, path)
    return engine


def session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)
