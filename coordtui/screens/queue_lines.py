"""What the queue says around its table: the day bar above it (the day, the filters, every
status's count) and the two detail lines below it on the highlighted visit.

A mixin of QueueScreen (screens/queue.py): it reads the screen's day, rows,
filters and privacy, and paints ``#daybar`` and ``#detail``.
"""

from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual.widgets import Static

from coordtui.domain.days import format_day, format_dob, local
from coordtui.domain.status import LABELS, SYMBOLS, TRANSITIONS, Status
from coordtui.domain.text import clean
from coordtui.domain.waits import compute_wait
from coordtui.widgets.line_fit import by_priority, first_fit
from coordtui.widgets.queue_table import QueueTable, coverage_words, patient_label

VERBS = {
    Status.ARRIVED: "arrive",
    Status.IN_ROOM: "to room",
    Status.DONE: "done",
    Status.NO_SHOW: "no-show",
    Status.CANCELLED: "cancel",
    Status.LEFT: "left unseen",
    Status.ENTERED_IN_ERROR: "in error",
}
# Most useful first: the counts line is cut at the right edge on narrow terminals.
COUNT_ORDER = (
    Status.ARRIVED,
    Status.IN_ROOM,
    Status.BOOKED,
    Status.DONE,
    Status.NO_SHOW,
    Status.LEFT,
    Status.CANCELLED,
    Status.ENTERED_IN_ERROR,
)
# Shorter words for the counts line on a narrow terminal.
SHORT_LABELS = {
    Status.ARRIVED: "arrived",
    Status.IN_ROOM: "in room",
    Status.BOOKED: "booked",
    Status.DONE: "done",
    Status.NO_SHOW: "no-show",
    Status.LEFT: "left",
    Status.CANCELLED: "canc.",
    Status.ENTERED_IN_ERROR: "error",
}
STATUS_KEYS = {
    Status.ARRIVED: "a",
    Status.IN_ROOM: "r",
    Status.DONE: "d",
    Status.NO_SHOW: "n",
    Status.CANCELLED: "x",
    Status.LEFT: "l",
    Status.ENTERED_IN_ERROR: "e",
}


class QueueLines:
    """The day bar and the detail lines of QueueScreen."""

    def _render_daybar(self) -> None:
        width = self.size.width - 2
        text = Text()
        text.append(format_day(self.day), style="bold")
        if self.day == self.service.today():
            text.append(" (today)")
        if self.provider_filter:
            name = next(
                (r.provider for r in self.rows if r.provider_id == self.provider_filter), None
            ) or next(
                (p.short_name for p in self.service.providers() if p.id == self.provider_filter),
                "?",
            )
            text.append("  provider: ")
            text.append(clean(name), style="bold")
        if self.text_filter:
            text.append("  filter: ")
            text.append(clean(self.text_filter), style="bold")
        if self.privacy:
            text.append("  [privacy]", style="bold")
        legend = "  [ ] day  t today  p provider  f filter  v privacy"
        room = width - text.cell_len
        if room >= len(legend):
            text.append(" " * (room - len(legend)) + legend, style="dim")
        text.append("\n")
        text.append_text(self._counts_line(width))
        self.query_one("#daybar", Static).update(text, layout=False)  # fixed height

    def _counts_line(self, width: int) -> Text:
        """Every status's count, and first the long waits; shorter words when narrow."""
        visible = self._visible()
        counts = Counter(Status(r.status) for r in visible)
        now, alert = self.service.now(), self.config.wait_alert_minutes
        long_waits = sum(
            1
            for r in visible
            if compute_wait(Status(r.status), r.arrived_at, r.status_since, now, alert).long
        )
        shown = [s for s in COUNT_ORDER if counts[s] or s in (Status.ARRIVED, Status.BOOKED)]
        forms = []
        symbols_only = Text()  # the last resort: every count, by symbol (the legend in F1)
        for words, short, gap in ((LABELS, False, "  "), (SHORT_LABELS, True, " ")):
            line = Text()
            if long_waits:  # first: never the part that gives way
                alarm = f"!{long_waits} ≥{alert}m" if short else f"!{long_waits} waiting ≥{alert}m"
                line.append(alarm, style="bold reverse")
                line.append(gap)
            line.append(
                gap.join(
                    f"{SYMBOLS[s]}{counts[s]} {words[s]}"
                    if short
                    else f"{SYMBOLS[s]} {words[s]} {counts[s]}"
                    for s in shown
                )
            )
            forms.append(line)
        if long_waits:
            symbols_only.append(f"!{long_waits}", style="bold reverse")
            symbols_only.append(" ")
        symbols_only.append(" ".join(f"{SYMBOLS[s]}{counts[s]}" for s in shown))
        return first_fit(width, *forms, symbols_only)

    def _render_detail(self) -> None:
        """Two lines on the highlighted visit: who and when never give way; notes may."""
        row = self.query_one(QueueTable).selected
        width = self.size.width - 2
        if row is None:
            detail = Text(
                "No appointments" + (" match the filter." if self.rows else " on this day.")
            )
            detail.append("  w = add walk-in", style="bold")
            self.query_one("#detail", Static).update(detail, layout=False)
            return
        zone = self.service.zone
        when = Text(
            f"{local(row.start, zone):%H:%M}-{local(row.end, zone):%H:%M} {clean(row.provider)}"
        )
        parts = [(0, Text(patient_label(row, self.privacy), style="bold")), (0, when)]
        if not self.privacy:
            parts.insert(1, (0, Text(clean(row.record_number))))
            parts.insert(1, (1, Text(format_dob(row.dob, self.service.today()))))
        parts.append((2, Text(clean(row.type))))
        notes = []
        if row.priority == "urgent":
            notes.append((1, "URGENT"))
        if row.kind == "walk_in":
            notes.append((2, "walk-in"))
        if row.interpreter_needed:
            notes.append((1, "interpreter"))
        if row.flags:
            notes.append((2, clean(row.flags)))
        days = self.config.coverage_check_days
        if coverage := coverage_words(row, self.service.today(), self.service.zone, days):
            notes.append((1, coverage))
        if row.hand_off:
            notes.append((1, f"hand-off: {clean(row.hand_off)}"))
        if row.cancel_reason:
            notes.append((1, f"reason: {clean(row.cancel_reason)}"))
        if row.reason:
            notes.append((3, clean(row.reason)))
        nxt = sorted(
            f"{STATUS_KEYS[s]} {VERBS[s]}"
            for s in TRANSITIONS[Status(row.status)]
            if s in STATUS_KEYS and not self._not_now(row, s)
        )
        keys = Text("Next: " + (", ".join(nxt) if nxt else "none (u undoes)"), style="dim")
        second = [(p, Text(n)) for p, n in notes] + [(4, keys)]
        detail = by_priority(width, parts)
        detail.append("\n")
        detail.append_text(by_priority(width, second, sep=" · "))
        self.query_one("#detail", Static).update(detail, layout=False)  # fixed height
