"""One conversion as a Meta server event (developers.facebook.com/docs/marketing-api/
conversions-api/parameters: server-event, customer-information-parameters, custom-data).

- user_data: Meta's customer information parameters (ads.customer_information: em, ph, ...
  hashed after Meta's normalization, external_id hashed as recommended; client IP and user
  agent plain) plus fbc and fbp, never hashed.
- Website events need client_user_agent and event_source_url; Purchase needs value and
  currency; contents items need an id. event_time is Unix seconds, at most 7 days old
  (62 days for physical_store).
- Limited Data Use: data_processing_options ["LDU"] with country and state codes.
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
from eventyard.errors import TerminalError

__all__ = ["ACTION_SOURCES", "CONVERSION", "EVENT_NAMES", "MAX_AGE", "USER_DATA", "to_meta"]

EVENT_NAMES = standard_events("meta")
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
    *customer_information(every_key_an_array=False),
    plain("fbc", "click_ids.fbc"),
    plain("fbp", "click_ids.fbp"),
)

# Meta publishes no per-key weights. Its best practices ask for email, phone, fbc, fbp,
# external_id and IP + user agent on every event, and Event Match Quality rises most with
# em, ph and fbc (conversions.md §1 "Match quality"): those weigh 3, the other deterministic
# and browser keys 2, the address and demographic keys (only useful together) 0.5-1.
CONVERSION = conversion_spec(
    "meta",
    EVENT_NAMES,
    weights={
        3.0: "email phone fbc",
        2.0: "external_id fbp",
        1.0: "ip user_agent first_name last_name zip",
        0.5: "city state country date_of_birth gender",
    },
    minimum=("email", "phone", "external_id", "fbc", "fbp", "ip user_agent"),
    max_age=MAX_AGE,
)
_MINIMUM = minimum_keys(CONVERSION.minimum, USER_DATA)


def _custom_data(conversion: dict[str, Any]) -> dict[str, Any]:
    data = commerce.order_details(conversion)
    items = contents(conversion)
    if items:
        data["content_type"] = "product"
        data["content_ids"] = [item["id"] for item in items]
        data["contents"] = commerce.product_lines(items)
        data["num_items"] = commerce.item_count(items)
        if len(items) == 1:
            keys = {"content_name": "name", "content_category": "category"}
            data |= commerce.renamed(items[0], keys)
    return data


def to_meta(payload: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """The server event for one payload; TerminalError when Meta would refuse it."""
    conversion = payload["conversion"]
    name = event_name(payload, EVENT_NAMES, "Meta")
    source = action_source(payload, {"website": "website", "app": "app", "other": "other"})
    max_age = _STORE_MAX_AGE if source == "physical_store" else MAX_AGE
    when = checked_time(conversion, max_age, "Meta", now)
    user = user_data(conversion, USER_DATA)
    require_one_of(user, _MINIMUM, "Meta")
    url = text(payload.get("event_source_url"))
    event: dict[str, Any] = {
        "event_name": name,
        "event_time": seconds(when),
        "action_source": source,
        "user_data": user,
    } | present(event_id=text(payload.get("event_id")), event_source_url=url)
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
