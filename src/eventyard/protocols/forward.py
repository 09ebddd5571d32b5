"""Events that Protocols appends to the log: blocked events for the quarantine source, and
"Violation Generated" events for the plan's `forward_violations_to` source.

A blocked event keeps its messageId (and user key), so it is the same event in the
quarantine source, and carries `context.eventyard.blocked` saying where it came from and
why. Violation events follow Segment's shape (track "Violation Generated", userId
"schema-violations", properties eventName, eventType, eventMessageID, violationType,
violationField, violationDescription, ...); their messageIds are derived from the blocked
event's source, messageId and the violation's position, so appending one twice (a crash
while emptying the outbox) is a duplicate that dedup drops.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from eventyard import __version__
from eventyard.log.base import Entry, LogRecord
from eventyard.protocols.violations import Violation
from eventyard.spec.timestamps import format_iso

__all__ = ["MAX_VIOLATION_EVENTS", "VIOLATIONS_USER", "blocked_entry", "violation_entries"]

MAX_VIOLATION_EVENTS = 20
"""Violation events made from one event, at most (the first violations found)."""
VIOLATIONS_USER = "schema-violations"
_LIBRARY = {"name": "eventyard", "version": __version__}
"""`context.library` of a violation event whose event named no library."""


def blocked_entry(
    record: LogRecord, event: dict[str, Any], target: str, plan: str, reason: str
) -> Entry:
    """The blocked event as the quarantine source receives it (same messageId and key)."""
    context = event.get("context")
    context = dict(context) if isinstance(context, dict) else {}
    ours = context.get("eventyard")
    blocked = {"source": record.source, "plan": plan, "reason": reason}
    context["eventyard"] = {**(ours if isinstance(ours, dict) else {}), "blocked": blocked}
    payload = orjson.dumps({**event, "context": context})
    return Entry(target, record.key, record.message_id, payload)


def _message_id(record: LogRecord, index: int) -> str:
    digest = hashlib.sha256(f"{record.source}\0{record.message_id}\0{index}".encode())
    return f"violation-{digest.hexdigest()[:32]}"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def violation_entries(
    record: LogRecord,
    event: dict[str, Any],
    violations: Sequence[Violation],
    target: str,
    plan: str,
    now: float,
) -> list[Entry]:
    """One "Violation Generated" track event per violation (at most MAX_VIOLATION_EVENTS),
    in the shape of Segment's Forward Violations page: the violating event's `context.app`
    and `context.library` (for filtering), `forwardedFromProject` at the top. eventyard's
    sources and plans have no separate ids, so `sourceID` and `trackingPlanID` are their
    names."""
    at = format_iso(datetime.fromtimestamp(now, UTC))
    kind = event.get("type")
    name = event.get("event") if kind == "track" else event.get("name")
    context = event.get("context")
    context = context if isinstance(context, dict) else {}
    app = context.get("app") if isinstance(context.get("app"), dict) else None
    library = context.get("library")
    entries = []
    for index, violation in enumerate(violations[:MAX_VIOLATION_EVENTS]):
        message_id = _message_id(record, index)
        properties = {
            "appVersion": (_text(app.get("version")) if app else None) or "",
            "eventMessageID": record.message_id,
            "eventName": _text(name),
            "eventSentAt": _text(event.get("sentAt")),
            "eventTimestamp": _text(event.get("timestamp")),
            "eventType": _text(kind),
            "sourceID": record.source,
            "sourceName": record.source,
            "sourceSlug": record.source,
            "trackingPlanID": plan,
            "trackingPlanName": plan,
            **violation.as_segment(),
            "violationExpected": violation.expected,
            "violationActual": violation.actual,
        }
        payload = {
            "type": "track",
            "event": "Violation Generated",
            "userId": VIOLATIONS_USER,
            "messageId": message_id,
            "timestamp": at,
            "originalTimestamp": at,
            "receivedAt": at,
            "properties": properties,
            "integrations": {},
            "context": {
                "app": app,
                "library": library if isinstance(library, dict) else _LIBRARY,
            },
            "forwardedFromProject": record.source,
        }
        entries.append(Entry(target, VIOLATIONS_USER, message_id, orjson.dumps(payload)))
    return entries
