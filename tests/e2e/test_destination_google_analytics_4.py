"""`eventyard serve` sends Segment purchases to a local GA4 Measurement Protocol: first
delivery, one delivery for an order sent by both browser and backend, Analytics consent
suppression, denied Google consent signals for a limited region, a retry after a 503, and a
dead letter for a request GA4 refused."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from typing import Any

from segment.analytics.client import Client

from destinations.ads.e2e_case import ads_config, purchase
from e2e.conftest import WRITE_KEY, wait_until
from e2e.destination_case import wait_for_destination
from e2e.server_process import ServerProcess
from fakes.common import json_answer
from fakes.google_analytics_4 import Ga4Fake
from fakes.webhook_receiver import Answer


def _orders(fake: Ga4Fake) -> list[str]:
    return [event["params"].get("transaction_id") for event in fake.events]


async def _arrived(fake: Ga4Fake, order_id: str) -> dict[str, Any]:
    await wait_until(lambda: order_id in _orders(fake), 15, f"order {order_id}")
    return fake.events[_orders(fake).index(order_id)]


def _analytics_denied(url: str, order_id: str) -> None:
    """A purchase from a user who turned Analytics off in the site's consent banner."""
    context = {"consent": {"categoryPreferences": {"Analytics": False, "Advertising": True}}}
    properties = {"order_id": order_id, "revenue": 10.0, "currency": "USD"}
    client = Client(WRITE_KEY, host=url, sync_mode=True, max_retries=1)
    ok, _ = client.track("u-1", "Order Completed", properties, context=context)
    assert ok


async def test_ga4_end_to_end(start_server: Callable[[str], ServerProcess]) -> None:
    async with Ga4Fake() as fake:
        settings = {
            "measurement_id": fake.measurement_id,
            "api_secret": fake.api_secret,
            "api_base_url": fake.url,
        }
        config = ads_config("google-analytics-4", settings)
        server = await asyncio.to_thread(start_server, config)

        await asyncio.to_thread(purchase, server.url, "A-1")
        first = await _arrived(fake, "A-1")
        assert first["name"] == "purchase" and (first["client_id"], first["user_id"]) == (
            "u-1",
            "u-1",
        )
        assert first["params"] | {"items": None} == {
            "transaction_id": "A-1",
            "value": 42.5,
            "currency": "USD",
            "items": None,
        }
        assert first["params"]["items"] == [
            {"item_id": "SKU-1", "item_name": "Shoe", "price": 42.5, "quantity": 1}
        ]
        email = hashlib.sha256(b"ada@example.com").hexdigest()
        assert first["user_data"]["sha256_email_address"] == [email]
        assert "consent" not in first

        await asyncio.to_thread(purchase, server.url, "A-1", from_server=True)
        await asyncio.to_thread(_analytics_denied, server.url, "B-2")
        await asyncio.to_thread(purchase, server.url, "C-3", region="CA")
        limited = await _arrived(fake, "C-3")
        assert limited["consent"] == {"ad_user_data": "DENIED", "ad_personalization": "DENIED"}
        assert "user_data" not in limited

        fake.fail_next(Answer(503, {}, b"unavailable"))
        await asyncio.to_thread(purchase, server.url, "D-4", from_server=True)
        await _arrived(fake, "D-4")

        fake.fail_next(json_answer(400, {"error": "bad request"}))
        await asyncio.to_thread(purchase, server.url, "E-5")
        await wait_for_destination(server, lambda d: d["dead"] == 1, timeout=15)

        orders = _orders(fake)
        assert orders.count("A-1") == 1  # browser and backend copies: one delivery
        assert "B-2" not in orders  # Analytics consent denied
        assert "E-5" not in orders
        assert fake.dropped == []
        assert server.stop() == 0
