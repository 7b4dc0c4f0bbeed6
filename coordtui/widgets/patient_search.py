"""Search-as-you-type patient picker: one box, ranked results, the first one Enter away.

Used by Lookup and anywhere a patient is chosen.  Each keystroke starts a
search in a thread worker; results carry the text they answer, and a result
for anything but the box's current text is dropped, so a slow old search
never overwrites a newer one.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from coordtui.domain.days import format_dob, local
from coordtui.domain.phones import display as phone_display
from coordtui.domain.text import clean
from coordtui.widgets.safe_input import SafeInput

PAGE = 50


class PatientSearch(Vertical):
    DEFAULT_CSS = """
    PatientSearch { height: 1fr; }
    PatientSearch #query { height: 1; margin: 1 1 0 1; background: $boost; }
    PatientSearch #query:focus { background: $accent 30%; }
    PatientSearch #summary { height: 1; padding: 0 1; color: $text-muted; }
    PatientSearch #results { height: 1fr; }
    """
    BINDINGS = [
        Binding("down", "to_results", "Results", show=False, id="search.to_results"),
        Binding("pagedown", "page(1)", "Next page", show=False, id="search.next_page"),
        Binding("pageup", "page(-1)", "Previous page", show=False, id="search.prev_page"),
    ]

    class Chosen(Message):
        def __init__(self, hit) -> None:
            super().__init__()
            self.hit = hit

    class Shown(Message):
        """Results for the current text are on screen (used by tests and benchmarks)."""

        def __init__(self, query: str, count: int) -> None:
            super().__init__()
            self.query, self.count = query, count

    def __init__(self, placeholder: str = "Name, DOB, phone, record number or S1234", **kw):
        super().__init__(**kw)
        self.placeholder = placeholder
        self.hits: list = []
        self.page_offset = 0

    def compose(self) -> ComposeResult:
        yield SafeInput(placeholder=self.placeholder, id="query", max_length=100, compact=True)
        yield Static(Text("Type to search."), id="summary")
        table = DataTable(id="results", cursor_type="row", zebra_stripes=True, cell_padding=0)
        yield table

    def on_mount(self) -> None:
        table = self.query_one("#results", DataTable)
        for label, width in (
            ("Name", 28),
            ("DOB", 16),
            ("Phone", 15),
            ("Record", 11),
            ("Next appointment", 17),
            ("Match", 14),
        ):
            table.add_column(Text(label), width=width)

    @property
    def query_text(self) -> str:
        return self.query_one("#query", Input).value

    def focus_query(self) -> None:
        self.query_one("#query", Input).focus()

    @on(Input.Changed, "#query")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.page_offset = 0
        self._search(event.value, 0)

    @work(thread=True, exclusive=True, group="patient-search")
    def _search(self, text: str, offset: int) -> None:
        service = self.app.service
        hits = service.search_patients(text, limit=PAGE, offset=offset) if text.strip() else []
        self.app.call_from_thread(self._show, text, offset, hits)

    def _show(self, text: str, offset: int, hits: list) -> None:
        if text != self.query_text or offset != self.page_offset:
            return  # the box has moved on; a newer search is coming
        self.hits = hits
        table = self.query_one("#results", DataTable)
        table.clear()
        service = self.app.service
        today, zone, region = service.today(), service.zone, service.clinic.phone_region
        for hit in hits:
            name = f"{hit.family_name}, {hit.given_name}"
            if hit.preferred_name:
                name += f" ({hit.preferred_name})"
            nxt = (
                local(hit.next_appointment, zone).strftime("%d %b %H:%M")
                if hit.next_appointment
                else ""
            )
            table.add_row(
                Text(clean(name), no_wrap=True, overflow="ellipsis"),
                Text(format_dob(hit.dob, today)),
                Text(phone_display(hit.phone, region)),
                Text(clean(hit.record_number)),
                Text(nxt),
                Text(", ".join(hit.matched), style="dim"),
            )
        summary = self.query_one("#summary", Static)
        if not text.strip():
            summary.update(Text("Type to search."))
        elif not hits:
            summary.update(
                Text("No match. Check the spelling, try the DOB or phone, or Ctrl+N to register.")
            )
        elif hits[0].merged_record:  # an old number: say where it leads, and why
            first = hits[0]
            summary.update(
                Text(
                    f"{offset + 1}-{offset + len(hits)}: {clean(first.merged_record)} was merged "
                    f"into {clean(first.record_number)}; Enter opens it"
                )
            )
        else:
            more = "  PgDn more" if len(hits) == PAGE else ""
            back = "  PgUp back" if offset else ""
            summary.update(
                Text(
                    f"{offset + 1}-{offset + len(hits)}: Enter opens the first, "
                    f"Down to choose{more}{back}"
                )
            )
        self.post_message(self.Shown(text, len(hits)))

    @on(Input.Submitted, "#query")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.hits:
            self.post_message(self.Chosen(self.hits[0]))

    @on(DataTable.RowSelected, "#results")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self.hits):
            self.post_message(self.Chosen(self.hits[event.cursor_row]))

    def action_to_results(self) -> None:
        if self.hits:
            self.query_one("#results", DataTable).focus()

    def action_page(self, direction: int) -> None:
        new = self.page_offset + direction * PAGE
        if new < 0 or (direction > 0 and len(self.hits) < PAGE):
            return
        self.page_offset = new
        self._search(self.query_text, new)
