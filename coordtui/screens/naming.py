"""How a dialog names the record it acts on: patient, time, provider (contract 1).

"Cancel appointment for Smith, John" is not enough when John Smith has two
visits today, or when there are two John Smiths: every dialog that changes a
visit says whose, when and with whom, in the same words.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from rich.text import Text

from coordtui.domain.days import local
from coordtui.domain.text import clean


def visit_text(
    who: Text | str, start: datetime, provider: str, zone: ZoneInfo, end: datetime | None = None
) -> Text:
    """``Smith, John · Fri 27 Nov 14:30-14:45 · Dr Lin`` (the name in bold)."""
    text = Text()
    text.append_text(who if isinstance(who, Text) else Text(clean(who)))
    text.stylize("bold")
    when = local(start, zone)
    text.append(f" · {when:%a %d %b %H:%M}")
    if end is not None:
        text.append(f"-{local(end, zone):%H:%M}")
    text.append(" · ")
    text.append(clean(provider))
    return text
