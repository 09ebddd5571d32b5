"""`eventyard serve` sends Segment purchases to a local Reddit Conversions API (v3): first
delivery, one delivery for an order sent by both browser and backend, consent suppression,
Limited Data Use for a limited region, a retry after a 503, and a dead letter for an event
Reddit refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from destinations.ads.e2e_case import Deliveries, Scenario, run_scenario
from destinations.ads.events import sha
from destinations.ads.platforms import reddit_settings
from e2e.server_process import ServerProcess
from fakes.reddit_conversions_api import RedditFake, reddit_error
from fakes.webhook_receiver import Answer


def _first(first: dict[str, Any]) -> None:
    assert first["type"] == {"tracking_type": "PURCHASE"}
    assert first["action_source"] == "WEBSITE"
    assert first["metadata"] | {"products": None} == {
        "conversion_id": "purchase:A-1",
        "currency": "USD",
        "value": 42.5,
        "item_count": 1,
        "products": None,
    }
    assert first["user"]["email"] == sha("ada@example.com")
    assert first["user"]["ip_address"] == sha("203.0.113.7")
    assert "data_processing_options" not in first["user"]


def _limited(limited: dict[str, Any]) -> None:
    assert limited["user"]["data_processing_options"] == {
        "modes": ["LDU"],
        "country": "US",
        "region": "US-CA",
    }


def _retried(retried: dict[str, Any]) -> None:
    assert retried["action_source"] == "OTHER"  # a backend event without a page


async def test_reddit_conversions_end_to_end(
    start_server: Callable[[str], ServerProcess],
) -> None:
    async with RedditFake() as fake:
        refused = reddit_error(400, "INVALID_EVENT", "events[0]: invalid")
        scenario = Scenario(
            fake=fake,
            kind="reddit-conversions-api",
            settings=reddit_settings(fake),
            orders=Deliveries(lambda: fake.events, lambda e: e["metadata"].get("conversion_id")),
            first=_first,
            limited=_limited,
            retry=Answer(503, {}, b"unavailable"),
            retried=_retried,
            refuse=refused,
        )
        await run_scenario(start_server, scenario)
