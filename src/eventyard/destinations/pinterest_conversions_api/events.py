"""One conversion as a Pinterest conversion event (conversions.md §6: pinterest/api-description
v5 openapi.yaml ConversionEvents*, developers.pinterest.com/docs/conversions).

- SHA-256 arrays: em (lowercase), ph (digits with country code, no leading zeros), fn, ln, ge,
  db, ct (no spaces or punctuation), st (2 letters), zp, country, external_id.
- Plain: client_ip_address, client_user_agent, click_id (the `epik` parameter or `_epik`).
- Required: event_name, action_source (web | app_android | app_ios | offline), event_time in
  seconds, event_id, and at least em, hashed_maids or IP + user agent.
- value and item_price are strings; limited mode is custom_data.opt_out_type "LDP".
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
    origin,
    require_one_of,
    text,
    value,
)
from eventyard.destinations.ads.identifiers import InCountry, hashed, ip_address, plain, user_data
from eventyard.destinations.ads.timing import check_age, event_time, seconds
from eventyard.errors import TerminalError

__all__ = ["ACTION_SOURCES", "EVENT_NAMES", "MAX_AGE", "USER_DATA", "to_pinterest"]

EVENT_NAMES = {
    "purchase": "checkout",
    "add_to_cart": "add_to_cart",
    "begin_checkout": "initiate_checkout",
    "view_item": "view_content",
    "add_payment_info": "add_payment_info",
    "lead": "lead",
    "sign_up": "signup",
    "subscribe": "subscribe",
    "start_trial": "start_trial",
    "search": "search",
    "add_to_wishlist": "add_to_wishlist",
    "contact": "contact",
    "page_view": "page_visit",
}
"""Pinterest's event names; `checkout` is the purchase event, and there is no refund."""

ACTION_SOURCES = ("web", "app_android", "app_ios", "offline")
MAX_AGE: float | None = None
"""Pinterest documents no maximum age (conversions.md §9); events over an hour old are
reported as offline conversions, which it cannot deduplicate."""

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
    plain("click_id", "click_ids.epik"),
)
_MINIMUM = (("em",), ("client_ip_address", "client_user_agent"))


def _money(amount: float) -> str:
    """Pinterest takes money as a decimal string."""
    return repr(amount) if amount != int(amount) else f"{int(amount)}"


def _custom_data(conversion: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if (amount := value(conversion)) is not None:
        data["value"] = _money(amount)
    if (code := currency(conversion)) is not None:
        data["currency"] = code
    if (order_id := text(conversion.get("order_id"))) is not None:
        data["order_id"] = order_id
    items = contents(conversion)
    if items:
        data["content_ids"] = [item["id"] for item in items]
        data["contents"] = [
            {"id": item["id"], "quantity": item.get("quantity", 1)}
            | ({"item_price": _money(item["price"])} if "price" in item else {})
            for item in items
        ]
        data["num_items"] = sum(item.get("quantity", 1) for item in items)
    if limited(conversion):
        data["opt_out_type"] = "LDP"
    return data


def _action_source(payload: dict[str, Any]) -> str:
    if payload.get("action_source") is None and origin(payload["conversion"]) == "app":
        os_name = str(payload.get("os_name") or "").lower()
        return "app_android" if "android" in os_name else "app_ios"
    return action_source(payload, {"website": "web", "app": "app_ios", "other": "offline"})


def to_pinterest(payload: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """The conversion event for one payload; TerminalError when Pinterest would refuse it."""
    conversion = payload["conversion"]
    name = event_name(payload, EVENT_NAMES, "Pinterest")
    when = event_time(conversion)
    check_age(when, MAX_AGE, "Pinterest", now)
    event_id = text(payload.get("event_id"))
    if event_id is None:
        raise TerminalError("Pinterest requires an event_id; map event_id in this action")
    user = user_data(conversion, USER_DATA)
    require_one_of(user, _MINIMUM, "Pinterest")
    event: dict[str, Any] = {
        "event_name": name,
        "action_source": _action_source(payload),
        "event_time": seconds(when),
        "event_id": event_id,
        "user_data": user,
    }
    if (url := text(payload.get("event_source_url"))) is not None:
        event["event_source_url"] = url
    if custom := _custom_data(conversion):
        event["custom_data"] = custom
    return event
