"""`coordtui search`: JSON a script can rely on, a table a terminal can trust, exit codes."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sqlite3
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from coordtui.store.reads import Reads

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("coordtui.store.search") is None
    or not hasattr(Reads, "search_patients"),
    reason="the search index (coordtui.store.search, Reads.search_patients) has not landed",
)

KEYS = [
    "patient_id",
    "record_number",
    "given_name",
    "family_name",
    "preferred_name",
    "dob",
    "phone",
    "next_appointment",
    "score",
    "matched",
]
HOSTILE = "Eve\x1b[2J\x1b[31m\u202eevil\x07\x9b\r\nX\x00"
# Anything a terminal would act on: C0 except newline, DEL, C1, bidi controls.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coordtui", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )


@pytest.fixture
def store(builder, db_path):
    provider = builder.provider()
    ids = {
        "jose": builder.patient(
            "José",
            "García",
            preferred_name="Pepe",
            dob=date(1980, 3, 14),
            phone="+16175550101",
            record_number="MRN0001",
        ),
        "maria": builder.patient("María", "García", dob=date(1991, 6, 30), record_number="MRN0002"),
        "hostile": builder.patient(HOSTILE, "Mallory", record_number="MRN0003"),
    }
    builder.appointment(ids["jose"], provider, start=builder.now + timedelta(days=2))
    from coordtui.store.search import rebuild_index

    conn = sqlite3.connect(db_path)
    rebuild_index(conn)  # the builder writes rows directly, not through mutations
    conn.commit()
    conn.close()
    return ids


def test_json_is_stable_and_exactly_shaped(store, db_path):
    first = run("search", "garcia", "--json", "--db", str(db_path))
    assert first.returncode == 0, first.stderr
    hits = json.loads(first.stdout)
    assert {h["patient_id"] for h in hits} == {store["jose"], store["maria"]}
    for hit in hits:
        assert list(hit) == KEYS
        assert isinstance(hit["matched"], list) and isinstance(hit["score"], int | float)
    jose = next(h for h in hits if h["patient_id"] == store["jose"])
    assert (jose["given_name"], jose["family_name"], jose["preferred_name"]) == (
        "José",
        "García",
        "Pepe",
    )
    assert jose["dob"] == "1980-03-14" and jose["phone"] == "+16175550101"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", jose["next_appointment"])
    maria = next(h for h in hits if h["patient_id"] == store["maria"])
    assert maria["next_appointment"] is None and maria["phone"] == ""
    assert "José" in first.stdout  # ensure_ascii=False: readable UTF-8
    second = run("search", "garcia", "--json", "--db", str(db_path))
    assert second.stdout == first.stdout


def test_json_keeps_names_exactly_as_stored(store, db_path):
    out = run("search", "mallory", "--json", "--db", str(db_path))
    assert out.returncode == 0, out.stderr
    [hit] = json.loads(out.stdout)
    assert hit["given_name"] == HOSTILE and hit["dob"] is None
    # Escaped (\u001b, \u202e, \u009b), so even JSON shown on a terminal cannot act on it.
    assert not UNSAFE.search(out.stdout), repr(out.stdout)


def test_human_table_never_prints_control_characters(store, db_path):
    out = run("search", "mallory", "--db", str(db_path))
    assert out.returncode == 0, out.stderr
    assert "Mallory" in out.stdout and "MRN0003" in out.stdout
    assert not UNSAFE.search(out.stdout), repr(out.stdout)
    assert "␛" in out.stdout  # made visible instead


def test_human_table_shows_the_patient(store, db_path):
    out = run("search", "jose", "--db", str(db_path))
    assert out.returncode == 0, out.stderr
    assert "García, José (Pepe)" in out.stdout and "MRN0001" in out.stdout
    assert "1980-03-14" in out.stdout


def test_paging_with_limit_and_offset(store, db_path):
    whole = json.loads(run("search", "garcia", "--json", "--db", str(db_path)).stdout)
    first = run("search", "garcia", "--json", "--limit", "1", "--db", str(db_path))
    rest = run("search", "garcia", "--json", "--limit", "1", "--offset", "1", "--db", str(db_path))
    assert json.loads(first.stdout) + json.loads(rest.stdout) == whole
    beyond = run("search", "garcia", "--json", "--offset", "10", "--db", str(db_path))
    assert beyond.returncode == 1 and json.loads(beyond.stdout) == []


def test_exit_codes(store, db_path, tmp_path):
    none = run("search", "zzyzx", "--db", str(db_path))
    assert none.returncode == 1 and none.stdout == "" and "No patients" in none.stderr
    assert run("search", "garcia", "--limit", "0", "--db", str(db_path)).returncode == 2
    assert run("search", "garcia", "--offset", "-1", "--db", str(db_path)).returncode == 2
    assert run("search", "   ", "--db", str(db_path)).returncode == 2
    assert run("search", "--db", str(db_path)).returncode == 2  # no query at all
    missing = run("search", "garcia", "--db", str(tmp_path / "none.db"))
    assert missing.returncode == 2 and "no store" in missing.stderr
    assert not (tmp_path / "none.db").exists()
