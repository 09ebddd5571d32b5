"""Pinterest Conversions API (v5): web, app and offline conversions for an ad account.

Sources (conversions.md §6): pinterest/api-description v5/openapi.yaml
(`/ad_accounts/{ad_account_id}/events`, ConversionEvents, ConversionApiResponse),
developers.pinterest.com/docs/conversions. `POST https://api.pinterest.com/v5/ad_accounts/
{ad_account_id}/events` with `Authorization: Bearer <conversion token>` and `{"data": [...]}`;
`?test=true` validates without recording. Rate limit: 5,000 calls a minute per ad account.

Unordered: Pinterest orders events by event_time.
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
from eventyard.destinations.pinterest_conversions_api.events import EVENT_NAMES, MAX_AGE
from eventyard.destinations.pinterest_conversions_api.send import post_events, send_conversion
from eventyard.destinations.pinterest_conversions_api.settings import PinterestSettings
from eventyard.errors import TerminalError

__all__ = ["CONVERSION", "PinterestSettings", "definition"]

# Pinterest's spec recommends em, ph, fn, ln, hashed_maids and click_id "on checkout events
# at least" and IP, user agent and external_id on all events (conversions.md §6): email,
# phone and the epik click id weigh 3, external_id 2, names 1, IP and user agent 1.5 each
# (together they meet the minimum), the address and demographic keys 0.5.
_WEIGHTS = {
    "email": 3.0,
    "phone": 3.0,
    "epik": 3.0,
    "external_id": 2.0,
    "ip": 1.5,
    "user_agent": 1.5,
    "first_name": 1.0,
    "last_name": 1.0,
    "zip": 0.5,
    "city": 0.5,
    "state": 0.5,
    "country": 0.5,
    "gender": 0.5,
    "date_of_birth": 0.5,
}

CONVERSION = ConversionSpec(
    platform="pinterest",
    default_events=(REVENUE_EVENTS | LEAD_EVENTS) & frozenset(EVENT_NAMES),
    match_weights=_WEIGHTS,
    minimum=(frozenset({"email"}), frozenset({"ip", "user_agent"})),
    limited_mode=True,
    max_age=MAX_AGE,
)


async def _test_connection(client: httpx.AsyncClient, settings: PinterestSettings) -> None:
    """Sends one page_visit with ?test=true: checked like a real event, recorded nowhere."""
    event = {
        "event_name": "page_visit",
        "action_source": "web",
        "event_time": int(time.time()),
        "event_id": "eventyard-connection-test",
        "user_data": {"client_ip_address": "192.0.2.1", "client_user_agent": "eventyard test"},
    }
    check = msgspec.structs.replace(settings, test_mode=True)
    response = await post_events(client, check, [orjson.dumps(event)])
    if response.status_code in (401, 403):
        raise TerminalError(
            f"Pinterest refused the request (HTTP {response.status_code}): check "
            "conversion_token and that its user has a role on ad_account_id",
            response.status_code,
        )
    raise_for_status(response)


definition = DestinationDefinition(
    slug="pinterest-conversions-api",
    name="Pinterest Conversions API",
    settings=PinterestSettings,
    actions={"send_conversion": send_conversion},
    ordered=False,
    consent_category="Advertising",
    test_connection=_test_connection,
    conversion=CONVERSION,
    description="Checkouts, leads and sign-ups sent to Pinterest, deduplicated with the tag.",
    docs_url="https://developers.pinterest.com/docs/conversions/conversions/",
)
