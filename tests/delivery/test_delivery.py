"""Delivery against a live local receiver: success, retries, dead letters, status."""

from __future__ import annotations

import time

import httpx

from delivery.conftest import (
    enqueue,
    event,
    eventually,
    fast_delivery,
    hook,
    make_config,
    running,
    send_payload,
)
from eventyard.delivery import DeliveryService, StateStore, trace
from fakes.webhook_receiver import Answer, WebhookReceiver


async def settled(service: DeliveryService, delivered: int = 0, dead: int = 0) -> None:
    async def check() -> bool:
        (status,) = await service.status()
        return status.delivered == delivered and status.dead == dead and status.pending == 0

    await eventually(check)


async def test_delivers_event_bytes_and_counts(
    state: StateStore, receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    service = DeliveryService(make_config(hook("h", receiver.url)), state, client)
    await enqueue(state, "h", [event(1), event(2)])
    async with running(service):
        await settled(service, delivered=2)
    assert sorted(r.body for r in receiver.requests) == sorted([event(1), event(2)])
    (status,) = await service.status()
    assert status.retrying == 0 and status.oldest_pending_age_s is None


async def test_retries_500_408_and_timeouts_then_delivers(
    state: StateStore, receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    receiver.script([Answer(500), Answer(408), Answer(hang=True), Answer(503)])
    delivery = fast_delivery(timeout=0.2)
    service = DeliveryService(make_config(hook("h", receiver.url, delivery)), state, client)
    await enqueue(state, "h", [event(1)])
    async with running(service):
        await settled(service, delivered=1)
    assert len(receiver.requests) == 5
    assert {r.body for r in receiver.requests} == {event(1)}


async def test_429_retry_after_is_honoured(
    state: StateStore, receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    receiver.script([Answer(429, {"Retry-After": "1"})])
    service = DeliveryService(make_config(hook("h", receiver.url)), state, client)
    await enqueue(state, "h", [event(1)])
    async with running(service):
        await settled(service, delivered=1)
    first, second = receiver.requests
    assert second.at - first.at >= 0.95


async def test_connection_refused_is_retried_until_receiver_is_up(
    state: StateStore, receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    await receiver.down()
    service = DeliveryService(make_config(hook("h", receiver.url)), state, client)
    await enqueue(state, "h", [event(1)])
    async with running(service):

        async def failed_once() -> bool:
            (status,) = await service.status()
            return status.retrying == 1

        await eventually(failed_once)
        (status,) = await service.status()
        assert status.last_error is not None and "connection failed" in status.last_error
        await receiver.up()
        await settled(service, delivered=1)


async def test_400_is_dead_lettered_without_retry(
    state: StateStore, receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    receiver.respond(400, body=b"bad field: email")
    service = DeliveryService(make_config(hook("h", receiver.url)), state, client)
    await enqueue(state, "h", [event(1)])
    async with running(service):
        await settled(service, dead=1)
    assert len(receiver.requests) == 1
    (letter,) = await service.dead_letters("h")
    assert letter.payload == send_payload(event(1)) and letter.message_id == "m1"
    assert letter.action == "send"
    assert "HTTP 400" in letter.error and "bad field: email" in letter.error
    (status,) = await service.status()
    assert status.last_error == letter.error


async def test_a_secret_the_platform_echoes_is_masked_in_trace_and_dead_letters(
    state: StateStore, receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    key = "sk_live_echoed_0123456789"
    receiver.respond(401, body=f"invalid key {key}".encode())
    headers = {"Authorization": f"Bearer {key}"}
    service = DeliveryService(make_config(hook("h", receiver.url, headers=headers)), state, client)
    await enqueue(state, "h", [event(1)])
    async with running(service):
        await settled(service, dead=1)
    assert receiver.requests[0].headers["authorization"] == f"Bearer {key}"
    (letter,) = await service.dead_letters("h")
    assert "HTTP 401" in letter.error and "invalid key ********" in letter.error
    steps = await state.run(lambda conn: trace.steps_for(conn, "m1"))
    assert steps and all(key not in step.detail for step in steps)
    (status,) = await service.status()
    assert key not in (status.last_error or "")


async def test_max_age_dead_letters_with_last_error(
    state: StateStore, receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    receiver.respond(503, body=b"maintenance")
    delivery = fast_delivery(max_age=0.3)
    service = DeliveryService(make_config(hook("h", receiver.url, delivery)), state, client)
    await enqueue(state, "h", [event(1)])
    async with running(service):
        await settled(service, dead=1)
    assert len(receiver.requests) > 2
    (letter,) = await service.dead_letters("h")
    assert "HTTP 503" in letter.error and "maintenance" in letter.error
    assert "max_age" in letter.error and letter.attempts == len(receiver.requests)


async def test_status_counts_pending_retrying_and_age(
    state: StateStore, receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    receiver.respond(500)
    delivery = fast_delivery(backoff_initial=30, backoff_max=30)
    service = DeliveryService(make_config(hook("h", receiver.url, delivery)), state, client)
    await enqueue(state, "h", [event(1), event(2), event(3)])
    async with running(service):
        await receiver.wait_for(3)

        async def all_retrying() -> bool:
            (status,) = await service.status()
            return status.retrying == 3

        await eventually(all_retrying)
    (status,) = await service.status()
    assert (status.name, status.pending, status.delivered, status.dead) == ("h", 3, 0, 0)
    assert status.oldest_pending_age_s is not None and 0 <= status.oldest_pending_age_s < 5
    assert status.last_error is not None and "HTTP 500" in status.last_error


async def test_failing_destination_does_not_delay_another(
    state: StateStore, client: httpx.AsyncClient
) -> None:
    async with WebhookReceiver() as slow, WebhookReceiver() as fast:
        slow.hang()
        config = make_config(
            hook("slow", slow.url, fast_delivery(timeout=5, concurrency=1)),
            hook("fast", fast.url),
        )
        service = DeliveryService(config, state, client)
        await enqueue(state, "slow", [event(i) for i in range(50)])
        await enqueue(state, "fast", [event(i) for i in range(50)])
        started = time.monotonic()
        async with running(service):
            await fast.wait_for(50)
            elapsed = time.monotonic() - started
        assert elapsed < 1.0, f"fast destination took {elapsed:.2f}s"
        assert len(slow.requests) == 1
