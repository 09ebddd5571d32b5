"""send_conversion: events to the Conversions API, up to 1000 per request.

Reddit documents no per-event results, so a 400 is taken to be about the events: the request
is split until the event it is about is alone, and the others go through.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import httpx

from eventyard.delivery.http import raise_for_status
from eventyard.destinations.ads.conversion import CONVERSION_PATH, conversion_fields
from eventyard.destinations.ads.sending import (
    RejectedContent,
    Results,
    batched_action,
    deliver,
    envelope,
)
from eventyard.destinations.base import BatchLimits, BatchResult
from eventyard.destinations.common import text
from eventyard.destinations.reddit_conversions_api.events import build
from eventyard.destinations.reddit_conversions_api.settings import RedditSettings
from eventyard.errors import TerminalError
from eventyard.mapping.fields import FieldSpec

__all__ = ["FIELDS", "MAX_EVENTS", "send_conversion"]

MAX_EVENTS = 1000
_LIMITS = BatchLimits(MAX_EVENTS)

FIELDS: dict[str, FieldSpec] = {
    **conversion_fields(("WEBSITE", "APP", "PHYSICAL_STORE", "OTHER")),
    "click_id": text(
        "Click ID",
        f"{CONVERSION_PATH}.click_ids.rdt_cid",
        "The rdt_cid parameter of the ad's landing URL (remembered per user).",
    ),
}


def _body(settings: RedditSettings, events: list[bytes]) -> bytes:
    if settings.api_version == "v2.0":
        test_mode = settings.test_mode or None
        return envelope("events", events, test_mode=test_mode, partner=settings.partner)
    inner = envelope("events", events, test_id=settings.test_id, partner=settings.partner)
    return b'{"data":' + inner + b"}"


async def _send(
    client: httpx.AsyncClient, settings: RedditSettings, events: list[bytes]
) -> Results:
    """One request with these encoded events; raises what Reddit's answer means."""
    response = await client.post(
        settings.events_url,
        content=_body(settings, events),
        headers={
            "Authorization": f"Bearer {settings.conversion_token}",
            "Content-Type": "application/json",
        },
    )
    said = response.text[:300].strip()
    if response.status_code == 401:
        raise TerminalError(
            f"Reddit refused the conversion token (HTTP 401: {said}); generate a new one in "
            "Events Manager → Conversions API",
            status=401,
        )
    if response.status_code == 403:
        raise TerminalError(
            f"Reddit refused access (HTTP 403: {said}); check pixel_id / ad_account_id and "
            "that the token belongs to it",
            status=403,
        )
    if response.status_code in (400, 422):
        raise RejectedContent(f"Reddit rejected the events (HTTP {response.status_code}: {said})")
    raise_for_status(response)
    return [None] * len(events)


async def perform_batch(
    client: httpx.AsyncClient, settings: RedditSettings, payloads: list[dict[str, Any]]
) -> BatchResult:
    return await deliver(
        payloads, partial(build, settings), partial(_send, client, settings), _LIMITS
    )


send_conversion = batched_action(
    perform_batch,
    _LIMITS,
    FIELDS,
    "Send a conversion (Purchase, Lead, SignUp, ... or a custom event) with its value, "
    "products, hashed user data and click ID, deduplicated with the pixel.",
)
