"""Ctrl+Q while a write is still on the writer thread, in a process of its own.

Usage: python -m tests.ui.quit_mid_write DB
Prints "answered <error>" if the write's answer reached the app before it closed,
then "exited".  A process of its own because the failure it guards
against is a hang that no await can time out: the event loop itself is stuck.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from tests.ui.helpers import make_app

GIVE_UP = 30.0  # seconds the write waits for the quit before it goes ahead anyway


async def main(db: Path) -> None:
    app = make_app(db)

    def register_once_quit_is_asked() -> dict:
        """The write is still running when Ctrl+Q is handled: it starts only then."""
        deadline = time.monotonic() + GIVE_UP
        while app.return_code is None and time.monotonic() < deadline:
            time.sleep(0.005)
        return app.service.register_patient({"given_name": "Grace", "family_name": "Hopper"})

    answers: list[str | None] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.write(register_once_quit_is_asked, lambda _result, error: answers.append(error))
        await pilot.press("ctrl+q")
    app.service.close()
    for error in answers:
        print(f"answered {error}", flush=True)
    print("exited", flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
