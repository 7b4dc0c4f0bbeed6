"""SQLModel tables: the schema's single source of truth.

Ids are client-made UUID strings (coordtui.ids); instants are aware UTC
datetimes (SQLModel stores them as UTC; on SQLite as text without offset);
the clinic's IANA zone lives on the Clinic row and is applied only
when showing or entering wall-clock times.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Integer, Text
from sqlmodel import Field, SQLModel


class Meta(SQLModel, table=True):
    """Key/value facts about this store (workstation id, current user, ...)."""

    key: str = Field(primary_key=True)
    value: str


class Clinic(SQLModel, table=True):
    id: str = Field(primary_key=True)
    name: str
    timezone: str = "UTC"  # IANA zone, e.g. Africa/Nairobi
    phone_region: str = "US"  # default region for numbers typed without +
    created_at: datetime


class Provider(SQLModel, table=True):
    id: str = Field(primary_key=True)
    clinic_id: str = Field(foreign_key="clinic.id", index=True)
    name: str
    short_name: str  # fits an 80-column board, e.g. "Dr Okafor"
    specialty: str = ""
    # Weekly template, JSON: {"mon": [["08:00","12:00"],["13:00","17:00"]], ...}
    schedule_json: str = "{}"
    slot_minutes: int = 15
    active: bool = True


class Patient(SQLModel, table=True):
    __table_args__ = (Index("ix_patient_family_given", "family_name", "given_name"),)

    id: str = Field(primary_key=True)
    clinic_id: str = Field(foreign_key="clinic.id", index=True)
    record_number: str = Field(unique=True)
    given_name: str
    family_name: str
    preferred_name: str = ""
    dob: date | None = None
    sex: str = "unknown"  # female | male | other | unknown (FHIR AdministrativeGender)
    phone: str = ""  # E.164
    phone_alt: str = ""  # E.164
    email: str = ""
    address: str = ""
    preferred_language: str = ""  # BCP 47 tag, e.g. "es", "sw"
    interpreter_needed: bool = False
    flags: str = ""  # comma-separated: wheelchair, hearing, ...
    payer: str = ""
    member_id: str = ""
    copay_cents: int = 0
    merged_into: str | None = Field(default=None, foreign_key="patient.id")
    version: int = 1
    created_at: datetime
    updated_at: datetime
    updated_by: str = ""


class Appointment(SQLModel, table=True):
    __table_args__ = (
        Index("ix_appointment_start", "start_utc"),
        Index("ix_appointment_provider_start", "provider_id", "start_utc"),
        # Covers the booking checks and the free-slot finder's window query (v4).
        Index("ix_appointment_provider_span", "provider_id", "start_utc", "end_utc", "status"),
    )

    id: str = Field(primary_key=True)
    clinic_id: str = Field(foreign_key="clinic.id")
    patient_id: str = Field(foreign_key="patient.id", index=True)
    provider_id: str = Field(foreign_key="provider.id")
    start_utc: datetime
    end_utc: datetime
    type: str = "Consultation"
    modality: str = "in_person"  # in_person | phone | video
    reason: str = ""
    kind: str = "scheduled"  # scheduled | walk_in
    priority: str = "routine"  # routine | urgent
    status: str = "booked"  # coordtui.domain.status.Status
    status_since: datetime | None = None
    arrived_at: datetime | None = None
    finished_at: datetime | None = None
    cancel_reason: str = ""
    version: int = 1
    created_at: datetime
    created_by: str = ""
    updated_at: datetime
    updated_by: str = ""


class StatusEvent(SQLModel, table=True):
    """Append-only status history; corrections point at the event they revert."""

    __tablename__ = "status_event"
    __table_args__ = (Index("ix_status_event_appt_at", "appointment_id", "at"),)

    id: str = Field(primary_key=True)
    appointment_id: str = Field(foreign_key="appointment.id")
    from_status: str
    to_status: str
    at: datetime
    reason: str = ""
    corrects: str | None = Field(default=None, foreign_key="status_event.id")
    actor: str
    mutation_id: int  # the outbox entry that wrote this row


class PatientEvent(SQLModel, table=True):
    """Append-only patient history: registered, updated, merged.  Field names, not values."""

    __tablename__ = "patient_event"
    __table_args__ = (Index("ix_patient_event_patient_at", "patient_id", "at"),)

    id: str = Field(primary_key=True)
    patient_id: str = Field(foreign_key="patient.id")
    kind: str  # registered | updated | merged_in | merged_away
    at: datetime
    actor: str
    detail: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON
    mutation_id: int


class AppointmentType(SQLModel, table=True):
    """A kind of visit the clinic books (domain: coordtui.domain.slots.AppointmentType).

    Empty until a clinic exists when the v4 migration runs; readers fall
    back to ``DEFAULT_TYPES`` while the table has no rows at all.
    """

    __tablename__ = "appointment_type"

    id: str = Field(primary_key=True)
    clinic_id: str = Field(foreign_key="clinic.id", index=True)
    name: str = Field(unique=True)
    minutes: int  # default duration
    modalities: str = "in_person,phone,video"  # comma list of Modality values
    active: bool = True


class ScheduleException(SQLModel, table=True):
    """Leave, holidays, extra sessions: a change to a provider's weekly template.

    ``closure`` takes time out (the whole day when the times are None);
    ``extra`` adds the session on each day of the range.  Times are clinic
    wall-clock "HH:MM" (``end_time`` may be "24:00").
    """

    __tablename__ = "schedule_exception"
    __table_args__ = (
        Index("ix_schedule_exception_provider_days", "provider_id", "last_day", "first_day"),
    )

    id: str = Field(primary_key=True)
    provider_id: str = Field(foreign_key="provider.id")
    first_day: date
    last_day: date
    start_time: str | None = None
    end_time: str | None = None
    kind: str = "closure"  # closure | extra
    reason: str = ""
    created_at: datetime
    created_by: str = ""


class WaitlistEntry(SQLModel, table=True):
    """A patient waiting for an earlier or any slot of a type, within a date range."""

    __tablename__ = "waitlist_entry"
    __table_args__ = (Index("ix_waitlist_status_days", "status", "earliest", "latest"),)

    id: str = Field(primary_key=True)
    patient_id: str = Field(foreign_key="patient.id", index=True)
    type_name: str
    provider_id: str | None = Field(default=None, foreign_key="provider.id")  # None = anyone
    earliest: date  # clinic-local days, inclusive
    latest: date
    priority: str = "routine"  # routine | urgent
    note: str = ""
    status: str = "open"  # open | offered | booked | closed
    created_at: datetime
    created_by: str = ""
    closed_at: datetime | None = None
    close_reason: str = ""
    appointment_id: str | None = Field(default=None, foreign_key="appointment.id")
    version: int = 1


class AppointmentBooking(SQLModel, table=True):
    """Booking facts of an appointment: series, reschedule links, supervisor override.

    A side table (one row per appointment that has any of these), not columns
    on ``appointment``: the demo and scale seeders write appointment rows with
    an exact column list, and most appointments never need these fields.
    """

    __tablename__ = "appointment_booking"

    appointment_id: str = Field(primary_key=True, foreign_key="appointment.id")
    series_id: str | None = Field(default=None, index=True)
    rescheduled_from: str | None = Field(default=None, foreign_key="appointment.id")
    rescheduled_to: str | None = Field(default=None, foreign_key="appointment.id")
    override_by: str = ""  # actor who used the supervisor override; "" if none


class ProviderBooking(SQLModel, table=True):
    """Per-provider booking rules (a side table for the same reason as AppointmentBooking)."""

    __tablename__ = "provider_booking"

    provider_id: str = Field(primary_key=True, foreign_key="provider.id")
    overbook_allowance: int = 0  # extra appointments allowed to overlap at once


class CallNote(SQLModel, table=True):
    """One phone call, append-only: a correction is a new row whose ``amends`` is the original."""

    __tablename__ = "call_note"
    __table_args__ = (
        Index("ix_call_note_at", "at"),
        Index("ix_call_note_patient_at", "patient_id", "at"),
    )

    id: str = Field(primary_key=True)
    patient_id: str = Field(foreign_key="patient.id")
    appointment_id: str | None = Field(default=None, foreign_key="appointment.id", index=True)
    direction: str  # in | out (coordtui.domain.calls)
    who_kind: str = "patient"  # patient | relative | pharmacy | other clinic | other
    who_name: str = ""
    reason: str = ""
    outcome: str  # resolved | callback needed | left message | no answer | wrong number
    note: str = Field(default="", sa_column=Column(Text, nullable=False))  # stored as typed
    amends: str | None = Field(default=None, foreign_key="call_note.id", index=True)
    at: datetime
    actor: str
    mutation_id: int


class Callback(SQLModel, table=True):
    """A call someone owes a patient; done/undone keeps who and when."""

    __table_args__ = (Index("ix_callback_status_due", "status", "due_at"),)

    id: str = Field(primary_key=True)
    patient_id: str = Field(foreign_key="patient.id", index=True)
    call_note_id: str | None = Field(default=None, foreign_key="call_note.id")
    due_at: datetime
    assignee: str = "anyone"  # "anyone" or a user name
    priority: str = "routine"  # routine | urgent
    status: str = "open"  # open | done
    done_at: datetime | None = None
    done_by: str = ""
    snoozed_until: datetime | None = None
    version: int = 1
    created_at: datetime
    created_by: str = ""


class Recall(SQLModel, table=True):
    """A patient due for follow-up by a date (clinic-local)."""

    __table_args__ = (Index("ix_recall_status_due", "status", "due_date"),)

    id: str = Field(primary_key=True)
    patient_id: str = Field(foreign_key="patient.id", index=True)
    due_date: date
    reason: str = ""
    status: str = "open"  # open | booked | closed
    appointment_id: str | None = Field(default=None, foreign_key="appointment.id")  # the booking
    created_at: datetime
    created_by: str = ""
    closed_at: datetime | None = None


class HandOff(SQLModel, table=True):
    """A short note for the care team on one appointment ("needs interpreter")."""

    __tablename__ = "hand_off"

    id: str = Field(primary_key=True)
    appointment_id: str = Field(foreign_key="appointment.id", index=True)
    note: str
    at: datetime
    actor: str


class CoverageCheck(SQLModel, table=True):
    """Coverage verified at a visit, insert-only: who, when, and what they saw.

    ``payer``/``member_id``/``copay_cents`` are the values the desk confirmed
    (as shown in the arrival step), kept even if the record changes later.
    """

    __tablename__ = "coverage_check"
    __table_args__ = (Index("ix_coverage_check_patient_at", "patient_id", "at"),)

    id: str = Field(primary_key=True)
    patient_id: str = Field(foreign_key="patient.id")
    appointment_id: str | None = Field(default=None, foreign_key="appointment.id", index=True)
    payer: str
    member_id: str = ""
    copay_cents: int = 0
    at: datetime
    actor: str


class CopayPayment(SQLModel, table=True):
    """A copay collected at a visit, insert-only (amount and method; nothing is processed)."""

    __tablename__ = "copay_payment"

    id: str = Field(primary_key=True)
    appointment_id: str = Field(foreign_key="appointment.id", index=True)
    patient_id: str = Field(foreign_key="patient.id", index=True)
    amount_cents: int
    method: str  # coordtui.domain.coverage.METHODS
    at: datetime
    actor: str


class Outbox(SQLModel, table=True):
    """Mutations made here and not yet acknowledged by the clinic server.

    ``mutation_id`` is this workstation's +1-per-mutation counter (SQLite
    AUTOINCREMENT never reuses a value, even after acknowledged rows go).
    """

    __table_args__ = {"sqlite_autoincrement": True}

    mutation_id: int | None = Field(
        default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True)
    )
    name: str
    args: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    client_time: datetime
    actor: str
    # Sent again after the clinic server was restored from a backup that lacked it
    # (coordtui.sync.local); the server logs how many it recovered.
    recovered: bool = Field(default=False)


class SyncSent(SQLModel, table=True):
    """Mutations the clinic server acknowledged, kept for ``SENT_KEEP_DAYS``.

    An acknowledgement only says the server had it then: a server restored from
    an older backup has lost it.  The sign is the server's count of this
    workstation's mutations going below one it acknowledged; these entries are
    then queued again (coordtui.sync.local._recover), so a restore loses
    nothing a workstation still holds.
    """

    __tablename__ = "sync_sent"

    mutation_id: int = Field(primary_key=True)
    name: str
    args: str = Field(sa_column=Column(Text, nullable=False))  # JSON, as pushed
    client_time: datetime
    actor: str
    acknowledged_at: datetime = Field(index=True)


class SyncUndo(SQLModel, table=True):
    """Pre-images of rows a not-yet-acknowledged mutation changed on this workstation.

    A pull rolls pending mutations back to the server's state with these,
    applies the server's rows, then runs the still-pending mutations again
    (the Replicache "rebase").  ``image`` is the row as JSON before the
    mutation, or NULL when the mutation created the row.
    """

    __tablename__ = "sync_undo"
    # The patient card asks for a row's oldest pre-image (its base for an edit).
    __table_args__ = (Index("ix_sync_undo_row", "table_name", "row_key"),)

    mutation_id: int = Field(primary_key=True)
    seq: int = Field(primary_key=True)
    table_name: str
    row_key: str
    image: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class SyncConflict(SQLModel, table=True):
    """A change of ours the clinic server refused: kept until a person acts on it."""

    __tablename__ = "sync_conflict"

    mutation_id: int = Field(primary_key=True)  # the refused outbox entry
    name: str
    args: str = Field(sa_column=Column(Text, nullable=False))  # JSON, as pushed
    reason: str
    detail: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON
    client_time: datetime
    actor: str
    recorded_at: datetime
    resolved_at: datetime | None = None
    resolution: str = ""  # rebooked | accepted | reapplied | dismissed
