"""Issue 13.8 through a real `eventyard serve` and the real analytics-python client, with
every ad destination pointed at its local fake: Reddit's email rule, a national phone read
in `context.locale`'s region, one rule for anonymous conversions (the hashed anonymousId as
external_id where the platform matches on it, else a dead letter that says why), no
user-provided data to GA4 when Advertising is refused, and GA4's shipping, tax, sign-up method
and engagement time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import orjson
from segment.analytics.client import Client

from destinations.ads import platforms
from destinations.ads.events import sha
from e2e.conftest import WRITE_KEY, wait_until
from e2e.server_process import ServerProcess
from fakes.common import EventsApi
from fakes.google_ads import GoogleAdsFake
from fakes.google_analytics_4 import Ga4Fake
from fakes.meta_conversions_api import MetaFake
from fakes.pinterest_conversions_api import PinterestFake
from fakes.reddit_conversions_api import RedditFake
from fakes.snapchat_conversions_api import SnapFake
from fakes.tiktok_events_api import TikTokFake

_ANONYMOUS = "anon-7f3c"
_NOT_MATCHABLE = ("pinterest", "snap", "google-ads")
"""Platforms that match on no external id alone: an anonymous conversion is a dead letter."""


def _config(fakes: dict[str, EventsApi]) -> str:
    settings: dict[str, tuple[str, Callable[[Any], dict[str, Any]]]] = {
        "meta": ("meta-conversions-api", platforms.meta_settings),
        "tiktok": ("tiktok-events-api", platforms.tiktok_settings),
        "reddit": ("reddit-conversions-api", platforms.reddit_settings),
        "pinterest": ("pinterest-conversions-api", platforms.pinterest_settings),
        "snap": ("snapchat-conversions-api", platforms.snap_settings),
        "ga4": ("google-analytics-4", platforms.ga4_settings),
        "google-ads": ("google-ads", platforms.google_ads_settings),
    }
    lines = [f"sources:\n  - name: backend\n    write_key: {WRITE_KEY}\ndestinations:"]
    for name, (kind, make) in settings.items():
        values = {"batch_wait_ms": 20, **make(fakes[name])}
        lines.append(
            f"  - name: {name}\n    type: {kind}\n    sources: [backend]\n"
            f"    settings: {orjson.dumps(values).decode()}\n"
            "    delivery: {backoff_initial: 50ms, backoff_max: 500ms}"
        )
    return "\n".join(lines) + "\n"


def _send(url: str) -> None:
    """From a backend (analytics-python): an anonymous purchase, a purchase with a national
    phone and a browser locale, and a sign-up from a user who refused Advertising."""
    client = Client(WRITE_KEY, host=url, sync_mode=True, max_retries=1)
    order = {"revenue": 40.0, "currency": "USD", "shipping": 4.5, "tax": 3.2}
    sent = [
        client.track(
            anonymous_id=_ANONYMOUS,
            event="Order Completed",
            properties={**order, "order_id": "ANON-1"},
        ),
        client.track(
            "u-9",
            "Order Completed",
            {**order, "order_id": "KNOWN-2"},
            context={
                "locale": "en-US",
                "traits": {"email": "Jane_Doe-X.Y+tag@Example.com", "phone": "(415) 555-0199"},
            },
        ),
        client.track(
            "u-10",
            "Signed Up",
            {"method": "google", "engagement_time_msec": 2500},
            context={
                "traits": {"email": "sam@example.com"},
                "consent": {"categoryPreferences": {"Advertising": False, "Analytics": True}},
            },
        ),
    ]
    assert all(ok for ok, _ in sent)


def _dead_letters(server: ServerProcess, destination: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{server.url}/api/v1/deadletters",
        params={"destination": destination},
        headers=server.headers,
        timeout=5,
    )
    response.raise_for_status()
    letters: list[dict[str, Any]] = response.json()
    return letters


def _by(events: list[dict[str, Any]], where: str, value: Any) -> Any:
    """The one event whose value at the dotted path `where` is `value`."""

    def at(event: Any) -> Any:
        for key in where.split("."):
            event = event.get(key) if isinstance(event, dict) else None
        return event

    (found,) = [event for event in events if at(event) == value]
    return found


async def test_conversions_behave_as_segments_action_destinations(
    start_server: Callable[[str], ServerProcess],
) -> None:
    async with AsyncExitStack() as stack:
        ga4_fake = await stack.enter_async_context(Ga4Fake())
        fakes: dict[str, EventsApi] = {"ga4": ga4_fake} | {
            name: await stack.enter_async_context(fake)
            for name, fake in {
                "meta": MetaFake(),
                "tiktok": TikTokFake(),
                "reddit": RedditFake(),
                "pinterest": PinterestFake(),
                "snap": SnapFake(),
                "google-ads": GoogleAdsFake(),
            }.items()
        }
        server = await asyncio.to_thread(start_server, _config(fakes))
        await asyncio.to_thread(_send, server.url)

        def settled() -> bool:
            listed: Any = server.status()["destinations"]
            dead = {d["name"]: d["dead"] for d in listed}
            return all(dead[name] == 1 for name in _NOT_MATCHABLE) and all(
                len(fakes[name].events) >= count
                for name, count in (("meta", 2), ("tiktok", 2), ("reddit", 2), ("ga4", 3))
            )

        await wait_until(settled, 30, "deliveries and dead letters")

        # the anonymous purchase: the hashed anonymousId, never an address
        meta = _by(fakes["meta"].events, "custom_data.order_id", "ANON-1")
        assert meta["user_data"]["external_id"] == [sha(_ANONYMOUS)]
        assert "client_ip_address" not in meta["user_data"]
        tiktok = _by(fakes["tiktok"].events, "properties.order_id", "ANON-1")
        assert tiktok["user"]["external_id"] == sha(_ANONYMOUS) and "ip" not in tiktok["user"]
        reddit = fakes["reddit"].events
        anonymous = _by(reddit, "metadata.conversion_id", "purchase:ANON-1")
        assert anonymous["user"] == {"external_id": sha(_ANONYMOUS)}
        ga4 = fakes["ga4"].events
        assert _by(ga4, "params.transaction_id", "ANON-1")["client_id"] == (_ANONYMOUS)
        for name in _NOT_MATCHABLE:
            (letter,) = _dead_letters(server, name)
            assert "does not match on a userId or anonymousId alone" in letter["error"]
            assert "ANON-1" not in str(fakes[name].events)

        # Reddit's email rule and a national phone read in the locale's region
        known = _by(reddit, "metadata.conversion_id", "purchase:KNOWN-2")
        assert known["user"]["email"] == sha("janedoexy@example.com")
        assert known["user"]["phone_number"] == sha("+14155550199")
        purchase = _by(ga4, "params.transaction_id", "KNOWN-2")
        assert purchase["user_data"]["sha256_phone_number"] == [sha("+14155550199")]
        assert purchase["params"] | {"items": None} == {
            "transaction_id": "KNOWN-2",
            "value": 40.0,
            "currency": "USD",
            "shipping": 4.5,
            "tax": 3.2,
            "engagement_time_msec": 1,
            "items": None,
        }

        # Advertising refused: GA4 still measures the sign-up, without the user's data
        signed_up = _by(ga4, "name", "sign_up")
        assert signed_up["params"] == {"method": "google", "engagement_time_msec": 2500}
        assert signed_up["consent"] == {"ad_user_data": "DENIED", "ad_personalization": "DENIED"}
        assert "user_data" not in signed_up
        assert ga4_fake.dropped == []
        assert server.stop() == 0
