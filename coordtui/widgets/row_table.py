"""A light read-only table: a header line, one line per row, a row cursor.

For lists that open often and may be long (the Calls screen's callbacks and
call log).  A Line-API widget like coordtui.widgets.queue_table: columns have
fixed widths (one of them takes the room left over), a row's cells are built
only when the row is first painted, and each painted line is cached, so
showing 200 rows costs the rows on screen, not 200 rows of measuring and
layout as in Textual's DataTable.

Cells must be rich.text.Text built from cleaned strings (coordtui.domain.text),
never markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich.text import Text
from textual.geometry import Size
from textual.strip import Strip

from coordtui.widgets.cursor_lines import CursorLines


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
        overflow-x: hidden;
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

    def __init__(self, columns: Sequence[tuple[str, int]], flex: int, **kwargs) -> None:
        """``columns``: (label, width); column ``flex`` also gets any spare width."""
        super().__init__(**kwargs)
        self._labels = tuple(Text(label) for label, _w in columns)
        self._base = [width for _l, width in columns]
        self._flex = flex
        self._items: Sequence[Any] = ()
        self._cells_for: Callable[[Any], tuple[Text, ...]] = lambda _item: ()
        self._cells: dict[int, tuple[Text, ...]] = {}
        self._strips: dict[tuple, Strip] = {}
        self.cursor_row = 0

    # ------------------------------------------------------------ data

    @property
    def row_count(self) -> int:
        return len(self._items)

    def show(self, items: Sequence[Any], cells: Callable[[Any], tuple[Text, ...]]) -> None:
        """Show these rows; the cursor keeps its line (clamped to the new length)."""
        self._items = items
        self._cells_for = cells
        self._cells = {}
        self._strips = {}
        self.virtual_size = Size(0, len(items) + 1)  # lines fit the width: no sideways scroll
        self.move_cursor(self.cursor_row)

    def cells_at(self, index: int) -> tuple[Text, ...]:
        cells = self._cells.get(index)
        if cells is None:
            cells = self._cells[index] = self._cells_for(self._items[index])
        return cells

    # ------------------------------------------------------------- cursor

    def move_cursor(self, row: int) -> None:
        self.cursor_row = min(max(row, 0), max(len(self._items) - 1, 0))
        self._scroll_to_cursor()
        self.refresh()

    def on_resize(self) -> None:
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

    def _widths(self, width: int) -> list[int]:
        widths = list(self._base)
        spare = width - (sum(widths) + len(widths) + 1)  # one space before and after each
        widths[self._flex] = max(4, widths[self._flex] + spare)  # grows, or gives up room
        return widths

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            style = self.get_component_rich_style("row-table--header")
            return self._strip(self._labels, width, style)
        index = int(self.scroll_offset.y) + y - 1
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
            strip = self._strips[key] = self._strip(self.cells_at(index), width, style)
        return strip

    def _strip(self, cells: tuple[Text, ...], width: int, style) -> Strip:
        line = Text(" ", no_wrap=True, end="")
        for cell, cell_width in zip(cells, self._widths(width), strict=False):
            part = cell.copy()
            part.truncate(cell_width, overflow="ellipsis", pad=True)
            line.append_text(part)
            line.append(" ")
        strip = Strip(list(line.render(self.app.console))).apply_style(style)
        return strip.crop_extend(0, width, style)
