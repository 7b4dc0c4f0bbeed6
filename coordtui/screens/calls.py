"""Calls (F5): callbacks due now or overdue first, then today's call log.

d marks the highlighted callback done (who and when are recorded), z snoozes
it 30 minutes, a reassigns it; m amends the highlighted note (the original
stays visible); c logs a call for a patient; R opens tomorrow's reminder list.
"""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label

from coordtui.domain.days import local
from coordtui.domain.text import clean
from coordtui.widgets.clinic_header import ClinicHeader

STATE_MARK = {"overdue": "!", "due": "•", "later": " ", "done": "✓"}
SHOWN = 200  # callbacks listed at once: the soonest due; nobody reads 2,000 rows


class CallsScreen(Screen):
    DEFAULT_CSS = """
    CallsScreen .title { padding: 0 1; background: $boost; width: 100%; text-style: bold; }
    CallsScreen #callbacks { height: 1fr; }
    CallsScreen #log { height: 1fr; }
    CallsScreen #message { height: 1; padding: 0 1; text-style: bold; }
    """
    BINDINGS = [
        Binding("c", "log_call", "Log call", id="calls.log"),
        Binding("d", "done", "Done", id="calls.done"),
        Binding("z", "snooze", "Snooze 30m", id="calls.snooze"),
        Binding("A", "reassign", "Reassign", key_display="A", id="calls.reassign"),
        Binding("m", "amend", "Amend note", id="calls.amend"),
        Binding("R", "reminders", "Reminders", key_display="R", id="calls.reminders"),
    ]

    class Loaded(Message):
        def __init__(self, callbacks: list, calls: list) -> None:
            super().__init__()
            self.callbacks, self.calls = callbacks, calls

    def __init__(self) -> None:
        super().__init__()
        self.callbacks: list = []
        self.calls: list = []

    def compose(self) -> ComposeResult:
        yield ClinicHeader(id="header")
        yield Label("Callbacks: due now and overdue first", classes="title")
        yield DataTable(id="callbacks", cursor_type="row")
        yield Label("Today's calls", classes="title")
        yield DataTable(id="log", cursor_type="row")
        yield Label("", id="message")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(ClinicHeader).configure_from(self.app)
        self.query_one("#callbacks", DataTable).add_columns(
            Text(""), Text("Due"), Text("Patient"), Text("Phone"), Text("For"), Text("Note")
        )
        self.query_one("#log", DataTable).add_columns(
            Text("Time"), Text("Patient"), Text("Dir"), Text("Outcome"), Text("Note")
        )
        self.reload()
        self.query_one("#callbacks").focus()
        self.set_interval(30, self.reload)

    def on_screen_resume(self) -> None:
        self.reload()

    @work(thread=True, exclusive=True, group="calls-load")
    def reload(self) -> None:
        service = self.app.service
        callbacks = service.callbacks_due()
        calls = service.calls_for_day(service.today())
        self.post_message(self.Loaded(callbacks, calls))

    def on_calls_screen_loaded(self, message: Loaded) -> None:
        self.callbacks, self.calls = message.callbacks, message.calls
        zone = self.app.service.zone
        table = self.query_one("#callbacks", DataTable)
        row = table.cursor_row
        table.clear()
        self.callbacks = self.callbacks[:SHOWN]
        for cb in self.callbacks:
            mark = STATE_MARK.get(cb.state, " ")
            table.add_row(
                Text(mark, style="bold reverse" if cb.state == "overdue" else ""),
                Text(local(cb.due_at, zone).strftime("%a %H:%M")),
                Text(clean(f"{cb.family_name}, {cb.given_name}"), no_wrap=True),
                Text(clean(cb.phone)),
                Text(clean(cb.assignee)),
                Text(clean(cb.note or ""), no_wrap=True, overflow="ellipsis"),
            )
        if self.callbacks:
            table.move_cursor(row=min(row, len(self.callbacks) - 1))
        log = self.query_one("#log", DataTable)
        log.clear()
        for call in self.calls:
            note = clean(call.note)
            if call.amends:
                note = "↳ amendment: " + note
            log.add_row(
                Text(local(call.at, zone).strftime("%H:%M")),
                Text(clean(f"{call.family_name}, {call.given_name}"), no_wrap=True),
                Text(call.direction),
                Text(clean(call.outcome)),
                Text(note, no_wrap=True, overflow="ellipsis"),
            )
        self.app.refresh_pending()

    # ------------------------------------------------------------- actions

    def _callback(self):
        table = self.query_one("#callbacks", DataTable)
        if not self.callbacks or not 0 <= table.cursor_row < len(self.callbacks):
            return None
        return self.callbacks[table.cursor_row]

    def _call(self):
        table = self.query_one("#log", DataTable)
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
            self._write(lambda: self.app.service.snooze_callback(cb.id, 30), "Snoozed 30 minutes.")

    def action_reassign(self) -> None:
        from coordtui.screens.reason import ReasonScreen

        cb = self._callback()
        if cb:
            self.app.push_screen(
                ReasonScreen(Text("Reassign this callback to"), ["anyone", self.app.config.user]),
                lambda who: (
                    who
                    and self._write(
                        lambda: self.app.service.reassign_callback(cb.id, who), "Reassigned."
                    )
                ),
            )

    def action_amend(self) -> None:
        from coordtui.screens.reason import ReasonScreen

        call = self._call()
        if call:
            self.app.push_screen(
                ReasonScreen(Text("Amendment (the original note stays visible)"), []),
                lambda text: (
                    text
                    and self._write(lambda: self.app.service.amend_call(call.id, text), "Amended.")
                ),
            )

    def action_log_call(self) -> None:
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


def log_call_for(app, patient_id: str, who: Text, appointment_id: str | None, after) -> None:
    """c from anywhere: ask, then save through the writer; messages at the dialog."""
    from coordtui.screens.log_call import LogCallScreen

    def chosen(request) -> None:
        if request is None:
            return

        def done(result, error) -> None:
            if error:
                app.notify(str(error), title="Not saved", severity="error", markup=False)
            else:
                note = "Call logged."
                if result.get("capped"):
                    note += " The note was very long and was cut to 4,000 characters."
                app.notify(note, markup=False)
            if after:
                after()

        app.write(
            lambda: app.service.log_call(
                patient_id,
                request.direction,
                request.who_kind,
                request.who_name,
                request.reason,
                request.outcome,
                request.note,
                appointment_id=appointment_id,
                callback_due=request.callback_due,
            ),
            done,
        )

    app.push_screen(LogCallScreen(who, app.service.now()), chosen)
