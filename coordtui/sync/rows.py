"""Which tables sync, and rows as JSON on the wire and back.

The server and every workstation hold the same SQLModel tables; a row
travels as ``{column: value}`` with instants and days as ISO text (naive
UTC, the store's convention).  Decoding goes back through the column types
so SQLAlchemy writes each value in the form the plain-sqlite3 readers expect.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Date, DateTime, Table, delete, select
from sqlmodel import SQLModel

from coordtui.store import models  # noqa: F401  (registers the tables)

# Parents before children, so a page applied in this order satisfies foreign keys.
SYNCED: tuple[str, ...] = (
    "clinic",
    "provider",
    "provider_booking",
    "appointment_type",
    "schedule_exception",
    "patient",
    "patient_event",
    "appointment",
    "appointment_booking",
    "status_event",
    "hand_off",
    "waitlist_entry",
    "call_note",
    "callback",
    "recall",
)
ORDER = {name: i for i, name in enumerate(SYNCED)}


def table(name: str) -> Table:
    if name not in ORDER:
        raise KeyError(f"table {name!r} does not sync")
    return SQLModel.metadata.tables[name]


def key_column(tbl: Table):
    (col,) = tbl.primary_key.columns
    return col


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def encode(row: Mapping[str, Any]) -> dict[str, Any]:
    """A database row as JSON-ready values."""
    return {k: _encode_value(v) for k, v in row.items()}


def decode(tbl: Table, data: Mapping[str, Any]) -> dict[str, Any]:
    """JSON values back to Python, by column type; unknown columns are dropped.

    Dropping unknown columns lets a workstation one schema behind take rows
    from a newer server (the server accepts N and N-1).
    """
    out: dict[str, Any] = {}
    for col in tbl.columns:
        if col.name not in data:
            continue
        value = data[col.name]
        if value is not None and isinstance(value, str):
            kind = _python_type(col)
            if kind is datetime:
                value = datetime.fromisoformat(value)
                if value.tzinfo is None:
                    value = value.replace(tzinfo=UTC)
            elif kind is date:
                value = date.fromisoformat(value)
        out[col.name] = value
    return out


def _python_type(col) -> type | None:
    kind = col.type
    kind = getattr(kind, "impl_instance", None) or kind  # see through TypeDecorators
    if isinstance(kind, DateTime):
        return datetime
    if isinstance(kind, Date):
        return date
    return None


def read_rows(conn: Connection, name: str, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Current rows by key (missing keys are absent), encoded for the wire."""
    tbl = table(name)
    col = key_column(tbl)
    found: dict[str, dict[str, Any]] = {}
    keys = list(keys)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for row in conn.execute(select(tbl).where(col.in_(chunk))).mappings():
            found[str(row[col.name])] = encode(row)
    return found


def upsert(conn: Connection, name: str, rows: list[Mapping[str, Any]]) -> None:
    """Insert or overwrite whole rows (decoded from the wire) on this connection."""
    if not rows:
        return
    tbl = table(name)
    col = key_column(tbl)
    values = [decode(tbl, r) for r in rows]
    dialect = conn.dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for v in values:
        by_shape.setdefault(tuple(v), []).append(v)
    for shape, batch in by_shape.items():
        stmt = insert(tbl)
        updates = {c: stmt.excluded[c] for c in shape if c != col.name}
        stmt = (
            stmt.on_conflict_do_update(index_elements=[col.name], set_=updates)
            if updates
            else stmt.on_conflict_do_nothing(index_elements=[col.name])
        )
        conn.execute(stmt, batch)


def remove(conn: Connection, name: str, keys: list[str]) -> None:
    if not keys:
        return
    tbl = table(name)
    col = key_column(tbl)
    for start in range(0, len(keys), 500):
        conn.execute(delete(tbl).where(col.in_(keys[start : start + 500])))


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
