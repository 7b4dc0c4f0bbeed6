"""Patient mutations: register, update (field-level, edits made elsewhere since are
kept), merge duplicates.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, select

from coordtui.domain.instants import instant
from coordtui.domain.patient import validate_patient
from coordtui.mutations.common import (
    add_patient_event,
    get_or_refuse,
    reindex_patients,
    the_clinic,
    touch_row,
)
from coordtui.mutations.core import Context, MutationError, mutation
from coordtui.store.models import (
    Appointment,
    Patient,
    PatientEvent,
)


@mutation
def register_patient(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Create a patient; ``args`` holds ``patient_id``, ``record_number``, ``at`` and fields."""
    clinic = the_clinic(session)
    at = instant(args["at"])
    fields = {k: v for k, v in args.get("fields", {}).items()}
    checked = validate_patient(fields, at.date(), clinic.phone_region)
    if not checked.ok:
        raise MutationError("Please correct the highlighted fields.", errors=checked.errors)
    record_number = str(args.get("record_number") or "").strip()
    if not record_number:
        raise MutationError("A record number is required.", field="record_number")
    taken = session.exec(select(Patient.id).where(Patient.record_number == record_number)).first()
    if taken:
        raise MutationError("This record number is already in use.", field="record_number")
    values: dict[str, Any] = {k: v for k, v in checked.values.items() if k != "record_number"}
    patient = Patient(
        id=args["patient_id"],
        clinic_id=clinic.id,
        record_number=record_number,
        created_at=at,
        updated_at=at,
        updated_by=ctx.actor,
        **values,
    )
    session.add(patient)
    overridden = [str(x) for x in args.get("duplicates_overridden", [])]
    add_patient_event(
        session,
        args.get("event_id") or f"{patient.id}:registered",
        patient.id,
        "registered",
        at,
        ctx,
        duplicates_overridden=overridden,
    )
    reindex_patients(session, patient.id)
    return {"patient_id": patient.id}


def _fields_changed_since(
    session: Session, patient: Patient, base: int, own: frozenset[str]
) -> set[str] | None:
    """Fields others changed on ``patient`` after version ``base``; None when that
    cannot be told.

    Each ``updated`` event records the version it made, its field names and its
    origin, so versions ``base+1 .. current`` should each have one.  If any is
    missing (an event written before versions were recorded, a merge, a base
    this record never had), what changed is unknown and the caller treats it as
    a clash.  Versions made by an ``own`` origin count as seen: the same desk's
    earlier (maybe still unsynced) edits.  Event times are no substitute: they
    are the editing workstation's clock, and offline edits reach the server in
    any order.
    """
    if base > patient.version:
        return None
    wanted = set(range(base + 1, patient.version + 1))
    found: dict[int, set[str]] = {}
    details = session.exec(
        select(PatientEvent.detail).where(
            PatientEvent.patient_id == patient.id, PatientEvent.kind == "updated"
        )
    )
    for raw in details:
        detail = json.loads(raw or "{}")
        version = detail.get("version")
        if isinstance(version, int) and version in wanted:
            fields = found.setdefault(version, set())
            if detail.get("origin") not in own:
                fields.update(str(f) for f in detail.get("fields") or [])
    if set(found) != wanted:
        return None
    return set().union(*found.values())


@mutation
def update_patient(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Apply field changes made against ``base_version``.

    ``base_version`` is the version of the server's state the edit was made on
    (PatientRecord.base_version: without this desk's unsynced edits), so that it
    means the same on the server as here.  A stale edit (the record moved on
    since) still applies when none of the fields it changes were changed in
    between by others: disjoint edits merge.  If they overlap, or what changed in between is unknown, it is
    refused naming the fields (never their values), and after sync the refusal
    is a conflict for a person to settle.
    """
    clinic = the_clinic(session)
    patient = get_or_refuse(session, Patient, args["patient_id"], "Patient")
    at = instant(args["at"])
    base = args.get("base_version")
    base = None if base is None else int(base)
    checked = validate_patient(
        dict(args.get("changes", {})), at.date(), clinic.phone_region, partial=True
    )
    if not checked.ok:
        raise MutationError("Please correct the highlighted fields.", errors=checked.errors)
    changed = sorted(k for k, v in checked.values.items() if getattr(patient, k) != v)
    if not changed:
        return {"patient_id": patient.id, "version": patient.version, "changed": []}
    if base is not None and base != patient.version:
        since = _fields_changed_since(session, patient, base, ctx.own)
        if since is None:
            raise MutationError(
                "This patient was changed elsewhere since you opened it; reopen to see the changes."
            )
        clash = sorted(since.intersection(changed))
        if clash:
            raise MutationError(
                f"Fields changed elsewhere since you opened this record: {', '.join(clash)}. "
                "Reopen it to see the current values, then edit again.",
                errors={name: "Changed elsewhere since you opened this record." for name in clash},
            )
    if "record_number" in changed:
        taken = session.exec(
            select(Patient.id).where(
                Patient.record_number == checked.values["record_number"], Patient.id != patient.id
            )
        ).first()
        if taken:
            raise MutationError("This record number is already in use.", field="record_number")
    for name in changed:
        setattr(patient, name, checked.values[name])
    touch_row(patient, ctx, at)
    extra: dict[str, Any] = {} if base is None else {"base": base}
    if ctx.origin:
        extra["origin"] = ctx.origin
    add_patient_event(
        session,
        args.get("event_id") or f"{patient.id}:v{patient.version}",
        patient.id,
        "updated",
        at,
        ctx,
        fields=changed,
        version=patient.version,
        **extra,
    )
    reindex_patients(session, patient.id)
    return {"patient_id": patient.id, "version": patient.version, "changed": changed}


@mutation
def merge_patients(session: Session, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Fold a duplicate record into the surviving one: a deliberate, recorded act.

    Appointments move to the survivor; the absorbed record stays as a pointer
    (``merged_into``) so anything that still refers to it can be followed.
    """
    survivor = get_or_refuse(session, Patient, args["survivor_id"], "Patient")
    absorbed = get_or_refuse(session, Patient, args["absorbed_id"], "Patient")
    if survivor.id == absorbed.id:
        raise MutationError("A record cannot be merged into itself.")
    if survivor.merged_into or absorbed.merged_into:
        raise MutationError("One of these records was already merged; reopen the surviving one.")
    at = instant(args["at"])
    moved = list(session.exec(select(Appointment).where(Appointment.patient_id == absorbed.id)))
    for appointment in moved:
        appointment.patient_id = survivor.id
        touch_row(appointment, ctx, at)
    absorbed.merged_into = survivor.id
    touch_row(absorbed, ctx, at)
    touch_row(survivor, ctx, at)
    add_patient_event(
        session,
        args["event_ids"][0],
        survivor.id,
        "merged_in",
        at,
        ctx,
        other=absorbed.id,
        other_record=absorbed.record_number,
        appointments_moved=len(moved),
    )
    add_patient_event(
        session,
        args["event_ids"][1],
        absorbed.id,
        "merged_away",
        at,
        ctx,
        other=survivor.id,
        other_record=survivor.record_number,
        appointments_moved=len(moved),
    )
    reindex_patients(session, survivor.id, absorbed.id)
    return {"patient_id": survivor.id, "appointments_moved": len(moved)}
