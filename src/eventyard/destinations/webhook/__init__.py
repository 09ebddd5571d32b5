"""Webhook: POST events (by default the whole enriched Segment JSON) to a URL.

One action, `send`, like Segment's Webhook (Actions): `data` is the body (default: the whole
event), and `url`, `method` and `headers` may be mapped per event, falling back to the
settings. With `batch_size` > 1 in the settings, bodies are JSON arrays of up to that many
`data` values. `X-Signature` is the hex HMAC-SHA1 of the exact body bytes when
`shared_secret` is set.

Unordered: like Segment's webhook, no per-user order is promised, so deliveries run in
parallel and batch freely; receivers order by `timestamp` and deduplicate by `messageId`.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx
import orjson

from eventyard.delivery.http import raise_for_status
from eventyard.destinations.base import (
    ActionDefinition,
    BatchLimits,
    BatchResult,
    DestinationDefinition,
)
from eventyard.destinations.common import batch_result, failure_of, path
from eventyard.destinations.webhook.settings import WebhookSettings, check_url, header_problem
from eventyard.errors import DeliveryError, TerminalError
from eventyard.mapping import FieldSpec

__all__ = ["WebhookSettings", "definition", "sign"]

Payload = dict[str, Any]
_Target = tuple[str, str, tuple[tuple[str, str], ...]]

ALL_TYPES = (
    'type = "track" or type = "identify" or type = "page" or type = "screen"'
    ' or type = "group" or type = "alias"'
)

FIELDS = {
    "url": FieldSpec(
        "URL",
        "string",
        format="uri",
        description="Where to send this event; default: the destination's `url` setting.",
    ),
    "method": FieldSpec(
        "Method", "string", default="POST", choices=("POST", "PUT", "PATCH"), required=True
    ),
    "headers": FieldSpec(
        "Headers",
        "object",
        description="Extra request headers for this event, over the `headers` setting.",
    ),
    "data": FieldSpec(
        "Data",
        "object",
        required=True,
        default=path("$."),
        description="The JSON body; by default the whole event.",
    ),
}


def sign(secret: str, body: bytes) -> str:
    """X-Signature: hex HMAC-SHA1 of the exact body bytes."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha1).hexdigest()


def _target(settings: WebhookSettings, payload: Payload) -> _Target:
    """(url, method, extra headers) for a payload; TerminalError when they cannot be sent.

    The settings were validated at load; only what the payload maps itself is checked here.
    """
    url = payload.get("url") or settings.url
    if url is not settings.url and (problem := check_url(url)):
        raise TerminalError(problem)
    headers = payload.get("headers")
    if not headers:
        return url, payload.get("method", "POST"), ()
    for name, value in headers.items():
        if problem := header_problem(name, value):
            raise TerminalError(problem)
    return url, payload.get("method", "POST"), tuple(sorted(headers.items()))


async def _send(
    client: httpx.AsyncClient, settings: WebhookSettings, target: _Target, body: bytes
) -> None:
    url, method, extra = target
    headers = {**settings.headers, **dict(extra), "Content-Type": "application/json"}
    if settings.shared_secret:
        headers["X-Signature"] = sign(settings.shared_secret, body)
    response = await client.request(method, url, content=body, headers=headers)
    raise_for_status(response)


async def perform(client: httpx.AsyncClient, settings: WebhookSettings, payload: Payload) -> None:
    await _send(client, settings, _target(settings, payload), orjson.dumps(payload["data"]))


async def perform_batch(
    client: httpx.AsyncClient, settings: WebhookSettings, payloads: list[Payload]
) -> BatchResult:
    """One JSON array per distinct (url, method, headers); each payload gets its group's fate."""
    if _one_target(payloads):  # the usual case: one request, one encoding call
        target = _target(settings, payloads[0])
        await _send(client, settings, target, orjson.dumps([p["data"] for p in payloads]))
        return None
    results: list[DeliveryError | None] = [None] * len(payloads)
    groups: dict[_Target, list[int]] = {}
    for i, payload in enumerate(payloads):
        try:
            groups.setdefault(_target(settings, payload), []).append(i)
        except TerminalError as error:
            results[i] = error
    for target, members in groups.items():
        body = b"[" + b",".join(orjson.dumps(payloads[i]["data"]) for i in members) + b"]"
        failure = await failure_of(_send(client, settings, target, body))
        for i in members:
            results[i] = failure
    return batch_result(results)


def _one_target(payloads: list[Payload]) -> bool:
    """True when no payload maps its own url or headers and all share one method."""
    method = payloads[0].get("method")
    return all(
        "url" not in p and "headers" not in p and p.get("method") == method for p in payloads
    )


def _batch(settings: WebhookSettings) -> BatchLimits | None:
    if settings.batch_size <= 1:
        return None
    return BatchLimits(max_events=settings.batch_size, max_wait=settings.batch_wait_ms / 1000)


definition = DestinationDefinition(
    slug="webhook",
    name="Webhook",
    catalog_names=("Webhooks", "Webhook", "Webhooks (Actions)"),
    settings=WebhookSettings,
    actions={
        "send": ActionDefinition(
            title="Send",
            description="Send an HTTP request with the event (or a mapped body) as JSON.",
            fields=FIELDS,
            default_subscription=ALL_TYPES,
            perform=perform,
            perform_batch=perform_batch,
            batch=_batch,
        )
    },
    ordered=False,
    description="POST events as JSON to any URL, optionally signed with HMAC-SHA1.",
)
