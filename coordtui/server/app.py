"""The clinic server's HTTP face (FastAPI): health, register, push, pull.

Bodies are read by hand so size caps apply before parsing and gzip request
bodies are accepted; every refusal is a JSON ``{"error": ...}`` with a clear
status and nothing applied.  Errors never echo request content (it may hold
patient data).
"""

from __future__ import annotations

import json
import zlib
from typing import Annotated, Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictInt, StrictStr, ValidationError

from coordtui import __version__
from coordtui.mutations import MUTATIONS
from coordtui.server import logic
from coordtui.server.schema import create_schema, make_engines, meta
from coordtui.store.files import SCHEMA_VERSION
from coordtui.sync.protocol import (
    MAX_BATCH,
    MAX_BODY,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    SCHEMA_HEADER,
)

ACCEPTED_SCHEMAS = {SCHEMA_VERSION, SCHEMA_VERSION - 1}


class Refused(Exception):
    def __init__(self, status: int, message: str, **extra: Any):
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


class RegisterBody(BaseModel):
    code: Annotated[StrictStr, Field(max_length=64)]
    name: Annotated[StrictStr, Field(max_length=100)] = ""


class MutationBody(BaseModel):
    id: Annotated[StrictInt, Field(ge=1)]
    name: Annotated[StrictStr, Field(max_length=64)]
    args: dict[str, Any]
    client_time: Annotated[StrictStr, Field(max_length=40)]
    actor: Annotated[StrictStr, Field(max_length=100)] = ""


class PushBody(BaseModel):
    mutations: Annotated[list[MutationBody], Field(max_length=MAX_BATCH)]


class PullBody(BaseModel):
    cursor: Annotated[StrictStr, Field(max_length=2000)] | None = None
    pending_from: StrictInt | None = None
    limit: Annotated[StrictInt, Field(ge=1, le=5000)] = logic.PAGE_ROWS
    want_remaining: bool = False


async def _body(request: Request) -> Any:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise Refused(413, f"Request body over {MAX_BODY} bytes.")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY:
            raise Refused(413, f"Request body over {MAX_BODY} bytes.")
    raw = bytes(data)
    if request.headers.get("content-encoding", "").lower() == "gzip":
        try:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            raw = inflater.decompress(raw, MAX_BODY * 4)
            if inflater.unconsumed_tail:
                raise Refused(413, "Request body too large once decompressed.")
        except zlib.error as exc:
            raise Refused(400, "Request body is not valid gzip.") from exc
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refused(400, "Request body is not valid JSON.") from exc


def _parse(model: type[BaseModel], payload: Any) -> Any:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        where = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise Refused(422, f"Request does not match the protocol ({where}).") from exc


def _check_versions(request: Request) -> None:
    protocol = request.headers.get(PROTOCOL_HEADER)
    schema = request.headers.get(SCHEMA_HEADER)
    if protocol != str(PROTOCOL_VERSION):
        raise Refused(
            426,
            f"Protocol {protocol!r} not supported; this server speaks "
            f"{PROTOCOL_VERSION}. Update coordtui.",
        )
    if not schema or not schema.isdigit() or int(schema) not in ACCEPTED_SCHEMAS:
        raise Refused(
            426,
            f"Schema {schema!r} not supported; this server accepts "
            f"{sorted(ACCEPTED_SCHEMAS)}. Update coordtui.",
        )


def _token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else None


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
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.state.writer, app.state.reader = writer, reader

    @app.exception_handler(Refused)
    async def _refused(_request: Request, exc: Refused) -> JSONResponse:
        return JSONResponse({"error": exc.message, **exc.extra}, status_code=exc.status)

    @app.exception_handler(Exception)
    async def _crashed(_request: Request, exc: Exception) -> JSONResponse:
        # The type only: messages may quote data.
        return JSONResponse(
            {"error": f"Server error ({type(exc).__name__}); nothing was applied."},
            status_code=500,
        )

    def _client(token: str | None) -> str:
        with reader.connect() as conn:
            try:
                return logic.authenticate(conn, token)
            except logic.AuthError as exc:
                raise Refused(401, str(exc)) from exc

    @app.get("/v1/health")
    def health() -> dict[str, Any]:
        with reader.connect() as conn:
            epoch = meta(conn, "epoch")
        return {
            "status": "ok",
            "protocol": PROTOCOL_VERSION,
            "schema": SCHEMA_VERSION,
            "app": __version__,
            "epoch": epoch,
        }

    @app.post("/v1/register")
    async def register(request: Request) -> dict[str, Any]:
        _check_versions(request)
        body = _parse(RegisterBody, await _body(request))
        try:
            client_id, token = await run_in_threadpool(logic.register, writer, body.code, body.name)
        except logic.AuthError as exc:
            raise Refused(403, str(exc)) from exc
        return {"client_id": client_id, "token": token}

    @app.post("/v1/push")
    async def push(request: Request) -> dict[str, Any]:
        _check_versions(request)
        client_id = await run_in_threadpool(_client, _token(request))
        body = _parse(PushBody, await _body(request))
        batch = body.mutations
        unknown = sorted({m.name for m in batch if m.name not in MUTATIONS})
        if unknown:
            raise Refused(400, f"Unknown mutation names: {', '.join(unknown)[:200]}.")
        if any(b.id != a.id + 1 for a, b in zip(batch, batch[1:], strict=False)):
            raise Refused(400, "Mutation ids in a batch must be consecutive.")
        pushed = [logic.Pushed(m.id, m.name, m.args, m.client_time, m.actor) for m in batch]
        try:
            return await run_in_threadpool(logic.push, writer, client_id, pushed)
        except logic.GapError as exc:
            raise Refused(409, str(exc), expected=exc.expected) from exc

    @app.post("/v1/pull")
    async def pull(request: Request) -> dict[str, Any]:
        _check_versions(request)
        client_id = await run_in_threadpool(_client, _token(request))
        body = _parse(PullBody, await _body(request))
        return await run_in_threadpool(
            logic.pull,
            reader,
            client_id,
            body.cursor,
            body.pending_from,
            body.limit,
            body.want_remaining,
        )

    return app
