"""Issue 10, reproduction 10: the command line's tables at 80 columns.

`report day` printed seeded provider names cut to 12 characters ("Dr Fernánde2"),
and `search` squeezed names onto two lines.  Names, record numbers, phones and
counts are key information: at 80 columns they are whole, on one line, and the
less important columns give way instead.  Real processes, real files.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from rich.cells import cell_len

from coordtui.store.search import rebuild_index
from tests.builders import ALL_DAY

ROOT = Path(__file__).resolve().parents[2]
DAY = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
LONG = ("Dr Fernández de Córdoba", "NP María José Ramírez-Ortiz", "Dr Ó. Fernández de Córdoba")


def run(*args: str) -> subprocess.CompletedProcess:
    out = subprocess.run(
        [sys.executable, "-m", "coordtui", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert out.returncode == 0, out.stderr
    for line in out.stdout.splitlines():
        assert cell_len(line) <= 80, line
    return out


def test_report_day_keeps_long_provider_names_whole(builder, db_path):
    patient = builder.patient("Ada", "Lovelace")
    for i, name in enumerate(LONG):
        provider = builder.provider(name, hours=ALL_DAY)
        builder.appointment(patient, provider, start=DAY + timedelta(hours=i))
    out = run("--db", str(db_path), "report", "day", "--date", "2026-03-02").stdout
    lines = out.splitlines()
    for name in LONG:
        (row,) = [line for line in lines if line.startswith(name + " ")]
        assert row[len(name) :].split() == ["1", "0", "0", "0", "0"], row  # no waits yet
    assert "All providers" in out and "Calls logged: 0" in out
    for word in ("Booked", "Seen", "show", "wait"):
        assert word in out


def test_seeded_provider_names_are_whole_distinct_and_in_the_report(tmp_path):
    db = tmp_path / "seed.db"
    run("seed", "--patients", "30000", "--days", "1", "--db", str(db))
    with sqlite3.connect(db) as conn:
        providers = conn.execute("SELECT name, short_name FROM provider").fetchall()
    shorts = [short for _, short in providers]
    assert len(providers) == 15 and len(set(shorts)) == len(shorts)
    for name, short in providers:
        assert not re.search(r"\d", short), short  # no "Dr Fernánde2"
        title, _, rest = short.partition(" ")
        family = re.sub(r"^\w\. ", "", rest)  # "Dr M. García" -> "García"
        assert title in ("Dr", "NP") and f" {family}, " in name, (short, name)
    out = run("--db", str(db), "report", "day").stdout
    for short in shorts:
        assert any(line.startswith(short + " ") for line in out.splitlines()), (short, out)


def test_search_table_gives_names_the_width(builder, db_path):
    provider = builder.provider("Dr Okafor", hours=ALL_DAY)
    names = [
        ("María José", "Fernández de Córdoba", "Majo"),
        ("Alexander", "Papadopoulos-Smith", "Alex"),
    ]
    for given, family, preferred in names:
        pid = builder.patient(
            given,
            family,
            preferred_name=preferred,
            dob=date(1975, 3, 25),
            phone="+16175550123",
            record_number=f"MRN{len(family):07d}",
        )
        builder.appointment(pid, provider, start=builder.now + timedelta(days=40))
    conn = sqlite3.connect(db_path)
    rebuild_index(conn)  # the builder writes rows directly, not through mutations
    conn.commit()
    conn.close()
    out = run("--db", str(db_path), "search", "1975-03-25").stdout
    for given, family, preferred in names:
        (row,) = [line for line in out.splitlines() if f"{family}, {given} ({preferred})" in line]
        assert f"MRN{len(family):07d}" in row and "(617) 555-0123" in row and "1975-03-25" in row
    assert "…" not in out
