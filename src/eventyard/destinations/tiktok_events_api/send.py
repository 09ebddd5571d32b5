"""send_conversion: events to POST /open_api/{version}/event/track/, up to 1,000 a request.

TikTok answers HTTP 200 with a `code` in the body (conversions.md §4, RudderStack's
tiktok_ads networkHandler): 0 is success; 20001 is a partial success, where the valid events
were taken (logged, and treated as delivered: TikTok does not say which events failed in a
machine-readable way); 40100 is throttling and 40700 an internal error, both retried; 40002
is a parameter error in the events (the request is split to find the bad one); 40001 is an
authentication or permission problem. Other codes follow the HTTP status.
"""

from __future__ import annotations

import logging

import httpx

from eventyard.delivery.http import parse_retry_after, raise_for_status
from eventyard.destinations.ads.conversion import conversion_fields
from eventyard.destinations.ads.sending import (
    RejectedContent,
    Results,
    conversion_action,
    envelope,
    json_object,
)
from eventyard.destinations.base import BatchLimits
from eventyard.destinations.tiktok_events_api.events import to_tiktok
from eventyard.destinations.tiktok_events_api.settings import TikTokSettings
from eventyard.errors import DeliveryError, TerminalError, TransientError

__all__ = ["LIMITS", "send_conversion", "tiktok_error"]

LIMITS = BatchLimits(max_events=1000)
PARTIAL = 20001
log = logging.getLogger(__name__)


def tiktok_error(response: httpx.Response) -> DeliveryError | None:
    """None when TikTok took the events, else the error its answer stands for."""
    body = json_object(response)
    code = body.get("code")
    detail = str(body.get("message") or "no message")[:300]
    said = f"TikTok answered code {code}: {detail}"
    ok = 200 <= response.status_code < 300
    if ok and code in (0, PARTIAL):
        if code == PARTIAL:
            log.warning("TikTok took only some events of a request: %s", detail)
        return None
    if code in (40100, 40700):
        wait = parse_retry_after(response.headers.get("retry-after"))
        return TransientError(f"{said}; retrying", wait, response.status_code)
    if code == 40001:
        return TerminalError(
            f"{said}; check access_token and that it was generated for event_source_id",
            response.status_code,
        )
    if code == 40002:
        return RejectedContent(said, response.status_code)
    if not ok or not isinstance(code, int):
        try:
            raise_for_status(response)
        except DeliveryError as error:
            return error
        return TerminalError(f"TikTok answered without a code: {response.text[:200]}")
    return TerminalError(said, response.status_code)


async def _post(
    client: httpx.AsyncClient, settings: TikTokSettings, events: list[bytes]
) -> Results:
    body = envelope(
        "data",
        events,
        event_source=settings.event_source,
        event_source_id=settings.event_source_id,
        test_event_code=settings.test_event_code,
    )
    response = await client.post(
        settings.track_url,
        content=body,
        headers={"Content-Type": "application/json", "Access-Token": settings.access_token},
    )
    error = tiktok_error(response)
    if error is not None:
        raise error
    return [None] * len(events)


send_conversion = conversion_action(
    to_tiktok,
    _post,
    LIMITS,
    conversion_fields(None),
    "Report a conversion to TikTok, deduplicated with the pixel by event + event_id.",
)
