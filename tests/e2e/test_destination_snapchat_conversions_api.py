"""`eventyard serve` sends Segment purchases to a local Snapchat Conversions API: first
delivery, one delivery for an order sent by both browser and backend, consent suppression,
Limited Data Use for a limited region, a retry after a 500, a dead letter for an INVALID event."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable

from destinations.ads.e2e_case import ads_config, arrived, purchase, sent
from e2e.destination_case import wait_for_destination
from e2e.server_process import ServerProcess
from fakes.snapchat_conversions_api import SnapFake, invalid_answer
from fakes.webhook_receiver import Answer


async def test_snap_conversions_end_to_end(start_server: Callable[[str], ServerProcess]) -> None:
    async with SnapFake() as fake:
        settings = {"pixel_id": fake.pixel_id, "access_token": fake.token, "api_base_url": fake.url}
        config = ads_config("snapchat-conversions-api", settings)
        server = await asyncio.to_thread(start_server, config)

        await asyncio.to_thread(purchase, server.url, "A-1")
        first = await arrived(fake, "purchase:A-1")
        assert (first["event_name"], first["action_source"]) == ("PURCHASE", "WEB")
        assert first["user_data"]["em"] == [hashlib.sha256(b"ada@example.com").hexdigest()]
        assert first["user_data"]["ph"] == [hashlib.sha256(b"16505551212").hexdigest()]

        await asyncio.to_thread(purchase, server.url, "A-1", from_server=True)
        await asyncio.to_thread(purchase, server.url, "B-2", advertising=False)
        await asyncio.to_thread(purchase, server.url, "C-3", region="CA")
        limited = await arrived(fake, "purchase:C-3")
        assert limited["data_processing_options"] == ["LDU"]

        fake.fail_next(Answer(500, {}, b"oops"))
        await asyncio.to_thread(purchase, server.url, "D-4", from_server=True)
        assert (await arrived(fake, "purchase:D-4"))["action_source"] == "OFFLINE"

        fake.fail_next(invalid_answer("Invalid event_time", index=0))
        await asyncio.to_thread(purchase, server.url, "E-5")
        await wait_for_destination(server, lambda d: d["dead"] == 1, timeout=15)

        ids = [event["event_id"] for event in sent(fake)]
        assert ids.count("purchase:A-1") == 1
        assert "purchase:B-2" not in ids and "purchase:E-5" not in ids
        assert server.stop() == 0
