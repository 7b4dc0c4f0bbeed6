"""Helpers for driving the real app with Pilot."""

from __future__ import annotations

from pathlib import Path

from coordtui.app import CoordApp
from coordtui.config import Config
from coordtui.service import Service


def make_app(db_path: Path, clock=None, **config) -> CoordApp:
    config.setdefault("idle_lock_minutes", 0)
    config.setdefault("refresh_seconds", 0.3)
    # `a` arrives in one key, as most tests expect; tests of the arrival step turn it on.
    config.setdefault("coverage_check_days", 0)
    service = Service(db_path, actor="desk1", clock=clock)
    return CoordApp(service, Config(**config))


def screen_text(app: CoordApp) -> str:
    """What a person would read on the terminal, one line per row."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def screen_segment_texts(app: CoordApp) -> list[str]:
    """Every text run sent to the terminal (excludes Textual's own escape codes)."""
    texts = []
    for strip in app.screen._compositor.render_strips():
        texts.extend(segment.text for segment in strip)
    return texts


def table(app: CoordApp):
    from coordtui.widgets.queue_table import QueueTable

    return app.screen.query_one(QueueTable)
