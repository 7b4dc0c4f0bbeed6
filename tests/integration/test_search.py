"""Patient search on real SQLite files: every query form, ranking, paging, upkeep, migration."""

from __future__ import annotations

import random
import sqlite3
import unicodedata
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given as for_all
from hypothesis import settings
from hypothesis import strategies as st
from sqlalchemy import create_engine
from sqlmodel import SQLModel

from coordtui.demo.clinic import generate_demo
from coordtui.domain.text import fold
from coordtui.service import Service
from coordtui.store import models  # noqa: F401  (registers the tables)
from coordtui.store import search as search_module
from coordtui.store.db import open_store
from coordtui.store.files import SCHEMA_VERSION, schema_version
from coordtui.store.reads import Reads
from coordtui.store.search import (
    index_patient,
    naive_search,
    rebuild_index,
    remove_patient,
    search,
)

TODAY = date.today()


def connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def find(path: Path, query: str, order: str = "DMY", **kw):
    with closing(connect(path)) as conn:
        return search(conn, query, TODAY, order, **kw)


def add(builder, given: str, family: str, **fields) -> str:
    """A patient written like any row, then indexed as a mutation would."""
    pid = builder.patient(given, family, **fields)
    with closing(connect(builder.path)) as conn:
        index_patient(conn, pid)
    return pid


def integrity(path: Path) -> None:
    with closing(connect(path)) as conn:
        conn.execute("INSERT INTO patient_fts (patient_fts) VALUES ('integrity-check')")


@pytest.fixture
def clinic(builder):
    """A small directory with hard names and near-misses around each target."""
    b = builder
    ids = {
        "john": add(b, "John", "Smith", dob=date(1980, 3, 14), phone="+16172531000",
                    record_number="MRN0012345"),
        "jon": add(b, "Jon", "Smith", dob=date(1980, 3, 15), phone="+16172539999",
                   record_number="MRN0012399"),
        "johnny": add(b, "Johnny", "Smithers", dob=date(1991, 7, 1), phone="+16175550101",
                      record_number="MRN0050000"),
        "bouchard": add(b, "John", "Bouchard-Smith", dob=date(1970, 1, 1),
                        phone="+16175550102", record_number="MRN0050001"),
        "jose": add(b, "José", "García Márquez", dob=date(1962, 10, 30), phone="+15085550103",
                    record_number="MRN0050002"),
        "maria": add(b, "María", "García", dob=date(1990, 5, 9), phone="+15085550104",
                     record_number="MRN0050003", preferred_name="Mari"),
        "zoe": add(b, "Zoë", "O'Brien", dob=date(2001, 2, 17), phone="+15085550105",
                   record_number="MRN0050004"),
        "wang": add(b, "伟", "王", dob=date(1971, 1, 8), phone="+15085550106",
                    record_number="MRN0050005"),
        "dmitry": add(b, "Дмитрий", "Иванов", dob=date(1966, 11, 11), phone="+15085550107",
                      record_number="MRN0050006"),
        "mohammed": add(b, "Mohammed", "Haddad", dob=date(1988, 7, 4), phone="+15085550108",
                        record_number="MRN0050007"),
        "anne": add(b, "Anne-Marie", "Smith-Jones", dob=date(1983, 12, 24),
                    phone="+15085550109", record_number="MRN0050008"),
        "lucia": add(b, "Lucía", "de la Cruz", dob=date(1995, 6, 12), phone="+15085550110",
                     record_number="AB-7788"),
    }  # fmt: skip
    return ids


@pytest.mark.parametrize(
    ("query", "target", "order"),
    [
        ("john smith", "john", "DMY"),
        ("smith john", "john", "DMY"),
        ("smith, john", "john", "DMY"),
        ("SMITH,JOHN", "john", "DMY"),
        ("smi jo", "john", "DMY"),
        ("jo smi", "john", "DMY"),
        ("1980-03-14", "john", "DMY"),
        ("14/03/1980", "john", "DMY"),
        ("14.3.80", "john", "DMY"),
        ("03/14/1980", "john", "MDY"),
        ("3.14.80", "john", "MDY"),
        ("smith 14/03/1980", "john", "DMY"),
        ("(617) 253-1000", "john", "DMY"),
        ("617-253-1000", "john", "DMY"),
        ("617 253 1000", "john", "DMY"),
        ("+1 617 253 1000", "john", "DMY"),
        ("6172531000", "john", "DMY"),
        ("1000", "john", "DMY"),
        ("smith 1000", "john", "DMY"),
        ("MRN0012345", "john", "DMY"),
        ("mrn0012345", "john", "DMY"),
        ("mrn00123", "john", "DMY"),  # prefix: 12345 before 12399
        ("0012345", "john", "DMY"),
        ("S1000", "john", "DMY"),  # family initial + last 4 of the phone
        ("s2345", "john", "DMY"),  # ... or of the record number
        ("S9999", "jon", "DMY"),
        ("jon smith", "jon", "DMY"),
        ("jose", "jose", "DMY"),
        ("JOSE GARCIA", "jose", "DMY"),
        ("garcia marquez jose", "jose", "DMY"),
        ("García Márquez", "jose", "DMY"),
        ("maria garcia", "maria", "DMY"),
        ("mari garcia", "maria", "DMY"),  # preferred name
        ("zoe obrien", "zoe", "DMY"),
        ("zoe o'brien", "zoe", "DMY"),
        ("zoe o’brien", "zoe", "DMY"),
        ("zoe o brien", "zoe", "DMY"),
        ("o'bri", "zoe", "DMY"),
        ("王伟", "wang", "DMY"),
        ("王 伟", "wang", "DMY"),
        ("дмитрий", "dmitry", "DMY"),
        ("Иванов Дмитрий", "dmitry", "DMY"),
        ("muhammad", "mohammed", "DMY"),  # sounds alike (metaphone MHMT)
        ("mohamed haddad", "mohammed", "DMY"),
        ("smoth john", "john", "DMY"),  # one typo
        ("jhon smith", "john", "DMY"),  # a transposition is one typo too
        ("haddaf", "mohammed", "DMY"),
        ("anne-marie smith-jones", "anne", "DMY"),
        ("annemarie", "anne", "DMY"),
        ("smithjones", "anne", "DMY"),
        ("de la cruz", "lucia", "DMY"),
        ("delacruz lucia", "lucia", "DMY"),
        ("AB-7788", "lucia", "DMY"),
        ("ab7788", "lucia", "DMY"),
        ("D7788", "lucia", "DMY"),
    ],
)
def test_each_query_form_finds_the_patient_first(db_path, clinic, query, target, order):
    hits = find(db_path, query, order)
    assert hits, query
    assert hits[0].patient_id == clinic[target], (
        query,
        [(h.family_name, h.given_name) for h in hits],
    )


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_nfc_and_nfd_find_each_other(builder, db_path, form):
    stored = unicodedata.normalize(form, "Zoë")
    pid = add(builder, stored, unicodedata.normalize(form, "Müller"))
    other = "NFD" if form == "NFC" else "NFC"
    for typed in (unicodedata.normalize(other, "Zoë Müller"), "zoe muller", "ZOË"):
        hits = find(db_path, typed)
        assert hits and hits[0].patient_id == pid, typed


def test_names_round_trip_exactly(db_path, clinic):
    for query, given, family in [
        ("王伟", "伟", "王"),
        ("дмитрий", "Дмитрий", "Иванов"),
        ("zoe obrien", "Zoë", "O'Brien"),
        ("jose garcia", "José", "García Márquez"),
        ("anne smith-jones", "Anne-Marie", "Smith-Jones"),
        ("lucia de la cruz", "Lucía", "de la Cruz"),
    ]:
        hit = find(db_path, query)[0]
        assert (hit.given_name, hit.family_name) == (given, family)


def test_hit_carries_the_fields_and_why_it_matched(db_path, clinic):
    hit = find(db_path, "smith 14/03/1980")[0]
    assert hit.patient_id == clinic["john"]
    assert hit.record_number == "MRN0012345"
    assert hit.dob == date(1980, 3, 14)
    assert hit.phone == "+16172531000"
    assert hit.matched == ("name", "dob")
    assert find(db_path, "1000")[0].matched == ("phone",)
    assert "initial_last4" in find(db_path, "S1000")[0].matched
    assert find(db_path, "mrn0012345")[0].matched == ("record",)
    assert find(db_path, "jhon smith")[0].matched == ("name", "typo")
    assert find(db_path, "muhammad")[0].matched == ("name", "sounds_like")


def test_ranking_exact_then_prefix_then_typo(db_path, clinic):
    names = [(h.family_name, h.given_name) for h in find(db_path, "john smith")]
    # The whole name first; then every word exact; then John within a longer
    # family name; the typo-only Jon comes last.
    assert names[0] == ("Smith", "John")
    assert names.index(("Bouchard-Smith", "John")) > 0
    assert names.index(("Smith", "Jon")) > names.index(("Bouchard-Smith", "John"))
    scores = [h.score for h in find(db_path, "john smith")]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == 1.0


def test_prefix_prefers_where_a_name_starts(db_path, clinic):
    names = [h.family_name for h in find(db_path, "smi")]
    assert names.index("Smith") < names.index("Bouchard-Smith")
    assert names.index("Smithers") < names.index("Bouchard-Smith")


def test_ties_break_by_family_given_id(builder, db_path):
    ids = [add(builder, given, "Nguyễn", dob=date(1950, 1, 1)) for given in ("Lan", "An", "An")]
    hits = find(db_path, "nguyen")
    assert [h.given_name for h in hits] == ["An", "An", "Lan"]
    assert [h.patient_id for h in hits[:2]] == sorted(ids[1:])


def test_paging_has_no_gaps_or_duplicates(builder, db_path):
    rng = random.Random(3)
    for i in range(130):
        given = rng.choice(["Ann", "Anna", "Annie", "Bo", "Annabel"])
        add(builder, given, rng.choice(["Lee", "Leeds", "Leon"]), record_number=f"R{i:04d}")
    everything = find(db_path, "le an", limit=500)
    pages = []
    for offset in range(0, 200, 25):
        pages += find(db_path, "le an", limit=25, offset=offset)
    assert [h.patient_id for h in pages] == [h.patient_id for h in everything]
    assert len({h.patient_id for h in pages}) == len(pages)
    assert find(db_path, "le an", limit=10, offset=10_000) == []


def test_merged_records_are_excluded(builder, db_path, clinic):
    with closing(connect(db_path)) as conn:
        conn.execute(
            "UPDATE patient SET merged_into = ? WHERE id = ?", (clinic["john"], clinic["jon"])
        )
        index_patient(conn, clinic["jon"])
    assert clinic["jon"] not in {h.patient_id for h in find(db_path, "smith")}
    assert find(db_path, "S9999") == []
    with closing(connect(db_path)) as conn:
        rebuild_index(conn)
    assert clinic["jon"] not in {h.patient_id for h in find(db_path, "smith")}
    integrity(db_path)


@pytest.mark.parametrize(
    "query",
    [
        "'; DROP TABLE patient; --",
        "' OR '1'='1",
        "%",
        "_",
        "%_%",
        '"',
        '""',
        "--",
        ";",
        "*",
        "smi*",
        '"smith"',
        "(",
        ")",
        "NEAR(smith john)",
        "smith AND john",
        "smith OR john",
        "NOT smith",
        "^smith",
        "lead:smith",
        "rest : 9p*",
        "{lead}: smith",
        "[bold]smith[/bold]",
        "\x1b[2J",
        "\x1b]0;title\x07",
        "\u202esmith",
        "\x00",
        "9f",
        "9d19800314",
        "😀",
        "a" * 5000,
        " ".join(["smith"] * 500),
    ],
)
def test_hostile_queries_are_just_text(db_path, clinic, query):
    hits = find(db_path, query)
    assert isinstance(hits, list)
    with closing(connect(db_path)) as conn:
        assert conn.execute("SELECT count(*) FROM patient").fetchone()[0] == len(clinic)
    integrity(db_path)


def test_fts_syntax_in_a_query_finds_the_plain_words(db_path, clinic):
    assert find(db_path, '"smith" "john"')[0].patient_id == clinic["john"]
    assert find(db_path, "smith* (john)")[0].patient_id == clinic["john"]
    assert find(db_path, "smith AND john") == []  # "and" is just another word


def test_reindex_after_an_update_moves_the_patient(db_path, clinic):
    with closing(connect(db_path)) as conn:
        conn.execute(
            "UPDATE patient SET family_name = 'Aaronson', phone = '+16179998888', "
            "record_number = 'MRN7777777' WHERE id = ?",
            (clinic["john"],),
        )
        index_patient(conn, clinic["john"])
        index_patient(conn, clinic["john"])  # idempotent
    assert clinic["john"] not in {h.patient_id for h in find(db_path, "1000")}
    assert find(db_path, "aaronson john")[0].patient_id == clinic["john"]
    assert find(db_path, "8888")[0].patient_id == clinic["john"]
    assert find(db_path, "A8888")[0].patient_id == clinic["john"]
    assert find(db_path, "mrn7777777")[0].patient_id == clinic["john"]
    assert find(db_path, "john")[0].family_name == "Aaronson"  # its new place in the order
    assert find(db_path, "smith")[0].given_name == "Jon"
    integrity(db_path)


def test_remove_and_reindex_a_missing_patient(db_path, clinic):
    with closing(connect(db_path)) as conn:
        remove_patient(conn, clinic["zoe"])
        remove_patient(conn, clinic["zoe"])
        index_patient(conn, "no-such-patient")
    assert find(db_path, "zoe obrien") == []
    integrity(db_path)


def test_incremental_upkeep_keeps_the_order(builder, db_path, monkeypatch):
    """Random registrations and renames into a tiny rank space: relabels and renumbers."""
    monkeypatch.setattr(search_module, "GAP", 8)
    monkeypatch.setattr(search_module, "MAX_WINDOW", 16)
    rng = random.Random(11)
    families = ["Smith", "Lee", "Ng", "García", "O'Neil", "Zhou", "Abe", "Smithson"]
    ids = []
    for _ in range(120):
        ids.append(add(builder, rng.choice(["Ann", "Bo", "Cy", "Di"]), rng.choice(families)))
        if rng.random() < 0.3:
            pid = rng.choice(ids)
            with closing(connect(db_path)) as conn:
                conn.execute(
                    "UPDATE patient SET family_name = ? WHERE id = ?", (rng.choice(families), pid)
                )
                index_patient(conn, pid)
    with closing(connect(db_path)) as conn:
        ranked = conn.execute(
            "SELECT p.family_name, p.given_name, p.id FROM patient_search s "
            "JOIN patient p ON p.id = s.patient_id ORDER BY s.rank"
        ).fetchall()
        keys = [(fold(f), fold(g), i) for f, g, i in ranked]
        assert keys == sorted(keys)
        assert len(ranked) == 120
        incremental = [h.patient_id for h in search(conn, "s", TODAY, limit=500)]
        rebuild_index(conn)
        assert [h.patient_id for h in search(conn, "s", TODAY, limit=500)] == incremental
    integrity(db_path)


def test_next_appointment_skips_past_and_cancelled(builder, db_path, clinic):
    dr = builder.provider()
    now = datetime.now(UTC)
    builder.appointment(clinic["maria"], dr, start=now - timedelta(days=1))
    builder.appointment(clinic["maria"], dr, start=now + timedelta(days=1), status="cancelled")
    builder.appointment(
        clinic["maria"], dr, start=now + timedelta(days=2), status="entered_in_error"
    )
    wanted = (now + timedelta(days=3)).replace(microsecond=0)
    builder.appointment(clinic["maria"], dr, start=wanted)
    builder.appointment(clinic["maria"], dr, start=now + timedelta(days=9))
    hit = find(db_path, "maria garcia", now=now)[0]
    assert hit.next_appointment == wanted
    assert hit.next_appointment.tzinfo is not None
    assert find(db_path, "jose garcia")[0].next_appointment is None


def test_next_appointment_is_not_a_visit_already_over_today(builder, db_path, clinic):
    """Found trying the app: a visit done at 09:30 was shown as the next one at 11:40."""
    dr = builder.provider()
    now = datetime(2026, 11, 27, 16, 40, tzinfo=UTC)
    builder.appointment(clinic["maria"], dr, start=now - timedelta(hours=2), status="done")
    builder.appointment(clinic["maria"], dr, start=now - timedelta(hours=1), status="no_show")
    assert find(db_path, "maria garcia", now=now)[0].next_appointment is None
    under_way = now - timedelta(minutes=5)
    builder.appointment(clinic["maria"], dr, start=under_way, status="arrived")
    assert find(db_path, "maria garcia", now=now)[0].next_appointment == under_way
    # The service asks as of its own clock, not the machine's (the demo runs at mid-day).
    svc = Service(db_path, actor="desk", clock=lambda: now)
    try:
        assert svc.search_patients("maria garcia")[0].next_appointment == under_way
    finally:
        svc.close()


def test_registered_and_updated_through_mutations(db_path, builder):
    svc = Service(db_path, actor="desk")
    try:
        pid = svc.register_patient(
            {"given_name": "Siobhán", "family_name": "Ní Bhraonáin", "dob": "1984-02-29",
             "phone": "617 253 4242"}
        )["patient_id"]  # fmt: skip
        assert svc.search_patients("siobhan ni")[0].patient_id == pid
        assert svc.search_patients("29/02/1984")[0].patient_id == pid
        svc.update_patient(pid, 1, {"family_name": "Breen"})
        assert svc.search_patients("siobhan breen")[0].patient_id == pid
        assert svc.search_patients("ni bhraonain") == []
    finally:
        svc.close()
    integrity(db_path)


def test_reads_layer_searches_under_its_lock(db_path, clinic):
    reads = Reads(db_path)
    try:
        hits = reads.search_patients("smith john", TODAY, "DMY", 5, 0)
        assert hits[0].patient_id == clinic["john"] and len(hits) <= 5
    finally:
        reads.close()


def test_naive_baseline_finds_substrings(db_path, clinic):
    with closing(connect(db_path)) as conn:
        rows = naive_search(conn, "mit joh")
        assert {r[0] for r in rows} >= {clinic["john"], clinic["bouchard"]}
        assert naive_search(conn, "%") == []  # LIKE metacharacters are escaped
        assert naive_search(conn, "") == []


# ------------------------------------------------------------ demo and migration


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    generate_demo(path, now=datetime(2026, 3, 2, 15, 0))
    return path


def test_demo_store_is_indexed(demo):
    with closing(connect(demo)) as conn:
        patients = conn.execute("SELECT count(*) FROM patient").fetchone()[0]
        indexed = conn.execute("SELECT count(*) FROM patient_search").fetchone()[0]
        assert indexed == patients
        twins = search(conn, "王伟", TODAY)
        assert [(h.family_name, h.given_name) for h in twins[:2]] == [("王", "伟")] * 2
        smiths = search(conn, "john smith 14/03/1978", TODAY)
        assert [h.given_name for h in smiths] == ["John", "John", "Jon"]  # Jon: one typo off
        assert search(conn, "zoe o'brien", TODAY)[0].given_name == "Zoë"
    integrity(demo)


@pytest.mark.parametrize(
    "query", ["sm", "jo sm", "john smith", "maria garcia", "garcia 05/09/1990", "s", "jon smth",
              "nguyen van an", "a b c d", "mar gar", "1", "555", "l 1990",
              # across scripts (issue 10): romanised names, Arabic frames, prefixes
              "иванов", "ivanov", "шевч", "shev", "dmitry ivanov", "mohammed", "محمد",
              "al hassan", "παπαδ", "papadopoulos", "ali", "عمر"],
)  # fmt: skip
def test_small_result_shortcut_agrees_with_the_tier_queries(demo, monkeypatch, query):
    with closing(connect(demo)) as conn:
        monkeypatch.setattr(search_module, "SMALL_SET", 10**9)
        sorted_here = [(h.patient_id, h.score) for h in search(conn, query, TODAY, limit=300)]
        monkeypatch.setattr(search_module, "SMALL_SET", 0)
        lazy = [(h.patient_id, h.score) for h in search(conn, query, TODAY, limit=300)]
    assert sorted_here == lazy


QUERY_ISH = st.text(
    alphabet=list("smithjo garcíaéЖй王πςمحال 0123456789/.-+()'\"*^:,;%_\x1b["), max_size=40
)


@settings(max_examples=300, deadline=None)
@for_all(text=st.one_of(st.text(max_size=60), QUERY_ISH), offset=st.integers(-5, 80))
def test_search_never_raises_on_any_text(demo, text, offset):
    with closing(connect(demo)) as conn:
        hits = search(conn, text, TODAY, limit=20, offset=offset)
        assert len(hits) <= 20
        assert len({h.patient_id for h in hits}) == len(hits)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_a_version_1_store_migrates_and_is_searchable(tmp_path):
    path = tmp_path / "v1.db"
    engine = create_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    with closing(connect(path)) as conn:
        conn.execute("PRAGMA user_version=1")
        conn.execute(
            "INSERT INTO clinic (id, name, timezone, phone_region, created_at) "
            "VALUES ('c1', 'Old Clinic', 'UTC', 'US', '2020-01-01 00:00:00.000000')"
        )
        conn.execute(
            "INSERT INTO patient (id, clinic_id, record_number, given_name, family_name, "
            "preferred_name, dob, sex, phone, phone_alt, email, address, preferred_language, "
            "interpreter_needed, flags, payer, member_id, copay_cents, merged_into, version, "
            "created_at, updated_at, updated_by) VALUES ('p1', 'c1', 'OLD-1', 'Zoë', 'O''Brien', "
            "'', '2001-02-17', 'female', '+16172531000', '', '', '', 'en', 0, '', '', '', 0, "
            "NULL, 1, '2020-01-01 00:00:00.000000', '2020-01-01 00:00:00.000000', '')"
        )
        assert (
            conn.execute("SELECT name FROM sqlite_master WHERE name = 'patient_search'").fetchone()
            is None
        )
    open_store(path).dispose()
    assert schema_version(path) == SCHEMA_VERSION >= 2
    hits = find(path, "zoe obrien")
    assert [h.patient_id for h in hits] == ["p1"]
    assert find(path, "O1000")[0].patient_id == "p1"
    integrity(path)


# The search index's own tables as schema version 7 made them (before issue 10).
V7_SEARCH_SCHEMA = (
    "CREATE TABLE patient_search (rank INTEGER PRIMARY KEY, patient_id TEXT NOT NULL, "
    "lead TEXT NOT NULL, rest TEXT NOT NULL)",
    "CREATE UNIQUE INDEX ix_patient_search_patient ON patient_search (patient_id)",
    "CREATE VIRTUAL TABLE patient_fts USING fts5(lead, rest, content='patient_search', "
    "content_rowid='rank', tokenize='ascii', prefix='1 2 3', detail='column', columnsize=0)",
    "CREATE VIRTUAL TABLE patient_fts_terms USING fts5vocab(patient_fts, 'row')",
    "CREATE TABLE search_vocab (word TEXT PRIMARY KEY, sound TEXT NOT NULL) WITHOUT ROWID",
    "CREATE INDEX ix_search_vocab_sound ON search_vocab (sound)",
    "CREATE TABLE search_typo (variant TEXT NOT NULL, word TEXT NOT NULL, "
    "PRIMARY KEY (variant, word)) WITHOUT ROWID",
)


def test_a_version_7_store_migrates_to_the_new_lookup_index(builder, db_path):
    """Existing stores get merged-record pointers and romanised names from the migration."""
    survivor = builder.patient("Тарас", "Шевченко", record_number="MRN0001")
    absorbed = builder.patient("Taras", "Shevchenko", record_number="MRN0002",
                               merged_into=survivor)  # fmt: skip
    builder.engine.dispose()
    with closing(connect(db_path)) as conn:
        search_module.drop_schema(conn)
        conn.execute("DROP INDEX ix_patient_merged_into")
        for statement in V7_SEARCH_SCHEMA:
            conn.execute(statement)
        conn.execute(  # what version 7 indexed for the survivor: its name as written
            "INSERT INTO patient_search VALUES (1024, ?, 'шевченко тарас', '9n2 9rmrn0001')",
            (survivor,),
        )
        conn.execute("INSERT INTO patient_fts (patient_fts) VALUES ('rebuild')")
        conn.execute("PRAGMA user_version=7")
    open_store(db_path).dispose()
    assert schema_version(db_path) == SCHEMA_VERSION >= 8
    hits = find(db_path, "MRN0002")
    assert [h.patient_id for h in hits] == [survivor] and hits[0].merged_record == "MRN0002"
    assert [h.patient_id for h in find(db_path, "shevchenko taras")] == [survivor]
    assert absorbed not in {h.patient_id for h in find(db_path, "taras")}
    with closing(connect(db_path)) as conn:
        columns = {r[1] for r in conn.execute("PRAGMA table_info(search_vocab)")}
        assert {"skel", "abjad"} <= columns
        assert conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'ix_patient_merged_into'"
        ).fetchone()
    integrity(db_path)
