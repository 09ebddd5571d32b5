"""The send-conversion action every ad destination shares: its fields and their readers.

The pipeline puts one object on each conversion event, `context.eventyard.conversion` (canonical
name, event_id, value, contents, raw user identifiers, click ids, consent...). An ad action has
one field holding that object plus a few fields a user may override per destination; the
readers here turn the object into the values every platform needs, leaving out anything
malformed instead of failing on it (the values come from users' events).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from eventyard.destinations.common import path
from eventyard.errors import TerminalError
from eventyard.mapping.fields import FieldSpec

__all__ = [
    "CONVERSION_PATH",
    "Origin",
    "action_source",
    "contents",
    "conversion_fields",
    "currency",
    "event_name",
    "limited",
    "origin",
    "present",
    "require_one_of",
    "text",
    "value",
]

CONVERSION_PATH = "$.context.eventyard.conversion"
Origin = Literal["website", "app", "other"]
_CURRENCY = re.compile(r"[A-Z]{3}")
_MAX_CONTENTS = 100
_MAX_QUANTITY = 1_000_000_000
_MAX_INTEGER = 10**20
"""Larger integers are no ids (and very long ones cannot even become strings)."""


def conversion_fields(action_sources: Sequence[str] | None) -> dict[str, FieldSpec]:
    """The action's fields; `action_sources` are the platform's accepted values (None: the
    platform takes no per-event action source)."""
    fields = {
        "conversion": FieldSpec(
            "Conversion",
            "object",
            required=True,
            default=path(CONVERSION_PATH),
            description="The conversion eventyard derives from the event (canonical name, "
            "ids, value, identifiers, consent); only conversion events have one.",
        ),
        "event_name": FieldSpec(
            "Event Name",
            "string",
            description="Default: the platform's standard event for the canonical conversion "
            "name; set it to send a custom event instead.",
        ),
        "event_id": FieldSpec(
            "Event ID",
            "string",
            default=path(f"{CONVERSION_PATH}.event_id"),
            description="Deduplicates this event with the browser pixel's copy: keep it equal "
            "to the pixel's event id.",
        ),
        "event_source_url": FieldSpec(
            "Event Source URL", "string", default=path(f"{CONVERSION_PATH}.page_url")
        ),
    }
    if action_sources is not None:
        fields["action_source"] = FieldSpec(
            "Action Source",
            "string",
            choices=tuple(action_sources),
            description="Default: website for web events (and server events that carry a "
            "page URL), app for app events, else the platform's value for other sources.",
        )
    return fields


def text(value: Any) -> str | None:
    """A non-empty string (integers become strings: order ids often arrive as numbers)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value) if abs(value) < _MAX_INTEGER else None
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def present(**values: Any) -> dict[str, Any]:
    """The keyword arguments that are not None: a platform's optional keys, left out if unknown."""
    return {key: found for key, found in values.items() if found is not None}


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def value(conversion: Mapping[str, Any]) -> float | None:
    return _number(conversion.get("value"))


def currency(conversion: Mapping[str, Any]) -> str | None:
    """The ISO-4217 code, or None when it is not three letters."""
    raw = conversion.get("currency")
    code = raw.strip().upper() if isinstance(raw, str) else ""
    return code if _CURRENCY.fullmatch(code) else None


def limited(conversion: Mapping[str, Any]) -> bool:
    """Whether this event must go out in the platform's limited-data-use mode."""
    return conversion.get("limited_data_use") is True


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= _MAX_QUANTITY


def contents(conversion: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The products, each with a string `id` and, when valid, name, category, brand, an
    integer quantity (1 to a billion) and a price; items without an id are left out."""
    items = conversion.get("contents")
    out: list[dict[str, Any]] = []
    for item in items[:_MAX_CONTENTS] if isinstance(items, list) else []:
        if not isinstance(item, Mapping) or (item_id := text(item.get("id"))) is None:
            continue
        product: dict[str, Any] = {"id": item_id}
        for key in ("name", "category", "brand"):
            if (label := text(item.get(key))) is not None:
                product[key] = label
        if _is_count(quantity := item.get("quantity")):
            product["quantity"] = quantity
        if (price := _number(item.get("price"))) is not None:
            product["price"] = price
        out.append(product)
    return out


def event_name(payload: Mapping[str, Any], names: Mapping[str, str], platform: str) -> str:
    """The mapped `event_name`, else the platform's standard event for the canonical name."""
    mapped = text(payload.get("event_name"))
    if mapped is not None:
        return mapped
    canonical = payload["conversion"].get("name")
    if isinstance(canonical, str) and canonical in names:
        return names[canonical]
    raise TerminalError(
        f"{platform} has no standard event for the conversion {canonical!r}; map event_name "
        "in this destination's action to send it as a custom event"
    )


def origin(conversion: Mapping[str, Any]) -> Origin:
    """Where the conversion happened: a server event with a page URL happened on a website."""
    source = conversion.get("action_source")
    if source == "website" or (source == "server" and text(conversion.get("page_url"))):
        return "website"
    return "app" if source == "app" else "other"


def action_source(payload: Mapping[str, Any], values: Mapping[Origin, str]) -> str:
    """The mapped `action_source`, else the platform's value for the conversion's origin."""
    mapped = text(payload.get("action_source"))
    return mapped if mapped is not None else values[origin(payload["conversion"])]


def require_one_of(
    user_data: Mapping[str, Any], minimum: Sequence[Sequence[str]], platform: str
) -> None:
    """TerminalError unless user_data holds every key of at least one set in `minimum`."""
    if any(all(key in user_data for key in keys) for keys in minimum):
        return
    options = " or ".join(" + ".join(keys) for keys in minimum)
    anonymous = (
        ""
        if any("external_id" in keys for keys in minimum)
        else f" ({platform} does not match on a userId or anonymousId alone)"
    )
    raise TerminalError(
        f"{platform} needs at least {options} in user_data and this event has none of "
        f"them{anonymous}; send the user's email or phone in traits, or the browser's IP and "
        "user agent"
    )
