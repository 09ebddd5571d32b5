"""The trace explains each event per destination; counts, retention and requeue_dead."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

import httpx
import orjson

from delivery.conftest import eventually, hook, make_config, running
from eventyard.control.config import Config
from eventyard.delivery import DeliveryService, StateStore, jobs, trace
from eventyard.log.base import Entry
from eventyard.pipeline import Router
from fakes.webhook_receiver import Answer, Received, WebhookReceiver
from pipeline.conftest import MemoryLog


async def deliver(
    config: Config, state: StateStore, client: httpx.AsyncClient, *events: dict[str, object]
) -> DeliveryService:
    """Route the events through a router and wait until the queue is empty."""
    log = MemoryLog()
    service = DeliveryService(config, state, client)
    router = Router(config, log, state, on_enqueued=service.notify)
    await log.append(
        [Entry("web", str(e["userId"]), str(e["messageId"]), orjson.dumps(e)) for e in events]
    )
    for part in log.records:
        if part:
            await router.process(part)

    async def drained() -> bool:
        return all(s.pending == 0 for s in await service.status())

    async with running(service):
        await eventually(drained)
    return service


def track(message_id: str, revenue: int = 1) -> dict[str, object]:
    return {
        "type": "track",
        "event": "Paid",
        "userId": "u1",
        "messageId": message_id,
        "properties": {"revenue": revenue},
        "receivedAt": "2020-01-01T00:00:00.000Z",
    }


async def test_delivered_filtered_retried_and_dead_events_explain_themselves(
    state: StateStore, receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    calls = {"m-retry": [Answer(503, body=b"upstream busy")], "m-dead": [Answer(400, body=b"no")]}

    def answer(request: Received) -> Answer | None:
        script = calls.get(orjson.loads(request.body)["messageId"])
        return script.pop(0) if script else None

    receiver.on_request = answer
    dest = hook("h", receiver.url)
    dest.filter = "properties.revenue > 0"
    service = await deliver(
        make_config(dest),
        state,
        client,
        track("m-ok"),
        track("m-free", revenue=0),
        track("m-retry"),
        track("m-dead"),
    )
    ok = await service.trace("m-ok")
    assert [(s.destination, s.action, s.step) for s in ok] == [
        ("h", "send", "queued"),
        ("h", "send", "delivered"),
    ]
    assert ok[1].detail.startswith("delivered in 1 attempt, ")
    assert ok[0].at <= ok[1].at
    (free,) = await service.trace("m-free")
    assert (free.step, free.action, free.detail) == (
        "filtered",
        None,
        "filter: properties.revenue > 0",
    )
    retried = await service.trace("m-retry")
    assert [(s.step, s.status) for s in retried] == [
        ("queued", None),
        ("attempt_failed", 503),
        ("delivered", None),
    ]
    assert retried[1].detail.startswith("attempt 1: HTTP 503 from http://127.0.0.1:")
    assert retried[1].detail.endswith(": upstream busy")
    dead = await service.trace("m-dead")
    assert [(s.step, s.status) for s in dead] == [("queued", None), ("dead", 400)]

    counts = await state.run(trace.counts)
    assert counts == [
        ("h", "", "filtered", "filter", 1),
        ("h", "send", "attempt_failed", "503", 1),
        ("h", "send", "dead", "400", 1),
        ("h", "send", "delivered", "", 2),
        ("h", "send", "queued", "", 3),
    ]


async def test_requeue_dead_puts_letters_back_with_attempts_reset(
    state: StateStore, receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    receiver.respond(400)
    config = make_config(hook("h", receiver.url), hook("other", receiver.url))
    service = await deliver(config, state, client, track("m1"), track("m2"))
    assert [s.dead for s in await service.status()] == [2, 2]
    cutoff = time.time()
    assert await state.run(lambda conn: jobs.requeue_dead(conn, "h", cutoff + 60, cutoff)) == 0
    assert await state.run(lambda conn: jobs.requeue_dead(conn, "h", cutoff - 60, cutoff)) == 2
    statuses = {s.name: s for s in await service.status()}
    assert (statuses["h"].dead, statuses["h"].pending, statuses["h"].retrying) == (0, 2, 0)
    assert statuses["other"].dead == 2
    steps = await service.trace("m1")
    requeued = [s for s in steps if s.step == "requeued" and s.destination == "h"]
    assert len(requeued) == 1 and requeued[0].detail.startswith("requeued after: HTTP 400")
    receiver.respond(200)
    async with running(service):

        async def delivered() -> bool:
            return {s.name: s.delivered for s in await service.status()}["h"] == 2

        await eventually(delivered)
    assert await service.requeue_dead() == 2  # every destination, any time
    assert [s.dead for s in await service.status()] == [0, 0]


async def test_requeue_dead_takes_only_the_letters_named_by_id(
    state: StateStore, receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    receiver.respond(400)
    config = make_config(hook("h", receiver.url), hook("other", receiver.url))
    await deliver(config, state, client, track("m1"), track("m2"), track("m3"))
    letters = await state.run(lambda conn: jobs.dead_letters(conn, "h", 10))
    others = await state.run(lambda conn: jobs.dead_letters(conn, "other", 10))
    chosen = [letters[0].id, letters[2].id]
    now = time.time()

    def run(destination: str | None, ids: list[int]) -> Callable[[sqlite3.Connection], int]:
        def call(conn: sqlite3.Connection) -> int:
            return jobs.requeue_dead(conn, destination, None, now, ids)

        return call

    # an id of another destination, one that does not exist, one twice: only h's are taken
    named = [*chosen, chosen[0], others[0].id, 999_999]
    assert await state.run(run("h", named)) == 2
    assert await state.run(run("h", [])) == 0
    assert await state.run(run("h", chosen)) == 0  # already back in the queue
    left = await state.run(lambda conn: jobs.dead_letters(conn, "h", 10))
    assert [x.id for x in left] == [letters[1].id]
    assert len(await state.run(lambda conn: jobs.dead_letters(conn, "other", 10))) == 3
    requeued = {s.message_id for s in await state.run(_requeued_steps)}
    assert requeued == {letters[0].message_id, letters[2].message_id}
    many = list(range(1, 1200))  # more ids than one statement may bind
    assert await state.run(run(None, many)) == 4


def _requeued_steps(conn: sqlite3.Connection) -> list[trace.Step]:
    return [s for m in ("m1", "m2", "m3") for s in trace.steps_for(conn, m) if s.step == "requeued"]


async def test_status_counts_observed_apart_from_delivered(state: StateStore) -> None:
    steps = [
        trace.Step("m1", "h", "send", "delivered", "ok", 200, 1.0),
        trace.Step("m2", "h", "send", "observed", "kept", None, 2.0),
        trace.Step("m3", "h", "send", "observed", "kept", None, 3.0),
        trace.Step("m4", "other", "send", "observed", "kept", None, 3.0),
    ]
    await state.run(lambda conn: trace.record(conn, steps))
    h = await state.run(lambda conn: jobs.status(conn, "h", 10.0))
    assert (h.delivered, h.observed) == (1, 2)
    empty = await state.run(lambda conn: jobs.status(conn, "nobody", 10.0))
    assert (empty.delivered, empty.observed) == (0, 0)


async def test_purge_forgets_old_steps_but_keeps_counts(state: StateStore) -> None:
    old = trace.Step("m1", "h", "send", "queued", "queued", None, 100.0)
    new = trace.Step("m1", "h", "send", "delivered", "ok", None, 200.0)
    await state.run(lambda conn: trace.record(conn, [old, new]))
    assert await state.run(lambda conn: trace.purge(conn, 150.0)) == 1
    assert await state.run(lambda conn: trace.steps_for(conn, "m1")) == [new]
    assert await state.run(lambda conn: trace.purge(conn, 300.0)) == 1
    assert len(await state.run(trace.counts)) == 2
