"""One conversion as a Snapchat Conversions API v3 event (conversions.md §5: developers.snap.com
Conversions API pages and Snap's business-sdk-v3 OpenAPI document).

- Meta's event and user_data scheme (ads.server_event), every hashed key an array (em; ph:
  digits with the country code, leading 00/0 removed, no `+`; fn, ln, ge, db, ct, st, zp,
  country, external_id), plus sc_click_id (the `ScCid` parameter) and sc_cookie1 (the `_scid`
  cookie), plain.
- At least em, ph, a mobile ad id, or IP + user agent. event_time in Unix seconds, at most
  37 days old. contents quantity and item_price are strings in the v3 schema.
- Limited Data Use: data_processing_options ["LDU"] with country and state, as Meta.
"""

from __future__ import annotations

from typing import Any

from eventyard.destinations.ads.conversion import action_source, event_name, limited
from eventyard.destinations.ads.definition import conversion_spec
from eventyard.destinations.ads.event_names import standard_events
from eventyard.destinations.ads.identifiers import minimum_keys, required_user_data
from eventyard.destinations.ads.ldu import ldu_options
from eventyard.destinations.ads.server_event import (
    custom_data,
    customer_information,
    server_event,
)
from eventyard.destinations.ads.timing import checked_time

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
USER_DATA = customer_information(
    all_arrays=True, sc_click_id="click_ids.sc_click_id", sc_cookie1="click_ids.sc_cookie1"
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


def to_snap(payload: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """The v3 event for one payload; TerminalError when Snap would refuse it."""
    conversion = payload["conversion"]
    name = event_name(payload, EVENT_NAMES, "Snap")
    when = checked_time(conversion, MAX_AGE, "Snap", now)
    user = required_user_data(conversion, USER_DATA, _MINIMUM, "Snap")
    source = action_source(payload, {"website": "WEB", "app": "MOBILE_APP", "other": "OFFLINE"})
    custom = custom_data(conversion, price=str, quantity=str)
    event = server_event(payload, name, when, source, user, custom)
    event["integration"] = INTEGRATION
    if limited(conversion):
        event |= ldu_options(conversion.get("consent"))
    return event
