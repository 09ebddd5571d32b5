"""Mixpanel: events through the Import API, user and group profiles through Engage.

Sources (developer.mixpanel.com / docs.mixpanel.com, "Ingestion API"):
- Import Events, POST /import?strict=1: JSON array, up to 2000 events and 10 MB
  uncompressed per request; Basic auth with a service account (+ `project_id`), the project
  secret, or the project token as user; each event needs `time` (s or ms),
  `distinct_id` and `$insert_id` (<= 36 chars, dedup key). A 400 names the failed events in
  `failed_records` (index, insert_id, field, message) and the others are ingested.
- Create Identity, POST /track: the `$identify` event ($identified_id, $anon_id).
- Profile Set, POST /engage and Group Set, POST /groups: `$token`, `$distinct_id` or
  `$group_key`/`$group_id`, `$set`; answer 200 even for bad data, so `verbose=1` is sent
  and `{"status": 0, "error": ...}` becomes a TerminalError.
- Hosts: api.mixpanel.com, api-eu.mixpanel.com (EU residency), api-in.mixpanel.com (India).
- 429 (rate limit) and 5xx are retried by the engine (eventyard.delivery.http).

Ordered: an identify's `$set` and its `$identify` merge must land before the same user's
later events and updates (a later `$set` overwrites an earlier one), so one user's calls
go out one at a time, in order.
"""

from __future__ import annotations

import httpx

from eventyard.delivery.http import raise_for_status
from eventyard.destinations.base import DestinationDefinition
from eventyard.destinations.mixpanel.people import group_identify_user, identify_user
from eventyard.destinations.mixpanel.settings import REGION_HOSTS, MixpanelSettings
from eventyard.destinations.mixpanel.track import track_event
from eventyard.errors import TerminalError

__all__ = ["REGION_HOSTS", "MixpanelSettings", "definition"]


async def _test_connection(client: httpx.AsyncClient, settings: MixpanelSettings) -> None:
    """Posts an empty batch to /import: 401/403 means the credentials are wrong."""
    headers, query = settings.import_auth()
    response = await client.post(
        f"{settings.base_url}/import",
        params=query,
        content=b"[]",
        headers={**headers, "Content-Type": "application/json"},
    )
    if response.status_code in (401, 403):
        raise TerminalError(
            f"Mixpanel refused the credentials (HTTP {response.status_code}): check api_secret, "
            "or service_account_username/service_account_secret/project_id"
        )
    if response.status_code != 400:  # 400: authenticated, and an empty batch is no data
        raise_for_status(response)


definition = DestinationDefinition(
    slug="mixpanel",
    name="Mixpanel",
    catalog_names=("Mixpanel", "Mixpanel (Actions)"),
    settings=MixpanelSettings,
    actions={
        "trackEvent": track_event,
        "identifyUser": identify_user,
        "groupIdentifyUser": group_identify_user,
    },
    ordered=True,
    consent_category="Analytics",
    test_connection=_test_connection,
    description="Product analytics: events, user profiles and group profiles.",
    docs_url="https://developer.mixpanel.com/reference/import-events",
)
