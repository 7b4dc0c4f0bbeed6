"""What the Sync screen (F6) and the header show, and the actions on a conflict.

Reads go through the service's plain sqlite3 connection (no ORM); the
actions run the normal service calls (``book``, ``reschedule``,
``update_patient``...) and then mark the conflict resolved.  Nothing here
knows Textual; Service exposes these as ``sync_*`` / ``*_conflict`` methods.
Texts returned are plain strings from the store: screens clean them and
render them as rich Text.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from coordtui.domain.days import local, parse_db
from coordtui.replication.protocol import LAST_ERROR, LAST_OK, LAST_TRY, RECOVERED, TOKEN, URL

if TYPE_CHECKING:
    from coordtui.service import Service


LABELS = {
    "set_status": "Status change",
    "undo_status": "Status undo",
    "add_walk_in": "Walk-in",
    "register_patient": "New patient",
    "update_patient": "Patient edit",
    "merge_patients": "Patient merge",
    "book_appointment": "Booking",
    "reschedule_appointment": "Reschedule",
    "book_series": "Series booking",
    "add_waitlist_entry": "Waitlist entry",
    "close_waitlist_entry": "Waitlist closed",
    "book_from_waitlist": "Booking (waitlist)",
    "set_provider_schedule": "Provider hours",
    "add_schedule_exception": "Leave / extra session",
    "remove_schedule_exception": "Leave removed",
    "log_call": "Call note",
    "amend_call": "Call note amendment",
    "complete_callback": "Callback done",
    "reopen_callback": "Callback reopened",
    "snooze_callback": "Callback snoozed",
    "reassign_callback": "Callback reassigned",
    "set_recall": "Recall set",
    "close_recall": "Recall closed",
    "add_hand_off": "Hand-off note",
    "check_in": "Check-in",
}
BOOKINGS = ("book_appointment", "reschedule_appointment", "book_series", "book_from_waitlist")
REAPPLY = ("update_patient",)  # edits that can be run again on the current record


def label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " ").capitalize())


# ---------------------------------------------------------------- status


@dataclass(frozen=True)
class SyncStatus:
    connected: bool  # enrolled: a server URL and a device token
    url: str
    last_ok: datetime | None  # the last round that finished
    last_error: str  # why the latest round failed; "" when it did not
    last_try: datetime | None
    # The last time the server was found restored from a backup that lacked some of
    # this desk's acknowledged changes, and how many were sent again (0: never).
    recovered_at: datetime | None = None
    recovered: int = 0

    @property
    def online(self) -> bool:
        return self.connected and self.last_ok is not None and not self.last_error


def status(service: Service) -> SyncStatus:
    def read(conn: sqlite3.Connection) -> dict[str, str]:
        keys = (URL, TOKEN, LAST_OK, LAST_ERROR, LAST_TRY, RECOVERED)
        marks = ",".join("?" * len(keys))
        found = conn.execute(f"SELECT key, value FROM meta WHERE key IN ({marks})", keys)
        return {k: v for k, v in found.fetchall() if v}

    meta = service.reads.run(read)
    try:
        recovery = json.loads(meta.get(RECOVERED, "{}"))
    except ValueError:
        recovery = {}
    return SyncStatus(
        connected=bool(meta.get(URL) and meta.get(TOKEN)),
        url=meta.get(URL, ""),
        last_ok=_instant(meta.get(LAST_OK)),
        last_error=meta.get(LAST_ERROR, ""),
        last_try=_instant(meta.get(LAST_TRY)),
        recovered_at=_instant(recovery.get("at")),
        recovered=int(recovery.get("count") or 0),
    )


def conflict_count(service: Service) -> int:
    def read(conn: sqlite3.Connection) -> int:
        try:
            sql = "SELECT count(*) FROM sync_conflict WHERE resolved_at IS NULL"
            return conn.execute(sql).fetchone()[0]
        except sqlite3.OperationalError:  # a store from before sync
            return 0

    return service.reads.run(read)


# --------------------------------------------------------------- pending


@dataclass(frozen=True)
class PendingChange:
    mutation_id: int
    name: str
    label: str
    client_time: datetime | None
    actor: str


def pending(service: Service, limit: int = 200) -> list[PendingChange]:
    """The oldest ``limit`` changes not yet confirmed by the server."""

    def read(conn: sqlite3.Connection) -> list[tuple]:
        sql = (
            "SELECT mutation_id, name, client_time, actor FROM outbox ORDER BY mutation_id LIMIT ?"
        )
        return conn.execute(sql, (limit,)).fetchall()

    return [
        PendingChange(mid, name, label(name), parse_db(when), actor or "")
        for mid, name, when, actor in service.reads.run(read)
    ]


# ------------------------------------------------------------- conflicts


@dataclass(frozen=True)
class RebookOption:
    """One way to rebook: a slot, or (a series) every refused date moved."""

    provider_id: str
    provider: str  # short name
    start: datetime  # aware UTC
    end: datetime
    moves: tuple[tuple[int, str], ...] = ()  # series: (occurrence index, new start ISO)


@dataclass(frozen=True)
class ConflictView:
    mutation_id: int
    name: str
    label: str
    what: str  # the refused change in words
    reason: str
    client_time: datetime | None
    actor: str
    recorded_at: datetime | None
    resolved_at: datetime | None
    resolution: str
    args: dict[str, Any] = field(repr=False, default_factory=dict)
    options: tuple[RebookOption, ...] = ()

    @property
    def can_rebook(self) -> bool:
        return self.resolved_at is None and self.name in BOOKINGS and bool(self.options)

    @property
    def can_reapply(self) -> bool:
        return self.resolved_at is None and self.name in REAPPLY


_CONFLICT_SQL = (
    "SELECT mutation_id, name, args, reason, detail, client_time, actor, recorded_at, "
    "resolved_at, resolution FROM sync_conflict {where} ORDER BY mutation_id"
)


def conflicts(service: Service, include_resolved: bool = False) -> list[ConflictView]:
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


def conflict(service: Service, mutation_id: int) -> ConflictView | None:
    for c in conflicts(service, include_resolved=True):
        if c.mutation_id == mutation_id:
            return c
    return None


def describe(service: Service, name: str, args: dict[str, Any], providers: dict) -> str:
    """The refused change in words, from its args and what the store knows now."""
    zone = service.zone

    def when(value: Any) -> str:
        moment = _instant(value)
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


def _check_in_text(service: Service, args: dict[str, Any]) -> str:
    """'Lovelace, Ada → arrived; coverage verified; copay 20.00 cash': what the desk did,
    so a copay collected stays in sight when the arrival is refused."""
    from coordtui.domain.coverage import format_money

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
            start, end = _instant(alt["start"]), _instant(alt["end"])
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
            _instant(first["start"]),
            _instant(first["end"]),
            tuple(moves),
        )
    ]


# --------------------------------------------------------------- actions


def _open(service: Service, mutation_id: int) -> ConflictView:
    from coordtui.mutations import MutationError

    found = conflict(service, mutation_id)
    if found is None:
        raise MutationError("That conflict is no longer on this workstation.")
    if found.resolved_at is not None:
        raise MutationError(f"Already resolved ({found.resolution}).")
    return found


def _resolve(service: Service, mutation_id: int, resolution: str) -> None:
    from coordtui.sync import local

    local.resolve_conflict(service.engine, mutation_id, resolution, service.now())


def accept(service: Service, mutation_id: int) -> dict[str, Any]:
    """Keep the server's version: nothing to redo (the server's state is already here)."""
    _open(service, mutation_id)
    _resolve(service, mutation_id, "accepted")
    return {"mutation_id": mutation_id, "resolution": "accepted"}


def rebook(service: Service, mutation_id: int, option: int) -> dict[str, Any]:
    """Book the chosen alternative through the normal booking call, then resolve "rebooked"."""
    from coordtui.domain.slots import Slot
    from coordtui.mutations import MutationError

    found = _open(service, mutation_id)
    if not found.can_rebook or not 0 <= option < len(found.options):
        raise MutationError("There is no alternative to book for this change.")
    choice, args = found.options[option], found.args
    if found.name == "book_appointment":
        result = service.book(
            args["patient_id"],
            choice.provider_id,
            choice.start,
            args["type"],
            modality=args.get("modality") or "in_person",
            reason=args.get("reason") or "",
            override=args.get("override") is True,
            end=choice.end,
            priority=args.get("priority") or "routine",
            recall_id=args.get("recall_id"),  # the refused booking was for a recall
        )
    elif found.name == "reschedule_appointment":
        result = service.reschedule(
            args["appointment_id"],
            choice.start,
            choice.provider_id,
            override=args.get("override") is True,
        )
    elif found.name == "book_from_waitlist":
        slot = Slot(choice.provider_id, choice.start, choice.end)
        result = service.book_from_waitlist(
            args["entry_id"], slot, modality=args.get("modality") or "in_person"
        )
    else:  # book_series: the same dates, refused ones moved, all or nothing again
        result = service.run("book_series", _series_args(service, args, dict(choice.moves)))
    _resolve(service, mutation_id, "rebooked")
    return {**result, "resolution": "rebooked"}


def _series_args(service: Service, args: dict[str, Any], moves: dict[int, str]) -> dict:
    from coordtui.ids import new_id

    occurrences = []
    for index, occ in enumerate(args.get("occurrences") or []):
        start = moves.get(index, occ.get("start"))
        occurrences.append(
            {"appointment_id": new_id(), "day": occ.get("day"), "start": start}
            if start
            else {**occ, "appointment_id": new_id()}
        )
    return {
        **args,
        "series_id": new_id(),
        "occurrences": occurrences,
        "at": service.now().isoformat(),
        "horizon_days": service.booking_horizon_days,
    }


def reapply(service: Service, mutation_id: int) -> dict[str, Any]:
    """Run the refused edit again on the record as it is now, then resolve "reapplied"."""
    from coordtui.mutations import MutationError

    found = _open(service, mutation_id)
    if not found.can_reapply:
        raise MutationError("Only an edit can be re-applied; rebook or accept this one.")
    args = found.args
    record = service.patient(str(args.get("patient_id")))
    if record is None:
        raise MutationError("The patient is not on this workstation any more.")
    if record.merged_into:
        raise MutationError("This record was merged into another; edit that one instead.")
    result = service.update_patient(record.id, record.base_version, dict(args.get("changes") or {}))
    _resolve(service, mutation_id, "reapplied")
    return {**result, "resolution": "reapplied"}


# --------------------------------------------------------------- helpers


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _instant(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
