"""send_conversion: events to POST /v5/ad_accounts/{id}/events, up to 1,000 a request.

Pinterest reports per event (conversions.md §6): 200 (and 422, "not all events were
processed") carry `events`, one `{status: processed | failed, error_message}` per event in
request order; failed events are dead-lettered, never retried. Errors `{code, message}`: 400
code 4196 is an invalid request (split to find the bad event), 401 code 2 a bad token, 403
code 29 a missing role; 429 code 8 and 503 code 4197 are retried, as is any 5xx.
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
from eventyard.destinations.common import text
from eventyard.destinations.pinterest_conversions_api.events import ACTION_SOURCES, to_pinterest
from eventyard.destinations.pinterest_conversions_api.settings import PinterestSettings
from eventyard.errors import DeliveryError, TerminalError

__all__ = ["LIMITS", "results_of", "send_conversion"]

LIMITS = BatchLimits(max_events=1000)
_INVALID_REQUEST = 4196


def results_of(answer: dict[str, Any], count: int, status: int) -> Results | None:
    """Per-event results from `events`, or None when the answer does not list every event."""
    listed = answer.get("events")
    if not isinstance(listed, list) or len(listed) != count:
        return None
    results: Results = []
    for item in listed:
        item = item if isinstance(item, dict) else {}
        if item.get("status") == "processed":
            results.append(None)
        else:
            why = str(item.get("error_message") or "no reason given")[:300]
            results.append(TerminalError(f"Pinterest did not process this event: {why}", status))
    return results


def _error(response: httpx.Response, answer: dict[str, Any]) -> DeliveryError:
    status, code = response.status_code, answer.get("code")
    said = f"Pinterest answered HTTP {status}, code {code}: {str(answer.get('message'))[:300]}"
    if status == 401:
        return TerminalError(f"{said}; check conversion_token", status)
    if status == 403:
        return TerminalError(
            f"{said}; the token's user needs a role on ad account (Admin, Analyst, Audience or "
            "Campaign) and ad_account_id must be right",
            status,
        )
    if status == 400 and code == _INVALID_REQUEST:
        return RejectedContent(said, status)
    if status == 422:
        return TerminalError(f"{said}; not all events were processed, none is retried", status)
    try:
        raise_for_status(response)
    except DeliveryError as error:
        return error
    return TerminalError(said, status)


async def _send(
    client: httpx.AsyncClient, settings: PinterestSettings, events: list[bytes]
) -> Results:
    response = await client.post(
        settings.events_url,
        params={"test": "true"} if settings.test_mode else None,
        content=envelope("data", events),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {settings.conversion_token}",
        },
    )
    answer = json_object(response)
    ok = 200 <= response.status_code < 300
    if ok or response.status_code == 422:
        results = results_of(answer, len(events), response.status_code)
        if results is not None:
            return results
        if ok:
            return [None] * len(events)
    raise _error(response, answer)


send_conversion = conversion_action(
    to_pinterest,
    _send,
    LIMITS,
    {
        **conversion_fields(ACTION_SOURCES),
        "os_name": text(
            "OS Name",
            "$.context.os.name",
            "App events from Android go as app_android, others as app_ios.",
        ),
    },
    "Send a conversion to Pinterest, deduplicated with the Pinterest tag by event_id.",
)
