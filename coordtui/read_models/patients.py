"""Patients: the card (record, appointments, history), Lookup's search hits and
possible duplicates.  Not needed to start the app (the pickers' brief is in
``queue``): the store modules that fill these are imported on first use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class PatientRecord:
    id: str
    record_number: str
    given_name: str
    family_name: str
    preferred_name: str
    dob: date | None
    sex: str
    phone: str
    phone_alt: str
    email: str
    address: str
    preferred_language: str
    interpreter_needed: bool
    flags: str
    payer: str
    member_id: str
    copay_cents: int
    merged_into: str | None
    version: int
    created_at: datetime | None
    updated_at: datetime | None
    updated_by: str
    # The version of the server's state under this desk's unsynced edits: what an
    # edit made now is based on (None: the record itself is not synced yet).
    base_version: int | None = None

    def editable(self) -> dict[str, object]:
        """The fields a form edits, as the domain validator names them."""
        from coordtui.domain.patient import EDITABLE

        return {name: getattr(self, name) for name in EDITABLE}


@dataclass(frozen=True)
class PatientAppointment:
    id: str
    start: datetime
    end: datetime
    provider: str
    type: str
    status: str
    reason: str
    kind: str


@dataclass(frozen=True)
class PatientHistoryEntry:
    kind: str
    at: datetime
    actor: str
    detail: dict


@dataclass(frozen=True)
class Hit:
    patient_id: str
    record_number: str
    given_name: str
    family_name: str
    preferred_name: str
    dob: date | None
    phone: str  # E.164
    score: float  # 1.0 whole name exact; <= 0.9 by tier, lower for prefixes, typos, sound-alikes
    # name, dob, phone, record, initial_last4, merged_record, typo, sounds_like, transliterated
    matched: tuple[str, ...]
    next_appointment: datetime | None  # aware UTC; booked, or arrived / in room, not over
    # The record number, as stored, of a record merged into this one that the query
    # named (matched has "merged_record"): the desk sees why another number came up.
    merged_record: str = ""


@dataclass(frozen=True)
class Candidate:
    patient_id: str
    record_number: str
    given_name: str
    family_name: str
    dob: date | None
    phone: str
    score: int
    reasons: tuple[str, ...]
