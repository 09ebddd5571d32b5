"""Snapchat Conversions API v3: web, app and offline conversions for a pixel or Snap app.

Sources (conversions.md §5): developers.snap.com/api/marketing-api/Conversions-API
(Introduction, UsingTheAPI, BestPractices, Deduplication), Snapchat/business-sdk-v3-java
api/openapi.yaml. `POST https://tr.snapchat.com/v3/{pixel_id}/events?access_token=...` with
`{"data": [...]}`; `/events/validate` takes the same body and records nothing.

Unordered: Snap orders events by event_time.
"""

from __future__ import annotations

import time

import httpx
import msgspec
import orjson

from eventyard.conversions.canonical import LEAD_EVENTS, REVENUE_EVENTS
from eventyard.conversions.spec import ConversionSpec
from eventyard.delivery.http import raise_for_status
from eventyard.destinations.base import DestinationDefinition
from eventyard.destinations.snapchat_conversions_api.events import (
    EVENT_NAMES,
    INTEGRATION,
    MAX_AGE,
)
from eventyard.destinations.snapchat_conversions_api.send import post_events, send_conversion
from eventyard.destinations.snapchat_conversions_api.settings import SnapSettings
from eventyard.errors import TerminalError

__all__ = ["CONVERSION", "SnapSettings", "definition"]

# Snap's best practices ask for email, phone, IP + user agent and the ScCid click id and
# _scid cookie; its minimum is em, ph, a mobile ad id, or IP + user agent (conversions.md
# §5, Segment citing Snap). Email, phone and the click id weigh 3, the cookie and external_id
# 2, IP and user agent 1.5 each (together they meet the minimum), the rest 0.5.
_WEIGHTS = {
    "email": 3.0,
    "phone": 3.0,
    "sc_click_id": 3.0,
    "sc_cookie1": 2.0,
    "external_id": 2.0,
    "ip": 1.5,
    "user_agent": 1.5,
    "first_name": 0.5,
    "last_name": 0.5,
    "zip": 0.5,
    "city": 0.5,
    "state": 0.5,
    "country": 0.5,
    "gender": 0.5,
    "date_of_birth": 0.5,
}

CONVERSION = ConversionSpec(
    platform="snap",
    default_events=(REVENUE_EVENTS | LEAD_EVENTS) & frozenset(EVENT_NAMES),
    match_weights=_WEIGHTS,
    minimum=(frozenset({"email"}), frozenset({"phone"}), frozenset({"ip", "user_agent"})),
    limited_mode=True,
    max_age=MAX_AGE,
)


async def _test_connection(client: httpx.AsyncClient, settings: SnapSettings) -> None:
    """Validates one PAGE_VIEW at /events/validate: records nothing, checks token and pixel."""
    event = {
        "event_name": "PAGE_VIEW",
        "event_time": int(time.time()),
        "event_id": "eventyard-connection-test",
        "action_source": "WEB",
        "event_source_url": "https://eventyard.invalid/connection-test",
        "user_data": {"client_ip_address": "192.0.2.1", "client_user_agent": "eventyard test"},
        "integration": INTEGRATION,
    }
    check = msgspec.structs.replace(settings, validate_only=True)
    response = await post_events(client, check, [orjson.dumps(event)])
    if response.status_code in (401, 403):
        raise TerminalError(
            f"Snap refused the access token (HTTP {response.status_code}); generate a "
            "Conversions API token in Ads Manager and check pixel_id",
            response.status_code,
        )
    raise_for_status(response)


definition = DestinationDefinition(
    slug="snapchat-conversions-api",
    name="Snapchat Conversions API",
    settings=SnapSettings,
    actions={"send_conversion": send_conversion},
    ordered=False,
    consent_category="Advertising",
    test_connection=_test_connection,
    conversion=CONVERSION,
    description="Purchases and sign-ups sent to Snap, deduplicated with the pixel.",
    docs_url="https://developers.snap.com/api/marketing-api/Conversions-API",
)
