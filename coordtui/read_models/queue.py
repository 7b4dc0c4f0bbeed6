"""What the first screen reads: the clinic, its providers, the day's queue, and the
walk-in picker's patient brief (coordtui.store.reads fills them all)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class ClinicInfo:
    id: str
    name: str
    timezone: str
    phone_region: str


@dataclass(frozen=True)
class ProviderInfo:
    id: str
    name: str
    short_name: str


@dataclass(frozen=True)
class QueueRow:
    id: str
    start: datetime  # naive UTC
    end: datetime
    patient_id: str
    given_name: str
    family_name: str
    preferred_name: str
    dob: date | None
    phone: str
    record_number: str
    interpreter_needed: bool
    flags: str
    provider_id: str
    provider: str
    type: str
    reason: str
    kind: str
    priority: str
    status: str
    status_since: datetime | None
    arrived_at: datetime | None
    finished_at: datetime | None
    cancel_reason: str
    version: int
    hand_off: str = ""  # hand-off notes for the care team, joined with " · "
    coverage_on_file: bool = False  # a payer is recorded (an insurer or "Self-pay")
    coverage_verified_at: datetime | None = None  # the patient's latest coverage check


@dataclass(frozen=True)
class PatientBrief:
    id: str
    record_number: str
    given_name: str
    family_name: str
    dob: date | None
    phone: str
