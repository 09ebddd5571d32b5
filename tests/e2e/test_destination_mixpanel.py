"""`eventyard serve` delivers Segment calls to a local Mixpanel: first time, after a retryable
error, and into dead letters when Mixpanel rejects an event for good."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from e2e.conftest import wait_until
from e2e.destination_case import config, track, wait_for_destination
from e2e.server_process import ServerProcess
from fakes.mixpanel import Answer, MixpanelFake


def _config(fake: MixpanelFake) -> str:
    settings = {"project_token": fake.token, "api_secret": fake.api_secret, "endpoint": fake.url}
    return config("mixpanel", "mixpanel", settings)


def _track(url: str, user_id: str, event: str) -> dict[str, Any]:
    return track(url, user_id, event, {"plan": "pro"})


def _ingested(fake: MixpanelFake) -> set[str]:
    return {event["properties"]["$insert_id"] for event in fake.events}


async def test_mixpanel_first_time_after_retry_and_dead_letter(
    start_server: Callable[[str], ServerProcess],
) -> None:
    async with MixpanelFake() as fake:
        server = await asyncio.to_thread(start_server, _config(fake))

        first = await asyncio.to_thread(_track, server.url, "user-1", "Signed Up")
        await wait_until(lambda: first["messageId"] in _ingested(fake), 10, "the first event")
        assert len(fake.requests) == 1
        (event,) = fake.events
        assert event["event"] == "Signed Up"
        assert event["properties"]["distinct_id"] == "user-1"
        assert event["properties"]["plan"] == "pro"

        fake.script([Answer(503, body=b"try later")])
        retried = await asyncio.to_thread(_track, server.url, "user-2", "Order Completed")
        await wait_until(lambda: retried["messageId"] in _ingested(fake), 10, "the retried event")
        assert len(fake.requests) == 3  # the first, the 503, the retry

        # Mixpanel refuses placeholder distinct_ids such as "anonymous" for good
        rejected = await asyncio.to_thread(_track, server.url, "anonymous", "Signed Up")
        await wait_for_destination(server, lambda d: d["dead"] == 1, timeout=10)
        assert rejected["messageId"] not in _ingested(fake)
        assert len(fake.events) == 2
        assert server.stop() == 0
