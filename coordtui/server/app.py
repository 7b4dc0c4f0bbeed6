"""The clinic server's HTTP face (FastAPI): health, register, push, pull.

Bodies are read by hand so size caps apply before parsing (on the wire and
once inflated: gzip request bodies are accepted); every refusal is a JSON
``{"error": ...}`` with a clear status and nothing applied: 400 unreadable
body or batch, 401 token, 409 mutation id gap, 413 too large, 415 encoding,
422 wrong shape or types (also arguments the database cannot take, which
would fail the same way every time: never a 5xx, which means "retry"), 426
protocol or schema.  Errors never echo request content (it may hold patient
data): field names and list positions only.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
import os
import re
import zlib
from datetime import datetime
from typing import Annotated, Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, Response
from pydantic import (
    BaseModel,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy import select
from starlette.exceptions import HTTPException as StarletteHTTPException

from coordtui import __version__
from coordtui.mutations import MUTATIONS
from coordtui.replication.protocol import (
    MAX_BATCH,
    MAX_BODY,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    SCHEMA_HEADER,
    SYNC_SCHEMA,
)
from coordtui.server import enrolment, pulling, pushing
from coordtui.server.admission import Admission, Busy
from coordtui.server.cursors import decode_cursor
from coordtui.server.limits import FAILURES_PER_MINUTE, FailureLimiter
from coordtui.server.schema import BIGINT, create_schema, make_engines, meta, srv_client
from coordtui.server.timing import ServerTiming

log = logging.getLogger("coordtui.server")  # ids and counts only: never patient data
ACCEPTED_SCHEMAS = {SYNC_SCHEMA, SYNC_SCHEMA - 1}
_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


class Refused(Exception):
    def __init__(self, status: int, message: str, **extra: Any):
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


class RegisterBody(BaseModel):
    code: Annotated[StrictStr, Field(max_length=64)]
    name: Annotated[StrictStr, Field(max_length=100)] = ""
    # The token secret the workstation chose (coordtui.server.enrolment.register).
    key: (
        Annotated[StrictStr, Field(min_length=32, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")]
        | None
    ) = None


class MutationBody(BaseModel):
    id: Annotated[StrictInt, Field(ge=1, le=BIGINT)]
    name: Annotated[StrictStr, Field(max_length=64)]
    args: dict[str, Any]
    client_time: Annotated[StrictStr, Field(max_length=40)]
    actor: Annotated[StrictStr, Field(max_length=100)] = ""
    recovered: StrictBool = False

    @field_validator("client_time")
    @classmethod
    def _instant(cls, value: str) -> str:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("not an ISO 8601 instant") from None
        return value


class PushBody(BaseModel):
    mutations: Annotated[list[MutationBody], Field(max_length=MAX_BATCH)]


class PullBody(BaseModel):
    cursor: Annotated[StrictStr, Field(max_length=2000)] | None = None
    pending_from: Annotated[StrictInt, Field(ge=0, le=BIGINT)] | None = None
    limit: Annotated[StrictInt, Field(ge=1, le=5000)] = pulling.PAGE_ROWS
    want_remaining: StrictBool = False
    # Days of past appointments a bootstrap sends (0: all); only read when one starts.
    history_days: Annotated[StrictInt, Field(ge=0, le=36500)] = 0


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


REGISTER_BODY = 4096  # an enrolment is a code, a name and a key: read before any token


async def _body(request: Request, limit: int = MAX_BODY) -> Any:
    """The JSON body, refused (413) past ``limit`` bytes on the wire or once inflated."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Refused(413, f"Request body over {limit} bytes.")
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity", "gzip"):
        raise Refused(415, "Unsupported content encoding; send gzip or plain JSON.")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise Refused(413, f"Request body over {limit} bytes.")
    raw = bytes(data)
    if encoding == "gzip":
        try:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            raw = inflater.decompress(raw, limit + 1)
        except zlib.error as exc:
            raise Refused(400, "Request body is not valid gzip.") from exc
        if len(raw) > limit or inflater.unconsumed_tail:
            raise Refused(413, f"Request body over {limit} bytes once decompressed.")
        if not inflater.eof:
            raise Refused(400, "Request body is not valid gzip (cut short).")
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise Refused(400, "Request body is not valid JSON.") from exc


def _where(loc: tuple) -> str:
    # Field names and list positions only: nothing the request said gets echoed.
    parts = [str(p) if isinstance(p, int) or _NAME.fullmatch(str(p)) else "?" for p in loc]
    return ".".join(parts) or "body"


def _parse(model: type[BaseModel], payload: Any) -> Any:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        where = "; ".join(f"{_where(e['loc'])}: {str(e['msg'])[:120]}" for e in exc.errors()[:5])
        raise Refused(422, f"Request does not match the protocol ({where}).") from exc
    except RecursionError as exc:
        raise Refused(400, "Request body is nested too deeply.") from exc


def _check_versions(request: Request) -> None:
    protocol = request.headers.get(PROTOCOL_HEADER)
    schema = request.headers.get(SCHEMA_HEADER)
    if protocol != str(PROTOCOL_VERSION):
        raise Refused(
            426,
            f"Protocol {_version(protocol)} not supported; this server speaks "
            f"{PROTOCOL_VERSION}. Update coordtui.",
        )
    if not schema or _version(schema) != schema or int(schema) not in ACCEPTED_SCHEMAS:
        raise Refused(
            426,
            f"Schema {_version(schema)} not supported; this server accepts "
            f"{sorted(ACCEPTED_SCHEMAS)}. Update coordtui.",
        )


def _version(header: str | None) -> str:
    if header is None:
        return "(none)"
    # isascii: str.isdigit accepts other scripts' digits; a long one would not fit int().
    ok = header.isascii() and header.isdigit() and len(header) <= 9
    return header if ok else "(unreadable)"


# Errors a mutation's arguments can cause every time it runs (a value of the wrong type
# or size reaching the database): answered 422, not 5xx, which would mean "try again".
_BAD_ARGUMENTS = (
    OverflowError,
    RecursionError,
    sa_exc.InvalidRequestError,
    sa_exc.DataError,
    sa_exc.ProgrammingError,
)


def _bad_arguments(exc: BaseException) -> bool:
    if isinstance(exc, _BAD_ARGUMENTS):
        return True
    # Raised while binding a value, before the database saw anything.
    return isinstance(exc, sa_exc.StatementError) and not isinstance(exc, sa_exc.DBAPIError)


def _token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else None


FAILURES_ENV = "COORDTUI_FAILURES_PER_MINUTE"


def failures_per_minute() -> int:
    """Failed enrolments or token checks allowed per address and minute (0: no limit)."""
    value = os.environ.get(FAILURES_ENV, "").strip()
    return int(value) if value.isdigit() else FAILURES_PER_MINUTE


def create_app(database_url: str) -> FastAPI:
    """The ASGI app over one database (the schema is created or upgraded here)."""
    writer, reader = make_engines(database_url)
    create_schema(writer)
    app = FastAPI(
        title="coordtui clinic server",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    # Level 6, not Starlette's 9: a bootstrap page compresses 2.3x faster for 3% more bytes.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    app.add_middleware(ServerTiming)  # outermost: the whole time the server held it
    app.state.writer, app.state.reader = writer, reader

    @app.exception_handler(Refused)
    async def _refused(_request: Request, exc: Refused) -> JSONResponse:
        extra = dict(exc.extra)
        headers = extra.pop("headers", None)
        return JSONResponse(
            {"error": exc.message, **extra}, status_code=exc.status, headers=headers
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = {404: "No such endpoint.", 405: "Method not allowed here."}.get(
            exc.status_code, "Request refused."
        )
        return JSONResponse({"error": message}, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _crashed(request: Request, exc: Exception) -> JSONResponse:
        # The type only: messages may quote data.
        log.error("answered 500 to %s (%s)", request.url.path[:80], type(exc).__name__)
        return JSONResponse(
            {"error": f"Server error ({type(exc).__name__}); nothing was applied."},
            status_code=500,
        )

    limiter = FailureLimiter(failures_per_minute())
    app.state.limiter = limiter
    admission = Admission.from_env()
    app.state.admission = admission
    pages = pulling.PageCache()

    @contextlib.contextmanager
    def place(kind: str):
        try:
            with admission.place(kind):
                yield
        except Busy as exc:
            raise Refused(
                503,
                "Server busy; nothing was applied. Try again shortly.",
                headers={"Retry-After": str(exc.retry_after)},
            ) from None

    def _address(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    def _not_limited(request: Request) -> None:
        wait = limiter.retry_after(_address(request))
        if wait is not None:
            raise Refused(
                429,
                "Too many failed attempts from this address; try again later.",
                headers={"Retry-After": str(wait)},
            )

    async def _client(request: Request) -> str:
        """The client id of the request's token (checked before its body is read)."""
        _not_limited(request)
        token = _token(request)

        def check() -> str:
            with reader.connect() as conn:
                return enrolment.authenticate(conn, token)

        try:
            return await run_in_threadpool(check)
        except enrolment.AuthError as exc:
            limiter.failed(_address(request), "token check")
            raise Refused(401, str(exc)) from exc

    def _last(client_id: str) -> int:
        with reader.connect() as conn:
            return conn.execute(
                select(srv_client.c.last_mutation_id).where(srv_client.c.client_id == client_id)
            ).scalar_one()

    @app.get("/v1/health")
    def health() -> dict[str, Any]:
        with reader.connect() as conn:
            epoch = meta(conn, "epoch")
        return {
            "status": "ok",
            "protocol": PROTOCOL_VERSION,
            "schema": SYNC_SCHEMA,
            "app": __version__,
            "epoch": epoch,
        }

    @app.post("/v1/register")
    async def register(request: Request) -> dict[str, Any]:
        _check_versions(request)
        _not_limited(request)
        body = _parse(RegisterBody, await _body(request, REGISTER_BODY))
        try:
            client_id, token = await run_in_threadpool(
                enrolment.register, writer, body.code, body.name, body.key
            )
        except enrolment.AuthError as exc:
            limiter.failed(_address(request), "enrolment")
            raise Refused(403, str(exc)) from exc
        return {"client_id": client_id, "token": token}

    @app.post("/v1/push")
    async def push(request: Request) -> dict[str, Any]:
        _check_versions(request)
        with place("push"):
            return await _push(request)

    async def _push(request: Request) -> dict[str, Any]:
        client_id = await _client(request)
        body = _parse(PushBody, await _body(request))
        batch = body.mutations
        unknown = sorted(
            {m.name if _NAME.fullmatch(m.name) else "(unreadable)" for m in batch} - set(MUTATIONS)
        )
        if unknown:
            raise Refused(
                400,
                f"Unknown mutation names: {', '.join(unknown)[:200]}; nothing was applied.",
            )
        if any(b.id != a.id + 1 for a, b in zip(batch, batch[1:], strict=False)):
            raise Refused(400, "Mutation ids in a batch must be consecutive; nothing was applied.")
        if not batch:
            return {"results": [], "last_mutation_id": await run_in_threadpool(_last, client_id)}
        pushed = [
            pushing.Pushed(m.id, m.name, m.args, m.client_time, m.actor, m.recovered) for m in batch
        ]
        try:
            return await run_in_threadpool(pushing.push, writer, client_id, pushed)
        except pushing.GapError as exc:
            raise Refused(409, f"{exc}; nothing was applied.", expected=exc.expected) from exc
        except Exception as exc:
            if not _bad_arguments(exc):
                raise
            raise Refused(
                422,
                "A mutation in this batch could not be run (invalid arguments); it and "
                "the ones after it were not applied.",
            ) from exc

    @app.post("/v1/pull")
    async def pull(request: Request) -> Response:
        _check_versions(request)
        with place("pull"):
            return await _pull(request)

    async def _pull(request: Request) -> Response:
        client_id = await _client(request)
        body = _parse(PullBody, await _body(request))
        if body.cursor and decode_cursor(body.cursor) is None:
            raise Refused(400, "The sync cursor is not one this server issued.")
        gzip_ok = "gzip" in request.headers.get("accept-encoding", "")

        def answer() -> Response:
            enrolment.touch(writer, client_id)
            meta, changes = pulling.pull_raw(
                reader,
                client_id,
                body.cursor,
                body.pending_from,
                body.limit,
                body.want_remaining,
                body.history_days,
                pages,
            )
            # Built by hand: the rows are JSON already (a cached page is encoded once),
            # and FastAPI's encoder would walk every value of every row again.
            raw = pulling.wire_json(meta)[:-1] + b',"changes":' + changes + b"}"
            headers = {}
            if gzip_ok and len(raw) >= 1024:
                raw = gzip.compress(raw, compresslevel=5)
                headers["content-encoding"] = "gzip"
            return Response(raw, media_type="application/json", headers=headers)

        return await run_in_threadpool(answer)

    return app
