"""`eventyard serve` uploads Segment purchases to a local Google Ads API: a landing page's
gclid remembered for the user's purchase, one upload for an order sent by both browser and
backend, a refund as a RETRACTION, consent suppression, denied ad_user_data for a limited
region, a retry after a 503, and a dead letter for a row Google refused."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from typing import Any

from segment.analytics.client import Client

from destinations.ads.e2e_case import SERVER_WRITE_KEY, ads_config, purchase
from e2e.conftest import WRITE_KEY, wait_until
from e2e.destination_case import wait_for_destination
from e2e.server_process import ServerProcess
from fakes.google_ads import GoogleAdsFake
from fakes.webhook_receiver import Answer

GCLID = "Cj0KCQ-landing-click"


def _landing(url: str) -> None:
    """The user arrives from an ad: the page view carries the gclid."""
    page = {"url": f"https://shop.example/?gclid={GCLID}", "search": f"?gclid={GCLID}"}
    client = Client(WRITE_KEY, host=url, sync_mode=True, max_retries=1)
    ok, _ = client.page("u-1", name="Home", context={"page": page})
    assert ok


def _refund(url: str, order_id: str) -> None:
    properties = {"order_id": order_id, "total": 42.5, "currency": "USD"}
    client = Client(SERVER_WRITE_KEY, host=url, sync_mode=True, max_retries=1)
    ok, _ = client.track("u-1", "Order Refunded", properties)
    assert ok


def _orders(fake: GoogleAdsFake) -> list[str]:
    return [row.get("orderId") for row in fake.conversions]


async def _arrived(fake: GoogleAdsFake, order_id: str) -> dict[str, Any]:
    await wait_until(lambda: order_id in _orders(fake), 15, f"order {order_id}")
    return fake.conversions[_orders(fake).index(order_id)]


async def test_google_ads_end_to_end(start_server: Callable[[str], ServerProcess]) -> None:
    async with GoogleAdsFake() as fake:
        settings = {
            "customer_id": "123-456-7890",
            "developer_token": fake.developer_token,
            "access_token": "access-token-0",
            "conversion_actions": {"purchase": "111"},
            "api_base_url": fake.url,
        }
        server = await asyncio.to_thread(start_server, ads_config("google-ads", settings))

        await asyncio.to_thread(_landing, server.url)
        await asyncio.to_thread(purchase, server.url, "A-1")
        first = await _arrived(fake, "A-1")
        assert first["gclid"] == GCLID
        assert first["conversionAction"] == "customers/1234567890/conversionActions/111"
        assert (first["conversionValue"], first["currencyCode"]) == (42.5, "USD")
        email = hashlib.sha256(b"ada@example.com").hexdigest()
        assert {"hashedEmail": email} in first["userIdentifiers"]

        await asyncio.to_thread(purchase, server.url, "A-1", from_server=True)
        await asyncio.to_thread(_refund, server.url, "A-1")
        await wait_until(lambda: bool(fake.adjustments), 15, "the refund")
        (retraction,) = fake.adjustments
        assert (retraction["adjustmentType"], retraction["orderId"]) == ("RETRACTION", "A-1")

        await asyncio.to_thread(purchase, server.url, "B-2", advertising=False)
        await asyncio.to_thread(purchase, server.url, "C-3", region="CA")
        limited = await _arrived(fake, "C-3")
        assert limited["consent"] == {"adUserData": "DENIED"}
        assert "userIdentifiers" not in limited and limited["gclid"] == GCLID

        fake.fail_next(Answer(503, {}, b"unavailable"))
        await asyncio.to_thread(purchase, server.url, "D-4", from_server=True)
        await _arrived(fake, "D-4")

        fake.row_errors["E-5"] = {"conversionUploadError": "UNPARSEABLE_GCLID"}
        await asyncio.to_thread(purchase, server.url, "E-5")
        await wait_for_destination(server, lambda d: d["dead"] == 1, timeout=15)

        orders = _orders(fake)
        assert orders.count("A-1") == 1  # browser and backend copies: one upload
        assert "B-2" not in orders  # Advertising consent denied
        assert "E-5" not in orders
        assert server.stop() == 0
