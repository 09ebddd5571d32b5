"""logEvent's fields: Amplitude's event keys, with Segment's Amplitude logEvent defaults."""

from __future__ import annotations

from typing import Any

from eventyard.mapping.fields import FieldSpec

__all__ = ["FIELDS"]


def _path(path: str) -> dict[str, str]:
    return {"@path": path}


def _either(first: str, second: str) -> dict[str, Any]:
    return {"@if": {"exists": _path(first), "then": _path(first), "else": _path(second)}}


def _text(label: str, path: str | None = None) -> FieldSpec:
    return FieldSpec(label, "string", default=_path(path) if path else None)


FIELDS: dict[str, FieldSpec] = {
    "user_id": FieldSpec("User ID", "string", allow_null=True, default=_path("$.userId")),
    "device_id": FieldSpec(
        "Device ID", "string", default=_either("$.context.device.id", "$.anonymousId")
    ),
    "event_type": FieldSpec("Event Type", "string", required=True, default=_path("$.event")),
    "session_id": FieldSpec(
        "Session ID",
        "integer",
        default=_path("$.integrations.Actions Amplitude.session_id"),
        description="Session start in ms since epoch, as Amplitude's browser SDK sets it.",
    ),
    "time": FieldSpec("Timestamp", "datetime", default=_path("$.timestamp")),
    "insert_id": FieldSpec(
        "Insert ID",
        "string",
        default=_path("$.messageId"),
        description="Amplitude drops repeats within 7 days, so retries never double-count.",
    ),
    "event_properties": FieldSpec("Event Properties", "object", default=_path("$.properties")),
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
    "price": FieldSpec("Price", "number", default=_path("$.properties.price")),
    "quantity": FieldSpec("Quantity", "integer", default=_path("$.properties.quantity")),
    "revenue": FieldSpec("Revenue", "number", default=_path("$.properties.revenue")),
    "productId": _text("Product ID", "$.properties.productId"),
    "revenueType": _text("Revenue Type", "$.properties.revenueType"),
    "location_lat": FieldSpec("Latitude", "number", default=_path("$.context.location.latitude")),
    "location_lng": FieldSpec("Longitude", "number", default=_path("$.context.location.longitude")),
    "ip": _text("IP Address", "$.context.ip"),
    "idfa": FieldSpec(
        "IDFA", "string", default=_either("$.context.device.advertisingId", "$.context.device.idfa")
    ),
    "idfv": _text("IDFV", "$.context.device.id"),
    "adid": FieldSpec(
        "Google Advertising ID",
        "string",
        default=_either("$.context.device.advertisingId", "$.context.device.idfa"),
    ),
    "android_id": _text("Android ID"),
    "event_id": FieldSpec("Event ID", "integer"),
    "library": _text("Library", "$.context.library.name"),
}
