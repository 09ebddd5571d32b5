"""`eventyard serve` delivers Segment client calls to a local PostHog capture API.

One run per outcome: delivered the first time, delivered after a retryable 503, and a
permanent 400 that ends in dead letters (visible in /api/v1/status).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
import pytest
from segment.analytics.client import Client

from e2e.destination_case import config, one_track, send, wait_for_destination
from e2e.server_process import ServerProcess
from fakes.posthog_api import PostHogFake
from fakes.webhook_receiver import Answer

KEY = "phc_e2e"


def _config(host: str) -> str:
    return config("posthog", "posthog", {"api_key": KEY, "host": host, "batch_wait_ms": 20})


@pytest.fixture
async def posthog() -> AsyncIterator[PostHogFake]:
    async with PostHogFake(api_keys=(KEY,)) as fake:
        yield fake


async def test_every_action_arrives_the_first_time(
    posthog: PostHogFake, start_server: Callable[[str], ServerProcess]
) -> None:
    server = await asyncio.to_thread(start_server, _config(posthog.url))

    def calls(client: Client) -> list[tuple[bool, dict[str, Any]]]:
        return [
            client.identify("u1", {"email": "ada@example.com"}, anonymous_id="anon-1"),
            client.track("u1", "Order Completed", {"revenue": 42.5}),
            client.page("u1", "Docs", "Start", {"url": "https://example.com/docs"}),
            client.group("u1", "g-7", {"name": "Acme"}),
        ]

    ids = await asyncio.to_thread(send, server.url, calls)
    events = await posthog.wait_for_events(4, timeout=15)
    by_name = {event["event"]: event for event in events}
    assert set(by_name) == {"$identify", "Order Completed", "$pageview", "$groupidentify"}
    assert sorted(event["uuid"] for event in events) == sorted(ids)
    assert all(event["distinct_id"] == "u1" for event in events)
    assert by_name["$identify"]["properties"]["$set"] == {"email": "ada@example.com"}
    assert by_name["$identify"]["properties"]["$anon_distinct_id"] == "anon-1"
    assert by_name["Order Completed"]["properties"]["revenue"] == 42.5
    assert by_name["$pageview"]["properties"]["$current_url"] == "https://example.com/docs"
    assert by_name["$groupidentify"]["properties"]["$group_key"] == "g-7"
    assert all(orjson.loads(r.body)["api_key"] == KEY for r in posthog.requests)
    done = await wait_for_destination(server, lambda d: d["delivered"] == 4)
    assert done["dead"] == 0


async def test_a_503_is_retried_and_the_event_arrives(
    posthog: PostHogFake, start_server: Callable[[str], ServerProcess]
) -> None:
    posthog.fail_next(Answer(503, {}, b"unavailable"))
    server = await asyncio.to_thread(start_server, _config(posthog.url))
    (message_id,) = await asyncio.to_thread(send, server.url, one_track)
    (event,) = await posthog.wait_for_events(1, timeout=15)
    assert event["uuid"] == message_id
    assert len(posthog.requests) == 2
    done = await wait_for_destination(server, lambda d: d["delivered"] == 1)
    assert done["dead"] == 0


async def test_a_400_ends_in_dead_letters(
    posthog: PostHogFake, start_server: Callable[[str], ServerProcess]
) -> None:
    refusal = {"type": "validation_error", "code": "invalid_payload", "detail": "bad event"}
    posthog.fail_next(Answer(400, {"Content-Type": "application/json"}, orjson.dumps(refusal)))
    server = await asyncio.to_thread(start_server, _config(posthog.url))
    await asyncio.to_thread(send, server.url, one_track)
    dead = await wait_for_destination(server, lambda d: d["dead"] == 1)
    assert "bad event" in str(dead["last_error"])
    assert posthog.events == [] and len(posthog.requests) == 1
