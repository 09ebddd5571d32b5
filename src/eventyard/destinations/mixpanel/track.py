"""trackEvent: events to Mixpanel's /import (strict mode), batched, per-event failures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import orjson

from eventyard.delivery.http import raise_for_status
from eventyard.destinations.base import ActionDefinition, BatchLimits, BatchResult
from eventyard.destinations.common import batch_result, split_by_size
from eventyard.destinations.mixpanel.common import epoch_ms, insert_id
from eventyard.destinations.mixpanel.settings import MixpanelSettings
from eventyard.destinations.mixpanel.track_fields import FIELDS, RENAMED
from eventyard.errors import DeliveryError, TerminalError

__all__ = ["MAX_BYTES", "MAX_EVENTS", "chunks", "to_mixpanel", "track_event"]

MAX_EVENTS = 2000
MAX_BYTES = 10 * 1024 * 1024
"""/import takes up to 2000 events and 10 MB uncompressed per request."""


def to_mixpanel(payload: dict[str, Any]) -> dict[str, Any]:
    """One mapped payload as a Mixpanel event object."""
    props: dict[str, Any] = {"$source": "eventyard"}
    for key, name in RENAMED.items():
        if key in payload:
            props[name] = payload[key]
    if "library_name" in payload:
        props["mp_lib"] = f"eventyard: {payload['library_name']}"
    for key, value in (payload.get("utm_properties") or {}).items():
        if value not in (None, ""):
            props[key] = value
    props.update(payload.get("event_properties") or {})
    props["time"] = epoch_ms(payload.get("time"))
    props["distinct_id"] = payload["distinct_id"]
    if "insert_id" in payload:
        props["$insert_id"] = insert_id(payload["insert_id"])
    return {"event": payload["event"], "properties": props}


def chunks(encoded: list[bytes]) -> Iterator[range]:
    """Index ranges of at most MAX_EVENTS events and MAX_BYTES of JSON array each."""
    return split_by_size([len(item) for item in encoded], MAX_BYTES, MAX_EVENTS, 2)


def _failures(response: httpx.Response, count: int) -> list[DeliveryError | None] | None:
    """Per-event results from a strict-mode 400 (the rest were ingested), else None."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None
    records = body.get("failed_records") if isinstance(body, dict) else None
    if not isinstance(records, list) or not records:
        return None
    results: list[DeliveryError | None] = [None] * count
    for record in records:
        index = record.get("index") if isinstance(record, dict) else None
        if isinstance(index, int) and 0 <= index < count:
            results[index] = TerminalError(
                f"Mixpanel rejected this event: {record.get('message', 'invalid')} "
                f"(field {record.get('field', '?')}); fix the mapping of that field"
            )
    return results


async def _import(
    client: httpx.AsyncClient, settings: MixpanelSettings, body: bytes, count: int
) -> list[DeliveryError | None]:
    headers, query = settings.import_auth()
    response = await client.post(
        f"{settings.base_url}/import",
        params=query,
        content=body,
        headers={**headers, "Content-Type": "application/json", "Accept": "application/json"},
    )
    if response.status_code == 400 and (per_event := _failures(response, count)) is not None:
        return per_event
    if response.status_code in (401, 403):
        raise TerminalError(
            f"Mixpanel refused the credentials (HTTP {response.status_code}): check api_secret, "
            "or service_account_username/service_account_secret/project_id, in the settings"
        )
    raise_for_status(response)
    return [None] * count


async def perform_batch(
    client: httpx.AsyncClient, settings: MixpanelSettings, payloads: list[dict[str, Any]]
) -> BatchResult:
    encoded = [orjson.dumps(to_mixpanel(p)) for p in payloads]
    results: list[DeliveryError | None] = []
    for part in chunks(encoded):
        body = b"[" + b",".join(encoded[i] for i in part) + b"]"
        try:
            results.extend(await _import(client, settings, body, len(part)))
        except DeliveryError as error:  # this chunk only; earlier chunks were taken
            results.extend([error] * len(part))
    return batch_result(results)


async def perform(
    client: httpx.AsyncClient, settings: MixpanelSettings, payload: dict[str, Any]
) -> None:
    body = b"[" + orjson.dumps(to_mixpanel(payload)) + b"]"
    (error,) = await _import(client, settings, body, 1)
    if error is not None:
        raise error


def _limits(settings: MixpanelSettings) -> BatchLimits:
    return BatchLimits(max_events=MAX_EVENTS, max_wait=1.0, max_bytes=MAX_BYTES)


track_event = ActionDefinition(
    title="Track Event",
    fields=FIELDS,
    default_subscription='type = "track"',
    perform=perform,
    perform_batch=perform_batch,
    batch=_limits,
    description="Send an event to Mixpanel's Import API, deduplicated by $insert_id.",
)
