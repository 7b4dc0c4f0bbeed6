"""Fitting a line of text to the width without cutting what matters.

At 80 columns some lines carry more than fits (the queue's counts, the
detail of the highlighted visit).  Rather than cutting at the right edge,
these say the same thing shorter (``first_fit``) or leave out the least
important parts first (``by_priority``); a part is cut only when it alone is
wider than the line.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text


def first_fit(width: int, *forms: Text) -> Text:
    """The first (longest, clearest) form that fits, else the last (shortest), cut."""
    for form in forms:
        if form.cell_len <= width:
            return form
    last = forms[-1].copy()
    last.truncate(width, overflow="ellipsis")
    return last


def by_priority(width: int, parts: Sequence[tuple[int, Text]], sep: str = "  ") -> Text:
    """Parts in their given order; while too wide, drop the one with the lowest priority.

    Priority 0 parts are never dropped (the line is cut instead, from the right).
    """
    kept = list(parts)

    def joined() -> Text:
        return Text(sep).join(text for _p, text in kept)

    line = joined()
    while line.cell_len > width:
        droppable = [i for i, (p, _t) in enumerate(kept) if p > 0]
        if not droppable:
            break
        worst = max(droppable, key=lambda i: (kept[i][0], i))
        del kept[worst]
        line = joined()
    if line.cell_len > width:
        line.truncate(width, overflow="ellipsis")
    return line
