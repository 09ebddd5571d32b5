"""identifyUser: user properties through the Identify API, without logging an event."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from eventyard.delivery.http import raise_for_status
from eventyard.destinations.amplitude.common import id_problem, throttled
from eventyard.destinations.amplitude.settings import AmplitudeSettings
from eventyard.destinations.base import ActionDefinition
from eventyard.errors import TerminalError
from eventyard.mapping.fields import FieldSpec

__all__ = ["identify_user"]


def _path(path: str) -> dict[str, str]:
    return {"@path": path}


def _text(label: str, path: str | None = None) -> FieldSpec:
    return FieldSpec(label, "string", default=_path(path) if path else None)


FIELDS: dict[str, FieldSpec] = {
    "user_id": FieldSpec("User ID", "string", allow_null=True, default=_path("$.userId")),
    "device_id": FieldSpec(
        "Device ID",
        "string",
        default={
            "@if": {
                "exists": _path("$.context.device.id"),
                "then": _path("$.context.device.id"),
                "else": _path("$.anonymousId"),
            }
        },
    ),
    "user_properties": FieldSpec("User Properties", "object", default=_path("$.traits")),
    "groups": FieldSpec("Groups", "object"),
    "app_version": _text("App Version", "$.context.app.version"),
    "platform": _text("Platform", "$.context.device.type"),
    "os_name": _text("OS Name", "$.context.os.name"),
    "os_version": _text("OS Version", "$.context.os.version"),
    "device_brand": _text("Device Brand", "$.context.device.brand"),
    "device_manufacturer": _text("Device Manufacturer", "$.context.device.manufacturer"),
    "device_model": _text("Device Model", "$.context.device.model"),
    "carrier": _text("Carrier", "$.context.network.carrier"),
    "country": _text("Country", "$.context.location.country"),
    "region": _text("Region", "$.context.location.region"),
    "city": _text("City", "$.context.location.city"),
    "dma": _text("Designated Market Area"),
    "language": _text("Language", "$.context.locale"),
    "paying": FieldSpec("Is Paying", "boolean"),
    "start_version": _text("Initial Version"),
}


async def perform(
    client: httpx.AsyncClient, settings: AmplitudeSettings, payload: dict[str, Any]
) -> None:
    problem = id_problem(payload, settings)
    if problem:
        raise TerminalError(problem)
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
