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
"""

from __future__ import annotations

import httpx

from eventyard.delivery.http import raise_for_status
from eventyard.destinations.ads.definition import ad_destination
from eventyard.destinations.google_analytics_4.payload import CONVERSION
from eventyard.destinations.google_analytics_4.send_event import send_event, validation_problems
from eventyard.destinations.google_analytics_4.settings import Ga4Settings
from eventyard.errors import TerminalError

__all__ = ["CONVERSION", "Ga4Settings", "definition"]

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


definition = ad_destination(
    "google-analytics-4",
    "Google Analytics 4",
    catalog_names=("Google Analytics 4", "Google Analytics 4 Cloud"),
    settings=Ga4Settings,
    actions={"send_event": send_event},
    conversion=CONVERSION,
    test_connection=_test_connection,
    description="Conversions as GA4 recommended events through the Measurement Protocol.",
    docs_url="https://developers.google.com/analytics/devguides/collection/protocol/ga4",
    consent_category="Analytics",
)
