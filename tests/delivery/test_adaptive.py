"""Adaptive concurrency through real delivery runs against a distant (delayed) receiver.

The drain-rate comparison uses a receiver 250 ms away: at 30 ms the adaptive run is bound
by this process's CPU (receiver, client and worker share one event loop; measured 66-150
events/s with the machine's load at 7), too close to a fixed 4 (73-120/s) for a bound that
cannot flake. At 250 ms a fixed 4 does at most 16/s and the adaptive limit is at 64 within
five round trips.
"""

from __future__ import annotations

import time

import httpx
import msgspec
import orjson

from delivery.conftest import enqueue, event, eventually, fast_delivery, hook, make_config, running
from delivery.test_metrics import parse
from eventyard.control.config import DeliverySettings
from eventyard.delivery import DeliveryService, StateStore
from fakes.webhook_receiver import Answer, Received, WebhookReceiver

DELAY = 0.03
FAR = 0.25


def adaptive(**overrides: int) -> DeliverySettings:
    """The default adaptive limit (`concurrency` unset), with the fast test timings."""
    return msgspec.structs.replace(fast_delivery(), concurrency=None, **overrides)


async def drain_rate(
    state: StateStore,
    client: httpx.AsyncClient,
    url: str,
    settings: DeliverySettings,
    count: int,
    name: str = "h",
) -> float:
    """Events/s to deliver a queue of `count` events of distinct users to `url`."""
    service = DeliveryService(make_config(hook(name, url, settings)), state, client)
    await enqueue(state, name, [event(i, f"{name}-user{i}") for i in range(count)])
    started = time.monotonic()
    async with running(service):

        async def drained() -> bool:
            (status,) = [s for s in await service.status() if s.name == name]
            return status.delivered == count

        await eventually(drained, timeout=30)
    return count / (time.monotonic() - started)


async def test_adaptive_limit_drains_a_distant_receiver_far_faster_than_a_fixed_4(
    state: StateStore, receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    receiver.on_request = lambda request: Answer(delay=FAR)
    fixed = await drain_rate(state, client, receiver.url, fast_delivery(concurrency=4), 16, "a")
    grown = await drain_rate(state, client, receiver.url, adaptive(), 120, "b")
    assert fixed < 4 / FAR * 1.1  # the ceiling of 4 requests in flight against 250 ms
    assert grown > 2 * fixed, (grown, fixed)


async def test_limit_in_flight_and_latency_are_in_the_metrics(
    state: StateStore, receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    receiver.on_request = lambda request: Answer(delay=DELAY)
    settings = adaptive(max_concurrency=16)
    service = DeliveryService(make_config(hook("h", receiver.url, settings)), state, client)
    samples = parse(await service.metrics())
    assert samples['eventyard_delivery_concurrency_limit{destination="h"}'] == 4  # the start
    await enqueue(state, "h", [event(i, f"user{i}") for i in range(100)])
    async with running(service):
        await receiver.wait_for(60, timeout=30)
        samples = parse(await service.metrics())
    assert 4 < samples['eventyard_delivery_concurrency_limit{destination="h"}'] <= 16
    assert 1 <= samples['eventyard_delivery_in_flight{destination="h"}'] <= 16
    assert samples['eventyard_delivery_request_seconds{destination="h"}'] >= DELAY


async def test_retry_after_holds_every_request_of_the_destination(
    state: StateStore, receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    receiver.script([Answer(429, {"Retry-After": "1"})])
    one_at_a_time = fast_delivery(concurrency=1)  # the refused request is the only one sent
    service = DeliveryService(make_config(hook("h", receiver.url, one_at_a_time)), state, client)
    await enqueue(state, "h", [event(i, f"user{i}") for i in range(6)])
    async with running(service):
        await receiver.wait_for(7, timeout=10)
    refused_at = receiver.requests[0].at
    later = [r.at - refused_at for r in receiver.requests[1:]]
    assert min(later) >= 0.95, later  # no other user's event went out during the pause


async def test_ordered_destination_keeps_each_users_order_under_concurrency(
    state: StateStore, receiver: WebhookReceiver, client: httpx.AsyncClient, ordered_webhook: str
) -> None:
    def answer(request: Received) -> Answer:
        n = int(orjson.loads(request.body)["event"][1:])
        return Answer(delay=0.002 * (n % 7))  # answers overtake each other

    receiver.on_request = answer
    config = make_config(hook("h", receiver.url, adaptive(), kind=ordered_webhook))
    service = DeliveryService(config, state, client)
    users = [f"user{u}" for u in range(8)]
    await enqueue(state, "h", [event(n, users[n % 8]) for n in range(120)])
    async with running(service):
        await receiver.wait_for(120, timeout=30)
    for user in users:
        seen = [orjson.loads(r.body)["event"] for r in receiver.requests if user.encode() in r.body]
        assert seen == [f"e{n}" for n in range(120) if n % 8 == users.index(user)]
    arrivals = sorted(r.at for r in receiver.requests)
    together = max(sum(1 for t in arrivals if s <= t < s + 0.005) for s in arrivals)
    assert together >= 3  # several users' events were in flight at once
