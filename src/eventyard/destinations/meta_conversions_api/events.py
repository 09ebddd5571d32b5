"""One conversion as a Meta server event (developers.facebook.com/docs/marketing-api/
conversions-api/parameters: server-event, customer-information-parameters, custom-data).

- The event and its user_data are Meta's scheme (ads.server_event): em, ph, ... hashed after
  Meta's normalization, external_id hashed as recommended, client IP and user agent plain,
  plus fbc and fbp, never hashed.
- Website events need client_user_agent and event_source_url; Purchase needs value and
  currency; contents items need an id. event_time is Unix seconds, at most 7 days old
  (62 days for physical_store).
- Limited Data Use: data_processing_options ["LDU"] with country and state codes.
"""

from __future__ import annotations

from typing import Any

from eventyard.destinations.ads import commerce
from eventyard.destinations.ads.conversion import action_source, contents, event_name, limited
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
USER_DATA = customer_information(all_arrays=False, fbc="click_ids.fbc", fbp="click_ids.fbp")

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
_SINGLE_PRODUCT = {"content_name": "name", "content_category": "category"}


def _custom_data(conversion: dict[str, Any]) -> dict[str, Any]:
    """custom_data, with content_type and, for a single product, its name and category."""
    data = custom_data(conversion)
    items = contents(conversion)
    if items:
        data["content_type"] = "product"
    if len(items) == 1:
        data |= commerce.renamed(items[0], _SINGLE_PRODUCT)
    return data


def to_meta(payload: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """The server event for one payload; TerminalError when Meta would refuse it."""
    conversion = payload["conversion"]
    name = event_name(payload, EVENT_NAMES, "Meta")
    source = action_source(payload, {"website": "website", "app": "app", "other": "other"})
    max_age = _STORE_MAX_AGE if source == "physical_store" else MAX_AGE
    when = checked_time(conversion, max_age, "Meta", now)
    user = required_user_data(conversion, USER_DATA, _MINIMUM, "Meta")
    event = server_event(payload, name, when, source, user, _custom_data(conversion))
    if source == "website" and not ("client_user_agent" in user and "event_source_url" in event):
        raise TerminalError(
            "Meta requires client_user_agent and event_source_url on website events and this "
            "event lacks one; send events with context.userAgent and context.page.url, or map "
            "action_source to where the conversion happened"
        )
    custom = event.get("custom_data", {})
    if name == "Purchase" and not ("value" in custom and "currency" in custom):
        raise TerminalError(
            "Meta requires value and currency on Purchase; send properties.revenue (or total) "
            "and a 3-letter properties.currency"
        )
    if limited(conversion):
        event |= ldu_options(conversion.get("consent"))
    return event
