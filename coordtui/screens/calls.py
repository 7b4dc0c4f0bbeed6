"""Calls (F5): callbacks due now or overdue first, then today's call log.

d marks the highlighted callback done (who and when are recorded), z snoozes
it 30 minutes, a reassigns it; m amends the highlighted note (the original
stays visible); c logs a call for a patient; R opens tomorrow's reminder list.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import timedelta
from time import monotonic

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import DescendantFocus
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Label

from coordtui.domain.days import local
from coordtui.domain.phones import display as phone_display
from coordtui.domain.text import clean
from coordtui.widgets.clinic_header import ClinicHeader
from coordtui.widgets.columns import Column
from coordtui.widgets.key_footer import KeyFooter
from coordtui.widgets.row_table import RowTable

STATE_MARK = {"overdue": "!", "due": "•", "later": " ", "done": "✓"}
SHOWN = 200  # callbacks listed at once: the soonest due; nobody reads 2,000 rows
RESUME_FRESH = 10  # seconds: coming back sooner, with no commit since, keeps the lists
# (label, width): sized for 80 columns; the note takes what is left.
CALLBACK_COLUMNS = (
    Column("", 1),
    Column("Due", 9),
    Column("Patient", 22, least=16, flex=True),
    Column("Phone", 15),
    Column("For", 8, least=5, yields=2),
    Column("Note", 18, least=8, yields=1),
)
LOG_COLUMNS = (
    Column("Time", 5),
    Column("Patient", 22, least=16, flex=True),
    Column("Dir", 3),
    Column("Outcome", 15, least=10, yields=1),
    Column("Note", 20, least=8, yields=2),
)


def callback_cells(cb, zone, region: str) -> tuple[Text, ...]:
    return (
        Text(STATE_MARK.get(cb.state, " "), style="bold reverse" if cb.state == "overdue" else ""),
        Text(local(cb.due_at, zone).strftime("%a %H:%M")),
        Text(clean(f"{cb.family_name}, {cb.given_name}")),
        Text(phone_display(cb.phone, region)),
        Text(clean(cb.assignee)),
        Text(clean(cb.note or "")),
    )


def call_cells(call, zone) -> tuple[Text, ...]:
    note = clean(call.note)
    if call.amends:
        note = "↳ amendment: " + note
    return (
        Text(local(call.at, zone).strftime("%H:%M")),
        Text(clean(f"{call.family_name}, {call.given_name}")),
        Text(clean(call.direction)),
        Text(clean(call.outcome)),
        Text(note),
    )


def _callback_subject(cb, zone) -> Text:
    subject = Text(clean(f"{cb.family_name}, {cb.given_name}"), style="bold")
    subject.append(f" · due {local(cb.due_at, zone):%a %d %b %H:%M} · for {clean(cb.assignee)}")
    if cb.note:
        subject.append(f" · {clean(cb.note)}")
    return subject


def _call_subject(call, zone) -> Text:
    subject = Text(clean(f"{call.family_name}, {call.given_name}"), style="bold")
    way = "← in" if call.direction == "in" else "→ out"
    subject.append(f" · {local(call.at, zone):%a %d %b %H:%M} {way} · {clean(call.outcome)}")
    subject.append(f" · {clean(call.note) or '(no note)'}")
    return subject


class CallsScreen(Screen):
    DEFAULT_CSS = """
    CallsScreen .title { padding: 0 1; background: $boost; width: 100%; text-style: bold; }
    CallsScreen #callbacks { height: 1fr; }
    CallsScreen #log { height: 1fr; }
    CallsScreen #detail { height: auto; max-height: 2; padding: 0 1; background: $boost; }
    CallsScreen #message { height: 1; padding: 0 1; text-style: bold; }
    """
    BINDINGS = [
        Binding("c", "log_call", "Call", id="calls.log"),
        Binding("d", "done", "Done", id="calls.done"),
        Binding("z", "snooze", "Snooze", id="calls.snooze"),
        Binding("A", "reassign", "Reassign", key_display="A", id="calls.reassign"),
        Binding("m", "amend", "Amend", id="calls.amend"),
        Binding("R", "reminders", "Reminders", key_display="R", id="calls.reminders"),
        Binding("L", "recalls", "Recalls", key_display="L", id="calls.recalls"),
        Binding("S", "day_summary", "Summary", key_display="S", id="calls.summary"),
    ]

    class Loaded(Message):
        def __init__(self, callbacks: list, calls: list, open_count: int, seen: tuple) -> None:
            super().__init__()
            self.callbacks, self.calls = callbacks, calls
            self.open_count, self.seen = open_count, seen

    def __init__(self) -> None:
        super().__init__()
        self.callbacks: list = []
        self.calls: list = []
        self._seen: tuple | None = None  # (data_version, monotonic time) of the shown read
        # A mode's screen, first shown, makes Textual re-parse every stylesheet twice
        # (~20-40 ms) as if the CSS had changed; a pushed screen is styled as it mounts,
        # without that.  This screen is new, so it is up to date with the app's CSS.
        # (Private attribute: should it go away, this does nothing and F5 is slower.)
        with suppress(Exception):
            self._css_update_count = self.app._css_update_count

    def compose(self) -> ComposeResult:
        yield ClinicHeader(id="header")
        yield Label("Callbacks: due now and overdue first", classes="title", id="callbacks-title")
        yield RowTable(CALLBACK_COLUMNS, id="callbacks")
        yield Label("Today's calls", classes="title")
        yield RowTable(LOG_COLUMNS, id="log")
        yield Label("", id="detail")
        yield Label("", id="message")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(ClinicHeader).configure_from(self.app)
        self.query_one("#callbacks").focus()
        self.set_interval(30, self.reload)

    def on_screen_resume(self) -> None:
        """Textual resumes a screen when it is first shown too (twice): the first load."""
        if self._seen is None:
            # First show: read here, on the loop, so the first frame already has the lists.
            # A few ms whatever the store's size: the soonest SHOWN callbacks (picked in
            # SQL) and one day's calls, both by index.
            self._show(*self._read())
            return
        version, at = self._seen
        if monotonic() - at < RESUME_FRESH and self.app.service.data_version() == version:
            return  # nothing committed since the lists were read
        self.reload()

    def store_changed(self) -> None:
        self.reload()

    @on(RowTable.Highlighted)
    @on(DescendantFocus)
    def _detail(self) -> None:
        """The highlighted row of the list in use, in full (notes are cut in the lists)."""
        zone = self.app.service.zone
        text = Text()
        if self.focused is self.query_one("#log") and (call := self._call()) is not None:
            text.append_text(_call_subject(call, zone))
            if call.amends:
                text.append("  (an amendment; the original stays listed)", style="dim")
        elif (cb := self._callback()) is not None:
            text.append_text(_callback_subject(cb, zone))
        self.query_one("#detail", Label).update(text)

    def _read(self) -> tuple[list, list, int, tuple]:
        service = self.app.service
        seen = (service.data_version(), monotonic())  # before reading: a later commit shows
        callbacks = service.callbacks_due(limit=SHOWN)
        calls = service.calls_for_day(service.today())
        return callbacks, calls, service.open_callback_count(), seen

    @work(thread=True, exclusive=True, group="calls-load")
    def reload(self) -> None:
        self.post_message(self.Loaded(*self._read()))

    def on_calls_screen_loaded(self, message: Loaded) -> None:
        self._show(message.callbacks, message.calls, message.open_count, message.seen)
        self.app.refresh_pending()

    def _show(self, callbacks: list, calls: list, open_count: int, seen: tuple) -> None:
        """Cells are built when a row is first painted (RowTable), not here."""
        self._seen = seen
        self.callbacks, self.calls = callbacks[:SHOWN], calls
        zone, region = self.app.service.zone, self.app.service.clinic.phone_region
        title = "Callbacks: due now and overdue first"
        if open_count > len(self.callbacks):
            title += f" (the soonest {len(self.callbacks)} of {open_count:,} open)"
        self.query_one("#callbacks-title", Label).update(Text(title))
        self.query_one("#callbacks", RowTable).show(
            self.callbacks,
            lambda cb: callback_cells(cb, zone, region),
            key=lambda cb: cb.id,
        )
        self.query_one("#log", RowTable).show(
            self.calls, lambda call: call_cells(call, zone), key=lambda call: call.id
        )

    # ------------------------------------------------------------- actions

    def _callback(self):
        table = self.query_one("#callbacks", RowTable)
        if not self.callbacks or not 0 <= table.cursor_row < len(self.callbacks):
            return None
        return self.callbacks[table.cursor_row]

    def _call(self):
        table = self.query_one("#log", RowTable)
        if not self.calls or not 0 <= table.cursor_row < len(self.calls):
            return None
        return self.calls[table.cursor_row]

    def _write(self, job, note: str) -> None:
        def done(_result, error) -> None:
            self.query_one("#message", Label).update(Text(str(error) if error else note))
            self.reload()

        self.app.write(job, done)

    def action_done(self) -> None:
        cb = self._callback()
        if cb:
            self._write(
                lambda: self.app.service.complete_callback(cb.id),
                "Callback done (recorded with your name and the time).",
            )

    def action_snooze(self) -> None:
        cb = self._callback()
        if cb:
            service = self.app.service
            until = max(service.now(), cb.due_at) + timedelta(minutes=30)
            self._write(
                lambda: service.snooze_callback(cb.id, 30, cb.due_at),
                f"Snoozed to {local(until, service.zone):%a %H:%M}.",
            )

    def action_reassign(self) -> None:
        from coordtui.screens.reason import REASSIGN, ReasonScreen

        cb = self._callback()
        if cb:
            self.app.push_screen(
                ReasonScreen(
                    "Reassign this callback to",
                    ["anyone", self.app.config.user],
                    _callback_subject(cb, self.app.service.zone),
                    REASSIGN,
                    save=lambda who: lambda: self.app.service.reassign_callback(cb.id, who),
                ),
                lambda result: result is not None and self._saved("Reassigned."),
            )

    def action_amend(self) -> None:
        from coordtui.screens.reason import AMEND, ReasonScreen

        call = self._call()
        if call:
            self.app.push_screen(
                ReasonScreen(
                    "Amend the note of this call (the original stays visible)",
                    [],
                    _call_subject(call, self.app.service.zone),
                    AMEND,
                    save=lambda text: lambda: self.app.service.amend_call(call.id, text),
                ),
                lambda result: result is not None and self._saved("Amended."),
            )

    def _saved(self, note: str) -> None:
        self.query_one("#message", Label).update(Text(note))
        self.reload()

    def action_log_call(self) -> None:
        from coordtui.screens.log_call import log_call_for
        from coordtui.screens.pick_patient import PickPatientScreen

        self.app.push_screen(
            PickPatientScreen(Text("Log a call for which patient?")),
            lambda hit: (
                hit
                and log_call_for(
                    self.app,
                    hit.patient_id,
                    Text(clean(f"{hit.family_name}, {hit.given_name}")),
                    None,
                    self.reload,
                )
            ),
        )

    def action_reminders(self) -> None:
        from coordtui.screens.reminders import RemindersScreen

        self.app.push_screen(
            RemindersScreen(self.app.service.today() + timedelta(days=1)), lambda _r: self.reload()
        )

    def action_recalls(self) -> None:
        from coordtui.screens.recalls import RecallsScreen

        self.app.push_screen(RecallsScreen())

    def action_day_summary(self) -> None:
        from coordtui.screens.day_summary import DaySummaryScreen

        self.app.push_screen(DaySummaryScreen(self.app.service.today()))
