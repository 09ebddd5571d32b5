"""Events as people read them in the debugger: a one-line summary and highlighted JSON.

Highlighting happens here, on the server, so the page needs no JavaScript library, and every
character of the event is escaped before any markup is added: an event is written by
whoever holds a write key, so its values are hostile by default. Big events are cut to a
bounded size; the row says how much was left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from markupsafe import Markup, escape

from eventyard.delivery.jobs import DeadLetter
from eventyard.destinations.registry import masked_payload
from eventyard.ui.describe import (
    SEGMENT_TYPES,
    Summary,
    event_name,
    first_text,
    payload_summary,
    shorten,
)

__all__ = [
    "MAX_JSON",
    "PREVIEW",
    "EventRow",
    "LetterView",
    "event_row",
    "highlight_json",
    "letter_view",
    "payload_view",
    "size_text",
]

MAX_JSON = 32 * 1024
"""Characters of pretty-printed JSON shown per event; the rest is summarised."""
PREVIEW = 160
"""Characters of a one-line payload preview."""

_TYPES = SEGMENT_TYPES | {"invalid"}
_TOKEN = re.compile(
    r'(?P<key>"(?:[^"\\]|\\.)*")(?=\s*:)'
    r'|(?P<string>"(?:[^"\\]|\\.)*")'
    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<literal>\btrue\b|\bfalse\b|\bnull\b)"
)


def highlight_json(value: Any, limit: int = MAX_JSON) -> Markup:
    """Indented JSON with <span class="j-..."> around keys, strings, numbers and literals."""
    text = orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
    cut = len(text) - limit
    if cut > 0:
        text = text[:limit]
    parts: list[str] = []
    done = 0
    for match in _TOKEN.finditer(text):
        parts.append(str(escape(text[done : match.start()])))
        kind = match.lastgroup
        parts.append(f'<span class="j-{kind}">{escape(match.group())}</span>')
        done = match.end()
    parts.append(str(escape(text[done:])))
    if cut > 0:
        parts.append(f'\n<span class="j-cut">\u2026 {cut:,} more characters not shown</span>')
    return Markup("".join(parts))


def size_text(size: int) -> str:
    """Bytes as people read them: "640 B", "1.1 KB", "2.3 MB"."""
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.1f} KB"
    return f"{size / 1_000_000:.1f} MB"


@dataclass(frozen=True, slots=True)
class EventRow:
    """One event of the debugger's list."""

    message_id: str
    type: str
    """As the event says (any text); `kind` is the safe one to style by."""
    name: str
    """What `describe.event_name` calls it; "" when the event does not say."""
    user: str
    """userId, else anonymousId."""
    anonymous: bool
    """`user` is an anonymousId."""
    received_at: str
    size: int
    """Bytes of the stored event."""
    body: Markup

    @property
    def received_short(self) -> str:
        """`1 May 12:00:00` from an ISO-8601 receivedAt ("05-01" reads as January 5 in
        half the world); "" if it is not one."""
        try:
            at = datetime.fromisoformat(self.received_at[:19])
        except ValueError:
            return ""
        return f"{at.day} {at:%b %H:%M:%S}"

    @property
    def size_text(self) -> str:
        return size_text(self.size)

    @property
    def kind(self) -> str:
        """The type if it is one of Segment's, else "other" (for CSS classes)."""
        return self.type if self.type in _TYPES else "other"


def payload_view(payload: bytes) -> tuple[str, Markup]:
    """(one-line preview, highlighted JSON) of a stored payload, JSON or not."""
    try:
        value = orjson.loads(payload)
    except orjson.JSONDecodeError:
        text = payload[:MAX_JSON].decode("utf-8", "replace")
        return shorten(text, PREVIEW), escape(text)
    return shorten(orjson.dumps(value).decode(), PREVIEW), highlight_json(value)


def event_row(message_id: str, payload: bytes) -> EventRow:
    """The row for a stored event; a payload that is not a JSON object is shown as text."""
    try:
        event = orjson.loads(payload)
    except orjson.JSONDecodeError:
        event = None
    if not isinstance(event, dict):
        _, body = payload_view(payload)
        return EventRow(message_id, "invalid", "", "", False, "", len(payload), body)
    user = first_text(event, "userId")
    return EventRow(
        message_id=message_id,
        type=first_text(event, "type") or "unknown",
        name=event_name(event),
        user=user or first_text(event, "anonymousId"),
        anonymous=not user,
        received_at=first_text(event, "receivedAt", "timestamp"),
        size=len(payload),
        body=highlight_json(event),
    )


@dataclass(frozen=True, slots=True)
class LetterView:
    """A dead letter as the dead letters page lists it."""

    letter: DeadLetter
    summary: Summary | None
    """The event it was for (see `describe.payload_summary`); None when it cannot tell."""
    size: str
    body: Markup


def letter_view(
    letter: DeadLetter, slug: str, original: tuple[str, str] | None = None
) -> LetterView:
    """A letter of a destination of type `slug`, its credential fields masked, named by its
    `original` event's (type, name) when the trace still has them (a mapping may have
    renamed or dropped `event` in the payload), else by what the payload says."""
    shown = masked_payload(slug, letter.action, letter.payload)
    _, body = payload_view(shown)
    summary = payload_summary(shown)
    if original is not None:
        kind = original[0] if original[0] in SEGMENT_TYPES else None
        if original[1] or (kind and (summary is None or not summary.name)):
            summary = Summary(kind, original[1])
    return LetterView(letter, summary, size_text(len(letter.payload)), body)
