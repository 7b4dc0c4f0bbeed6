"""The app closing while background threads still report (issue 10, reproduction 15).

Textual closes an app's screens mode by mode (``App._close_all``), clearing each
mode's stack, while the app's own message loop is still running: under Pilot the
test's exit does this, and a message already queued is still handled.  The sync
thread posts a round's outcome every ``sync_seconds`` (1 s), so on a loaded machine
one often lands in that window; the app then looked for "the current screen" of a
mode whose stack was already empty: ``ScreenStackError: No screens on stack``
(seen first in ``test_book_from_the_recall_list_closes_the_recall``, which uses
three modes and so takes longest to close).
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from textual import events

from coordtui.app import CoordApp
from coordtui.sync.runner import Outcome
from tests.conftest import wait_for
from tests.ui.helpers import make_app

ROOT = Path(__file__).resolve().parents[2]
HANG = 120  # seconds: a hang detector for the child process, not a wait (it takes a few)


def _name(app) -> str:
    return type(app.screen).__name__


async def _three_modes_calls_visible(pilot, app) -> None:
    """Three modes, the visible one (Calls) opened before the last (Book), as in the
    recall test: Textual clears Calls' stack before it closes Book's screens."""
    await pilot.press("f5")
    await wait_for(pilot, lambda: _name(app) == "CallsScreen")
    await pilot.press("f4")
    await wait_for(pilot, lambda: _name(app) == "BookScreen")
    await pilot.press("f5")
    await wait_for(pilot, lambda: _name(app) == "CallsScreen")


async def test_a_sync_round_landing_while_the_screens_close_is_ignored(db_path, builder):
    landed = []
    app = make_app(db_path)

    def hook(message) -> None:
        """The moment the flaky run hit: the visible mode's stack is already empty and
        another mode's screens are still closing.  A sync round lands exactly then."""
        if isinstance(message, events.Unmount) and not landed and not app.screen_stack:
            landed.append(app.post_message(CoordApp.SyncDone(Outcome(connected=False, ok=True))))

    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        await _three_modes_calls_visible(pilot, app)
    app.service.close()
    assert landed == [True]  # the round was delivered to the closing app, and ignored


async def test_a_worker_refreshing_the_header_while_the_screens_close_gets_no_error(
    db_path, builder
):
    """The queue's reload worker ends with ``call_from_thread(app.refresh_pending)``;
    one finishing in the same window must not fail (a worker's error ends the app)."""
    errors: list[BaseException] = []
    workers: list[threading.Thread] = []
    app = make_app(db_path)

    def like_the_queue_worker() -> None:
        try:
            app.call_from_thread(app.refresh_pending)
        except Exception as exc:
            errors.append(exc)

    def hook(message) -> None:
        if isinstance(message, events.Unmount) and not workers and not app.screen_stack:
            workers.append(threading.Thread(target=like_the_queue_worker))
            workers[0].start()

    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        await _three_modes_calls_visible(pilot, app)
    await asyncio.to_thread(workers[0].join)  # the loop runs its call meanwhile
    app.service.close()
    assert errors == []


def test_ctrl_q_with_a_write_in_flight_finishes_the_write_and_quits(db_path, builder):
    """Quitting waited for the writer thread on the event loop, while the write's last
    step is to hand its answer to that loop (call_from_thread): Ctrl+Q right after a
    key that writes hung the app for ever.  The write must finish, be answered, and
    the app close."""
    try:
        child = subprocess.run(
            [sys.executable, "-m", "tests.ui.quit_mid_write", str(db_path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=HANG,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("Ctrl+Q with a write in flight: the app never closed")
    assert child.returncode == 0, child.stderr[-2000:]
    assert child.stdout.splitlines() == ["answered None", "exited"]
    conn = sqlite3.connect(db_path)
    try:
        saved = conn.execute("SELECT COUNT(*) FROM patient WHERE family_name = 'Hopper'")
        assert saved.fetchone() == (1,)
    finally:
        conn.close()
