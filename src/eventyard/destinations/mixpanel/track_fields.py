"""trackEvent's fields (Segment's Mixpanel trackEvent defaults) and the Mixpanel names they take."""

from __future__ import annotations

from eventyard.destinations.common import USER_OR_ANONYMOUS, either, path, text
from eventyard.mapping.fields import FieldSpec

__all__ = ["FIELDS", "RENAMED"]


FIELDS: dict[str, FieldSpec] = {
    "event": FieldSpec("Event Name", "string", required=True, default=path("$.event")),
    "distinct_id": FieldSpec(
        "Distinct ID",
        "string",
        required=True,
        default=USER_OR_ANONYMOUS,
        description="Who did it: the userId, else the anonymousId.",
    ),
    "insert_id": FieldSpec(
        "Insert ID",
        "string",
        default=path("$.messageId"),
        description="Mixpanel drops repeats of this id, so retries never double-count.",
    ),
    "time": FieldSpec("Timestamp", "datetime", default=path("$.timestamp")),
    "event_properties": FieldSpec("Event Properties", "object", default=path("$.properties")),
    "group_id": text("Group ID", "$.context.groupId"),
    "app_name": text("App Name", "$.context.app.name"),
    "app_namespace": text("App Namespace", "$.context.app.namespace"),
    "app_build": text("App Build", "$.context.app.build"),
    "app_version": text("App Version", "$.context.app.version"),
    "os_name": text("OS Name", "$.context.os.name"),
    "os_version": text("OS Version", "$.context.os.version"),
    "device_id": text("Device ID", "$.context.device.id"),
    "device_type": text("Device Type", "$.context.device.type"),
    "device_name": text("Device Name", "$.context.device.name"),
    "device_manufacturer": text("Device Manufacturer", "$.context.device.manufacturer"),
    "device_model": text("Device Model", "$.context.device.model"),
    "bluetooth": FieldSpec("Bluetooth", "boolean", default=path("$.context.network.bluetooth")),
    "cellular": FieldSpec("Cellular", "boolean", default=path("$.context.network.cellular")),
    "wifi": FieldSpec("Wifi", "boolean", default=path("$.context.network.wifi")),
    "carrier": text("Carrier", "$.context.network.carrier"),
    "country": text("Country", "$.context.location.country"),
    "region": text("Region", "$.context.location.region"),
    "language": text("Language", "$.context.locale"),
    "library_name": text("Library Name", "$.context.library.name"),
    "library_version": text("Library Version", "$.context.library.version"),
    "ip": text("IP Address", "$.context.ip", "Used by Mixpanel for geolocation only."),
    "idfa": FieldSpec(
        "IDFA", "string", default=either("$.context.device.advertisingId", "$.context.device.idfa")
    ),
    "url": text("URL", "$.context.page.url"),
    "referrer": text("Referrer", "$.context.page.referrer"),
    "screen_width": FieldSpec("Screen Width", "number", default=path("$.context.screen.width")),
    "screen_height": FieldSpec("Screen Height", "number", default=path("$.context.screen.height")),
    "screen_density": FieldSpec(
        "Screen Density", "number", default=path("$.context.screen.density")
    ),
    "utm_properties": FieldSpec(
        "UTM Properties",
        "object",
        default={
            "utm_source": path("$.context.campaign.source"),
            "utm_medium": path("$.context.campaign.medium"),
            "utm_campaign": path("$.context.campaign.name"),
            "utm_term": path("$.context.campaign.term"),
            "utm_content": path("$.context.campaign.content"),
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
