"""The day's queue (home, F2): who is booked, who is here, who has waited too long.

Reads and writes run off the event loop: reads in an exclusive thread worker
(a newer load cancels an older one and stale results are dropped), writes on
the app's single writer thread so key presses apply in the order typed.
"""

from __future__ import annotations

from datetime import date, timedelta

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static

from coordtui.domain.days import local
from coordtui.domain.status import LABELS, TRANSITIONS, Status, not_now
from coordtui.domain.text import fold
from coordtui.read_models.queue import QueueRow
from coordtui.screens.keys import day_bindings
from coordtui.screens.queue_lines import QueueLines
from coordtui.screens.queue_writes import QueueWrites
from coordtui.screens.why import ExplainsDisabledKeys
from coordtui.widgets.clinic_header import ClinicHeader
from coordtui.widgets.key_footer import KeyFooter
from coordtui.widgets.queue_table import QueueTable, patient_label
from coordtui.widgets.safe_input import SafeInput


class QueueScreen(QueueLines, QueueWrites, ExplainsDisabledKeys, Screen):
    CSS_PATH = "queue.tcss"
    HELP_NOTES = (
        "Keys act on the highlighted row; a greyed one does not apply to its status.",
        "n, l ask y/n; x, e ask a reason; u undoes the last change as a recorded",
        "correction. '!' + reverse video marks a long wait.",
    )
    BINDINGS = [
        Binding("a", "status('arrived')", "Arrive", id="queue.check_in"),
        Binding("r", "status('in_room')", "Room", id="queue.in_room"),
        Binding("d", "status('done')", "Done", id="queue.done"),
        Binding("n", "status('no_show')", "No-show", id="queue.no_show"),
        Binding("x", "status('cancelled')", "Cancel", id="queue.cancel"),
        Binding("l", "status('left')", "Left unseen", show=False, id="queue.left"),
        Binding(
            "e",
            "status('entered_in_error')",
            "Entered in error",
            show=False,
            id="queue.entered_in_error",
        ),
        Binding("u", "undo", "Undo", id="queue.undo"),
        Binding("w", "walk_in", "Walk-in", id="queue.walk_in"),
        Binding("enter", "open_patient", "Patient", show=False, id="queue.open_patient"),
        Binding("b", "book_patient", "Book", id="queue.book"),
        Binding("c", "log_call", "Call", id="queue.call"),
        Binding("o", "hand_off", "Hand-off note", show=False, id="queue.hand_off"),
        Binding(
            "F", "recall", "Recall (follow-up)", key_display="F", show=False, id="queue.recall"
        ),
        Binding("S", "day_summary", "Day summary", key_display="S", show=False, id="queue.summary"),
        *day_bindings("queue"),
        Binding("p", "provider", "Provider filter", show=False, id="queue.provider"),
        Binding("f", "filter", "Filter by name", show=False, id="queue.filter"),
        Binding("v", "privacy", "Privacy mask", show=False, id="queue.privacy"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="queue.clear_filter"),
    ]

    class Loaded(Message):
        def __init__(self, token: int, day: date, rows: list[QueueRow]):
            super().__init__()
            self.token, self.day, self.rows = token, day, rows

    class Written(Message):
        def __init__(self, row: QueueRow | None, error: str | None, note: str | None):
            super().__init__()
            self.row, self.error, self.note = row, error, note

    def __init__(self) -> None:
        super().__init__()
        self.service = self.app.service
        self.config = self.app.config
        self.day: date = self.service.today()
        self.rows: list[QueueRow] = []
        self.provider_filter: str | None = None
        self.text_filter = ""
        self.privacy = self.config.privacy
        self._token = 0
        self._land_on: str | None = None  # an appointment to select once it is loaded
        self._first_open = False  # on the next load: the first visit still in play

    # -------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield ClinicHeader(id="header")
        yield Static(id="daybar")
        yield SafeInput(placeholder="Filter by name or record number (Esc clears)", id="filter")
        yield QueueTable(id="queue")
        yield Static(id="detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(ClinicHeader).configure_from(self.app)
        self.query_one("#filter").display = False
        table = self.query_one(QueueTable)
        table.colour = self.app.colour
        table.coverage_days = self.config.coverage_check_days
        # First paint straight from the store (a few ms), so the board is there at once.
        self._apply(self.service.queue(self.day))
        table.select_first_open()
        table.focus()
        self.set_interval(15, self._tick)

    # ------------------------------------------------------------- loading

    def store_changed(self) -> None:
        """Another desk or process changed the store (the app watches it): reload the day."""
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()  # back from a card, a dialog or another screen: show what is stored now

    def reload(self) -> None:
        self._token += 1
        self._load(self._token, self.day)

    @work(thread=True, exclusive=True, group="queue-load")
    def _load(self, token: int, day: date) -> None:
        rows = self.service.queue(day)
        self.post_message(self.Loaded(token, day, rows))
        self.app.call_from_thread(self.app.refresh_pending)

    def on_queue_screen_loaded(self, message: Loaded) -> None:
        if message.token != self._token or message.day != self.day:
            return  # a newer request (or another day) is on its way
        self._apply(message.rows)
        if self._first_open and self._land_on is None:
            self._first_open = False
            self.query_one(QueueTable).select_first_open()

    def _visible(self) -> list[QueueRow]:
        rows = self.rows
        if self.provider_filter:
            rows = [r for r in rows if r.provider_id == self.provider_filter]
        if self.text_filter:
            needle = fold(self.text_filter)
            rows = [
                r
                for r in rows
                if needle in fold(f"{r.given_name} {r.family_name} {r.preferred_name}")
                or needle in fold(f"{r.family_name} {r.given_name}")
                or needle in r.record_number.casefold()
            ]
        return rows

    def _apply(self, rows: list[QueueRow]) -> None:
        self.rows = rows
        self._render_table()
        if self._land_on is not None and any(r.id == self._land_on for r in rows):
            self.query_one(QueueTable).select_id(self._land_on)
            self._land_on = None

    def _render_table(self) -> None:
        table = self.query_one(QueueTable)
        now = self.service.now()
        table.show(
            self._visible(),
            self.service.zone,
            self.service.today(),
            now,
            self.config.wait_alert_minutes,
            self.privacy,
            self.size.width,
        )
        self._render_daybar()
        self._render_detail()
        self._sync_bindings()

    def _tick(self) -> None:
        """Live waits: rewrite only the cells whose text changed."""
        self._render_table()

    def on_resize(self) -> None:
        if self.rows is not None:
            self._render_table()

    @on(QueueTable.RowHighlighted)
    def _row_highlighted(self) -> None:
        self._render_detail()
        self._sync_bindings()

    def _sync_bindings(self) -> None:
        """Refresh the footer only when what check_action answers has changed (it is costly)."""
        row = self.query_one(QueueTable).selected
        started = row is not None and row.start <= self.service.now()
        state = (row.status if row else None, started, self.day, bool(self.text_filter))
        self.keys_depend_on(state)

    # ------------------------------------------------------------- actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        row = self._selected()
        on_row = (
            "status",
            "undo",
            "open_patient",
            "book_patient",
            "recall",
            "hand_off",
            "log_call",
        )
        if action in on_row and row is None:
            return None  # shown greyed: there is no row to act on
        if action == "status":
            if self._not_now(row, Status(str(parameters[0]))):
                return None  # not on this day, or not yet: greyed, and F1 says why
            # Only what the state machine allows from this row's status (F1 says why not).
            return True if Status(str(parameters[0])) in TRANSITIONS[Status(row.status)] else None
        if action == "clear_filter":
            return bool(self.text_filter)
        return True

    def why_disabled(self, action: str, parameters: tuple[object, ...]) -> str | None:
        row = self._selected()
        if row is None:
            return "no appointment is highlighted" if self.rows else "no appointments on this day"
        if action == "status":
            now, target = Status(row.status), Status(str(parameters[0]))
            if target in TRANSITIONS[now] and (when := self._not_now(row, target)):
                return when
            why = f"{LABELS[now]} cannot become {LABELS[target]}"
            return why + ("; u undoes the last change" if now != Status.BOOKED else "")
        return None

    def _selected(self) -> QueueRow | None:
        return self.query_one(QueueTable).selected

    def _not_now(self, row: QueueRow, target: Status) -> str | None:
        service = self.service
        visit_day = local(row.start, service.zone).date()
        return not_now(target, visit_day, service.today(), row.start > service.now())

    def on_queue_screen_written(self, message: Written) -> None:
        if message.error:
            self.app.notify(
                message.error, title="Not changed", severity="error", timeout=8, markup=False
            )
            return
        if message.note:
            self.app.notify(message.note, timeout=2, markup=False)
        row = message.row
        if row is not None and any(r.id == row.id for r in self.rows):
            self._apply([row if r.id == row.id else r for r in self.rows])
        else:
            self.reload()  # a new row (walk-in) or another day: fetch the day

    def action_open_patient(self) -> None:
        from coordtui.screens.patient import PatientScreen

        row = self._selected()
        if row is not None:
            self.app.push_screen(PatientScreen(row.patient_id), lambda _r: self.reload())

    async def action_book_patient(self) -> None:
        row = self._selected()
        if row is not None:
            await self.app.book_for(
                row.patient_id, row.given_name, row.family_name, row.record_number
            )

    def action_log_call(self) -> None:
        from coordtui.screens.log_call import log_call_for

        row = self._selected()
        if row is not None:
            log_call_for(
                self.app,
                row.patient_id,
                Text(patient_label(row, self.privacy)),
                row.id,
                self.reload,
            )

    def action_recall(self) -> None:
        """F: a follow-up due by a date for this row's patient, linked to this visit."""
        from coordtui.screens.recall_form import RecallFormScreen

        row = self._selected()
        if row is not None:
            who = Text(patient_label(row, self.privacy))
            self.app.push_screen(RecallFormScreen(row.patient_id, who, row.id))

    def action_day_summary(self) -> None:
        from coordtui.screens.day_summary import DaySummaryScreen

        self.app.push_screen(DaySummaryScreen(self.day))

    def action_day(self, delta: int) -> None:
        self._go_to(self.day + timedelta(days=delta))

    def action_today(self) -> None:
        self._go_to(self.service.today())

    def _go_to(self, day: date) -> None:
        self.day = day
        self.rows = []
        self._render_table()
        self._first_open = True  # a day is entered where it is in play, as at start-up
        self.reload()

    def action_provider(self) -> None:
        """Cycle: all providers, then each provider in turn."""
        ids = [None] + [p.id for p in self.service.providers()]
        position = ids.index(self.provider_filter) if self.provider_filter in ids else 0
        self.provider_filter = ids[(position + 1) % len(ids)]
        self._render_table()

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.text_filter = event.value.strip()
        self._render_table()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.query_one(QueueTable).focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.display = False
        self.text_filter = ""
        self._render_table()
        self.query_one(QueueTable).focus()

    def action_privacy(self) -> None:
        self.privacy = not self.privacy
        self._render_table()
