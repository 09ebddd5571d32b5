"""Segment: forward events to a Segment source, for teams that keep Segment beside eventyard.

API used (Segment HTTP Tracking API,
https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/):
- `POST {host}/v1/batch` `{"batch": [...], "sentAt": ...}`, every item with its `type`;
  `Authorization: Basic base64(writeKey + ":")`; `Content-Type: application/json`.
- Limits: 500 KB per request, 32 KB per event, 2,500 events per batch.
- Answers: 200 `{"success": true}`; 400 for a body too large or not JSON; 429 with
  Retry-After when over the rate limit. Semantic problems are not errors: such events are
  dropped silently, so they are refused here, per event.
- Hosts: us https://api.segment.io, eu https://events.eu1.segmentapis.com.
- Dedup by `messageId` (about 24 h), so resending a batch after an error is safe.
- test_connection: `GET https://cdn.segment.com/v1/projects/<writeKey>/settings` (404 for an
  unknown key), as Segment's own "Segment" destination does.

Unordered: Segment orders by `timestamp` and deduplicates by `messageId`, so batches go in
parallel. No consent category: the event keeps its `context.consent`, and Segment applies
its own consent rules to its destinations.
"""

from __future__ import annotations

from eventyard.destinations.base import DestinationDefinition
from eventyard.destinations.segment.actions import ACTIONS, BATCH_LIMITS, segment_event
from eventyard.destinations.segment.api import test_connection
from eventyard.destinations.segment.settings import CDN_HOST, REGION_HOSTS, SegmentSettings

__all__ = [
    "BATCH_LIMITS",
    "CDN_HOST",
    "REGION_HOSTS",
    "SegmentSettings",
    "definition",
    "segment_event",
]

definition = DestinationDefinition(
    slug="segment",
    name="Segment",
    catalog_names=("Segment",),
    settings=SegmentSettings,
    actions=ACTIONS,
    ordered=False,
    consent_category=None,
    test_connection=test_connection,
    description="Forward events to a Segment workspace through its HTTP Tracking API.",
    docs_url="https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/",
)
