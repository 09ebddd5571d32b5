"""One conversion as a TikTok Events API 2.0 event (conversions.md §4; Business API docs
1771101303285761 and 1771101204435970, the standard-events help page).

- Hashed with SHA-256: email (trim, lowercase), phone (E.164 with `+`, e.g. `+12133734253`),
  external_id (trimmed), first_name, last_name and zip_code. Plain: city, state and country as
  lowercase letters, ttclid, ttp, ip, user_agent (Segment's formatter; TikTok's own page on
  address fields was not found, conversions.md §9).
- `event` + `event_id` deduplicate with the pixel for 48 h; event_time is Unix seconds.
- `limited_data_use: true` asks TikTok to limit processing where the law applies.
"""

from __future__ import annotations

from typing import Any

from eventyard.conversions import identity
from eventyard.destinations.ads import commerce
from eventyard.destinations.ads.conversion import contents, event_name, limited, present, text
from eventyard.destinations.ads.definition import conversion_spec
from eventyard.destinations.ads.event_names import standard_events
from eventyard.destinations.ads.identifiers import (
    PHONE_E164,
    ZIP,
    hashed,
    ip_address,
    minimum_keys,
    plain,
    required_user_data,
)
from eventyard.destinations.ads.timing import checked_time, seconds

__all__ = ["CONVERSION", "EVENT_NAMES", "MAX_AGE", "USER", "to_tiktok"]

EVENT_NAMES = standard_events("tiktok")
"""TikTok's standard events (Meta's names); refunds have none."""
MAX_AGE: float | None = None
"""TikTok documents no maximum event age (conversions.md §9), so none is enforced."""

USER = (
    hashed("email", "user.email", identity.email_basic),
    hashed("phone", "user.phone", PHONE_E164),
    hashed("external_id", "user.external_id", identity.external_id),
    hashed("first_name", "user.first_name", identity.name),
    hashed("last_name", "user.last_name", identity.name),
    hashed("zip_code", "user.zip", ZIP),
    plain("city", "user.city", identity.city),
    plain("state", "user.state", identity.state),
    plain("country", "user.country", identity.country),
    plain("ttclid", "click_ids.ttclid"),
    plain("ttp", "click_ids.ttp"),
    plain("ip", "ip", ip_address),
    plain("user_agent", "user_agent"),
)

# TikTok's event-matching guidance recommends email, phone, external_id, ttclid, ttp and
# IP + user agent (conversions.md §4 "Match quality"); its scoring is not published. The
# deterministic keys and the click id weigh 3, the cookie and external_id 2, IP and user
# agent 1 each, the hashed name and address keys (OSS-only fields) 0.5.
CONVERSION = conversion_spec(
    "tiktok",
    EVENT_NAMES,
    weights={
        3.0: "email phone ttclid",
        2.0: "external_id ttp",
        1.0: "ip user_agent",
        0.5: "first_name last_name zip city state country",
    },
    minimum=("email", "phone", "external_id", "ttclid", "ttp", "ip user_agent"),
    max_age=MAX_AGE,
)
_MINIMUM = minimum_keys(CONVERSION.minimum, USER)
_CONTENT_KEYS = {
    "content_id": "id",
    "content_name": "name",
    "content_category": "category",
    "brand": "brand",
    "quantity": "quantity",
    "price": "price",
}


def _properties(conversion: dict[str, Any]) -> dict[str, Any]:
    properties = commerce.order_details(conversion)
    items = contents(conversion)
    if items:
        properties["content_type"] = "product"
        properties["contents"] = [commerce.renamed(item, _CONTENT_KEYS) for item in items]
        properties["num_items"] = commerce.item_count(items)
    return properties


def to_tiktok(payload: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """The event for one payload; TerminalError when TikTok could not take it."""
    conversion = payload["conversion"]
    name = event_name(payload, EVENT_NAMES, "TikTok")
    when = checked_time(conversion, MAX_AGE, "TikTok", now)
    event: dict[str, Any] = {
        "event": name,
        "event_time": seconds(when),
        "user": required_user_data(conversion, USER, _MINIMUM, "TikTok"),
        "limited_data_use": limited(conversion),
    } | present(event_id=text(payload.get("event_id")))
    page = present(
        url=text(payload.get("event_source_url")), referrer=text(conversion.get("referrer"))
    )
    if page:
        event["page"] = page
    if properties := _properties(conversion):
        event["properties"] = properties
    return event
