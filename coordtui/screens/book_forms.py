"""Small forms on the Book screen: put a patient on the waitlist, book a recurring series.

Both save themselves (``SavingDialog``, with the Book screen's ``save``): a
refusal (for a series, the refused dates with their reasons) stays in the
form with everything typed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Label

from coordtui.domain.patient import read_typed_date
from coordtui.screens.dialog import Job, SavingDialog
from coordtui.widgets.safe_input import SafeInput
from coordtui.widgets.yes_no import YesNo

FORM_CSS = """
{name} {{ align: center middle; }}
{name} #dialog {{
    width: 72; max-width: 100%; height: auto; max-height: 100%;
    border: thick $primary; background: $surface; padding: 0 1;
}}
{name} .row {{ height: 1; margin-top: 1; }}
{name} .row Label {{ width: 22; text-style: bold; }}
{name} .row Input {{ width: 1fr; }}
{name} .error {{ color: $error; text-style: bold; height: auto; }}
"""


def _field(label: str, widget) -> Horizontal:
    return Horizontal(Label(label), widget, classes="row")


@dataclass(frozen=True)
class WaitlistRequest:
    earliest: date
    latest: date
    priority: str
    note: str


@dataclass(frozen=True)
class SeriesRequest:
    first_day: date
    at: time
    every_weeks: int
    count: int


class _Form(SavingDialog):
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="form.save"),
        Binding("escape", "cancel", "Back", id="form.cancel"),
    ]

    def __init__(self, subject: Text, save: Callable[..., Job] | None = None) -> None:
        super().__init__(save)
        self.subject = subject  # who (and with whom) this is for

    def error(self, message: str) -> None:
        self.show_error(message)

    def date_value(self, widget_id: str) -> date | None:
        raw = read_typed_date(
            self.query_one(widget_id, SafeInput).value,
            self.app.service.date_order,
            self.app.service.today(),
            past=False,  # a date ahead: a two-digit year is the nearest one
        )
        try:
            return date.fromisoformat(raw)
        except ValueError:
            return None


class WaitlistForm(_Form):
    DEFAULT_CSS = FORM_CSS.format(name="WaitlistForm")

    def compose(self) -> ComposeResult:
        today = self.app.service.today()
        with Vertical(id="dialog"):
            yield Label(Text("Add to the waitlist   Ctrl+S save   Esc back", style="bold"))
            yield Label(self.subject)
            yield _field("Earliest date", SafeInput(today.isoformat(), id="earliest", compact=True))
            yield _field(
                "Latest date",
                SafeInput((today + timedelta(days=30)).isoformat(), id="latest", compact=True),
            )
            yield _field("Urgent", YesNo(id="urgent", compact=True))
            yield _field("Note", SafeInput(id="note", max_length=200, compact=True))
            yield Label("", id="error", classes="error")

    def on_mount(self) -> None:
        self.query_one("#earliest").focus()

    def action_save(self) -> None:
        earliest, latest = self.date_value("#earliest"), self.date_value("#latest")
        if earliest is None or latest is None:
            self.error("Dates must look like 2026-12-01 (or the clinic's day/month order).")
            return
        if latest < earliest:
            self.error("The latest date is before the earliest.")
            return
        self.submit(
            WaitlistRequest(
                earliest,
                latest,
                "urgent" if self.query_one("#urgent", Checkbox).value else "routine",
                self.query_one("#note", SafeInput).value.strip(),
            )
        )


class SeriesForm(_Form):
    DEFAULT_CSS = FORM_CSS.format(name="SeriesForm")

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text("Recurring series   Ctrl+S check and book   Esc back", style="bold"))
            yield Label(self.subject)
            yield _field(
                "First day",
                # From tomorrow: today's 09:00 has usually passed (and would be refused).
                SafeInput(
                    (self.app.service.today() + timedelta(days=1)).isoformat(),
                    id="first",
                    compact=True,
                ),
            )
            yield _field("Time (HH:MM)", SafeInput("09:00", id="at", compact=True))
            yield _field("Every N weeks", SafeInput("1", id="every", compact=True))
            yield _field("How many times", SafeInput("6", id="count", compact=True))
            yield Label("", id="error", classes="error")

    def on_mount(self) -> None:
        self.query_one("#first").focus()

    def action_save(self) -> None:
        first = self.date_value("#first")
        if first is None:
            self.error("First day must look like 2026-12-01.")
            return
        try:
            at = time.fromisoformat(self.query_one("#at", SafeInput).value.strip())
        except ValueError:
            self.error("Time must look like 09:30.")
            return
        try:
            every = int(self.query_one("#every", SafeInput).value)
            count = int(self.query_one("#count", SafeInput).value)
        except ValueError:
            self.error("Every N weeks and How many times must be whole numbers.")
            return
        if not (1 <= every <= 52 and 1 <= count <= 104):
            self.error("Every 1 to 52 weeks, 1 to 104 times.")
            return
        self.submit(SeriesRequest(first, at, every, count))
