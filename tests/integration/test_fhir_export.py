"""FHIR export: a tiny exact store round-trips into a Bundle that fhir.resources accepts.

fhir.resources 8.x ships R5 at the top level; R4B is its R4-compatible package
(same Patient/Appointment/Practitioner shape), so that is what we validate against.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle

from coordtui.domain.status import FHIR_CODES, Status
from coordtui.interop.fhir import INTERPRETER_URL, export_bundle, iter_resources
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
    for entry in data["entry"]:
        res = entry["resource"]
        refs = [p["actor"]["reference"] for p in res.get("participant", [])]
        refs += [link["other"]["reference"] for link in res.get("link", [])]
        assert set(refs) <= present, (res["id"], refs)
        if res["resourceType"] == "Appointment":
            assert res["status"] in R4_APPOINTMENT_STATUS
        if res["resourceType"] == "Patient":
            assert res["gender"] in GENDERS
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
    generate_demo = getattr(pytest.importorskip("coordtui.demo"), "generate_demo", None)
    if generate_demo is None:
        pytest.skip("coordtui.demo.generate_demo is not written yet")
    path = tmp_path / "demo.db"
    generate_demo(path)
    text = export_bundle(path)
    data = assert_valid_bundle(text)
    codes = set(FHIR_CODES.values())
    appointments = [
        e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "Appointment"
    ]
    assert appointments and all(a["status"] in codes for a in appointments)
