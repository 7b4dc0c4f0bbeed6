"""Acceptance 7: bad input to a real clinic server on loopback.

Every bad request gets a clear error status and a JSON ``{"error": ...}``,
nothing is applied (the server's rows, the client's ``last_mutation_id`` and
its recorded results are unchanged), no error message quotes the patient
data the request carried, and the server keeps serving: a valid push works
afterwards.  One server serves the whole module; each case checks its own
before/after state.
"""

from __future__ import annotations

import gzip
import json
import re
import socket
import subprocess
import sys
import zlib
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select, text

from coordtui.ids import new_id
from coordtui.replication.protocol import (
    MAX_BATCH,
    MAX_BODY,
    PROTOCOL_HEADER,
    SCHEMA_HEADER,
    SYNC_SCHEMA,
)
from coordtui.server import enrolment, pushing
from coordtui.server.schema import srv_client
from coordtui.sync.client import headers
from tests.builders import StoreBuilder
from tests.sync_env import ROOT, ServerProcess, dump, sqlite_url

# Patient data that must never come back in an error message.
CANARY_GIVEN, CANARY_FAMILY = "Zebediah", "Quuxcanary"
CANARY_PHONE, CANARY_DOB = "617-253-1000", "1931-07-14"
CANARIES = (CANARY_GIVEN, CANARY_FAMILY, "253-1000", "2531000", CANARY_DOB)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("server-input")
    # Many bad tokens on purpose: the per-address limit of failures is off here
    # (tests/integration/test_server_transport.py covers it).
    srv = ServerProcess(sqlite_url(tmp / "server.db"), env={"COORDTUI_FAILURES_PER_MINUTE": "0"})
    b = StoreBuilder(tmp / "baseline.db")
    b.provider("Dr Okafor")
    b.patient("Ada", "Lovelace")
    srv.load(b.engine)
    b.close()
    srv.start()
    yield srv
    srv.stop()


def _enrol(server: ServerProcess) -> tuple[str, str]:
    r = httpx.post(
        server.url + "/v1/register",
        json={"code": server.enrol_code(), "name": "probe"},
        headers=headers(),
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return r.json()["client_id"], r.json()["token"]


@pytest.fixture(scope="module")
def desk(server) -> tuple[str, str]:
    """(client_id, token) of the workstation that sends the bad requests."""
    return _enrol(server)


def _register_args(**fields) -> dict:
    return {
        "patient_id": new_id(),
        "event_id": new_id(),
        "record_number": "CAN-" + new_id()[-6:],
        "fields": {
            "given_name": CANARY_GIVEN,
            "family_name": CANARY_FAMILY,
            "phone": CANARY_PHONE,
            "dob": CANARY_DOB,
            **fields,
        },
        "at": datetime.now(UTC).isoformat(),
    }


def _mutation(mid: int, name: str = "register_patient", args: dict | None = None) -> dict:
    return {
        "id": mid,
        "name": name,
        "args": _register_args() if args is None else args,
        "client_time": datetime.now(UTC).isoformat(),
        "actor": "probe",
    }


def _last(server, client_id: str) -> int:
    with server.engine.connect() as conn:
        return conn.execute(
            select(srv_client.c.last_mutation_id).where(srv_client.c.client_id == client_id)
        ).scalar_one()


def _state(server) -> tuple:
    with server.engine.connect() as conn:
        bookkeeping = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM srv_result), (SELECT count(*) FROM srv_change), "
                "(SELECT seq FROM srv_head), (SELECT sum(last_mutation_id) FROM srv_client)"
            )
        ).one()
    return dump(server.engine), tuple(bookkeeping)


def _refused(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/json")
    error = r.json()["error"]
    assert isinstance(error, str) and len(error) > 10
    for canary in CANARIES:
        assert canary not in r.text, f"error echoes request data: {r.text}"
    return error


def _serving(server) -> None:
    assert httpx.get(server.url + "/v1/health", timeout=5).json()["status"] == "ok"


def _post(server, path: str, content: bytes, token: str | None, **extra_headers) -> httpx.Response:
    return httpx.post(
        server.url + path,
        content=content,
        headers={**headers(token), **extra_headers},
        timeout=30,
    )


def _unchanged(server, request: Callable[[], httpx.Response], status: int) -> str:
    """Send a bad request: refused with ``status``, nothing changed, still serving."""
    before = _state(server)
    error = _refused(request(), status)
    assert _state(server) == before, "a refused request changed the server"
    _serving(server)
    return error


def _next(server, desk) -> int:
    return _last(server, desk[0]) + 1


def _push_json(server, desk, payload, **hdrs) -> httpx.Response:
    return _post(server, "/v1/push", json.dumps(payload).encode(), desk[1], **hdrs)


# ------------------------------------------------------------ malformed bodies


@pytest.mark.parametrize(
    ("body", "encoding"),
    [
        (b'{"mutations": [', None),  # cut short
        (b"\xff\xfe\x00garbage", None),  # not text
        (b"", None),
        (b'{"mutations": [], "x": NaN}', None),  # not JSON (Python extension)
        (b"[" * 200_000 + b"]" * 200_000, None),  # nested past any parser's stack
        (b"this is not gzip " + CANARY_FAMILY.encode(), "gzip"),
        (gzip.compress(b'{"mutations": []}')[:-6], "gzip"),  # gzip cut short
    ],
    ids=["truncated", "binary", "empty", "nan", "deep", "not-gzip", "gzip-cut"],
)
def test_malformed_bodies_are_400(server, desk, body, encoding):
    extra = {"content-encoding": encoding} if encoding else {}
    for path in ("/v1/push", "/v1/pull"):
        error = _unchanged(server, lambda p=path: _post(server, p, body, desk[1], **extra), 400)
        assert "gzip" in error or "JSON" in error


def test_unsupported_content_encoding_is_415(server, desk):
    body = json.dumps({"mutations": [_mutation(_next(server, desk))]}).encode()
    _unchanged(
        server, lambda: _post(server, "/v1/push", body, desk[1], **{"content-encoding": "br"}), 415
    )


# ------------------------------------------------------------ protocol shape


def test_unknown_mutation_names_refuse_the_whole_batch(server, desk):
    first = _next(server, desk)
    batch = [_mutation(first), _mutation(first + 1, "drop_all_tables", {})]
    error = _unchanged(server, lambda: _push_json(server, desk, {"mutations": batch}), 400)
    assert "drop_all_tables" in error and "nothing was applied" in error
    # A name that is not an identifier is not repeated back (it could be anything).
    odd = [_mutation(first, f"{CANARY_GIVEN} {CANARY_FAMILY}", {})]
    error = _unchanged(server, lambda: _push_json(server, desk, {"mutations": odd}), 400)
    assert "unreadable" in error


def _wrong_types(first: int) -> dict[str, dict]:
    good = _mutation(first)
    return {
        "body-is-a-list": [good],
        "mutations-missing": {"batch": [good]},
        "mutations-not-a-list": {"mutations": good},
        "id-as-string": {"mutations": [{**good, "id": str(first)}]},
        "id-as-float": {"mutations": [{**good, "id": float(first)}]},
        "id-as-bool": {"mutations": [{**good, "id": True}]},
        "id-zero": {"mutations": [{**good, "id": 0}]},
        "id-negative": {"mutations": [{**good, "id": -5}]},
        "id-past-64-bits": {"mutations": [{**good, "id": 2**70}]},
        "args-a-list": {"mutations": [{**good, "args": [good["args"]]}]},
        "args-a-string": {"mutations": [{**good, "args": json.dumps(good["args"])}]},
        "args-null": {"mutations": [{**good, "args": None}]},
        "name-a-number": {"mutations": [{**good, "name": 7}]},
        "name-too-long": {"mutations": [{**good, "name": "x" * 65}]},
        "client-time-missing": {
            "mutations": [{k: v for k, v in good.items() if k != "client_time"}]
        },
        "client-time-not-a-time": {"mutations": [{**good, "client_time": CANARY_FAMILY}]},
        "actor-an-object": {"mutations": [{**good, "actor": {"name": CANARY_GIVEN}}]},
        "batch-too-long": {"mutations": [_mutation(first + i) for i in range(MAX_BATCH + 1)]},
    }


@pytest.mark.parametrize("case", list(_wrong_types(1)))
def test_wrong_types_in_a_push_are_422(server, desk, case):
    payload = _wrong_types(_next(server, desk))[case]
    error = _unchanged(server, lambda: _push_json(server, desk, payload), 422)
    assert "does not match the protocol" in error


@pytest.mark.parametrize(
    "payload",
    [
        {"cursor": 12345},
        {"cursor": ["a"]},
        {"cursor": "x" * 2001},
        {"limit": 10**9},
        {"limit": 0},
        {"limit": "100"},
        {"pending_from": "1"},
        {"pending_from": 10**30},
        {"pending_from": -1},
        {"want_remaining": "yes"},
        {"history_days": -1},
        {"history_days": 10**9},
        {"history_days": "365"},
        [],
        "pull",
    ],
    ids=lambda p: json.dumps(p)[:30],
)
def test_wrong_types_in_a_pull_are_422(server, desk, payload):
    body = json.dumps(payload).encode()
    _unchanged(server, lambda: _post(server, "/v1/pull", body, desk[1]), 422)


def test_a_cursor_the_server_never_issued_is_400(server, desk):
    body = json.dumps({"cursor": "not-a-cursor"}).encode()
    error = _unchanged(server, lambda: _post(server, "/v1/pull", body, desk[1]), 400)
    assert "cursor" in error


def test_a_mutation_id_gap_is_409_with_the_expected_id(server, desk):
    expected = _next(server, desk)
    batch = [_mutation(expected + 1), _mutation(expected + 2)]
    before = _state(server)
    r = _push_json(server, desk, {"mutations": batch})
    assert "gap" in _refused(r, 409)
    assert r.json()["expected"] == expected
    assert _state(server) == before
    _serving(server)


def test_every_answer_says_how_long_the_server_held_it_and_nothing_else(server, desk):
    """Server-Timing (for load tests on shared cores): a duration, never a path or data."""
    refused = _push_json(server, desk, {"mutations": [_mutation(_next(server, desk) + 5)]})
    for r in (httpx.get(server.url + "/v1/health", timeout=5), refused):
        timing = r.headers["server-timing"]
        assert re.fullmatch(r"app;dur=\d+\.\d", timing), timing
    assert refused.status_code == 409


def test_a_batch_longer_than_one_commit_applies_once_and_replays_as_duplicates(server, desk):
    """The server commits a batch COMMIT_EVERY mutations at a time: a batch spanning
    several commits applies each mutation once, and sent again (its answer lost) every
    one answers with its stored result, nothing applied twice."""
    first = _next(server, desk)
    size = 2 * pushing.COMMIT_EVERY + 3
    batch = [_mutation(first + i) for i in range(size)]
    r = _push_json(server, desk, {"mutations": batch})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert [x["status"] for x in answer["results"]] == ["applied"] * size
    assert answer["last_mutation_id"] == first + size - 1 == _last(server, desk[0])
    before = _state(server)
    again = _push_json(server, desk, {"mutations": batch}).json()
    assert [x.get("duplicate") for x in again["results"]] == [True] * size
    assert [x["detail"] for x in again["results"]] == [x["detail"] for x in answer["results"]]
    assert _state(server) == before


def test_a_batch_with_non_consecutive_ids_is_400(server, desk):
    first = _next(server, desk)
    for ids in ([first, first + 2], [first, first], [first + 1, first]):
        batch = [_mutation(i) for i in ids]
        error = _unchanged(server, lambda b=batch: _push_json(server, desk, {"mutations": b}), 400)
        assert "consecutive" in error


def test_arguments_the_database_cannot_take_are_refused_not_retried(server, desk):
    """A wrong type deep inside ``args``: never a 5xx (that means "send it again")."""
    first = _next(server, desk)
    weird = {**_register_args(), "patient_id": {"nested": CANARY_FAMILY}}
    before_rows = dump(server.engine)
    r = _push_json(server, desk, {"mutations": [_mutation(first, args=weird)]})
    if r.status_code == 200:  # recorded as a refusal: the id is spent, the data untouched
        assert [x["status"] for x in r.json()["results"]] == ["rejected"]
        for canary in CANARIES:
            assert canary not in r.text
    else:
        assert _refused(r, 422)
        assert _last(server, desk[0]) == first - 1
    assert dump(server.engine) == before_rows
    _serving(server)


# ------------------------------------------------------------ size


def _raw_http(server, head: str, body: bytes = b"") -> tuple[int, dict]:
    """One request over a bare socket; the status line and JSON of the answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(head.encode() + b"\r\n" + body)
        data = b""
        while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < int(
            _header(data, b"content-length") or 0
        ):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, json.loads(data.split(b"\r\n\r\n", 1)[1])


def _header(data: bytes, name: bytes) -> bytes | None:
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    return None


def test_a_body_declared_over_the_limit_is_413_before_it_is_read(server, desk):
    before = _state(server)
    hdrs = "".join(f"{k}: {v}\r\n" for k, v in headers(desk[1]).items())
    status, answer = _raw_http(
        server,
        f"POST /v1/push HTTP/1.1\r\nhost: x\r\n{hdrs}content-length: {MAX_BODY + 1}\r\n",
        b'{"mutations": [',
    )
    assert status == 413 and "bytes" in answer["error"]
    assert _state(server) == before
    _serving(server)


def test_a_streamed_body_over_the_limit_is_413(server, desk):
    chunk = b" " * 65536

    def stream():
        yield b'{"mutations": []'
        for _ in range(MAX_BODY // len(chunk) + 1):
            yield chunk
        yield b"}"

    error = _unchanged(
        server,
        lambda: httpx.post(
            server.url + "/v1/push", content=stream(), headers=headers(desk[1]), timeout=30
        ),
        413,
    )
    assert str(MAX_BODY) in error


def test_a_gzip_bomb_is_413(server, desk):
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"0" * (1 << 20)
    parts = [packer.compress(b'{"mutations": [], "pad": "')]
    parts += [packer.compress(zeros) for _ in range(3 * MAX_BODY // len(zeros))]
    bomb = b"".join([*parts, packer.compress(b'"}'), packer.flush()])
    assert len(bomb) < MAX_BODY // 100  # small on the wire, 3 x MAX_BODY inflated
    error = _unchanged(
        server,
        lambda: _post(server, "/v1/push", bomb, desk[1], **{"content-encoding": "gzip"}),
        413,
    )
    assert "decompressed" in error


def test_a_gzip_body_within_the_limit_is_accepted(server, desk):
    body = gzip.compress(json.dumps({"cursor": None, "limit": 1}).encode())
    r = _post(server, "/v1/pull", body, desk[1], **{"content-encoding": "gzip"})
    assert r.status_code == 200 and r.json()["changes"]


# ------------------------------------------------------------ tokens


@pytest.mark.parametrize(
    "token",
    [None, "Bearer", "Basic dXNlcjpwYXNz", "Bearer garbage", "Bearer x.y",
     "Bearer " + "no-dots-here" * 20, "Bearer \u00e9\u00e8.\u00ea"],
    ids=["missing", "empty", "basic", "garbage", "unknown", "long", "latin1"],
)  # fmt: skip
def test_missing_or_garbage_tokens_are_401(server, desk, token):
    body = json.dumps({"mutations": [_mutation(_next(server, desk))]}).encode()
    hdrs = headers()
    if token is not None:
        hdrs["authorization"] = token.encode("latin-1")
    for path in ("/v1/push", "/v1/pull"):
        _unchanged(
            server,
            lambda p=path: httpx.post(server.url + p, content=body, headers=hdrs, timeout=10),
            401,
        )


def test_a_right_client_id_with_a_wrong_secret_is_401(server, desk):
    body = json.dumps({"mutations": [_mutation(_next(server, desk))]}).encode()
    forged = desk[0] + ".not-the-secret"
    _unchanged(server, lambda: _post(server, "/v1/push", body, forged), 401)


def _revoked_cannot_push_or_pull(server, client_id: str, token: str) -> None:
    assert _last(server, client_id) == 0
    body = json.dumps({"mutations": [_mutation(1)]}).encode()
    error = _unchanged(server, lambda: _post(server, "/v1/push", body, token), 401)
    assert "revoked" in error
    _unchanged(server, lambda: _post(server, "/v1/pull", b"{}", token), 401)
    assert _last(server, client_id) == 0


def test_a_token_revoked_on_the_server_is_401(server):
    client_id, token = _enrol(server)
    assert _post(server, "/v1/pull", b'{"limit": 1}', token).status_code == 200
    assert enrolment.revoke(server.engine, client_id)
    assert not enrolment.revoke(server.engine, client_id)  # once is enough
    _revoked_cannot_push_or_pull(server, client_id, token)


def test_a_token_revoked_with_the_cli_is_401(server):
    client_id, token = _enrol(server)
    done = subprocess.run(
        [sys.executable, "-m", "coordtui", "server", "revoke",
         "--database-url", server.database_url, client_id],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert client_id in done.stderr
    _revoked_cannot_push_or_pull(server, client_id, token)


def test_a_spent_or_malformed_enrolment_code_is_refused(server):
    code = server.enrol_code()
    r = httpx.post(server.url + "/v1/register", json={"code": code}, headers=headers())
    assert r.status_code == 200
    before = _state(server)
    for payload, status in (
        ({"code": code}, 403),
        ({"code": "AAAA-BBBB-CCCC"}, 403),
        ({"code": 1234}, 422),
        ({"code": "x" * 65}, 422),
        ({}, 422),
    ):
        r = httpx.post(server.url + "/v1/register", json=payload, headers=headers())
        _refused(r, status)
    assert _state(server) == before


# ------------------------------------------------------------ versions


@pytest.mark.parametrize(
    ("protocol", "schema"),
    [
        (None, str(SYNC_SCHEMA)),
        ("2", str(SYNC_SCHEMA)),
        ("0", str(SYNC_SCHEMA)),
        ("1", None),
        ("1", str(SYNC_SCHEMA + 1)),
        ("1", str(SYNC_SCHEMA - 2)),
        ("1", "six"),
        ("1", f"{SYNC_SCHEMA} {CANARY_FAMILY}"),
    ],
)
def test_wrong_protocol_or_schema_is_426(server, desk, protocol, schema):
    hdrs = headers(desk[1])
    for name, value in ((PROTOCOL_HEADER, protocol), (SCHEMA_HEADER, schema)):
        if value is None:
            del hdrs[name]
        else:
            hdrs[name] = value
    body = json.dumps({"mutations": [_mutation(_next(server, desk))]}).encode()
    for path in ("/v1/push", "/v1/pull", "/v1/register"):
        error = _unchanged(
            server,
            lambda p=path: httpx.post(server.url + p, content=body, headers=hdrs, timeout=10),
            426,
        )
        assert "Update coordtui" in error


@pytest.mark.parametrize("schema", [SYNC_SCHEMA, SYNC_SCHEMA - 1])
def test_the_current_and_previous_schema_are_accepted(server, desk, schema):
    mid = _next(server, desk)
    hdrs = {**headers(desk[1]), SCHEMA_HEADER: str(schema)}
    r = httpx.post(
        server.url + "/v1/push",
        json={"mutations": [_mutation(mid, args=_register_args(given_name=f"Schema{schema}"))]},
        headers=hdrs,
        timeout=10,
    )
    assert r.status_code == 200, r.text
    assert [x["status"] for x in r.json()["results"]] == ["applied"]
    assert _last(server, desk[0]) == mid
    pulled = httpx.post(server.url + "/v1/pull", json={}, headers=hdrs, timeout=10)
    assert pulled.status_code == 200 and pulled.json()["last_mutation_id"] == mid


# ------------------------------------------------------------ routes


def test_unknown_routes_and_methods_answer_json(server, desk):
    for method, path, status in (
        ("GET", "/v1/push", 405),
        ("GET", "/v1/nothing-here", 404),
        ("POST", "/v2/push", 404),
    ):
        r = httpx.request(method, server.url + path, headers=headers(desk[1]), timeout=5)
        _refused(r, status)


# ------------------------------------------------------------ and after all that


def test_after_all_the_bad_input_a_valid_push_and_pull_work(server, desk):
    """Last in the module: everything above left the server serving and consistent."""
    mid = _next(server, desk)
    args = _register_args(given_name="Afterwards")
    r = _push_json(server, desk, {"mutations": [_mutation(mid, args=args)]})
    assert r.status_code == 200, r.text
    assert r.json() == {
        "results": [r.json()["results"][0]],
        "last_mutation_id": mid,
    }
    assert r.json()["results"][0]["status"] == "applied"
    # The same batch again: the stored answer, no second effect.
    again = _push_json(server, desk, {"mutations": [_mutation(mid, args=args)]})
    assert again.json()["results"][0]["status"] == "applied"
    assert again.json()["results"][0].get("duplicate") is True
    with server.engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM patient WHERE id = :id"), {"id": args["patient_id"]}
            ).scalar_one()
            == 1
        )
    r = _push_json(server, desk, {"mutations": []})
    assert r.status_code == 200 and r.json() == {"results": [], "last_mutation_id": mid}
    page = _post(server, "/v1/pull", b"{}", desk[1]).json()
    assert page["last_mutation_id"] == mid
    assert args["patient_id"] in {c["k"] for c in page["changes"]}
    assert server.proc.poll() is None
