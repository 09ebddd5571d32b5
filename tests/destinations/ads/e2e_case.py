"""End-to-end mechanics for ad destinations: a real Segment client sends purchases from a
browser source and from a server source to a real `eventyard serve`, which delivers them to a
local fake of the platform (tests/e2e/test_destination_<slug>.py use these).

The config routes both sources to the one destination and puts `US-CA` in limited mode, so a
test can show, with one server: first delivery, deduplication of the same order arriving from
the browser and the server, consent suppression, limited data use, a retry, a dead letter.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from segment.analytics.client import Client

from destinations.ads.events import UA
from e2e.conftest import WRITE_KEY
from fakes.common import EventsApi

__all__ = ["SERVER_WRITE_KEY", "ads_config", "arrived", "purchase", "sent"]

SERVER_WRITE_KEY = "wk_server_456"


def ads_config(kind: str, settings: dict[str, Any]) -> str:
    """eventyard.yaml: sources `web` and `server` into destination `ads` of type `kind`."""
    return f"""
conversions:
  limited_regions: ["US-CA"]
sources:
  - name: web
    write_key: {WRITE_KEY}
  - name: server
    write_key: {SERVER_WRITE_KEY}
destinations:
  - name: ads
    type: {kind}
    sources: [web, server]
    settings: {orjson.dumps({"batch_wait_ms": 20, **settings}).decode()}
    delivery:
      backoff_initial: 50ms
      backoff_max: 500ms
"""


def purchase(
    url: str,
    order_id: str,
    *,
    region: str = "NY",
    advertising: bool = True,
    from_server: bool = False,
) -> dict[str, Any]:
    """An Order Completed through the Segment client: from the shop's browser (page, user
    agent, ad cookie), or from its backend (`from_server`: the same order, no page)."""
    context: dict[str, Any] = {
        "ip": "203.0.113.7",
        "traits": {"email": "Ada@Example.com", "phone": "+1 650 555 1212"},
        "consent": {"categoryPreferences": {"Advertising": advertising}},
        "location": {"country": "US", "region": region},
    }
    if not from_server:
        context |= {
            "userAgent": UA,
            "page": {"url": "https://shop.example/thanks", "search": "?epik=epik-1"},
            "_fbp": "fb.1.1767000000000.1098115397",
        }
    properties = {
        "order_id": order_id,
        "revenue": 42.5,
        "currency": "USD",
        "products": [{"product_id": "SKU-1", "name": "Shoe", "quantity": 1, "price": 42.5}],
    }
    key = SERVER_WRITE_KEY if from_server else WRITE_KEY
    client = Client(key, host=url, sync_mode=True, max_retries=1)
    ok, message = client.track("u-1", "Order Completed", properties, context=context)
    assert ok
    return dict(message)


def sent(fake: EventsApi) -> list[dict[str, Any]]:
    """Every event of every request the fake accepted (duplicates included)."""
    return [event for body in fake.bodies for event in body.get("data", [])]


async def arrived(fake: EventsApi, event_id: str, timeout: float = 15) -> dict[str, Any]:
    """Wait until the fake accepted an event with this event_id; that event."""
    async with asyncio.timeout(timeout):
        while True:
            found = [event for event in sent(fake) if event.get("event_id") == event_id]
            if found:
                return found[0]
            await asyncio.sleep(0.05)
