"""identifyUser: user properties through the Identify API, without logging an event."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from eventyard.delivery.http import raise_for_status
from eventyard.destinations.amplitude.common import check_ids, throttled
from eventyard.destinations.amplitude.event_fields import IDS, PROFILE
from eventyard.destinations.amplitude.settings import AmplitudeSettings
from eventyard.destinations.base import ActionDefinition
from eventyard.destinations.common import text
from eventyard.errors import TerminalError
from eventyard.mapping.fields import FieldSpec

__all__ = ["identify_user"]


FIELDS: dict[str, FieldSpec] = {
    **IDS,
    **PROFILE,
    "paying": FieldSpec("Is Paying", "boolean"),
    "start_version": text("Initial Version"),
}


async def perform(
    client: httpx.AsyncClient, settings: AmplitudeSettings, payload: dict[str, Any]
) -> None:
    check_ids(payload, settings)
    identification = {k: v for k, v in payload.items() if v is not None}
    response = await client.post(
        f"{settings.ingest_url}/identify",
        data={"api_key": settings.api_key, "identification": orjson.dumps(identification).decode()},
    )
    if response.status_code == 429:
        raise throttled(response)
    if response.status_code == 400:
        raise TerminalError(
            f"Amplitude rejected the identify: {response.text[:200].strip()}; "
            "check api_key in the destination settings and the mapped fields"
        )
    raise_for_status(response)


identify_user = ActionDefinition(
    title="Identify User",
    fields=FIELDS,
    default_subscription='type = "identify"',
    perform=perform,
    description="Set user properties for a user or device id without logging an event.",
)
