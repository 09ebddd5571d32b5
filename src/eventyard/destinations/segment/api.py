"""Segment's HTTP Tracking API: `POST /v1/batch` with Basic auth (write key, no password).

Limits: 500 KB per request, 32 KB per event, 2,500 events per batch. Segment answers 200
`{"success": true}` for everything but an oversize or malformed body (400); events it cannot
use (no `type`, no userId/anonymousId, beyond 2,500) are dropped silently, so they are
refused here, per event, with the reason. 429 and 5xx are retried (by status class).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from eventyard.delivery.http import raise_for_status
from eventyard.destinations.common import split_by_size
from eventyard.destinations.segment.settings import SegmentSettings
from eventyard.errors import DeliveryError, TerminalError

__all__ = [
    "MAX_BATCH_BYTES",
    "MAX_BATCH_EVENTS",
    "MAX_EVENT_BYTES",
    "auth_header",
    "post_batch",
    "test_connection",
]

MAX_BATCH_BYTES = 500_000
MAX_EVENT_BYTES = 32_000
MAX_BATCH_EVENTS = 2500
_ENVELOPE = 100  # {"batch":[...],"sentAt":"..."} around the events


def auth_header(settings: SegmentSettings) -> str:
    token = base64.b64encode(f"{settings.write_key}:".encode()).decode("ascii")
    return f"Basic {token}"


def _problem(event: dict[str, Any], encoded: bytes) -> str | None:
    """Why Segment would drop this event, or None."""
    if not isinstance(event.get("type"), str):
        return "Segment drops events without a `type`; map message to a Segment event"
    if not event.get("userId") and not event.get("anonymousId"):
        return "Segment drops events without userId or anonymousId; set one of them"
    if len(encoded) > MAX_EVENT_BYTES:
        return f"event is {len(encoded)} bytes; Segment takes at most 32 KB per event"
    return None


def _check(response: httpx.Response) -> None:
    code = response.status_code
    if code == 401 or code == 403:
        raise TerminalError(
            f"Segment rejected the write key (HTTP {code}); set write_key to the Write Key of "
            "the Segment source (Connections > Sources > the source > Settings > API Keys)",
            status=code,
        )
    if code == 400:
        try:
            message = orjson.loads(response.content).get("message", "")
        except (orjson.JSONDecodeError, AttributeError):
            message = response.text[:200]
        raise TerminalError(f"Segment rejected the batch (HTTP 400: {message})", status=code)
    raise_for_status(response)
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return
    if isinstance(body, dict) and body.get("success") is False:
        raise TerminalError(f"Segment answered {code} without success: {response.text[:200]}")


async def _post(client: httpx.AsyncClient, settings: SegmentSettings, items: list[bytes]) -> None:
    sent_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    body = b'{"batch":[' + b",".join(items) + b'],"sentAt":"' + sent_at.encode() + b'"}'
    headers = {"Content-Type": "application/json", "Authorization": auth_header(settings)}
    response = await client.post(f"{settings.host}/v1/batch", content=body, headers=headers)
    _check(response)


def _chunks(items: list[tuple[int, bytes]]) -> list[list[tuple[int, bytes]]]:
    """Requests of at most 2,500 events and 500 KB each."""
    sizes = [len(encoded) for _, encoded in items]
    parts = split_by_size(sizes, MAX_BATCH_BYTES, MAX_BATCH_EVENTS, _ENVELOPE)
    return [[items[j] for j in part] for part in parts]


async def post_batch(
    client: httpx.AsyncClient, settings: SegmentSettings, events: Sequence[dict[str, Any]]
) -> list[DeliveryError | None]:
    """Send every usable event; one result per event (None = Segment took it)."""
    results: list[DeliveryError | None] = [None] * len(events)
    usable: list[tuple[int, bytes]] = []
    for index, event in enumerate(events):
        encoded = orjson.dumps(event)
        if problem := _problem(event, encoded):
            results[index] = TerminalError(problem)
        else:
            usable.append((index, encoded))
    for chunk in _chunks(usable):
        try:
            await _post(client, settings, [encoded for _, encoded in chunk])
        except DeliveryError as error:  # unordered: the other chunks still go
            for index, _ in chunk:
                results[index] = error
    return results


async def test_connection(client: httpx.AsyncClient, settings: SegmentSettings) -> None:
    """The source's settings on Segment's CDN exist only for a valid write key."""
    key = quote(settings.write_key, safe="")
    response = await client.get(f"{settings.cdn_host}/v1/projects/{key}/settings")
    if response.status_code == 404:
        raise TerminalError(
            "Segment does not know this write key (HTTP 404 for its source settings); "
            "copy the Write Key from the Segment source's settings",
            status=404,
        )
    raise_for_status(response)
