"""`eventyard serve` forwards Segment client calls to a local Segment Tracking API.

One run per outcome: delivered the first time, delivered after a 429, and a permanent
400 that ends in dead letters (visible in /api/v1/status).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from segment.analytics.client import Client

from e2e.destination_case import config, one_track, send, wait_for_destination
from e2e.server_process import ServerProcess
from fakes.segment_api import SegmentFake, error_answer
from fakes.webhook_receiver import Answer

KEY = "wk_downstream"


def _config(endpoint: str) -> str:
    settings = {"write_key": KEY, "endpoint": endpoint, "batch_wait_ms": 20}
    return config("segment", "segment", settings)


@pytest.fixture
async def segment() -> AsyncIterator[SegmentFake]:
    async with SegmentFake(write_keys=(KEY,)) as fake:
        yield fake


async def test_every_call_arrives_as_segment_json_the_first_time(
    segment: SegmentFake, start_server: Callable[[str], ServerProcess]
) -> None:
    server = await asyncio.to_thread(start_server, _config(segment.url))

    def calls(client: Client) -> list[tuple[bool, dict[str, Any]]]:
        return [
            client.identify("u1", {"email": "ada@example.com"}),
            client.track("u1", "Order Completed", {"revenue": 42.5}),
            client.page("u1", "Docs", "Start"),
            client.screen("u1", "App", "Home"),
            client.group("u1", "g-7", {"name": "Acme"}),
            client.alias("anon-9", "u1"),
        ]

    ids = await asyncio.to_thread(send, server.url, calls)
    events = await segment.wait_for_events(6, timeout=15)
    assert sorted(event["messageId"] for event in events) == sorted(ids)
    assert segment.dropped == []
    auth = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
    assert all(r.headers["authorization"] == auth for r in segment.requests)
    for event in events:
        assert event["context"]["library"]["name"] == "analytics-python"
        assert event["timestamp"]
        assert not {"receivedAt", "sentAt", "originalTimestamp"} & set(event)
    track = next(event for event in events if event["type"] == "track")
    assert (track["event"], track["properties"]) == ("Order Completed", {"revenue": 42.5})
    done = await wait_for_destination(server, lambda d: d["delivered"] == 6)
    assert done["dead"] == 0


async def test_a_429_is_retried_and_the_event_arrives(
    segment: SegmentFake, start_server: Callable[[str], ServerProcess]
) -> None:
    segment.fail_next(Answer(429, {"Retry-After": "0"}, b'{"success":false}'))
    server = await asyncio.to_thread(start_server, _config(segment.url))
    (message_id,) = await asyncio.to_thread(send, server.url, one_track)
    (event,) = await segment.wait_for_events(1, timeout=15)
    assert event["messageId"] == message_id
    assert len(segment.requests) == 2
    done = await wait_for_destination(server, lambda d: d["delivered"] == 1)
    assert done["dead"] == 0


async def test_a_400_ends_in_dead_letters(
    segment: SegmentFake, start_server: Callable[[str], ServerProcess]
) -> None:
    segment.fail_next(error_answer(400, "malformed JSON"))
    server = await asyncio.to_thread(start_server, _config(segment.url))
    await asyncio.to_thread(send, server.url, one_track)
    dead = await wait_for_destination(server, lambda d: d["dead"] == 1)
    assert "malformed JSON" in str(dead["last_error"])
    assert segment.events == [] and len(segment.requests) == 1
