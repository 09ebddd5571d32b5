"""`eventyard serve` uploads Segment purchases to a local Google Ads API: a landing page's
gclid remembered for the user's purchase, one upload for an order sent by both browser and
backend, a refund as a RETRACTION, consent suppression, denied ad_user_data for a limited
region, a retry after a 503, and a dead letter for a row Google refused."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from segment.analytics.client import Client

from destinations.ads.e2e_case import SERVER_WRITE_KEY, Deliveries, Scenario, run_scenario
from destinations.ads.events import sha
from destinations.ads.platforms import google_ads_settings
from e2e.conftest import WRITE_KEY, wait_until
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


def _first(first: dict[str, Any]) -> None:
    assert first["gclid"] == GCLID
    assert first["conversionAction"] == "customers/1234567890/conversionActions/111"
    assert (first["conversionValue"], first["currencyCode"]) == (42.5, "USD")
    assert {"hashedEmail": sha("ada@example.com")} in first["userIdentifiers"]


def _limited(limited: dict[str, Any]) -> None:
    assert limited["consent"] == {"adUserData": "DENIED"}
    assert "userIdentifiers" not in limited and limited["gclid"] == GCLID


async def test_google_ads_end_to_end(start_server: Callable[[str], ServerProcess]) -> None:
    async with GoogleAdsFake() as fake:

        async def refunded(server: ServerProcess) -> None:
            await asyncio.to_thread(_refund, server.url, "A-1")
            await wait_until(lambda: bool(fake.adjustments), 15, "the refund")
            (retraction,) = fake.adjustments
            assert (retraction["adjustmentType"], retraction["orderId"]) == ("RETRACTION", "A-1")

        def refuse() -> None:
            fake.row_errors["E-5"] = {"conversionUploadError": "UNPARSEABLE_GCLID"}

        scenario = Scenario(
            fake=fake,
            kind="google-ads",
            settings=google_ads_settings(fake) | {"conversion_actions": {"purchase": "111"}},
            orders=Deliveries(lambda: fake.conversions, lambda row: row.get("orderId")),
            prefix="",
            landing=_landing,
            first=_first,
            repeated=refunded,
            limited=_limited,
            retry=Answer(503, {}, b"unavailable"),
            refuse=refuse,
        )
        await run_scenario(start_server, scenario)
