"""One conversion as a Snapchat Conversions API v3 event (conversions.md §5: developers.snap.com
Conversions API pages and Snap's business-sdk-v3 OpenAPI document).

- user_data: Meta's customer information parameters, every hashed key an array (em, ph: digits
  with the country code, leading 00/0 removed, no `+`; fn, ln, ge, db, ct, st, zp, country,
  external_id), plus sc_click_id (the `ScCid` parameter) and sc_cookie1 (the `_scid` cookie),
  plain.
- At least em, ph, a mobile ad id, or IP + user agent. event_time in Unix seconds, at most
  37 days old. contents quantity and item_price are strings in the v3 schema.
- Limited Data Use: data_processing_options ["LDU"] with country and state, as Meta.
"""

from __future__ import annotations

from typing import Any

from eventyard.destinations.ads import commerce
from eventyard.destinations.ads.conversion import (
    action_source,
    contents,
    event_name,
    limited,
    present,
    require_one_of,
    text,
)
from eventyard.destinations.ads.customer_information import customer_information
from eventyard.destinations.ads.definition import conversion_spec
from eventyard.destinations.ads.event_names import standard_events
from eventyard.destinations.ads.identifiers import minimum_keys, plain, user_data
from eventyard.destinations.ads.ldu import ldu_options
from eventyard.destinations.ads.timing import checked_time, seconds

__all__ = [
    "ACTION_SOURCES",
    "CONVERSION",
    "EVENT_NAMES",
    "INTEGRATION",
    "MAX_AGE",
    "USER_DATA",
    "to_snap",
]

EVENT_NAMES = standard_events("snap")
"""Snap's v3 event names; v3 has no LEAD, CONTACT or refund event (map event_name to a
CUSTOM_EVENT_1..5 to send those)."""
ACTION_SOURCES = ("WEB", "MOBILE_APP", "OFFLINE")
INTEGRATION = "eventyard"
"""Partners name themselves in each event's `integration`."""
MAX_AGE = 37 * 86400
USER_DATA = (
    *customer_information(every_key_an_array=True),
    plain("sc_click_id", "click_ids.sc_click_id"),
    plain("sc_cookie1", "click_ids.sc_cookie1"),
)

# Snap's best practices ask for email, phone, IP + user agent and the ScCid click id and
# _scid cookie; its minimum is em, ph, a mobile ad id, or IP + user agent (conversions.md
# §5, Segment citing Snap). Email, phone and the click id weigh 3, the cookie and external_id
# 2, IP and user agent 1.5 each (together they meet the minimum), the rest 0.5.
CONVERSION = conversion_spec(
    "snap",
    EVENT_NAMES,
    weights={
        3.0: "email phone sc_click_id",
        2.0: "sc_cookie1 external_id",
        1.5: "ip user_agent",
        0.5: "first_name last_name zip city state country gender date_of_birth",
    },
    minimum=("email", "phone", "ip user_agent"),
    max_age=MAX_AGE,
)
_MINIMUM = minimum_keys(CONVERSION.minimum, USER_DATA)


def _custom_data(conversion: dict[str, Any]) -> dict[str, Any]:
    data = commerce.order_details(conversion)
    items = contents(conversion)
    if items:
        data["content_ids"] = [item["id"] for item in items]
        data["num_items"] = commerce.item_count(items)
        data["contents"] = commerce.product_lines(items, quantity=str, price=str)
    return data


def to_snap(payload: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """The v3 event for one payload; TerminalError when Snap would refuse it."""
    conversion = payload["conversion"]
    name = event_name(payload, EVENT_NAMES, "Snap")
    when = checked_time(conversion, MAX_AGE, "Snap", now)
    user = user_data(conversion, USER_DATA)
    require_one_of(user, _MINIMUM, "Snap")
    source = action_source(payload, {"website": "WEB", "app": "MOBILE_APP", "other": "OFFLINE"})
    event: dict[str, Any] = {
        "event_name": name,
        "event_time": seconds(when),
        "action_source": source,
        "user_data": user,
        "integration": INTEGRATION,
    } | present(
        event_id=text(payload.get("event_id")),
        event_source_url=text(payload.get("event_source_url")),
    )
    if custom := _custom_data(conversion):
        event["custom_data"] = custom
    if limited(conversion):
        event |= ldu_options(conversion.get("consent"))
    return event
