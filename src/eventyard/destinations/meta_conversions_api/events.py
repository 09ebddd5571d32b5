"""One conversion as a Meta server event (developers.facebook.com/docs/marketing-api/
conversions-api/parameters: server-event, customer-information-parameters, custom-data).

- Hashed with SHA-256 after Meta's normalization: em (trim, lowercase; gmail dots kept), ph
  (digits with country code, no `+`, no leading zeros: `(650)555-1212` in the US is
  `16505551212`), fn/ln, ge, db, ct, st, zp, country, and external_id (recommended).
- Never hashed: client_ip_address, client_user_agent, fbc, fbp.
- Website events need client_user_agent and event_source_url; Purchase needs value and
  currency; contents items need an id. event_time is Unix seconds, at most 7 days old
  (62 days for physical_store).
- Limited Data Use: data_processing_options ["LDU"] with country and state codes.
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
from eventyard.errors import TerminalError

__all__ = ["ACTION_SOURCES", "EVENT_NAMES", "MAX_AGE", "USER_DATA", "to_meta"]

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
"""Meta's standard events by canonical name; refunds have none (Meta subtracts nothing)."""

ACTION_SOURCES = (
    "website",
    "app",
    "email",
    "phone_call",
    "chat",
    "physical_store",
    "system_generated",
    "business_messaging",
    "other",
)
MAX_AGE = 7 * 86400
_STORE_MAX_AGE = 62 * 86400

USER_DATA = (
    hashed("em", "user.email", identity.email_basic, many=True),
    hashed("ph", "user.phone", InCountry(identity.phone_digits), many=True),
    hashed("fn", "user.first_name", identity.name),
    hashed("ln", "user.last_name", identity.name),
    hashed("ge", "user.gender", identity.gender),
    hashed("db", "user.date_of_birth", identity.date_of_birth),
    hashed("ct", "user.city", identity.city),
    hashed("st", "user.state", identity.state),
    hashed("zp", "user.zip", InCountry(identity.zip_code)),
    hashed("country", "user.country", identity.country),
    hashed("external_id", "user.external_id", identity.external_id, many=True),
    plain("client_ip_address", "ip", ip_address),
    plain("client_user_agent", "user_agent"),
    plain("fbc", "click_ids.fbc"),
    plain("fbp", "click_ids.fbp"),
)
_MINIMUM = (
    ("em",),
    ("ph",),
    ("external_id",),
    ("fbc",),
    ("fbp",),
    ("client_ip_address", "client_user_agent"),
)


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
        data["content_type"] = "product"
        data["content_ids"] = [item["id"] for item in items]
        data["contents"] = [
            {"id": item["id"], "quantity": item.get("quantity", 1)}
            | ({"item_price": item["price"]} if "price" in item else {})
            for item in items
        ]
        data["num_items"] = sum(item.get("quantity", 1) for item in items)
        if len(items) == 1:
            data |= {
                key: items[0][field]
                for key, field in (("content_name", "name"), ("content_category", "category"))
                if field in items[0]
            }
    return data


def to_meta(payload: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """The server event for one payload; TerminalError when Meta would refuse it."""
    conversion = payload["conversion"]
    name = event_name(payload, EVENT_NAMES, "Meta")
    source = action_source(payload, {"website": "website", "app": "app", "other": "other"})
    when = event_time(conversion)
    check_age(when, _STORE_MAX_AGE if source == "physical_store" else MAX_AGE, "Meta", now)
    user = user_data(conversion, USER_DATA)
    require_one_of(user, _MINIMUM, "Meta")
    event: dict[str, Any] = {
        "event_name": name,
        "event_time": seconds(when),
        "action_source": source,
        "user_data": user,
    }
    if (event_id := text(payload.get("event_id"))) is not None:
        event["event_id"] = event_id
    if (url := text(payload.get("event_source_url"))) is not None:
        event["event_source_url"] = url
    if source == "website" and not ("client_user_agent" in user and url):
        raise TerminalError(
            "Meta requires client_user_agent and event_source_url on website events and this "
            "event lacks one; send events with context.userAgent and context.page.url, or map "
            "action_source to where the conversion happened"
        )
    custom = _custom_data(conversion)
    if name == "Purchase" and not ("value" in custom and "currency" in custom):
        raise TerminalError(
            "Meta requires value and currency on Purchase; send properties.revenue (or total) "
            "and a 3-letter properties.currency"
        )
    if custom:
        event["custom_data"] = custom
    if limited(conversion):
        event |= ldu_options(conversion.get("consent"))
    return event
