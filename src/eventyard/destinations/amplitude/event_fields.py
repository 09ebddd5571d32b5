"""logEvent's fields: Amplitude's event keys, with Segment's Amplitude logEvent defaults."""

from __future__ import annotations

from eventyard.destinations.common import either, path, text
from eventyard.mapping.fields import FieldSpec

__all__ = ["FIELDS", "IDS", "PROFILE"]


IDS: dict[str, FieldSpec] = {
    "user_id": FieldSpec("User ID", "string", allow_null=True, default=path("$.userId")),
    "device_id": FieldSpec(
        "Device ID", "string", default=either("$.context.device.id", "$.anonymousId")
    ),
}
"""Who: the fields logEvent and identifyUser both start with."""

PROFILE: dict[str, FieldSpec] = {
    "user_properties": FieldSpec("User Properties", "object", default=path("$.traits")),
    "groups": FieldSpec("Groups", "object"),
    "app_version": text("App Version", "$.context.app.version"),
    "platform": text("Platform", "$.context.device.type"),
    "os_name": text("OS Name", "$.context.os.name"),
    "os_version": text("OS Version", "$.context.os.version"),
    "device_brand": text("Device Brand", "$.context.device.brand"),
    "device_manufacturer": text("Device Manufacturer", "$.context.device.manufacturer"),
    "device_model": text("Device Model", "$.context.device.model"),
    "carrier": text("Carrier", "$.context.network.carrier"),
    "country": text("Country", "$.context.location.country"),
    "region": text("Region", "$.context.location.region"),
    "city": text("City", "$.context.location.city"),
    "dma": text("Designated Market Area"),
    "language": text("Language", "$.context.locale"),
}
"""User properties, groups and the device: shared by logEvent and identifyUser."""

FIELDS: dict[str, FieldSpec] = {
    **IDS,
    "event_type": FieldSpec("Event Type", "string", required=True, default=path("$.event")),
    "session_id": FieldSpec(
        "Session ID",
        "integer",
        default=path("$.integrations.Actions Amplitude.session_id"),
        description="Session start in ms since epoch, as Amplitude's browser SDK sets it.",
    ),
    "time": FieldSpec("Timestamp", "datetime", default=path("$.timestamp")),
    "insert_id": FieldSpec(
        "Insert ID",
        "string",
        default=path("$.messageId"),
        description="Amplitude drops repeats within 7 days, so retries never double-count.",
    ),
    "event_properties": FieldSpec("Event Properties", "object", default=path("$.properties")),
    **PROFILE,
    "price": FieldSpec("Price", "number", default=path("$.properties.price")),
    "quantity": FieldSpec("Quantity", "integer", default=path("$.properties.quantity")),
    "revenue": FieldSpec("Revenue", "number", default=path("$.properties.revenue")),
    "productId": text("Product ID", "$.properties.productId"),
    "revenueType": text("Revenue Type", "$.properties.revenueType"),
    "location_lat": FieldSpec("Latitude", "number", default=path("$.context.location.latitude")),
    "location_lng": FieldSpec("Longitude", "number", default=path("$.context.location.longitude")),
    "ip": text("IP Address", "$.context.ip"),
    "idfa": FieldSpec(
        "IDFA", "string", default=either("$.context.device.advertisingId", "$.context.device.idfa")
    ),
    "idfv": text("IDFV", "$.context.device.id"),
    "adid": FieldSpec(
        "Google Advertising ID",
        "string",
        default=either("$.context.device.advertisingId", "$.context.device.idfa"),
    ),
    "android_id": text("Android ID"),
    "event_id": FieldSpec("Event ID", "integer"),
    "library": text("Library", "$.context.library.name"),
}
