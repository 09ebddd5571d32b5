"""What one log record becomes, per destination: delivery jobs and trace steps.

Runs inside the router's state transaction, after dedup: a fresh event goes through its
`integrations` object (`pipeline.fanout`; a destination it switches off gets a `filtered`
step with reason `integrations`, and every step of one a key named says which key), then the
consent and conversions stage (`pipeline.conversions`; consent is checked whatever the
integrations object says), then each target destination's plan (filters, subscriptions,
mapping, payload check); every outcome, the jobs queued and the reasons nothing was,
becomes a trace step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson

from eventyard.delivery.jobs import NewJob
from eventyard.delivery.trace import Step, queued_detail
from eventyard.log.base import LogRecord
from eventyard.pipeline.consent import Refused
from eventyard.pipeline.conversions import ConversionStage
from eventyard.pipeline.fanout import choose, integrations_of
from eventyard.pipeline.plan import DestinationPlan

__all__ = ["decode_event", "received_at", "route_record"]


def received_at(event: Mapping[str, Any]) -> float | None:
    """The event's receivedAt as Unix time, or None when absent or unreadable."""
    value = event.get("receivedAt")
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def decode_event(payload: bytes) -> dict[str, Any] | None:
    """A stored payload as a JSON object, or None when it is not one."""
    try:
        event = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    return event if isinstance(event, dict) else None


def route_record(
    record: LogRecord,
    connected: Sequence[str],
    plans: Mapping[str, DestinationPlan],
    fresh: bool,
    now: float,
    jobs: list[NewJob],
    steps: list[Step],
    stage: ConversionStage | None = None,
) -> None:
    """Append the record's jobs and steps (`fresh`: not a duplicate within the window).

    `stage` holds the router's state connection; without one (replays) conversions keep no
    state: no remembered click IDs, no cross-route dedup, no ledger."""
    mid = record.message_id
    event = decode_event(record.payload)
    if event is None:
        detail = "the stored event is not a JSON object"
        steps += [
            Step(mid, name, None, "invalid_payload", detail, None, now, "not JSON")
            for name in connected
        ]
        return
    integrations = integrations_of(event)
    choices = [(name, choose(integrations, name, plans[name].type_keys)) for name in connected]
    if not fresh:
        detail = "messageId already seen within pipeline.dedup_window"
        steps += [
            Step(mid, name, None, "duplicate", detail, None, now)
            for name, choice in choices
            if choice.send
        ]
        return
    received = received_at(event)
    conversions = (stage or ConversionStage(None, now)).event(record, event)
    for name, choice in choices:
        if not choice.send:
            steps.append(Step(mid, name, None, "filtered", choice.note, None, now, "integrations"))
            continue
        first = len(steps)
        admitted = conversions.admit(name, plans[name].rules)
        if isinstance(admitted, Refused):
            step = Step(mid, name, None, admitted.step, admitted.detail, None, now, admitted.reason)
            steps.append(step)
        else:
            routed = plans[name].route(admitted.event)
            conversions.routed(name, admitted, bool(routed.jobs))
            for action, payload in routed.jobs:
                jobs.append(NewJob(name, action, record.key, mid, payload, received))
                detail = queued_detail(action, len(payload), event)
                steps.append(Step(mid, name, action, "queued", detail, None, now))
            steps += [
                Step(mid, name, note.action, note.step, note.detail, None, now, note.reason)
                for note in routed.notes
            ]
        if choice.kind:  # a key named this destination: say which
            steps[first:] = [replace(s, detail=f"{s.detail}; {choice.note}") for s in steps[first:]]
