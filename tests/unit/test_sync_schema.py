"""The wire's schema number follows the synced tables, and only them."""

from __future__ import annotations

import hashlib

from sqlmodel import SQLModel

import coordtui.store.models  # noqa: F401  (registers the tables)
from coordtui.replication.protocol import SYNC_SCHEMA
from coordtui.replication.rows import SYNCED

# SYNC_SCHEMA -> fingerprint of the synced tables' columns.  A change to a synced
# table changes the fingerprint: bump SYNC_SCHEMA and record the new one here.
KNOWN = {6: "235d4a25f37e", 7: "7c7957430b40"}  # 7: coverage_check, copay_payment


def _fingerprint() -> str:
    parts = []
    for name in SYNCED:
        table = SQLModel.metadata.tables[name]
        for column in table.columns:
            parts.append(f"{name}.{column.name}:{column.type}:{column.nullable}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


def test_the_synced_tables_match_the_sync_schema_number():
    assert KNOWN.get(SYNC_SCHEMA) == _fingerprint(), (
        "The synced tables changed: bump SYNC_SCHEMA in coordtui/replication/protocol.py "
        f"and add {{{SYNC_SCHEMA + 1}: {_fingerprint()!r}}} to KNOWN."
    )


def test_a_workstation_only_table_is_not_part_of_it():
    assert not {"outbox", "sync_undo", "sync_conflict", "meta"} & set(SYNCED)
