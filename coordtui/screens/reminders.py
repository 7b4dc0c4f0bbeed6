"""Reminder calls for a day: one key per answer, each logs the call note."""

from __future__ import annotations

from datetime import date, timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Label

from coordtui.domain.calls import REMINDER_OUTCOMES
from coordtui.domain.days import format_day, local
from coordtui.domain.phones import display as phone_display
from coordtui.domain.text import clean
from coordtui.screens.keys import day_bindings
from coordtui.widgets.clinic_header import ClinicHeader
from coordtui.widgets.columns import Column
from coordtui.widgets.key_footer import KeyFooter
from coordtui.widgets.row_table import RowTable

COLUMNS = (
    Column("Time", 5),
    Column("Patient", 22, least=16, flex=True),
    Column("Phone", 14, least=12, yields=1),
    Column("Lang", 4, least=0, yields=3),
    Column("With", 10, least=6, yields=2),
    Column("Called", 13, least=8, yields=1),
)


CALLED_MARKS = {"reached": "✓", "left message": "✉", "no answer": "✗"}
SHORT = {"left message": "left msg"}  # fits the column at 80


def reminder_cells(row, zone, region) -> tuple[Text, ...]:
    called = Text("")
    if row.reminded:  # in the list's own words, with a mark that does not need colour
        said = {outcome: mark for mark, outcome in REMINDER_OUTCOMES.items()}
        word = said.get(row.last_outcome, clean(row.last_outcome)) or "called"
        called = Text(f"{CALLED_MARKS.get(word, '•')} {SHORT.get(word, word)}")
    return (
        Text(local(row.start, zone).strftime("%H:%M")),
        Text(clean(f"{row.family_name}, {row.given_name}")),
        Text(phone_display(row.phone, region)),
        Text(clean(row.preferred_language)),
        Text(clean(row.provider)),
        called,
    )


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
    HELP_NOTES = ("Each answer logs the reminder call (shown as ✓ in Called).",)

    def __init__(self, day: date):
        super().__init__()
        self.day = day
        self.rows: list = []

    def compose(self) -> ComposeResult:
        yield ClinicHeader(id="header")
        yield Label("", id="title")
        yield RowTable(COLUMNS, id="list")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(ClinicHeader).configure_from(self.app)
        self.load()
        self.query_one("#list").focus()

    def store_changed(self) -> None:
        self.load()

    def load(self) -> None:
        service = self.app.service
        self.rows = service.reminder_list(self.day)
        zone, region = service.zone, service.clinic.phone_region
        done = sum(1 for r in self.rows if r.reminded)
        title = Text(f"Reminder calls for {format_day(self.day)}: ", style="bold")
        title.append(f"{done} of {len(self.rows)} called")
        self.query_one("#title", Label).update(title)
        self.query_one("#list", RowTable).show(
            self.rows,
            lambda r: reminder_cells(r, zone, region),
            key=lambda r: r.appointment_id,
        )

    def action_mark(self, outcome: str) -> None:
        table = self.query_one("#list", RowTable)
        row = table.selected
        if row is None:
            return

        def done(_result, error) -> None:
            if error:
                self.app.notify(str(error), severity="error", markup=False)
            self.load()  # the cursor stays on the patient just marked (Down for the next)

        self.app.write(lambda: self.app.service.log_reminder(row.appointment_id, outcome), done)

    def action_day(self, delta: int) -> None:
        self.day += timedelta(days=delta)
        self.load()

    def action_today(self) -> None:
        self.day = self.app.service.today()
        self.load()

    def action_back(self) -> None:
        self.dismiss()
