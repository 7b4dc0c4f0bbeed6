"""The demo clinic and the scale seeder: deterministic, lifelike, and consistent
with the store's schema and the status state machine."""

from __future__ import annotations

import json
import random
import re
import sqlite3
import stat
import unicodedata
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from sqlmodel import Session, select

from coordtui.clock import store_clock
from coordtui.demo.clinic import DEMO_PATIENTS, DemoSummary, demo_clock, generate_demo
from coordtui.demo.seed import seed_plan, seed_store
from coordtui.domain.days import DB_FORMAT, day_bounds_utc, db_text, local_today
from coordtui.domain.patient import validate_patient
from coordtui.domain.status import Status, can_transition, replay
from coordtui.domain.status import StatusEvent as DomainEvent
from coordtui.domain.waits import compute_wait
from coordtui.store.db import open_store
from coordtui.store.files import SCHEMA_VERSION, check_version
from coordtui.store.models import Appointment, Clinic, Meta, Patient, Provider

ZONE = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 11, 15, 40, tzinfo=UTC)  # Wednesday 11:40 in New York
NOW_NAIVE = NOW.replace(tzinfo=None)
ARRIVED_STATES = {"arrived", "in_room", "done", "left"}
FINISHED_STATES = {"done", "left", "no_show", "cancelled"}
TABLES = ("clinic", "provider", "patient", "appointment", "status_event", "meta")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, DemoSummary]:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    return path, generate_demo(path, now=NOW)


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    return conn


def dump(path: Path) -> dict[str, list[tuple]]:
    with connect(path) as conn:
        return {
            table: [tuple(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY 1")]
            for table in TABLES
        }


def today_rows(path: Path, now: datetime = NOW) -> list[sqlite3.Row]:
    start, end = day_bounds_utc(local_today(now.replace(tzinfo=None), ZONE), ZONE)
    with connect(path) as conn:
        return conn.execute(
            "SELECT * FROM appointment WHERE start_utc >= ? AND start_utc < ?",
            (db_text(start), db_text(end)),
        ).fetchall()


def check_histories(path: Path) -> int:
    """Every appointment's events replay to its status along allowed moves.

    Returns how many corrections were seen.
    """
    with connect(path) as conn:
        appointments = {r["id"]: r for r in conn.execute("SELECT * FROM appointment")}
        events = defaultdict(list)
        for e in conn.execute("SELECT * FROM status_event ORDER BY at, mutation_id, id"):
            events[e["appointment_id"]].append(e)
    assert set(events) <= set(appointments)
    corrections = 0
    for appt_id, appt in appointments.items():
        history = events.get(appt_id, [])
        by_id = {e["id"]: e for e in history}
        current = Status.BOOKED
        for e in history:
            assert e["actor"] == "demo" and e["mutation_id"] == 0
            assert Status(e["from_status"]) == current, appt_id
            if e["corrects"]:
                corrections += 1
                assert by_id[e["corrects"]]["from_status"] == e["to_status"]
            else:
                assert can_transition(current, Status(e["to_status"])), (current, e["to_status"])
            current = Status(e["to_status"])
        domain = [
            DomainEvent(
                e["id"],
                Status(e["from_status"]),
                Status(e["to_status"]),
                int(datetime.fromisoformat(e["at"]).timestamp() * 1000),
                e["corrects"],
            )
            for e in history
        ]
        assert replay(Status.BOOKED, domain) == Status(appt["status"])
        walk_in = appt["kind"] == "walk_in"
        assert appt["version"] == 1 + len(history) - (1 if walk_in else 0)
        if history:
            if not history[-1]["corrects"]:
                assert appt["status_since"] == history[-1]["at"]
            assert appt["updated_at"] == history[-1]["at"]
            assert appt["created_at"] <= history[0]["at"]
        if walk_in:
            assert history[0]["to_status"] == "arrived" and history[0]["reason"] == "walk-in"
            assert appt["start_utc"] == appt["arrived_at"] == appt["created_at"]
    return corrections


def check_fields(rows) -> None:
    """arrived_at iff the patient came; status_since iff not booked; finished_at on exits."""
    for r in rows:
        status = r["status"]
        assert (r["arrived_at"] is not None) == (status in ARRIVED_STATES), dict(r)
        assert (r["status_since"] is not None) == (status != "booked"), dict(r)
        assert (r["finished_at"] is not None) == (status in FINISHED_STATES), dict(r)
        assert bool(r["cancel_reason"]) == (status in ("cancelled", "entered_in_error")), dict(r)
        assert r["start_utc"] < r["end_utc"]
        if r["arrived_at"]:
            assert r["arrived_at"] <= r["status_since"]
        if r["finished_at"]:
            assert r["finished_at"] == r["status_since"]


def check_phone(number: str) -> None:
    parsed = phonenumbers.parse(number, None)
    assert phonenumbers.is_valid_number(parsed), number
    assert phonenumbers.region_code_for_number(parsed) == "US", number
    assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number


# ------------------------------------------------------------------ demo


def test_same_seed_and_now_give_identical_stores(demo, tmp_path):
    path, _ = demo
    again = tmp_path / "again.db"
    generate_demo(again, now=NOW)
    assert dump(again) == dump(path)
    other = tmp_path / "other.db"
    generate_demo(other, now=NOW, seed=8)
    assert dump(other)["patient"] != dump(path)["patient"]


def test_counts_and_summary(demo):
    path, summary = demo
    with connect(path) as conn:
        count = lambda table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: E731
        assert count("clinic") == 1
        assert count("provider") == summary.providers == 5
        assert count("patient") == summary.patients == DEMO_PATIENTS == 2000
        clinic = conn.execute("SELECT * FROM clinic").fetchone()
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        days = {
            r[0] for r in conn.execute("SELECT DISTINCT substr(start_utc, 1, 10) FROM appointment")
        }
    assert clinic["id"] == summary.clinic_id == meta["clinic_id"]
    assert meta["demo"] == "1"
    assert clinic["timezone"] == "America/New_York" and clinic["phone_region"] == "US"
    assert 60 <= len(today_rows(path)) <= 120
    assert len(today_rows(path)) == summary.appointments_today
    # Yesterday and each of the next 7 days have something to show.
    for offset in (-1, *range(1, 8)):
        assert today_rows(path, NOW + timedelta(days=offset)), offset
    assert len(days) >= 9


def test_every_status_occurs_today(demo):
    rows = today_rows(demo[0])
    assert {r["status"] for r in rows} == {s.value for s in Status}
    patients = Counter(r["patient_id"] for r in rows)
    assert patients.most_common(1)[0][1] == 1  # nobody is booked twice today
    walk_ins = [r for r in rows if r["kind"] == "walk_in"]
    assert walk_ins and any(r["priority"] == "urgent" for r in walk_ins)
    types = Counter(r["type"] for r in rows if r["kind"] == "scheduled")
    assert set(types) <= {"Consultation", "Follow-up", "New patient", "Vaccination", "Lab review"}
    modality = Counter(r["modality"] for r in rows)
    assert modality["in_person"] > len(rows) / 2


def test_statuses_are_realistic_relative_to_now(demo):
    rows = today_rows(demo[0])
    now = db_text(NOW_NAIVE)
    check_fields(rows)
    for r in rows:
        for column in ("arrived_at", "status_since", "finished_at", "created_at"):
            assert r[column] is None or r[column] <= now, (column, dict(r))
        if r["status"] == "booked":
            assert r["end_utc"] > db_text(NOW_NAIVE - timedelta(hours=1))
    past = [r for r in rows if r["end_utc"] < db_text(NOW_NAIVE - timedelta(hours=1))]
    assert Counter(r["status"] for r in past).most_common(1)[0][0] == "done"
    future = [r for r in rows if r["start_utc"] > db_text(NOW_NAIVE + timedelta(minutes=30))]
    assert future and Counter(r["status"] for r in future).most_common(1)[0][0] == "booked"
    waits = [
        compute_wait(
            Status(r["status"]),
            datetime.fromisoformat(r["arrived_at"]) if r["arrived_at"] else None,
            datetime.fromisoformat(r["status_since"]) if r["status_since"] else None,
            NOW_NAIVE,
            alert_minutes=20,
        )
        for r in rows
    ]
    assert any(w.long for w in waits)  # the long-wait alert has something to show


def test_history_replays_to_status(demo):
    assert check_histories(demo[0]) >= 1  # includes an undone mistake


def test_all_demo_appointments_are_consistent(demo):
    with connect(demo[0]) as conn:
        check_fields(conn.execute("SELECT * FROM appointment").fetchall())


def test_names_are_diverse_and_nfc(demo):
    with connect(demo[0]) as conn:
        people = conn.execute("SELECT given_name, family_name, dob FROM patient").fetchall()
    names = [f"{g} {f}" for g, f, _ in people]
    assert all(unicodedata.normalize("NFC", n) == n for n in names)
    assert any(unicodedata.normalize("NFD", n) != n for n in names)  # diacritics
    assert any("'" in n for n in names)
    assert any("-" in n for n in names)
    assert any(" " in f for _, f, _ in people)  # van der Berg, García Márquez, de la Cruz
    for script in ("CJK", "CYRILLIC", "ARABIC", "GREEK"):
        assert any(unicodedata.name(c, "").startswith(script) for n in names for c in n), script
    for expected in ("Nguyễn", "Müller", "O'Brien", "D'Angelo", "van der Berg", "王", "Иванов"):
        assert any(expected in n for n in names), expected
    assert sum(n == "John Smith" for n in names) >= 3
    shared = Counter(tuple(p) for p in people)
    assert any(count >= 2 for count in shared.values())  # same name and DOB


def test_same_name_same_dob_patients_are_both_on_today(demo):
    with connect(demo[0]) as conn:
        twins = {
            r[0]
            for r in conn.execute(
                "SELECT id FROM patient WHERE given_name = 'John' AND family_name = 'Smith' "
                "AND dob = '1978-03-14'"
            )
        }
    assert len(twins) == 2
    assert twins <= {r["patient_id"] for r in today_rows(demo[0])}


def test_patient_fields(demo):
    today = local_today(NOW_NAIVE, ZONE)
    with connect(demo[0]) as conn:
        rows = conn.execute("SELECT * FROM patient").fetchall()
    mrns = [r["record_number"] for r in rows]
    assert len(set(mrns)) == len(mrns)
    assert all(re.fullmatch(r"MRN\d{7}", m) for m in mrns)
    for r in rows:
        check_phone(r["phone"])
        if r["phone_alt"]:
            check_phone(r["phone_alt"])
        dob = datetime.fromisoformat(r["dob"]).date()
        assert 0 <= (today - dob).days <= 101 * 366
        assert r["sex"] in ("female", "male", "other", "unknown")
        assert r["interpreter_needed"] in (0, 1)
        if r["interpreter_needed"]:
            assert r["preferred_language"] != "en"
        fields = {
            k: r[k]
            for k in ("given_name", "family_name", "preferred_name", "dob", "sex", "phone",
                      "phone_alt", "email", "address", "preferred_language", "flags", "payer",
                      "member_id", "copay_cents")
        }  # fmt: skip
        checked = validate_patient(fields, today, "US")
        assert checked.ok, (checked.errors, dict(r))
    languages = Counter(r["preferred_language"] for r in rows)
    assert languages.most_common(1)[0][0] == "en"
    assert {"es", "vi", "zh", "ar", "ru"} <= set(languages)
    assert sum(1 for r in rows if r["email"]) > len(rows) / 3
    assert sum(1 for r in rows if r["flags"]) > 20
    assert sum(1 for r in rows if r["payer"]) > len(rows) * 0.8
    assert len({r["phone"] for r in rows}) == len(rows)  # fictional 555-01xx, no repeats


def test_rows_load_through_the_models(demo):
    path, summary = demo
    engine = open_store(path)
    try:
        with Session(engine) as session:
            assert session.get(Clinic, summary.clinic_id).name
            providers = session.exec(select(Provider)).all()
            assert all(len(p.short_name) <= 12 for p in providers)
            assert all(schedule(p.schedule_json) for p in providers)
            patient = session.exec(select(Patient)).first()
            assert patient.dob is not None and naive_utc(patient.created_at) <= NOW_NAIVE
            appointment = session.exec(select(Appointment)).first()
            assert isinstance(appointment.start_utc, datetime)
            assert appointment.end_utc > appointment.start_utc
            assert session.get(Meta, "demo").value == "1"
    finally:
        engine.dispose()


def naive_utc(moment: datetime) -> datetime:
    """The models may hand back aware UTC; the text in SQLite has no offset either way."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def schedule(text: str) -> dict:
    """A weekly template: {"mon": [["08:00", "12:00"], ...], ...}."""
    data = json.loads(text)
    assert set(data) <= {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
    for sessions in data.values():
        for start, end in sessions:
            assert re.fullmatch(r"\d\d:\d\d", start) and start < end
    return data


def test_text_formats_match_sqlalchemy(demo):
    with connect(demo[0]) as conn:
        row = conn.execute("SELECT * FROM appointment WHERE status = 'done' LIMIT 1").fetchone()
        patient = conn.execute("SELECT dob, interpreter_needed FROM patient LIMIT 1").fetchone()
    for column in ("start_utc", "end_utc", "arrived_at", "status_since", "finished_at"):
        text = row[column]
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", text), column
        assert datetime.strptime(text, DB_FORMAT).strftime(DB_FORMAT) == text
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", patient["dob"])
    assert patient["interpreter_needed"] in (0, 1)


def test_store_is_sound_and_private(demo):
    path, _ = demo
    with connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert check_version(path) == SCHEMA_VERSION


def test_replaces_an_existing_store(tmp_path):
    path = tmp_path / "demo.db"
    path.write_bytes(b"not a database")
    Path(f"{path}-wal").write_bytes(b"stale")
    generate_demo(path, now=NOW)
    with connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM patient").fetchone()[0] == DEMO_PATIENTS


@pytest.mark.parametrize("hour", [5, 21])  # New York: before opening, after closing
def test_every_status_even_outside_clinic_hours(tmp_path, hour):
    now = datetime(2026, 3, 14, hour, 0, tzinfo=ZONE).astimezone(UTC)  # a Saturday
    path = tmp_path / "demo.db"
    summary = generate_demo(path, now=now, timezone="America/New_York")
    rows = today_rows(path, now)
    assert len(rows) == summary.appointments_today
    assert 60 <= len(rows) <= 120
    assert {r["status"] for r in rows} == {s.value for s in Status}
    check_fields(rows)
    check_histories(path)


# ------------------------------------------------------------------ seed


def test_seed_plan_rule():
    assert seed_plan(200_000) == (100, 2_000)
    assert seed_plan(1_000_000) == (200, 10_000)
    assert seed_plan(5_000) == (3, 50)
    assert seed_plan(1) == (1, 1)


def test_seed_small_store(tmp_path):
    path = tmp_path / "seed.db"
    calls: list[tuple[str, int, int]] = []
    summary = seed_store(path, 5_000, 2, now=NOW, progress=lambda *a: calls.append(a))
    with connect(path) as conn:
        count = lambda table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: E731
        assert count("patient") == summary.patients == 5_000
        assert count("provider") == summary.providers == seed_plan(5_000)[0]
        assert count("appointment") == summary.appointments
        assert count("status_event") == summary.status_events
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT count(*) FROM sqlite_stat1").fetchone()[0] > 0  # ANALYZEd
        indexes = {r[0] for r in conn.execute("SELECT sql FROM sqlite_master WHERE type='index'")}
        phones = [r[0] for r in conn.execute("SELECT phone FROM patient")]
        mrns = [r[0] for r in conn.execute("SELECT record_number FROM patient")]
    # ~50 a day (patients / 100) for 2 days, plus a few walk-ins today.
    assert 100 <= summary.appointments <= 110
    assert len(today_rows(path)) >= 50
    assert summary.days == 2 and summary.seconds > 0
    for phone in phones[:1000]:
        check_phone(phone)
    assert len(set(mrns)) == len(mrns)
    check_fields(today_rows(path))
    check_histories(path)

    stages = [c[0] for c in calls]
    assert stages[0] == "patients" and stages[-1] == "analyze"
    assert ("patients", 5_000, 5_000) in calls and ("appointments", 2, 2) in calls
    assert {"patients", "appointments", "indexes", "analyze"} <= set(stages)

    # Same indexes as a store made by the app, and it opens normally.
    fresh = tmp_path / "fresh.db"
    open_store(fresh).dispose()
    with connect(fresh) as conn:
        assert {
            r[0] for r in conn.execute("SELECT sql FROM sqlite_master WHERE type='index'")
        } == indexes
    assert check_version(path) == SCHEMA_VERSION
    engine = open_store(path)
    try:
        with Session(engine) as session:
            assert len(session.exec(select(Patient).limit(10)).all()) == 10
    finally:
        engine.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_seed_is_deterministic_and_replaces(tmp_path):
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    seed_store(a, 1_500, 1, now=NOW)
    b.write_bytes(b"junk")
    seed_store(b, 1_500, 1, now=NOW)
    assert dump(a) == dump(b)


def test_seed_rejects_nonsense(tmp_path):
    with pytest.raises(ValueError):
        seed_store(tmp_path / "x.db", 0, 1)
    with pytest.raises(ValueError):
        seed_store(tmp_path / "x.db", 10, -1)


@pytest.mark.slow
def test_seed_200k_has_about_2000_today(tmp_path):
    path = tmp_path / "big.db"
    summary = seed_store(path, 200_000, 1, now=NOW)
    assert 1_900 <= len(today_rows(path)) <= 2_200
    assert summary.appointments == len(today_rows(path))


# ------------------------------------------------------------- any hour


@pytest.mark.parametrize("wall", [(3, 0), (21, 30)], ids=["03:00", "21:30"])
def test_a_store_seeded_at_any_hour_runs_on_its_own_midday_clock(tmp_path, wall):
    """Seeds lay today out on the demo clock; store_clock gives it back later (benchmarks)."""
    real = datetime(2026, 3, 14, *wall, tzinfo=ZONE).astimezone(UTC)
    laid = demo_clock(lambda: real)()
    path = tmp_path / "seed.db"
    seed_store(path, 2_000, 1, now=laid)
    later = real + timedelta(days=2, hours=5)  # reused from the cache two days on
    clock = store_clock(path, base=lambda: later)
    assert clock() == laid and local_today(clock(), ZONE) == local_today(real, ZONE)
    rows = today_rows(path, laid)
    now = db_text(laid)
    assert sum(r["status"] == "booked" and r["start_utc"] > now for r in rows) >= 5
    for r in rows:
        if r["status"] in ("arrived", "in_room"):
            assert r["status_since"] >= db_text(laid - timedelta(hours=1)), dict(r)
        for column in ("arrived_at", "status_since", "finished_at"):
            assert r[column] is None or r[column] <= now, (column, dict(r))


def test_the_demo_notes_the_instant_it_was_laid_out_for(demo):
    clock = store_clock(demo[0], base=lambda: NOW + timedelta(hours=30))
    assert clock() == NOW  # 11:40 in New York: mid-day, laid out as is


def test_seeded_provider_short_names_are_distinct_and_never_cut():
    """Issue 10: "Dr Fernánde2" is gone; a second Dr García is "Dr M. García"."""
    from coordtui.demo.ids import Ids
    from coordtui.demo.seed import _seed_providers

    rows, _ = _seed_providers(random.Random(11), Ids(11, NOW_NAIVE), "clinic", 200)
    shorts = [r[3] for r in rows]
    assert len(set(shorts)) == 200
    assert any(re.fullmatch(r"(Dr|NP) \w\. .+", s) for s in shorts)  # initials told apart
    for _id, _clinic, name, short, *_ in rows:
        family = re.sub(r"^(Dr|NP) (\w\. )?", "", short)
        assert not re.search(r"\d", short) and name.endswith(f" {family}, {name[-2:]}"), short


def test_coverage_was_verified_as_a_desk_would_have(demo):
    """Most visits in play show no `$`: verified at arrival or within the month; some do."""
    from coordtui.domain.coverage import coverage_due
    from coordtui.service import Service

    path, _ = demo
    service = Service(path, actor="test", clock=lambda: NOW)
    try:
        rows = [
            r
            for r in service.queue(service.today())
            if r.status in ("booked", "arrived", "in_room")
        ]
        due = [
            r
            for r in rows
            if coverage_due(
                r.coverage_on_file, r.coverage_verified_at, service.today(), service.zone, 30
            )
        ]
    finally:
        service.close()
    assert rows and 0 < len(due) < len(rows) / 2
    with connect(path) as conn:
        at_arrival = conn.execute(
            "SELECT count(*) FROM coverage_check c JOIN appointment a ON a.id = c.appointment_id "
            "WHERE c.at = a.arrived_at"
        ).fetchone()[0]
    assert at_arrival > 0
