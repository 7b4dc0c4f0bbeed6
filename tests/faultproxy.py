"""A fault-injecting TCP proxy on loopback, for the HTTP sync tests.

    proxy = FaultProxy("127.0.0.1", server_port, seed=7, drop=0.2, drop_response=0.1)
    with proxy:                      # start() ... stop()
        client = httpx.Client(base_url=proxy.url)
        ...                          # some requests fail, in a seeded, repeatable pattern
        proxy.stop_faults()          # every probability to 0: "the network is back"
        ...                          # everything passes now
        proxy.counters               # snapshot: what the proxy did

The proxy runs its own asyncio event loop in a daemon thread, listens on
127.0.0.1 (``.port``, chosen by the OS unless given) and opens one upstream
connection per accepted client connection.  It does not parse HTTP.

Granularity.  Faults are decided per *exchange*: on one client connection, a
chunk of bytes from the client starts a new exchange when no exchange is open
or when the server has already begun answering the open one; further client
chunks before the server answers (the rest of a request body) belong to the
same exchange.  For HTTP/1.1 without pipelining -- what httpx and uvicorn do,
keep-alive included -- one exchange is one request and its response, so faults
hit individual requests even on a reused connection.  For each exchange the
proxy draws four numbers from its seeded ``random.Random`` (always four, so
changing one probability does not shift the others' sequence) and applies:

``drop``           close the client connection before forwarding the request:
                   the server never sees it.
``delay``          sleep ``delay_ms`` (a number, or a ``(low, high)`` range drawn
                   uniformly) before forwarding the request.  Combines with the others.
``drop_response``  forward the request, wait for the first bytes of the server's
                   answer (so the server has handled -- committed -- it), then close
                   both connections without sending anything to the client.
``truncate``       forward the request, read the start of the answer (up to the
                   end of the headers plus whatever body follows within ~50 ms),
                   send the client only part of it -- half the body read so far,
                   or half the headers if no body byte came -- then close.

``drop`` wins over ``drop_response``, which wins over ``truncate``.  A closed
connection reaches httpx as a ``httpx.TransportError`` (``RemoteProtocolError``
"Server disconnected without sending a response" or "peer closed connection
without sending complete message body"); a cut with ``reset=True`` sends a TCP
RST instead of a FIN (``ReadError``).  With concurrent connections the draws are
shared in arrival order, so only sequential traffic is exactly repeatable.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from dataclasses import asdict, dataclass, field

_CHUNK = 65536
_TRUNCATE_WAIT = 0.05  # seconds to wait for more of the answer before cutting it


@dataclass
class Counters:
    """What the proxy has done so far (a snapshot: ``proxy.counters``)."""

    connections: int = 0  # client connections accepted
    upstream_failures: int = 0  # upstream connect failed: client closed at once
    exchanges: int = 0  # requests seen (see the module docstring)
    forwarded: int = 0  # requests forwarded to the server
    dropped: int = 0  # requests dropped before forwarding
    delayed: int = 0  # requests delayed
    responses_dropped: int = 0  # answers swallowed after the server handled the request
    truncated: int = 0  # answers cut short
    responses: int = 0  # answers the client got the start of, unharmed

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class _Plan:
    drop: bool = False
    delay_s: float = 0.0
    drop_response: bool = False
    truncate: bool = False


@dataclass
class _Conn:
    exchange_open: bool = False
    answered: bool = False  # the server has begun answering the open exchange
    plan: _Plan = field(default_factory=_Plan)


class FaultProxy:
    def __init__(
        self,
        target_host: str,
        target_port: int,
        *,
        seed: int = 0,
        drop: float = 0.0,
        delay: float = 0.0,
        delay_ms: float | tuple[float, float] = 100.0,
        drop_response: float = 0.0,
        truncate: float = 0.0,
        reset: bool = False,
        listen_host: str = "127.0.0.1",
        listen_port: int = 0,
    ) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.listen_host = listen_host
        self._listen_port = listen_port
        self.reset = reset
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._counters = Counters()
        self._p = {"drop": 0.0, "delay": 0.0, "drop_response": 0.0, "truncate": 0.0}
        self.delay_ms = delay_ms
        self.set_faults(drop=drop, delay=delay, drop_response=drop_response, truncate=truncate)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.port: int = 0

    # -- control (any thread) -------------------------------------------------

    def set_faults(
        self,
        *,
        drop: float | None = None,
        delay: float | None = None,
        drop_response: float | None = None,
        truncate: float | None = None,
        delay_ms: float | tuple[float, float] | None = None,
    ) -> None:
        """Change the given probabilities (0..1); the others stay as they are."""
        new = {"drop": drop, "delay": delay, "drop_response": drop_response, "truncate": truncate}
        for name, p in new.items():
            if p is not None and not 0.0 <= p <= 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1], got {p!r}")
        with self._lock:
            for name, p in new.items():
                if p is not None:
                    self._p[name] = float(p)
            if delay_ms is not None:
                self.delay_ms = delay_ms

    def stop_faults(self) -> None:
        """Faults stop: every probability back to 0; from now on all traffic passes."""
        self.set_faults(drop=0.0, delay=0.0, drop_response=0.0, truncate=0.0)

    @property
    def probabilities(self) -> dict[str, float]:
        with self._lock:
            return dict(self._p)

    @property
    def counters(self) -> Counters:
        with self._lock:
            return Counters(**asdict(self._counters))

    def reset_counters(self) -> None:
        with self._lock:
            self._counters = Counters()

    @property
    def url(self) -> str:
        return f"http://{self.listen_host}:{self.port}"

    def start(self) -> FaultProxy:
        if self._thread is not None:
            raise RuntimeError("proxy already started")
        ready = threading.Event()
        failure: list[BaseException] = []
        loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._handle, self.listen_host, self._listen_port)
                )
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as exc:  # reported to start()'s caller
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="faultproxy", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            self._thread.join(5)
            self._thread = self._loop = None
            raise failure[0]
        return self

    def stop(self) -> None:
        """Close the listener and every open connection, then end the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(RuntimeError):  # loop already closed
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._loop = self._thread = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- event-loop side --------------------------------------------------------

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for w in list(self._writers):
            self._close(w, abort=True)
        for t in list(self._tasks):
            t.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 5)

    def _count(self, name: str) -> None:
        with self._lock:
            setattr(self._counters, name, getattr(self._counters, name) + 1)

    def _roll(self) -> _Plan:
        with self._lock:
            p = dict(self._p)
            delay_ms = self.delay_ms
            draws = [self._rng.random() for _ in range(4)]
            if isinstance(delay_ms, tuple):
                delay_ms = self._rng.uniform(*delay_ms)
        return _Plan(
            drop=draws[0] < p["drop"],
            delay_s=delay_ms / 1000.0 if draws[1] < p["delay"] else 0.0,
            drop_response=draws[2] < p["drop_response"],
            truncate=draws[3] < p["truncate"],
        )

    def _close(self, writer: asyncio.StreamWriter, *, abort: bool = False) -> None:
        self._writers.discard(writer)
        if abort or self.reset:
            writer.transport.abort()
        else:
            writer.close()

    async def _handle(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(cwriter)
        self._count("connections")
        try:
            try:
                ureader, uwriter = await asyncio.open_connection(self.target_host, self.target_port)
            except OSError:
                self._count("upstream_failures")
                self._close(cwriter)
                return
            self._writers.add(uwriter)
            conn = _Conn()
            up = asyncio.ensure_future(self._client_to_server(conn, creader, uwriter))
            down = asyncio.ensure_future(self._server_to_client(conn, ureader, cwriter))
            try:
                await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
                if up.done() and not down.done() and up.result() == "eof":
                    # The client half-closed after its request: pass that on and
                    # let the answer come back until the server closes.
                    with contextlib.suppress(OSError, RuntimeError):
                        if uwriter.can_write_eof():
                            uwriter.write_eof()
                    await down
            finally:
                # Whichever side ended, the connection pair is done.
                for t in (up, down):
                    t.cancel()
                await asyncio.gather(up, down, return_exceptions=True)
                self._close(uwriter)
                self._close(cwriter)
        except asyncio.CancelledError:
            # Only stop() cancels handlers.  End normally: asyncio's streams log a
            # cancelled client_connected_cb task as an "unhandled exception".
            self._close(cwriter, abort=True)
        finally:
            self._tasks.discard(task)

    async def _client_to_server(
        self,
        conn: _Conn,
        creader: asyncio.StreamReader,
        uwriter: asyncio.StreamWriter,
    ) -> str:
        """Pump client bytes upstream; returns "eof", "drop" or "error"."""
        try:
            while True:
                data = await creader.read(_CHUNK)
                if not data:
                    return "eof"
                if not conn.exchange_open or conn.answered:
                    plan = self._roll()
                    self._count("exchanges")
                    if plan.drop:
                        self._count("dropped")
                        return "drop"
                    if plan.delay_s:
                        self._count("delayed")
                        await asyncio.sleep(plan.delay_s)
                    conn.plan, conn.exchange_open, conn.answered = plan, True, False
                    self._count("forwarded")
                uwriter.write(data)
                await uwriter.drain()
        except (ConnectionError, OSError):
            return "error"

    async def _server_to_client(
        self,
        conn: _Conn,
        ureader: asyncio.StreamReader,
        cwriter: asyncio.StreamWriter,
    ) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while True:
                data = await ureader.read(_CHUNK)
                if not data:
                    return  # server closed: _handle closes both sides
                if conn.exchange_open and not conn.answered:
                    conn.answered = True
                    plan = conn.plan
                    if plan.drop_response:
                        self._count("responses_dropped")
                        return
                    if plan.truncate:
                        self._count("truncated")
                        data = await self._read_head(ureader, data)
                        cwriter.write(data[: _cut_point(data)])
                        await cwriter.drain()
                        return
                    self._count("responses")
                cwriter.write(data)
                await cwriter.drain()

    async def _read_head(self, ureader: asyncio.StreamReader, data: bytes) -> bytes:
        """Read on until the headers and some body are in, the server pauses, or it closes."""
        while len(data) < 1 << 20:
            end = data.find(b"\r\n\r\n")
            if end >= 0 and len(data) > end + 4:
                return data
            try:
                more = await asyncio.wait_for(ureader.read(_CHUNK), _TRUNCATE_WAIT)
            except TimeoutError:
                return data
            if not more:
                return data
            data += more
        return data


def _cut_point(data: bytes) -> int:
    """Where to cut an answer so that it is incomplete: mid-body, else mid-headers."""
    end = data.find(b"\r\n\r\n")
    if end >= 0 and len(data) > end + 4:
        body = len(data) - (end + 4)
        return end + 4 + body // 2
    return len(data) // 2
