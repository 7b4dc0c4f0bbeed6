"""One-line header: clinic, date and time, user, sync state.

The clinic name comes from the store, so it is rendered as Text, never markup.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from coordtui.domain.text import clean


class ClinicHeader(Widget):
    DEFAULT_CSS = """
    ClinicHeader {
        dock: top;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """

    clinic: reactive[str] = reactive("")
    user: reactive[str] = reactive("")
    pending: reactive[int] = reactive(0)
    overdue: reactive[int] = reactive(0)  # callbacks past their due time
    zone_name: reactive[str] = reactive("UTC")

    def configure_from(self, app) -> None:
        """Fill in clinic, zone and user from the running app."""
        self.clinic = app.service.clinic.name
        self.zone_name = app.service.clinic.timezone
        self.user = app.config.user
        self.pending = app.service.pending_count()
        self.overdue = app.service.overdue_count()

    def on_mount(self) -> None:
        self.set_interval(1.0, self.refresh)

    def render(self) -> Text:
        now = self.app.service.now().astimezone(ZoneInfo(self.zone_name))
        left = Text(" ")
        left.append(clean(self.clinic), style="bold")
        middle = Text(now.strftime("  %a %d %b %H:%M  "))
        right = Text()
        if self.overdue:
            right.append(
                f"!{self.overdue} callback{'s' if self.overdue > 1 else ''} overdue",
                style="bold reverse",
            )
            right.append("  ")
        right.append(clean(self.user))
        right.append("  ")
        badge = f"● local only · {self.pending} pending" if self.pending else "● local only"
        right.append(badge, style="italic")
        right.append(" ")
        width = self.size.width
        gap = max(1, width - left.cell_len - middle.cell_len - right.cell_len)
        line = Text()
        line.append_text(left)
        line.append_text(middle)
        line.append(" " * gap)
        line.append_text(right)
        line.truncate(width)
        return line
