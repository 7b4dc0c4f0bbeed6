"""Child for bench/startup.py: start an app on a real pseudo-terminal, report first frame.

argv: KIND (hello|coordtui) [DB]; writes "ready" to the fd in BENCH_READY_FD at the first
displayed frame
(Textual's Ready event), then exits.
"""

from __future__ import annotations

import os
import sys


def _ready() -> None:
    os.write(int(os.environ["BENCH_READY_FD"]), b"ready\n")


def hello() -> None:
    from textual.app import App
    from textual.widgets import Label

    class Hello(App):
        def compose(self):
            yield Label("Hello, world")

        def on_ready(self) -> None:
            _ready()
            self.exit()

    Hello().run()


def coordtui(db: str) -> None:
    from pathlib import Path

    from bench.common import store_clock
    from coordtui.app import CoordApp
    from coordtui.config import load
    from coordtui.service import Service

    class Timed(CoordApp):
        def on_ready(self) -> None:
            assert self.screen.query_one("QueueTable").row_count > 0
            _ready()
            self.exit()

    config = load()
    service = Service(Path(db), actor=config.user, clock=store_clock(Path(db)))
    Timed(service, config).run()


if __name__ == "__main__":
    if sys.argv[1] == "hello":
        hello()
    else:
        coordtui(sys.argv[2])
