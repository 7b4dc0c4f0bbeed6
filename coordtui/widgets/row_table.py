"""A light read-only list: a header line, one line per row, a row cursor kept on its record.

Every list in the app that is not the queue is one of these (callbacks, call
log, lookup results, slots and day grid, recalls, reminders, waitlist,
conflicts, pending changes, duplicates, schedule exceptions).  A Line-API
widget like coordtui.widgets.queue_table: columns are fitted to the width (the
least important give way first, names take the spare room), a row's cells are
built only when the row is first painted, and each painted line is cached, so
showing 2,000 rows costs the rows on screen.

``show(items, cells, key)`` keeps the cursor on the record with the same key,
or on its neighbour when that record left the list (coordtui.widgets.columns.follow).

Cells must be rich.text.Text built from cleaned strings (coordtui.domain.text),
never markup.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from rich.text import Text
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip

from coordtui.widgets.columns import Column, fit, follow
from coordtui.widgets.cursor_lines import CursorLines


def _identity(item: Any) -> Hashable:
    return id(item)


class RowTable(CursorLines):
    """Rows of any kind; ``cells(item)`` turns one into its Text cells when first shown."""

    COMPONENT_CLASSES = {
        "row-table--header",
        "row-table--cursor",
        "row-table--cursor-blurred",
    }
    DEFAULT_CSS = """
    RowTable {
        width: 1fr;
        background: $surface;
    }
    RowTable > .row-table--header {
        text-style: bold;
        background: $panel;
        color: $foreground;
    }
    RowTable > .row-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    RowTable > .row-table--cursor-blurred {
        background: $block-cursor-blurred-background;
        text-style: $block-cursor-blurred-text-style;
    }
    """

    class Highlighted(Message):
        """The cursor is on another record (moved, or the list changed under it)."""

        def __init__(self, table: RowTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> RowTable:
            return self.table

    def __init__(self, columns: Sequence[Column], **kwargs) -> None:
        super().__init__(**kwargs)
        self.columns = tuple(columns)
        self._labels = tuple(Text(c.label) for c in self.columns)
        self._items: Sequence[Any] = ()
        self._keys: list[Hashable] = []
        self._cells_for: Callable[[Any], tuple[Text, ...]] = lambda _item: ()
        self._cells: dict[int, tuple[Text, ...]] = {}
        self._strips: dict[tuple, Strip] = {}
        self._fitted: tuple[int, list[int]] = (-1, [])
        self.cursor_row = 0

    # ------------------------------------------------------------ data

    @property
    def row_count(self) -> int:
        return len(self._items)

    @property
    def items(self) -> Sequence[Any]:
        return self._items

    @property
    def selected(self) -> Any | None:
        """The record under the cursor (None on an empty list)."""
        if not 0 <= self.cursor_row < len(self._items):
            return None
        return self._items[self.cursor_row]

    def show(
        self,
        items: Sequence[Any],
        cells: Callable[[Any], tuple[Text, ...]],
        key: Callable[[Any], Hashable] = _identity,
    ) -> None:
        """Show these rows; the cursor stays on its record (by ``key``) or its neighbour."""
        keys = [key(item) for item in items]
        self.cursor_row = follow(self._keys, self.cursor_row, keys)
        self._items, self._keys = items, keys
        self._cells_for = cells
        self._cells = {}
        self._strips = {}
        self.virtual_size = Size(0, len(items) + 1)  # lines fit the width: no sideways scroll
        self._keep_cursor_visible()
        self.call_after_refresh(self._keep_cursor_visible)  # once the new height is laid out
        self.refresh()
        self.post_message(self.Highlighted(self))  # the record under the cursor may be new

    def cells_at(self, index: int) -> tuple[Text, ...]:
        cells = self._cells.get(index)
        if cells is None:
            cells = self._cells[index] = self._cells_for(self._items[index])
        return cells

    def select_key(self, key: Hashable) -> bool:
        """Put the cursor on the record with this key, if it is listed."""
        if key in self._keys:
            self.move_cursor(self._keys.index(key))
            return True
        return False

    # ------------------------------------------------------------- cursor

    def move_cursor(self, row: int) -> None:
        row = min(max(row, 0), max(len(self._items) - 1, 0))
        moved = row != self.cursor_row
        self.cursor_row = row
        self._keep_cursor_visible()
        self.refresh()
        if moved and self._items:
            self.post_message(self.Highlighted(self))

    def _resized(self) -> None:
        self._strips.clear()
        self.virtual_size = Size(0, len(self._items) + 1)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()  # a theme change restyles the header and cursor lines

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # ------------------------------------------------------------ drawing

    def widths(self) -> list[int]:
        width = self.line_width
        if self._fitted[0] != width:
            self._fitted = (width, fit(self.columns, width))
        return self._fitted[1]

    def render_line(self, y: int) -> Strip:
        width = self.line_width
        if y == 0:
            style = self.get_component_rich_style("row-table--header")
            return self._strip(self._labels, self.widths(), width, style)
        index = self.row_index(y)
        if index >= len(self._items):
            return Strip.blank(width, self.rich_style)
        cursor = index == self.cursor_row
        key = (index, cursor, cursor and self.has_focus, width)
        strip = self._strips.get(key)
        if strip is None:
            if cursor:
                name = "row-table--cursor" if self.has_focus else "row-table--cursor-blurred"
                style = self.get_component_rich_style(name)
            else:
                style = self.rich_style
            strip = self._strips[key] = self._strip(
                self.cells_at(index), self.widths(), width, style
            )
        return strip
