"""Waitlist (L on Book): who is waiting for a sooner or a first appointment, urgent first.

b books one: the Book screen opens for the patient with the entry's type and
provider from its earliest date, and the booking made there closes the entry
in the same transaction (``book_from_waitlist``).  x takes an entry off the
list with a reason (kept, not deleted).
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Label

from coordtui.domain.days import format_day
from coordtui.domain.phones import display as phone_display
from coordtui.domain.text import clean
from coordtui.read_models.booking import WaitlistRow
from coordtui.screens.why import ExplainsDisabledKeys
from coordtui.widgets.clinic_header import ClinicHeader
from coordtui.widgets.columns import Column
from coordtui.widgets.key_footer import KeyFooter
from coordtui.widgets.row_table import RowTable

COLUMNS = (
    Column("", 1),
    Column("From", 6),
    Column("To", 6),
    Column("Patient", 22, least=16, flex=True),
    Column("Phone", 14, least=0, yields=3),
    Column("Type", 12, least=8, yields=1),
    Column("With", 10, least=6, yields=2),
    Column("Note", 14, least=0, yields=4),
)
CLOSE_REASONS = ["Booked elsewhere", "No longer needed", "Could not reach the patient"]


def waitlist_cells(row: WaitlistRow, region: str) -> tuple[Text, ...]:
    urgent = row.priority == "urgent"
    return (
        Text("!" if urgent else " ", style="bold reverse" if urgent else ""),
        Text(row.earliest.strftime("%d %b")),
        Text(row.latest.strftime("%d %b")),
        Text(clean(f"{row.family_name}, {row.given_name}")),
        Text(phone_display(row.phone, region)),
        Text(clean(row.type_name)),
        Text(clean(row.provider) or "anyone"),
        Text(clean(row.note)),
    )


class WaitlistScreen(ExplainsDisabledKeys, Screen):
    CSS_PATH = "waitlist.tcss"
    BINDINGS = [
        Binding("b", "book", "Book", id="waitlist.book"),
        Binding("x", "close_entry", "Take off list", id="waitlist.close"),
        Binding("escape", "back", "Back", id="waitlist.back"),
    ]
    HELP_NOTES = (
        "Urgent entries ('!') first, then the longest waiting. b books: the booking",
        "closes the entry. A freed slot (a cancellation) is offered to the first match.",
    )

    class Loaded(Message):
        def __init__(self, rows: list[WaitlistRow]) -> None:
            super().__init__()
            self.rows = rows

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[WaitlistRow] = []

    def compose(self) -> ComposeResult:
        yield ClinicHeader(id="header")
        yield Label("", id="title")
        yield RowTable(COLUMNS, id="waitlist")
        yield Label("", id="detail")
        yield Label("", id="message")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(ClinicHeader).configure_from(self.app)
        self.query_one("#waitlist").focus()
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()  # back from Book: an entry booked there is off the list

    def store_changed(self) -> None:
        self.reload()

    @work(thread=True, exclusive=True, group="waitlist-load")
    def reload(self) -> None:
        self.post_message(self.Loaded(self.app.service.waitlist_open()))

    def on_waitlist_screen_loaded(self, message: Loaded) -> None:
        self.rows = message.rows
        region = self.app.service.clinic.phone_region
        urgent = sum(1 for r in self.rows if r.priority == "urgent")
        title = Text(f"Waitlist: {len(self.rows)} waiting", style="bold")
        if urgent:
            title.append("  ")
            title.append(f"!{urgent} urgent", style="bold reverse")
        self.query_one("#title", Label).update(title)
        self.query_one("#waitlist", RowTable).show(
            self.rows, lambda r: waitlist_cells(r, region), key=lambda r: r.id
        )

    def _selected(self) -> WaitlistRow | None:
        return self.query_one("#waitlist", RowTable).selected

    @on(RowTable.Highlighted)
    def _detail(self) -> None:
        row = self._selected()
        text = Text()
        if row is not None:
            text.append(clean(f"{row.family_name}, {row.given_name}"), style="bold")
            text.append(f" {clean(row.record_number)} · {format_day(row.earliest)} to ")
            text.append(f"{format_day(row.latest)} · {clean(row.type_name)} with ")
            text.append(clean(row.provider) or "any provider")
            if row.note:
                text.append(f" · {clean(row.note)}")
        self.query_one("#detail", Label).update(text)
        self.keys_depend_on(row is None)

    def check_action(self, action: str, parameters) -> bool | None:
        if action in ("book", "close_entry"):
            return True if self._selected() else None
        return True

    def why_disabled(self, action: str, parameters) -> str | None:
        return "nobody is on the waitlist" if not self.rows else None

    def action_book(self) -> None:
        row = self._selected()
        if row is not None:
            self.app.call_later(self.app.book_from_waitlist, row)

    def action_close_entry(self) -> None:
        from coordtui.screens.reason import ReasonScreen, Wording

        row = self._selected()
        if row is None:
            return
        subject = Text(clean(f"{row.family_name}, {row.given_name}"), style="bold")
        subject.append(f" · {clean(row.type_name)} · {format_day(row.earliest)} to ")
        subject.append(format_day(row.latest))
        self.app.push_screen(
            ReasonScreen(
                "Take off the waitlist? Why:",
                CLOSE_REASONS,
                subject,
                Wording(enter="take off the list", escape="keep waiting"),
                save=lambda reason: lambda: self.app.service.waitlist_close(row.id, reason),
            ),
            lambda result: result is not None and self._taken_off(),
        )

    def _taken_off(self) -> None:
        self.query_one("#message", Label).update(
            Text("Taken off the waitlist (kept, not deleted).")
        )
        self.reload()

    def action_back(self) -> None:
        self.dismiss()
