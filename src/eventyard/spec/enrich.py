"""Server-side fields of a stored message: receivedAt, skew-corrected timestamps,
messageId, context.ip, and the batch-level context/integrations (segment.md §1.6, §1.7).

Everything that is the same for all messages of a request lives in `RequestInfo`, built
once per request, so the per-message work is a handful of dict operations.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from eventyard.spec.timestamps import format_iso, is_canonical, parse_iso, skew_corrected

__all__ = ["INVALID_TIMESTAMP_KEY", "RequestInfo", "enrich", "request_info"]

INVALID_TIMESTAMP_KEY = "invalidTimestamp"
"""`context.invalidTimestamp` keeps a client time that is not ISO-8601, for debugging."""


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """What one request shares with all its messages."""

    received: datetime
    """Naive UTC, cut to milliseconds so that timestamps agree with receivedAt exactly."""
    received_at: str
    ip: str | None
    sent_at: str | None = None
    """The batch-level sentAt, normalised; None when absent or not ISO-8601."""
    offset: timedelta | None = None
    """receivedAt - sentAt of the batch, for the skew correction."""
    context: dict[str, Any] | None = None
    integrations: dict[str, Any] | None = None


def request_info(
    ip: str | None,
    sent_at: object = None,
    context: dict[str, Any] | None = None,
    integrations: dict[str, Any] | None = None,
    now: datetime | None = None,
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
    )


def _merged(message: dict[str, Any], field: str, shared: dict[str, Any]) -> Any:
    """The batch-level object under the message's own (the message's keys win)."""
    own = message.get(field)
    merged = {**shared, **own} if own else dict(shared)
    message[field] = merged
    return merged


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
    if info.ip is not None and (context is None or "ip" not in context):
        if context is None:
            context = message["context"] = {}
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
