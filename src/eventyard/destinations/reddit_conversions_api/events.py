"""One mapped payload as a Reddit conversion event, in v3 or v2.0 form.

Sources (conversions.md §7: Reddit's v2 docs, its help center, Segment's and RudderStack's
Reddit connectors): v3 `{event_at (ms), action_source, event_source_url, click_id,
type: {tracking_type, custom_event_name}, metadata: {conversion_id, currency, value,
item_count, products}, user: {...}}`; v2.0 names `event_type`, `event_metadata` (with
`value_decimal`) and an ISO-8601 `event_at`. Email, phone, external_id and the IP address
are SHA-256 hashed (email without dots or `+tag` in the local part); user agent and the
`_rdt_uuid` cookie go in plain text. Events must be at most 7 days old and 5 minutes ahead.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from eventyard.conversions.canonical import CANONICAL_NAMES
from eventyard.conversions.identity import email_reddit, external_id, hash_once
from eventyard.destinations.ads import commerce
from eventyard.destinations.ads.conversion import (
    Origin,
    action_source,
    contents,
    currency,
    limited,
    require_one_of,
    text,
    value,
)
from eventyard.destinations.ads.definition import conversion_spec
from eventyard.destinations.ads.identifiers import (
    PHONE_E164,
    hashed,
    ip_address,
    minimum_keys,
    plain,
    user_data,
)
from eventyard.destinations.ads.timing import checked_time, millis
from eventyard.destinations.reddit_conversions_api.settings import RedditSettings
from eventyard.errors import TerminalError

__all__ = ["ACTION_SOURCES", "CONVERSION", "MAX_AGE", "STANDARD", "build"]

MAX_AGE = 7 * 86400.0
_MAX_AHEAD = 300.0
STANDARD = {
    "purchase": "Purchase",
    "add_to_cart": "AddToCart",
    "lead": "Lead",
    "sign_up": "SignUp",
    "page_view": "PageVisit",
    "view_item": "ViewContent",
    "search": "Search",
    "add_to_wishlist": "AddToWishlist",
}
"""Canonical name -> Reddit tracking type (v2.0 spelling; v3 is its UPPER_SNAKE form). The
other canonical events go as Custom events named after themselves."""
_WITH_VALUE = frozenset({"Purchase", "AddToCart", "AddToWishlist", "Lead", "SignUp", "Custom"})
_WITH_ITEM_COUNT = frozenset({"Purchase", "AddToCart", "AddToWishlist", "Custom"})
ACTION_SOURCES: Mapping[Origin, str] = {"website": "WEBSITE", "app": "APP", "other": "OTHER"}
_PRODUCT_KEYS = {"id": "id", "name": "name", "category": "category"}


_USER = (
    hashed("email", "user.email", email_reddit),
    hashed("phone_number", "user.phone", PHONE_E164),
    hashed("external_id", "user.external_id", external_id),
    hashed("ip_address", "ip", ip_address),
    plain("user_agent", "user_agent"),
    plain("uuid", "click_ids.rdt_uuid"),
)
_V2_USER_KEYS = frozenset({"email", "external_id", "ip_address", "user_agent", "uuid"})

CONVERSION = conversion_spec(
    "reddit",
    CANONICAL_NAMES - {"refund"},
    # Reddit's help center ranks the click ID (rdt_cid) and the pixel's _rdt_uuid cookie as
    # the keys that tie a conversion to an ad, then email, then IP + user agent and the
    # site's external id; it publishes no weights, so these follow that order.
    weights={4: "rdt_cid", 3: "rdt_uuid email", 2: "phone external_id", 1: "ip user_agent"},
    # Reddit documents no minimum; any one of its match keys lets it attribute an event.
    minimum=("rdt_cid", "rdt_uuid", "email", "phone", "external_id", "ip user_agent"),
    max_age=MAX_AGE,
)
_MINIMUM = minimum_keys(CONVERSION.minimum, (*_USER, plain("click_id", "click_ids.rdt_cid")))
"""Reddit's keys in user (and the event's click_id) of which an event needs one set."""


def _v3(tracking_type: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", tracking_type).upper()


def _tracking(payload: Mapping[str, Any], canonical: Any) -> tuple[str, str | None]:
    """(tracking type in v2.0 spelling, custom event name or None)."""
    mapped = text(payload.get("event_name"))
    if mapped is None:
        if canonical == "refund":
            raise TerminalError(
                "Reddit has no refund event; leave refund out of this destination's "
                "conversion_events"
            )
        if canonical in STANDARD:
            return STANDARD[canonical], None
        mapped = str(canonical)
    folded = mapped.replace("_", "").casefold()
    for standard in STANDARD.values():
        if standard.casefold() == folded:
            return standard, None
    return "Custom", mapped


def _metadata(conversion: Mapping[str, Any], kind: str, v3: bool) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    amount, code = value(conversion), currency(conversion)
    if kind in _WITH_VALUE and amount is not None and code is not None:
        meta.update({"currency": code, ("value" if v3 else "value_decimal"): amount})
    products = contents(conversion)
    if kind in _WITH_ITEM_COUNT and products:
        meta["item_count"] = commerce.item_count(products)
    if products:
        meta["products"] = [commerce.renamed(p, _PRODUCT_KEYS) for p in products]
    return meta


def _user(conversion: Mapping[str, Any], v3: bool) -> dict[str, Any]:
    found: dict[str, Any] = {
        k: v for k, v in user_data(conversion, _USER).items() if v3 or k in _V2_USER_KEYS
    }
    if limited(conversion):
        consent = conversion.get("consent")
        where = consent if isinstance(consent, Mapping) else {}
        options: dict[str, Any] = {"modes": ["LDU"]}
        country, state = text(where.get("country")), text(where.get("state"))
        if country:
            options["country"] = country.upper()
            if state:
                options["region"] = f"{country.upper()}-{state.upper()}"
        found["data_processing_options"] = options
    return found


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


def build(settings: RedditSettings, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The Reddit event for one payload; TerminalError when Reddit would refuse it."""
    conversion = payload["conversion"]
    when = checked_time(conversion, MAX_AGE, "Reddit")
    if when > time.time() + _MAX_AHEAD:
        raise TerminalError("Reddit refuses events over 5 minutes in the future; check the clock")
    v3 = settings.api_version == "v3"
    kind, custom = _tracking(payload, conversion.get("name"))
    event_type = {"tracking_type": _v3(kind) if v3 else kind}
    if custom is not None:
        event_type["custom_event_name"] = custom
    meta = _metadata(conversion, kind, v3)
    if (event_id := text(payload.get("event_id"))) is not None:
        # v2.0 connectors hash the conversion id (Segment, RudderStack); v3 sends it as is
        meta["conversion_id"] = event_id if v3 else hash_once(event_id, str.strip)
    event: dict[str, Any] = {"event_at": millis(when) if v3 else _iso(when)}
    if v3:
        event["action_source"] = action_source(payload, ACTION_SOURCES)
        if (url := text(payload.get("event_source_url"))) is not None:
            event["event_source_url"] = url
    if (click := text(payload.get("click_id"))) is not None:
        event["click_id"] = click
    event["type" if v3 else "event_type"] = event_type
    event["metadata" if v3 else "event_metadata"] = meta
    event["user"] = _user(conversion, v3)
    require_one_of(event["user"] | event, _MINIMUM, "Reddit")
    return event
