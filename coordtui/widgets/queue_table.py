"""The day's queue as a table that updates in place.

``show`` keeps the cursor on its appointment and recomputes only rows whose
data (or, for people waiting, whose minute) changed, so live wait updates and
other workstations' changes neither move the cursor nor redraw the screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip

from coordtui.domain.coverage import coverage_note
from coordtui.domain.days import format_dob, local
from coordtui.domain.patient import initials
from coordtui.domain.status import LABELS, SYMBOLS, Status
from coordtui.domain.text import clean
from coordtui.domain.waits import compute_wait, format_minutes
from coordtui.read_models.queue import QueueRow
from coordtui.widgets.columns import Column, fit, follow
from coordtui.widgets.cursor_lines import CursorLines

# Reading order.  At 80 columns the type gives way first, then the provider's name
# shrinks; names take any spare room (on a wide terminal too: reason never does).
NARROW = (
    Column("Time", 5),
    Column("", 3),  # flags: ! W h $ i + (three at most)
    Column("Patient", 21, least=14, flex=True),
    Column("Provider", 10, least=6, yields=2),
    Column("Type", 12, least=0, yields=3),
    Column("Status", 11, least=9, yields=1),
    Column("Wait", 6),
)
NARROW_KEYS = ("time", "flags", "patient", "provider", "type", "status", "waited")
WIDE_EXTRA = (
    Column("DOB", 16),
    Column("Record", 10),
    Column("Arrived", 7),
    Column("Reason", 24, least=0, yields=4),
)
WIDE_KEYS = ("dob", "mrn", "arrived", "reason")
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
LIVE = frozenset({Status.ARRIVED, Status.IN_ROOM})  # rows whose wait cells tick
LONG_WAIT = ("bold reverse red", "bold reverse")


def patient_label(row: QueueRow, privacy: bool) -> str:
    if privacy:
        return initials(row.given_name, row.family_name)
    name = f"{row.family_name}, {row.given_name}"
    if row.preferred_name:
        name += f" ({row.preferred_name})"
    return clean(name)


# Visits where the desk can still act on coverage: not here yet, or here now.
COVERAGE_STATUSES = frozenset({Status.BOOKED, Status.ARRIVED, Status.IN_ROOM})
COVERAGE_STYLE = ("bold magenta", "bold")  # with colour, without: the `$` carries it


def coverage_words(row: QueueRow, today: date, zone: ZoneInfo, days: int) -> str:
    """Why this visit's coverage needs checking ("" when it does not; ``days`` 0: never)."""
    if Status(row.status) not in COVERAGE_STATUSES:
        return ""
    return coverage_note(row.coverage_on_file, row.coverage_verified_at, today, zone, days)


FLAGS_SHOWN = 3  # the flags column's width; the detail line names every flag


def flag_marks(row: QueueRow, coverage_due: bool = False, colour: bool = True) -> Text:
    """The most pressing flags first: ! urgent, i interpreter, $ coverage to check,
    h hand-off note, W walk-in, + other flags (letters and symbols: monochrome-safe)."""
    candidates = (
        (row.priority == "urgent", "!", "bold reverse"),
        (row.interpreter_needed, "i", ""),
        (coverage_due, "$", COVERAGE_STYLE[not colour]),
        (bool(row.hand_off), "h", ""),
        (row.kind == "walk_in", "W", ""),
        (bool(row.flags), "+", ""),
    )
    marks = Text()
    for wanted, mark, style in candidates:
        if wanted and len(marks) < FLAGS_SHOWN:
            marks.append(mark, style=style)
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


class QueueTable(CursorLines):
    """The day's appointments, one line each, keyed by appointment id.

    A Line-API widget rather than a DataTable: each row is rendered once into
    a cached strip and only rows whose content changed are redrawn, so a
    status change repaints one line even on a 160x48 terminal with 300 rows.
    """

    COMPONENT_CLASSES = {
        "queue-table--header",
        "queue-table--cursor",
        "queue-table--cursor-blurred",
    }
    DEFAULT_CSS = """
    QueueTable {
        background: $surface;
    }
    QueueTable > .queue-table--header {
        text-style: bold;
        background: $panel;
        color: $foreground;
    }
    QueueTable > .queue-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    QueueTable > .queue-table--cursor-blurred {
        background: $block-cursor-blurred-background;
        text-style: $block-cursor-blurred-text-style;
    }
    """

    class RowHighlighted(Message):
        """The cursor moved to another appointment (or the list changed under it)."""

    cursor_row: reactive[int] = reactive(0, always_update=False, repaint=False)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.rows_by_id: dict[str, QueueRow] = {}
        self._order: list[str] = []
        self._wide: bool | None = None
        self._cells: dict[str, tuple] = {}  # id -> (cache key, cells or None if not built)
        self._params: tuple = ()
        self._strips: dict[tuple, Strip] = {}  # (id, cells key, cursor, width) -> strip
        self._fitted: tuple = (None, [])
        self.colour = True  # False under the monochrome theme
        self.coverage_days = 0  # Config.coverage_check_days: 0 shows no `$` flags

    # ------------------------------------------------------------ queries

    @property
    def row_count(self) -> int:
        return len(self._order)

    @property
    def items(self) -> list[QueueRow]:
        """The rows in the order shown."""
        return [self.rows_by_id[rid] for rid in self._order]

    @property
    def selected(self) -> QueueRow | None:
        if not self._order or not 0 <= self.cursor_row < len(self._order):
            return None
        return self.rows_by_id.get(self._order[self.cursor_row])

    def cells_at(self, index: int) -> tuple[Text, ...]:
        return self._built(self._order[index])[1]

    def _built(self, rid: str) -> tuple:
        """(key, cells) for a row, building the cells if this is their first use."""
        key, cells = self._cells[rid]
        if cells is None:
            cells = self._cells_for(self.rows_by_id[rid], *self._params)
            self._cells[rid] = (key, cells)
        return key, cells

    def _columns(self) -> Sequence[Column]:
        return NARROW + WIDE_EXTRA if self._wide else NARROW

    def _keys(self) -> tuple[str, ...]:
        return NARROW_KEYS + WIDE_KEYS if self._wide else NARROW_KEYS

    def _widths(self) -> list[int]:
        width = self.line_width
        if self._fitted[0] != (width, self._wide):
            self._fitted = ((width, self._wide), fit(self._columns(), width))
        return self._fitted[1]

    # ------------------------------------------------------------ updates

    def _cells_for(
        self, row: QueueRow, zone: ZoneInfo, today: date, now: datetime, alert: int, privacy: bool
    ) -> tuple:
        cells = {
            "time": Text(local(row.start, zone).strftime("%H:%M")),
            "flags": flag_marks(
                row, bool(coverage_words(row, today, zone, self.coverage_days)), self.colour
            ),
            "patient": Text(patient_label(row, privacy)),
            "provider": Text(clean(row.provider)),
            "type": Text(clean(row.type)),
            "status": status_cell(row, now, alert, self.colour),
            "waited": wait_cell(row, now, alert, self.colour),
            "dob": Text("" if privacy else format_dob(row.dob, today)),
            "mrn": Text(clean(row.record_number)),
            "arrived": Text(
                local(row.arrived_at, zone).strftime("%H:%M") if row.arrived_at else ""
            ),
            "reason": Text(clean(row.reason)),
        }
        return tuple(cells[key] for key in self._keys())

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
        """Show these rows; only changed ones are recomputed, the cursor stays on its row."""
        wide = width >= WIDE_AT
        if wide != self._wide:
            self._wide = wide
            self._cells = {}
        previous = self._order
        self.rows_by_id = {r.id: r for r in rows}
        minute = int(now.timestamp() // 60)
        cells: dict[str, tuple] = {}
        for r in rows:
            # Cells depend only on these; waits move once a minute, and only while in play.
            key = (
                r,
                privacy,
                wide,
                self.colour,
                self.coverage_days,
                today,
                alert,
                minute if r.status in LIVE else None,
            )
            cached = self._cells.get(r.id)
            # Cells are built on first paint of the row (None until then): a day of
            # 2,000 rows costs only the rows on screen.
            cells[r.id] = cached if cached is not None and cached[0] == key else (key, None)
        self._params = (zone, today, now, alert, privacy)
        order = [r.id for r in rows]
        changed_order = order != self._order
        self._order = order
        self._cells = cells
        if len(self._strips) > 4 * len(order) + 64:
            self._strips.clear()
        self.virtual_size = Size(0, len(order) + 1)
        if changed_order:
            self.move_cursor(row=follow(previous, self.cursor_row, order))
            self.post_message(self.RowHighlighted())
            # The new height counts only once laid out: a scroll asked for now is cut short
            # by the old one (a short filtered list, then the whole day again).
            self.call_after_refresh(self._keep_cursor_visible)
        self.refresh()

    def select_first_open(self) -> None:
        """Start on the first appointment still in play, not on this morning's done list."""
        for index, rid in enumerate(self._order):
            if self.rows_by_id[rid].status in (Status.BOOKED, Status.ARRIVED, Status.IN_ROOM):
                self.move_cursor(row=index)
                self.call_after_refresh(self._keep_cursor_visible)  # a list just shown
                return

    def select_id(self, appointment_id: str) -> None:
        if appointment_id in self._order:
            self.move_cursor(row=self._order.index(appointment_id))
            self.call_after_refresh(self._keep_cursor_visible)  # a list just shown

    # ------------------------------------------------------------- cursor

    def move_cursor(self, row: int, animate: bool = False) -> None:
        if not self._order:
            self.cursor_row = 0
            return
        row = min(max(row, 0), len(self._order) - 1)
        if row != self.cursor_row:
            self.cursor_row = row
            self.post_message(self.RowHighlighted())
        self._keep_cursor_visible()
        self.refresh()

    def _resized(self) -> None:
        self._strips.clear()
        self.virtual_size = Size(0, len(self._order) + 1)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # ------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        width = self.line_width
        widths = self._widths()
        if y == 0:
            header = tuple(Text(c.label) for c in self._columns())
            style = self.get_component_rich_style("queue-table--header")
            return self._strip(header, widths, width, style)
        index = self.row_index(y)
        if index >= len(self._order):
            return Strip.blank(width, self.rich_style)
        rid = self._order[index]
        key, cells = self._built(rid)
        cursor = index == self.cursor_row
        cache_key = (rid, key, cursor and self.has_focus, cursor, width)
        strip = self._strips.get(cache_key)
        if strip is None:
            if cursor:
                name = "queue-table--cursor" if self.has_focus else "queue-table--cursor-blurred"
                style = self.get_component_rich_style(name)
            else:
                style = self.rich_style
            strip = self._strips[cache_key] = self._strip(cells, widths, width, style)
        return strip
