"""The day's queue (home, F2): who is booked, who is here, who has waited too long.

Reads and writes run off the event loop: reads in an exclusive thread worker
(a newer load cancels an older one and stale results are dropped), writes on
the app's single writer thread so key presses apply in the order typed.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from coordtui.domain.days import format_day, format_dob, local
from coordtui.domain.status import LABELS, NEEDS_CONFIRM, SYMBOLS, TRANSITIONS, Status
from coordtui.domain.text import clean, fold
from coordtui.domain.waits import compute_wait
from coordtui.screens.confirm import ConfirmScreen
from coordtui.screens.keys import day_bindings
from coordtui.screens.reason import ReasonScreen
from coordtui.screens.waitlist_offer import offer_waitlist
from coordtui.screens.walk_in import WalkInRequest, WalkInScreen
from coordtui.store.reads import QueueRow
from coordtui.widgets.clinic_header import ClinicHeader
from coordtui.widgets.queue_table import QueueTable, coverage_words, patient_label
from coordtui.widgets.safe_input import SafeInput

CANCEL_REASONS = [
    "Patient request",
    "Patient unwell / in hospital",
    "Provider unavailable",
    "Booked in error",
    "Rescheduled",
]
ERROR_REASONS = ["Wrong patient", "Duplicate booking", "Test entry"]
VERBS = {
    Status.ARRIVED: "arrive",
    Status.IN_ROOM: "to room",
    Status.DONE: "done",
    Status.NO_SHOW: "no-show",
    Status.CANCELLED: "cancel",
    Status.LEFT: "left unseen",
    Status.ENTERED_IN_ERROR: "in error",
}
# Most useful first: the counts line is cut at the right edge on narrow terminals.
COUNT_ORDER = (
    Status.ARRIVED,
    Status.IN_ROOM,
    Status.BOOKED,
    Status.DONE,
    Status.NO_SHOW,
    Status.LEFT,
    Status.CANCELLED,
    Status.ENTERED_IN_ERROR,
)
STATUS_KEYS = {
    Status.ARRIVED: "a",
    Status.IN_ROOM: "r",
    Status.DONE: "d",
    Status.NO_SHOW: "n",
    Status.CANCELLED: "x",
    Status.LEFT: "l",
    Status.ENTERED_IN_ERROR: "e",
}


class QueueScreen(Screen):
    CSS_PATH = "queue.tcss"
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
        self._seen_version: int | None = None
        self._binding_state: tuple | None = None

    # -------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield ClinicHeader(id="header")
        yield Static(id="daybar")
        yield SafeInput(placeholder="Filter by name or record number (Esc clears)", id="filter")
        yield QueueTable(id="queue")
        yield Static(id="detail")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(ClinicHeader).configure_from(self.app)
        self.query_one("#filter").display = False
        table = self.query_one(QueueTable)
        table.colour = self.app.colour
        table.coverage_days = self.config.coverage_check_days
        # First paint straight from the store (a few ms), so the board is there at once.
        self._seen_version = self.service.data_version()
        self._apply(self.service.queue(self.day))
        table.select_first_open()
        table.focus()
        self.set_interval(self.config.refresh_seconds, self._poll)
        self.set_interval(15, self._tick)

    # ------------------------------------------------------------- loading

    def _poll(self) -> None:
        self._check_changes()

    @work(thread=True, exclusive=True, group="queue-poll")
    def _check_changes(self) -> None:
        version = self.service.data_version()
        if version != self._seen_version:
            self._seen_version = version
            self.app.call_from_thread(self.reload)

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

    # ------------------------------------------------------------ painting

    def _render_daybar(self) -> None:
        counts = Counter(Status(r.status) for r in self._visible())
        text = Text()
        text.append(format_day(self.day), style="bold")
        if self.day == self.service.today():
            text.append(" (today)")
        if self.provider_filter:
            name = next(
                (r.provider for r in self.rows if r.provider_id == self.provider_filter), None
            ) or next(
                (p.short_name for p in self.service.providers() if p.id == self.provider_filter),
                "?",
            )
            text.append("  provider: ")
            text.append(clean(name), style="bold")
        if self.text_filter:
            text.append("  filter: ")
            text.append(clean(self.text_filter), style="bold")
        if self.privacy:
            text.append("  [privacy]", style="bold")
        legend = "  [ ] day  t today  p provider  f filter  v privacy"
        room = self.size.width - 2 - text.cell_len
        if room >= len(legend):
            text.append(" " * (room - len(legend)) + legend, style="dim")
        now = self.service.now()
        alert = self.config.wait_alert_minutes
        long_waits = sum(
            1
            for r in self._visible()
            if compute_wait(Status(r.status), r.arrived_at, r.status_since, now, alert).long
        )
        text.append("\n")
        if long_waits:  # first, so that it is never cut off at 80 columns
            text.append(f"!{long_waits} waiting ≥{alert}m", style="bold reverse")
            text.append("  ")
        shown = [s for s in COUNT_ORDER if counts[s] or s in (Status.ARRIVED, Status.BOOKED)]
        text.append("  ".join(f"{SYMBOLS[s]} {LABELS[s]} {counts[s]}" for s in shown))
        self.query_one("#daybar", Static).update(text, layout=False)  # fixed height

    def _render_detail(self) -> None:
        row = self.query_one(QueueTable).selected
        detail = Text()
        if row is None:
            detail.append(
                "No appointments" + (" match the filter." if self.rows else " on this day.")
            )
            detail.append("  w = add walk-in", style="bold")
        else:
            detail.append(patient_label(row, self.privacy), style="bold")
            if not self.privacy:
                detail.append(f"  {format_dob(row.dob, self.service.today())}")
                detail.append(f"  {clean(row.record_number)}")
            detail.append(
                f"  {local(row.start, self.service.zone):%H:%M}-"
                f"{local(row.end, self.service.zone):%H:%M} {clean(row.provider)}"
            )
            notes = []
            if row.priority == "urgent":
                notes.append("URGENT")
            if row.kind == "walk_in":
                notes.append("walk-in")
            if row.interpreter_needed:
                notes.append("interpreter")
            if row.flags:
                notes.append(clean(row.flags))
            days = self.config.coverage_check_days
            if coverage := coverage_words(row, self.service.today(), self.service.zone, days):
                notes.append(coverage)
            if row.reason:
                notes.append(clean(row.reason))
            if row.hand_off:
                notes.append(f"hand-off: {clean(row.hand_off)}")
            if row.cancel_reason:
                notes.append(f"reason: {clean(row.cancel_reason)}")
            detail.append("\n")
            if notes:
                detail.append(" · ".join(notes) + "  ")
            nxt = [
                f"{STATUS_KEYS[s]} {VERBS[s]}"
                for s in TRANSITIONS[Status(row.status)]
                if s in STATUS_KEYS
            ]
            detail.append(
                "Next: " + (", ".join(sorted(nxt)) if nxt else "none (u undoes)"), style="dim"
            )
        self.query_one("#detail", Static).update(detail, layout=False)  # fixed height

    @on(QueueTable.RowHighlighted)
    def _row_highlighted(self) -> None:
        self._render_detail()
        self._sync_bindings()

    def _sync_bindings(self) -> None:
        """Refresh the footer only when what check_action answers has changed (it is costly)."""
        state = (self.query_one(QueueTable).selected is None, bool(self.text_filter))
        if state != self._binding_state:
            self._binding_state = state
            self.refresh_bindings()

    # ------------------------------------------------------------- actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if (
            action in ("status", "undo", "open_patient", "book_patient", "recall")
            and self._selected() is None
        ):
            return None  # shown greyed: there is no row to act on
        if action == "clear_filter":
            return bool(self.text_filter)
        return True

    def _selected(self) -> QueueRow | None:
        return self.query_one(QueueTable).selected

    def action_status(self, target: str) -> None:
        row = self._selected()
        if row is None:
            return
        status = Status(target)
        name = Text(patient_label(row, self.privacy))
        if status in (Status.CANCELLED, Status.ENTERED_IN_ERROR):
            title = Text(
                "Cancel appointment for "
                if status == Status.CANCELLED
                else "Mark entered in error: "
            )
            title.append_text(name)
            self.app.push_screen(
                ReasonScreen(
                    title, CANCEL_REASONS if status == Status.CANCELLED else ERROR_REASONS
                ),
                lambda reason: reason and self._write_status(row, status, reason),
            )
        elif status in NEEDS_CONFIRM:
            question = Text(f"Mark {LABELS[status].lower()}: ")
            question.append_text(name)
            question.append("?")
            self.app.push_screen(
                ConfirmScreen(
                    question, f"{local(row.start, self.service.zone):%H:%M} {clean(row.provider)}"
                ),
                lambda yes: yes and self._write_status(row, status, ""),
            )
        elif status == Status.ARRIVED and row.status == Status.BOOKED and self._coverage_on():
            self._arrival_step(row, name)
        else:
            self._write_status(row, status, "")

    def _coverage_on(self) -> bool:
        """Arrival goes through the coverage step unless the clinic turned it off (0)."""
        return self.config.coverage_check_days > 0

    def _arrival_step(self, row: QueueRow, name: Text) -> None:
        """`a` with the coverage check on: the dialog saves the arrival itself (check_in)."""
        from coordtui.screens.arrival import ArrivalScreen

        def closed(saved: QueueRow | None) -> None:
            if saved is not None:
                self.post_message(self.Written(saved, None, None))

        self.app.push_screen(ArrivalScreen(row, name, self.privacy), closed)

    def _write_status(self, row: QueueRow, status: Status, reason: str) -> None:
        if status == Status.CANCELLED:  # a freed slot may go to the waitlist
            self._write(row.id, lambda: self._cancel_and_offer(row.id, reason), "Cancelled.")
            return
        self._write(
            row.id,
            lambda: self.service.set_status(row.id, status.value, reason),
            f"{LABELS[status]}.",
        )

    def _cancel_and_offer(self, appointment_id: str, reason: str) -> dict:
        result = self.service.cancel(appointment_id, reason)
        if result.get("offers"):
            self.app.call_from_thread(
                offer_waitlist,
                self.app,
                result["freed"],
                result["offers"][0],
                lambda _r, error: self.reload(),
            )
        return result

    def action_undo(self) -> None:
        row = self._selected()
        if row is not None:
            self._write(
                row.id,
                lambda: self.service.undo_status(row.id),
                "Undone (recorded as a correction).",
            )

    def _write(self, appointment_id: str | None, job, note: str) -> None:
        """Run a mutation on the writer thread; then show the committed row at once."""

        def run():
            result = job()
            # Read back on the writer thread: the screen shows what was committed.
            changed = result.get("appointment_id") or appointment_id
            return self.service.queue_row(changed) if changed else None

        def done(row: QueueRow | None, error: str | None) -> None:
            self.post_message(self.Written(row, error, None if error else note))

        self.app.write(run, done)

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
        from coordtui.screens.calls import log_call_for

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

    def action_hand_off(self) -> None:
        """A short note for the care team on this visit ("needs interpreter", "wheelchair")."""
        row = self._selected()
        if row is None:
            return
        title = Text("Hand-off note for ")
        title.append_text(Text(patient_label(row, self.privacy)))
        presets = ["Needs interpreter", "Wheelchair", "Hard of hearing", "Bring to room 2"]
        self.app.push_screen(
            ReasonScreen(title, presets),
            lambda note: (
                note
                and self._write(
                    row.id, lambda: self.service.add_hand_off(row.id, note), "Hand-off noted."
                )
            ),
        )

    def action_walk_in(self) -> None:
        self.app.push_screen(
            WalkInScreen(self.service.providers(), self.provider_filter), self._walk_in_chosen
        )

    def _walk_in_chosen(self, request: WalkInRequest | None) -> None:
        if request is None:
            return
        if self.day != self.service.today():
            self.day = self.service.today()
        self._write(
            None,
            lambda: self.service.add_walk_in(
                request.patient_id, request.provider_id, request.reason, request.priority
            ),
            "Walk-in added to today's queue.",
        )

    def action_day(self, delta: int) -> None:
        self._go_to(self.day + timedelta(days=delta))

    def action_today(self) -> None:
        self._go_to(self.service.today())

    def _go_to(self, day: date) -> None:
        self.day = day
        self.rows = []
        self._render_table()
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
