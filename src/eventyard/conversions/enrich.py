"""`context.eventyard.conversion`: one platform-neutral description of a conversion event.

Built once per event by the pipeline, read by every ad destination through its default
mappings, so the Ecommerce Spec is interpreted in one place (which amount is the value, where
the email is, which ID deduplicates) and each destination only formats and hashes.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from typing import Any

import orjson

from eventyard.conversions.canonical import ORDER_EVENTS
from eventyard.conversions.consent import ConsentState
from eventyard.conversions.reading import dig, event_time, number, text
from eventyard.conversions.spec import CLICK_ID_KEYS

__all__ = ["build_conversion", "event_id_for"]

_CURRENCY = re.compile(r"[A-Z]{3}")
_MAX_CONTENTS = 200
_SINGLE_PRODUCT = frozenset({"add_to_cart", "view_item", "add_to_wishlist"})
"""Product Added / Viewed / Added to Wishlist: the properties are the product object."""
_APP_LIBRARIES = ("analytics-ios", "analytics-android", "analytics-swift", "analytics-kotlin")
_USER_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    "email": (("email",),),
    "phone": (("phone",),),
    "first_name": (("firstName",), ("first_name",)),
    "last_name": (("lastName",), ("last_name",)),
    "city": (("address", "city"), ("city",)),
    "state": (("address", "state"), ("state",)),
    "zip": (("address", "postalCode"), ("address", "postal_code"), ("postalCode",), ("zip",)),
    "country": (("address", "country"), ("country",)),
    "gender": (("gender",),),
    "date_of_birth": (("birthday",), ("date_of_birth",)),
}
"""Segment's reserved traits (and their snake_case forms) for each `user` key."""


def event_id_for(event: Mapping[str, Any], name: str) -> str:
    """The ID that deduplicates this business event on every platform and against the pixel.

    `properties.event_id` when the site sets one; for purchases and refunds `<name>:<order_id>`
    (the same order sent twice, from the browser and the backend, is one event); else the
    messageId. All are the same on retries and replays.
    """
    explicit = text(dig(event, "properties", "event_id"))
    if explicit:
        return explicit
    order_id = text(dig(event, "properties", "order_id"))
    if name in ORDER_EVENTS and order_id:
        return f"{name}:{order_id}"
    message_id = text(event.get("messageId"))
    if message_id:
        return message_id
    # Unreachable after ingest (which sets messageId); still stable for the same event.
    try:
        body = orjson.dumps(event, option=orjson.OPT_SORT_KEYS, default=str)
    except (TypeError, orjson.JSONEncodeError):
        body = repr(event).encode("utf-8", "replace")
    return hashlib.sha256(body).hexdigest()[:32]


def _value(properties: object, contents: list[dict[str, Any]]) -> float | None:
    """`revenue` (the Spec's pre-tax, pre-shipping amount, what Pinterest asks for), then
    `subtotal`, `total`, `value`; else the products' price times quantity."""
    for key in ("revenue", "subtotal", "total", "value"):
        found = number(dig(properties, key))
        if found is not None:
            return found
    amounts: list[float] = [
        item["price"] * (1 if item["quantity"] is None else item["quantity"])
        for item in contents
        if item["price"] is not None
    ]
    total = sum(amounts)
    return round(total, 2) if amounts and math.isfinite(total) else None


def _currency(sent: object, value: float | None) -> str | None:
    """Upper-case ISO-4217; Segment's Track spec: revenue sent without a currency is in USD.
    A currency that is no ISO code is dropped rather than guessed."""
    if sent is None:
        return "USD" if value is not None else None
    code = (text(sent) or "").upper()
    return code if _CURRENCY.fullmatch(code) else None


def _product(item: object) -> dict[str, Any] | None:
    if not isinstance(item, Mapping):
        return None
    product_id = text(item.get("product_id")) or text(item.get("sku")) or text(item.get("id"))
    name = text(item.get("name"))
    if product_id is None and name is None:
        return None
    quantity = number(item.get("quantity"))
    return {
        "id": product_id,
        "name": name,
        "category": text(item.get("category")),
        "brand": text(item.get("brand")),
        "quantity": int(quantity) if quantity is not None and abs(quantity) < 1e9 else None,
        "price": number(item.get("price")),
    }


def _contents(properties: object, name: str) -> list[dict[str, Any]]:
    products = dig(properties, "products")
    items = products[:_MAX_CONTENTS] if isinstance(products, list) else []
    if not items and name in _SINGLE_PRODUCT:
        items = [properties]
    return [product for product in map(_product, items) if product is not None]


def _user(event: Mapping[str, Any]) -> dict[str, str | None]:
    sources = (dig(event, "properties"), dig(event, "context", "traits"), dig(event, "traits"))
    user: dict[str, str | None] = {}
    for key, paths in _USER_PATHS.items():
        found = (text(dig(source, *path)) for source in sources for path in paths)
        user[key] = next((value for value in found if value), None)
    # Segment's Meta and TikTok mappings: the userId, else the anonymousId, so that an
    # anonymous conversion is matched by a hashed first-party id rather than by nothing
    user["external_id"] = text(event.get("userId")) or text(event.get("anonymousId"))
    return user


def _action_source(event: Mapping[str, Any], page_url: str | None) -> str:
    library = text(dig(event, "context", "library", "name")) or ""
    if isinstance(dig(event, "context", "app"), Mapping) or library.startswith(_APP_LIBRARIES):
        return "app"
    if page_url or library.startswith("analytics.js"):
        return "website"
    return "server"


def build_conversion(
    event: Mapping[str, Any],
    name: str,
    click_ids: Mapping[str, str],
    consent: ConsentState,
    limited: bool,
) -> dict[str, Any]:
    """The `context.eventyard.conversion` object for `event` (the pipeline contract).

    `click_ids` are this event's merged with those remembered for the user; `limited` says the
    destination must use its platform's limited-data-use mode (consent.decide).
    """
    properties = dig(event, "properties")
    contents = _contents(properties, name)
    value = _value(properties, contents)
    currency = _currency(dig(properties, "currency"), value)
    order_id = text(dig(properties, "order_id"))
    page_url = text(dig(event, "context", "page", "url")) or text(dig(properties, "url"))
    return {
        "name": name,
        "event_id": event_id_for(event, name),
        "order_id": order_id,
        "value": value,
        "currency": currency,
        "linked_event_id": f"purchase:{order_id}" if name == "refund" and order_id else None,
        "shipping": number(dig(properties, "shipping")),
        "tax": number(dig(properties, "tax")),
        "coupon": text(dig(properties, "coupon")),
        "affiliation": text(dig(properties, "affiliation")),
        # the Spec's sign-up `type` ("organic", "invited") is what Segment's GA4 sends as method
        "method": text(dig(properties, "method"))
        or (text(dig(properties, "type")) if name == "sign_up" else None),
        "contents": contents,
        "user": _user(event),
        "click_ids": {key: click_ids.get(key) for key in CLICK_ID_KEYS},
        "ip": text(dig(event, "context", "ip")),
        "user_agent": text(dig(event, "context", "userAgent")),
        "locale": text(dig(event, "context", "locale")),
        "page_url": page_url,
        "referrer": text(dig(event, "context", "page", "referrer"))
        or text(dig(properties, "referrer")),
        "action_source": _action_source(event, page_url),
        "timestamp": event_time(event),
        "consent": consent.as_dict(),
        "limited_data_use": limited,
    }
