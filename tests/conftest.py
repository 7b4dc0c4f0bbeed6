"""Shared fixtures: real SQLite files in tmp_path, real apps driven by Pilot."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.builders import StoreBuilder
from tests.pg import make_pg_database, pg_database, pg_template, pg_url  # noqa: F401


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch):
    """Never touch the developer's real config or data."""
    base = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("COORDTUI_CONFIG_DIR", str(base / "config"))
    monkeypatch.setenv("COORDTUI_DATA_DIR", str(base / "data"))
    monkeypatch.delenv("COORDTUI_DB", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def builder(db_path) -> StoreBuilder:
    b = StoreBuilder(db_path)
    yield b
    b.close()


async def wait_for(pilot, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let workers and the writer thread finish until ``condition`` holds.

    A condition that looks up a widget on the screen it expects (the queue's
    table after a dialog saves, say) is "not yet" while another screen is
    still on top: on a busy machine the dialog may not have closed at the
    first look. Such a lookup's NoMatches is therefore not met, not a failure;
    if it still fails at the deadline, the message says so.
    """
    from textual.css.query import NoMatches

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last_miss = ""
    while loop.time() < deadline:
        await pilot.pause(0.02)
        try:
            if condition():
                return
        except NoMatches as miss:
            last_miss = f"; last lookup failed: {miss}"
    from tests.ui.helpers import screen_text

    app = pilot.app
    seen = f"screen {type(app.screen).__name__}, focus {type(app.focused).__name__}"
    raise AssertionError(
        f"condition not met in time ({seen}{last_miss}); the screen read:\n{screen_text(app)}"
    )
