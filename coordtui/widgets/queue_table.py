"""The day's queue as a table that updates in place.

``show`` diffs against what is on screen: when the same appointments are
listed in the same order only changed cells are rewritten, so live wait
updates and other workstations' changes never move the cursor.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.widgets import DataTable

from coordtui.domain.days import format_dob, local
from coordtui.domain.patient import initials
from coordtui.domain.status import LABELS, SYMBOLS, Status
from coordtui.domain.text import clean
from coordtui.domain.waits import compute_wait, format_minutes
from coordtui.store.reads import QueueRow

NARROW = (
    ("time", "Time", 5),
    ("flags", "", 2),
    ("patient", "Patient", 21),
    ("provider", "Provider", 10),
    ("type", "Type", 10),
    ("status", "Status", 11),
    ("waited", "Wait", 6),
)
WIDE_EXTRA = (
    ("dob", "DOB", 16),
    ("mrn", "Record", 10),
    ("arrived", "Arrived", 7),
    ("reason", "Reason", 24),
)
WIDE_AT = 120

# (style with colour, style without): the symbol and label carry the meaning.
STATUS_STYLES = {
    Status.BOOKED: ("", ""),
    Status.ARRIVED: ("bold yellow", "bold"),
    Status.IN_ROOM: ("bold green", "bold"),
    Status.DONE: ("dim", "dim"),
    Status.NO_SHOW: ("italic red", "italic"),
    Status.CANCELLED: ("dim strike", "dim strike"),
    Status.LEFT: ("italic red", "italic"),
    Status.ENTERED_IN_ERROR: ("dim strike", "dim strike"),
}
LONG_WAIT = ("bold reverse red", "bold reverse")


def patient_label(row: QueueRow, privacy: bool) -> str:
    if privacy:
        return initials(row.given_name, row.family_name)
    name = f"{row.family_name}, {row.given_name}"
    if row.preferred_name:
        name += f" ({row.preferred_name})"
    return clean(name)


def flag_marks(row: QueueRow) -> Text:
    """W walk-in, ! urgent, i interpreter, + other flags: letters survive monochrome."""
    marks = Text()
    if row.priority == "urgent":
        marks.append("!", style="bold reverse")
    if row.kind == "walk_in":
        marks.append("W")
    if row.interpreter_needed:
        marks.append("i")
    if row.flags and len(marks) < 2:
        marks.append("+")
    return marks


def wait_cell(row: QueueRow, now: datetime, alert: int, colour: bool = True) -> Text:
    status = Status(row.status)
    wait = compute_wait(status, row.arrived_at, row.status_since, now, alert, row.finished_at)
    if status == Status.ARRIVED:
        text = format_minutes(wait.in_status)
        return Text(f"!{text}", style=LONG_WAIT[not colour]) if wait.long else Text(text)
    if status == Status.IN_ROOM:
        return Text(format_minutes(wait.in_status))
    if status in (Status.DONE, Status.LEFT) and wait.since_arrival is not None:
        return Text(format_minutes(wait.since_arrival), style="dim")
    return Text("")


def status_cell(row: QueueRow, now: datetime, alert: int, colour: bool = True) -> Text:
    status = Status(row.status)
    wait = compute_wait(status, row.arrived_at, row.status_since, now, alert, row.finished_at)
    styles = LONG_WAIT if wait.long else STATUS_STYLES[status]
    return Text(f"{SYMBOLS[status]} {LABELS[status]}", style=styles[not colour])


class QueueTable(DataTable):
    """DataTable of QueueRow, keyed by appointment id."""

    def __init__(self, **kwargs):
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.rows_by_id: dict[str, QueueRow] = {}
        self._order: list[str] = []
        self._wide: bool | None = None
        self._cells: dict[str, tuple] = {}
        self.colour = True  # False under the monochrome theme

    @property
    def selected(self) -> QueueRow | None:
        if not self._order or self.cursor_row < 0 or self.cursor_row >= len(self._order):
            return None
        return self.rows_by_id.get(self._order[self.cursor_row])

    def _columns(self) -> Sequence[tuple[str, str, int]]:
        return NARROW + WIDE_EXTRA if self._wide else NARROW

    def _cells_for(
        self, row: QueueRow, zone: ZoneInfo, today: date, now: datetime, alert: int, privacy: bool
    ) -> tuple:
        cells = {
            "time": Text(local(row.start, zone).strftime("%H:%M")),
            "flags": flag_marks(row),
            "patient": Text(patient_label(row, privacy), no_wrap=True, overflow="ellipsis"),
            "provider": Text(clean(row.provider), no_wrap=True, overflow="ellipsis"),
            "type": Text(clean(row.type), no_wrap=True, overflow="ellipsis"),
            "status": status_cell(row, now, alert, self.colour),
            "waited": wait_cell(row, now, alert, self.colour),
            "dob": Text("" if privacy else format_dob(row.dob, today)),
            "mrn": Text(clean(row.record_number)),
            "arrived": Text(
                local(row.arrived_at, zone).strftime("%H:%M") if row.arrived_at else ""
            ),
            "reason": Text(clean(row.reason), no_wrap=True, overflow="ellipsis"),
        }
        return tuple(cells[key] for key, _label, _w in self._columns())

    def show(
        self,
        rows: list[QueueRow],
        zone: ZoneInfo,
        today: date,
        now: datetime,
        alert: int,
        privacy: bool,
        width: int,
    ) -> None:
        wide = width >= WIDE_AT
        if wide != self._wide:
            self._wide = wide
            self.clear(columns=True)
            self._order = []
            self._cells = {}
            for key, label, w in self._columns():
                self.add_column(label, key=key, width=w)
        self.rows_by_id = {r.id: r for r in rows}
        order = [r.id for r in rows]
        cells = {r.id: self._cells_for(r, zone, today, now, alert, privacy) for r in rows}
        if order == self._order:
            keys = [k for k, _l, _w in self._columns()]
            for rid in order:
                old, new = self._cells.get(rid), cells[rid]
                if old is not None and _same(old, new):
                    continue
                for i, key in enumerate(keys):
                    if old is None or not _same((old[i],), (new[i],)):
                        self.update_cell(rid, key, new[i])
        else:
            keep = self.selected.id if self.selected else None
            index = self.cursor_row
            self.clear()
            for rid in order:
                self.add_row(*cells[rid], key=rid)
            self._order = order
            if keep in self.rows_by_id:
                self.move_cursor(row=order.index(keep), animate=False)
            elif order:
                self.move_cursor(row=min(max(index, 0), len(order) - 1), animate=False)
        self._cells = cells

    def select_first_open(self) -> None:
        """Start on the first appointment still in play, not on this morning's done list."""
        for index, rid in enumerate(self._order):
            if self.rows_by_id[rid].status in (Status.BOOKED, Status.ARRIVED, Status.IN_ROOM):
                self.move_cursor(row=index, animate=False)
                return

    def select_id(self, appointment_id: str) -> None:
        if appointment_id in self._order:
            self.move_cursor(row=self._order.index(appointment_id), animate=False)


def _same(a: tuple, b: tuple) -> bool:
    """Text equality ignores the base style; a cell that only changed style must repaint."""
    return [(t.plain, str(t.style), t.spans) for t in a] == [
        (t.plain, str(t.style), t.spans) for t in b
    ]
