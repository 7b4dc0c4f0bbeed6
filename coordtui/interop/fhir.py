"""FHIR R4 export: the store as a Bundle of Practitioners, Schedules, Patients,
Coverages, Appointments and Slots.

Reads with plain sqlite3 on a read-only connection inside one read
transaction, so a 200,000-patient store exports quickly, without SQLAlchemy,
as one consistent snapshot even while the app is writing.  Every text value
is data: it is copied as is (JSON escapes control characters), never trimmed
or interpreted, and only empty values are left out, because FHIR forbids
empty strings.

Schedules and Slots cover a short window from the export time (``now``,
``slot_days``): one Schedule per active provider who has hours, and one Slot
per step of the provider's grid inside their availability (weekly template
and schedule exceptions), busy where an active appointment overlaps it.  For
a given store and ``now`` the export is the same byte for byte.

Coverage: one per patient with a payer on file (merged-away records left out:
the surviving record holds the coverage), with the latest verification at
check-in as an extension.  Copays collected are not exported: they are a
front-desk cash record, not a FHIR claim or payment.
"""

from __future__ import annotations

import json
import sqlite3
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import accumulate
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from coordtui.domain.days import db_text, local, parse_db
from coordtui.domain.instants import iso_z
from coordtui.domain.schedule import DAY_NAMES, Interval, WeeklyTemplate, zone_name
from coordtui.domain.slots import DEFAULT_SLOT_MINUTES
from coordtui.domain.status import FHIR_CODES, Status
from coordtui.store import booking_reads
from coordtui.store.files import SCHEMA_VERSION, NewerDatabaseError

MRN_SYSTEM = "urn:coordtui:mrn"
LANGUAGE_SYSTEM = "urn:ietf:bcp:47"
INTERPRETER_URL = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"
APPOINTMENT_REASON_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0276"
GENDERS = frozenset({"female", "male", "other", "unknown"})
LEFT_REASON = "left without being seen"
# FHIR invariant app-4: cancelationReason only on cancelled or no-show appointments.
CANCEL_CODES = frozenset({"cancelled", "noshow"})
# R4 Appointment has no "replaces" element, so the reschedule link is an extension.
RESCHEDULED_FROM_URL = "urn:coordtui:rescheduled-from"
RESCHEDULED_TO_URL = "urn:coordtui:rescheduled-to"
RESCHEDULED = "rescheduled"
SLOT_DAYS = 14  # how far ahead Slots are exported by default
BOOKING_SCHEMA = 4  # the store version that has schedule exceptions and booking links
CALLS_SCHEMA = 5  # call_note and callback tables
COVERAGE_SCHEMA = 8  # coverage_check (verifications at check-in)
VERIFIED_URL = "urn:coordtui:coverage-verified"  # when the front desk last confirmed it
COPAY_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/coverage-copay-type"

Resource = dict[str, Any]

_PROVIDERS = "SELECT id, name, active FROM provider ORDER BY id"
_PATIENTS = (
    "SELECT id, record_number, given_name, family_name, preferred_name, dob, sex, phone,"
    " phone_alt, email, address, preferred_language, interpreter_needed, merged_into,"
    " version, updated_at FROM patient ORDER BY id"
)
_COVERAGE = (
    "SELECT p.id, p.payer, p.member_id, p.copay_cents, {verified} AS verified_at"
    " FROM patient p WHERE p.payer != '' AND p.merged_into IS NULL ORDER BY p.id"
)
_VERIFIED = "(SELECT max(c.at) FROM coverage_check c WHERE c.patient_id = p.id)"
_APPOINTMENTS = (
    "SELECT id, patient_id, provider_id, start_utc, end_utc, type, reason, kind, priority,"
    " status, cancel_reason, version, created_at, updated_at FROM appointment ORDER BY id"
)
_LINKS = (
    "SELECT appointment_id, rescheduled_from, rescheduled_to FROM appointment_booking"
    " WHERE rescheduled_from IS NOT NULL OR rescheduled_to IS NOT NULL"
)


def export_bundle(path: Path, *, now: datetime | None = None, slot_days: int = SLOT_DAYS) -> str:
    """The whole store as a FHIR R4 collection Bundle in JSON, one entry per line.

    ``now`` (default: the current time) starts the Schedule/Slot window of
    ``slot_days`` days; ``slot_days=0`` leaves Schedules and Slots out.
    """
    return "".join(iter_bundle_text(path, now=now, slot_days=slot_days))


def iter_bundle_text(
    path: Path, *, now: datetime | None = None, slot_days: int = SLOT_DAYS
) -> Iterator[str]:
    """The Bundle's JSON in pieces, so a caller can write it without holding it all."""
    yield '{"resourceType":"Bundle","type":"collection"'
    first = True
    for resource in iter_resources(path, now=now, slot_days=slot_days):
        yield (',"entry":[\n' if first else ",\n") + '{"resource":' + _dumps(resource) + "}"
        first = False
    # FHIR forbids empty arrays, so an empty store gets no "entry" at all.
    yield "}\n" if first else "\n]}\n"


def iter_resources(
    path: Path, *, now: datetime | None = None, slot_days: int = SLOT_DAYS
) -> Iterator[Resource]:
    """Yield Practitioner, Schedule, Patient, Coverage, Appointment, Slot, then Communication
    and Task."""
    if slot_days < 0:
        raise ValueError("slot_days must be 0 or more")
    now = datetime.now(UTC) if now is None else now
    now = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(UTC)
    now = now.replace(microsecond=0)
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
        conn.execute("BEGIN")  # one snapshot across all the tables
        for row in conn.execute(_PROVIDERS):
            yield practitioner(row)
        booking = version >= BOOKING_SCHEMA
        plan = _plan_slots(conn, now, slot_days) if booking and slot_days else _SlotPlan()
        yield from plan.schedules
        for row in conn.execute(_PATIENTS):
            yield patient(row)
        verified = _VERIFIED if version >= COVERAGE_SCHEMA else "NULL"
        for row in conn.execute(_COVERAGE.format(verified=verified)):
            yield coverage(row)
        links = {r[0]: (r[1], r[2]) for r in conn.execute(_LINKS)} if booking else {}
        for row in conn.execute(_APPOINTMENTS):
            moved_from, moved_to = links.get(row["id"], (None, None))
            slots = plan.slots_for(row) if row["status"] == Status.BOOKED else ()
            yield appointment(
                row, rescheduled_from=moved_from, rescheduled_to=moved_to, slots=slots
            )
        yield from plan.slots
        if version >= CALLS_SCHEMA:  # Communication (calls) and Task (callbacks)
            from coordtui.interop.fhir_calls import call_resources

            yield from call_resources(conn)
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


def coverage(row: sqlite3.Row) -> Resource:
    """The patient's coverage as recorded: payer (by name), member id, copay."""
    resource: Resource = {"resourceType": "Coverage", "id": f"cov-{row['id']}"}
    if row["verified_at"]:
        resource["extension"] = [
            {"url": VERIFIED_URL, "valueDateTime": iso_z(parse_db(row["verified_at"]))}
        ]
    resource["status"] = "active"
    if row["member_id"]:
        resource["subscriberId"] = row["member_id"]
    resource["beneficiary"] = {"reference": f"Patient/{row['id']}"}
    resource["payor"] = [{"display": row["payer"]}]
    if row["copay_cents"]:
        copay = {"coding": [{"system": COPAY_TYPE_SYSTEM, "code": "copay"}]}
        money = {"value": row["copay_cents"] / 100}
        resource["costToBeneficiary"] = [{"type": copay, "valueMoney": money}]
    return resource


def appointment(
    row: sqlite3.Row,
    *,
    rescheduled_from: str | None = None,
    rescheduled_to: str | None = None,
    slots: Sequence[str] = (),
) -> Resource:
    """An Appointment; the reschedule links and the Slot ids it fills are passed in."""
    status = Status(row["status"])
    code = FHIR_CODES[status]
    walk_in = row["kind"] == "walk_in"
    resource: Resource = {
        "resourceType": "Appointment",
        "id": row["id"],
        "meta": _meta(row),
    }
    extensions = [
        {"url": url, "valueReference": {"reference": f"Appointment/{other}"}}
        for url, other in (
            (RESCHEDULED_FROM_URL, rescheduled_from),
            (RESCHEDULED_TO_URL, rescheduled_to),
        )
        if other
    ]
    if extensions:
        resource["extension"] = extensions
    resource["status"] = code
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
    resource["start"] = iso_z(start)
    resource["end"] = iso_z(end)
    minutes = int((end - start).total_seconds() // 60)
    if minutes >= 1:  # positiveInt
        resource["minutesDuration"] = minutes
    if slots:
        resource["slot"] = [{"reference": f"Slot/{slot_id}"} for slot_id in slots]
    resource["created"] = iso_z(parse_db(row["created_at"]))
    comments = []
    if walk_in:
        comments.append("walk-in")
    if status is Status.ENTERED_IN_ERROR and row["cancel_reason"]:
        comments.append(f"entered in error: {row['cancel_reason']}")
    if rescheduled_to and RESCHEDULED not in comments:
        comments.append(RESCHEDULED)
    if comments:
        resource["comment"] = "\n".join(comments)
    resource["participant"] = [
        {"actor": {"reference": f"Patient/{row['patient_id']}"}, "status": "accepted"},
        {"actor": {"reference": f"Practitioner/{row['provider_id']}"}, "status": "accepted"},
    ]
    return resource


# ------------------------------------------------------- schedules and slots


@dataclass
class _ProviderSlots:
    """One provider's exported Slots, in time order, for the Appointment.slot lookup."""

    starts: list[datetime] = field(default_factory=list)
    ends: list[datetime] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)


@dataclass
class _SlotPlan:
    """The Schedules and Slots of the export window, and what booked appointments fill."""

    schedules: list[Resource] = field(default_factory=list)
    slots: list[Resource] = field(default_factory=list)
    by_provider: dict[str, _ProviderSlots] = field(default_factory=dict)
    lo_text: str = ""
    hi_text: str = ""

    def slots_for(self, row: sqlite3.Row) -> list[str]:
        """Ids of the provider's exported Slots that this appointment overlaps."""
        grid = self.by_provider.get(row["provider_id"])
        # Cheap text test first (store text sorts like time): most rows are outside.
        if not grid or row["end_utc"] <= self.lo_text or row["start_utc"] >= self.hi_text:
            return []
        start, end = parse_db(row["start_utc"]), parse_db(row["end_utc"])
        first = bisect_right(grid.ends, start)
        last = bisect_left(grid.starts, end)
        return grid.ids[first:last]


def _plan_slots(conn: sqlite3.Connection, now: datetime, slot_days: int) -> _SlotPlan:
    """Schedules and Slots from ``now`` for ``slot_days`` days, in the clinic's zone."""
    zone = _clinic_zone(conn)
    setups = [s for s in booking_reads.provider_setups(conn) if s.active]
    if zone is None or not setups:
        return _SlotPlan()
    lo, hi = now, now + timedelta(days=slot_days)
    plan = _SlotPlan(lo_text=db_text(lo), hi_text=db_text(hi))
    first_day, last_day = local(lo, zone).date(), local(hi, zone).date()
    avail = booking_reads.availability_by_provider(conn, setups, first_day, last_day, zone)
    setups = [s for s in setups if avail[s.id] or _has_hours(s.template)]
    busy = booking_reads.busy_by_provider(conn, [s.id for s in setups], lo, hi)
    horizon = {"start": iso_z(lo), "end": iso_z(hi)}
    # Providers share the clinic's grid, so a few hundred instants recur across many
    # slots: format each once (instant text, id part).
    texts: dict[datetime, tuple[str, str]] = {}
    for setup in setups:  # by provider id, so Schedules and Slots come out sorted by id
        schedule_id = f"sched-{setup.id}"
        schedule: Resource = {
            "resourceType": "Schedule",
            "id": schedule_id,
            "active": True,
            "actor": [{"reference": f"Practitioner/{setup.id}"}],
            "planningHorizon": dict(horizon),
        }
        hours = _template_text(setup.template)
        if hours:
            schedule["comment"] = f"Weekly hours ({zone_name(zone)}): {hours}"
        plan.schedules.append(schedule)
        step = timedelta(
            minutes=setup.slot_minutes if setup.slot_minutes > 0 else DEFAULT_SLOT_MINUTES
        )
        grid = _ProviderSlots()
        schedule_ref = f"Schedule/{schedule_id}"
        taken = sorted((b.start, b.end) for b in busy[setup.id])
        taken_starts = [s for s, _ in taken]
        latest_end = list(accumulate((e for _, e in taken), max))  # running max of ends
        for start, end in _grid(avail[setup.id], step, lo, hi):
            # Appointments starting before the slot ends overlap it iff one ends after its start.
            i = bisect_left(taken_starts, end)
            status = "busy" if i and latest_end[i - 1] > start else "free"
            start_text, start_key = texts.get(start) or texts.setdefault(start, _texts(start))
            end_text = (texts.get(end) or texts.setdefault(end, _texts(end)))[0]
            slot_id = f"slot-{setup.id}-{start_key}"
            plan.slots.append(
                {
                    "resourceType": "Slot",
                    "id": slot_id,
                    "schedule": {"reference": schedule_ref},
                    "status": status,
                    "start": start_text,
                    "end": end_text,
                }
            )
            grid.starts.append(start)
            grid.ends.append(end)
            grid.ids.append(slot_id)
        plan.by_provider[setup.id] = grid
    return plan


def _grid(
    intervals: list[Interval], step: timedelta, lo: datetime, hi: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """Slots of ``step`` inside the intervals and [lo, hi), on the grid from each start.

    Overlapping intervals are merged first, so slot starts strictly increase
    (and Slot ids, which carry the start, stay unique).
    """
    merged: list[list[datetime]] = []
    for iv in sorted(intervals, key=lambda iv: iv.start):
        if merged and iv.start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], iv.end)
        else:
            merged.append([iv.start, iv.end])
    for a, z in merged:
        s = a if a >= lo else a + -(-(lo - a) // step) * step  # first grid start >= lo
        last = min(z, hi) - step
        while s <= last:
            yield s, s + step
            s += step


def _texts(moment: datetime) -> tuple[str, str]:
    return iso_z(moment), f"{moment:%Y%m%dT%H%M}"


def _clinic_zone(conn: sqlite3.Connection) -> tzinfo | None:
    """The clinic's zone, or None when there is no clinic or its zone is unknown here."""
    row = conn.execute("SELECT timezone FROM clinic LIMIT 1").fetchone()
    if row is None:
        return None
    try:
        return ZoneInfo(row[0] or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return None  # wall-clock sessions cannot be placed without the zone: no slots


def _has_hours(template: WeeklyTemplate) -> bool:
    return any(template.days)


def _template_text(template: WeeklyTemplate) -> str:
    """'Monday 08:00-12:00, 13:00-17:00; Wednesday 09:00-13:00'."""
    return "; ".join(
        f"{name} {', '.join(s.label for s in sessions)}"
        for name, sessions in zip(DAY_NAMES, template.days, strict=True)
        if sessions
    )


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
    return {"versionId": str(row["version"]), "lastUpdated": iso_z(parse_db(row["updated_at"]))}


# One encoder for all resources: json.dumps would build a new one per call.
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
