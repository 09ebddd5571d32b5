"""What an event is, in a few words: "Button Clicked", "/pricing", "ada@example.com".

The debugger's Event column, the mappings editor's event picker and the dead letters page
all name events the same way. Events are written by whoever holds a write key, so every
value is read defensively (any type, any size) and cut to a table cell; templates escape it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

__all__ = [
    "MAX_CELL",
    "SEGMENT_TYPES",
    "Summary",
    "event_name",
    "first_text",
    "payload_summary",
    "shorten",
]

MAX_CELL = 120
"""Characters of one table cell (event name, user id)."""
SEGMENT_TYPES = frozenset({"track", "identify", "page", "screen", "group", "alias"})
_PLATFORM_NAMES = ("event_name", "event_type", "event", "name")
"""Where a destination's own payload (not a Segment event) says what happened."""


def shorten(text: str, limit: int = MAX_CELL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _text(value: Any) -> str:
    """A scalar as text ("" for anything else), cut to a table cell."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return shorten(str(value).strip())


def first_text(event: dict[str, Any], *paths: str) -> str:
    """The first non-empty scalar among dotted paths ("traits.email"), as cut text."""
    for path in paths:
        value: Any = event
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if found := _text(value):
            return found
    return ""


def _path(url: str) -> str:
    try:
        return urlsplit(url).path
    except ValueError:
        return ""


def _page(event: dict[str, Any]) -> str:
    """A page or screen: its name, else the path it was on."""
    name = first_text(event, "name", "properties.name")
    if name:
        return name
    path = first_text(event, "properties.path", "context.page.path")
    if path:
        return path
    return _path(first_text(event, "properties.url", "context.page.url"))


def _identify(event: dict[str, Any]) -> str:
    email = first_text(event, "traits.email", "context.traits.email")
    if email:
        return email
    user = first_text(event, "userId")
    return f"user {user}" if user else ""


def _alias(event: dict[str, Any]) -> str:
    before, after = first_text(event, "previousId"), first_text(event, "userId")
    return f"{before} \u2192 {after}" if before and after else before or after


def event_name(event: dict[str, Any]) -> str:
    """The words after the type: the track event, the page or screen name (else its path),
    the identified email (else "user <userId>"), the groupId, alias's "old -> new"."""
    kind = first_text(event, "type")
    if kind in ("page", "screen"):
        return _page(event)
    if kind == "identify":
        return _identify(event)
    if kind == "group":
        return first_text(event, "groupId", "traits.name")
    if kind == "alias":
        return _alias(event)
    return first_text(event, "event", "name")


def _segment_event(value: Any) -> dict[str, Any] | None:
    """The Segment event a stored payload holds: itself, or under `data` (the webhook and
    HTTP request destinations wrap the event, or a mapped body, that way)."""
    for candidate in (value, value.get("data") if isinstance(value, dict) else None):
        if isinstance(candidate, dict) and first_text(candidate, "type") in SEGMENT_TYPES:
            return candidate
    return None


@dataclass(frozen=True, slots=True)
class Summary:
    """What a stored payload is about: a Segment type (None for a platform's own payload)
    and the event's name; `str()` gives "track · Button Clicked"."""

    kind: str | None
    """One of SEGMENT_TYPES: safe in a CSS class name."""
    name: str

    def __str__(self) -> str:
        return " \u00b7 ".join(part for part in (self.kind, self.name) if part)


def payload_summary(payload: bytes) -> Summary | None:
    """The Segment event a stored payload holds, by type and name; for a platform's own
    payload, the event name it carries; None when neither can be told."""
    try:
        value = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    event = _segment_event(value)
    if event is not None:
        return Summary(first_text(event, "type"), event_name(event))
    name = first_text(value, *_PLATFORM_NAMES) if isinstance(value, dict) else ""
    return Summary(None, name) if name else None
