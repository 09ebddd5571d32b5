"""`eventyard serve` sends Segment purchases to a local TikTok Events API: first delivery,
one delivery for an order sent by both browser and backend, consent suppression, limited data
use for a limited region, a retry after throttling (40100), a dead letter for a bad token."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable

from destinations.ads.e2e_case import ads_config, arrived, purchase, sent
from e2e.destination_case import wait_for_destination
from e2e.server_process import ServerProcess
from fakes.tiktok_events_api import TikTokFake, tiktok_answer


async def test_tiktok_events_end_to_end(start_server: Callable[[str], ServerProcess]) -> None:
    async with TikTokFake() as fake:
        settings = {
            "access_token": fake.token,
            "event_source_id": fake.pixel_code,
            "api_base_url": fake.url,
        }
        server = await asyncio.to_thread(start_server, ads_config("tiktok-events-api", settings))

        await asyncio.to_thread(purchase, server.url, "A-1")
        first = await arrived(fake, "purchase:A-1")
        assert first["event"] == "Purchase" and first["limited_data_use"] is False
        assert first["user"]["email"] == hashlib.sha256(b"ada@example.com").hexdigest()
        assert first["user"]["phone"] == hashlib.sha256(b"+16505551212").hexdigest()
        assert first["page"]["url"] == "https://shop.example/thanks"

        await asyncio.to_thread(purchase, server.url, "A-1", from_server=True)
        await asyncio.to_thread(purchase, server.url, "B-2", advertising=False)
        await asyncio.to_thread(purchase, server.url, "C-3", region="CA")
        assert (await arrived(fake, "purchase:C-3"))["limited_data_use"] is True

        fake.fail_next(tiktok_answer(40100, "Too many requests"))
        await asyncio.to_thread(purchase, server.url, "D-4", from_server=True)
        await arrived(fake, "purchase:D-4")

        fake.fail_next(tiktok_answer(40001, "Access token is incorrect or has been revoked."))
        await asyncio.to_thread(purchase, server.url, "E-5")
        await wait_for_destination(server, lambda d: d["dead"] == 1, timeout=15)

        ids = [event["event_id"] for event in sent(fake)]
        assert ids.count("purchase:A-1") == 1
        assert "purchase:B-2" not in ids and "purchase:E-5" not in ids
        assert server.stop() == 0
