"""One conversion as a Pinterest conversion event (conversions.md §6: pinterest/api-description
v5 openapi.yaml ConversionEvents*, developers.pinterest.com/docs/conversions).

- Meta's event and user_data scheme (ads.server_event), every hashed key an array (em
  lowercase, ph digits with the country code and no leading zeros, ct without spaces or
  punctuation, st 2 letters, zp, ...), plus click_id (the `epik` parameter or `_epik`
  cookie), plain.
- Required: event_name, action_source (web | app_android | app_ios | offline), event_time in
  seconds, event_id, and at least em, hashed_maids or IP + user agent.
- value and item_price are strings; limited mode is custom_data.opt_out_type "LDP".
"""

from __future__ import annotations

from typing import Any

from eventyard.destinations.ads.conversion import (
    action_source,
    event_name,
    limited,
    origin,
    text,
)
from eventyard.destinations.ads.definition import conversion_spec
from eventyard.destinations.ads.event_names import standard_events
from eventyard.destinations.ads.identifiers import minimum_keys, required_user_data
from eventyard.destinations.ads.server_event import (
    custom_data,
    customer_information,
    server_event,
)
from eventyard.destinations.ads.timing import checked_time
from eventyard.errors import TerminalError

__all__ = ["ACTION_SOURCES", "CONVERSION", "EVENT_NAMES", "MAX_AGE", "USER_DATA", "to_pinterest"]

EVENT_NAMES = standard_events("pinterest")
"""Pinterest's event names; `checkout` is the purchase event, and there is no refund."""
ACTION_SOURCES = ("web", "app_android", "app_ios", "offline")
MAX_AGE: float | None = None
"""Pinterest documents no maximum age (conversions.md §9); events over an hour old are
reported as offline conversions, which it cannot deduplicate."""
USER_DATA = customer_information(all_arrays=True, click_id="click_ids.epik")

# Pinterest's spec recommends em, ph, fn, ln, hashed_maids and click_id "on checkout events
# at least" and IP, user agent and external_id on all events (conversions.md §6): email,
# phone and the epik click id weigh 3, external_id 2, names 1, IP and user agent 1.5 each
# (together they meet the minimum), the address and demographic keys 0.5.
CONVERSION = conversion_spec(
    "pinterest",
    EVENT_NAMES,
    weights={
        3.0: "email phone epik",
        2.0: "external_id",
        1.5: "ip user_agent",
        1.0: "first_name last_name",
        0.5: "zip city state country gender date_of_birth",
    },
    minimum=("email", "ip user_agent"),
    max_age=MAX_AGE,
)
_MINIMUM = minimum_keys(CONVERSION.minimum, USER_DATA)


def _money(amount: float) -> str:
    """Pinterest takes money as a decimal string."""
    return repr(amount) if amount != int(amount) else f"{int(amount)}"


def _custom_data(conversion: dict[str, Any]) -> dict[str, Any]:
    """custom_data with money as strings, opting out of processing in limited mode."""
    data = custom_data(conversion, value=_money, price=_money)
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
    when = checked_time(conversion, MAX_AGE, "Pinterest", now)
    if text(payload.get("event_id")) is None:
        raise TerminalError("Pinterest requires an event_id; map event_id in this action")
    user = required_user_data(conversion, USER_DATA, _MINIMUM, "Pinterest")
    source = _action_source(payload)
    return server_event(payload, name, when, source, user, _custom_data(conversion))
