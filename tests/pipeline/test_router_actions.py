"""The router maps at queue time: filters, subscriptions, mapping overrides, payload checks,
and a trace step for every decision."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson
import pytest

from control.test_config_actions import ISSUE_EXAMPLE
from delivery.recording import Recorder, recording
from eventyard.control.config import ActionConfig, Config, DestinationConfig, parse_config
from eventyard.delivery import StateStore, trace
from eventyard.log.base import Entry
from eventyard.pipeline import Router
from pipeline.conftest import MemoryLog

__all__ = ["recording"]


def entry(message_id: str, **fields: Any) -> Entry:
    event = {"type": "track", "userId": "u1", "messageId": message_id, **fields}
    return Entry("web", "u1", message_id, orjson.dumps(event))


async def route(config: Config, state: StateStore, *entries: Entry) -> int:
    log = MemoryLog()
    await log.append(list(entries))
    router = Router(config, log, state, on_enqueued=lambda: None)
    return sum([await router.process(part) for part in log.records if part])


async def queued(state: StateStore) -> list[tuple[str, str, str, Any]]:
    def read(conn: sqlite3.Connection) -> list[tuple[str, str, str, Any]]:
        rows = conn.execute(
            "SELECT destination, action, message_id, payload FROM jobs ORDER BY id"
        ).fetchall()
        return [(d, a, m, orjson.loads(p)) for d, a, m, p in rows]

    return await state.run(read)


async def steps(state: StateStore, message_id: str) -> list[tuple[str, str | None, str]]:
    found = await state.run(lambda conn: trace.steps_for(conn, message_id))
    return [(s.step, s.action, s.detail) for s in found]


async def test_the_issue_example_filters_subscribes_and_maps(state: StateStore) -> None:
    config = parse_config(ISSUE_EXAMPLE)
    order = entry(
        "m1",
        event="Order Completed",
        properties={"order_id": "o-9", "revenue": 12},
        context={"traits": {"email": "ada@example.com"}},
    )
    free = entry("m2", event="Order Completed", properties={"order_id": "o-1", "revenue": 0})
    viewed = entry("m3", event="Product Viewed", properties={"revenue": 3})
    assert await route(config, state, order, free, viewed) == 1
    (job,) = await queued(state)
    assert job[:3] == ("orders", "send", "m1")
    assert job[3] == {"method": "POST", "data": {"order": "o-9", "who": "u1 <ada@example.com>"}}
    assert await steps(state, "m1") == [
        (
            "queued",
            "send",
            f'queued for send ({len(orjson.dumps(job[3]))} bytes) for track "Order Completed"',
        )
    ]
    assert await steps(state, "m2") == [
        ("filtered", None, 'filter: type = "track" and properties.revenue > 0')
    ]
    ((step, action, detail),) = await steps(state, "m3")
    assert (step, action) == ("not_subscribed", None)
    assert detail == 'send: event = "Order Completed"'


def rec(**actions: ActionConfig) -> Config:
    config = parse_config("sources: [{name: web, write_key: wk}]")
    config.destinations.append(
        DestinationConfig(name="rec", type="recording", sources=["web"], actions=dict(actions))
    )
    return config


async def test_invalid_payload_is_never_queued_and_is_traced(
    state: StateStore, recording: Recorder
) -> None:
    assert await route(rec(), state, entry("m1", properties={"revenue": 5})) == 0
    assert await queued(state) == []
    assert await steps(state, "m1") == [
        ("invalid_payload", "track", "missing the required field 'order_id'")
    ]
    counts = await state.run(trace.counts)
    assert counts == [
        ("rec", "track", "invalid_payload", "missing the required field 'order_id'", 1)
    ]


async def test_each_subscribed_action_gets_its_own_job_with_overrides(
    state: StateStore, recording: Recorder
) -> None:
    config = rec(
        track=ActionConfig(
            subscription='type = "track" or type = "identify"',
            mapping={"order_id": {"@path": "$.messageId"}, "note": "fixed"},
        )
    )
    await route(
        config,
        state,
        entry("m1", properties={"revenue": 5}),
        entry("m2", type="identify", traits={"email": "a@b.c"}),
    )
    assert [(a, m, p) for _, a, m, p in await queued(state)] == [
        ("track", "m1", {"order_id": "m1", "revenue": 5, "note": "fixed"}),
        ("track", "m2", {"order_id": "m2", "note": "fixed"}),
        ("identify", "m2", {"email": "a@b.c"}),
    ]


async def test_a_switched_off_action_queues_nothing(state: StateStore, recording: Recorder) -> None:
    config = rec(track=ActionConfig(enabled=False))
    assert await route(config, state, entry("m1", properties={"order_id": "o"})) == 0
    ((step, _, detail),) = await steps(state, "m1")
    assert (step, detail) == ("not_subscribed", 'identify: type = "identify"')


async def test_duplicates_and_integrations_are_traced_per_destination(
    state: StateStore, recording: Recorder
) -> None:
    config = rec()
    first = entry("m1", properties={"order_id": "o"})
    assert await route(config, state, first, first) == 1
    assert [s[0] for s in await steps(state, "m1")] == ["queued", "duplicate"]
    opted_out = entry("m2", properties={"order_id": "o"}, integrations={"rec": False})
    assert await route(config, state, opted_out) == 0
    detail = 'integrations: "rec": false (destination name)'
    assert await steps(state, "m2") == [("filtered", None, detail)]


@pytest.mark.parametrize("payload", [b"[1, 2]", b"not json"])
async def test_a_stored_event_that_is_not_an_object_is_traced(
    state: StateStore, recording: Recorder, payload: bytes
) -> None:
    assert await route(rec(), state, Entry("web", "u1", "m1", payload)) == 0
    ((step, _, detail),) = await steps(state, "m1")
    assert (step, detail) == ("invalid_payload", "the stored event is not a JSON object")
