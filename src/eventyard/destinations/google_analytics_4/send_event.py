"""send_event: conversions to the Measurement Protocol, up to 25 events per request.

Everything outside `events` (client_id, user_id, timestamp_micros, consent, user_data) belongs
to the whole request, so only events that agree on all of it share a request; the groups are
sent side by side.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import httpx
import orjson

from eventyard.delivery.http import raise_for_status
from eventyard.destinations.ads.conversion import CONVERSION_PATH, conversion_fields
from eventyard.destinations.ads.sending import (
    RejectedContent,
    Results,
    batched_action,
    deliver,
    envelope,
    json_object,
)
from eventyard.destinations.base import BatchLimits, BatchResult
from eventyard.destinations.common import batch_result, either, path, text
from eventyard.destinations.google_analytics_4.payload import build
from eventyard.destinations.google_analytics_4.settings import Ga4Settings
from eventyard.errors import DeliveryError, TerminalError
from eventyard.mapping.fields import FieldSpec

__all__ = ["FIELDS", "MAX_BODY", "MAX_EVENTS", "send_event", "validation_problems"]

MAX_EVENTS = 25
MAX_BODY = 130_000
"""GA4: at most 25 events per request and a body under 130 kB."""
_JSON = {"Content-Type": "application/json"}
_GA_COOKIE = f"{CONVERSION_PATH}.click_ids.ga_client_id"
_ENGAGEMENT = "$.properties.engagement_time_msec"
_ENVELOPE = 32
"""Bytes around the events and the request-level fields: `{"events":[`, `],`, `}`."""

FIELDS: dict[str, FieldSpec] = {
    **{k: v for k, v in conversion_fields(None).items() if k in ("conversion", "event_name")},
    "client_id": FieldSpec(
        "Client ID",
        "string",
        default={
            "@if": {
                "exists": path(_GA_COOKIE),
                "then": path(_GA_COOKIE),
                "else": either("$.anonymousId", "$.userId"),
            }
        },
        description="Web streams: the browser's GA client id (from the _ga cookie), so the "
        "conversion joins the user's sessions; else the anonymousId, else the userId.",
    ),
    "app_instance_id": text(
        "App Instance ID", description="App streams: the Firebase SDK's app instance id."
    ),
    "user_id": text("User ID", "$.userId", "Your own user id; it must not hold PII."),
    "session_id": text("Session ID", description="Realtime reports show events with one."),
    "engagement_time_msec": FieldSpec(
        "Engagement Time (ms)",
        "number",
        default={
            "@if": {
                "exists": path(_ENGAGEMENT),
                "then": path(_ENGAGEMENT),
                "else": 1,
            }
        },
        description="The event's properties.engagement_time_msec, else 1 as Segment sends: "
        "GA4 counts only users with a non-zero engagement time as active.",
    ),
    "params": FieldSpec(
        "Event Parameters",
        "object",
        description="More event parameters (string or number values), e.g. search_term.",
    ),
    "user_properties": FieldSpec("User Properties", "object"),
}


def validation_problems(response: httpx.Response) -> str | None:
    """The validation messages of a /debug/mp/collect answer, joined, or None."""
    messages = json_object(response).get("validationMessages")
    if not isinstance(messages, list) or not messages:
        return None
    return "; ".join(
        f"{m.get('fieldPath') or '(request)'}: {m.get('description')} ({m.get('validationCode')})"
        for m in messages[:10]
        if isinstance(m, dict)
    )


async def _send(
    client: httpx.AsyncClient, settings: Ga4Settings, head: dict[str, Any], events: list[bytes]
) -> Results:
    body = envelope("events", events, **head)
    if len(body) > MAX_BODY:
        raise TerminalError(f"GA4 refuses requests over {MAX_BODY // 1000} kB; map fewer params")
    response = await client.post(
        settings.collect_url, params=settings.stream, content=body, headers=_JSON
    )
    raise_for_status(response)
    if settings.debug and (problems := validation_problems(response)):
        raise RejectedContent(f"GA4 validation (debug mode): {problems}")
    return [None] * len(events)


async def _send_group(
    client: httpx.AsyncClient, settings: Ga4Settings, head: bytes, events: list[dict[str, Any]]
) -> BatchResult:
    limits = BatchLimits(MAX_EVENTS, max_bytes=MAX_BODY - len(head) - _ENVELOPE)
    send = partial(_send, client, settings, orjson.loads(head))
    return await deliver(events, dict, send, limits)


async def perform_batch(
    client: httpx.AsyncClient, settings: Ga4Settings, payloads: list[dict[str, Any]]
) -> BatchResult:
    results: list[DeliveryError | None] = [None] * len(payloads)
    groups: dict[bytes, list[int]] = {}
    events: dict[int, dict[str, Any]] = {}
    for i, payload in enumerate(payloads):
        try:
            head, events[i] = build(settings, payload)
        except DeliveryError as error:
            results[i] = error
            continue
        groups.setdefault(orjson.dumps(head, option=orjson.OPT_SORT_KEYS), []).append(i)
    outcomes = await asyncio.gather(
        *(
            _send_group(client, settings, head, [events[i] for i in members])
            for head, members in groups.items()
        )
    )
    for members, outcome in zip(groups.values(), outcomes, strict=True):
        for i, result in zip(members, outcome or [None] * len(members), strict=True):
            results[i] = result
    return batch_result(results)


send_event = batched_action(
    perform_batch,
    BatchLimits(MAX_EVENTS),
    FIELDS,
    "Send a conversion as a GA4 recommended event (purchase, refund, generate_lead, ...) "
    "with its value, items, user-provided data and consent signals.",
    title="Send Event",
)
