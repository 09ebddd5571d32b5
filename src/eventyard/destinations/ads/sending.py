"""Sending conversions in batches: build each event, split by count and size, find bad events.

Every ad destination does the same around its one HTTP call: turn each payload into the
platform's event (a payload that cannot become one fails alone, for good), cut the rest into
requests within the platform's limits, and map the answer back to one result per payload.

Some platforms refuse a whole request for one bad event (Meta: "one invalid event rejects the
whole request"). A `send` that sees such an answer raises `RejectedContent`; the request is then
split in halves and sent again until each bad event is alone, so one malformed order never
takes a thousand good ones down with it, and the good ones are sent at once, not retried later.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import httpx
import orjson

from eventyard.delivery.http import from_http_error
from eventyard.destinations.base import (
    ActionDefinition,
    BatchLimits,
    BatchResult,
    Perform,
    PerformBatch,
)
from eventyard.destinations.common import batch_result, split_by_size, waiting
from eventyard.errors import DeliveryError, TerminalError
from eventyard.mapping.fields import FieldSpec

__all__ = [
    "Post",
    "RejectedContent",
    "Results",
    "batched_action",
    "conversion_action",
    "deliver",
    "envelope",
    "json_object",
    "single",
]

Results = list[DeliveryError | None]
Build = Callable[[dict[str, Any]], dict[str, Any]]
Send = Callable[[list[bytes]], Awaitable[Results]]
Post = Callable[[httpx.AsyncClient, Any, list[bytes]], Awaitable[Results]]
"""`post(client, settings, events)`: one request with these encoded events, a result each."""

_NO_SIZE_LIMIT = 1 << 62


class RejectedContent(TerminalError):
    """The platform refused the whole request because of what one of its events holds."""


def envelope(key: str, events: list[bytes], **extra: Any) -> bytes:
    """The JSON body `{key: [events...], **extra}` from events already encoded (None dropped)."""
    head = orjson.dumps({k: v for k, v in extra.items() if v is not None})
    items = b'"' + key.encode() + b'":[' + b",".join(events) + b"]"
    return b"{" + items + (b"," + head[1:] if head != b"{}" else b"}")


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The response body as a JSON object ({} when it is not one)."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}


async def _send_split(send: Send, events: list[bytes]) -> Results:
    try:
        results = await send(events)
    except RejectedContent as error:
        if len(events) == 1:
            return [error]
        half = len(events) // 2
        return await _send_split(send, events[:half]) + await _send_split(send, events[half:])
    except DeliveryError as error:
        return [error] * len(events)
    except httpx.HTTPError as error:
        return [from_http_error(error)] * len(events)
    if len(results) != len(events):
        raise AssertionError(f"send answered {len(results)} results for {len(events)} events")
    return results


async def deliver(
    payloads: Sequence[dict[str, Any]], build: Build, send: Send, limits: BatchLimits
) -> BatchResult:
    """Build, split within `limits`, send; one result per payload (None when all went)."""
    results: Results = [None] * len(payloads)
    encoded: list[bytes] = []
    positions: list[int] = []
    for i, payload in enumerate(payloads):
        try:
            encoded.append(orjson.dumps(build(payload)))
        except DeliveryError as error:
            results[i] = error
        except orjson.JSONEncodeError as error:
            results[i] = TerminalError(f"the event cannot be encoded as JSON: {error}")
        else:
            positions.append(i)
    sizes = [len(item) for item in encoded]
    for part in split_by_size(sizes, limits.max_bytes or _NO_SIZE_LIMIT, limits.max_events):
        outcome = await _send_split(send, [encoded[j] for j in part])
        for j, result in zip(part, outcome, strict=True):
            results[positions[j]] = result
    return batch_result(results)


def single(perform_batch: PerformBatch) -> Perform:
    """`perform` for one payload through `perform_batch`: its error, if any, is raised."""

    async def perform(client: httpx.AsyncClient, settings: Any, payload: dict[str, Any]) -> None:
        result = await perform_batch(client, settings, [payload])
        if result is not None and result[0] is not None:
            raise result[0]

    return perform


def batched_action(
    perform_batch: PerformBatch,
    limits: BatchLimits,
    fields: Mapping[str, FieldSpec],
    description: str,
    title: str = "Send Conversion",
    subscription: str = 'type = "track"',
) -> ActionDefinition:
    """An ad platform's action: track events by default (the pipeline lets only its
    conversions through), batched within `limits` after the settings' `batch_wait_ms`."""
    return ActionDefinition(
        title=title,
        fields=fields,
        default_subscription=subscription,
        perform=single(perform_batch),
        perform_batch=perform_batch,
        batch=waiting(limits),
        description=description,
    )


def conversion_action(
    build: Build,
    post: Post,
    limits: BatchLimits,
    fields: Mapping[str, FieldSpec],
    description: str,
) -> ActionDefinition:
    """ "Send Conversion" for a platform whose events do not depend on the settings: `build`
    each payload, `post` them in batches."""

    async def perform_batch(
        client: httpx.AsyncClient, settings: Any, payloads: list[dict[str, Any]]
    ) -> BatchResult:
        async def send(events: list[bytes]) -> Results:
            return await post(client, settings, events)

        return await deliver(payloads, build, send, limits)

    return batched_action(perform_batch, limits, fields, description)
