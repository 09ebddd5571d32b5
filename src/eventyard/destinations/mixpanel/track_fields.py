"""trackEvent's fields (Segment's Mixpanel trackEvent defaults) and the Mixpanel names they take."""

from __future__ import annotations

from typing import Any

from eventyard.mapping.fields import FieldSpec

__all__ = ["FIELDS", "RENAMED"]


def _path(path: str) -> dict[str, str]:
    return {"@path": path}


def _text(label: str, path: str, description: str = "") -> FieldSpec:
    return FieldSpec(label, "string", default=_path(path), description=description)


def _either(first: str, second: str) -> dict[str, Any]:
    return {"@if": {"exists": _path(first), "then": _path(first), "else": _path(second)}}


FIELDS: dict[str, FieldSpec] = {
    "event": FieldSpec("Event Name", "string", required=True, default=_path("$.event")),
    "distinct_id": FieldSpec(
        "Distinct ID",
        "string",
        required=True,
        default=_either("$.userId", "$.anonymousId"),
        description="Who did it: the userId, else the anonymousId.",
    ),
    "insert_id": FieldSpec(
        "Insert ID",
        "string",
        default=_path("$.messageId"),
        description="Mixpanel drops repeats of this id, so retries never double-count.",
    ),
    "time": FieldSpec("Timestamp", "datetime", default=_path("$.timestamp")),
    "event_properties": FieldSpec("Event Properties", "object", default=_path("$.properties")),
    "group_id": _text("Group ID", "$.context.groupId"),
    "app_name": _text("App Name", "$.context.app.name"),
    "app_namespace": _text("App Namespace", "$.context.app.namespace"),
    "app_build": _text("App Build", "$.context.app.build"),
    "app_version": _text("App Version", "$.context.app.version"),
    "os_name": _text("OS Name", "$.context.os.name"),
    "os_version": _text("OS Version", "$.context.os.version"),
    "device_id": _text("Device ID", "$.context.device.id"),
    "device_type": _text("Device Type", "$.context.device.type"),
    "device_name": _text("Device Name", "$.context.device.name"),
    "device_manufacturer": _text("Device Manufacturer", "$.context.device.manufacturer"),
    "device_model": _text("Device Model", "$.context.device.model"),
    "bluetooth": FieldSpec("Bluetooth", "boolean", default=_path("$.context.network.bluetooth")),
    "cellular": FieldSpec("Cellular", "boolean", default=_path("$.context.network.cellular")),
    "wifi": FieldSpec("Wifi", "boolean", default=_path("$.context.network.wifi")),
    "carrier": _text("Carrier", "$.context.network.carrier"),
    "country": _text("Country", "$.context.location.country"),
    "region": _text("Region", "$.context.location.region"),
    "language": _text("Language", "$.context.locale"),
    "library_name": _text("Library Name", "$.context.library.name"),
    "library_version": _text("Library Version", "$.context.library.version"),
    "ip": _text("IP Address", "$.context.ip", "Used by Mixpanel for geolocation only."),
    "idfa": FieldSpec(
        "IDFA", "string", default=_either("$.context.device.advertisingId", "$.context.device.idfa")
    ),
    "url": _text("URL", "$.context.page.url"),
    "referrer": _text("Referrer", "$.context.page.referrer"),
    "screen_width": FieldSpec("Screen Width", "number", default=_path("$.context.screen.width")),
    "screen_height": FieldSpec("Screen Height", "number", default=_path("$.context.screen.height")),
    "screen_density": FieldSpec(
        "Screen Density", "number", default=_path("$.context.screen.density")
    ),
    "utm_properties": FieldSpec(
        "UTM Properties",
        "object",
        default={
            "utm_source": _path("$.context.campaign.source"),
            "utm_medium": _path("$.context.campaign.medium"),
            "utm_campaign": _path("$.context.campaign.name"),
            "utm_term": _path("$.context.campaign.term"),
            "utm_content": _path("$.context.campaign.content"),
        },
    ),
}

RENAMED = {
    "group_id": "$group_id",
    "app_name": "$app_name",
    "app_namespace": "$app_namespace",
    "app_build": "$app_build_number",
    "app_version": "$app_version_string",
    "os_name": "$os",
    "os_version": "$os_version",
    "device_id": "$device_id",
    "device_type": "$device_type",
    "device_name": "$device",
    "device_manufacturer": "$manufacturer",
    "device_model": "$model",
    "bluetooth": "$bluetooth_enabled",
    "cellular": "$cellular_enabled",
    "wifi": "$wifi_enabled",
    "carrier": "$carrier",
    "country": "mp_country_code",
    "region": "$region",
    "language": "$locale",
    "library_version": "$lib_version",
    "ip": "ip",
    "idfa": "$ios_ifa",
    "url": "$current_url",
    "referrer": "$referrer",
    "screen_width": "$screen_width",
    "screen_height": "$screen_height",
    "screen_density": "$screen_density",
}
