"""The identifiers an event carries, normalized, with blocked values left out.

Segment's default external ids (segment.md §5.1) plus phone and the configured custom
paths: `userId` -> user_id, `anonymousId` -> anonymous_id, `traits.email` and
`context.traits.email` -> email (trimmed, lowercased), `traits.phone` -> phone (E.164 where
the number parses), `context.externalIds` of collection `users`, device ids and advertising
ids by device type, the Google Analytics client id. An alias's `previousId` is linked as an
anonymous_id: aliasing the anonymous visitor to the new user is what alias is for, and two
user_ids on one profile is exactly what the default user_id limit of 1 refuses anyway.

Blocked values stay in the event but never become identifiers (Segment's rule), so a
hard-coded `null` or `0` cannot merge thousands of visitors into one profile.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from eventyard.control.profiles_config import DEFAULT_BLOCKED_VALUES, ProfilesSettings
from eventyard.conversions.identity import email_basic, phone_e164

__all__ = [
    "MAX_IDENTIFIERS",
    "MAX_VALUE_CHARS",
    "Extractor",
    "Ident",
    "format_ident",
    "lookup",
    "normalize",
]

Ident = tuple[str, str]
"""(type, value), e.g. ("email", "jane@example.com")."""

MAX_VALUE_CHARS = 512
"""Longer values are not identifiers (an email is at most 254 characters)."""
MAX_IDENTIFIERS = 50
"""Per event: a hostile `context.externalIds` list must not grow one profile without bound."""

_DEVICE_TYPES = frozenset({"ios", "android"})
_TYPE = re.compile(r"[a-z][a-z0-9_.]{0,63}")
"""What an externalIds `type` must look like (lowercase, as Segment requires)."""


def format_ident(ident: Ident) -> str:
    """`type:value`, the Profile API's form."""
    return f"{ident[0]}:{ident[1]}"


def lookup(event: Any, path: str) -> Any:
    """The value at a dot path, or None (lists are not walked)."""
    value = event
    for key in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _text(value: Any) -> str | None:
    """Strings and integers (ids often arrive as numbers) as stripped text, else None (also
    for text with a NUL character, which no identifier has and PostgreSQL cannot store)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**30:
        value = str(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text if text and len(text) <= MAX_VALUE_CHARS and "\x00" not in text else None


def _phone(value: str) -> str | None:
    return phone_e164(value) or value


def _keep(value: str) -> str | None:
    return value


_NORMALIZE: Mapping[str, Callable[[str], str | None]] = {"email": email_basic, "phone": _phone}


def normalize(kind: str, value: str) -> str | None:
    """A value as the graph stores it for its type (email lowercased, phone in E.164)."""
    return _NORMALIZE.get(kind, _keep)(value)


class Extractor:
    """Built once per configuration; `extract(event)` runs for every event."""

    def __init__(self, settings: ProfilesSettings) -> None:
        blocked = settings.blocked_values
        values = DEFAULT_BLOCKED_VALUES if blocked is None else tuple(blocked)
        patterns = [v[1:-1] for v in values if len(v) >= 2 and v[0] == v[-1] == "/"]
        self._exact = frozenset(v.lower() for v in values if not (len(v) >= 2 and v[0] == "/"))
        self._pattern = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None
        self._custom = [(c.type, tuple(c.paths)) for c in settings.identifiers]

    def blocked(self, value: str) -> bool:
        if value.lower() in self._exact:
            return True
        return self._pattern is not None and self._pattern.search(value) is not None

    def extract(self, event: Mapping[str, Any]) -> list[Ident]:
        """Distinct identifiers in a fixed order (at most MAX_IDENTIFIERS)."""
        found: dict[Ident, None] = {}
        for kind, raw in self._candidates(event):
            text = _text(raw)
            value = None if text is None else normalize(kind, text)
            if value and not self.blocked(value):
                found[(kind, value)] = None
                if len(found) >= MAX_IDENTIFIERS:
                    break
        return list(found)

    def _candidates(self, event: Mapping[str, Any]) -> list[tuple[str, Any]]:
        """(type, raw value) pairs that are present, in priority-neutral reading order."""
        found = [("user_id", event.get("userId")), ("anonymous_id", event.get("anonymousId"))]
        if event.get("type") == "alias":
            found.append(("anonymous_id", event.get("previousId")))
        context = event.get("context")
        context = context if isinstance(context, dict) else {}
        for holder in (event.get("traits"), context.get("traits")):
            if isinstance(holder, dict):
                found += [("email", holder.get("email")), ("phone", holder.get("phone"))]
        if "externalIds" in context:
            found += _external_ids(context["externalIds"])
        if "device" in context:
            found += _device(context["device"])
        for integrations in (event.get("integrations"), context.get("integrations")):
            if isinstance(integrations, dict) and "Google Analytics" in integrations:
                analytics = integrations["Google Analytics"]
                if isinstance(analytics, dict):
                    found.append(("ga_client_id", analytics.get("clientId")))
        for kind, paths in self._custom:
            found += [(kind, lookup(event, path)) for path in paths]
        return [pair for pair in found if pair[1] is not None]


def _external_ids(items: Any) -> Iterator[tuple[str, Any]]:
    if not isinstance(items, list):
        return
    for item in items[:MAX_IDENTIFIERS]:
        if not isinstance(item, dict) or item.get("collection", "users") != "users":
            continue
        kind = item.get("type")
        if isinstance(kind, str) and _TYPE.fullmatch(kind) and kind != "group_id":
            yield kind, item.get("id")


def _device(device: Any) -> Iterator[tuple[str, Any]]:
    if not isinstance(device, dict):
        return
    kind = device.get("type")
    if not isinstance(kind, str) or kind.lower() not in _DEVICE_TYPES:
        return
    kind = kind.lower()
    yield f"{kind}.id", device.get("id")
    if device.get("adTrackingEnabled") is True:
        yield f"{kind}.idfa", device.get("advertisingId")
    yield f"{kind}.push_token", device.get("token")
