"""The clinic server's database: the synced tables plus the server's own bookkeeping.

The same schema on SQLite (the embedded default) and PostgreSQL.  On
PostgreSQL a side table with an exclusion constraint (btree_gist) makes
overlapping appointments of one provider impossible at the database level,
even with several server processes: ``slot_lock`` holds one row per
scheduled, active appointment of a provider who allows no overbooking.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    text,
)
from sqlmodel import SQLModel

from coordtui.replication.rows import SYNCED
from coordtui.store.files import SCHEMA_VERSION, ensure_private_file

SERVER_SCHEMA = 1
BIGINT = 2**63 - 1  # sequence numbers and ids are 64-bit in both databases
server_meta = MetaData()

srv_meta = Table(
    "srv_meta",
    server_meta,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
# One row: the head of the change log; UPDATE ... RETURNING on it serialises writers.
srv_head = Table(
    "srv_head",
    server_meta,
    Column("id", Integer, primary_key=True),
    Column("seq", BigInteger, nullable=False),
)
# One row per committed write transaction: cursors name (seq, id) so a restored
# backup (same seq, other id) is detected.
srv_version = Table(
    "srv_version",
    server_meta,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("id", String(36), nullable=False),
    Column("at", DateTime, nullable=False),
)
# The latest change of each synced row (upsert or tombstone).
srv_change = Table(
    "srv_change",
    server_meta,
    Column("table_name", String(40), primary_key=True),
    Column("row_key", String(80), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
    Index("ix_srv_change_seq", "seq", "table_name", "row_key"),
)
srv_client = Table(
    "srv_client",
    server_meta,
    Column("client_id", String(36), primary_key=True),
    Column("name", String(100), nullable=False, default=""),
    Column("token_hash", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("revoked_at", DateTime, nullable=True),
    Column("last_mutation_id", BigInteger, nullable=False, default=0),
    Column("last_seen", DateTime, nullable=True),
)
srv_enroll = Table(
    "srv_enroll",
    server_meta,
    Column("code_hash", String(64), primary_key=True),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("used_by", String(36), nullable=True),
)
# What became of each pushed mutation, so a replayed batch gets the same answers.
srv_result = Table(
    "srv_result",
    server_meta,
    Column("client_id", String(36), primary_key=True),
    Column("mutation_id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # applied | rejected
    Column("reason", Text, nullable=False, default=""),
    Column("detail", Text, nullable=False, default="{}"),
    Column("at", DateTime, nullable=False),
)

_PG_SLOT_LOCK = """
CREATE TABLE IF NOT EXISTS slot_lock (
    appointment_id varchar(80) PRIMARY KEY,
    provider_id varchar(80) NOT NULL,
    span tstzrange NOT NULL,
    CONSTRAINT slot_lock_no_overlap EXCLUDE USING gist (provider_id WITH =, span WITH &&)
)
"""


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def database_url(value: str | None, data_dir: Path) -> str:
    """The URL to use: ``postgresql://`` is taken to mean psycopg 3; a path means SQLite."""
    if not value:
        path = data_dir / "server.db"
        ensure_private_file(path)
        return f"sqlite:///{path}"
    if value.startswith("postgresql://") or value.startswith("postgres://"):
        return "postgresql+psycopg://" + value.split("://", 1)[1]
    if "://" not in value:
        ensure_private_file(Path(value))
        return f"sqlite:///{value}"
    return value


def make_engines(url: str) -> tuple[Engine, Engine]:
    """(writer, reader): SQLite writers take the lock up front; readers get a snapshot."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1]
        if path:
            ensure_private_file(Path(path))
        writer = create_engine(url, connect_args={"check_same_thread": False})
        reader = create_engine(url, connect_args={"check_same_thread": False})
        for engine, begin in ((writer, "BEGIN IMMEDIATE"), (reader, "BEGIN")):
            _sqlite_events(engine, begin)
        return writer, reader
    engine = create_engine(
        url,
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=True,
        connect_args={"options": "-c timezone=UTC"},
    )
    return engine, engine


def _sqlite_events(engine: Engine, begin: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(conn: sqlite3.Connection, _record) -> None:
        conn.isolation_level = None
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql(begin)


def create_schema(engine: Engine) -> None:
    """Create what is missing and stamp the versions; safe to run on every start."""
    synced = [SQLModel.metadata.tables[name] for name in SYNCED]
    with engine.begin() as conn:
        if is_postgres(engine):
            # Several server processes may start at once: one creates, the others wait.
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(424242)")
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gist")
        SQLModel.metadata.create_all(conn, tables=synced)
        server_meta.create_all(conn)
        if is_postgres(engine):
            conn.exec_driver_sql(_PG_SLOT_LOCK)
        else:
            # The synced tables match a store of this version: `coordtui export` reads it.
            conn.exec_driver_sql(f"PRAGMA user_version={SCHEMA_VERSION}")
        if conn.execute(text("SELECT count(*) FROM srv_head")).scalar_one() == 0:
            conn.execute(srv_head.insert().values(id=1, seq=0))
        stamp = {
            "epoch": str(uuid.uuid4()),
            "server_schema": str(SERVER_SCHEMA),
            "schema_version": str(SCHEMA_VERSION),
        }
        existing = {r[0] for r in conn.execute(text("SELECT key FROM srv_meta"))}
        for key, value in stamp.items():
            if key not in existing:
                conn.execute(srv_meta.insert().values(key=key, value=value))


def meta(conn, key: str) -> str | None:
    return conn.execute(text("SELECT value FROM srv_meta WHERE key = :k"), {"k": key}).scalar()


def utcnow() -> datetime:
    """Now as the server's DateTime columns hold instants: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)
