"""`eventyard serve` sends Segment purchases to a local Meta Conversions API: first delivery,
one delivery for an order sent by both browser and backend, consent suppression, Limited Data
Use for a limited region, a retry after a 503, and a dead letter for a refused event."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable

from destinations.ads.e2e_case import ads_config, arrived, purchase, sent
from e2e.destination_case import wait_for_destination
from e2e.server_process import ServerProcess
from fakes.meta_conversions_api import MetaFake, graph_error
from fakes.webhook_receiver import Answer


async def test_meta_conversions_end_to_end(start_server: Callable[[str], ServerProcess]) -> None:
    async with MetaFake() as fake:
        settings = {"pixel_id": fake.pixel_id, "access_token": fake.token, "api_base_url": fake.url}
        server = await asyncio.to_thread(start_server, ads_config("meta-conversions-api", settings))

        await asyncio.to_thread(purchase, server.url, "A-1")
        first = await arrived(fake, "purchase:A-1")
        assert (first["event_name"], first["action_source"]) == ("Purchase", "website")
        email = hashlib.sha256(b"ada@example.com").hexdigest()
        assert first["user_data"]["em"] == [email]
        assert first["user_data"]["fbp"] == "fb.1.1767000000000.1098115397"
        assert first["custom_data"] == first["custom_data"] | {"value": 42.5, "currency": "USD"}
        assert "data_processing_options" not in first

        await asyncio.to_thread(purchase, server.url, "A-1", from_server=True)
        await asyncio.to_thread(purchase, server.url, "B-2", advertising=False)
        await asyncio.to_thread(purchase, server.url, "C-3", region="CA")
        limited = await arrived(fake, "purchase:C-3")
        assert limited["data_processing_options"] == ["LDU"]
        assert (
            limited["data_processing_options_country"],
            limited["data_processing_options_state"],
        ) == (1, 1000)

        fake.fail_next(Answer(503, {}, b"unavailable"))
        await asyncio.to_thread(purchase, server.url, "D-4", from_server=True)
        retried = await arrived(fake, "purchase:D-4")
        assert retried["action_source"] == "other"  # a backend event without a page

        fake.fail_next(graph_error(100, "Invalid parameter", 2804001))
        await asyncio.to_thread(purchase, server.url, "E-5")
        await wait_for_destination(server, lambda d: d["dead"] == 1, timeout=15)

        ids = [event["event_id"] for event in sent(fake)]
        assert ids.count("purchase:A-1") == 1  # browser and backend copies: one delivery
        assert "purchase:B-2" not in ids  # Advertising consent denied
        assert "purchase:E-5" not in ids
        assert server.stop() == 0
