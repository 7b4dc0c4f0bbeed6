"""PostgreSQL fixtures for the server and sync tests.

``pg_url`` (session): the SQLAlchemy URL (``postgresql+psycopg://...``) of a
database that has ``btree_gist``.  It is, in this order:

1. ``$COORDTUI_TEST_PG_URL`` if set (``.ci/run`` sets it after starting a cluster);
2. a throwaway cluster started with ``.ci/postgres.sh start`` and stopped at the
   end of the session (as root the script runs PostgreSQL as a system user);
3. otherwise the test is skipped with the reason -- unless ``$CI`` is set, where
   a missing PostgreSQL fails the test instead.

The cluster is only started when a test asks for it, so runs that select no
PostgreSQL test pay nothing.

``pg_database`` (function): a fresh, empty database (``btree_gist`` enabled),
dropped after the test; yields its SQLAlchemy URL.  ``make_pg_database``
(function) is the factory behind it, for tests that need several isolated
databases (e.g. two clinic servers): each call returns a new URL, all dropped
after the test.  Databases are cloned from a per-session template that has the
extension, so each costs a few milliseconds.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import URL, make_url

PG_URL_ENV = "COORDTUI_TEST_PG_URL"
POSTGRES_SH = Path(__file__).resolve().parent.parent / ".ci" / "postgres.sh"
_UNAVAILABLE = 3  # postgres.sh's exit code for "PostgreSQL is not installed here"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _skip_or_fail(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


def psycopg_conninfo(url: str | URL, database: str | None = None) -> dict[str, Any]:
    """Keyword arguments for ``psycopg.connect`` from a SQLAlchemy URL."""
    u = make_url(url) if isinstance(url, str) else url
    params: dict[str, Any] = {
        "host": u.host,
        "port": u.port,
        "user": u.username,
        "password": u.password,
        "dbname": database or u.database,
    }
    params.update({k: v for k, v in u.query.items() if isinstance(v, str)})
    return {k: v for k, v in params.items() if v is not None}


def _admin_connect(url: str | URL) -> psycopg.Connection:
    """Autocommit connection to the maintenance database ``postgres``."""
    return psycopg.connect(**psycopg_conninfo(url, database="postgres"), autocommit=True)


def _start_cluster() -> tuple[str, Path]:
    base = Path(tempfile.mkdtemp(prefix="coordtui-pg-", dir="/tmp" if os.name == "posix" else None))
    try:
        proc = subprocess.run(
            ["bash", str(POSTGRES_SH), "start", str(base)],
            capture_output=True,
            text=True,
            timeout=180,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        _stop_cluster(base)
        pytest.fail(f"could not run {POSTGRES_SH}: {exc}", pytrace=False)
    if proc.returncode != 0:
        _stop_cluster(base)
        detail = proc.stderr.strip().splitlines()
        message = detail[-1] if detail else f"exit code {proc.returncode}"
        message = message.removeprefix("postgres.sh: ").removeprefix("error: ")
        if proc.returncode == _UNAVAILABLE:
            _skip_or_fail(f"PostgreSQL not available: {message}; or set {PG_URL_ENV}")
        pytest.fail(
            f"{POSTGRES_SH.name} start failed (exit {proc.returncode}):\n{proc.stderr}",
            pytrace=False,
        )
    return proc.stdout.strip().splitlines()[-1], base


def _stop_cluster(base: Path) -> None:
    subprocess.run(
        ["bash", str(POSTGRES_SH), "stop", str(base)],
        capture_output=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """SQLAlchemy URL of a PostgreSQL database with btree_gist (see module docstring)."""
    url = os.environ.get(PG_URL_ENV, "").strip()
    if url:
        yield url
        return
    if os.name != "posix":
        _skip_or_fail(f"PostgreSQL tests need {PG_URL_ENV} on this OS")
    url, base = _start_cluster()
    try:
        yield url
    finally:
        _stop_cluster(base)


@pytest.fixture(scope="session")
def pg_template(pg_url: str) -> Iterator[str]:
    """A per-session template database with btree_gist, dropped at the end."""
    name = f"coordtui_tpl_{uuid.uuid4().hex[:10]}"
    try:
        with _admin_connect(pg_url) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as exc:
        _skip_or_fail(f"PostgreSQL at {make_url(pg_url).render_as_string()} unreachable: {exc}")
    with psycopg.connect(**psycopg_conninfo(pg_url, database=name), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    yield name
    with _admin_connect(pg_url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture
def make_pg_database(pg_url: str, pg_template: str) -> Iterator[Callable[[], str]]:
    """Factory: each call creates a fresh database and returns its SQLAlchemy URL."""
    created: list[str] = []

    def make() -> str:
        name = f"coordtui_t_{uuid.uuid4().hex[:12]}"
        with _admin_connect(pg_url) as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(pg_template)
                )
            )
        created.append(name)
        return make_url(pg_url).set(database=name).render_as_string(hide_password=False)

    yield make
    if created:
        with _admin_connect(pg_url) as conn:
            for name in created:
                # FORCE: engines a test forgot to dispose must not keep the database alive.
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


@pytest.fixture
def pg_database(make_pg_database: Callable[[], str]) -> str:
    """SQLAlchemy URL of a fresh database (btree_gist enabled), dropped after the test."""
    return make_pg_database()
