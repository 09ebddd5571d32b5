"""The `send` action: one HTTP request per event, or JSON arrays of events when batching."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from eventyard.delivery.http import raise_for_status
from eventyard.destinations.base import ActionDefinition, BatchLimits, BatchResult
from eventyard.destinations.common import batch_result, failure_of, path, split_by_size
from eventyard.destinations.http_request.settings import HttpRequestSettings, header_problem
from eventyard.errors import DeliveryError, TerminalError
from eventyard.mapping.fields import FieldSpec

__all__ = ["METHODS", "batch_limits", "perform", "perform_batch", "send"]

METHODS = ("POST", "PUT", "PATCH", "DELETE", "GET")

FIELDS = {
    "url": FieldSpec(
        "URL", "string", required=True, format="uri", description="Where to send the request."
    ),
    "method": FieldSpec(
        "Method",
        "string",
        required=True,
        default="POST",
        choices=tuple({"label": m, "value": m} for m in METHODS),
        description="HTTP method; GET sends no body.",
    ),
    "headers": FieldSpec(
        "Headers",
        "object",
        description="Headers for this request (ASCII); they override the settings' headers.",
    ),
    "data": FieldSpec(
        "Data",
        "object",
        default=path("$."),
        description="The JSON body; by default the whole event.",
    ),
}


@dataclass(frozen=True, slots=True)
class _Request:
    url: str
    method: str
    headers: tuple[tuple[str, str], ...]
    """Merged settings and mapped headers, without Content-Type/X-Signature."""
    body: bytes | None
    """The JSON of `data`, or None when there is none to send (GET, or no `data`)."""


def _header_value(name: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise TerminalError(f"header {name!r} must be a string, not {type(value).__name__}")


def _prepare(settings: HttpRequestSettings, payload: dict[str, Any]) -> _Request:
    """Check what the mapping produced; a bad URL or header is the user's to fix."""
    url = payload["url"]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TerminalError(
            f"url {url!r} must be an absolute http:// or https:// URL; fix the `url` mapping"
        )
    method = payload.get("method", "POST")
    merged = {name.lower(): (name, value) for name, value in settings.headers.items()}
    for name, raw in (payload.get("headers") or {}).items():
        value = _header_value(name, raw)
        problem = header_problem(name, value)
        if problem:
            raise TerminalError(f"{problem} (the `headers` mapping)")
        merged[name.lower()] = (name, value)
    body = None
    if method != "GET" and "data" in payload:
        body = orjson.dumps(payload["data"])
    return _Request(url, method, tuple(sorted(merged.values())), body)


async def _send(
    client: httpx.AsyncClient, settings: HttpRequestSettings, request: _Request
) -> None:
    headers = dict(request.headers)
    if request.body is not None:
        if not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = "application/json"
        if settings.shared_secret:
            digest = hmac.new(settings.shared_secret.encode(), request.body, hashlib.sha1)
            headers["X-Signature"] = digest.hexdigest()
    response = await client.request(
        request.method, request.url, headers=headers, content=request.body
    )
    raise_for_status(response)


async def perform(
    client: httpx.AsyncClient, settings: HttpRequestSettings, payload: dict[str, Any]
) -> None:
    await _send(client, settings, _prepare(settings, payload))


async def perform_batch(
    client: httpx.AsyncClient, settings: HttpRequestSettings, payloads: list[dict[str, Any]]
) -> BatchResult:
    """Group by url, method and headers (Segment's batch keys); each group posts arrays.

    GET requests carry no body, so they go one by one. A bad URL or header fails only the
    payloads that have it.
    """
    results: list[DeliveryError | None] = [None] * len(payloads)
    groups: dict[_Request, list[tuple[int, bytes]]] = {}
    singles: list[tuple[int, _Request]] = []
    for i, payload in enumerate(payloads):
        try:
            request = _prepare(settings, payload)
        except DeliveryError as error:
            results[i] = error
            continue
        if request.method == "GET":
            singles.append((i, request))
        else:
            key = _Request(request.url, request.method, request.headers, None)
            groups.setdefault(key, []).append((i, request.body or b"null"))

    async def deliver(indexes: list[int], request: _Request) -> None:
        failed = await failure_of(_send(client, settings, request))
        for i in indexes:
            results[i] = failed

    calls = [deliver([i], request) for i, request in singles]
    for key, items in groups.items():
        sizes = [len(data) for _, data in items]
        # overhead 1: "[]" is 2 bytes, and n items need n - 1 commas, not n
        for part in split_by_size(sizes, settings.batch_max_bytes, settings.batch_size, 1):
            body = b"[" + b",".join(items[j][1] for j in part) + b"]"
            batch = _Request(key.url, key.method, key.headers, body)
            calls.append(deliver([items[j][0] for j in part], batch))
    await asyncio.gather(*calls)
    return batch_result(results)


def batch_limits(settings: HttpRequestSettings) -> BatchLimits | None:
    if not settings.enable_batching:
        return None
    return BatchLimits(
        max_events=settings.batch_size,
        max_wait=settings.batch_wait_ms / 1000,
        max_bytes=settings.batch_max_bytes,
    )


send = ActionDefinition(
    title="Send",
    description="Send an HTTP request built from the mapping (by default POST the event).",
    fields=FIELDS,
    default_subscription='type = "track" or type = "identify" or type = "page" '
    'or type = "screen" or type = "group" or type = "alias"',
    perform=perform,
    perform_batch=perform_batch,
    batch=batch_limits,
)
