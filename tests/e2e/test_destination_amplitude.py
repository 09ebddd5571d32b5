"""`eventyard serve` delivers Segment calls to a local Amplitude: first time, after a 429,
and into dead letters when Amplitude rejects an event for good."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson

from e2e.conftest import wait_until
from e2e.destination_case import config, track, wait_for_destination
from e2e.server_process import ServerProcess
from fakes.amplitude import AmplitudeFake, Answer


def _config(fake: AmplitudeFake) -> str:
    return config("amplitude", "amplitude", {"api_key": fake.api_key, "api_host": fake.url})


def _track(url: str, user_id: str, event: str) -> dict[str, Any]:
    return track(url, user_id, event, {"plan": "pro"})


def _ingested(fake: AmplitudeFake) -> set[str]:
    return {event["insert_id"] for event in fake.events}


def _answer(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Answer:
    return Answer(
        status, {"Content-Type": "application/json", **(headers or {})}, orjson.dumps(body)
    )


async def test_amplitude_first_time_after_throttle_and_dead_letter(
    start_server: Callable[[str], ServerProcess],
) -> None:
    async with AmplitudeFake() as fake:
        server = await asyncio.to_thread(start_server, _config(fake))

        first = await asyncio.to_thread(_track, server.url, "user-0001", "Signed Up")
        await wait_until(lambda: first["messageId"] in _ingested(fake), 10, "the first event")
        assert len(fake.requests) == 1
        (event,) = fake.events
        assert (event["event_type"], event["user_id"]) == ("Signed Up", "user-0001")
        assert event["event_properties"] == {"plan": "pro"}

        throttled = {"code": 429, "throttled_users": {"user-0002": 31}, "throttled_events": [0]}
        fake.script([_answer(429, throttled, {"Retry-After": "0"})])
        retried = await asyncio.to_thread(_track, server.url, "user-0002", "Order Completed")
        await wait_until(lambda: retried["messageId"] in _ingested(fake), 10, "the retried event")
        assert len(fake.requests) == 3  # the first, the 429, the retry

        invalid = {"code": 400, "events_with_invalid_fields": {"event_properties": [0]}}
        fake.script([_answer(400, invalid)])
        rejected = await asyncio.to_thread(_track, server.url, "user-0003", "Signed Up")
        await wait_for_destination(server, lambda d: d["dead"] == 1, timeout=10)
        assert rejected["messageId"] not in _ingested(fake)
        assert len(fake.events) == 2
        assert server.stop() == 0
