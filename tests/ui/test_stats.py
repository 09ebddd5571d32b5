"""The delivery pages' numbers, from a real state file filled by the real router and workers."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from delivery.conftest import eventually, hook, make_config, running
from eventyard.control.config import Config
from eventyard.delivery import DeliveryService, StateStore, jobs, trace
from eventyard.delivery.trace import Step
from eventyard.log import open_log
from eventyard.log.base import Entry, EventLog
from eventyard.pipeline import Router, dedup
from eventyard.ui import stats
from fakes.webhook_receiver import Answer, Received, WebhookReceiver
from pipeline.conftest import client, receiver, state

__all__ = ["client", "deliver", "receiver", "state", "track"]

NOW = 1_714_564_800.0  # 2024-05-01T12:00:00Z


def track(message_id: str, revenue: int = 1, source: str = "web") -> Entry:
    event = {
        "type": "track",
        "event": "Paid",
        "userId": "u1",
        "messageId": message_id,
        "properties": {"revenue": revenue},
    }
    return Entry(source, "u1", message_id, orjson.dumps(event))


async def deliver(
    config: Config, log: EventLog, state: StateStore, client: httpx.AsyncClient, *entries: Entry
) -> DeliveryService:
    """Append to the log, route every partition, and deliver until every queue is empty."""
    service = DeliveryService(config, state, client)
    router = Router(config, log, state, on_enqueued=service.notify)
    await log.append(entries)
    for partition, end in enumerate(await log.end_offsets()):
        if end:
            await router.process(await log.read(partition, 0, end))

    async def drained() -> bool:
        return all(s.pending == 0 for s in await service.status())

    async with running(service):
        await eventually(drained)
    return service


@pytest.fixture
async def sqlite_log(tmp_path: Path) -> AsyncIterator[EventLog]:
    log = open_log(None, tmp_path, 4)
    await log.open()
    yield log
    await log.close()


def scripted(receiver: WebhookReceiver, answers: dict[str, list[Answer]]) -> None:
    def answer(request: Received) -> Answer | None:
        script = answers.get(orjson.loads(request.body)["messageId"])
        return script.pop(0) if script else None

    receiver.on_request = answer


async def test_counts_errors_and_health_follow_real_deliveries(
    sqlite_log: EventLog, state: StateStore, receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    scripted(
        receiver,
        {"m-retry": [Answer(503, body=b"upstream busy")], "m-dead": [Answer(400, body=b"no")]},
    )
    dest = hook("h", receiver.url)
    dest.filter = "properties.revenue > 0"
    idle = hook("idle", receiver.url)
    idle.sources = ["app"]
    config = make_config(dest, idle)
    entries = [track("m-ok"), track("m-free", revenue=0), track("m-retry"), track("m-dead")]
    await deliver(config, sqlite_log, state, client, *entries)
    now = time.time()

    counts = await state.run(lambda conn: stats.outcomes(conn, ["h", "idle"], now - 3600))
    h = counts["h"]
    assert (h.delivered, h.retried, h.filtered, h.dead) == (2, 1, 1, 1)
    assert h.last_delivered_at is not None and now - 60 < h.last_delivered_at <= now
    assert counts["idle"] == stats.Outcomes()

    errors = await state.run(lambda conn: stats.top_errors(conn, "h", now - 3600))
    assert sorted((e.message.split(" from ")[0], e.count) for e in errors) == [
        ("HTTP 400", 1),
        ("HTTP 503", 1),
    ]
    assert all(not e.message.startswith("attempt") for e in errors)

    (health, idle) = await state.run(
        lambda conn: stats.health(conn, ["h", "idle"], now - 86400, now)
    )
    assert health.status.dead == 1 and health.status.pending == 0
    assert health.last_error_at is not None
    assert (idle.failing, idle.last_error_at, idle.outcomes.delivered) == (False, None, 0)


async def test_windows_and_hourly_buckets_read_only_their_rows(state: StateStore) -> None:
    def step(mid: str, name: str, at: float, dest: str = "h") -> Step:
        return Step(mid, dest, "send", name, f"attempt 1: HTTP 500 from x: {mid}", 500, at)

    steps = [
        step("old", "delivered", NOW - 3 * 86400),
        step("a", "delivered", NOW - 5 * 3600 - 1),
        step("b", "attempt_failed", NOW - 5 * 3600 + 10),
        step("c", "dead", NOW - 1800),
        step("d", "not_subscribed", NOW - 60),
        step("e", "queued", NOW - 30),  # not a series
        step("f", "delivered", NOW - 20, dest="other"),
    ]
    await state.run(lambda conn: trace.record(conn, steps))
    await state.run(lambda conn: trace.purge(conn, NOW - 4 * 86400))

    day = await state.run(lambda conn: stats.outcomes(conn, ["h"], NOW - 86400))
    assert (day["h"].delivered, day["h"].retried, day["h"].dead, day["h"].filtered) == (1, 1, 1, 1)
    assert "other" not in day
    hour = await state.run(lambda conn: stats.outcomes(conn, ["h"], NOW - 3600))
    assert (hour["h"].delivered, hour["h"].dead, hour["h"].filtered) == (0, 1, 1)
    future = await state.run(lambda conn: stats.outcomes(conn, ["h"], NOW + 1))
    assert future["h"] == stats.Outcomes()

    start = NOW - 6 * 3600
    buckets = await state.run(lambda conn: stats.timeline(conn, "h", start, 3600, 6))
    assert [(b.delivered, b.retried, b.dead, b.filtered) for b in buckets] == [
        (1, 0, 0, 0),
        (0, 1, 0, 0),
        (0, 0, 0, 0),
        (0, 0, 0, 0),
        (0, 0, 0, 0),
        (0, 0, 1, 1),
    ]
    errors = await state.run(lambda conn: stats.top_errors(conn, "h", NOW - 86400, limit=1))
    assert len(errors) == 1 and errors[0].message.startswith("HTTP 500 from x: ")


async def test_window_start_is_found_among_many_rows_with_gaps(state: StateStore) -> None:
    steps = [Step(f"m{n}", "h", "send", "delivered", "", None, NOW + n) for n in range(1000)]
    await state.run(lambda conn: trace.record(conn, steps))
    await state.run(lambda conn: conn.execute("DELETE FROM trace WHERE id % 7 = 0"))
    for since in (NOW - 1, NOW + 1, NOW + 500.5, NOW + 998, NOW + 999):
        expected = sum(1 for n in range(1000) if NOW + n >= since and (n + 1) % 7)
        got = await state.run(partial(stats.outcomes, destinations=["h"], since=since))
        assert got["h"].delivered == expected, since


async def test_failing_means_the_last_error_is_newer_than_the_last_delivery(
    state: StateStore,
) -> None:
    async def failing_after(delivered_at: float | None, error_at: float | None) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            conn.execute("DELETE FROM trace")
            conn.execute("DELETE FROM destination_errors")
            if delivered_at is not None:
                trace.record(conn, [Step("m", "h", "send", "delivered", "", None, delivered_at)])
            if error_at is not None:
                conn.execute(
                    "INSERT INTO destination_errors VALUES ('h', 'HTTP 500', ?)", (error_at,)
                )
            (result,) = stats.health(conn, ["h"], NOW - 86400, NOW)
            return result.failing

        return await state.run(write)

    assert await failing_after(NOW - 60, NOW - 30) is True
    assert await failing_after(None, NOW - 30) is True
    assert await failing_after(NOW - 10, NOW - 30) is False
    assert await failing_after(None, NOW - 2 * 86400) is False
    assert await failing_after(None, None) is False


async def test_source_counts_come_from_the_routing_dedup_entries(state: StateStore) -> None:
    keys = [("web", "m1"), ("web", "m2"), ("app", "m3"), ("other-ws", "m4")]

    def seed(conn: sqlite3.Connection) -> None:
        dedup.first_seen(conn, keys[:1], NOW - 60, 86400)
        dedup.first_seen(conn, keys[1:2], NOW - 5 * 3600, 86400)
        dedup.first_seen(conn, keys[2:3], NOW - 2 * 86400, 3 * 86400)
        dedup.first_seen(conn, keys[3:], NOW - 60, 86400)

    await state.run(seed)
    counts = await state.run(lambda conn: stats.source_counts(conn, ["web", "app", "empty"], NOW))
    assert set(counts) == {"web", "app", "empty"}
    web = counts["web"]
    assert (web.last_hour, web.last_day) == (1, 2)
    assert web.per_hour[23] == 1 and web.per_hour[18] == 1 and sum(web.per_hour) == 2
    assert (counts["app"].last_day, counts["empty"].last_day) == (0, 0)


async def test_dead_letters_are_listed_counted_and_requeued_per_destination(
    sqlite_log: EventLog, state: StateStore, receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    receiver.respond(400, body=b"bad <b>payload</b>")
    config = make_config(hook("h", receiver.url), hook("foreign", receiver.url))
    await deliver(config, sqlite_log, state, client, track("m1"), track("m2"))

    counts = await state.run(lambda conn: stats.dead_counts(conn, ["h", "none"]))
    assert counts == {"h": 2, "none": 0}
    letters = await state.run(lambda conn: stats.dead_letters(conn, ["h"], 1))
    assert [x.message_id for x in letters["h"]] == ["m2"]
    assert "bad <b>payload</b>" in letters["h"][0].error
    foreign = await state.run(lambda conn: stats.dead_letters(conn, ["foreign"], 10))
    ids = [x.id for x in foreign["foreign"]] + [letters["h"][0].id]

    now = time.time()
    moved = await state.run(lambda conn: stats.requeue_letters(conn, ["h"], ids, now))
    assert moved == 1  # another destination's letters are not touched
    assert await state.run(lambda conn: stats.dead_counts(conn, ["h", "foreign"])) == {
        "h": 1,
        "foreign": 2,
    }
    status = await state.run(lambda conn: jobs.status(conn, "h", now))
    assert (status.pending, status.dead) == (1, 1)
    steps = await state.run(lambda conn: trace.steps_for(conn, "m2"))
    assert [s.step for s in steps if s.destination == "h"][-1] == "requeued"
    assert await state.run(lambda conn: stats.requeue_letters(conn, ["h"], [], now)) == 0


async def test_a_cause_that_outlived_max_age_counts_once_among_top_errors(
    state: StateStore,
) -> None:
    cause = "HTTP 503 from http://hook.test/in: busy"
    steps = [
        Step(f"m{n}", "h", "send", "attempt_failed", f"attempt {n}: {cause}", 503, NOW + n)
        for n in range(1, 4)
    ]
    died = f"attempt 4: {cause} (still failing after max_age 14400s)"
    steps.append(Step("m4", "h", "send", "dead", died, 503, NOW + 4))
    await state.run(lambda conn: trace.record(conn, steps))
    errors = await state.run(lambda conn: stats.top_errors(conn, "h", NOW))
    assert [(e.message, e.count, e.last_at) for e in errors] == [(cause, 4, NOW + 4)]


async def test_queued_steps_keep_the_original_events_type_and_name(state: StateStore) -> None:
    events: dict[str, dict[str, Any]] = {
        "m1": {"type": "track", "event": 'Order "Completed"; really'},
        "m2": {"type": "page", "name": "Pricing"},
        "m3": {"type": "identify", "traits": {"email": "ada@example.com"}},
    }
    steps = [
        Step(mid, "h", "send", "queued", trace.queued_detail("send", 10, event), None, NOW)
        for mid, event in events.items()
    ]
    steps.append(Step("m4", "other", "send", "queued", "queued for send (3 bytes)", None, NOW))
    await state.run(lambda conn: trace.record(conn, steps))
    found = await state.run(lambda conn: trace.queued_events(conn, "h", ["m1", "m2", "m3", "m4"]))
    assert found == {
        "m1": ("track", 'Order "Completed"; really'),
        "m2": ("page", "Pricing"),
        "m3": ("identify", ""),
    }
    assert steps[0].detail == 'queued for send (10 bytes) for track "Order \\"Completed\\"; really"'
