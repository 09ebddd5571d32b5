"""The unmodified Segment Python client talks to `eventyard serve`; a webhook gets Segment JSON."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from segment.analytics.client import Client

from e2e.conftest import SECRET, WRITE_KEY, config_text, delivered_events, wait_until
from e2e.server_process import ServerProcess
from fakes.webhook_receiver import WebhookReceiver


def _send_every_call(url: str) -> list[dict[str, Any]]:
    client = Client(WRITE_KEY, host=url, sync_mode=True, max_retries=1)
    sent = [
        client.identify("u1", {"email": "ada@example.com", "plan": "pro"}),
        client.track("u1", "Order Completed", {"order_id": "o-1", "revenue": 42.5}),
        client.page("u1", "Docs", "Getting Started", {"url": "https://example.com/docs"}),
        client.screen("u1", "App", "Home", {"variant": "b"}),
        client.group("u1", "g-7", {"name": "Acme"}),
        client.alias("anon-9", "u1"),
    ]
    return [message for ok, message in sent if ok]


async def test_every_call_arrives_once_as_segment_json_with_a_valid_signature(
    receiver: WebhookReceiver, start_server: Callable[[str], ServerProcess]
) -> None:
    server = await asyncio.to_thread(start_server, config_text(receiver.url))
    sent = await asyncio.to_thread(_send_every_call, server.url)
    assert len(sent) == 6
    requests = await receiver.wait_for(6, timeout=15)
    await asyncio.sleep(0.3)  # anything extra would arrive now
    assert len(receiver.requests) == 6

    for request in requests:
        assert request.headers["content-type"] == "application/json"
        expected = hmac.new(SECRET.encode(), request.body, hashlib.sha1).hexdigest()
        assert request.headers["x-signature"] == expected

    by_id = {event["messageId"]: event for event in delivered_events(requests)}
    assert set(by_id) == {message["messageId"] for message in sent}
    for message in sent:
        event = by_id[message["messageId"]]
        assert event["type"] == message["type"]
        assert event["context"]["library"]["name"] == "analytics-python"
        assert "ip" not in event["context"]  # a backend's address is no customer's
        assert "writeKey" not in event
        received_at = datetime.fromisoformat(event["receivedAt"])
        assert abs(received_at - datetime.now(UTC)) < timedelta(minutes=1)
        assert event["originalTimestamp"] and event["timestamp"] and event["sentAt"]

    kinds = {event["type"]: event for event in by_id.values()}
    assert kinds["identify"]["traits"] == {"email": "ada@example.com", "plan": "pro"}
    assert kinds["track"]["event"] == "Order Completed"
    assert kinds["track"]["properties"] == {"order_id": "o-1", "revenue": 42.5}
    assert kinds["page"]["name"] == "Getting Started"
    assert kinds["page"]["category"] == "Docs"
    assert kinds["screen"]["name"] == "Home"
    assert kinds["group"]["groupId"] == "g-7"
    assert kinds["group"]["traits"] == {"name": "Acme"}
    assert kinds["alias"]["previousId"] == "anon-9"
    assert kinds["alias"]["userId"] == "u1"


def _send_batched(url: str, count: int) -> list[str]:
    errors: list[Exception] = []
    client = Client(
        WRITE_KEY, host=url, gzip=True, upload_size=50, on_error=lambda e, _: errors.append(e)
    )
    ids = []
    for i in range(count):
        ok, message = client.track(f"user-{i % 17}", "Product Viewed", {"i": i})
        assert ok
        ids.append(message["messageId"])
    client.flush()
    client.shutdown()
    assert errors == []
    return ids


async def test_gzipped_batches_from_the_background_client_all_arrive(
    receiver: WebhookReceiver, start_server: Callable[[str], ServerProcess]
) -> None:
    server = await asyncio.to_thread(start_server, config_text(receiver.url, batch_size=50))
    ids = await asyncio.to_thread(_send_batched, server.url, 300)
    await wait_until(
        lambda: len(delivered_events(receiver.requests)) >= 300, 20, "300 events at the webhook"
    )
    events = delivered_events(receiver.requests)
    assert sorted(event["messageId"] for event in events) == sorted(ids)
    assert all(len(request.body) > 0 for request in receiver.requests)
    status = await asyncio.to_thread(server.status)
    assert status["sources"] == [{"name": "web", "received": 300}]


async def test_the_same_path_works_with_the_log_in_postgresql(
    receiver: WebhookReceiver, start_server: Callable[[str], ServerProcess], postgres_url: str
) -> None:
    config = config_text(receiver.url, batch_size=50, log_url=postgres_url)
    server = await asyncio.to_thread(start_server, config)
    ids = await asyncio.to_thread(_send_batched, server.url, 200)
    await wait_until(
        lambda: len(delivered_events(receiver.requests)) >= 200, 20, "200 events at the webhook"
    )
    assert sorted(e["messageId"] for e in delivered_events(receiver.requests)) == sorted(ids)
    assert not (server.data_dir / "log.db").exists()
    status = await asyncio.to_thread(server.status)
    assert status["sources"] == [{"name": "web", "received": 200}]
