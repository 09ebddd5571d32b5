"""The admin API over ASGI with a real state file: every endpoint, and hostile input."""

from __future__ import annotations

import math
import re
import sqlite3
import time
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from starlette.applications import Starlette

from delivery.conftest import hook, make_config, state
from eventyard.control.api import api_routes, iso
from eventyard.delivery import jobs, trace
from eventyard.delivery.jobs import NewJob
from eventyard.delivery.service import DeliveryService
from eventyard.delivery.state import StateStore
from eventyard.delivery.trace import Step
from pipeline.conftest import MemoryLog

__all__ = ["state"]

T0 = 1_714_564_800.0  # 2024-05-01T12:00:00Z


class CountingLog(MemoryLog):
    async def received(self) -> dict[str, int]:
        return {"web": 3, 'we"ird\\src': 1}


@pytest.fixture
async def api(state: StateStore) -> AsyncIterator[httpx.AsyncClient]:
    config = make_config(hook("a", "http://127.0.0.1:9/a"), hook("b", "http://127.0.0.1:9/b"))
    async with httpx.AsyncClient() as http:
        delivery = DeliveryService(config, state, http)
        app = Starlette(routes=api_routes(config, CountingLog(), state, delivery))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://admin") as client:
            yield client


def step(message_id: str, name: str, at: float, status: int | None = None) -> Step:
    return Step(message_id, "a", "send", name, f"{name} detail", status, at)


async def seed_trace(state: StateStore, *steps: Step) -> None:
    await state.run(lambda conn: trace.record(conn, steps))


async def seed_dead(
    state: StateStore, destination: str, message_id: str, failed_at: float, payload: bytes
) -> None:
    def bury(conn: sqlite3.Connection) -> None:
        job = NewJob(
            destination=destination,
            action="send",
            user_key="u1",
            message_id=message_id,
            payload=payload,
        )
        jobs.insert(conn, [job], failed_at - 1)
        claimed = jobs.claim(conn, destination, ordered=False, limit=1, now=failed_at, lease=10)
        jobs.bury(conn, destination, [job.id for job in claimed], "HTTP 400: bad", failed_at)

    await state.run(bury)


def assert_error(response: httpx.Response, status: int, code: str, *words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["success"] is False and body["code"] == code
    for word in words:
        assert word in body["message"]


async def test_status_keeps_the_shape_eventyard_status_reads(api: httpx.AsyncClient) -> None:
    data = (await api.get("/api/v1/status")).json()
    assert data["sources"] == [{"name": "web", "received": 3}]
    assert data["pipeline"] == {"lag": 0}
    assert [d["name"] for d in data["destinations"]] == ["a", "b"]
    assert set(data["destinations"][0]) == {
        "name", "delivered", "pending", "retrying", "dead", "oldest_pending_age_s", "last_error",
    }  # fmt: skip


async def test_trace_lists_steps_in_time_order_with_iso_times(
    api: httpx.AsyncClient, state: StateStore
) -> None:
    await seed_trace(
        state,
        step("m1", "delivered", T0 + 2, 200),
        step("m1", "queued", T0),
        step("m1", "attempt_failed", T0 + 1, 503),
        step("other", "queued", T0),
    )
    response = await api.get("/api/v1/trace/m1")
    assert response.status_code == 200
    data = response.json()
    assert data["messageId"] == "m1"
    assert [s["step"] for s in data["steps"]] == ["queued", "attempt_failed", "delivered"]
    assert data["steps"][1] == {
        "destination": "a",
        "action": "send",
        "step": "attempt_failed",
        "detail": "attempt_failed detail",
        "status": 503,
        "at": "2024-05-01T12:00:01.000Z",
    }


async def test_trace_of_an_unknown_message_is_404_json(api: httpx.AsyncClient) -> None:
    assert_error(await api.get("/api/v1/trace/nope"), 404, "unknown_message", "'nope'")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/trace/..%2F..%2Fetc%2Fpasswd",
        "/api/v1/trace/%2e%2e%2f%2e%2e%2fstate.db",
        "/api/v1/trace/x%27%20OR%201%3D1--",
        "/api/v1/trace/%00",
    ],
)
async def test_traversal_or_injection_looking_ids_are_just_unknown(
    api: httpx.AsyncClient, state: StateStore, path: str
) -> None:
    await seed_trace(state, step("m1", "queued", T0))
    assert_error(await api.get(path), 404, "unknown_message")


async def test_message_ids_may_contain_slashes(api: httpx.AsyncClient, state: StateStore) -> None:
    await seed_trace(state, step("shop/order/42", "queued", T0))
    response = await api.get("/api/v1/trace/shop%2Forder%2F42")
    assert response.json()["messageId"] == "shop/order/42"


async def test_dead_letters_newest_first_with_payload_as_json(
    api: httpx.AsyncClient, state: StateStore
) -> None:
    await seed_dead(state, "a", "m1", T0, b'{"event": "one"}')
    await seed_dead(state, "b", "m2", T0 + 60, b'{"event": "two"}')
    await seed_dead(state, "a", "m3", T0 + 120, b"not json \xff")
    everything = (await api.get("/api/v1/deadletters")).json()
    assert [d["messageId"] for d in everything] == ["m3", "m2", "m1"]
    only_a = (await api.get("/api/v1/deadletters", params={"destination": "a"})).json()
    assert [d["messageId"] for d in only_a] == ["m3", "m1"]
    assert only_a[1] | {"id": 0} == {
        "id": 0,
        "destination": "a",
        "action": "send",
        "messageId": "m1",
        "payload": {"event": "one"},
        "error": "HTTP 400: bad",
        "attempts": 1,
        "failed_at": "2024-05-01T12:00:00.000Z",
    }
    assert only_a[0]["payload"] == "not json \ufffd"
    one = (await api.get("/api/v1/deadletters", params={"limit": "1"})).json()
    assert [d["messageId"] for d in one] == ["m3"]


@pytest.mark.parametrize(
    "limit", ["0", "-1", "1001", "99999999999999999999", "abc", "1e3", "", " 5", "+5", "1_0"]
)
async def test_dead_letters_refuse_a_bad_limit(api: httpx.AsyncClient, limit: str) -> None:
    response = await api.get("/api/v1/deadletters", params={"limit": limit})
    assert_error(response, 400, "invalid_limit", "1 to 1000")


async def test_dead_letters_refuse_an_unknown_destination(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/v1/deadletters", params={"destination": "../a"})
    assert_error(response, 400, "unknown_destination", "'../a'", "known: a, b")


async def test_retry_requeues_and_counts(api: httpx.AsyncClient, state: StateStore) -> None:
    await seed_dead(state, "a", "m1", T0, b"{}")
    await seed_dead(state, "a", "m2", T0 + 3600, b"{}")
    await seed_dead(state, "b", "m3", T0 + 3600, b"{}")
    response = await api.post(
        "/api/v1/deadletters/retry",
        json={"destination": "a", "since": "2024-05-01T12:30:00Z"},
    )
    assert response.status_code == 200
    assert response.json() == {"requeued": 1}
    now = time.time()
    a, b = await state.run(lambda conn: [jobs.status(conn, n, now) for n in ("a", "b")])
    assert (a.pending, a.dead, b.pending, b.dead) == (1, 1, 0, 1)
    response = await api.post("/api/v1/deadletters/retry", json={"destination": None})
    assert response.json() == {"requeued": 2}
    assert (await api.post("/api/v1/deadletters/retry", json={})).json() == {"requeued": 0}


@pytest.mark.parametrize(
    ("body", "code", "word"),
    [
        (b"{not json", "invalid_json", "JSON"),
        (b"", "invalid_json", "JSON"),
        (b"[]", "invalid_json", "object"),
        (b'"a"', "invalid_json", "object"),
        (b'{"destination": null, "sinse": null}', "invalid_json", "sinse"),
        (b'{"destination": "zzz"}', "unknown_destination", "'zzz'"),
        (b'{"destination": 5}', "unknown_destination", "5"),
        (b'{"destination": ["a"]}', "unknown_destination", "['a']"),
        (b'{"since": "yesterday"}', "invalid_since", "yesterday"),
        (b'{"since": "2024-13-45T00:00:00Z"}', "invalid_since", "ISO-8601"),
        (b'{"since": 1714564800}', "invalid_since", "1714564800"),
        (b'{"since": "1h"}', "invalid_since", "'1h'"),
    ],
)
async def test_retry_refuses_bad_input_naming_the_problem(
    api: httpx.AsyncClient, state: StateStore, body: bytes, code: str, word: str
) -> None:
    await seed_dead(state, "a", "m1", T0, b"{}")
    response = await api.post("/api/v1/deadletters/retry", content=body)
    assert_error(response, 400, code, word)
    (dead,) = await state.run(lambda conn: [jobs.status(conn, "a", time.time()).dead])
    assert dead == 1


async def test_retry_is_post_only(api: httpx.AsyncClient) -> None:
    assert (await api.get("/api/v1/deadletters/retry")).status_code == 405


_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*"'
_SAMPLE = re.compile(rf"({_NAME})(?:\{{(?:{_LABEL}(?:,{_LABEL})*,?)?\}})? (\S+)(?: -?\d+)?")
_HELP = re.compile(rf"# HELP ({_NAME}) .*")
_TYPE = re.compile(rf"# TYPE ({_NAME}) (counter|gauge|histogram|summary|untyped)")
_SUFFIXES = ("_bucket", "_sum", "_count", "_total", "_created")


def parse_prometheus(text: str) -> dict[str, float]:
    """Check every line of the text exposition format; `series line -> value`."""
    assert text.endswith("\n")
    types: dict[str, str] = {}
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            if match := _TYPE.fullmatch(line):
                assert match[1] not in types, f"TYPE declared twice: {line}"
                types[match[1]] = match[2]
            else:
                assert _HELP.fullmatch(line), f"not a HELP or TYPE comment: {line!r}"
            continue
        match = _SAMPLE.fullmatch(line)
        assert match, f"not a sample line: {line!r}"
        name, value = match[1], match[2]
        family = next(
            (name.removesuffix(s) for s in _SUFFIXES if name.removesuffix(s) in types), name
        )
        assert family in types, f"sample before its TYPE: {line!r}"
        number = float(value)  # also takes +Inf, -Inf, NaN as the format allows
        assert not math.isnan(number) or value == "NaN"
        series = line.rsplit(" ", 1)[0]
        assert series not in samples, f"series repeated: {series}"
        samples[series] = number
    return samples


async def test_metrics_is_valid_prometheus_text(api: httpx.AsyncClient, state: StateStore) -> None:
    await seed_trace(
        state,
        step("m1", "queued", T0),
        step("m1", "delivered", T0 + 1, 200),
        step("m2", "queued", T0),
        step("m2", "attempt_failed", T0 + 1, 500),
    )
    await seed_dead(state, "b", "m3", T0, b"{}")
    response = await api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = parse_prometheus(response.text)
    assert samples['eventyard_events_received_total{source="web"}'] == 3
    assert samples['eventyard_events_received_total{source="we\\"ird\\\\src"}'] == 1
    delivered = (
        'eventyard_events_total{destination="a",action="send",step="delivered",reason="200"}'
    )
    assert samples[delivered] == 1
    assert samples['eventyard_dead_letters{destination="b"}'] == 1


def test_iso_is_utc_with_milliseconds() -> None:
    assert iso(T0 + 0.25) == "2024-05-01T12:00:00.250Z"
    assert orjson.dumps(iso(0)) == b'"1970-01-01T00:00:00.000Z"'
