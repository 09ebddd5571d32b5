"""TikTok Events API 2.0: conversions reported for a pixel, an app or an offline event set.

Sources (conversions.md §4): business-api.tiktok.com/portal/docs (Events API 2.0),
ads.tiktok.com/help/article/event-deduplication and supported-standard-events.
`POST https://business-api.tiktok.com/open_api/v1.3/event/track/` with the `Access-Token`
header and `{"event_source", "event_source_id", "test_event_code", "data": [...]}`.

Unordered: TikTok orders events by event_time.
"""

from __future__ import annotations

import time

import httpx

from eventyard.conversions.canonical import LEAD_EVENTS, REVENUE_EVENTS
from eventyard.conversions.spec import ConversionSpec
from eventyard.destinations.base import DestinationDefinition
from eventyard.destinations.tiktok_events_api.events import EVENT_NAMES, MAX_AGE
from eventyard.destinations.tiktok_events_api.send import send_conversion, tiktok_error
from eventyard.destinations.tiktok_events_api.settings import TikTokSettings
from eventyard.errors import TerminalError

__all__ = ["CONVERSION", "TikTokSettings", "definition"]

# TikTok's event-matching guidance recommends email, phone, external_id, ttclid, ttp and
# IP + user agent (conversions.md §4 "Match quality"); its scoring is not published. The
# deterministic keys and the click id weigh 3, the cookie and external_id 2, IP and user
# agent 1 each, the hashed name and address keys (OSS-only fields) 0.5.
_WEIGHTS = {
    "email": 3.0,
    "phone": 3.0,
    "ttclid": 3.0,
    "external_id": 2.0,
    "ttp": 2.0,
    "ip": 1.0,
    "user_agent": 1.0,
    "first_name": 0.5,
    "last_name": 0.5,
    "zip": 0.5,
    "city": 0.5,
    "state": 0.5,
    "country": 0.5,
}

CONVERSION = ConversionSpec(
    platform="tiktok",
    default_events=(REVENUE_EVENTS | LEAD_EVENTS) & frozenset(EVENT_NAMES),
    match_weights=_WEIGHTS,
    minimum=(
        frozenset({"email"}),
        frozenset({"phone"}),
        frozenset({"external_id"}),
        frozenset({"ttclid"}),
        frozenset({"ttp"}),
        frozenset({"ip", "user_agent"}),
    ),
    limited_mode=True,
    max_age=MAX_AGE,
)


async def _test_connection(client: httpx.AsyncClient, settings: TikTokSettings) -> None:
    """Sends one PageView as a test event: TikTok has no check that records nothing, so the
    test needs test_event_code (it then shows up in Test Events only)."""
    if settings.test_event_code is None:
        raise TerminalError(
            "set test_event_code (Events Manager → Test Events) to test the connection: "
            "TikTok has no way to check the token without recording an event"
        )
    event = {
        "event": "PageView",
        "event_time": int(time.time()),
        "event_id": "eventyard-connection-test",
        "user": {"ip": "192.0.2.1", "user_agent": "eventyard connection test"},
    }
    response = await client.post(
        settings.track_url,
        json={
            "event_source": settings.event_source,
            "event_source_id": settings.event_source_id,
            "test_event_code": settings.test_event_code,
            "data": [event],
        },
        headers={"Access-Token": settings.access_token},
    )
    error = tiktok_error(response)
    if error is not None:
        raise error


definition = DestinationDefinition(
    slug="tiktok-events-api",
    name="TikTok Events API",
    settings=TikTokSettings,
    actions={"send_conversion": send_conversion},
    ordered=False,
    consent_category="Advertising",
    test_connection=_test_connection,
    conversion=CONVERSION,
    description="Purchases, leads and sign-ups reported to TikTok, deduplicated with the pixel.",
    docs_url="https://business-api.tiktok.com/portal/docs?id=1771101303285761",
)
