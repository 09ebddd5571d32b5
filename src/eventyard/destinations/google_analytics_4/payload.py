"""One mapped payload as a Measurement Protocol request: the request-level part (who, when,
consent, user_data) and the event (name and params).

GA4 answers 2xx to any request it receives and silently drops what breaks its rules, so every
documented rule is checked here, before sending, and a payload that breaks one fails with a
message instead of disappearing (developers.google.com/analytics/devguides/collection/
protocol/ga4/sending-events, "Limitations"; …/ga4/reference; …/ga4/uid-data).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from eventyard.conversions.canonical import CANONICAL_NAMES
from eventyard.destinations.ads import commerce
from eventyard.destinations.ads.conversion import contents, currency, event_name, text, value
from eventyard.destinations.ads.definition import conversion_spec
from eventyard.destinations.ads.google import (
    address,
    consent_signals,
    user_data_allowed,
    user_identifiers,
)
from eventyard.destinations.ads.identifiers import user_data
from eventyard.destinations.ads.timing import checked_time, micros
from eventyard.destinations.google_analytics_4.settings import Ga4Settings
from eventyard.errors import TerminalError

__all__ = ["CONVERSION", "EVENT_NAMES", "MAX_AGE", "build"]

MAX_AGE = 72 * 3600.0
"""`timestamp_micros` backdates events by at most 72 hours."""
EVENT_NAMES = {name: name for name in sorted(CANONICAL_NAMES)} | {"lead": "generate_lead"}
"""Canonical name -> GA4 event (conversions.md §0): the canonical names are GA4's recommended
event names (or custom names in its style), except lead, which GA4 calls generate_lead."""

CONVERSION = conversion_spec(
    "google_analytics_4",
    EVENT_NAMES,
    # GA4 joins a Measurement Protocol event to a user by client_id (the _ga cookie: the
    # browser's own sessions) or user_id; user-provided data (email, phone, then name and
    # address) feeds Google's enhanced matching (uid-data: "email ... phone ... address").
    # Not a platform formula: the order of the guidance, as weights.
    weights={
        3: "ga_client_id external_id",
        2: "email",
        1.5: "phone",
        0.5: "first_name last_name",
        0.25: "city state zip country",
    },
    # No minimum: without the _ga cookie the client_id falls back to the anonymousId.
    max_age=MAX_AGE,
)
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")
_RESERVED = frozenset(
    {
        "ad_activeview",
        "ad_click",
        "ad_exposure",
        "ad_impression",
        "ad_query",
        "adunit_exposure",
        "app_clear_data",
        "app_install",
        "app_update",
        "app_remove",
        "error",
        "first_open",
        "first_visit",
        "in_app_purchase",
        "notification_dismiss",
        "notification_foreground",
        "notification_open",
        "notification_receive",
        "os_update",
        "screen_view",
        "session_start",
        "user_engagement",
    }
)
_RESERVED_PREFIXES = ("_", "ga_", "google_", "firebase_")
_MAX_PARAMS = 25
_MAX_VALUE = 100
_ORDER_EVENTS = ("purchase", "refund")
_EXTRA_PARAMS = {
    "shipping": _ORDER_EVENTS,
    "tax": _ORDER_EVENTS,
    "affiliation": _ORDER_EVENTS,
    "coupon": (*_ORDER_EVENTS, "begin_checkout", "add_payment_info"),
    "method": ("sign_up", "login"),
}
"""Conversion keys sent as the GA4 parameter of the same name on these events (the
parameters Segment's GA4 actions send there)."""


_USER_DATA = user_identifiers("sha256_email_address", "sha256_phone_number")
_ADDRESS = address(
    "sha256_first_name", "sha256_last_name", "city", "region", "postal_code", "country"
)
"""Names hashed; city (letters and spaces), region (state code where known), postal code and
country (alpha-2) in plain text, lowercased."""
_ITEM_KEYS = {
    "item_id": "id",
    "item_name": "name",
    "item_category": "category",
    "item_brand": "brand",
    "price": "price",
    "quantity": "quantity",
}


def _check_name(kind: str, key: str) -> None:
    if not _NAME.fullmatch(key) or key in _RESERVED or key.startswith(_RESERVED_PREFIXES):
        raise TerminalError(
            f"GA4 drops the {kind} {key!r}: names are up to 40 letters, digits and _ starting "
            "with a letter, and not reserved (session_start, first_visit, ga_*, ...)"
        )


def _checked_params(params: dict[str, Any]) -> dict[str, Any]:
    if len(params) > _MAX_PARAMS:
        raise TerminalError(f"GA4 drops events with over {_MAX_PARAMS} params; map fewer")
    for key, param in params.items():
        _check_name("parameter", key)
        if key == "items":
            continue
        if not isinstance(param, str | int | float) or isinstance(param, bool):
            raise TerminalError(f"GA4 parameter {key!r} must be a string or a number")
        if isinstance(param, str) and len(param) > _MAX_VALUE:
            raise TerminalError(f"GA4 parameter {key!r} is over {_MAX_VALUE} characters")
    return params


def _params(payload: Mapping[str, Any], conversion: Mapping[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    order_id = text(conversion.get("order_id"))
    if order_id or conversion.get("name") in _ORDER_EVENTS:
        # never "": GA4 deduplicates every purchase with an empty transaction_id as one
        params["transaction_id"] = order_id or text(conversion.get("event_id"))
    amount = value(conversion)
    if amount is not None:
        code = currency(conversion)
        if code is None:
            raise TerminalError(
                "GA4 ignores a value without a currency; send properties.currency (ISO 4217)"
            )
        params.update(value=amount, currency=code)
    if items := contents(conversion):
        params["items"] = [commerce.renamed(item, _ITEM_KEYS) for item in items]
    for key, events in _EXTRA_PARAMS.items():
        found = conversion.get(key)
        if conversion.get("name") not in events or isinstance(found, bool):
            continue
        if isinstance(found, str | int | float):
            params[key] = found[:_MAX_VALUE] if isinstance(found, str) else found
    for key in ("session_id", "engagement_time_msec"):
        if payload.get(key) is not None:
            params[key] = payload[key]
    params.update(payload.get("params") or {})
    return _checked_params(params)


def _identity(settings: Ga4Settings, payload: Mapping[str, Any]) -> dict[str, Any]:
    key = "app_instance_id" if settings.app_stream else "client_id"
    found = text(payload.get(key))
    if found is None:
        raise TerminalError(
            f"GA4 needs {'an' if settings.app_stream else 'a'} {key} for this "
            f"{'app' if settings.app_stream else 'web'} stream; map {key} in this "
            "destination's action"
        )
    head = {key: found}
    if (user_id := text(payload.get("user_id"))) is not None:
        head["user_id"] = user_id
    return head


def _user_properties(raw: Any) -> dict[str, dict[str, Any]]:
    properties = raw if isinstance(raw, dict) else {}
    if len(properties) > _MAX_PARAMS:
        raise TerminalError(f"GA4 takes at most {_MAX_PARAMS} user properties")
    for key, prop in properties.items():
        if len(key) > 24 or not _NAME.fullmatch(key) or key.startswith(_RESERVED_PREFIXES):
            raise TerminalError(f"GA4 drops the user property {key!r}: up to 24 letters/digits/_")
        if isinstance(prop, str) and len(prop) > 36:
            raise TerminalError(f"GA4 drops the user property {key!r}: values up to 36 chars")
    return {key: {"value": prop} for key, prop in properties.items()}


def build(
    settings: Ga4Settings, payload: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(request-level fields, event) for one payload; TerminalError if GA4 would drop it."""
    conversion = payload["conversion"]
    when = checked_time(conversion, MAX_AGE, "GA4")
    event_label = event_name(payload, EVENT_NAMES, "GA4")
    _check_name("event name", event_label)
    head = _identity(settings, payload)
    head["timestamp_micros"] = micros(when)
    if properties := _user_properties(payload.get("user_properties")):
        head["user_properties"] = properties
    if signals := consent_signals(conversion):
        head["consent"] = signals
    if user_data_allowed(conversion):
        found: dict[str, Any] = dict(user_data(conversion, _USER_DATA))
        if address := user_data(conversion, _ADDRESS):
            found["address"] = [address]
        if found:
            head["user_data"] = found
    return head, {"name": event_label, "params": _params(payload, conversion)}
