"""FHIR export: a tiny exact store round-trips into a Bundle that fhir.resources accepts.

fhir.resources 8.x ships R5 at the top level; R4B is its R4-compatible package
(same Patient/Appointment/Practitioner/Schedule/Slot shape), so that is what we
validate against.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from contextlib import closing
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fhir.resources.R4B.bundle import Bundle

from coordtui.domain.status import FHIR_CODES, Status
from coordtui.interop.fhir import (
    INTERPRETER_URL,
    RESCHEDULED_FROM_URL,
    RESCHEDULED_TO_URL,
    export_bundle,
    iter_resources,
)
from coordtui.service import Service
from tests.builders import StoreBuilder

START = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
NAMES = [("[bold]Zoë[/]", "Smith"), ("Seán", "O'Brien-García"), ("伟", "王")]
# fhir.resources checks a code's shape but not its value set, so these are checked here.
R4_APPOINTMENT_STATUS = {
    "proposed",
    "pending",
    "booked",
    "arrived",
    "fulfilled",
    "cancelled",
    "noshow",
    "entered-in-error",
    "checked-in",
    "waitlist",
}
GENDERS = {"female", "male", "other", "unknown"}
TRICKY_ADDRESS = '1 Main St\nApt 2\t\x07\x1b[31mred\x1b[0m <b>&amp;</b> "q" \\ \u2028'


@pytest.fixture
def store(tmp_path: Path) -> dict:
    b = StoreBuilder(tmp_path / "clinic.db")
    facts: dict = {"path": b.path, "provider": b.provider("Dr Okafor")}
    facts["patients"] = [b.patient(g, f) for g, f in NAMES]
    zoe = facts["patients"][0]
    facts["survivor"] = b.patient(
        "Ada",
        "Lovelace",
        record_number="MRN-ADA",
        phone="+16172531000",
        phone_alt="+16172531001",
        email="ada@example.org",
        dob=date(1980, 3, 14),
        sex="female",
        preferred_name="Addie",
        preferred_language="es",
        interpreter_needed=True,
        address=TRICKY_ADDRESS,
    )
    facts["merged"] = b.patient(
        "Ada", "Lovelace", record_number="MRN-OLD", merged_into=facts["survivor"]
    )
    prov = facts["provider"]
    appts = {
        "booked": b.appointment(zoe, prov, start=START, reason="[red]cough[/]"),
        "cancelled": b.appointment(
            zoe,
            prov,
            start=START + timedelta(hours=1),
            status="cancelled",
            cancel_reason="patient called",
        ),
        "in_room": b.appointment(
            facts["survivor"], prov, start=START, minutes=20, status="in_room", priority="urgent"
        ),
        "walk_in": b.appointment(
            facts["patients"][2], prov, start=START, status="arrived", kind="walk_in"
        ),
        "left": b.appointment(facts["patients"][1], prov, start=START, status="left"),
        "entered_in_error": b.appointment(
            facts["merged"], prov, start=START, status="entered_in_error", cancel_reason="wrong day"
        ),
    }
    facts["appointments"] = appts
    b.close()
    return facts


def by_id(text: str) -> dict[str, dict]:
    return {e["resource"]["id"]: e["resource"] for e in json.loads(text)["entry"]}


def assert_valid_bundle(text: str) -> dict:
    """Validate with fhir.resources and check every reference points into the bundle."""
    Bundle.model_validate_json(text)
    data = json.loads(text)
    assert data["resourceType"] == "Bundle" and data["type"] == "collection"
    present = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in data["entry"]}
    assert len(present) == len(data["entry"])  # ids unique per resource type
    for entry in data["entry"]:
        res = entry["resource"]
        refs = [p["actor"]["reference"] for p in res.get("participant", [])]
        refs += [link["other"]["reference"] for link in res.get("link", [])]
        refs += [x["valueReference"]["reference"] for x in res.get("extension", [])
                 if "valueReference" in x]  # fmt: skip
        refs += [slot["reference"] for slot in res.get("slot", [])]
        refs += [actor["reference"] for actor in res.get("actor", [])]
        if "schedule" in res:
            refs.append(res["schedule"]["reference"])
        assert set(refs) <= present, (res["id"], refs)
        if res["resourceType"] == "Appointment":
            assert res["status"] in R4_APPOINTMENT_STATUS
        if res["resourceType"] == "Patient":
            assert res["gender"] in GENDERS
        if res["resourceType"] == "Slot":
            assert res["status"] in {"free", "busy"}
            assert res["start"].endswith("Z") and res["end"].endswith("Z")
    return data


def test_bundle_validates_and_counts_match(store: dict) -> None:
    data = assert_valid_bundle(export_bundle(store["path"]))
    kinds = [e["resource"]["resourceType"] for e in data["entry"]]
    assert kinds == ["Practitioner"] + ["Patient"] * 5 + ["Appointment"] * 6
    for kind in ("Practitioner", "Patient", "Appointment"):
        ids = [e["resource"]["id"] for e in data["entry"] if e["resource"]["resourceType"] == kind]
        assert ids == sorted(ids)


def test_appointment_status_and_fields(store: dict) -> None:
    res = by_id(export_bundle(store["path"]))
    for ours, appt_id in store["appointments"].items():
        appt = res[appt_id]
        expected = FHIR_CODES[Status.ARRIVED if ours == "walk_in" else Status(ours)]
        assert appt["status"] == expected
        assert appt["start"].endswith("Z") and appt["created"].endswith("Z")
        actors = [p["actor"]["reference"] for p in appt["participant"]]
        assert actors[1] == f"Practitioner/{store['provider']}"
    a = store["appointments"]
    assert res[a["booked"]]["start"] == "2026-03-02T14:30:00Z"
    assert res[a["booked"]]["end"] == "2026-03-02T14:45:00Z"
    assert res[a["booked"]]["reasonCode"] == [{"text": "[red]cough[/]"}]
    assert "priority" not in res[a["booked"]] and "cancelationReason" not in res[a["booked"]]
    assert res[a["cancelled"]]["cancelationReason"] == {"text": "patient called"}
    assert res[a["in_room"]]["status"] == "checked-in"
    assert res[a["in_room"]]["priority"] == 1 and res[a["in_room"]]["minutesDuration"] == 20
    assert res[a["walk_in"]]["comment"] == "walk-in"
    assert res[a["walk_in"]]["appointmentType"]["coding"][0]["code"] == "WALKIN"
    assert res[a["left"]]["status"] == "cancelled"
    assert res[a["left"]]["cancelationReason"] == {"text": "left without being seen"}
    # FHIR app-4 keeps cancelationReason off entered-in-error; the reason goes to comment.
    assert "cancelationReason" not in res[a["entered_in_error"]]
    assert res[a["entered_in_error"]]["comment"] == "entered in error: wrong day"


def test_patient_data_round_trips_exactly(store: dict) -> None:
    res = by_id(export_bundle(store["path"]))
    for pid, (given, family) in zip(store["patients"], NAMES, strict=True):
        (name,) = res[pid]["name"]
        assert (name["given"], name["family"]) == ([given], family)
        assert name["text"] == f"{given} {family}"
        assert "telecom" not in res[pid] and "birthDate" not in res[pid]
    ada = res[store["survivor"]]
    assert ada["identifier"] == [{"system": "urn:coordtui:mrn", "value": "MRN-ADA"}]
    assert ada["name"][1] == {"use": "usual", "given": ["Addie"]}
    assert ada["telecom"] == [
        {"system": "phone", "value": "+16172531000", "use": "mobile"},
        {"system": "phone", "value": "+16172531001", "use": "home"},
        {"system": "email", "value": "ada@example.org"},
    ]
    assert (ada["gender"], ada["birthDate"], ada["active"]) == ("female", "1980-03-14", True)
    assert ada["address"] == [{"text": TRICKY_ADDRESS}]
    assert ada["communication"][0]["language"]["coding"][0]["code"] == "es"
    assert ada["extension"] == [{"url": INTERPRETER_URL, "valueBoolean": True}]
    assert ada["meta"]["versionId"] == "1" and ada["meta"]["lastUpdated"].endswith("Z")
    old = res[store["merged"]]
    assert old["active"] is False
    assert old["link"] == [
        {"other": {"reference": f"Patient/{store['survivor']}"}, "type": "replaced-by"}
    ]


def test_text_is_json_safe(store: dict) -> None:
    text = export_bundle(store["path"])
    assert "\x07" not in text and "\x1b" not in text  # escaped, so terminals stay safe
    assert "王" in text  # ensure_ascii=False
    assert export_bundle(store["path"]) == text  # deterministic
    assert list(iter_resources(store["path"])) == [e["resource"] for e in json.loads(text)["entry"]]


def test_empty_store_has_no_entries(tmp_path: Path) -> None:
    b = StoreBuilder(tmp_path / "empty.db")
    b.close()
    text = export_bundle(b.path)
    Bundle.model_validate_json(text)
    assert json.loads(text) == {"resourceType": "Bundle", "type": "collection"}


def test_export_does_not_write_the_store(store: dict) -> None:
    path: Path = store["path"]
    before = path.read_bytes()
    export_bundle(path)
    assert path.read_bytes() == before


def test_cli_export_writes_private_file(store: dict, tmp_path: Path) -> None:
    out = tmp_path / "bundle.json"
    env = os.environ | {
        "COORDTUI_CONFIG_DIR": str(tmp_path / "config"),
        "COORDTUI_DATA_DIR": str(tmp_path / "data"),
    }
    env.pop("COORDTUI_DB", None)
    cmd = [
        sys.executable,
        "-m",
        "coordtui",
        "export",
        "--format",
        "fhir",
        "--db",
        str(store["path"]),
        "--out",
        str(out),
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    data = assert_valid_bundle(out.read_text(encoding="utf-8"))
    assert len(data["entry"]) == 12


def test_demo_clinic_exports_valid_fhir(tmp_path: Path) -> None:
    from coordtui.demo import generate_demo

    path = tmp_path / "demo.db"
    generate_demo(path)
    text = export_bundle(path)
    data = assert_valid_bundle(text)
    codes = set(FHIR_CODES.values())
    appointments = [
        e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "Appointment"
    ]
    assert appointments and all(a["status"] in codes for a in appointments)


# ------------------------------------------------------- Schedule and Slot

ZONE = "America/New_York"  # the window spans the DST change of Sun 8 Mar 2026
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # Mon 2 Mar 2026 07:00 EST
WINDOW_END = NOW + timedelta(days=14)
WEEKDAYS = {
    d: [["09:00", "12:00"], ["13:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")
}
TUESDAY_EARLY = {"tue": [["08:00", "10:00"]]}
CLOSED = date(2026, 3, 4)  # Okafor's day off (closure)
EXTRA = (date(2026, 3, 7), "10:00", "12:00")  # Okafor's Saturday clinic (extra session)


def _at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _expected_slots(
    sessions_by_day: dict[date, list[tuple[str, str]]], step: int
) -> set[tuple[str, str]]:
    """Grid slots inside the sessions and the window, computed here without coordtui."""
    out = set()
    for day, sessions in sessions_by_day.items():
        for start, end in sessions:
            s = _at(day, *map(int, start.split(":")))
            e = _at(day, *map(int, end.split(":")))
            while s + timedelta(minutes=step) <= e:
                if s >= NOW and s + timedelta(minutes=step) <= WINDOW_END:
                    out.add((_z(s), _z(s + timedelta(minutes=step))))
                s += timedelta(minutes=step)
    return out


def _window_days() -> list[date]:
    first = NOW.astimezone(ZoneInfo(ZONE)).date()
    last = WINDOW_END.astimezone(ZoneInfo(ZONE)).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _template_sessions(template: dict, day: date) -> list[tuple[str, str]]:
    key = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()]
    return [tuple(pair) for pair in template.get(key, [])]


@pytest.fixture
def booking_store(tmp_path: Path) -> dict:
    """Okafor (15-minute grid, weekdays, a closure and an extra), Haddad (30-minute grid,
    Tuesday mornings), Lee (no hours); a booking, a rescheduled pair, an arrival."""
    b = StoreBuilder(tmp_path / "booking.db", zone=ZONE)
    ids = {
        "okafor": b.provider("Dr Okafor"),
        "haddad": b.provider("Dr Haddad"),
        "lee": b.provider("Dr Lee"),
        "ada": b.patient("Ada", "Lovelace"),
        "bo": b.patient("Bo", "Diddley"),
    }
    # Haddad's patient is already here: arrived (active, not booked), across DST (EDT).
    ids["arrived"] = b.appointment(
        ids["bo"], ids["haddad"], start=_at(date(2026, 3, 10), 8, 30), minutes=20,
        status="arrived",
    )  # fmt: skip
    b.close()
    with closing(sqlite3.connect(b.path)) as conn:
        for pid, template, step in (
            (ids["okafor"], WEEKDAYS, 15),
            (ids["haddad"], TUESDAY_EARLY, 30),
        ):
            conn.execute(
                "UPDATE provider SET schedule_json = ?, slot_minutes = ? WHERE id = ?",
                (json.dumps(template), step, pid),
            )
        conn.commit()
    svc = Service(b.path, actor="desk1", clock=lambda: NOW)
    try:
        svc.add_schedule_exception(ids["okafor"], CLOSED, reason="training")
        svc.add_schedule_exception(ids["okafor"], EXTRA[0], start=EXTRA[1], end=EXTRA[2],
                                   kind="extra")  # fmt: skip
        booked = svc.book(ids["ada"], ids["okafor"], _at(date(2026, 3, 3), 10), "Consultation")
        ids["booked"] = booked["appointment_id"]
        old = svc.book(ids["bo"], ids["okafor"], _at(date(2026, 3, 5), 9), "Follow-up")
        ids["old"] = old["appointment_id"]
        moved = svc.reschedule(ids["old"], _at(date(2026, 3, 6), 14))
        ids["new"] = moved["appointment_id"]
    finally:
        svc.close()
    return {"path": b.path, **ids}


def _resources(text: str, kind: str) -> list[dict]:
    return [
        e["resource"] for e in json.loads(text)["entry"] if e["resource"]["resourceType"] == kind
    ]


def test_schedule_per_provider_with_hours(booking_store: dict) -> None:
    text = export_bundle(booking_store["path"], now=NOW)
    data = assert_valid_bundle(text)
    kinds = [e["resource"]["resourceType"] for e in data["entry"]]
    n_slots = kinds.count("Slot")
    assert kinds == (
        ["Practitioner"] * 3 + ["Schedule"] * 2 + ["Patient"] * 2 + ["Appointment"] * 4
        + ["Slot"] * n_slots
    )  # fmt: skip
    assert n_slots > 0
    for kind in set(kinds):
        ids = [e["resource"]["id"] for e in data["entry"] if e["resource"]["resourceType"] == kind]
        assert ids == sorted(ids), kind
    schedules = {s["id"]: s for s in _resources(text, "Schedule")}
    with_hours = ("okafor", "haddad")
    assert set(schedules) == {f"sched-{booking_store[k]}" for k in with_hours}  # not Lee
    for key in with_hours:
        pid = booking_store[key]
        sched = schedules[f"sched-{pid}"]
        assert sched["active"] is True
        assert sched["actor"] == [{"reference": f"Practitioner/{pid}"}]
        assert sched["planningHorizon"] == {
            "start": "2026-03-02T12:00:00Z",
            "end": "2026-03-16T12:00:00Z",
        }
    okafor = schedules[f"sched-{booking_store['okafor']}"]
    assert "Monday 09:00-12:00, 13:00-17:00" in okafor["comment"] and ZONE in okafor["comment"]


def test_slots_follow_availability_and_bookings(booking_store: dict) -> None:
    text = export_bundle(booking_store["path"], now=NOW)
    slots = _resources(text, "Slot")
    by_schedule: dict[str, dict[tuple[str, str], str]] = {}
    for slot in slots:
        ref = slot["schedule"]["reference"]
        by_schedule.setdefault(ref, {})[(slot["start"], slot["end"])] = slot["status"]
        pid = ref.removeprefix("Schedule/sched-")
        assert slot["id"] == f"slot-{pid}-{slot['start'][:16].replace('-', '').replace(':', '')}"
    okafor_days = {}
    for day in _window_days():
        sessions = [] if day == CLOSED else _template_sessions(WEEKDAYS, day)
        if day == EXTRA[0]:
            sessions.append(EXTRA[1:])
        okafor_days[day] = sessions
    haddad_days = {day: _template_sessions(TUESDAY_EARLY, day) for day in _window_days()}
    okafor = by_schedule.pop(f"Schedule/sched-{booking_store['okafor']}")
    haddad = by_schedule.pop(f"Schedule/sched-{booking_store['haddad']}")
    assert by_schedule == {}  # Lee has no hours, so no slots
    # Slots lie inside availability only, on each provider's grid, and cover all of it.
    assert set(okafor) == _expected_slots(okafor_days, 15)
    assert set(haddad) == _expected_slots(haddad_days, 30)
    assert ("2026-03-07T15:00:00Z", "2026-03-07T15:15:00Z") in okafor  # the extra session
    assert not any(start.startswith("2026-03-04") for start, _ in okafor)  # the closure
    # After the DST change 08:00 EDT is 12:00 UTC: Haddad's Tuesdays move by an hour.
    assert ("2026-03-03T13:00:00Z", "2026-03-03T13:30:00Z") in haddad
    assert ("2026-03-10T12:00:00Z", "2026-03-10T12:30:00Z") in haddad
    # Busy exactly where an active appointment is: the 30-minute booking (two slots), the
    # rescheduled visit's new time; its cancelled old time is free again.  Free elsewhere.
    busy_okafor = {start for (start, _), status in okafor.items() if status == "busy"}
    assert busy_okafor == {
        "2026-03-03T15:00:00Z",
        "2026-03-03T15:15:00Z",
        "2026-03-06T19:00:00Z",
    }
    assert okafor[("2026-03-05T14:00:00Z", "2026-03-05T14:15:00Z")] == "free"
    busy_haddad = {start for (start, _), status in haddad.items() if status == "busy"}
    assert busy_haddad == {"2026-03-10T12:30:00Z"}  # the arrival, 08:30-08:50 EDT
    assert set(okafor.values()) | set(haddad.values()) == {"free", "busy"}


def test_booked_appointments_reference_their_slots(booking_store: dict) -> None:
    res = by_id(export_bundle(booking_store["path"], now=NOW))
    okafor = booking_store["okafor"]
    assert res[booking_store["booked"]]["slot"] == [
        {"reference": f"Slot/slot-{okafor}-20260303T1500"},
        {"reference": f"Slot/slot-{okafor}-20260303T1515"},
    ]
    assert res[booking_store["new"]]["slot"] == [{"reference": f"Slot/slot-{okafor}-20260306T1900"}]
    assert "slot" not in res[booking_store["old"]]  # cancelled
    assert "slot" not in res[booking_store["arrived"]]  # only booked ones fill a slot
    for appt in (booking_store["booked"], booking_store["new"]):
        for ref in res[appt]["slot"]:
            assert res[ref["reference"].removeprefix("Slot/")]["status"] == "busy"


def test_reschedule_links_both_ways(booking_store: dict) -> None:
    text = export_bundle(booking_store["path"], now=NOW)
    assert_valid_bundle(text)
    res = by_id(text)
    old, new = res[booking_store["old"]], res[booking_store["new"]]
    assert new["extension"] == [
        {"url": RESCHEDULED_FROM_URL, "valueReference": {"reference": f"Appointment/{old['id']}"}}
    ]
    assert old["extension"] == [
        {"url": RESCHEDULED_TO_URL, "valueReference": {"reference": f"Appointment/{new['id']}"}}
    ]
    assert old["status"] == "cancelled" and old["comment"] == "rescheduled"
    assert old["cancelationReason"] == {"text": "rescheduled"}
    assert new["status"] == "booked" and "comment" not in new
    assert new["start"] == "2026-03-06T19:00:00Z"
    assert "extension" not in res[booking_store["booked"]]


def test_schedule_export_is_deterministic(booking_store: dict) -> None:
    path = booking_store["path"]
    text = export_bundle(path, now=NOW)
    assert export_bundle(path, now=NOW) == text
    assert list(iter_resources(path, now=NOW)) == [e["resource"] for e in json.loads(text)["entry"]]
    later = export_bundle(path, now=NOW + timedelta(days=1))
    assert later != text
    assert_valid_bundle(later)


def test_slot_days_zero_leaves_schedules_out(booking_store: dict) -> None:
    text = export_bundle(booking_store["path"], now=NOW, slot_days=0)
    data = assert_valid_bundle(text)
    kinds = [e["resource"]["resourceType"] for e in data["entry"]]
    assert kinds == ["Practitioner"] * 3 + ["Patient"] * 2 + ["Appointment"] * 4
    res = by_id(text)
    assert not any("slot" in r for r in res.values())
    assert res[booking_store["new"]]["extension"][0]["url"] == RESCHEDULED_FROM_URL
    one_day = _resources(export_bundle(booking_store["path"], now=NOW, slot_days=1), "Slot")
    assert one_day and all(s["start"] < "2026-03-03T12:00:00Z" for s in one_day)


# ------------------------------------------------------------------ Coverage


def test_coverage_is_exported_per_patient_with_a_payer_and_validates(tmp_path: Path) -> None:
    from fhir.resources.R4B.coverage import Coverage

    from coordtui.interop.fhir import VERIFIED_URL

    b = StoreBuilder(tmp_path / "cov.db")
    dr = b.provider("Dr Okafor")
    ada = b.patient("Ada", "Lovelace", payer="Acme Health", member_id="ACM-1", copay_cents=1999)
    bo = b.patient("Bo", "Diddley", payer="Self-pay")
    b.patient("Cy", "Nobody")  # nothing on file: no Coverage
    old = b.patient("Ada", "Lovelace", payer="Acme Health", merged_into=ada)  # a pointer now
    visit = b.appointment(ada, dr, start=START)
    b.close()
    svc = Service(b.path, actor="desk1", clock=lambda: START)
    try:  # verified at check-in, through the real mutation
        svc.check_in(visit, svc.visit_coverage(visit), 1999, "cash")
    finally:
        svc.close()
    text = export_bundle(b.path)
    data = assert_valid_bundle(text)
    kinds = [e["resource"]["resourceType"] for e in data["entry"]]
    assert kinds == ["Practitioner"] + ["Patient"] * 4 + ["Coverage"] * 2 + ["Appointment"]
    covered = {r["beneficiary"]["reference"]: r for r in (e["resource"] for e in data["entry"])
               if r["resourceType"] == "Coverage"}  # fmt: skip
    assert set(covered) == {f"Patient/{ada}", f"Patient/{bo}"} and f"Patient/{old}" not in covered
    present = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in data["entry"]}
    assert set(covered) <= present
    acme = covered[f"Patient/{ada}"]
    Coverage.model_validate(acme)
    assert acme["status"] == "active" and acme["id"] == f"cov-{ada}"
    assert acme["payor"] == [{"display": "Acme Health"}] and acme["subscriberId"] == "ACM-1"
    ((cost,),) = [acme["costToBeneficiary"]]
    assert cost["type"]["coding"][0]["code"] == "copay" and cost["valueMoney"] == {"value": 19.99}
    assert acme["extension"] == [{"url": VERIFIED_URL, "valueDateTime": "2026-03-02T14:30:00Z"}]
    self_pay = covered[f"Patient/{bo}"]
    assert self_pay["payor"] == [{"display": "Self-pay"}]
    assert "subscriberId" not in self_pay and "costToBeneficiary" not in self_pay
    assert "extension" not in self_pay  # never verified
