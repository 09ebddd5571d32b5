"""logEvent: events to the HTTP V2 API (or the Batch Event Upload API), with per-event results.

A 400 from Amplitude rejects the whole request and lists the bad events by index; those fail
for good and the others are sent again (their insert_id makes a resend safe).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import orjson

from eventyard.delivery.http import raise_for_status
from eventyard.destinations.amplitude.common import (
    check_ids,
    epoch_ms,
    id_problem,
    json_body,
    throttled,
)
from eventyard.destinations.amplitude.event_fields import FIELDS
from eventyard.destinations.amplitude.settings import AmplitudeSettings
from eventyard.destinations.base import ActionDefinition, BatchLimits, BatchResult
from eventyard.destinations.common import batch_result, split_by_size
from eventyard.errors import DeliveryError, TerminalError, TransientError

__all__ = ["BATCH_BYTES", "HTTPAPI_BYTES", "MAX_EVENTS", "log_event", "to_amplitude"]

MAX_EVENTS = 2000
HTTPAPI_BYTES = 1_000_000
BATCH_BYTES = 20_000_000
"""HTTP V2: < 2000 events and < 1 MB per request; Batch Event Upload: 20 MB."""
_ENVELOPE = 1024
"""Room for `api_key` and `options` around the events."""
_REJECTED = (
    "events_with_invalid_fields",
    "events_with_missing_fields",
    "events_with_invalid_id_lengths",
    "silenced_events",
)


def to_amplitude(payload: dict[str, Any]) -> dict[str, Any]:
    """One mapped payload as an HTTP V2 event object."""
    event = {k: v for k, v in payload.items() if v is not None and k not in ("time", "library")}
    if "time" in payload:
        event["time"] = epoch_ms(payload["time"])
    if payload.get("library") == "analytics.js":
        event.setdefault("platform", "Web")
    event["library"] = "eventyard"
    return event


def _limits(settings: AmplitudeSettings) -> BatchLimits:
    size = BATCH_BYTES if settings.use_batch_endpoint else HTTPAPI_BYTES
    return BatchLimits(max_events=MAX_EVENTS, max_wait=1.0, max_bytes=size - _ENVELOPE)


def _chunks(encoded: list[bytes], max_bytes: int) -> Iterator[range]:
    return split_by_size([len(item) for item in encoded], max_bytes, MAX_EVENTS)


def _rejected(body: dict[str, Any], count: int) -> list[DeliveryError | None] | None:
    """Per-event results from a 400 that names events, else None."""
    reasons: dict[int, str] = {}
    for kind in _REJECTED:
        listing = body.get(kind)
        items = listing.items() if isinstance(listing, dict) else [("device_id", listing or [])]
        for field, indexes in items:
            for index in indexes if isinstance(indexes, list) else []:
                if isinstance(index, int) and 0 <= index < count:
                    reasons[index] = f"{kind.replace('_', ' ')}: {field}"
    if not reasons:
        return None
    return [
        TerminalError(f"Amplitude rejected this event ({reasons[i]}); fix the mapping")
        if i in reasons
        else TransientError("Amplitude rejected the request for other events in it; resending")
        for i in range(count)
    ]


async def _send(
    client: httpx.AsyncClient, settings: AmplitudeSettings, events: list[bytes]
) -> list[DeliveryError | None]:
    path = "/batch" if settings.use_batch_endpoint else "/2/httpapi"
    options = f',"options":{{"min_id_length":{settings.min_id_length}}}'
    body = (
        b'{"api_key":'
        + orjson.dumps(settings.api_key)
        + b',"events":['
        + b",".join(events)
        + b"]"
        + (options.encode() if settings.min_id_length else b"")
        + b"}"
    )
    response = await client.post(
        f"{settings.ingest_url}{path}",
        content=body,
        headers={"Content-Type": "application/json", "Accept": "*/*"},
    )
    if response.status_code == 429:
        raise throttled(response)
    if response.status_code == 413 and len(events) > 1:  # Amplitude: split and send again
        half = len(events) // 2
        first = await _send(client, settings, events[:half])
        return first + await _send(client, settings, events[half:])
    if response.status_code == 400:
        answer = json_body(response)
        per_event = _rejected(answer, len(events))
        if per_event is not None:
            return per_event
        reason = answer.get("error") or response.text[:200]
        if answer.get("missing_field"):
            reason = f"{reason} ({answer['missing_field']})"
        raise TerminalError(
            f"Amplitude rejected the request: {reason}; check api_key in the destination settings"
        )
    raise_for_status(response)
    return [None] * len(events)


async def perform_batch(
    client: httpx.AsyncClient, settings: AmplitudeSettings, payloads: list[dict[str, Any]]
) -> BatchResult:
    results: list[DeliveryError | None] = [None] * len(payloads)
    valid: list[int] = []
    for i, payload in enumerate(payloads):
        problem = id_problem(payload, settings)
        if problem:
            results[i] = TerminalError(problem)
        else:
            valid.append(i)
    encoded = [orjson.dumps(to_amplitude(payloads[i])) for i in valid]
    for part in _chunks(encoded, _limits(settings).max_bytes or HTTPAPI_BYTES):
        try:
            outcome = await _send(client, settings, [encoded[j] for j in part])
        except DeliveryError as error:
            outcome = [error] * len(part)
        for j, result in zip(part, outcome, strict=True):
            results[valid[j]] = result
    return batch_result(results)


async def perform(
    client: httpx.AsyncClient, settings: AmplitudeSettings, payload: dict[str, Any]
) -> None:
    check_ids(payload, settings)
    (error,) = await _send(client, settings, [orjson.dumps(to_amplitude(payload))])
    if error is not None:
        raise error


log_event = ActionDefinition(
    title="Log Event",
    fields=FIELDS,
    default_subscription='type = "track"',
    perform=perform,
    perform_batch=perform_batch,
    batch=_limits,
    description="Send an event to Amplitude, deduplicated by insert_id.",
)
