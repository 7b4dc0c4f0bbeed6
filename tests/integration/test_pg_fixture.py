"""The PostgreSQL fixtures (tests/pg.py) give real, isolated databases with btree_gist."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import make_url

_made: list[str] = []  # databases made by the tests above the last one


def _extensions(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text("SELECT extname FROM pg_extension")).scalars())
    finally:
        engine.dispose()


def test_pg_url_has_btree_gist(pg_url):
    assert make_url(pg_url).drivername == "postgresql+psycopg"
    assert "btree_gist" in _extensions(pg_url)


def test_pg_database_has_btree_gist_and_an_exclusion_constraint_works(pg_database):
    assert "btree_gist" in _extensions(pg_database)
    engine = sa.create_engine(pg_database)
    try:
        with engine.begin() as conn:
            # The reason the extension is there: no two bookings of one provider may overlap.
            conn.execute(
                sa.text(
                    "CREATE TABLE slot (provider text, during tstzrange,"
                    " EXCLUDE USING gist (provider WITH =, during WITH &&))"
                )
            )
            conn.execute(
                sa.text("INSERT INTO slot VALUES ('p1', '[2030-01-01 09:00Z, 2030-01-01 09:30Z)')")
            )
        with engine.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO slot VALUES ('p2', '[2030-01-01 09:00Z, 2030-01-01 09:30Z)')")
            )
        try:
            with engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "INSERT INTO slot VALUES ('p1', '[2030-01-01 09:15Z, 2030-01-01 09:45Z)')"
                    )
                )
        except sa.exc.IntegrityError as exc:
            assert "exclusion constraint" in str(exc)
        else:
            raise AssertionError("overlapping booking was accepted")
    finally:
        engine.dispose()


def test_databases_are_isolated(make_pg_database, pg_url):
    first, second = make_pg_database(), make_pg_database()
    _made.extend(make_url(u).database for u in (first, second))
    assert make_url(first).database != make_url(second).database
    assert make_url(first).database != make_url(pg_url).database
    assert "btree_gist" in _extensions(second)

    e1, e2 = sa.create_engine(first), sa.create_engine(second)
    try:
        with e1.begin() as conn:
            conn.execute(sa.text("CREATE TABLE only_here (x int)"))
            conn.execute(sa.text("INSERT INTO only_here VALUES (1)"))
        with e2.connect() as conn:
            assert not sa.inspect(conn).has_table("only_here")
        with e1.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM only_here")).scalar() == 1
    finally:
        e1.dispose()
        e2.dispose()


def test_databases_are_dropped_after_the_test(pg_url):
    # Runs after the test above (file order): its databases are gone.
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            names = conn.execute(sa.text("SELECT datname FROM pg_database")).scalars().all()
    finally:
        engine.dispose()
    assert _made
    assert not set(_made) & set(names)
