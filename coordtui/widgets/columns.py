"""Column widths for the Line-API tables, and where the cursor goes when a list changes.

Pure functions (no Textual), so the two rules every list keeps are tested on
their own:

- ``fit``: a table never scrolls sideways.  When the terminal is too narrow the
  least important columns give way first (each down to its minimum, some down
  to nothing); spare width goes to the one flexible column (names, as a rule).
- ``follow``: after a refresh, a write or a re-sort the cursor stays on the same
  record, or on its neighbour when that record left the list; never "back to
  row 0".
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One column: ``width`` is what it wants.

    ``least``: the narrowest it may become (``None``: it never shrinks; ``0``: it
    may disappear).  ``yields``: the higher, the sooner it gives up room (ties: the
    rightmost first).  ``flex``: it takes the spare width (one column per table).
    """

    label: str
    width: int
    least: int | None = None
    yields: int = 0
    flex: bool = False


def fit(columns: Sequence[Column], total: int) -> list[int]:
    """Widths that fill ``total`` cells: one space before each shown column and after the last.

    A column of width 0 is not shown at all (nor its space).  If even every
    column at its least does not fit, the result is still the least widths: the
    line is then cut at the right edge, which only happens far below 80 columns.
    """

    def used(widths: list[int]) -> int:
        shown = [w for w in widths if w > 0]
        return sum(shown) + len(shown) + 1

    widths = [c.width for c in columns]
    over = used(widths) - total
    if over > 0:
        order = sorted(
            range(len(columns)), key=lambda i: (-columns[i].yields, -i)
        )  # most yielding first, rightmost first among equals
        for i in order:
            least = columns[i].least
            if least is None or over <= 0:
                continue
            give = min(widths[i] - least, over)
            if least == 0 and widths[i] - give <= 1:
                give = widths[i]  # a one-cell column is noise: drop it with its space
            before = used(widths)
            widths[i] -= give
            over -= before - used(widths)
    elif over < 0:
        flex = next((i for i, c in enumerate(columns) if c.flex), None)
        if flex is not None:
            widths[flex] -= over
    return widths


def follow(old: Sequence[Hashable], index: int, new: Sequence[Hashable]) -> int:
    """Where the cursor goes in ``new`` when it was on ``old[index]``.

    The same key if it is still there; else the nearest record after it that is
    still there (the one that moved up into its place); else the nearest before
    it; else the same line number, clamped.
    """
    if not new:
        return 0
    if not old or not 0 <= index < len(old):
        return min(max(index, 0), len(new) - 1)
    where = {key: i for i, key in enumerate(new)}
    if old[index] in where:
        return where[old[index]]
    for key in old[index + 1 :]:
        if key in where:
            return where[key]
    for key in reversed(old[:index]):
        if key in where:
            return where[key]
    return min(index, len(new) - 1)
