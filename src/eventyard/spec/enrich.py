"""Server-side fields of a stored message: receivedAt, skew-corrected timestamps,
messageId, context.ip, and the batch-level context/integrations (segment.md §1.6, §1.7).

`context.ip` is the connection's address only where that address is the user's: requests a
browser makes, events of Segment's client-side libraries, and events marked
`context.direct: true`. A backend's events (analytics-python, -node, curl) keep whatever IP
the caller set, and otherwise have none: the server's own address is never a customer's.

Everything that is the same for all messages of a request lives in `RequestInfo`, built
once per request, so the per-message work is a handful of dict operations.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from eventyard.spec.timestamps import format_iso, is_canonical, parse_iso, skew_corrected

__all__ = [
    "CLIENT_SIDE_LIBRARIES",
    "INVALID_TIMESTAMP_KEY",
    "RequestInfo",
    "enrich",
    "request_info",
]

INVALID_TIMESTAMP_KEY = "invalidTimestamp"
"""`context.invalidTimestamp` keeps a client time that is not ISO-8601, for debugging."""

CLIENT_SIDE_LIBRARIES = frozenset(
    {
        "analytics.js",  # analytics-next and the classic browser library
        "analytics-ios",
        "analytics-android",
        "analytics-swift",
        "analytics-kotlin",
        "analytics-react-native",
        "@segment/analytics-react-native",
        "analytics-flutter",
    }
)
"""`context.library.name` of Segment's libraries that run on the user's device, whose events
Segment gives the connection's address (Spec: Common Fields, "IP Address ... client side
events only")."""


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """What one request shares with all its messages."""

    received: datetime
    """Naive UTC, cut to milliseconds so that timestamps agree with receivedAt exactly."""
    received_at: str
    ip: str | None
    """The connection's address (after trusted proxies), used for client-side events only."""
    sent_at: str | None = None
    """The batch-level sentAt, normalised; None when absent or not ISO-8601."""
    offset: timedelta | None = None
    """receivedAt - sentAt of the batch, for the skew correction."""
    context: dict[str, Any] | None = None
    integrations: dict[str, Any] | None = None
    browser: bool = False
    """A browser made the request (short path, text/plain body, pixel): every event of it is
    client-side, whatever its context says."""


def request_info(
    ip: str | None,
    sent_at: object = None,
    context: dict[str, Any] | None = None,
    integrations: dict[str, Any] | None = None,
    now: datetime | None = None,
    browser: bool = False,
) -> RequestInfo:
    """Compute the per-request fields once; `now` defaults to the current time."""
    received = now or datetime.now(UTC)
    if received.tzinfo is not None:
        received = received.astimezone(UTC).replace(tzinfo=None)
    received = received.replace(microsecond=received.microsecond // 1000 * 1000)
    sent = parse_iso(sent_at)
    return RequestInfo(
        received=received,
        received_at=format_iso(received),
        ip=ip,
        sent_at=format_iso(sent) if sent else None,
        offset=received - sent if sent else None,
        context=context or None,
        integrations=integrations or None,
        browser=browser,
    )


def _merge_under(shared: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """`shared` with `own` laid over it, object by object: a message's `device.name` keeps
    the batch's `device.type`; where either side is not an object, the message's value wins."""
    merged = dict(shared)
    for key, value in own.items():
        below = merged.get(key)
        if isinstance(value, dict) and isinstance(below, dict):
            merged[key] = _merge_under(below, value)
        else:
            merged[key] = value
    return merged


def _merged(message: dict[str, Any], field: str, shared: dict[str, Any]) -> Any:
    """The batch-level object under the message's own, merged deeply (segment.md §1.6)."""
    own = message.get(field)
    merged = _merge_under(shared, own) if isinstance(own, dict) else dict(shared)
    message[field] = merged
    return merged


def _client_side(context: dict[str, Any]) -> bool:
    """Whether the event comes from the user's device by its own account."""
    if context.get("direct") is True:
        return True
    library = context.get("library")
    return isinstance(library, dict) and library.get("name") in CLIENT_SIDE_LIBRARIES


def _offset(message: dict[str, Any], info: RequestInfo) -> timedelta | None:
    """The skew offset: the message's own sentAt (browser single calls) or the batch's."""
    raw = message.get("sentAt")
    if raw is None:
        if info.sent_at is not None:
            message["sentAt"] = info.sent_at
        return info.offset
    sent = parse_iso(raw)
    if sent is None:
        return None
    message["sentAt"] = format_iso(sent)
    return info.received - sent


def enrich(message: dict[str, Any], info: RequestInfo) -> None:
    """Add the server fields to a validated message, in place.

    originalTimestamp <- the client's `timestamp` (else a given `originalTimestamp`);
    timestamp = receivedAt - (sentAt - originalTimestamp), or originalTimestamp without a
    sentAt, or receivedAt when the client gave no usable time (then originalTimestamp is
    receivedAt too). A client time that is not ISO-8601 counts as absent and is kept in
    `context.invalidTimestamp`.
    """
    message.pop("writeKey", None)
    message.pop("_metadata", None)
    if info.context is None:  # the common case: no batch-level context to merge
        context = message.get("context")
    else:
        context = _merged(message, "context", info.context)
    if info.integrations is not None:
        _merged(message, "integrations", info.integrations)
    if info.ip is not None:
        if context is None:
            if info.browser:
                context = message["context"] = {"ip": info.ip}
        elif "ip" not in context and (info.browser or _client_side(context)):
            context["ip"] = info.ip
    raw = message.get("timestamp")
    if raw is None:
        raw = message.get("originalTimestamp")
    original = parse_iso(raw) if raw is not None else None
    offset = _offset(message, info)
    if original is None:
        if raw is not None:
            if context is None:
                context = message["context"] = {}
            context[INVALID_TIMESTAMP_KEY] = raw
        message["originalTimestamp"] = message["timestamp"] = info.received_at
    else:
        message["originalTimestamp"] = raw if is_canonical(raw) else format_iso(original)
        message["timestamp"] = format_iso(skew_corrected(original, offset))
    message["receivedAt"] = info.received_at
    if not message.get("messageId"):
        message["messageId"] = str(uuid.uuid4())
