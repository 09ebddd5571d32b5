"""Delivery by action: batching per action within limits, multistatus settlement per item."""

from __future__ import annotations

import time
from typing import Any

import httpx
import orjson

from delivery.conftest import eventually, fast_delivery, make_config, running
from delivery.recording import Recorder, recording
from eventyard.control.config import DestinationConfig
from eventyard.delivery import DeliveryService, StateStore, jobs, trace
from eventyard.delivery.jobs import NewJob
from eventyard.errors import DeliveryError, TerminalError, TransientError

__all__ = ["recording"]


def rec(**settings: Any) -> DestinationConfig:
    return DestinationConfig(
        name="rec",
        type="recording",
        sources=["web"],
        settings=settings,
        delivery=fast_delivery(),
    )


async def put(state: StateStore, action: str, payloads: list[dict[str, Any]]) -> None:
    new = [
        NewJob("rec", action, f"u{i}", f"{action}-{i}", orjson.dumps(p))
        for i, p in enumerate(payloads)
    ]
    await state.run(lambda conn: jobs.insert(conn, new, time.time()))


async def settled(service: DeliveryService, delivered: int, dead: int = 0) -> None:
    async def check() -> bool:
        (status,) = await service.status()
        return (status.delivered, status.dead, status.pending) == (delivered, dead, 0)

    await eventually(check)


async def test_batches_hold_one_action_and_respect_max_events(
    state: StateStore, client: httpx.AsyncClient, recording: Recorder
) -> None:
    service = DeliveryService(make_config(rec(batch_size=4)), state, client)
    await put(state, "track", [{"order_id": f"o{i}"} for i in range(10)])
    await put(state, "identify", [{"email": f"{i}@x.io"} for i in range(3)])
    async with running(service):
        await settled(service, delivered=13)
    tracks = [batch for action, batch in recording.calls if action == "track"]
    identifies = [batch for action, batch in recording.calls if action == "identify"]
    assert all(1 <= len(b) <= 4 for b in tracks) and len(tracks) >= 3
    assert sorted(p["order_id"] for b in tracks for p in b) == sorted(f"o{i}" for i in range(10))
    assert [len(b) for b in identifies] == [1, 1, 1]  # identify has no perform_batch


async def test_max_bytes_caps_a_batch_but_an_oversized_payload_still_goes(
    state: StateStore, client: httpx.AsyncClient, recording: Recorder
) -> None:
    service = DeliveryService(make_config(rec(batch_size=50, max_bytes=100)), state, client)
    payloads = [{"order_id": f"{i:04d}"} for i in range(12)]  # 19 bytes each
    payloads.append({"order_id": "x" * 200})
    await put(state, "track", payloads)
    async with running(service):
        await settled(service, delivered=13)
    for _, batch in recording.calls:
        size = sum(len(orjson.dumps(p)) for p in batch)
        assert size <= 100 or len(batch) == 1


async def test_multistatus_settles_each_item(
    state: StateStore, client: httpx.AsyncClient, recording: Recorder
) -> None:
    failures = {"retry": 2}

    def answer(payload: dict[str, Any]) -> DeliveryError | None:
        kind = payload["order_id"]
        if kind == "retry" and failures["retry"]:
            failures["retry"] -= 1
            return TransientError("busy", status=503)
        if kind == "bad":
            return TerminalError("rejected: bad order", status=400)
        return None

    recording.answer = answer
    service = DeliveryService(make_config(rec(batch_size=10)), state, client)
    await put(state, "track", [{"order_id": k} for k in ("ok", "retry", "bad", "ok2")])
    async with running(service):
        await settled(service, delivered=3, dead=1)
    sent = [p["order_id"] for p in recording.payloads()]
    assert sent.count("ok") == 1 and sent.count("ok2") == 1  # taken items are not resent
    assert sent.count("retry") == 3 and sent.count("bad") == 1
    (letter,) = await service.dead_letters("rec")
    assert letter.message_id == "track-2" and letter.action == "track"
    assert letter.error == "rejected: bad order" and letter.attempts == 1
    retried = await service.trace("track-1")
    assert [(s.step, s.status) for s in retried] == [
        ("attempt_failed", 503),
        ("attempt_failed", 503),
        ("delivered", None),
    ]
    assert retried[0].detail == "attempt 1: busy"
    assert retried[-1].detail.startswith("delivered in 3 attempts, ")
    (dead,) = await service.trace("track-2")
    assert (dead.step, dead.status, dead.detail) == ("dead", 400, "attempt 1: rejected: bad order")


async def test_a_wrong_number_of_batch_results_dead_letters_the_batch(
    state: StateStore, client: httpx.AsyncClient, recording: Recorder
) -> None:
    recording.batch_answer = lambda payloads: [None]
    service = DeliveryService(make_config(rec(batch_size=10)), state, client)
    await put(state, "track", [{"order_id": "a"}, {"order_id": "b"}])
    async with running(service):
        await settled(service, delivered=0, dead=2)
    letters = await service.dead_letters("rec")
    assert all("perform_batch answered 1 results for 2 payloads" in x.error for x in letters)


async def test_jobs_of_an_action_the_type_no_longer_has_are_dead_lettered(
    state: StateStore, client: httpx.AsyncClient, recording: Recorder
) -> None:
    service = DeliveryService(make_config(rec()), state, client)
    await put(state, "page", [{"x": 1}])
    async with running(service):
        await settled(service, delivered=0, dead=1)
    (letter,) = await service.dead_letters("rec")
    assert "no action 'page'" in letter.error and "track" in letter.error
    counts = await state.run(trace.counts)
    assert ("rec", "page", "dead", "terminal", 1) in counts


async def test_a_stray_action_does_not_block_a_batching_destination(
    state: StateStore, client: httpx.AsyncClient, recording: Recorder
) -> None:
    service = DeliveryService(make_config(rec(batch_size=5)), state, client)
    await put(state, "page", [{"x": 1}])
    await put(state, "track", [{"order_id": "a"}, {"order_id": "b"}])
    async with running(service):
        await settled(service, delivered=2, dead=1)
    assert [len(batch) for _, batch in recording.calls] == [2]
