"""Issue 11, part 3: the clinic server answers 4xx to bad input, never 5xx.

The inputs fuzzing found (each once a 500), ids that are not UUIDs, and a
property-based fuzz of the HTTP API: hypothesis builds requests from the
protocol's request models (push, pull, register: right and wrong headers,
tokens, cursors, mutation names, ids, instants and nesting) and sends them
to a real server on loopback, on SQLite and PostgreSQL; 0 answers of 5xx in
over 1,000 requests each, and every refusal is JSON with an ``error``.
Also part 5: a forged ``actor`` cannot hide which enrolled desk sent a change.
"""

from __future__ import annotations

import base64
import gzip
import json
import subprocess
import sys

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from coordtui.ids import new_id
from coordtui.mutations import ID_ARGS, MUTATIONS
from coordtui.replication.protocol import PROTOCOL_HEADER, SCHEMA_HEADER
from coordtui.server.pushing import stamped
from coordtui.server.schema import srv_client
from coordtui.sync.client import headers
from tests.sync_env import ROOT, clinic_thread_server, server_database

FUZZ_REQUESTS = 1000  # at least this many per database


@pytest.fixture(params=["sqlite", "postgres"])
def server(request, tmp_path, monkeypatch):
    # Failures on purpose: the per-address limit would soon answer 429 to everything.
    monkeypatch.setenv("COORDTUI_FAILURES_PER_MINUTE", "0")
    srv = clinic_thread_server(server_database(request, tmp_path), tmp_path)
    yield srv
    srv.close()


def _enrol(server, name: str = "probe") -> tuple[str, str]:
    r = httpx.post(
        server.url + "/v1/register",
        json={"code": server.enrol_code(), "name": name},
        headers=headers(),
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return r.json()["client_id"], r.json()["token"]


def _last(server, client_id: str) -> int:
    with server.engine.connect() as conn:
        return conn.execute(
            select(srv_client.c.last_mutation_id).where(srv_client.c.client_id == client_id)
        ).scalar_one()


def _registration(mutation_id: int, patient_id, name: str, **extra) -> dict:
    """A register_patient mutation as a desk pushes it."""
    return {
        "id": mutation_id,
        "name": "register_patient",
        "args": {
            "patient_id": patient_id,
            "event_id": new_id(),
            "fields": {"given_name": name, "family_name": "Probe"},
            "record_number": f"P-{new_id()[-6:]}",
            "at": "2026-01-01T10:00:00+00:00",
        },
        "client_time": "2026-01-01T10:00:00+00:00",
        **extra,
    }


def _cursor(*fields) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(fields)).encode()).decode()


def _refused(response: httpx.Response, status: int | None = None) -> str:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    if status is not None:
        assert response.status_code == status, response.text[:300]
    return response.json()["error"]


# ------------------------------------------------------------ what fuzzing found


def test_the_inputs_that_were_500s_are_4xx_with_a_clear_message(server):
    client_id, token = _enrol(server)
    http = httpx.Client(base_url=server.url, timeout=30)
    auth = {**headers(token)}
    with server.engine.connect() as conn:
        epoch = conn.execute(text("SELECT value FROM srv_meta WHERE key = 'epoch'")).scalar()
    try:
        # Before authentication: a schema header of 5,000 digits (and other scripts' digits).
        for schema in ("9" * 5000, "١٢".encode(), "-7", "7.0"):
            r = http.post("/v1/pull", json={}, headers={**auth, SCHEMA_HEADER: schema})
            assert "not supported" in _refused(r, 426)
        # Forged cursors: 64-bit overflow either way, and a cut-off past the calendar.
        for cursor in (
            _cursor(epoch, 2**63, "", "", "", 0, ""),
            _cursor(epoch, -(2**63) - 1, "", "", "", 0, ""),
            _cursor(epoch, 0, "", "", "", 2**64, ""),
            _cursor(epoch, 0, "", "", "", 0, "0001-01-01T00:00:00+14:00"),
            _cursor(epoch, 0, "", "", "", 0, "9999-12-31T23:59:59-14:00"),
            _cursor(epoch, True, "", "", ""),
            _cursor(epoch, 1.5, "", "", ""),
        ):
            r = http.post("/v1/pull", json={"cursor": cursor}, headers=auth)
            assert "not one this server issued" in _refused(r, 400)
        # A token with text after the client id: unknown, on pull and on an empty push.
        secret = token.split(".", 1)[1]
        for forged in (f"{client_id}EXTRA.{secret}", f"{client_id[:35]}.{secret}", "x.y"):
            for path, body in (("/v1/pull", {}), ("/v1/push", {"mutations": []})):
                r = http.post(path, json=body, headers=headers(forged))
                assert "not known" in _refused(r, 401)
        # Ids that are not UUIDs are refused (as a rejected change, nothing stored).
        bad_ids = ["", "-1", "not-a-uuid", "'; DROP TABLE patient; --", "x" * 100_000, -1]
        for n, bad in enumerate(bad_ids):
            mutation = _registration(_last(server, client_id) + 1, bad, f"Id{n}")
            r = http.post("/v1/push", json={"mutations": [mutation]}, headers=auth)
            assert r.status_code == 200, r.text[:300]
            (result,) = r.json()["results"]
            assert result["status"] == "rejected" and "not a valid id" in result["reason"]
        with server.engine.connect() as conn:
            stored = conn.execute(text("SELECT id FROM patient")).scalars().all()
        assert all(len(i) == 36 for i in stored)
        assert http.get("/v1/health").status_code == 200
    finally:
        http.close()


def test_enrol_hours_out_of_range_are_refused_without_a_traceback(tmp_path):
    url = f"sqlite:///{tmp_path / 'server.db'}"
    for hours in ("-5", "0", "100000000"):
        done = subprocess.run(
            [sys.executable, "-m", "coordtui", "server", "enroll", "--database-url", url,
             "--hours", hours],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 2, done.stderr
        assert done.stdout == "" and "Traceback" not in done.stderr
        assert "lasts 1 to 720 hours" in done.stderr


def test_a_forged_actor_cannot_hide_which_desk_sent_a_change(server):
    """Part 5: the server records, with every applied change, the enrolled desk that
    pushed it (from its token): 'Dr Forged Name' is stored, but next to the desk."""
    client_id, token = _enrol(server, name="Front desk 2")
    patient = new_id()
    mutation = _registration(
        _last(server, client_id) + 1, patient, "Forged", actor="Dr Forged Name"
    )
    r = httpx.post(
        server.url + "/v1/push", json={"mutations": [mutation]}, headers=headers(token), timeout=30
    )
    assert r.json()["results"][0]["status"] == "applied", r.text
    with server.engine.connect() as conn:
        created_by = conn.execute(
            text("SELECT updated_by FROM patient WHERE id = :p"), {"p": patient}
        ).scalar_one()
        event_actor = conn.execute(
            text("SELECT actor FROM patient_event WHERE patient_id = :p"), {"p": patient}
        ).scalar_one()
    desk = f"Front desk 2 [{client_id[:8]}]"
    assert created_by == event_actor == f"Dr Forged Name · {desk}"
    assert stamped("", desk) == desk


# ------------------------------------------------------------------- the fuzz

_TEXTY = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)
_NASTY_TEXT = st.sampled_from(
    [
        "", "-1", "not-a-uuid", "'; DROP TABLE patient; --", "x" * 100_000, "\x00\x1b[2J",
        "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-02-30T10:00:00Z",
        "2026-03-29T02:30:00", "NaN", "1e309", "١٢٣", "Ω" * 300,
    ]
)  # fmt: skip
_NUMBERS = st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=False)
_SCALARS = st.none() | st.booleans() | _NUMBERS | _TEXTY | _NASTY_TEXT
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXTY, inner, max_size=3),
    max_leaves=8,
)
_ARG_NAMES = sorted(ID_ARGS) + [
    "start", "end", "at", "type", "minutes", "fields", "changes", "status", "reason", "note",
    "kind", "modality", "priority", "base_version", "record_number", "direction", "outcome",
    "due", "day", "days", "until", "coverage", "copay", "occurrences", "event_ids",
    "appointment_ids", "duplicates_overridden", "who_kind", "who_name",
]  # fmt: skip
_INSTANTS = st.sampled_from(["2026-12-07T10:00:00+00:00", "2026-12-07T10:00:00"]) | _NASTY_TEXT


@st.composite
def _args(draw, ids: dict) -> dict:
    known = st.sampled_from([new_id(), *ids["providers"], *ids["patients"]])
    out = {}
    for name in draw(st.lists(st.sampled_from(_ARG_NAMES) | _TEXTY, max_size=8, unique=True)):
        if name in ID_ARGS:
            out[name] = draw(known | _SCALARS)
        elif name in ("start", "end", "at", "due"):
            out[name] = draw(_INSTANTS | _SCALARS)
        else:
            out[name] = draw(_VALUES)
    return out


@st.composite
def _request(draw, ids: dict, epoch: str):
    """(path, method, json body or raw bytes, header overrides, use the next mutation id)."""
    path = draw(
        st.sampled_from(
            ["/v1/push"] * 12 + ["/v1/pull"] * 6 + ["/v1/register", "/v1/health"]
            + ["/", "/v1/nope", "/v1/push/../pull", "/docs", "/openapi.json"]
        )
    )  # fmt: skip
    method = draw(st.sampled_from(["POST"] * 12 + ["GET", "PUT", "DELETE"]))
    if path == "/v1/push":
        mutation = st.fixed_dictionaries(
            {
                "id": st.one_of(
                    *[st.just("next")] * 6, st.integers(min_value=-5, max_value=2**64), _SCALARS
                ),
                "name": st.sampled_from(sorted(MUTATIONS)) | _TEXTY,
                "args": st.one_of(*[_args(ids)] * 4, _VALUES),
                "client_time": st.one_of(*[st.just("2026-12-07T10:00:00+00:00")] * 4, _INSTANTS),
            },
            optional={
                "actor": st.one_of(_TEXTY, _TEXTY, _TEXTY, _NASTY_TEXT, _SCALARS),
                "recovered": st.one_of(st.booleans(), st.booleans(), _SCALARS),
            },
        )
        body = {"mutations": draw(st.lists(mutation, max_size=3))}
    elif path == "/v1/pull":
        cursor_fields = st.lists(
            st.sampled_from([epoch, 0, 1, 2**63, -(2**63) - 1, "", "appointment"]) | _SCALARS,
            min_size=4,
            max_size=8,
        ).map(lambda fields: _cursor(*fields))
        body = draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "cursor": cursor_fields | _TEXTY | _SCALARS,
                    "pending_from": _SCALARS,
                    "limit": _SCALARS,
                    "want_remaining": _SCALARS,
                    "history_days": _SCALARS,
                },
            )
        )
    else:
        body = draw(st.fixed_dictionaries({"code": _TEXTY | _SCALARS, "name": _TEXTY | _SCALARS}))
    if draw(st.integers(0, 9)) == 0:
        body = draw(_VALUES)  # any JSON at all
    header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
    if draw(st.integers(0, 3)):
        return path, method, body, {}  # right headers: the body is what is under test
    overrides = draw(
        st.fixed_dictionaries(
            {},
            optional={
                PROTOCOL_HEADER: st.sampled_from(["1", "0", "2", "9" * 5000]) | header_text,
                SCHEMA_HEADER: st.sampled_from(["7", "6", "9" * 5000, "-1"]) | header_text,
                "authorization": st.sampled_from(["", "Bearer ", "Bearer x.y", "Basic abc"])
                | header_text,
                "content-encoding": st.sampled_from(["gzip", "br", "identity"]) | header_text,
            },
        )
    )
    return path, method, body, overrides


def _send(http, path, method, body, overrides, token, next_id) -> httpx.Response:
    if isinstance(body, dict) and isinstance(body.get("mutations"), list):
        for i, m in enumerate(body["mutations"]):
            if m.get("id") == "next":
                m["id"] = next_id + i
    raw = json.dumps(body).encode()
    sent = {**headers(token)}
    if overrides.get("content-encoding") == "gzip":
        raw = gzip.compress(raw)
    for name, value in overrides.items():
        value = value.strip()  # HTTP itself allows no whitespace around a header value
        if name == "authorization" and value == "":
            sent.pop("authorization", None)
        else:
            sent[name] = value
    return http.request(method, path, content=raw, headers=sent)


def _fuzz(server, seed_examples: int) -> None:
    client_id, token = _enrol(server)
    with server.engine.connect() as conn:
        epoch = conn.execute(text("SELECT value FROM srv_meta WHERE key = 'epoch'")).scalar()
    http = httpx.Client(base_url=server.url, timeout=60)
    answered: dict[int, int] = {}

    @settings(
        max_examples=seed_examples,
        deadline=None,
        derandomize=True,  # the same requests on every run: a failure is reproducible
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(request=_request(server.ids, epoch), raw=st.binary(max_size=200))
    def check(request, raw):
        path, method, body, overrides = request
        r = _send(http, path, method, body, overrides, token, _last(server, client_id) + 1)
        answered[r.status_code] = answered.get(r.status_code, 0) + 1
        assert r.status_code < 500, (r.status_code, r.text[:300], path, overrides)
        if r.status_code >= 400:
            assert isinstance(r.json().get("error"), str)
        # and bytes that are not JSON at all, to a real endpoint
        r = http.post(path if path.startswith("/v1/p") else "/v1/push", content=raw,
                      headers=headers(token))  # fmt: skip
        answered[r.status_code] = answered.get(r.status_code, 0) + 1
        assert r.status_code < 500, (r.status_code, r.text[:300])

    try:
        check()
        total = sum(answered.values())
        assert total >= FUZZ_REQUESTS, answered
        assert answered.get(200, 0) > 50, f"the fuzz must also reach the mutations: {answered}"
        assert not [s for s in answered if s >= 500], answered
        assert http.get("/v1/health").status_code == 200
    finally:
        http.close()


def test_fuzzed_requests_never_get_a_5xx(server):
    _fuzz(server, seed_examples=FUZZ_REQUESTS // 2 + 20)
