"""Day summary (S on the queue or Calls): the `coordtui report day` figures on screen.

Per provider: booked, arrived, seen, no-shows, cancellations, average and
longest wait; then the day's calls logged and callbacks still open.  Counts
only, no patient names, so it is safe to leave up at the desk.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Label

from coordtui.domain.calls import ProviderSummary, Summary
from coordtui.domain.days import format_day
from coordtui.domain.text import clean
from coordtui.screens.keys import day_bindings
from coordtui.widgets.clinic_header import ClinicHeader
from coordtui.widgets.key_footer import KeyFooter

# (heading, width): figures are short, so the provider name gets the rest.
FIGURES = (
    ("Booked", 6),
    ("Arrived", 7),
    ("Seen", 4),
    ("No-show", 7),
    ("Cancel", 6),
    ("Avg wait", 8),
    ("Max wait", 8),
)


def minutes(value: float | None) -> str:
    """12.5 -> '12.5m', 20.0 -> '20m', None -> '-'."""
    return "-" if value is None else f"{value:g}m"


def figures(row: ProviderSummary) -> list[str]:
    return [
        str(row.booked),
        str(row.arrived),
        str(row.seen),
        str(row.no_show),
        str(row.cancelled),
        minutes(row.avg_wait),
        minutes(row.max_wait),
    ]


class DaySummaryScreen(Screen):
    CSS_PATH = "day_summary.tcss"
    BINDINGS = [
        *[replace(b, show=True) for b in day_bindings("summary")],  # the footer has room here
        Binding("escape", "back", "Back", id="summary.back"),
    ]

    class Loaded(Message):
        def __init__(self, day: date, summary: Summary) -> None:
            super().__init__()
            self.day, self.summary = day, summary

    def __init__(self, day: date) -> None:
        super().__init__()
        self.day = day
        self.summary: Summary | None = None

    def compose(self) -> ComposeResult:
        yield ClinicHeader(id="header")
        yield Label("", id="title")
        yield DataTable(id="providers", cursor_type="row", zebra_stripes=True)
        yield Label("", id="calls")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(ClinicHeader).configure_from(self.app)
        self._columns()
        self._paint()
        self.reload()
        self.query_one("#providers").focus()
        self.set_interval(30, self.reload)  # today's figures move as the day goes on

    def on_resize(self) -> None:
        self._columns()
        self._paint()

    @work(thread=True, exclusive=True, group="summary-load")
    def store_changed(self) -> None:
        self.reload()

    def reload(self) -> None:
        day = self.day
        self.post_message(self.Loaded(day, self.app.service.day_summary(day)))

    def on_day_summary_screen_loaded(self, message: Loaded) -> None:
        if message.day == self.day:  # else another day is loading
            self.summary = message.summary
            self._paint()

    def _columns(self) -> None:
        """Fixed widths from the terminal width: 80 columns never scroll sideways."""
        table = self.query_one("#providers", DataTable)
        table.clear(columns=True)
        used = sum(width + 2 for _, width in FIGURES) + 2 + 2  # cell padding, scrollbar
        table.add_column(Text("Provider"), width=max(10, self.size.width - used))
        for heading, width in FIGURES:
            table.add_column(Text(heading, justify="right"), width=width)

    def _paint(self) -> None:
        title = Text(f"Day summary for {format_day(self.day)}", style="bold")
        if self.day == self.app.service.today():
            title.append(" (today)", style="bold")
        self.query_one("#title", Label).update(title)
        table = self.query_one("#providers", DataTable)
        table.clear()
        summary = self.summary
        calls = self.query_one("#calls", Label)
        if summary is None:
            calls.update(Text("Loading…"))
            return
        for row in summary.providers:
            table.add_row(
                Text(clean(row.provider), no_wrap=True, overflow="ellipsis"),
                *[Text(v, justify="right") for v in figures(row)],
            )
        if summary.providers:
            table.add_row(
                Text(clean(summary.total.provider), style="bold"),
                *[Text(v, justify="right", style="bold") for v in figures(summary.total)],
            )
        else:
            table.add_row(Text("No appointments on this day."), *[Text("")] * len(FIGURES))
        line = Text(f"Calls logged {summary.calls_logged}   ")
        line.append(f"Callbacks outstanding {summary.callbacks_outstanding}")
        if summary.callbacks_overdue:
            line.append("  ")
            line.append(f"!{summary.callbacks_overdue} overdue", style="bold reverse")
        rate = summary.total.no_show_rate
        if rate is not None:
            line.append(f"   No-show rate {rate:.0%}")
        calls.update(line)

    def action_day(self, delta: int) -> None:
        self._go_to(self.day + timedelta(days=delta))

    def action_today(self) -> None:
        self._go_to(self.app.service.today())

    def _go_to(self, day: date) -> None:
        self.day = day
        self.summary = None
        self._paint()
        self.reload()

    def action_back(self) -> None:
        self.dismiss()
