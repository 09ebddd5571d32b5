"""Meta's server event and customer information parameters, which Snap's Conversions API v3
and Pinterest's took over key for key.

developers.facebook.com/docs/marketing-api/conversions-api/parameters (server-event,
customer-information-parameters; conversions.md §1, §5, §6):
- an event is `event_name`, `event_time` (Unix seconds), `action_source`, `user_data`,
  `event_id` (deduplication with the pixel), `event_source_url` and `custom_data`, whose
  order keys are `value`, `currency`, `order_id`, `content_ids`, `contents` and `num_items`;
- user_data: em (trim, lowercase), ph (digits with the country code, no `+`, no leading
  zeros), fn/ln, ge, db, ct, st, zp, country and external_id, hashed with SHA-256 after
  normalization; client_ip_address and client_user_agent never hashed. Meta takes em, ph and
  external_id as arrays and the others single; Snap and Pinterest take every hashed key as an
  array. Each platform adds its own click id and cookie keys.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from eventyard.conversions import identity
from eventyard.destinations.ads import commerce
from eventyard.destinations.ads.conversion import contents, present, text
from eventyard.destinations.ads.identifiers import (
    PHONE_DIGITS,
    ZIP,
    Identifier,
    InCountry,
    Normalize,
    hashed,
    ip_address,
    plain,
)
from eventyard.destinations.ads.timing import seconds

__all__ = ["custom_data", "customer_information", "server_event"]

_HASHED: tuple[tuple[str, str, Normalize | InCountry], ...] = (
    ("em", "user.email", identity.email_basic),
    ("ph", "user.phone", PHONE_DIGITS),
    ("fn", "user.first_name", identity.name),
    ("ln", "user.last_name", identity.name),
    ("ge", "user.gender", identity.gender),
    ("db", "user.date_of_birth", identity.date_of_birth),
    ("ct", "user.city", identity.city),
    ("st", "user.state", identity.state),
    ("zp", "user.zip", ZIP),
    ("country", "user.country", identity.country),
    ("external_id", "user.external_id", identity.external_id),
)
_ARRAYS_ON_META = frozenset({"em", "ph", "external_id"})


def customer_information(*, all_arrays: bool, **own: str) -> tuple[Identifier, ...]:
    """The identifier table of these keys (Meta's arrays, or all arrays for Snap and
    Pinterest), then the platform's `own` plain keys: `key=source`, e.g. `fbc="click_ids.fbc"`."""
    return (
        *(
            hashed(key, source, rule, many=all_arrays or key in _ARRAYS_ON_META)
            for key, source, rule in _HASHED
        ),
        plain("client_ip_address", "ip", ip_address),
        plain("client_user_agent", "user_agent"),
        *(plain(key, source) for key, source in own.items()),
    )


def custom_data(
    conversion: Mapping[str, Any],
    value: Callable[[float], float | str] = float,
    price: Callable[[float], float | str] = float,
    quantity: Callable[[int], int | str] = int,
) -> dict[str, Any]:
    """The order's `custom_data`, money and quantities written as the platform takes them."""
    data = commerce.order_details(conversion, value)
    if items := contents(conversion):
        data["content_ids"] = [item["id"] for item in items]
        data["contents"] = commerce.product_lines(items, quantity, price)
        data["num_items"] = commerce.item_count(items)
    return data


def server_event(
    payload: Mapping[str, Any],
    name: str,
    when: float,
    source: str,
    user: dict[str, Any],
    custom: dict[str, Any],
) -> dict[str, Any]:
    """The event, with the mapped event_id and event_source_url, and custom_data when any."""
    event: dict[str, Any] = {
        "event_name": name,
        "event_time": seconds(when),
        "action_source": source,
        "user_data": user,
    }
    return event | present(
        event_id=text(payload.get("event_id")),
        event_source_url=text(payload.get("event_source_url")),
        custom_data=custom or None,
    )
