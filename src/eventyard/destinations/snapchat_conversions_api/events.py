"""One conversion as a Snapchat Conversions API v3 event (conversions.md §5: developers.snap.com
Conversions API pages and Snap's business-sdk-v3 OpenAPI document).

- SHA-256 arrays after Snap's normalization: em (trim, lowercase); ph (digits with the country
  code, leading 00/0 removed, no `+`); fn, ln, ge, db, ct, st, zp, country, external_id.
- Plain: client_ip_address, client_user_agent, sc_click_id (the `ScCid` parameter),
  sc_cookie1 (the `_scid` cookie).
- At least em, ph, a mobile ad id, or IP + user agent. event_time in Unix seconds, at most
  37 days old. contents quantity and item_price are strings in the v3 schema.
- Limited Data Use: data_processing_options ["LDU"] with country and state, as Meta.
"""

from __future__ import annotations

from typing import Any

from eventyard.conversions import identity
from eventyard.destinations.ads.conversion import (
    action_source,
    contents,
    currency,
    event_name,
    limited,
    require_one_of,
    text,
    value,
)
from eventyard.destinations.ads.identifiers import InCountry, hashed, ip_address, plain, user_data
from eventyard.destinations.ads.ldu import ldu_options
from eventyard.destinations.ads.timing import check_age, event_time, seconds

__all__ = ["ACTION_SOURCES", "EVENT_NAMES", "INTEGRATION", "MAX_AGE", "USER_DATA", "to_snap"]

EVENT_NAMES = {
    "purchase": "PURCHASE",
    "add_to_cart": "ADD_CART",
    "begin_checkout": "START_CHECKOUT",
    "view_item": "VIEW_CONTENT",
    "add_payment_info": "ADD_BILLING",
    "sign_up": "SIGN_UP",
    "subscribe": "SUBSCRIBE",
    "start_trial": "START_TRIAL",
    "search": "SEARCH",
    "add_to_wishlist": "ADD_TO_WISHLIST",
    "page_view": "PAGE_VIEW",
}
"""Snap's v3 event names; v3 has no LEAD, CONTACT or refund event (map event_name to a
CUSTOM_EVENT_1..5 to send those)."""

ACTION_SOURCES = ("WEB", "MOBILE_APP", "OFFLINE")
INTEGRATION = "eventyard"
"""Partners name themselves in each event's `integration`."""
MAX_AGE = 37 * 86400

USER_DATA = (
    hashed("em", "user.email", identity.email_basic, many=True),
    hashed("ph", "user.phone", InCountry(identity.phone_digits), many=True),
    hashed("fn", "user.first_name", identity.name, many=True),
    hashed("ln", "user.last_name", identity.name, many=True),
    hashed("ge", "user.gender", identity.gender, many=True),
    hashed("db", "user.date_of_birth", identity.date_of_birth, many=True),
    hashed("ct", "user.city", identity.city, many=True),
    hashed("st", "user.state", identity.state, many=True),
    hashed("zp", "user.zip", InCountry(identity.zip_code), many=True),
    hashed("country", "user.country", identity.country, many=True),
    hashed("external_id", "user.external_id", identity.external_id, many=True),
    plain("client_ip_address", "ip", ip_address),
    plain("client_user_agent", "user_agent"),
    plain("sc_click_id", "click_ids.sc_click_id"),
    plain("sc_cookie1", "click_ids.sc_cookie1"),
)
_MINIMUM = (("em",), ("ph",), ("client_ip_address", "client_user_agent"))


def _custom_data(conversion: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if (amount := value(conversion)) is not None:
        data["value"] = amount
    if (code := currency(conversion)) is not None:
        data["currency"] = code
    if (order_id := text(conversion.get("order_id"))) is not None:
        data["order_id"] = order_id
    items = contents(conversion)
    if items:
        data["content_ids"] = [item["id"] for item in items]
        data["num_items"] = sum(item.get("quantity", 1) for item in items)
        data["contents"] = [
            {"id": item["id"], "quantity": str(item.get("quantity", 1))}
            | ({"item_price": str(item["price"])} if "price" in item else {})
            for item in items
        ]
    return data


def to_snap(payload: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """The v3 event for one payload; TerminalError when Snap would refuse it."""
    conversion = payload["conversion"]
    name = event_name(payload, EVENT_NAMES, "Snap")
    when = event_time(conversion)
    check_age(when, MAX_AGE, "Snap", now)
    user = user_data(conversion, USER_DATA)
    require_one_of(user, _MINIMUM, "Snap")
    source = action_source(payload, {"website": "WEB", "app": "MOBILE_APP", "other": "OFFLINE"})
    event: dict[str, Any] = {
        "event_name": name,
        "event_time": seconds(when),
        "action_source": source,
        "user_data": user,
        "integration": INTEGRATION,
    }
    if (event_id := text(payload.get("event_id"))) is not None:
        event["event_id"] = event_id
    if (url := text(payload.get("event_source_url"))) is not None:
        event["event_source_url"] = url
    if custom := _custom_data(conversion):
        event["custom_data"] = custom
    if limited(conversion):
        event |= ldu_options(conversion.get("consent"))
    return event
