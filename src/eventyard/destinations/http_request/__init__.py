"""HTTP Request: a generic HTTP call built from mappings (Segment's "Webhook (Actions)").

One action, `send`: `url`, `method` (POST, PUT, PATCH, DELETE, GET; GET sends no body),
`headers` and `data` (by default the whole event) come from the mapping; settings hold
default headers, an optional HMAC-SHA1 `shared_secret` (X-Signature, as Segment's webhook)
and batching. With `enable_batching`, payloads sharing url, method and headers are sent as
one JSON array of their `data` (Segment's batch keys), at most `batch_size` (1..1000,
default 100) events and `batch_max_bytes` (default 1 MB) per request; the receiver is
arbitrary, so these are the user's to set.

Unordered: like Segment's webhook it promises no per-user order, so requests run in
parallel; receivers should order by `timestamp` and deduplicate by `messageId`.

Sources: segmentio/action-destinations `destinations/webhook` (send action fields and
defaults) and Segment's "Webhooks (Actions)" docs.
"""

from __future__ import annotations

from eventyard.destinations.base import DestinationDefinition
from eventyard.destinations.http_request.send import send
from eventyard.destinations.http_request.settings import HttpRequestSettings

__all__ = ["HttpRequestSettings", "definition"]

definition = DestinationDefinition(
    slug="http_request",
    name="HTTP Request",
    settings=HttpRequestSettings,
    actions={"send": send},
    ordered=False,
    consent_category=None,
    description="Send an HTTP request to any URL, built from the event with mappings.",
    docs_url="https://segment.com/docs/connections/destinations/catalog/actions-webhook/",
)
