"""`eventyard serve` sends Segment purchases to a local Reddit Conversions API (v3): first
delivery, one delivery for an order sent by both browser and backend, consent suppression,
Limited Data Use for a limited region, a retry after a 503, and a dead letter for an event
Reddit refused."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from typing import Any

from destinations.ads.e2e_case import ads_config, purchase
from e2e.conftest import wait_until
from e2e.destination_case import wait_for_destination
from e2e.server_process import ServerProcess
from fakes.reddit_conversions_api import RedditFake, reddit_error
from fakes.webhook_receiver import Answer


def _ids(fake: RedditFake) -> list[str]:
    return [event["metadata"].get("conversion_id") for event in fake.events]


async def _arrived(fake: RedditFake, conversion_id: str) -> dict[str, Any]:
    await wait_until(lambda: conversion_id in _ids(fake), 15, conversion_id)
    return fake.events[_ids(fake).index(conversion_id)]


async def test_reddit_conversions_end_to_end(
    start_server: Callable[[str], ServerProcess],
) -> None:
    async with RedditFake() as fake:
        settings = {
            "pixel_id": fake.pixel_id,
            "conversion_token": fake.token,
            "api_base_url": fake.url,
        }
        config = ads_config("reddit-conversions-api", settings)
        server = await asyncio.to_thread(start_server, config)

        await asyncio.to_thread(purchase, server.url, "A-1")
        first = await _arrived(fake, "purchase:A-1")
        assert first["type"] == {"tracking_type": "PURCHASE"}
        assert first["action_source"] == "WEBSITE"
        assert first["metadata"] | {"products": None} == {
            "conversion_id": "purchase:A-1",
            "currency": "USD",
            "value": 42.5,
            "item_count": 1,
            "products": None,
        }
        assert first["user"]["email"] == hashlib.sha256(b"ada@example.com").hexdigest()
        assert first["user"]["ip_address"] == hashlib.sha256(b"203.0.113.7").hexdigest()
        assert "data_processing_options" not in first["user"]

        await asyncio.to_thread(purchase, server.url, "A-1", from_server=True)
        await asyncio.to_thread(purchase, server.url, "B-2", advertising=False)
        await asyncio.to_thread(purchase, server.url, "C-3", region="CA")
        limited = await _arrived(fake, "purchase:C-3")
        assert limited["user"]["data_processing_options"] == {
            "modes": ["LDU"],
            "country": "US",
            "region": "US-CA",
        }

        fake.fail_next(Answer(503, {}, b"unavailable"))
        await asyncio.to_thread(purchase, server.url, "D-4", from_server=True)
        retried = await _arrived(fake, "purchase:D-4")
        assert retried["action_source"] == "OTHER"  # a backend event without a page

        fake.fail_next(reddit_error(400, "INVALID_EVENT", "events[0]: invalid"))
        await asyncio.to_thread(purchase, server.url, "E-5")
        await wait_for_destination(server, lambda d: d["dead"] == 1, timeout=15)

        ids = _ids(fake)
        assert ids.count("purchase:A-1") == 1  # browser and backend copies: one delivery
        assert "purchase:B-2" not in ids  # Advertising consent denied
        assert "purchase:E-5" not in ids
        assert server.stop() == 0
