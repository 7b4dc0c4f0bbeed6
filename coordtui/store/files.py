"""Owner-only database files and the schema-version check, without SQLAlchemy.

Kept free of heavy imports: the app calls it before first paint.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

SCHEMA_VERSION = 10


class NewerDatabaseError(RuntimeError):
    """The file was written by a newer coordtui; refusing avoids corrupting it."""


def ensure_private_file(path: Path) -> None:
    """Create the database file (and its folder) readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        # Never open/close a live store ourselves: closing any descriptor drops the
        # process's POSIX locks on the file, and SQLite's WAL relies on them.
        with contextlib.suppress(FileExistsError):  # another process was first
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600))
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = Path(f"{path}{suffix}")
        if candidate.exists():
            os.chmod(candidate, 0o600)


def apply_pragmas(conn: sqlite3.Connection) -> None:
    """SQLite settings every connection to a coordtui store uses."""
    # Writes wait for the lock rather than fail: the longest holder is the last page of a
    # first sync (bootstrap), which rebuilds the indexes in one go (~7 s at 200k patients).
    # Reads never wait in WAL mode, and writes run off the UI thread.
    conn.execute("PRAGMA busy_timeout=20000")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")


def schema_version(path: Path) -> int:
    """The store's schema version (0 for a new, empty file)."""
    if not path.exists():
        return 0
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def check_version(path: Path) -> int:
    """Return the version, raising NewerDatabaseError for a file from the future."""
    version = schema_version(path)
    if version > SCHEMA_VERSION:
        raise NewerDatabaseError(
            f"{path} uses schema version {version}, but this coordtui knows only up to "
            f"{SCHEMA_VERSION}. Update coordtui, or open another database with --db."
        )
    return version
