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
from eventyard.destinations.ads.conversion import (
    contents,
    currency,
    event_name,
    limited,
    text,
    value,
)
from eventyard.destinations.ads.identifiers import InCountry, hashed, ip_address, plain, user_data
from eventyard.destinations.ads.timing import check_age, event_time, seconds

__all__ = ["EVENT_NAMES", "MAX_AGE", "USER", "to_tiktok"]

EVENT_NAMES = {
    "purchase": "Purchase",
    "add_to_cart": "AddToCart",
    "begin_checkout": "InitiateCheckout",
    "view_item": "ViewContent",
    "add_payment_info": "AddPaymentInfo",
    "lead": "Lead",
    "sign_up": "CompleteRegistration",
    "subscribe": "Subscribe",
    "start_trial": "StartTrial",
    "search": "Search",
    "add_to_wishlist": "AddToWishlist",
    "contact": "Contact",
    "page_view": "PageView",
}
"""TikTok's standard events (Sept 2025 list: `Purchase`, no longer `CompletePayment`);
refunds have none."""

MAX_AGE: float | None = None
"""TikTok documents no maximum event age (conversions.md §9), so none is enforced."""

USER = (
    hashed("email", "user.email", identity.email_basic),
    hashed("phone", "user.phone", InCountry(identity.phone_e164)),
    hashed("external_id", "user.external_id", identity.external_id),
    hashed("first_name", "user.first_name", identity.name),
    hashed("last_name", "user.last_name", identity.name),
    hashed("zip_code", "user.zip", InCountry(identity.zip_code)),
    plain("city", "user.city", identity.city),
    plain("state", "user.state", identity.state),
    plain("country", "user.country", identity.country),
    plain("ttclid", "click_ids.ttclid"),
    plain("ttp", "click_ids.ttp"),
    plain("ip", "ip", ip_address),
    plain("user_agent", "user_agent"),
)


def _properties(conversion: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    if (amount := value(conversion)) is not None:
        properties["value"] = amount
    if (code := currency(conversion)) is not None:
        properties["currency"] = code
    if (order_id := text(conversion.get("order_id"))) is not None:
        properties["order_id"] = order_id
    items = contents(conversion)
    if items:
        properties["content_type"] = "product"
        properties["contents"] = [
            {"content_id": item["id"]}
            | {
                key: item[field]
                for key, field in (
                    ("content_name", "name"),
                    ("content_category", "category"),
                    ("brand", "brand"),
                    ("quantity", "quantity"),
                    ("price", "price"),
                )
                if field in item
            }
            for item in items
        ]
        properties["num_items"] = sum(item.get("quantity", 1) for item in items)
    return properties


def to_tiktok(payload: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """The event for one payload; TerminalError when TikTok could not take it."""
    conversion = payload["conversion"]
    name = event_name(payload, EVENT_NAMES, "TikTok")
    when = event_time(conversion)
    check_age(when, MAX_AGE, "TikTok", now)
    event: dict[str, Any] = {
        "event": name,
        "event_time": seconds(when),
        "user": user_data(conversion, USER),
        "limited_data_use": limited(conversion),
    }
    if (event_id := text(payload.get("event_id"))) is not None:
        event["event_id"] = event_id
    page = {
        key: found
        for key, found in (
            ("url", text(payload.get("event_source_url"))),
            ("referrer", text(conversion.get("referrer"))),
        )
        if found is not None
    }
    if page:
        event["page"] = page
    if properties := _properties(conversion):
        event["properties"] = properties
    return event
