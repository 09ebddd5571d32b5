"""The Advanced section of the destination form: mode, consent, conversion events and delivery
tuning. Most destinations keep these at their defaults, so the section starts collapsed and
its summary names whatever is not a default. Filter rules live on the Filter tab
(`ui.pages_filter`), beside "only send"; a post of this section leaves them alone.

The section is read only when the form carries it (the hidden input `advanced`), so that a
post of the other fields alone leaves these keys as they are. A stored document is shown
through the same path as a typed form (`advanced_pairs`), so both look alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eventyard.control.config import DeliverySettings, decode_settings
from eventyard.control.duration import parse_duration
from eventyard.conversions.canonical import CANONICAL_NAMES, LEAD_EVENTS, REVENUE_EVENTS
from eventyard.destinations.base import DestinationDefinition
from eventyard.ui.formdata import Submitted

__all__ = [
    "DELIVERY",
    "FALLBACKS",
    "MARK",
    "AdvancedView",
    "advanced_keys",
    "advanced_pairs",
    "advanced_view",
    "parse_advanced",
]

MARK = "advanced"
FALLBACKS = ("suppress", "limited")
CONSENT = ("default", "none", "custom")
"""`default` and `none` (older forms) both mean no category, as in Segment."""
EVENT_GROUPS = (
    ("Revenue", sorted(REVENUE_EVENTS)),
    ("Leads", sorted(LEAD_EVENTS)),
    ("Other", sorted(CANONICAL_NAMES - REVENUE_EVENTS - LEAD_EVENTS)),
)
DELIVERY = {
    "concurrency": ("Fixed concurrency", "Requests in flight at once; replaces the range."),
    "min_concurrency": ("Least concurrency", "The adaptive limit never goes below this."),
    "max_concurrency": ("Most concurrency", "The adaptive limit never goes above this."),
    "timeout": ("Timeout", "How long one request may take."),
    "max_age": ("Give up after", "An event still failing after this long goes to dead letters."),
    "backoff_initial": ("Shortest retry wait", "The longest wait doubles with each attempt."),
    "backoff_max": ("Longest retry wait", "No retry waits longer than this."),
}
"""`delivery:` keys: (label, help). Durations are seconds or `500ms`, `30s`, `5m`, `4h`, `7d`."""


COUNTS = frozenset({"concurrency", "min_concurrency", "max_concurrency"})
"""The `delivery:` keys that are whole numbers, not durations."""


def _count(value: int | None) -> str:
    return "adaptive" if value is None else str(value)


def _human(seconds: float) -> str:
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m"), (1, "s")):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _defaults() -> dict[str, str]:
    base = DeliverySettings()
    return {
        key: _count(value) if key in COUNTS else _human(value)
        for key in DELIVERY
        for value in [getattr(base, key)]
    }


@dataclass(frozen=True, slots=True)
class AdvancedView:
    """What `_destination_advanced.html` shows."""

    mode: str
    consent: str
    categories: str
    suggested_category: str | None
    """The type's `consent_category`: offered, never applied by itself."""
    fallback: str
    limited_mode: bool
    events: tuple[str, list[str]] | None
    """For ad destinations: ("default" | "custom", the events ticked)."""
    default_events: str
    delivery: list[tuple[str, str, str, str, str | None]]
    """(key, label, help, value, error) per `delivery:` key; the placeholder is the default."""
    delivery_defaults: Mapping[str, str]
    errors: Mapping[str, str]
    open: bool
    summary: list[str]

    @property
    def event_groups(self) -> tuple[tuple[str, list[str]], ...]:
        return EVENT_GROUPS


def _number_text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def advanced_pairs(
    definition: DestinationDefinition, doc: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """A stored document's advanced keys as the form pairs that show them."""
    pairs = [(MARK, "on"), ("mode", str(doc.get("mode", "send")))]
    categories = doc.get("consent_categories")
    consent = "custom" if categories else "default"
    pairs += [("consent", consent), ("consent_categories", ", ".join(categories or []))]
    pairs.append(("consent_fallback", str(doc.get("consent_fallback", "suppress"))))
    events = doc.get("conversion_events")
    pairs.append(("conversions", "default" if events is None else "custom"))
    chosen = _default_events(definition, doc) if events is None else events
    pairs += [("conversion_events", name) for name in chosen]
    delivery = doc.get("delivery") or {}
    pairs += [(f"delivery.{k}", _number_text(delivery[k])) for k in DELIVERY if k in delivery]
    return pairs


def _default_events(definition: DestinationDefinition, doc: Mapping[str, Any]) -> list[str]:
    """The events sent without `conversion_events` (from the settings for some types)."""
    spec = definition.conversion
    if spec is None:
        return []
    if spec.settings_events is None:
        return sorted(spec.default_events)
    try:
        settings = decode_settings(definition, dict(doc.get("settings") or {}))
    except (ValueError, TypeError):  # settings not complete yet (msgspec errors are ValueError)
        return []
    return sorted(spec.settings_events(settings))


def _default_events_text(definition: DestinationDefinition, doc: Mapping[str, Any]) -> str:
    spec = definition.conversion
    if spec is None:
        return ""
    names = ", ".join(_default_events(definition, doc)) or "none yet"
    if spec.settings_events is not None:
        return f"the events that have a conversion action in Settings (now: {names})"
    return names


def _categories(text: str) -> list[str]:
    return list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))


_WHOLE = re.compile(r"[0-9]{1,9}")


def _delivery_value(key: str, raw: str) -> Any:
    """A `delivery:` value as the store takes it (it writes durations in one form); raises
    ValueError with the message to show."""
    if key in COUNTS:
        if _WHOLE.fullmatch(raw) is None:
            raise ValueError("Enter a whole number, e.g. 4.")
        return int(raw)
    message = "Enter seconds, or e.g. 500ms, 30s, 5m, 4h, 7d."
    if len(raw) > 24:
        raise ValueError(message)
    try:
        parse_duration(raw)
    except ValueError:
        raise ValueError(message) from None
    return raw


def _delivery(form: Submitted, errors: dict[str, str]) -> dict[str, Any] | None:
    delivery: dict[str, Any] = {}
    for key in DELIVERY:
        raw = form.get(f"delivery.{key}").strip()
        if raw:
            try:
                delivery[key] = _delivery_value(key, raw)
            except ValueError as error:
                errors[f"delivery.{key}"] = str(error)
    return delivery or None


def parse_advanced(
    definition: DestinationDefinition, form: Submitted
) -> tuple[dict[str, Any], dict[str, str]]:
    """(the section's keys as a change, None meaning "the default"; problems by field).
    Empty when the form does not carry the section. `mode`, shown here, is read with the
    other fields (`destination_form`): a post without the section may still set it."""
    if MARK not in form:
        return {}, {}
    errors: dict[str, str] = {}
    change: dict[str, Any] = {}
    consent = form.get("consent", "default")
    categories = _categories(form.get("consent_categories"))
    if consent not in CONSENT:
        errors["consent_categories"] = "Choose which consent this destination needs."
    elif consent == "custom" and not categories:
        errors["consent_categories"] = "Name a category, or choose “No consent category”."
    change["consent_categories"] = categories if consent == "custom" else None
    fallback = form.get("consent_fallback", "suppress")
    if fallback not in FALLBACKS:
        errors["consent_fallback"] = "Choose suppress or limited."
    change["consent_fallback"] = "limited" if fallback == "limited" else None
    if definition.conversion is not None:
        custom = form.get("conversions", "default") == "custom"
        events = list(dict.fromkeys(form.getlist("conversion_events")))
        change["conversion_events"] = events if custom else None
    change["delivery"] = _delivery(form, errors)
    return change, errors


def advanced_keys(form: Submitted) -> list[str]:
    """Form field keys that store errors about the section may be placed at."""
    keys = ["mode", "consent_categories", "consent_fallback", "conversion_events", "delivery"]
    return keys + [f"delivery.{key}" for key in DELIVERY]


def _summary(form: Submitted) -> list[str]:
    shown = []
    if form.get("mode") == "observe":
        shown.append("observe mode")
    if form.get("consent") == "custom":
        shown.append("consent: " + (", ".join(_categories(form.get("consent_categories"))) or "?"))
    if form.get("consent_fallback") == "limited":
        shown.append("limited mode on denial")
    if form.get("conversions") == "custom":
        count = len(form.getlist("conversion_events"))
        shown.append(f"{count} conversion event{'s' if count != 1 else ''}")
    if any(form.get(f"delivery.{key}").strip() for key in DELIVERY):
        shown.append("delivery tuned")
    return shown


def advanced_view(
    definition: DestinationDefinition,
    doc: Mapping[str, Any],
    form: Submitted,
    errors: Mapping[str, str] | None = None,
) -> AdvancedView:
    """The section showing `form` (a typed form, or `advanced_pairs` of the stored `doc`)."""
    errors = dict(errors or {})
    spec = definition.conversion
    events = None
    if spec is not None:
        choice = "custom" if form.get("conversions") == "custom" else "default"
        events = (choice, form.getlist("conversion_events"))
    delivery = [
        (key, label, help_text, form.get(f"delivery.{key}"), errors.get(f"delivery.{key}"))
        for key, (label, help_text) in DELIVERY.items()
    ]
    return AdvancedView(
        mode=form.get("mode", "send"),
        consent=form.get("consent", "default"),
        categories=form.get("consent_categories"),
        suggested_category=definition.consent_category,
        fallback=form.get("consent_fallback", "suppress"),
        limited_mode=spec is not None and spec.limited_mode,
        events=events,
        default_events=_default_events_text(definition, doc),
        delivery=delivery,
        delivery_defaults=_defaults(),
        errors=errors,
        open=any(key in errors for key in advanced_keys(form)),
        summary=_summary(form),
    )
