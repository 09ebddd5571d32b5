"""`eventyard serve` sends Segment purchases to a local Pinterest Conversions API: first
delivery, one delivery for an order sent by both browser and backend, consent suppression,
limited data processing for a limited region, a retry after a 429, and a dead letter for an
event Pinterest did not process."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable

from destinations.ads.e2e_case import ads_config, arrived, purchase, sent
from e2e.destination_case import wait_for_destination
from e2e.server_process import ServerProcess
from fakes.common import json_answer
from fakes.pinterest_conversions_api import PinterestFake, pinterest_error

_FAILED = {
    "num_events_received": 1,
    "num_events_processed": 0,
    "events": [{"status": "failed", "error_message": "Invalid value", "warning_message": None}],
}


async def test_pinterest_conversions_end_to_end(
    start_server: Callable[[str], ServerProcess],
) -> None:
    async with PinterestFake() as fake:
        settings = {
            "ad_account_id": fake.ad_account_id,
            "conversion_token": fake.token,
            "api_base_url": fake.url,
        }
        config = ads_config("pinterest-conversions-api", settings)
        server = await asyncio.to_thread(start_server, config)

        await asyncio.to_thread(purchase, server.url, "A-1")
        first = await arrived(fake, "purchase:A-1")
        assert (first["event_name"], first["action_source"]) == ("checkout", "web")
        assert first["user_data"]["em"] == [hashlib.sha256(b"ada@example.com").hexdigest()]
        assert first["user_data"]["click_id"] == "epik-1"
        assert first["custom_data"]["value"] == "42.5"
        assert "opt_out_type" not in first["custom_data"]

        await asyncio.to_thread(purchase, server.url, "A-1", from_server=True)
        await asyncio.to_thread(purchase, server.url, "B-2", advertising=False)
        await asyncio.to_thread(purchase, server.url, "C-3", region="CA")
        assert (await arrived(fake, "purchase:C-3"))["custom_data"]["opt_out_type"] == "LDP"

        fake.fail_next(pinterest_error(429, 8, "Rate limit exceeded"))
        await asyncio.to_thread(purchase, server.url, "D-4", from_server=True)
        assert (await arrived(fake, "purchase:D-4"))["action_source"] == "offline"

        fake.fail_next(json_answer(422, _FAILED))
        await asyncio.to_thread(purchase, server.url, "E-5")
        await wait_for_destination(server, lambda d: d["dead"] == 1, timeout=15)

        ids = [event["event_id"] for event in sent(fake)]
        assert ids.count("purchase:A-1") == 1
        assert "purchase:B-2" not in ids and "purchase:E-5" not in ids
        assert server.stop() == 0
