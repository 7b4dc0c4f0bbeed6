"""Book (F4, or b from the queue or a patient card): the next free slot that fits, booked.

Two views of the same choice: the next free slots across providers (the
fastest path: choose patient and type, Enter books the first slot), and a
provider's day grid, where appointments can also be moved (r) or cancelled
(x).  Slot searches run in a thread worker; bookings go through the app's
writer, and a refusal (someone took the slot first) shows its reason and the
nearest alternatives instead of the stale list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Label, Select, Static

from coordtui.domain.days import format_day, local
from coordtui.domain.status import LABELS, SYMBOLS, Status
from coordtui.domain.text import clean
from coordtui.screens.book_writes import BookWrites
from coordtui.screens.keys import day_bindings
from coordtui.screens.pick_patient import PickPatientScreen
from coordtui.screens.why import ExplainsDisabledKeys
from coordtui.widgets.clinic_header import ClinicHeader
from coordtui.widgets.columns import Column
from coordtui.widgets.key_footer import KeyFooter
from coordtui.widgets.line_fit import by_priority
from coordtui.widgets.row_table import RowTable

ANY = "__any__"
SLOT_COLUMNS = (
    Column("When", 22),
    Column("Provider", 16, least=10, flex=True),
    Column("Length", 7),
)
GRID_COLUMNS = (
    Column("Time", 5),
    Column("Patient", 24, least=16, flex=True),
    Column("Type", 14, least=0, yields=2),
    Column("Status", 11, least=9, yields=1),
)


def row_key(row: tuple[str, object]) -> tuple:
    """A free slot is its provider and time; an appointment its id (the cursor follows it)."""
    kind, item = row
    if kind == "appt":
        return ("appt", item.id)
    return ("free", item.provider_id, item.start)


class BookScreen(BookWrites, ExplainsDisabledKeys, Screen):
    CSS_PATH = "book.tcss"
    BINDINGS = [
        Binding("enter", "book", "Book", id="book.book"),
        Binding("P", "pick_patient", "Patient", key_display="P", id="book.patient"),
        Binding("g", "toggle_grid", "Grid", id="book.grid"),
        *day_bindings("book"),
        Binding("r", "reschedule", "Move", id="book.reschedule"),
        Binding("x", "cancel_appointment", "Cancel", id="book.cancel"),
        Binding("W", "waitlist", "Add to waitlist", key_display="W", id="book.waitlist"),
        Binding("L", "waitlist_list", "Waitlist", key_display="L", id="book.waitlist_list"),
        Binding("S", "series", "Series", key_display="S", id="book.series"),
        Binding("h", "hours", "Hours", id="book.hours"),
        Binding("escape", "stop_moving", "Stop moving", show=False, id="book.stop_moving"),
    ]

    class Slots(Message):
        def __init__(self, token: int, slots: list, grid) -> None:
            super().__init__()
            self.token, self.slots, self.grid = token, slots, grid

    def __init__(self) -> None:
        super().__init__()
        self.service = self.app.service
        self.patient = None  # a Hit-like object: patient_id, given_name, family_name, ...
        self.day: date = self.service.today()
        self.grid_mode = False
        self.moving = None  # the appointment row being rescheduled
        self.recall_id: str | None = None  # booking for this recall closes it (recall list b)
        self.recall_due: date | None = None
        self.waitlist_entry = None  # booking for this waitlist entry closes it (waitlist b)
        self.slots: list = []
        self.grid = None
        self._keys: list[tuple[str, object]] = []
        self._token = 0
        self._land_on: tuple | None = None  # after a write: the row the cursor goes to
        self._from_start = True  # the next list shown is a new one (see _render_table)

    def compose(self) -> ComposeResult:
        yield ClinicHeader(id="header")
        yield Static(id="who")
        types = self.service.appointment_types()
        providers = self.service.providers()
        with Horizontal(id="choices"):
            yield Select(
                [(f"{t.name} ({t.minutes} min)", t.name) for t in types],
                id="type",
                allow_blank=False,
                value=types[0].name,
                compact=True,
            )
            yield Select(
                [("Any provider", ANY)] + [(clean(p.short_name), p.id) for p in providers],
                id="provider",
                allow_blank=False,
                value=ANY,
                compact=True,
            )
        yield Static(id="view")
        yield RowTable(SLOT_COLUMNS, id="slots")
        yield RowTable(GRID_COLUMNS, id="grid")
        yield Label("", id="message")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(ClinicHeader).configure_from(self.app)
        types = self.service.appointment_types()
        type_select = self.query_one("#type", Select)
        type_select.set_options([(f"{t.name} ({t.minutes} min)", t.name) for t in types])
        type_select.value = types[0].name
        providers = self.service.providers()
        provider_select = self.query_one("#provider", Select)
        provider_select.set_options(
            [("Any provider", ANY)] + [(clean(p.short_name), p.id) for p in providers]
        )
        provider_select.value = ANY
        self._render_who()
        self.query_one("#grid").display = False
        self.refresh_slots()
        self.table.focus()

    # ------------------------------------------------------------ choices

    def start_over(self) -> None:
        """Arriving with `b` from elsewhere: the next free slots from today for anyone, not
        whatever day, grid or message was left here for someone else."""
        self.grid_mode = False
        self.moving = None
        self.day = self.service.today()
        with self.prevent(Select.Changed):
            self.query_one("#provider", Select).value = ANY
        self._say("")

    def set_patient(
        self, patient, recall_id: str | None = None, recall_due: date | None = None
    ) -> None:
        """Called when arriving with `b` from the queue, a card or the recall list (then
        with the recall, which the booking closes); any other patient drops the recall."""
        self.patient = patient
        self.recall_id, self.recall_due = recall_id, recall_due
        self.waitlist_entry = None
        self._from_start = True
        self._render_who()
        self.refresh_slots()

    def set_waitlist_entry(self, entry) -> None:
        """From the waitlist: its patient, type and provider, from its earliest date."""
        self.set_patient(
            PatientRef(entry.patient_id, entry.given_name, entry.family_name, entry.record_number)
        )
        self.waitlist_entry = entry
        with self.prevent(Select.Changed):
            if entry.type_name in {t.name for t in self.service.appointment_types()}:
                self.query_one("#type", Select).value = entry.type_name
            active = {p.id for p in self.service.providers()}
            self.query_one("#provider", Select).value = (
                entry.provider_id if entry.provider_id in active else ANY
            )
        self.day = max(self.service.today(), entry.earliest)
        self._render_who()
        self.refresh_slots()

    def _render_who(self) -> None:
        if self.moving is not None:  # the visit being moved, and the keys: never cut
            moving = Text("MOVING ", style="bold reverse")
            moving.append(
                clean(
                    f"{self.moving.family_name}, {self.moving.given_name} "
                    f"{local(self.moving.start, self.service.zone):%a %d %b %H:%M}"
                ),
                style="bold reverse",
            )
            line = by_priority(
                self.size.width - 2,
                [
                    (0, moving),
                    (1, Text("Enter on a free time moves it", style="dim")),
                    (0, Text("Esc stops", style="bold")),
                ],
            )
            self.query_one("#who", Static).update(line, layout=False)
            return
        text = Text("Patient: ")
        if self.patient is None:
            text.append("none chosen", style="bold")
            text.append("  (P to choose)", style="dim")
        else:
            text.append(
                clean(f"{self.patient.family_name}, {self.patient.given_name}"), style="bold"
            )
            text.append(f"  {clean(self.patient.record_number)}")
        self.query_one("#who", Static).update(text, layout=False)

    @on(Select.Changed)
    def _choice_changed(self) -> None:
        self._from_start = True
        self.refresh_slots()

    @property
    def type_name(self) -> str:
        value = self.query_one("#type", Select).value
        return value if isinstance(value, str) else "Consultation"

    @property
    def provider_id(self) -> str | None:
        value = self.query_one("#provider", Select).value
        return None if value in (ANY, Select.NULL) else value

    # ------------------------------------------------------------ loading

    def store_changed(self) -> None:
        """Another desk booked or cancelled: the free times and the grid are read again."""
        self.refresh_slots()

    def on_screen_resume(self) -> None:
        self.refresh_slots()

    def refresh_slots(self) -> None:
        self._token += 1
        self._load(self._token, self.type_name, self.provider_id, self.day, self.grid_mode)

    @work(thread=True, exclusive=True, group="book-load")
    def _load(self, token, type_name, provider_id, day, grid_mode) -> None:
        service = self.service
        if grid_mode:
            provider = provider_id or (service.providers()[0].id if service.providers() else None)
            grid = service.day_grid(provider, day) if provider else None
            self.post_message(self.Slots(token, [], grid))
        else:
            start = max(service.now(), _local_midnight(day, service.zone))
            slots = service.next_free_slots(type_name, provider_id, start, limit=20)
            self.post_message(self.Slots(token, slots, None))

    def on_book_screen_slots(self, message: Slots) -> None:
        if message.token != self._token:
            return
        self.slots, self.grid = message.slots, message.grid
        self._render_table()

    def _provider_name(self, provider_id: str) -> str:
        return next(
            (clean(p.short_name) for p in self.service.providers() if p.id == provider_id), "?"
        )

    @property
    def table(self) -> RowTable:
        """The list on show: next free slots, or the provider's day grid."""
        return self.query_one("#grid" if self.grid_mode else "#slots", RowTable)

    def _slot_cells(self, row: tuple[str, object]) -> tuple[Text, ...]:
        slot = row[1]
        minutes = int((slot.end - slot.start).total_seconds() // 60)
        return (
            Text(local(slot.start, self.service.zone).strftime("%a %d %b %Y %H:%M")),
            Text(self._provider_name(slot.provider_id)),
            Text(f"{minutes} min"),
        )

    def _grid_cells(self, row: tuple[str, object]) -> tuple[Text, ...]:
        kind, item = row
        when = Text(local(item.start, self.service.zone).strftime("%H:%M"))
        if kind == "free":
            return (when, Text("· free", style="dim"), Text(""), Text(""))
        status = Status(item.status)
        return (
            when,
            Text(clean(f"{item.family_name}, {item.given_name}")),
            Text(clean(item.type)),
            Text(f"{SYMBOLS[status]} {LABELS[status]}"),
        )

    def _render_table(self) -> None:
        view = Text()
        if not self.grid_mode:
            view.append(f"Next free slots from {format_day(self.day)}", style="bold")
            view.append("  Enter books", style="dim")
            self._keys = [("slot", slot) for slot in self.slots]
            if not self.slots:
                view.append("\nNo free slot in the next 90 days for this choice.")
        else:
            grid = self.grid
            name = self._provider_name(grid.provider_id) if grid else "?"
            view.append(f"{name} on {format_day(self.day)}", style="bold")
            view.append("  [ ] day  Enter books  r move  x cancel", style="dim")
            rows = []
            if grid:
                rows += [("free", slot) for slot in grid.free]
                rows += [("appt", appt) for appt in grid.appointments]
            self._keys = sorted(rows, key=lambda r: (r[1].start, r[0]))
            if not rows:
                view.append("\nNot working on this day.")
        if self.recall_id and "\n" not in view.plain:
            due = f" due {format_day(self.recall_due)}" if self.recall_due else ""
            view.append(f"\nBooking for a recall{due}", style="bold")
        elif self.waitlist_entry is not None and "\n" not in view.plain:
            entry = self.waitlist_entry
            view.append(
                f"\nBooking from the waitlist ({format_day(entry.earliest)} to "
                f"{format_day(entry.latest)}): the entry closes",
                style="bold",
            )
        self.query_one("#view", Static).update(view, layout=False)
        for table_id, shown in (("#slots", not self.grid_mode), ("#grid", self.grid_mode)):
            widget = self.query_one(table_id, RowTable)
            if widget.display != shown:
                had_focus = self.focused is not None and self.focused.id in ("slots", "grid")
                widget.display = shown
                if shown and had_focus:
                    widget.focus()
        table = self.table
        table.show(
            self._keys, self._grid_cells if self.grid_mode else self._slot_cells, key=row_key
        )
        if self._from_start:  # another day, provider or type: not a refresh of the same list
            self._from_start = False
            now = self.service.now()  # the grid starts at the present, the slots at the top
            first = next((i for i, (_k, item) in enumerate(self._keys) if item.end > now), 0)
            table.move_cursor(first if self.grid_mode else 0)
        if self._land_on is not None:
            table.select_key(self._land_on)
            self._land_on = None
        self._keys_follow()

    @on(RowTable.Highlighted)
    def _keys_follow(self) -> None:
        current = self._current()
        self.keys_depend_on((self.grid_mode, current[0] if current else None, self.moving))

    def _current(self) -> tuple[str, object] | None:
        return self.table.selected

    # ------------------------------------------------------------ actions

    def check_action(self, action: str, parameters) -> bool | None:
        current = self._current()
        if action in ("reschedule", "cancel_appointment"):
            return True if (self.grid_mode and current and current[0] == "appt") else None
        if action == "stop_moving":
            return self.moving is not None
        if action in ("day", "today"):
            return True
        return True

    def why_disabled(self, action: str, parameters) -> str | None:
        if action in ("reschedule", "cancel_appointment"):
            if not self.grid_mode:
                return "in the day grid (g), on an appointment"
            return "on an appointment, not a free time"
        if action == "stop_moving":
            return "nothing is being moved"
        return None

    def action_pick_patient(self) -> None:
        self.app.push_screen(
            PickPatientScreen(Text("Book for which patient?")),
            lambda hit: hit and self.set_patient(hit),
        )

    def action_toggle_grid(self) -> None:
        self.grid_mode = not self.grid_mode
        self._from_start = True
        self.refresh_slots()

    def action_day(self, delta: int) -> None:
        self.day += timedelta(days=delta)
        self._from_start = True
        self.refresh_slots()

    def action_today(self) -> None:
        self.day = self.service.today()
        self._from_start = True
        self.refresh_slots()

    def action_waitlist_list(self) -> None:
        from coordtui.screens.waitlist import WaitlistScreen

        self.app.push_screen(WaitlistScreen())

    def action_hours(self) -> None:
        """Supervisor work: the chosen provider's weekly hours and leave."""
        from coordtui.screens.schedule import ScheduleScreen

        provider = self.provider_id or (self.grid.provider_id if self.grid else None)
        if provider is None:
            self._say("Choose a provider in the Provider list first.")
            return
        self.app.push_screen(ScheduleScreen(provider), lambda _r: self.refresh_slots())

    def _say(self, message: str) -> None:
        self.query_one("#message", Label).update(Text(message))


@dataclass(frozen=True)
class PatientRef:
    """Who is being booked, when they come from a queue row or a card."""

    patient_id: str
    given_name: str
    family_name: str
    record_number: str


def _local_midnight(day: date, zone) -> datetime:
    from coordtui.domain.days import day_bounds_utc

    return day_bounds_utc(day, zone)[0]
