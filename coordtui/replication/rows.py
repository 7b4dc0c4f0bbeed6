"""Which tables sync, and rows as JSON on the wire and back.

The server and every workstation hold the same SQLModel tables; a row
travels as ``{column: value}`` with instants and days as ISO text (naive
UTC, the store's convention).  Decoding goes back through the column types
so SQLAlchemy writes each value in the form the plain-sqlite3 readers expect.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Boolean, Connection, Date, DateTime, Table, bindparam, delete, text
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
    "coverage_check",
    "copay_payment",
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


def _wire_datetime(value: Any) -> str:
    if isinstance(value, str):
        if len(value) == 26 and value[10] == " " and value[19] == "." and value[20:].isdigit():
            # SQLAlchemy's SQLite text, naive UTC: what isoformat() of it gives, sans parsing
            rest = value[11:19] if value.endswith("000000") else value[11:]
            return f"{value[:10]}T{rest}"
        value = datetime.fromisoformat(value)  # what SQLAlchemy's SQLite DATETIME does
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat()


def _wire_date(value: Any) -> str:
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return value.isoformat()


def _stored_datetime(value: Any) -> str:
    """Wire (or Python) instant to SQLAlchemy's SQLite DATETIME text, naive UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")


def _stored_date(value: Any) -> str:
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def _stored_bool(value: Any) -> int:
    if value not in (True, False):  # as SQLAlchemy's Boolean: 0/1/True/False only
        raise TypeError(f"Not a boolean value: {value!r}")
    return int(value)


class _Codec:
    """Per-table converters that skip SQLAlchemy's per-value type machinery.

    Reads go through ``text()`` (raw driver values: text on SQLite, native
    types on PostgreSQL) and are converted straight to wire values; SQLite
    writes are converted straight to the text SQLAlchemy would have stored.
    Same results as ``encode(select(...))`` and ``insert(...)`` with ``decode``.
    """

    def __init__(self, tbl: Table):
        self.table = tbl
        self.names = tuple(c.name for c in tbl.columns)
        self.key = key_column(tbl).name
        self.key_index = self.names.index(self.key)
        wire, stored = [], []
        for col in tbl.columns:
            kind = col.type
            kind = getattr(kind, "impl_instance", None) or kind
            if isinstance(kind, DateTime):
                wire.append(_wire_datetime)
                stored.append(_stored_datetime)
            elif isinstance(kind, Date):
                wire.append(_wire_date)
                stored.append(_stored_date)
            elif isinstance(kind, Boolean):
                wire.append(bool)
                stored.append(_stored_bool)
            else:
                wire.append(None)
                stored.append(None)
        self.wire = tuple(wire)
        only = self.names[0]
        self.getter = itemgetter(*self.names) if len(self.names) > 1 else lambda r: (r[only],)
        self.converted = tuple(
            (i, n, f) for i, (n, f) in enumerate(zip(self.names, wire, strict=True)) if f
        )
        self.stored = dict(zip(self.names, stored, strict=True))
        columns = ", ".join(f'"{n}"' for n in self.names)
        self.select_keys = text(
            f'SELECT {columns} FROM "{tbl.name}" WHERE "{self.key}" IN :keys'
        ).bindparams(bindparam("keys", expanding=True))
        self.select_all = f'SELECT {columns} FROM "{tbl.name}"'
        self._upserts: dict[tuple[str, ...], str] = {}

    def to_wire(self, row: tuple) -> dict[str, Any]:
        out = dict(zip(self.names, row, strict=True))
        for i, n, f in self.converted:
            v = row[i]
            if v is not None:
                out[n] = f(v)
        return out

    def select_sqlite(self, count: int) -> str:
        return f'{self.select_all} WHERE "{self.key}" IN ({", ".join("?" * count)})'

    def upsert_sql(self, shape: tuple[str, ...]) -> str:
        sql = self._upserts.get(shape)
        if sql is None:
            cols = ", ".join(f'"{c}"' for c in shape)
            marks = ", ".join("?" * len(shape))
            sets = ", ".join(f'"{c}" = excluded."{c}"' for c in shape if c != self.key)
            action = f"DO UPDATE SET {sets}" if sets else "DO NOTHING"
            sql = (
                f'INSERT INTO "{self.table.name}" ({cols}) VALUES ({marks}) '
                f'ON CONFLICT ("{self.key}") {action}'
            )
            self._upserts[shape] = sql
        return sql


_CODECS: dict[str, _Codec] = {}


def _codec(name: str) -> _Codec:
    codec = _CODECS.get(name)
    if codec is None:
        codec = _CODECS[name] = _Codec(table(name))
    return codec


def read_rows(conn: Connection, name: str, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Current rows by key (missing keys are absent), encoded for the wire."""
    codec = _codec(name)
    found: dict[str, dict[str, Any]] = {}
    keys = list(keys)
    at, to_wire = codec.key_index, codec.to_wire
    sqlite = conn.dialect.name == "sqlite"
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        if sqlite:  # the same connection and transaction, without SQLAlchemy's per-call work
            raw = conn.connection.driver_connection
            found_rows = raw.execute(codec.select_sqlite(len(chunk)), chunk).fetchall()
        else:
            found_rows = conn.execute(codec.select_keys, {"keys": chunk}).all()
        for row in found_rows:
            found[str(row[at])] = to_wire(row)
    return found


def read_all(conn: Connection, name: str, batch: int = 5000) -> Iterator[list[dict[str, Any]]]:
    """Every row of a table, encoded for the wire, in batches."""
    codec = _codec(name)
    result = conn.exec_driver_sql(codec.select_all)
    while found := result.fetchmany(batch):
        yield [codec.to_wire(row) for row in found]


def upsert(conn: Connection, name: str, rows: list[Mapping[str, Any]]) -> None:
    """Insert or overwrite whole rows (decoded from the wire) on this connection."""
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        _upsert_sqlite(conn, _codec(name), rows)
        return
    tbl = table(name)
    col = key_column(tbl)
    values = [decode(tbl, r) for r in rows]
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


def _upsert_sqlite(conn: Connection, codec: _Codec, rows: list[Mapping[str, Any]]) -> None:
    """One executemany per row shape; values converted as SQLAlchemy would store them."""
    names, stored = codec.names, codec.stored
    by_shape: dict[tuple[str, ...], list] = {}
    plans: dict[tuple[str, ...], tuple] = {}
    for r in rows:
        if len(r) == len(names):
            try:
                shape, values = names, list(codec.getter(r))
            except KeyError:
                shape = None
        else:
            shape = None
        if shape is None:  # unknown columns dropped, missing ones left alone (like decode)
            shape = tuple(n for n in names if n in r)
            values = [r[n] for n in shape]
        plan = plans.get(shape)
        if plan is None:
            plan = plans[shape] = tuple(
                (i, stored[n]) for i, n in enumerate(shape) if stored[n] is not None
            )
        for i, f in plan:
            v = values[i]
            if v is not None:
                values[i] = f(v)
        by_shape.setdefault(shape, []).append(values)
    for shape, batch in by_shape.items():
        conn.connection.driver_connection.executemany(codec.upsert_sql(shape), batch)


def remove(conn: Connection, name: str, keys: list[str]) -> None:
    if not keys:
        return
    tbl = table(name)
    col = key_column(tbl)
    for start in range(0, len(keys), 500):
        conn.execute(delete(tbl).where(col.in_(keys[start : start + 500])))


def drop_indexes(conn: Connection, saved: str | None = None) -> str:
    """SQLite: drop the synced tables' plain (non-unique) indexes; returns their SQL as JSON.

    For a bootstrap: maintaining ~8 B-trees per row as pages arrive costs
    several times the inserts themselves; ``restore_indexes`` builds them
    again by one sort each at the end.  ``saved`` (a previous, unfinished
    bootstrap's list) is kept in the result, so no index is ever forgotten.
    """
    kept = json.loads(saved) if saved else []
    kept = kept if isinstance(kept, list) else []
    marks = ", ".join("?" * len(SYNCED))
    raw = conn.connection.driver_connection
    found = raw.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks}) AND upper(sql) NOT LIKE 'CREATE UNIQUE%' ORDER BY name",
        SYNCED,
    ).fetchall()
    for name, sql in found:
        raw.execute(f'DROP INDEX "{name}"')
        if sql not in kept:
            kept.append(sql)
    return json.dumps(kept)


def restore_indexes(conn: Connection, saved: str) -> None:
    """Create the indexes ``drop_indexes`` dropped (those still missing)."""
    raw = conn.connection.driver_connection
    found = json.loads(saved) if saved else []
    for sql in found if isinstance(found, list) else []:
        if sql.upper().startswith("CREATE INDEX ") and "IF NOT EXISTS" not in sql.upper():
            sql = "CREATE INDEX IF NOT EXISTS " + sql[len("CREATE INDEX ") :]
        raw.execute(sql)


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
