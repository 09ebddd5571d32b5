"""Requests to PostHog's capture API and what its answers mean.

Single events go to `POST /i/v0/e/`, batches to `POST /batch/` (one request body under
20 MB, no count limit). Authentication is the project API key in the JSON body. PostHog
answers 200 `{"status": 1}`; 401 for an unknown key, 400 for an invalid event, 413 for a body
over the limit, each with a JSON `detail`; a batch is accepted or rejected as a whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import orjson

from eventyard.delivery.http import raise_for_status
from eventyard.destinations.common import split_by_size
from eventyard.destinations.posthog.settings import EU_HOST, US_HOST, PostHogSettings
from eventyard.errors import DeliveryError, TerminalError

__all__ = ["MAX_BODY_BYTES", "check_response", "post_batch", "post_event", "test_connection"]

MAX_BODY_BYTES = 20_000_000
"""PostHog: "the entire request body must be less than 20MB"."""
_HEADERS = {"Content-Type": "application/json"}


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip()
    detail = body.get("detail") if isinstance(body, dict) else None
    return str(detail) if detail else response.text[:200].strip()


def check_response(response: httpx.Response) -> None:
    """PostHog's own 4xx meanings, with what to fix; everything else by status class."""
    code = response.status_code
    detail = _detail(response) if 400 <= code < 500 else ""
    if code in (401, 403):
        raise TerminalError(
            f"PostHog rejected api_key (HTTP {code}: {detail}); set api_key to the project "
            f"API key (phc_...) from Project settings, not a personal API key, and check that "
            f"host is your project's region ({US_HOST} or {EU_HOST})",
            status=code,
        )
    if code == 413:
        raise TerminalError(
            f"PostHog: request body over its 20 MB limit (HTTP 413: {detail})", status=code
        )
    if code == 400:
        raise TerminalError(
            f"PostHog rejected the event (HTTP 400: {detail}); check the mapping", status=code
        )
    raise_for_status(response)


async def post_event(
    client: httpx.AsyncClient, settings: PostHogSettings, event: dict[str, Any]
) -> None:
    """One event to /i/v0/e/ (a historical migration goes through /batch/, which flags it)."""
    if settings.historical_migration:
        await _post_body(client, settings, [orjson.dumps(event)])
        return
    body = orjson.dumps({"api_key": settings.api_key, **event})
    response = await client.post(f"{settings.host}/i/v0/e/", content=body, headers=_HEADERS)
    check_response(response)


async def _post_body(
    client: httpx.AsyncClient, settings: PostHogSettings, encoded: Sequence[bytes]
) -> None:
    head = orjson.dumps(
        {"api_key": settings.api_key, "historical_migration": settings.historical_migration}
    )
    body = head[:-1] + b',"batch":[' + b",".join(encoded) + b"]}"
    response = await client.post(f"{settings.host}/batch/", content=body, headers=_HEADERS)
    check_response(response)


def _chunks(encoded: Sequence[bytes]) -> list[range]:
    """Index ranges whose bodies stay under the 20 MB limit (with room for the envelope)."""
    return list(split_by_size([len(item) for item in encoded], MAX_BODY_BYTES - 1_000))


async def post_batch(
    client: httpx.AsyncClient, settings: PostHogSettings, events: Sequence[dict[str, Any]]
) -> list[DeliveryError | None]:
    """POST /batch/ in order, split at 20 MB; after a failure the rest wait (order matters).

    Returns one entry per event: None when PostHog took it, else the error to retry or drop.
    """
    encoded = [orjson.dumps(event) for event in events]
    results: list[DeliveryError | None] = [None] * len(events)
    chunks = _chunks(encoded)
    for number, chunk in enumerate(chunks):
        if len(chunk) == 1 and len(encoded[chunk[0]]) > MAX_BODY_BYTES - 1_000:
            results[chunk[0]] = TerminalError("PostHog: this event alone is over 20 MB; drop data")
            continue
        try:
            await _post_body(client, settings, [encoded[i] for i in chunk])
        except DeliveryError as error:
            for index in (i for rest in chunks[number:] for i in rest):
                results[index] = error
            break
    return results


async def test_connection(client: httpx.AsyncClient, settings: PostHogSettings) -> None:
    """`POST /flags/?v=2` checks the project API key without capturing anything."""
    body = orjson.dumps({"api_key": settings.api_key, "distinct_id": "eventyard-connection-test"})
    response = await client.post(f"{settings.host}/flags/?v=2", content=body, headers=_HEADERS)
    check_response(response)
