"""Google Analytics 4: conversions through the Measurement Protocol.

Sources (developers.google.com/analytics/devguides/collection/protocol/ga4: sending-events,
reference, validating-events, uid-data; conversions.md §2):
- POST https://www.google-analytics.com/mp/collect?measurement_id=G-…&api_secret=… (web
  streams; app streams name `firebase_app_id`), JSON `{client_id | app_instance_id, user_id,
  timestamp_micros, consent, user_data, user_properties, events: [{name, params}]}`.
- 25 events and under 130 kB per request; names up to 40 characters; 25 params per event;
  timestamps back to 72 hours. GA4 answers 2xx to anything it receives: the rules are checked
  before sending. Non-2xx: retry 429 and 5xx only.
- No event_id: GA4 deduplicates purchases by `transaction_id` (web streams), so it is the
  order id, never empty.
- Consent Mode v2: `consent.ad_user_data` / `ad_personalization`; user-provided data
  (`user_data`) is hashed with Google's rules and left out when ad_user_data is denied.
- `/debug/mp/collect` validates without recording (the `debug` setting and test_connection).

Order does not matter: each request carries its own timestamp.
"""

from __future__ import annotations

import httpx

from eventyard.conversions.canonical import LEAD_EVENTS, REVENUE_EVENTS
from eventyard.conversions.spec import ConversionSpec
from eventyard.delivery.http import raise_for_status
from eventyard.destinations.base import DestinationDefinition
from eventyard.destinations.google_analytics_4.payload import MAX_AGE
from eventyard.destinations.google_analytics_4.send_event import send_event, validation_problems
from eventyard.destinations.google_analytics_4.settings import Ga4Settings
from eventyard.errors import TerminalError

__all__ = ["CONVERSION", "Ga4Settings", "definition"]

CONVERSION = ConversionSpec(
    platform="google_analytics_4",
    default_events=REVENUE_EVENTS | LEAD_EVENTS,
    # GA4 joins a Measurement Protocol event to a user by client_id (the _ga cookie: the
    # browser's own sessions) or user_id; user-provided data (email, phone, then name and
    # address) feeds Google's enhanced matching (uid-data: "email ... phone ... address").
    # Not a platform formula: the order of the guidance, as weights.
    match_weights={
        "ga_client_id": 3,
        "external_id": 3,
        "email": 2,
        "phone": 1.5,
        "first_name": 0.5,
        "last_name": 0.5,
        "city": 0.25,
        "state": 0.25,
        "zip": 0.25,
        "country": 0.25,
    },
    # No minimum: without the _ga cookie the client_id falls back to the anonymousId.
    limited_mode=True,
    max_age=MAX_AGE,
)

_PROBE = {"name": "eventyard_connection_test", "params": {}}


async def _test_connection(client: httpx.AsyncClient, settings: Ga4Settings) -> None:
    """One event to /debug/mp/collect: checks the host, the stream and the request; GA4 records
    nothing there (and does not say whether an API secret is wrong)."""
    who = {"app_instance_id": "0" * 32} if settings.app_stream else {"client_id": "0.0"}
    response = await client.post(
        f"{settings.api_base_url}/debug/mp/collect",
        params=settings.stream,
        json={**who, "events": [_PROBE]},
    )
    raise_for_status(response)
    if problems := validation_problems(response):
        raise TerminalError(f"GA4 refused the test event: {problems}; check the stream settings")


definition = DestinationDefinition(
    slug="google-analytics-4",
    name="Google Analytics 4",
    settings=Ga4Settings,
    actions={"send_event": send_event},
    ordered=False,
    consent_category="Analytics",
    test_connection=_test_connection,
    conversion=CONVERSION,
    description="Conversions as GA4 recommended events through the Measurement Protocol.",
    docs_url="https://developers.google.com/analytics/devguides/collection/protocol/ga4",
)
