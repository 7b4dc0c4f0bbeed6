"""``Server-Timing: app;dur=<ms>`` on every answer: how long the server held a request,
from the moment its app saw it to the start of the answer.

A load test run on the same cores as the server (bench/sync_load.py) measures the
server, the network stack and its own event loop together; this header lets it tell
the server's share apart.  It carries a duration only: no path, id or patient data.
"""

from __future__ import annotations

import time
from typing import Any


class ServerTiming:
    """Pure ASGI middleware (no body buffering: a pull answer streams through as is)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - started) * 1000
                headers = list(message.get("headers", []))
                headers.append((b"server-timing", f"app;dur={ms:.1f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed)
