"""Mapped payloads to PostHog events (the body items of /i/v0/e/ and /batch/).

Each action's payload becomes one PostHog event; `$`-prefixed names and properties are the
ones PostHog gives meaning to ($pageview, $identify, $set, $groupidentify, ...).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from typing import Any

from eventyard.errors import TerminalError

__all__ = ["BUILDERS", "capture_event", "group_event", "identify_event"]

Event = dict[str, Any]


def _common(payload: dict[str, Any], name: str, properties: dict[str, Any]) -> Event:
    """Fields every PostHog event carries; uuid only when it is one (PostHog dedups on it)."""
    if "ip" in payload:
        properties.setdefault("$ip", payload["ip"])  # else PostHog geolocates eventyard
    event: Event = {"event": name, "distinct_id": payload["distinct_id"], "properties": properties}
    if "timestamp" in payload:
        event["timestamp"] = payload["timestamp"]
    message_id = payload.get("uuid")
    if isinstance(message_id, str):
        with contextlib.suppress(ValueError):  # not a UUID: PostHog assigns one
            event["uuid"] = str(uuid.UUID(message_id))
    return event


def capture_event(payload: dict[str, Any]) -> Event:
    """track -> the event's name; page -> $pageview; screen -> $screen."""
    kind = payload.get("event_type", "track")
    properties = dict(payload.get("properties") or {})
    if kind == "page":
        name = "$pageview"
        if "current_url" in payload:
            properties["$current_url"] = payload["current_url"]
    elif kind == "screen":
        name = "$screen"
        if "screen_name" in payload:
            properties["$screen_name"] = payload["screen_name"]
    else:
        name = payload.get("event_name", "")
        if not name:
            raise TerminalError(
                "PostHog needs an event name and this track event has none; "
                "map event_name to a field that holds one"
            )
    if payload.get("anonymous_event_capture"):
        properties["$process_person_profile"] = False
    return _common(payload, name, properties)


def identify_event(payload: dict[str, Any]) -> Event:
    """$identify: set person properties and merge the anonymous id into the user."""
    properties: dict[str, Any] = {"$set": dict(payload.get("properties") or {})}
    anonymous = payload.get("anonymous_id")
    if anonymous and anonymous != payload["distinct_id"]:
        properties["$anon_distinct_id"] = anonymous
    return _common(payload, "$identify", properties)


def group_event(payload: dict[str, Any]) -> Event:
    """$groupidentify: create or update a group of `group_type` keyed by `group_key`."""
    properties = {
        "$group_type": payload["group_type"],
        "$group_key": payload["group_key"],
        "$group_set": dict(payload.get("properties") or {}),
    }
    return _common(payload, "$groupidentify", properties)


BUILDERS: dict[str, Callable[[dict[str, Any]], Event]] = {
    "capture": capture_event,
    "identify": identify_event,
    "group": group_event,
}
