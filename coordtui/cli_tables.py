"""Tables the command line prints for people (`search`, `report day`).

80 columns first: names are key information and are never cut.  Each table
comes in forms from the widest to the narrowest, in which the least
important columns give way first (a column dropped, a shorter date, a header
over two lines); the first form whose natural width fits the terminal is
printed, so spare width goes to the names.  Below 80 columns, if even the
narrowest does not fit, it is printed whole and the terminal wraps it.  Every
stored value passes through ``clean()`` and is printed as Text, never markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date

from rich.cells import cell_len
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from coordtui.domain.days import as_utc, format_day, format_dob
from coordtui.domain.phones import display
from coordtui.domain.text import clean


def print_fitted(console: Console, forms: Sequence[Callable[[], Table]]) -> None:
    """Print the first form whose natural width fits ``console.width``.

    When none does (a terminal under 80 columns, a very long name), the
    narrowest form is printed at its natural width anyway and the terminal
    wraps its lines: untidy, but nothing is cut or dropped.
    """
    unbounded = console.options.update(max_width=100_000)  # the natural width, not clamped
    table, natural = None, 0
    for make in forms:
        table = make()
        natural = Measurement.get(console, unbounded, table).maximum
        if natural <= console.width:
            break
    if table is not None:
        console.print(table, width=max(natural, console.width), crop=False)


def _column(table: Table, header: str, cells: Iterable[str], **kw) -> None:
    """A column kept at its natural width: its values are never cut or wrapped."""
    width = max((cell_len(line) for c in (header, *cells) for line in c.split("\n")), default=0)
    table.add_column(header, no_wrap=True, min_width=width, **kw)


def _table(**kwargs) -> Table:
    return Table(box=None, pad_edge=False, header_style="bold", **kwargs)


# ------------------------------------------------------------------ search


def _date(value) -> date | None:
    if isinstance(value, date) or value is None:
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def print_hits(hits, today: date, zone, region: str, console: Console) -> None:
    """Record, name, DOB, phone, next visit, what matched.

    Giving way, least important first: the "Matched" column; the next visit's
    weekday and year (kept when it is not this year); the DOB's age; the next
    visit.  Record numbers, names, DOBs and phones always stay.
    """
    rows = []
    for h in hits:
        name = f"{h.family_name}, {h.given_name}"
        if h.preferred_name:
            name += f" ({h.preferred_name})"
        dob = _date(h.dob)
        nxt = as_utc(h.next_appointment)
        nxt = nxt.astimezone(zone) if nxt else None
        rows.append(
            {
                "record": clean(h.record_number),
                "name": clean(name),
                "dob": format_dob(dob, today),
                "dob_short": dob.isoformat() if dob else "",
                "phone": clean(display(h.phone or "", region)),
                "next": nxt.strftime("%a %d %b %Y %H:%M") if nxt else "",
                "next_short": nxt.strftime("%d %b %H:%M" if nxt.year == today.year else "%d %b %Y")
                if nxt
                else "",
                "matched": clean(", ".join(h.matched or ())),
            }
        )

    headers = {"record": "Record", "name": "Name", "phone": "Phone", "matched": "Matched"}
    headers |= {"dob": "DOB", "dob_short": "DOB", "next": "Next visit", "next_short": "Next visit"}

    def form(dob: str, nxt: str | None, matched: bool) -> Callable[[], Table]:
        def make() -> Table:
            keys = ["record", "name", dob, "phone", *([nxt] if nxt else [])]
            keys += ["matched"] if matched else []
            table = _table()
            for key in keys:
                _column(table, headers[key], (r[key] for r in rows))
            for r in rows:
                table.add_row(*(Text(r[key]) for key in keys))
            return table

        return make

    print_fitted(
        console,
        (
            form("dob", "next", True),
            form("dob", "next", False),
            form("dob", "next_short", False),
            form("dob_short", "next_short", False),
            form("dob_short", None, False),
        ),
    )


# ------------------------------------------------------------------ report

# (full header, narrow header) per figure column of `report day`.
_FIGURES = (
    ("Booked", "Booked"),
    ("Arrived", "Arr."),
    ("Seen", "Seen"),
    ("No-show", "No-\nshow"),
    ("Cancelled", "Canc."),
    ("Avg wait", "Avg\nwait"),
    ("Max wait", "Max\nwait"),
)


def print_summary(day: date, rows: list[list[str]], console: Console) -> None:
    """Per provider: counts and waits.  ``rows`` are (provider, figures...) as text.

    Provider names are never cut; the figure headers give way first: the waits'
    headers go over two lines, then "No-show", "Arrived" and "Cancelled" shorten.
    """

    def form(level: int) -> Callable[[], Table]:
        def make() -> Table:
            table = _table(title=f"Day summary, {format_day(day)}")
            _column(table, "Provider", [clean(r[0]) for r in rows])
            for i, (full, narrow) in enumerate(_FIGURES):
                narrow_here = level >= 2 or (level >= 1 and i >= 5)  # the waits first
                header = narrow if narrow_here else full
                _column(table, header, (r[i + 1] for r in rows), justify="right")
            for row in rows:
                table.add_row(*(Text(clean(v)) for v in row))
            return table

        return make

    print_fitted(console, (form(0), form(1), form(2)))
