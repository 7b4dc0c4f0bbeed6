"""Small, exact stores for tests: a clinic built row by row with known facts.

Tests that need realism use coordtui.demo; tests that assert exact figures
use these builders so every row is visible in the test.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from coordtui.ids import new_id
from coordtui.store import search
from coordtui.store.db import open_store
from coordtui.store.models import (
    Appointment,
    Clinic,
    CopayPayment,
    CoverageCheck,
    Meta,
    Patient,
    Provider,
    StatusEvent,
)

# Opening hours that never get in the way: every day, all day.
ALL_DAY = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def utcnow() -> datetime:
    return datetime.now(UTC)


class StoreBuilder:
    """Build a store with a clinic; add providers, patients and appointments."""

    def __init__(self, path: Path, zone: str = "UTC"):
        self.path = path
        self.engine = open_store(path)
        self.now = utcnow()
        self.clinic_id = new_id()
        with Session(self.engine) as s:
            s.add(
                Clinic(
                    id=self.clinic_id,
                    name="Test Clinic",
                    timezone=zone,
                    phone_region="US",
                    created_at=self.now,
                )
            )
            s.add(Meta(key="clinic_id", value=self.clinic_id))
            s.commit()

    def provider(self, short_name: str = "Dr Test", hours: dict | None = None) -> str:
        """``hours``: a weekly template like ALL_DAY (none: no bookable hours)."""
        pid = new_id()
        with Session(self.engine) as s:
            s.add(
                Provider(
                    id=pid,
                    clinic_id=self.clinic_id,
                    name=short_name,
                    short_name=short_name,
                    **({"schedule_json": json.dumps(hours)} if hours else {}),
                )
            )
            s.commit()
        return pid

    def patient(self, given: str = "Ada", family: str = "Lovelace", **fields) -> str:
        pid = new_id()
        with Session(self.engine) as s:
            s.add(
                Patient(
                    id=pid,
                    clinic_id=self.clinic_id,
                    record_number=fields.pop("record_number", "MRN" + pid[-7:]),
                    given_name=given,
                    family_name=family,
                    created_at=self.now,
                    updated_at=self.now,
                    **fields,
                )
            )
            s.flush()  # then index it for lookup, as registration would
            search.index_patient(s.connection().connection.driver_connection, pid)
            s.commit()
        return pid

    def appointment(
        self,
        patient_id: str,
        provider_id: str,
        start: datetime | None = None,
        minutes: int = 15,
        status: str = "booked",
        **fields,
    ) -> str:
        aid = new_id()
        start = start or self.now + timedelta(minutes=30)
        with Session(self.engine) as s:
            appt = Appointment(
                id=aid,
                clinic_id=self.clinic_id,
                patient_id=patient_id,
                provider_id=provider_id,
                start_utc=start,
                end_utc=start + timedelta(minutes=minutes),
                status=status,
                created_at=self.now,
                updated_at=self.now,
                **fields,
            )
            s.add(appt)
            if status != "booked":
                at = fields.get("status_since") or self.now
                s.flush()
                s.add(
                    StatusEvent(
                        id=new_id(),
                        appointment_id=aid,
                        from_status="booked",
                        to_status=status,
                        at=at,
                        actor="builder",
                        mutation_id=0,
                    )
                )
            s.commit()
        return aid

    def coverage_check(self, patient_id: str, at: datetime, actor: str = "desk2", **fields) -> str:
        """A coverage verification on record (payer etc. default to the patient's)."""
        cid = new_id()
        with Session(self.engine) as s:
            patient = s.get(Patient, patient_id)
            values = {"payer": patient.payer, "member_id": patient.member_id}
            values["copay_cents"] = patient.copay_cents
            s.add(
                CoverageCheck(
                    id=cid, patient_id=patient_id, at=at, actor=actor, **{**values, **fields}
                )
            )
            s.commit()
        return cid

    def copay_payment(self, appointment_id: str, cents: int = 2000, method: str = "cash") -> str:
        """A copay collected at this appointment, at its start."""
        pid = new_id()
        with Session(self.engine) as s:
            appt = s.get(Appointment, appointment_id)
            s.add(
                CopayPayment(
                    id=pid, appointment_id=appointment_id, patient_id=appt.patient_id,
                    amount_cents=cents, method=method, at=appt.start_utc, actor="builder",
                )
            )  # fmt: skip
            s.commit()
        return pid

    def close(self) -> None:
        self.engine.dispose()
