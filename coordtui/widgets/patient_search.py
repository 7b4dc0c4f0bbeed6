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
from textual.widgets import Input, Static

from coordtui.domain.days import format_dob, local
from coordtui.domain.phones import display as phone_display
from coordtui.domain.text import clean
from coordtui.widgets.columns import Column
from coordtui.widgets.row_table import RowTable
from coordtui.widgets.safe_input import SafeInput

PAGE = 50


# At 80 columns: name, DOB, phone and record number always; the next appointment
# while it fits (the line below the list says it in full, with why it matched).
COLUMNS = (
    Column("Name", 22, least=18, flex=True),
    Column("DOB", 16),
    Column("Phone", 14, least=12, yields=1),
    Column("Record", 10),
    Column("Next appt", 12, least=0, yields=2),
)


def hit_name(hit) -> str:
    name = f"{hit.family_name}, {hit.given_name}"
    if hit.preferred_name:
        name += f" ({hit.preferred_name})"
    return clean(name)


class PatientSearch(Vertical):
    DEFAULT_CSS = """
    PatientSearch { height: 1fr; }
    PatientSearch #query { height: 1; margin: 1 1 0 1; background: $boost; }
    PatientSearch #query:focus { background: $accent 30%; }
    PatientSearch #summary { height: 1; padding: 0 1; color: $text-muted; }
    PatientSearch #results { height: 1fr; }
    PatientSearch #why { height: 1; padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("down", "to_results", "Results", show=False, id="search.to_results"),
        Binding("enter", "choose", "Open", show=False, id="search.choose"),
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
        yield RowTable(COLUMNS, id="results")
        yield Static("", id="why")

    @property
    def query_text(self) -> str:
        return self.query_one("#query", Input).value

    @property
    def results(self) -> RowTable:
        return self.query_one("#results", RowTable)

    def refresh_results(self) -> None:
        """Search the same text again (the store changed); the cursor keeps its patient."""
        if self.query_text.strip():
            self._search(self.query_text, self.page_offset)

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

    def _cells(self, hit) -> tuple[Text, ...]:
        service = self.app.service
        nxt = (
            local(hit.next_appointment, service.zone).strftime("%d %b %H:%M")
            if hit.next_appointment
            else ""
        )
        return (
            Text(hit_name(hit)),
            Text(format_dob(hit.dob, service.today())),
            Text(phone_display(hit.phone, service.clinic.phone_region)),
            Text(clean(hit.record_number)),
            Text(nxt),
        )

    def _show(self, text: str, offset: int, hits: list) -> None:
        if text != self.query_text or offset != self.page_offset:
            return  # the box has moved on; a newer search is coming
        self.hits = hits
        self.results.show(hits, self._cells, key=lambda hit: hit.patient_id)
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
            if len(hits) == 1 and not offset:
                said = "1 match: Enter opens it"
            else:
                said = f"{offset + 1}-{offset + len(hits)}: Enter opens the first, Down to choose"
            summary.update(Text(said + more + back))
        self.post_message(self.Shown(text, len(hits)))

    @on(RowTable.Highlighted, "#results")
    def _explain(self) -> None:
        """Below the list: why the highlighted patient matched, and the next visit in full."""
        hit = self.results.selected
        why = Text(no_wrap=True, overflow="ellipsis")
        if hit is not None:
            why.append(hit_name(hit), style="bold")
            if hit.matched:
                why.append(f"  matched: {clean(', '.join(hit.matched))}")
            if hit.next_appointment:
                when = local(hit.next_appointment, self.app.service.zone)
                why.append(f"  next: {when:%a %d %b %Y %H:%M}")
        self.query_one("#why", Static).update(why)

    @on(Input.Submitted, "#query")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.hits:
            self.post_message(self.Chosen(self.hits[0]))

    def action_choose(self) -> None:
        hit = self.results.selected
        if hit is not None:
            self.post_message(self.Chosen(hit))

    def action_to_results(self) -> None:
        if self.hits:
            self.results.focus()

    def action_page(self, direction: int) -> None:
        new = self.page_offset + direction * PAGE
        if new < 0 or (direction > 0 and len(self.hits) < PAGE):
            return
        self.page_offset = new
        self._search(self.query_text, new)
