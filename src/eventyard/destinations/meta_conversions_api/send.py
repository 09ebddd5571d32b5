"""send_conversion: server events to POST /{version}/{pixel_id}/events, up to 1,000 a request.

Meta's batches are all-or-nothing: one invalid event rejects the request and nothing is
processed. Events Meta would refuse are caught before sending (see events.to_meta) and a
rejected request is split until the bad event is alone (ads.sending), so good events go on.
"""

from __future__ import annotations

import httpx

from eventyard.destinations.ads.conversion import conversion_fields
from eventyard.destinations.ads.sending import Results, conversion_action, envelope
from eventyard.destinations.base import BatchLimits
from eventyard.destinations.meta_conversions_api.errors import meta_error
from eventyard.destinations.meta_conversions_api.events import ACTION_SOURCES, to_meta
from eventyard.destinations.meta_conversions_api.settings import MetaSettings

__all__ = ["LIMITS", "send_conversion"]

LIMITS = BatchLimits(max_events=1000)


async def _post(client: httpx.AsyncClient, settings: MetaSettings, events: list[bytes]) -> Results:
    response = await client.post(
        settings.events_url,
        content=envelope("data", events, test_event_code=settings.test_event_code),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {settings.access_token}",
        },
    )
    if 200 <= response.status_code < 300:
        return [None] * len(events)
    raise meta_error(response)


send_conversion = conversion_action(
    to_meta,
    _post,
    LIMITS,
    conversion_fields(ACTION_SOURCES),
    "Send a conversion as a Meta server event, deduplicated with the pixel by event_name + "
    "event_id.",
)
