"""Segment's one action: send the event on as Segment JSON (`send`).

The default mapping is the whole event. Before sending, the fields that Segment sets itself on
arrival are removed: `receivedAt`, and `sentAt` / `originalTimestamp`, which would make it
re-apply clock-skew correction to a `timestamp` eventyard already corrected (the batch's
own `sentAt` is eventyard's clock). `messageId` stays, so Segment drops duplicates.
"""

from __future__ import annotations

from typing import Any

import httpx

from eventyard.destinations.base import ActionDefinition, BatchLimits, BatchResult
from eventyard.destinations.common import batch_result, path, waiting
from eventyard.destinations.segment.api import MAX_BATCH_EVENTS, post_batch
from eventyard.destinations.segment.settings import SegmentSettings
from eventyard.mapping.fields import FieldSpec

__all__ = ["ACTIONS", "BATCH_LIMITS", "segment_event"]

BATCH_LIMITS = BatchLimits(max_events=MAX_BATCH_EVENTS, max_wait=1.0, max_bytes=475_000)
"""2,500 events and 500 KB per request; the bytes leave room for the envelope, and
perform_batch splits again if a batch would still be over."""

_SERVER_FIELDS = ("receivedAt", "sentAt", "originalTimestamp", "writeKey", "_metadata")
_EVENTYARD_CONTEXT = ("invalidTimestamp",)


def segment_event(message: dict[str, Any]) -> dict[str, Any]:
    """A copy of the event without the fields Segment sets (the input is never changed)."""
    event = {k: v for k, v in message.items() if k not in _SERVER_FIELDS}
    context = event.get("context")
    if isinstance(context, dict) and any(k in context for k in _EVENTYARD_CONTEXT):
        event["context"] = {k: v for k, v in context.items() if k not in _EVENTYARD_CONTEXT}
    return event


async def _perform(
    client: httpx.AsyncClient, settings: SegmentSettings, payload: dict[str, Any]
) -> None:
    (error,) = await post_batch(client, settings, [segment_event(payload["message"])])
    if error is not None:
        raise error


async def _perform_batch(
    client: httpx.AsyncClient, settings: SegmentSettings, payloads: list[dict[str, Any]]
) -> BatchResult:
    results = await post_batch(client, settings, [segment_event(p["message"]) for p in payloads])
    return batch_result(results)


ACTIONS = {
    "send": ActionDefinition(
        title="Send to Segment",
        fields={
            "message": FieldSpec(
                "Event",
                "object",
                required=True,
                default=path("$."),
                description="The Segment event to send; by default the whole event as is.",
            )
        },
        default_subscription=(
            'type = "track" or type = "identify" or type = "page" or type = "screen" '
            'or type = "group" or type = "alias"'
        ),
        perform=_perform,
        perform_batch=_perform_batch,
        batch=waiting(BATCH_LIMITS),
        description="Forward every event to a Segment source through /v1/batch.",
    )
}
