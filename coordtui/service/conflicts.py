"""Conflicts: changes the clinic server refused, as the Sync screen (F6) lists them.

Each one says what was refused in words (from its args and what the store
knows now) and, for a booking, the times the server offered instead.  Plain
sqlite3 reads through the service's reader (no ORM); nothing here knows
Textual.  Texts returned are plain strings from the store: screens clean them
and render them as rich Text.  The actions on a conflict (rebook, accept,
re-apply) are in coordtui.service.conflict_actions.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import tzinfo
from typing import Any, Protocol

from coordtui.domain.coverage import format_money
from coordtui.domain.days import local, parse_db
from coordtui.read_models.booking import WaitlistRow
from coordtui.read_models.patients import PatientRecord
from coordtui.read_models.queue import ProviderInfo, QueueRow
from coordtui.read_models.sync import BOOKINGS, ConflictView, RebookOption, label
from coordtui.service.sync_state import read_instant
from coordtui.store.reads import Reads


class Desk(Protocol):
    """What the conflict list reads through the service (coordtui.service.Service is one)."""

    reads: Reads

    @property
    def zone(self) -> tzinfo: ...

    def providers(self) -> list[ProviderInfo]: ...

    def patient(self, patient_id: str) -> PatientRecord | None: ...

    def queue_row(self, appointment_id: str) -> QueueRow | None: ...

    def waitlist_entry(self, entry_id: str) -> WaitlistRow | None: ...


_CONFLICT_SQL = (
    "SELECT mutation_id, name, args, reason, detail, client_time, actor, recorded_at, "
    "resolved_at, resolution FROM sync_conflict {where} ORDER BY mutation_id"
)


def conflicts(service: Desk, include_resolved: bool = False) -> list[ConflictView]:
    def read(conn: sqlite3.Connection) -> list[tuple]:
        where = "" if include_resolved else "WHERE resolved_at IS NULL"
        try:
            return conn.execute(_CONFLICT_SQL.format(where=where)).fetchall()
        except sqlite3.OperationalError:
            return []

    providers = {p.id: p.short_name for p in service.providers()}
    out = []
    for row in service.reads.run(read):
        mid, name, raw_args, reason, raw_detail, when, actor, recorded, resolved, resolution = row
        args, detail = _json(raw_args), _json(raw_detail)
        out.append(
            ConflictView(
                mutation_id=mid,
                name=name,
                label=label(name),
                what=describe(service, name, args, providers),
                reason=reason or "Refused by the clinic server.",
                client_time=parse_db(when),
                actor=actor or "",
                recorded_at=parse_db(recorded),
                resolved_at=parse_db(resolved),
                resolution=resolution or "",
                args=args,
                options=tuple(_options(name, detail, providers)),
            )
        )
    return out


def conflict(service: Desk, mutation_id: int) -> ConflictView | None:
    for c in conflicts(service, include_resolved=True):
        if c.mutation_id == mutation_id:
            return c
    return None


def describe(service: Desk, name: str, args: dict[str, Any], providers: dict) -> str:
    """The refused change in words, from its args and what the store knows now."""
    zone = service.zone

    def when(value: Any) -> str:
        moment = read_instant(value)
        return local(moment, zone).strftime("%a %d %b %H:%M") if moment else "?"

    def who(patient_id: Any) -> str:
        record = service.patient(str(patient_id)) if patient_id else None
        return f"{record.family_name}, {record.given_name}" if record else "a patient"

    def by(provider_id: Any) -> str:
        return providers.get(provider_id, "a provider")

    try:
        if name == "book_appointment":
            return (
                f"{who(args.get('patient_id'))} with {by(args.get('provider_id'))}, "
                f"{when(args.get('start'))} ({args.get('type', '')})"
            )
        if name == "reschedule_appointment":
            row = service.queue_row(str(args.get("appointment_id")))
            patient = f"{row.family_name}, {row.given_name}" if row else "an appointment"
            provider = by(args.get("provider_id") or (row.provider_id if row else None))
            return f"Move {patient} to {provider}, {when(args.get('start'))}"
        if name == "book_series":
            dates = [o for o in args.get("occurrences") or [] if isinstance(o, dict)]
            first = when(dates[0].get("start")) if dates else "?"
            return (
                f"{who(args.get('patient_id'))} with {by(args.get('provider_id'))}: "
                f"{len(dates)} dates from {first} ({args.get('type', '')})"
            )
        if name == "book_from_waitlist":
            entry = service.waitlist_entry(str(args.get("entry_id")))
            patient = (
                f"{entry.family_name}, {entry.given_name}" if entry else "a waitlisted patient"
            )
            return f"{patient} with {by(args.get('provider_id'))}, {when(args.get('start'))}"
        if name == "update_patient":
            changed = ", ".join(sorted((args.get("changes") or {}).keys())) or "no fields"
            return f"{who(args.get('patient_id'))}: {changed}"
        if name == "register_patient":
            fields = args.get("fields") or {}
            return f"{fields.get('family_name', '')}, {fields.get('given_name', '')}"
        if name == "check_in":
            return _check_in_text(service, args)
        if name in ("set_status", "undo_status", "add_hand_off"):
            row = service.queue_row(str(args.get("appointment_id")))
            patient = f"{row.family_name}, {row.given_name}" if row else "an appointment"
            target = args.get("to_status")
            return f"{patient} → {target.replace('_', ' ')}" if target else patient
        if "patient_id" in args:
            return who(args.get("patient_id"))
    except (AttributeError, TypeError, ValueError):
        pass
    return label(name)


def _check_in_text(service: Desk, args: dict[str, Any]) -> str:
    """'Lovelace, Ada → arrived; coverage verified; copay 20.00 cash': what the desk did,
    so a copay collected stays in sight when the arrival is refused."""
    row = service.queue_row(str(args.get("appointment_id")))
    parts = [f"{row.family_name}, {row.given_name} → arrived" if row else "Arrival"]
    if isinstance(args.get("coverage"), dict):
        parts.append("coverage verified")
    copay = args.get("copay")
    if isinstance(copay, dict):
        parts.append(
            f"copay {format_money(int(copay.get('amount_cents') or 0))} {copay.get('method')}"
        )
    return "; ".join(parts)


def _options(name: str, detail: dict[str, Any], providers: dict) -> list[RebookOption]:
    if name not in BOOKINGS:
        return []
    if name == "book_series":
        return _series_option(detail, providers)
    out = []
    for alt in detail.get("alternatives") or []:
        try:
            start, end = read_instant(alt["start"]), read_instant(alt["end"])
        except (KeyError, TypeError, ValueError):
            continue
        if start and end:
            pid = str(alt.get("provider_id") or "")
            out.append(RebookOption(pid, providers.get(pid, "?"), start, end))
    return out


def _series_option(detail: dict[str, Any], providers: dict) -> list[RebookOption]:
    """One option: every refused date moved to its nearest free time (if each has one)."""
    moves, first = [], None
    for occ in detail.get("occurrences") or []:
        if occ.get("ok"):
            continue
        alts = occ.get("alternatives") or []
        if not alts:
            return []
        alt = alts[0]
        moves.append((int(occ["index"]), str(alt["start"])))
        if first is None:
            first = alt
    if first is None:
        return []
    pid = str(first.get("provider_id") or "")
    return [
        RebookOption(
            pid,
            providers.get(pid, "?"),
            read_instant(first["start"]),
            read_instant(first["end"]),
            tuple(moves),
        )
    ]


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
