"""A second coordtui instance in its own process: press keys, report when committed.

Usage: python -m tests.ui.second_instance DB KEY...
Prints "committed <epoch>" once the writes it made are in the file.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from tests.ui.helpers import make_app


async def main(db: Path, keys: list[str]) -> None:
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        before = app.service.pending_count()
        await pilot.press(*keys)
        for _ in range(500):
            await pilot.pause(0.01)
            if app.service.pending_count() >= before + len(keys) and not app.writes_in_flight:
                break
        print(f"committed {time.time()}", flush=True)
    app.service.close()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2:]))
