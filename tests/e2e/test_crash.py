"""Acknowledged events survive kill -9 of the server and an outage of the destination.

At-least-once here means: every event answered with 200 reaches the webhook at least once,
with its messageId. A second copy can only come from a delivery that was in flight when the
server was killed (the webhook took it, the server died before recording that), so the extra
copies are bounded by kills x concurrency x batch size. A client's re-send of a batch whose
answer was lost is dropped by messageId deduplication, not delivered twice.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from e2e.conftest import WRITE_KEY, config_text, delivered_events, wait_until
from e2e.server_process import ServerProcess
from fakes.webhook_receiver import WebhookReceiver

SENDERS = 4
BATCH = 25
KILLS = 3
CONCURRENCY = 4
DELIVERY_BATCH = 10


def _batch(sender: int) -> list[dict[str, object]]:
    return [
        {
            "type": "track",
            "event": "Checkout Step",
            "userId": f"user-{sender}-{i % 5}",
            "messageId": str(uuid.uuid4()),
            "timestamp": datetime.now(UTC).isoformat(),
            "properties": {"step": i},
        }
        for i in range(BATCH)
    ]


async def _sender(
    sender: int, url: str, acked: set[str], sent: set[str], done: asyncio.Event
) -> None:
    """Like a Segment client: re-send the same batch until it gets a 200; until `done`."""
    async with httpx.AsyncClient(timeout=5) as client:
        while not done.is_set():
            batch = _batch(sender)
            sent.update(str(event["messageId"]) for event in batch)
            body = {"batch": batch, "sentAt": datetime.now(UTC).isoformat()}
            while True:
                try:
                    response = await client.post(f"{url}/v1/batch", json=body, auth=(WRITE_KEY, ""))
                    if response.status_code == 200:
                        acked.update(str(event["messageId"]) for event in batch)
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.01)


async def test_acknowledged_events_survive_kill_9_mid_stream(
    receiver: WebhookReceiver, start_server: Callable[[str], ServerProcess]
) -> None:
    config = config_text(receiver.url, batch_size=DELIVERY_BATCH, concurrency=CONCURRENCY)
    server = await asyncio.to_thread(start_server, config)
    acked: set[str] = set()
    sent: set[str] = set()
    done = asyncio.Event()
    senders = [
        asyncio.create_task(_sender(i, server.url, acked, sent, done)) for i in range(SENDERS)
    ]
    rng = random.Random()
    acked_at_kill = []
    for _ in range(KILLS):
        await asyncio.sleep(rng.uniform(0.3, 0.8))
        acked_at_kill.append(len(acked))
        server.kill()
        await asyncio.sleep(rng.uniform(0.0, 0.3))
        await asyncio.to_thread(server.start)
    await asyncio.sleep(0.3)
    done.set()
    await asyncio.gather(*senders)
    # the senders were busy across every kill: acknowledgements kept coming in between
    assert 0 < acked_at_kill[0] < acked_at_kill[1] < acked_at_kill[2] < len(acked)

    def all_arrived() -> bool:
        return acked <= {e["messageId"] for e in delivered_events(receiver.requests)}

    await wait_until(all_arrived, 60, "every acknowledged event at the webhook")
    await asyncio.sleep(0.5)
    copies = Counter(str(e["messageId"]) for e in delivered_events(receiver.requests))
    assert set(copies) <= sent, "the webhook got an event nobody sent"
    extra = sum(n - 1 for n in copies.values())
    assert extra <= KILLS * CONCURRENCY * DELIVERY_BATCH

    status = await asyncio.to_thread(server.status)
    assert status["sources"][0]["received"] >= len(acked)
    assert status["destinations"][0]["dead"] == 0
    assert server.stop() == 0


async def test_events_wait_on_disk_while_the_webhook_is_down_then_arrive(
    receiver: WebhookReceiver, start_server: Callable[[str], ServerProcess]
) -> None:
    server = await asyncio.to_thread(start_server, config_text(receiver.url, batch_size=20))
    await receiver.down()
    acked: set[str] = set()
    done = asyncio.Event()
    sending = asyncio.create_task(_sender(0, server.url, acked, set(), done))
    await asyncio.sleep(0.5)
    done.set()
    await sending
    await asyncio.sleep(1.0)
    status = await asyncio.to_thread(server.status)
    hook = status["destinations"][0]
    assert hook["pending"] == len(acked)
    assert hook["retrying"] > 0
    assert hook["delivered"] == 0
    assert "connect" in hook["last_error"].lower()

    # a restart while the destination is down keeps the backlog (it is on disk)
    assert server.stop() == 0
    await asyncio.to_thread(server.start)
    await receiver.up()
    await wait_until(
        lambda: {e["messageId"] for e in delivered_events(receiver.requests)} >= acked,
        30,
        "the backlog at the webhook",
    )
    status = await asyncio.to_thread(server.status)
    assert status["destinations"][0]["delivered"] == len(acked)
    assert status["destinations"][0]["pending"] == 0
