"""FHIR R4 export: the store as a Bundle of Practitioners, Patients and Appointments.

Reads with plain sqlite3 on a read-only connection inside one read
transaction, so a 200,000-patient store exports quickly, without SQLAlchemy,
as one consistent snapshot even while the app is writing.  Every text value
is data: it is copied as is (JSON escapes control characters), never trimmed
or interpreted, and only empty values are left out, because FHIR forbids
empty strings.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from coordtui.domain.days import parse_db
from coordtui.domain.status import FHIR_CODES, Status
from coordtui.store.files import SCHEMA_VERSION, NewerDatabaseError

MRN_SYSTEM = "urn:coordtui:mrn"
LANGUAGE_SYSTEM = "urn:ietf:bcp:47"
INTERPRETER_URL = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"
APPOINTMENT_REASON_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0276"
GENDERS = frozenset({"female", "male", "other", "unknown"})
LEFT_REASON = "left without being seen"
# FHIR invariant app-4: cancelationReason only on cancelled or no-show appointments.
CANCEL_CODES = frozenset({"cancelled", "noshow"})

Resource = dict[str, Any]

_PROVIDERS = "SELECT id, name, active FROM provider ORDER BY id"
_PATIENTS = (
    "SELECT id, record_number, given_name, family_name, preferred_name, dob, sex, phone,"
    " phone_alt, email, address, preferred_language, interpreter_needed, merged_into,"
    " version, updated_at FROM patient ORDER BY id"
)
_APPOINTMENTS = (
    "SELECT id, patient_id, provider_id, start_utc, end_utc, type, reason, kind, priority,"
    " status, cancel_reason, version, created_at, updated_at FROM appointment ORDER BY id"
)


def export_bundle(path: Path) -> str:
    """The whole store as a FHIR R4 collection Bundle in JSON, one entry per line."""
    return "".join(iter_bundle_text(path))


def iter_bundle_text(path: Path) -> Iterator[str]:
    """The Bundle's JSON in pieces, so a caller can write it without holding it all."""
    yield '{"resourceType":"Bundle","type":"collection"'
    first = True
    for resource in iter_resources(path):
        yield (',"entry":[\n' if first else ",\n") + '{"resource":' + _dumps(resource) + "}"
        first = False
    # FHIR forbids empty arrays, so an empty store gets no "entry" at all.
    yield "}\n" if first else "\n]}\n"


def iter_resources(path: Path) -> Iterator[Resource]:
    """Yield Practitioner, then Patient, then Appointment resources, each ordered by id."""
    conn = _connect_read_only(path)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise NewerDatabaseError(
                f"{path} uses schema version {version}, but this coordtui knows only up to "
                f"{SCHEMA_VERSION}. Update coordtui to export it."
            )
        if version == 0:  # a new, empty file: nothing to export
            return
        conn.execute("BEGIN")  # one snapshot across the three tables
        for row in conn.execute(_PROVIDERS):
            yield practitioner(row)
        for row in conn.execute(_PATIENTS):
            yield patient(row)
        for row in conn.execute(_APPOINTMENTS):
            yield appointment(row)
    finally:
        conn.close()


def practitioner(row: sqlite3.Row) -> Resource:
    resource: Resource = {"resourceType": "Practitioner", "id": row["id"]}
    resource["active"] = bool(row["active"])
    if row["name"]:
        resource["name"] = [{"text": row["name"]}]
    return resource


def patient(row: sqlite3.Row) -> Resource:
    resource: Resource = {"resourceType": "Patient", "id": row["id"], "meta": _meta(row)}
    if row["interpreter_needed"]:
        # Only a known need is stated: the store cannot tell "no" from "not asked".
        resource["extension"] = [{"url": INTERPRETER_URL, "valueBoolean": True}]
    if row["record_number"]:
        resource["identifier"] = [{"system": MRN_SYSTEM, "value": row["record_number"]}]
    resource["active"] = row["merged_into"] is None
    given, family = row["given_name"], row["family_name"]
    names = []
    if given or family:
        name: Resource = {"use": "official"}
        if family:
            name["family"] = family
        if given:
            name["given"] = [given]
        name["text"] = " ".join(part for part in (given, family) if part)
        names.append(name)
    if row["preferred_name"]:
        names.append({"use": "usual", "given": [row["preferred_name"]]})
    if names:
        resource["name"] = names
    telecom = []
    for column, system, use in (
        ("phone", "phone", "mobile"),
        ("phone_alt", "phone", "home"),
        ("email", "email", ""),
    ):
        if row[column]:
            point = {"system": system, "value": row[column]}
            if use:
                point["use"] = use
            telecom.append(point)
    if telecom:
        resource["telecom"] = telecom
    resource["gender"] = row["sex"] if row["sex"] in GENDERS else "unknown"
    if row["dob"]:
        resource["birthDate"] = date.fromisoformat(row["dob"]).isoformat()
    if row["address"]:
        resource["address"] = [{"text": row["address"]}]
    language = (row["preferred_language"] or "").strip()  # a code may not carry spaces
    if language:
        resource["communication"] = [
            {
                "language": {"coding": [{"system": LANGUAGE_SYSTEM, "code": language}]},
                "preferred": True,
            }
        ]
    if row["merged_into"]:
        resource["link"] = [
            {"other": {"reference": f"Patient/{row['merged_into']}"}, "type": "replaced-by"}
        ]
    return resource


def appointment(row: sqlite3.Row) -> Resource:
    status = Status(row["status"])
    code = FHIR_CODES[status]
    walk_in = row["kind"] == "walk_in"
    resource: Resource = {
        "resourceType": "Appointment",
        "id": row["id"],
        "meta": _meta(row),
        "status": code,
    }
    reason = row["cancel_reason"] or (LEFT_REASON if status is Status.LEFT else "")
    if reason and code in CANCEL_CODES:
        resource["cancelationReason"] = {"text": reason}
    kind: Resource = {}
    if walk_in:
        kind["coding"] = [{"system": APPOINTMENT_REASON_SYSTEM, "code": "WALKIN"}]
    if row["type"]:
        kind["text"] = row["type"]
    if kind:
        resource["appointmentType"] = kind
    if row["reason"]:
        resource["reasonCode"] = [{"text": row["reason"]}]
    if row["priority"] == "urgent":
        resource["priority"] = 1  # unsignedInt, lower is sooner; routine stays unset (0)
    start, end = parse_db(row["start_utc"]), parse_db(row["end_utc"])
    resource["start"] = _instant(start)
    resource["end"] = _instant(end)
    minutes = int((end - start).total_seconds() // 60)
    if minutes >= 1:  # positiveInt
        resource["minutesDuration"] = minutes
    resource["created"] = _instant(parse_db(row["created_at"]))
    comments = []
    if walk_in:
        comments.append("walk-in")
    if status is Status.ENTERED_IN_ERROR and row["cancel_reason"]:
        comments.append(f"entered in error: {row['cancel_reason']}")
    if comments:
        resource["comment"] = "\n".join(comments)
    resource["participant"] = [
        {"actor": {"reference": f"Patient/{row['patient_id']}"}, "status": "accepted"},
        {"actor": {"reference": f"Practitioner/{row['provider_id']}"}, "status": "accepted"},
    ]
    return resource


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that cannot write, even by mistake; a missing file is an error."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no store at {path}")
    uri = path.resolve().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


def _meta(row: sqlite3.Row) -> Resource:
    return {"versionId": str(row["version"]), "lastUpdated": _instant(parse_db(row["updated_at"]))}


def _instant(moment: datetime) -> str:
    """ISO 8601 in UTC with 'Z', as FHIR instants and dateTimes want."""
    return moment.isoformat().replace("+00:00", "Z")


# One encoder for all resources: json.dumps would build a new one per call.
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
