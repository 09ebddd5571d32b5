"""send_conversion: events to POST /v3/{pixel_id}/events (or /events/validate), 2,000 a request.

Snap answers an `EventResponse` (business-sdk-v3 OpenAPI): `{"status": "VALID", "reason"}`,
or `{"status": "INVALID", "event": <index>, "errors": {"codes", "error_msgs"}}` naming the
event that failed; that event is dead-lettered and the others are sent again at once (whether
Snap kept any of an INVALID request is undocumented, conversions.md §9, and event_id makes a
resend safe). /events/validate answers `event_logs` with a status per event and records
nothing. 401/403 mean a bad token; 429 and 5xx are retried.
"""

from __future__ import annotations

from typing import Any

import httpx

from eventyard.delivery.http import raise_for_status
from eventyard.destinations.ads.conversion import conversion_fields
from eventyard.destinations.ads.sending import (
    RejectedContent,
    Results,
    conversion_action,
    envelope,
    json_object,
)
from eventyard.destinations.base import BatchLimits
from eventyard.destinations.snapchat_conversions_api.events import ACTION_SOURCES, to_snap
from eventyard.destinations.snapchat_conversions_api.settings import SnapSettings
from eventyard.errors import DeliveryError, TerminalError

__all__ = ["LIMITS", "send_conversion"]

LIMITS = BatchLimits(max_events=2000)
"""2,000 events per request (RudderStack, not on a primary page: conversions.md §5)."""


def _reason(answer: Any) -> str:
    """What Snap said was wrong: its error messages, else its reason."""
    if not isinstance(answer, dict):
        return "no reason given"
    errors = answer.get("errors")
    messages = errors.get("error_msgs") if isinstance(errors, dict) else None
    if isinstance(messages, list) and messages:
        return "; ".join(str(m) for m in messages[:5])[:300]
    return str(answer.get("reason") or "no reason given")[:300]


def _validated(answer: dict[str, Any], count: int) -> Results:
    """Per-event results of /events/validate."""
    results: Results = [None] * count
    logs = answer.get("event_logs")
    for log in logs if isinstance(logs, list) else []:
        index = log.get("event") if isinstance(log, dict) else None
        if isinstance(index, int) and 0 <= index < count and log.get("status") == "INVALID":
            results[index] = TerminalError(f"Snap's validation refused this event: {_reason(log)}")
    if answer.get("status") == "INVALID" and not any(results):
        raise RejectedContent(f"Snap's validation refused the events: {_reason(answer)}")
    return results


async def _send(client: httpx.AsyncClient, settings: SnapSettings, events: list[bytes]) -> Results:
    response = await client.post(
        settings.events_url,
        params={"access_token": settings.access_token},
        content=envelope("data", events),
        headers={"Content-Type": "application/json"},
    )
    status, answer = response.status_code, json_object(response)
    if 200 <= status < 300:
        if settings.validate_only:
            return _validated(answer, len(events))
        if answer.get("status") != "INVALID":
            return [None] * len(events)
    if status in (401, 403):
        raise TerminalError(
            f"Snap refused the access token (HTTP {status}): {_reason(answer)}; generate a "
            "Conversions API token in Ads Manager and check pixel_id",
            status,
        )
    if status == 429 or status >= 500 or answer.get("status") != "INVALID":
        raise_for_status(response)
        raise TerminalError(f"Snap answered HTTP {status}: {_reason(answer)}", status)
    return await _without_invalid(client, settings, events, answer)


async def _without_invalid(
    client: httpx.AsyncClient, settings: SnapSettings, events: list[bytes], answer: dict[str, Any]
) -> Results:
    """The INVALID event fails; the others are sent again (RejectedContent if none is named)."""
    index = answer.get("event")
    refused = f"Snap refused the events: {_reason(answer)}"
    if not isinstance(index, int) or not 0 <= index < len(events):
        raise RejectedContent(refused)
    others = events[:index] + events[index + 1 :]
    results: list[DeliveryError | None] = await _send(client, settings, others) if others else []
    results.insert(index, TerminalError(refused.replace("events", "event", 1)))
    return results


send_conversion = conversion_action(
    to_snap,
    _send,
    LIMITS,
    conversion_fields(ACTION_SOURCES),
    "Send a conversion to Snap, deduplicated with the pixel by event_id (the pixel's "
    "client_dedup_id).",
)
