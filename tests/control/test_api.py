"""Operating endpoints over ASGI with a real state file: status, traces, dead letters,
retries, replays and metrics; each scoped to the token's workspace, and hostile input."""

from __future__ import annotations

import math
import re
import sqlite3
import time

import orjson
import pytest

from control.api_world import World, api_world, assert_error, decoded
from eventyard.control.api import iso
from eventyard.control.api_schemas import DeadLetterOut, Requeued, StatusReport, Trace
from eventyard.delivery import jobs, trace
from eventyard.delivery.jobs import NewJob
from eventyard.delivery.state import StateStore
from eventyard.delivery.trace import Step

__all__ = ["api_world"]

T0 = 1_714_564_800.0  # 2024-05-01T12:00:00Z


def step(message_id: str, name: str, at: float, status: int | None = None, dest: str = "a") -> Step:
    return Step(message_id, dest, "send", name, f"{name} detail", status, at)


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


async def dead_counts(state: StateStore, *names: str) -> list[int]:
    now = time.time()
    return await state.run(lambda conn: [jobs.status(conn, n, now).dead for n in names])


async def test_status_keeps_the_shape_eventyard_status_reads(api_world: World) -> None:
    response = await api_world.call("GET", "/api/v1/status", "viewer")
    report = decoded(response, StatusReport)
    data = response.json()
    assert data["sources"] == [{"name": "web", "received": 3}]
    assert data["pipeline"] == {"lag": 0}
    assert [d.name for d in report.destinations] == ["a", "b"]
    assert set(data["destinations"][0]) == {
        "name", "delivered", "observed", "pending", "retrying", "dead", "oldest_pending_age_s",
        "last_error",
    }  # fmt: skip
    assert data["storage"] == {"archive": {"lag": 0}, "warehouses": []}


async def test_status_counts_what_observe_mode_built_apart_from_deliveries(
    api_world: World,
) -> None:
    await seed_trace(
        api_world.ctx.state,
        step("m1", "delivered", T0, 200),
        step("m2", "observed", T0 + 1),
        step("m3", "observed", T0 + 2),
    )
    report = decoded(await api_world.call("GET", "/api/v1/status", "viewer"), StatusReport)
    a = next(d for d in report.destinations if d.name == "a")
    assert (a.delivered, a.observed) == (1, 2)


async def test_status_shows_only_the_token_workspace(api_world: World) -> None:
    data = (await api_world.call("GET", "/api/v1/status", "other")).json()
    assert data["sources"] == [{"name": "shop", "received": 5}]
    assert [d["name"] for d in data["destinations"]] == ["c"]


async def test_trace_lists_steps_in_time_order_with_iso_times(api_world: World) -> None:
    await seed_trace(
        api_world.ctx.state,
        step("m1", "delivered", T0 + 2, 200),
        step("m1", "queued", T0),
        step("m1", "attempt_failed", T0 + 1, 503),
        step("other", "queued", T0),
    )
    response = await api_world.call("GET", "/api/v1/trace/m1", "viewer")
    data = decoded(response, Trace)
    assert data.messageId == "m1"
    assert [s.step for s in data.steps] == ["queued", "attempt_failed", "delivered"]
    assert response.json()["steps"][1] == {
        "destination": "a",
        "action": "send",
        "step": "attempt_failed",
        "detail": "attempt_failed detail",
        "status": 503,
        "at": "2024-05-01T12:00:01.000Z",
    }


async def test_trace_shows_only_the_workspace_destinations(api_world: World) -> None:
    await seed_trace(
        api_world.ctx.state,
        step("m1", "queued", T0, dest="a"),
        step("m1", "queued", T0, dest="c"),
        step("m2", "queued", T0, dest="a"),
    )
    mine = (await api_world.call("GET", "/api/v1/trace/m1", "other")).json()
    assert [s["destination"] for s in mine["steps"]] == ["c"]
    response = await api_world.call("GET", "/api/v1/trace/m2", "other")
    assert_error(response, 404, "unknown_message", "'m2'")


async def test_trace_of_an_unknown_message_is_404_json(api_world: World) -> None:
    assert_error(await api_world.call("GET", "/api/v1/trace/nope"), 404, "unknown_message", "nope")


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
    api_world: World, path: str
) -> None:
    await seed_trace(api_world.ctx.state, step("m1", "queued", T0))
    assert_error(await api_world.call("GET", path), 404, "unknown_message")


async def test_message_ids_may_contain_slashes(api_world: World) -> None:
    await seed_trace(api_world.ctx.state, step("shop/order/42", "queued", T0))
    response = await api_world.call("GET", "/api/v1/trace/shop%2Forder%2F42")
    assert response.json()["messageId"] == "shop/order/42"


async def test_dead_letters_newest_first_with_payload_as_json(api_world: World) -> None:
    state = api_world.ctx.state
    await seed_dead(state, "a", "m1", T0, b'{"event": "one"}')
    await seed_dead(state, "b", "m2", T0 + 60, b'{"event": "two"}')
    await seed_dead(state, "a", "m3", T0 + 120, b"not json \xff")
    everything = decoded(await api_world.call("GET", "/api/v1/deadletters"), list[DeadLetterOut])
    assert [d.messageId for d in everything] == ["m3", "m2", "m1"]
    response = await api_world.call("GET", "/api/v1/deadletters", params={"destination": "a"})
    only_a = response.json()
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
    one = (await api_world.call("GET", "/api/v1/deadletters", params={"limit": "1"})).json()
    assert [d["messageId"] for d in one] == ["m3"]


async def test_dead_letters_of_another_workspace_are_not_listed(api_world: World) -> None:
    await seed_dead(api_world.ctx.state, "a", "m1", T0, b"{}")
    await seed_dead(api_world.ctx.state, "c", "m2", T0, b"{}")
    mine = (await api_world.call("GET", "/api/v1/deadletters", "other")).json()
    assert [d["messageId"] for d in mine] == ["m2"]
    response = await api_world.call(
        "GET", "/api/v1/deadletters", "other", params={"destination": "a"}
    )
    assert_error(response, 400, "unknown_destination", "'a'", "known: c")


@pytest.mark.parametrize(
    "limit", ["0", "-1", "1001", "99999999999999999999", "abc", "1e3", "", " 5", "+5", "1_0"]
)
async def test_dead_letters_refuse_a_bad_limit(api_world: World, limit: str) -> None:
    response = await api_world.call("GET", "/api/v1/deadletters", params={"limit": limit})
    assert_error(response, 400, "invalid_limit", "1 to 1000")


async def test_dead_letters_refuse_an_unknown_destination(api_world: World) -> None:
    response = await api_world.call("GET", "/api/v1/deadletters", params={"destination": "../a"})
    assert_error(response, 400, "unknown_destination", "'../a'", "known: a, b")


async def test_retry_requeues_and_counts(api_world: World) -> None:
    state = api_world.ctx.state
    await seed_dead(state, "a", "m1", T0, b"{}")
    await seed_dead(state, "a", "m2", T0 + 3600, b"{}")
    await seed_dead(state, "b", "m3", T0 + 3600, b"{}")
    response = await api_world.call(
        "POST",
        "/api/v1/deadletters/retry",
        "editor",
        json={"destination": "a", "since": "2024-05-01T12:30:00Z"},
    )
    assert decoded(response, Requeued) == Requeued(requeued=1)
    now = time.time()
    a, b = await state.run(lambda conn: [jobs.status(conn, n, now) for n in ("a", "b")])
    assert (a.pending, a.dead, b.pending, b.dead) == (1, 1, 0, 1)
    response = await api_world.call(
        "POST", "/api/v1/deadletters/retry", "editor", json={"destination": None}
    )
    assert response.json() == {"requeued": 2}
    response = await api_world.call("POST", "/api/v1/deadletters/retry", "editor", json={})
    assert response.json() == {"requeued": 0}


async def test_retry_all_requeues_only_the_workspace_dead_letters(api_world: World) -> None:
    await seed_dead(api_world.ctx.state, "a", "m1", T0, b"{}")
    await seed_dead(api_world.ctx.state, "c", "m2", T0, b"{}")
    response = await api_world.call("POST", "/api/v1/deadletters/retry", "other", json={})
    assert response.json() == {"requeued": 1}
    assert await dead_counts(api_world.ctx.state, "a", "c") == [1, 0]


async def test_retry_needs_an_editor(api_world: World) -> None:
    await seed_dead(api_world.ctx.state, "a", "m1", T0, b"{}")
    response = await api_world.call("POST", "/api/v1/deadletters/retry", "viewer", json={})
    assert_error(response, 403, "forbidden", "editor", "viewer")
    assert await dead_counts(api_world.ctx.state, "a") == [1]


@pytest.mark.parametrize(
    ("body", "code", "word"),
    [
        (b"{not json", "invalid_json", "JSON"),
        (b"", "invalid_json", "JSON"),
        (b"[]", "invalid_json", "object"),
        (b'"a"', "invalid_json", "object"),
        (b'{"destination": null, "sinse": null}', "invalid_json", "sinse"),
        (b'{"destination": "zzz"}', "unknown_destination", "'zzz'"),
        (b'{"destination": "c"}', "unknown_destination", "'c'"),
        (b'{"destination": 5}', "unknown_destination", "5"),
        (b'{"destination": ["a"]}', "unknown_destination", "['a']"),
        (b'{"since": "yesterday"}', "invalid_since", "yesterday"),
        (b'{"since": "2024-13-45T00:00:00Z"}', "invalid_since", "ISO-8601"),
        (b'{"since": 1714564800}', "invalid_since", "1714564800"),
        (b'{"since": "1h"}', "invalid_since", "'1h'"),
    ],
)
async def test_retry_refuses_bad_input_naming_the_problem(
    api_world: World, body: bytes, code: str, word: str
) -> None:
    await seed_dead(api_world.ctx.state, "a", "m1", T0, b"{}")
    response = await api_world.call("POST", "/api/v1/deadletters/retry", content=body)
    assert_error(response, 400, code, word)
    assert await dead_counts(api_world.ctx.state, "a") == [1]


async def test_retry_refuses_a_body_over_1_mb(api_world: World) -> None:
    body = b'{"destination": "' + b"a" * 1_000_001 + b'"}'
    response = await api_world.call("POST", "/api/v1/deadletters/retry", content=body)
    assert_error(response, 413, "payload_too_large", "1000000 bytes")


async def test_retry_is_post_only(api_world: World) -> None:
    response = await api_world.call("GET", "/api/v1/deadletters/retry")
    assert_error(response, 405, "method_not_allowed", "use POST")
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize("path", ["/api/v1/nothing", "/api/v2/status", "/api/", "/api/v1/status/x"])
async def test_unknown_api_paths_are_404_json(api_world: World, path: str) -> None:
    assert_error(await api_world.call("GET", path), 404, "not_found", "/api/docs")


REPLAY = {
    "source": "web",
    "from": "2024-05-01T00:00:00Z",
    "to": "2024-05-02T00:00:00Z",
    "destinations": ["a"],
}


async def test_a_replay_is_started_and_read_back_in_its_workspace(api_world: World) -> None:
    started = await api_world.call("POST", "/api/v1/replays", "editor", json=REPLAY)
    assert started.status_code == 201, started.text
    replay_id = started.json()["id"]
    assert started.json()["destinations"] == ["a"]
    response = await api_world.call("GET", f"/api/v1/replays/{replay_id}", "viewer")
    assert response.json()["id"] == replay_id
    response = await api_world.call("GET", f"/api/v1/replays/{replay_id}", "other")
    assert_error(response, 404, "unknown_replay")


@pytest.mark.parametrize(
    ("change", "code", "word"),
    [
        ({"source": "shop"}, "unknown_source", "known: web"),
        ({"destinations": ["c"]}, "unknown_destination", "'c'"),
        ({"from": "soon"}, "invalid_from", "soon"),
        ({"rate": -1}, "invalid_rate", "per second"),
        ({"extra": 1}, "invalid_json", "extra"),
    ],
)
async def test_a_replay_refuses_bad_input_and_other_workspaces(
    api_world: World, change: dict[str, object], code: str, word: str
) -> None:
    response = await api_world.call("POST", "/api/v1/replays", "editor", json=REPLAY | change)
    assert_error(response, 400, code, word)


async def test_an_unknown_replay_is_404(api_world: World) -> None:
    response = await api_world.call("GET", "/api/v1/replays/r-nope")
    assert_error(response, 404, "unknown_replay", "r-nope")


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


async def test_metrics_is_valid_prometheus_text(api_world: World) -> None:
    state = api_world.ctx.state
    api_world.ctx.plane.file_config.server.metrics_token = "scrape-token"
    await seed_trace(
        state,
        step("m1", "queued", T0),
        step("m1", "delivered", T0 + 1, 200),
        step("m2", "queued", T0),
        step("m2", "attempt_failed", T0 + 1, 500),
    )
    await seed_dead(state, "b", "m3", T0, b"{}")
    await seed_dead(state, "c", "m4", T0, b"{}")
    scraper = {"Authorization": "Bearer scrape-token"}
    response = await api_world.call("GET", "/metrics", None, headers=scraper)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = parse_prometheus(response.text)
    assert samples['eventyard_events_received_total{source="web"}'] == 3
    assert samples['eventyard_events_received_total{source="shop"}'] == 5
    assert samples['eventyard_events_received_total{source="we\\"ird\\\\src"}'] == 1
    delivered = (
        'eventyard_events_total{destination="a",action="send",step="delivered",reason="200"}'
    )
    assert samples[delivered] == 1
    assert samples['eventyard_dead_letters{destination="b"}'] == 1
    assert samples['eventyard_dead_letters{destination="c"}'] == 1


def test_iso_is_utc_with_milliseconds() -> None:
    assert iso(T0 + 0.25) == "2024-05-01T12:00:00.250Z"
    assert orjson.dumps(iso(0)) == b'"1970-01-01T00:00:00.000Z"'
