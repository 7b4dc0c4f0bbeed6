"""One-line header: clinic, date and time, user, sync state.

The clinic name comes from the store, so it is rendered as Text, never markup.
The sync badge says ``● online`` / ``○ offline`` / ``● local only`` in words
(not colour alone), the number of changes waiting to be sent, the time of
the last finished sync, and ``!N conflicts`` in reverse video when the server
refused something.  On a narrow terminal the longer forms give way first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from coordtui.domain.text import clean


@dataclass(frozen=True)
class SyncBadge:
    connected: bool = False  # enrolled with a clinic server
    online: bool = False  # the latest round reached the server
    last_ok: datetime | None = None  # aware; the last round that finished
    conflicts: int = 0  # refused changes nobody has acted on yet
    busy: bool = False  # the server answered "busy" (not offline: it is there, and slow)


LOCAL = SyncBadge()

# How the header gives way on narrow terminals, longest first: each level picks
# a form for (date, overdue, user, pending, conflicts, synced).  0 = longest.
_LEVELS = (
    (0, 0, 0, 0, 0, 0),
    (0, 1, 0, 0, 0, 0),
    (1, 1, 0, 0, 0, 0),
    (1, 1, 1, 0, 0, 0),
    (1, 1, 1, 1, 0, 0),
    (1, 1, 1, 1, 0, 1),
    (1, 1, 1, 1, 1, 1),
    (2, 1, 1, 1, 1, 1),
    (2, 2, 1, 1, 1, 1),
)
_MIN_CLINIC = 14  # cells of the clinic name kept before anything on the right is shortened


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _synced(badge: SyncBadge, now: datetime, zone: ZoneInfo) -> str:
    if badge.last_ok is None:
        return "never synced"
    when = badge.last_ok.astimezone(zone)
    if when.date() == now.date():
        return f"synced {when:%H:%M}"
    return f"synced {when:%d %b}"


def header_line(
    width: int,
    clinic: str,
    now: datetime,
    user: str,
    overdue: int,
    pending: int,
    badge: SyncBadge,
    clock_note: str = "",
) -> Text:
    """The header for ``width`` cells; ``now`` is already in the clinic's zone.

    ``clock_note`` ("demo clock") follows the time when the app does not run on
    the real clock; it is never dropped (at the narrowest, its first word stays).
    """
    zone = now.tzinfo
    note_forms = (
        (f" {clock_note}", f" {clock_note}", f" {clock_note.split()[0]}")
        if clock_note
        else ("", "", "")
    )
    dates = tuple(
        Text.assemble(f"  {now.strftime(fmt)}", (note, "italic"), "  ")
        for fmt, note in zip(("%a %d %b %H:%M", "%a %H:%M", "%H:%M"), note_forms, strict=True)
    )
    overdues = (
        f"!{overdue} callback{'s' if overdue > 1 else ''} overdue",
        f"!{overdue} overdue",
        f"!{overdue}",
    )
    users = (clean(user), "")
    pendings = (f"{pending} pending", f"{pending} pend.")
    conflicts = (f"!{_plural(badge.conflicts, 'conflict')}", f"!{badge.conflicts} confl.")
    synced = (_synced(badge, now, zone), "") if badge.connected else ("", "")

    def right(level: tuple[int, ...]) -> Text:
        d, o, u, p, c, s = level
        out = Text()
        if overdue:
            out.append(overdues[o], style="bold reverse")
            out.append("  ")
        if users[u]:
            out.append(users[u])
            out.append("  ")
        if not badge.connected:
            text = "● local only" + (f" · {pendings[p]}" if pending else "")
            out.append(text, style="italic")
        else:
            if badge.online:
                out.append("● online")
            elif badge.busy:
                out.append("○ server busy", style="bold")
            else:
                out.append("○ offline", style="bold")
            if pending:
                out.append(f" · {pendings[p]}")
            if synced[s]:
                out.append(f" · {synced[s]}")
        if badge.conflicts:
            out.append("  ")
            out.append(conflicts[c], style="bold reverse")
        out.append(" ")
        return out

    name = clean(clinic)
    keep = min(len(name), _MIN_CLINIC) + 1
    for level in _LEVELS:
        middle, tail = dates[level[0]], right(level)
        if keep + middle.cell_len + tail.cell_len <= width:
            break
    room = max(0, width - middle.cell_len - tail.cell_len - 2)  # leading space, gap
    left = Text(" ")
    title = Text(name, style="bold")
    if title.cell_len > room:
        title.truncate(max(room, 1), overflow="ellipsis")
    left.append_text(title)
    gap = max(1, width - left.cell_len - middle.cell_len - tail.cell_len)
    line = Text()
    line.append_text(left)
    line.append_text(middle)
    line.append(" " * gap)
    line.append_text(tail)
    line.truncate(width)
    return line


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
    sync: reactive[SyncBadge] = reactive(LOCAL)
    zone_name: reactive[str] = reactive("UTC")
    clock_note: reactive[str] = reactive("")  # "demo clock" when not on the real clock

    def configure_from(self, app) -> None:
        """Fill in clinic, zone, user and sync state from the running app."""
        self.clinic = app.service.clinic.name
        self.zone_name = app.service.clinic.timezone
        self.clock_note = app.service.clock_label
        self.user = app.config.user
        self.pending = app.service.pending_count()
        self.overdue = app.service.overdue_count()
        badge = getattr(app, "sync_badge", None)
        self.sync = badge() if badge else LOCAL

    def on_mount(self) -> None:
        self.set_interval(1.0, self.refresh)

    def render(self) -> Text:
        now = self.app.service.now().astimezone(ZoneInfo(self.zone_name))
        return header_line(
            self.size.width,
            self.clinic,
            now,
            self.user,
            self.overdue,
            self.pending,
            self.sync,
            self.clock_note,
        )
