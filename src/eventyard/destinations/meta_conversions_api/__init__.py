"""Meta Conversions API: conversions as server events for a pixel or dataset.

Sources (conversions.md §1): developers.facebook.com/docs/marketing-api/conversions-api
(using-the-api, parameters/*, deduplicate-pixel-and-server-events, best-practices),
/docs/marketing-apis/data-processing-options, the facebook-python-business-sdk serverside
package. `POST https://graph.facebook.com/{version}/{pixel_id}/events` with a JSON body
`{"data": [...], "test_event_code"}` and the token as a Bearer header; 200 answers
`{"events_received", "messages", "fbtrace_id"}`, errors are Graph error objects (errors.py).

Unordered: Meta orders events by event_time, so batches may go in parallel.
"""

from __future__ import annotations

import httpx

from eventyard.conversions.canonical import LEAD_EVENTS, REVENUE_EVENTS
from eventyard.conversions.spec import ConversionSpec
from eventyard.destinations.base import DestinationDefinition
from eventyard.destinations.meta_conversions_api.errors import meta_error
from eventyard.destinations.meta_conversions_api.events import EVENT_NAMES, MAX_AGE
from eventyard.destinations.meta_conversions_api.send import send_conversion
from eventyard.destinations.meta_conversions_api.settings import MetaSettings

__all__ = ["CONVERSION", "MetaSettings", "definition"]

# Meta publishes no per-key weights. Its best practices ask for email, phone, fbc, fbp,
# external_id and IP + user agent on every event, and Event Match Quality rises most with
# em, ph and fbc (conversions.md §1 "Match quality"): those weigh 3, the other deterministic
# and browser keys 2, the address and demographic keys (only useful together) 0.5-1.
_WEIGHTS = {
    "email": 3.0,
    "phone": 3.0,
    "fbc": 3.0,
    "external_id": 2.0,
    "fbp": 2.0,
    "ip": 1.0,
    "user_agent": 1.0,
    "first_name": 1.0,
    "last_name": 1.0,
    "zip": 1.0,
    "city": 0.5,
    "state": 0.5,
    "country": 0.5,
    "date_of_birth": 0.5,
    "gender": 0.5,
}

CONVERSION = ConversionSpec(
    platform="meta",
    default_events=(REVENUE_EVENTS | LEAD_EVENTS) & frozenset(EVENT_NAMES),
    match_weights=_WEIGHTS,
    minimum=(
        frozenset({"email"}),
        frozenset({"phone"}),
        frozenset({"external_id"}),
        frozenset({"fbc"}),
        frozenset({"fbp"}),
        frozenset({"ip", "user_agent"}),
    ),
    limited_mode=True,
    max_age=MAX_AGE,
)


async def _test_connection(client: httpx.AsyncClient, settings: MetaSettings) -> None:
    """Reads the pixel: a bad token (190) or an unknown pixel (100/33) says what to fix."""
    response = await client.get(
        f"{settings.api_base_url}/{settings.api_version}/{settings.pixel_id}",
        params={"fields": "id,name"},
        headers={"Authorization": f"Bearer {settings.access_token}"},
    )
    if not 200 <= response.status_code < 300:
        raise meta_error(response)


definition = DestinationDefinition(
    slug="meta-conversions-api",
    name="Meta Conversions API",
    settings=MetaSettings,
    actions={"send_conversion": send_conversion},
    ordered=False,
    consent_category="Advertising",
    test_connection=_test_connection,
    conversion=CONVERSION,
    description="Purchases, leads and sign-ups as Meta server events, deduplicated with the pixel.",
    docs_url="https://developers.facebook.com/docs/marketing-api/conversions-api",
)
