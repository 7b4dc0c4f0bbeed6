"""When a slot frees up, offer it to the first matching waitlist entry (y/n)."""

from __future__ import annotations

from rich.text import Text

from coordtui.domain.days import local
from coordtui.domain.text import clean
from coordtui.screens.confirm import ConfirmScreen


def offer_waitlist(app, slot, entry, after) -> None:
    """Ask; on yes the dialog books the entry into the slot (a refusal stays in it).

    ``after(result)``: the booking's result, or None when the answer was no."""
    question = Text("Offer the freed slot to the waitlist: ")
    question.append(clean(f"{entry.family_name}, {entry.given_name}"), style="bold")
    question.append(f" ({entry.priority})?")
    detail = f"{local(slot.start, app.service.zone):%a %d %b %H:%M}  {clean(entry.type_name)}"
    app.push_screen(
        ConfirmScreen(
            question, detail, save=lambda: lambda: app.service.book_from_waitlist(entry.id, slot)
        ),
        after,
    )
