"""`eventyard serve` sends Segment purchases to a local GA4 Measurement Protocol: first
delivery, one delivery for an order sent by both browser and backend, Analytics consent
suppression, denied Google consent signals for a limited region, a retry after a 503, and a
dead letter for a request GA4 refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from segment.analytics.client import Client

from destinations.ads.e2e_case import Deliveries, Scenario, run_scenario
from destinations.ads.events import sha
from destinations.ads.platforms import ga4_settings
from e2e.conftest import WRITE_KEY
from e2e.server_process import ServerProcess
from fakes.common import json_answer
from fakes.google_analytics_4 import Ga4Fake
from fakes.webhook_receiver import Answer


def _analytics_denied(url: str, order_id: str) -> None:
    """A purchase from a user who turned Analytics off in the site's consent banner."""
    context = {"consent": {"categoryPreferences": {"Analytics": False, "Advertising": True}}}
    properties = {"order_id": order_id, "revenue": 10.0, "currency": "USD"}
    client = Client(WRITE_KEY, host=url, sync_mode=True, max_retries=1)
    ok, _ = client.track("u-1", "Order Completed", properties, context=context)
    assert ok


def _first(first: dict[str, Any]) -> None:
    assert first["name"] == "purchase" and (first["client_id"], first["user_id"]) == (
        "u-1",
        "u-1",
    )
    assert first["params"] | {"items": None} == {
        "transaction_id": "A-1",
        "value": 42.5,
        "currency": "USD",
        "engagement_time_msec": 1,  # Segment's default, so that GA4 counts the user
        "items": None,
    }
    assert first["params"]["items"] == [
        {"item_id": "SKU-1", "item_name": "Shoe", "price": 42.5, "quantity": 1}
    ]
    assert first["user_data"]["sha256_email_address"] == [sha("ada@example.com")]
    assert "consent" not in first


def _limited(limited: dict[str, Any]) -> None:
    assert limited["consent"] == {"ad_user_data": "DENIED", "ad_personalization": "DENIED"}
    assert "user_data" not in limited


async def test_ga4_end_to_end(start_server: Callable[[str], ServerProcess]) -> None:
    async with Ga4Fake() as fake:
        scenario = Scenario(
            fake=fake,
            kind="google-analytics-4",
            settings=ga4_settings(fake),
            orders=Deliveries(lambda: fake.events, lambda e: e["params"].get("transaction_id")),
            prefix="",
            first=_first,
            deny=_analytics_denied,
            limited=_limited,
            retry=Answer(503, {}, b"unavailable"),
            refuse=json_answer(400, {"error": "bad request"}),
        )
        await run_scenario(start_server, scenario)
        assert fake.dropped == []
