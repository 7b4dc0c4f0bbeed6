"""Recall list (L on Calls): patients due for a follow-up, earliest due first; book from it.

b opens the usual Book screen for the patient and the recall: the booking
made there closes the recall (as booked, with the appointment) in its own
transaction, so there is nothing to watch from here.  Coming back without
having booked leaves the recall open; the list reloads whenever it is shown.
"""

from __future__ import annotations

from datetime import date, timedelta

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
from coordtui.read_models.calls import RecallRow
from coordtui.screens.confirm import ConfirmScreen
from coordtui.screens.why import ExplainsDisabledKeys
from coordtui.widgets.clinic_header import ClinicHeader
from coordtui.widgets.columns import Column
from coordtui.widgets.key_footer import KeyFooter
from coordtui.widgets.row_table import RowTable

HORIZON_DAYS = 14  # the list shows recalls due up to today + this, by default
HORIZON_STEP = 7


def due_marker(due: date, today: date) -> tuple[str, str, str]:
    """(mark, words, style): overdue is said in text as well as shown reversed."""
    days = (due - today).days
    if days < 0:
        return "!", f"{-days}d overdue", "bold reverse"
    if days == 0:
        return "•", "due today", "bold"
    return " ", f"in {days}d", ""


COLUMNS = (
    Column("", 1),
    Column("Due", 10),
    Column("When", 11, least=0, yields=1),
    Column("Patient", 22, least=16, flex=True),
    Column("Phone", 14, least=12, yields=2),
    Column("Reason", 14, least=6, yields=3),
)


def recall_cells(r: RecallRow, today: date, region: str) -> tuple[Text, ...]:
    mark, words, style = due_marker(r.due_date, today)
    return (
        Text(mark, style=style),
        Text(r.due_date.strftime("%a %d %b")),
        Text(words, style="bold" if mark == "!" else ""),
        Text(clean(f"{r.family_name}, {r.given_name}")),
        Text(phone_display(r.phone, region)),
        Text(clean(r.reason)),
    )


class RecallsScreen(ExplainsDisabledKeys, Screen):
    CSS_PATH = "recalls.tcss"
    BINDINGS = [
        Binding("b", "book", "Book", id="recalls.book"),
        Binding("x", "close_recall", "Close recall", id="recalls.close"),
        Binding("c", "log_call", "Call", id="recalls.call"),
        Binding("enter", "open_patient", "Patient", show=False, id="recalls.open_patient"),
        Binding(
            "left_square_bracket",
            f"horizon(-{HORIZON_STEP})",
            f"Due by -{HORIZON_STEP}d",
            key_display="[",
            show=False,
            id="recalls.horizon_less",
        ),
        Binding(
            "right_square_bracket",
            f"horizon({HORIZON_STEP})",
            f"Due by +{HORIZON_STEP}d",
            key_display="]",
            show=False,
            id="recalls.horizon_more",
        ),
        Binding("t", "horizon_reset", f"Due by +{HORIZON_DAYS}d", show=False, id="recalls.reset"),
        Binding("escape", "back", "Back", id="recalls.back"),
    ]

    class Loaded(Message):
        def __init__(self, until: date, rows: list[RecallRow]) -> None:
            super().__init__()
            self.until, self.rows = until, rows

    def __init__(self) -> None:
        super().__init__()
        self.until: date = self.app.service.today() + timedelta(days=HORIZON_DAYS)
        self.rows: list[RecallRow] = []

    def compose(self) -> ComposeResult:
        yield ClinicHeader(id="header")
        yield Label("", id="title")
        yield RowTable(COLUMNS, id="recalls")
        yield Label("", id="message")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(ClinicHeader).configure_from(self.app)
        self.reload()
        self.query_one("#recalls").focus()
        self.set_interval(30, self.reload)  # recalls set or closed at other desks

    def store_changed(self) -> None:
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()  # back from Book: a recall booked there is off the list

    def on_resize(self) -> None:
        self._paint()

    # ------------------------------------------------------------- loading

    @work(thread=True, exclusive=True, group="recalls-load")
    def reload(self) -> None:
        until = self.until
        self.post_message(self.Loaded(until, self.app.service.recalls_due(until)))

    def on_recalls_screen_loaded(self, message: Loaded) -> None:
        if message.until == self.until:  # else a newer horizon is loading
            self.rows = message.rows
            self._paint()

    def _paint(self) -> None:
        service = self.app.service
        today, region = service.today(), service.clinic.phone_region
        overdue = sum(1 for r in self.rows if r.due_date < today)
        title = Text(f"Recalls due by {format_day(self.until)}: {len(self.rows)}", style="bold")
        if overdue:
            title.append("  ")
            title.append(f"!{overdue} overdue", style="bold reverse")
        if not self.rows:
            title.append("  (] looks further ahead)")
        legend = "   [ ] due by -/+7d  t reset"
        if title.cell_len + len(legend) <= self.size.width - 2:
            title.append(legend, style="dim")
        self.query_one("#title", Label).update(title)
        self.query_one("#recalls", RowTable).show(
            self.rows, lambda r: recall_cells(r, today, region), key=lambda r: r.id
        )
        self._highlighted()

    # ------------------------------------------------------------- actions

    def check_action(self, action: str, parameters) -> bool | None:
        if action in ("book", "close_recall", "log_call", "open_patient"):
            return True if self._selected() else None
        return True

    def _selected(self) -> RecallRow | None:
        return self.query_one("#recalls", RowTable).selected

    def _say(self, message: str) -> None:
        self.query_one("#message", Label).update(Text(message))

    @on(RowTable.Highlighted)
    def _highlighted(self) -> None:
        self.keys_depend_on(self._selected() is None)

    def why_disabled(self, action: str, parameters) -> str | None:
        return "no recall is due by this date (] looks further ahead)" if not self.rows else None

    def action_open_patient(self) -> None:
        from coordtui.screens.patient import PatientScreen

        recall = self._selected()
        if recall:
            self.app.push_screen(PatientScreen(recall.patient_id))

    def action_log_call(self) -> None:
        from coordtui.screens.log_call import log_call_for

        recall = self._selected()
        if recall:
            who = Text(clean(f"{recall.family_name}, {recall.given_name}"))
            log_call_for(self.app, recall.patient_id, who, None, self.reload)

    def action_close_recall(self) -> None:
        recall = self._selected()
        if recall is None:
            return
        question = Text("Take ")
        question.append(clean(f"{recall.family_name}, {recall.given_name}"), style="bold")
        question.append(" off the recall list?")
        detail = Text(f"Due {format_day(recall.due_date)}: ")
        detail.append(clean(recall.reason) or "follow-up")
        detail.append("\nRecorded as closed without a booking (kept, not deleted).")
        self.app.push_screen(
            ConfirmScreen(
                question,
                detail,
                save=lambda: lambda: self.app.service.close_recall(recall.id),
            ),
            lambda result: result is not None and (self._say("Recall closed."), self.reload()),
        )

    def action_book(self) -> None:
        recall = self._selected()
        if recall:
            self._start_booking(recall)

    @work(thread=True, exclusive=True, group="recalls-book")
    def _start_booking(self, recall: RecallRow) -> None:
        record = self.app.service.patient(recall.patient_id)
        number = record.record_number if record else ""
        self.app.call_from_thread(self._open_book, recall, number)

    async def _open_book(self, recall: RecallRow, record_number: str) -> None:
        await self.app.book_for(
            recall.patient_id,
            recall.given_name,
            recall.family_name,
            record_number,
            recall_id=recall.id,
            recall_due=recall.due_date,
        )

    def action_horizon(self, days: int) -> None:
        today = self.app.service.today()
        self.until = max(today, self.until + timedelta(days=days))
        self.reload()

    def action_horizon_reset(self) -> None:
        self.until = self.app.service.today() + timedelta(days=HORIZON_DAYS)
        self.reload()

    def action_back(self) -> None:
        self.dismiss()
