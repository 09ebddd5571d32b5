"""Amplitude: events through the HTTP V2 API or the Batch Event Upload API, user properties
through the Identify API.

Sources (amplitude.com/docs/apis/analytics: http-v2, batch-event-upload, identify,
http-api-batching-retries; user-search for the key check):
- HTTP V2, POST /2/httpapi: JSON `{"api_key", "events": [...], "options"}`; under 2000
  events and 1 MB per request (413 beyond); each event needs `event_type` and a `user_id` or
  `device_id` of >= 5 characters (`options.min_id_length` lowers it); `time` in ms;
  `insert_id` deduplicates for 7 days. 400 names bad events (`events_with_invalid_fields`,
  `events_with_missing_fields`, ...) and ingests none of the request; 429 names
  `throttled_users`/`throttled_devices`/`exceeded_daily_quota_*`: pause 30 s and retry.
- Batch Event Upload, POST /batch: the same format, up to 20 MB (and 1000 events/s per user).
- Identify, POST /identify: form-encoded `api_key` and `identification` (JSON).
- Hosts: api2.amplitude.com, api.eu.amplitude.com (EU residency); the key check is the
  Dashboard REST API's User Search (Basic auth api_key:secret_key) on amplitude.com or
  analytics.eu.amplitude.com.

Ordered: Amplitude applies user_properties in arrival order and processes one device's
events in the order received, so one user's identify and events go out in order.
"""

from __future__ import annotations

import httpx

from eventyard.delivery.http import raise_for_status
from eventyard.destinations.amplitude.events import log_event
from eventyard.destinations.amplitude.identify import identify_user
from eventyard.destinations.amplitude.settings import AmplitudeSettings
from eventyard.destinations.base import DestinationDefinition
from eventyard.errors import TerminalError

__all__ = ["AmplitudeSettings", "definition"]


async def _test_connection(client: httpx.AsyncClient, settings: AmplitudeSettings) -> None:
    """A User Search with Basic auth: 401/403 means the keys are wrong."""
    if not settings.secret_key:
        raise TerminalError("set secret_key in the settings to test the connection")
    response = await client.get(
        f"{settings.dashboard_url}/api/2/usersearch",
        params={"user": "eventyard-connection-test"},
        auth=(settings.api_key, settings.secret_key),
    )
    if response.status_code in (401, 403):
        raise TerminalError(
            f"Amplitude refused the keys (HTTP {response.status_code}): check api_key and "
            "secret_key, and that endpoint matches the project's region"
        )
    raise_for_status(response)


definition = DestinationDefinition(
    slug="amplitude",
    name="Amplitude",
    catalog_names=("Amplitude", "Actions Amplitude", "Amplitude (Actions)"),
    settings=AmplitudeSettings,
    actions={"logEvent": log_event, "identifyUser": identify_user},
    ordered=True,
    consent_category="Analytics",
    test_connection=_test_connection,
    description="Product analytics: events and user properties.",
    docs_url="https://amplitude.com/docs/apis/analytics/http-v2",
)
