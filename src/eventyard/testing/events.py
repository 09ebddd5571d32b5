"""`make_event()`: a realistic enriched Segment event with fixed values, overridable."""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["make_event"]

_BASE: dict[str, Any] = {
    "type": "track",
    "event": "Test Event",
    "userId": "user1234",
    "anonymousId": "anonId1234",
    "messageId": "test-message-0001",
    "timestamp": "2026-01-01T12:00:00.000Z",
    "originalTimestamp": "2026-01-01T12:00:00.000Z",
    "sentAt": "2026-01-01T12:00:00.000Z",
    "receivedAt": "2026-01-01T12:00:00.100Z",
    "properties": {},
    "traits": {},
    "integrations": {},
    "context": {
        "ip": "8.8.8.8",
        "library": {"name": "analytics.js", "version": "next-1.84.3"},
        "locale": "en-US",
        "page": {
            "path": "/academy/",
            "referrer": "",
            "search": "",
            "title": "Analytics Academy",
            "url": "https://segment.com/academy/",
        },
        "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36",
    },
}


def make_event(**overrides: Any) -> dict[str, Any]:
    """A fresh copy of the base event with top-level keys replaced (None removes a key)."""
    event = copy.deepcopy(_BASE)
    for key, value in overrides.items():
        if value is None:
            event.pop(key, None)
        else:
            event[key] = value
    return event
