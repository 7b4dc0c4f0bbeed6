"""Hours and leave (h on the Book screen): a provider's weekly template and exceptions.

The weekly hours are typed per day as ranges ("08:00-12:00, 13:00-17:00"; empty
means not working).  Ctrl+S saves them through ``set_provider_schedule``; the
domain validator's messages (overlaps, end before start) are shown as they
are.  Exceptions (leave, holidays, extra sessions) are listed below; Ctrl+N adds,
Ctrl+R removes the highlighted one (asks first).  Control keys, so they work
while a field has focus.
"""

from __future__ import annotations

import json
from datetime import timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Checkbox, Label

from coordtui.domain.patient import read_typed_date
from coordtui.domain.text import clean
from coordtui.screens.confirm import ConfirmScreen
from coordtui.screens.dialog import SavingDialog
from coordtui.widgets.clinic_header import ClinicHeader
from coordtui.widgets.columns import Column
from coordtui.widgets.key_footer import KeyFooter
from coordtui.widgets.row_table import RowTable
from coordtui.widgets.safe_input import SafeInput
from coordtui.widgets.yes_no import YesNo

DAYS = (
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
)


def ranges_text(sessions: list[list[str]]) -> str:
    return ", ".join(f"{a}-{b}" for a, b in sessions)


def parse_ranges(text: str) -> list[list[str]] | str:
    """'08:00-12:00, 13:00-17:00' -> [["08:00","12:00"], ...]; a message if malformed."""
    out = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        start, sep, end = part.partition("-")
        if not sep:
            return f"'{part}' must look like 08:00-12:00"
        out.append([start.strip(), end.strip()])
    return out


EXCEPTION_COLUMNS = (
    Column("From", 10),
    Column("To", 10),
    Column("Hours", 11),
    Column("Kind", 12, least=5, yields=1),
    Column("Reason", 20, least=8, flex=True),
)


def _exception_cells(row) -> tuple[Text, ...]:
    hours = f"{row.start_time}-{row.end_time}" if row.start_time else "whole day"
    return (
        Text(row.first_day.isoformat()),
        Text(row.last_day.isoformat()),
        Text(hours),
        Text("leave/closed" if row.kind == "closure" else "extra"),
        Text(clean(row.reason)),
    )


class ScheduleScreen(Screen):
    IS_FORM = True  # printable keys are for the fields
    DEFAULT_CSS = """
    ScheduleScreen #title { padding: 0 1; background: $boost; width: 100%; }
    ScheduleScreen #week { height: auto; padding: 0 1; }
    ScheduleScreen .row { height: 1; }
    ScheduleScreen .row Label { width: 22; text-style: bold; }
    ScheduleScreen .row Input { width: 1fr; }
    ScheduleScreen #error { color: $error; text-style: bold; height: auto; padding: 0 1; }
    ScheduleScreen #exceptions { height: 1fr; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save hours", id="schedule.save"),
        Binding("ctrl+n", "add_exception", "Add leave/extra", id="schedule.add"),
        Binding("ctrl+r", "remove_exception", "Remove leave", id="schedule.remove"),
        Binding("escape", "back", "Back", id="schedule.back"),
    ]

    def __init__(self, provider_id: str):
        super().__init__()
        self.provider_id = provider_id
        self.rows = []

    def compose(self) -> ComposeResult:
        service = self.app.service
        setup = service.provider_setup(self.provider_id)
        week = json.loads(setup.template.to_json()) if setup else {}
        self.provider_name = clean(setup.short_name if setup else "?")
        yield ClinicHeader(id="header")
        title = Text("Hours and leave: ", style="bold")
        title.append(self.provider_name, style="bold")
        title.append(
            "   Ctrl+S save hours  Ctrl+N add leave  Ctrl+R remove  Esc back", style="bold"
        )
        yield Label(title, id="title")
        with VerticalScroll(id="week"):
            for key, name in DAYS:
                yield Horizontal(
                    Label(name),
                    SafeInput(
                        ranges_text(week.get(key, [])),
                        id=f"d-{key}",
                        compact=True,
                        placeholder="not working",
                    ),
                    classes="row",
                )
            yield Horizontal(
                Label("Slot grid (minutes)"),
                SafeInput(str(setup.slot_minutes if setup else 15), id="grid", compact=True),
                classes="row",
            )
            yield Horizontal(
                Label("Overbooking allowance"),
                SafeInput(str(setup.allowance if setup else 0), id="allowance", compact=True),
                classes="row",
            )
        yield Label("", id="error")
        yield RowTable(EXCEPTION_COLUMNS, id="exceptions")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(ClinicHeader).configure_from(self.app)
        self.load_exceptions()
        self.query_one("#d-mon").focus()
        self._saved = self._typed()

    def _typed(self) -> tuple:
        return tuple(w.value for w in self.query(SafeInput))

    def has_unsaved_work(self) -> bool:
        return self._typed() != self._saved

    def store_changed(self) -> None:
        self.load_exceptions()  # leave and holidays added at another desk; typed hours stay

    def load_exceptions(self) -> None:
        service = self.app.service
        today = service.today()
        self.rows = service.schedule_exceptions(
            self.provider_id, today, today + timedelta(days=366)
        )
        self.query_one("#exceptions", RowTable).show(
            self.rows, _exception_cells, key=lambda row: row.id
        )

    def _error(self, message: str) -> None:
        self.query_one("#error", Label).update(Text(message))

    def action_save(self) -> None:
        week = {}
        for key, name in DAYS:
            parsed = parse_ranges(self.query_one(f"#d-{key}", SafeInput).value)
            if isinstance(parsed, str):
                self._error(f"{name}: {parsed}")
                self.query_one(f"#d-{key}").focus()
                return
            if parsed:
                week[key] = parsed
        try:
            grid = int(self.query_one("#grid", SafeInput).value)
            allowance = int(self.query_one("#allowance", SafeInput).value)
        except ValueError:
            self._error("Slot grid and overbooking allowance must be whole numbers.")
            return
        service = self.app.service

        def done(result, error) -> None:
            self._error(str(error) if error else "")
            if not error:
                self._saved = self._typed()
                self.app.notify("Hours saved.", markup=False, timeout=2)

        self.app.write(
            lambda: service.set_provider_schedule(
                self.provider_id, week, slot_minutes=grid, overbook_allowance=allowance
            ),
            done,
        )

    def action_add_exception(self) -> None:
        service, provider_id = self.app.service, self.provider_id
        self.app.push_screen(
            ExceptionForm(
                self.provider_name,
                save=lambda values: lambda: service.add_schedule_exception(provider_id, **values),
            ),
            self._exception_added,
        )

    def _exception_added(self, result) -> None:
        if result is None:
            return
        affected = len(result.get("affected") or [])
        note = "Saved."
        if affected:
            note += f" {affected} booked appointment(s) fall in it: reschedule them."
        self._error(note)
        self.load_exceptions()

    def action_remove_exception(self) -> None:
        table = self.query_one("#exceptions", RowTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return
        row = self.rows[table.cursor_row]

        what = "leave or closure" if row.kind == "closure" else "extra session"
        question = Text(f"Remove this {what} of ")
        question.append(self.provider_name, style="bold")
        question.append("?")
        cells = _exception_cells(row)
        detail = Text(" · ".join(c.plain for c in cells if c.plain))
        self.app.push_screen(
            ConfirmScreen(
                question,
                detail,
                save=lambda: lambda: self.app.service.remove_schedule_exception(row.id),
            ),
            lambda result: result is not None and self.load_exceptions(),
        )

    def action_back(self) -> None:
        self.dismiss()


class ExceptionForm(SavingDialog):
    """Leave or a holiday (closed), or an extra session; times empty = the whole day."""

    DEFAULT_CSS = """
    ExceptionForm { align: center middle; }
    ExceptionForm #dialog { width: 72; max-width: 100%; height: auto; border: thick $primary;
        background: $surface; padding: 0 1; }
    ExceptionForm .row { height: 1; margin-top: 1; }
    ExceptionForm .row Label { width: 24; text-style: bold; }
    ExceptionForm #error { color: $error; text-style: bold; height: auto; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="exception.save"),
        Binding("escape", "cancel", "Back", id="exception.cancel"),
    ]

    def __init__(self, provider: str, save=None) -> None:
        super().__init__(save)
        self.provider = provider

    def compose(self) -> ComposeResult:
        today = self.app.service.today().isoformat()
        with Vertical(id="dialog"):
            title = Text("Leave, holiday or extra session for ", style="bold")
            title.append(self.provider)
            yield Label(title)
            yield Label(Text("Ctrl+S save   Esc back", style="bold"))
            for label, wid, value in (
                ("First day", "first", today),
                ("Last day", "last", today),
                ("From (HH:MM, optional)", "start", ""),
                ("To (HH:MM, optional)", "end", ""),
                ("Reason", "reason", ""),
            ):
                yield Horizontal(
                    Label(label), SafeInput(value, id=wid, compact=True), classes="row"
                )
            yield Horizontal(
                Label("Extra session"),
                YesNo(id="extra", compact=True),
                classes="row",
            )
            yield Label("", id="error")

    def on_mount(self) -> None:
        self.query_one("#first").focus()

    def action_save(self) -> None:
        from datetime import date

        order, today = self.app.service.date_order, self.app.service.today()
        try:
            typed = (self.query_one(f"#{w}").value for w in ("first", "last"))
            first, last = (
                date.fromisoformat(read_typed_date(t, order, today, past=False)) for t in typed
            )
        except ValueError:
            self.show_error("Days must look like 2026-12-24.", "first")
            return
        start = self.query_one("#start").value.strip() or None
        end = self.query_one("#end").value.strip() or None
        self.submit(
            {
                "first_day": first,
                "last_day": last,
                "start": start,
                "end": end,
                "kind": "extra" if self.query_one("#extra", Checkbox).value else "closure",
                "reason": self.query_one("#reason").value.strip(),
            }
        )
