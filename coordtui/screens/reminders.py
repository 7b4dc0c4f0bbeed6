"""Reminder calls for a day: one key per answer, each logs the call note."""

from __future__ import annotations

from datetime import date, timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label

from coordtui.domain.days import format_day, local
from coordtui.domain.phones import display as phone_display
from coordtui.domain.text import clean
from coordtui.screens.keys import day_bindings
from coordtui.widgets.clinic_header import ClinicHeader


class RemindersScreen(Screen):
    DEFAULT_CSS = """
    RemindersScreen #title { padding: 0 1; background: $boost; width: 100%; }
    RemindersScreen #list { height: 1fr; }
    """
    BINDINGS = [
        Binding("r", "mark('reached')", "Reached", id="reminders.reached"),
        Binding("l", "mark('left message')", "Left message", id="reminders.left"),
        Binding("n", "mark('no answer')", "No answer", id="reminders.no_answer"),
        *day_bindings("reminders"),
        Binding("escape", "back", "Back", id="reminders.back"),
    ]

    def __init__(self, day: date):
        super().__init__()
        self.day = day
        self.rows: list = []

    def compose(self) -> ComposeResult:
        yield ClinicHeader(id="header")
        yield Label("", id="title")
        yield DataTable(id="list", cursor_type="row")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(ClinicHeader).configure_from(self.app)
        self.query_one("#list", DataTable).add_columns(
            Text("Time"), Text("Patient"), Text("Phone"), Text("Lang"), Text("With"), Text("Called")
        )
        self.load()
        self.query_one("#list").focus()

    def store_changed(self) -> None:
        self.load()

    def load(self) -> None:
        service = self.app.service
        self.rows = service.reminder_list(self.day)
        zone, region = service.zone, service.clinic.phone_region
        self.query_one("#title", Label).update(
            Text(
                f"Reminder calls for {format_day(self.day)}: {len(self.rows)} appointment(s)   "
                "r reached  l left message  n no answer  [ ] day",
                style="bold",
            )
        )
        table = self.query_one("#list", DataTable)
        row = table.cursor_row
        table.clear()
        for r in self.rows:
            table.add_row(
                Text(local(r.start, zone).strftime("%H:%M")),
                Text(clean(f"{r.family_name}, {r.given_name}"), no_wrap=True),
                Text(phone_display(r.phone, region)),
                Text(clean(r.preferred_language)),
                Text(clean(r.provider)),
                Text(clean(r.reminded or "")),
            )
        if self.rows:
            table.move_cursor(row=min(row, len(self.rows) - 1))

    def action_mark(self, outcome: str) -> None:
        table = self.query_one("#list", DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return
        row = self.rows[table.cursor_row]

        def done(_result, error) -> None:
            if error:
                self.app.notify(str(error), severity="error", markup=False)
            self.load()
            table.move_cursor(row=min(table.cursor_row + 1, max(len(self.rows) - 1, 0)))

        self.app.write(lambda: self.app.service.log_reminder(row.appointment_id, outcome), done)

    def action_day(self, delta: int) -> None:
        self.day += timedelta(days=delta)
        self.load()

    def action_today(self) -> None:
        self.day = self.app.service.today()
        self.load()

    def action_back(self) -> None:
        self.dismiss()
