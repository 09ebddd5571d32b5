"""What the profile store reads from one event: when it happened, what it was, its traits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventyard.profiles.graph import Key
from eventyard.spec.messages import CONSENT_EVENT
from eventyard.spec.timestamps import parse_iso

__all__ = [
    "CONSENT_EVENT",
    "MAX_TRAITS",
    "Seen",
    "clean",
    "consent_traits",
    "event_name",
    "event_time",
    "group_id",
    "traits_of",
]

MAX_TRAITS = 500
"""Traits kept from one identify/group call; the rest are ignored."""
_MAX_CATEGORIES = 100
_MAX_KEY = 255
_EPOCH = datetime.fromtimestamp(0, UTC).replace(tzinfo=None)
"""parse_iso gives naive UTC times; subtracting this is the fastest way to Unix seconds."""


@dataclass(frozen=True, slots=True)
class Seen:
    """One processed event, as the graph records it."""

    key: Key
    source: str
    type: str | None
    event: str | None

    @property
    def message_id(self) -> str:
        return self.key[1]

    @property
    def at(self) -> float:
        return self.key[0]


def event_time(event: dict[str, Any], fallback: float) -> float:
    """The event's `timestamp` (ingest already corrected clock skew), else `receivedAt`,
    else when it was appended to the log."""
    for field in ("timestamp", "receivedAt"):
        moment = parse_iso(event.get(field))
        if moment is not None:
            return (moment - _EPOCH).total_seconds()
    return fallback


def clean(text: str) -> str:
    """Text as every store can keep it: NUL characters (PostgreSQL refuses them) replaced."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def event_name(event: dict[str, Any]) -> str | None:
    """The track event's name, or a page's/screen's name (what a timeline shows)."""
    name = event.get("event") if event.get("type") == "track" else event.get("name")
    return clean(name[:200]) if isinstance(name, str) else None


def group_id(event: dict[str, Any]) -> str | None:
    if event.get("type") != "group":
        return None
    value = event.get("groupId")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or len(value) > 512:
        return None
    return clean(value.strip())


def traits_of(event: dict[str, Any]) -> dict[str, Any] | None:
    """Traits an identify (user) or group (account) call sets, without null keys."""
    if event.get("type") not in ("identify", "group"):
        return None
    traits = event.get("traits")
    if not isinstance(traits, dict):
        return None
    kept = {}
    for key, value in traits.items():
        if isinstance(key, str) and 0 < len(key) <= _MAX_KEY and value is not None:
            kept[key] = value
            if len(kept) >= MAX_TRAITS:
                break
    return kept or None


def consent_traits(event: dict[str, Any]) -> dict[str, Any] | None:
    """The `consent` trait a "Segment Consent Preference Updated" track call sets on the
    user's profile: `{"categoryPreferences": {category: bool}}`, newest wins like any trait.

    As Segment's Unify does, only `true` is consent (an empty object refuses every
    category); an event without `context.consent.categoryPreferences` changes nothing."""
    if event.get("type") != "track" or event.get("event") != CONSENT_EVENT:
        return None
    context = event.get("context")
    consent = context.get("consent") if isinstance(context, dict) else None
    preferences = consent.get("categoryPreferences") if isinstance(consent, dict) else None
    if not isinstance(preferences, dict):
        return None
    kept = {
        clean(key): value is True
        for key, value in list(preferences.items())[:_MAX_CATEGORIES]
        if isinstance(key, str) and 0 < len(key) <= _MAX_KEY
    }
    return {"consent": {"categoryPreferences": kept}}
