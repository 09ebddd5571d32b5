"""What a source's tracking plan and transformations make of one event: the pure decision
that the router's stage and the warehouse loader both apply.

Order (Segment's): validate against the plan -> block (unplanned event, then schema
violations, per the plan's settings) -> omit unplanned properties/traits -> the source's
transformations, in configuration order, each seeing the previous one's result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from eventyard.protocols.plan import CompiledPlan, Verdict
from eventyard.protocols.transform import CompiledTransformation
from eventyard.protocols.violations import UNPLANNED_EVENT

__all__ = ["VIOLATION", "Screened", "screen"]

VIOLATION = "violation"
"""The block reason for an event that breaks its schema (beside UNPLANNED_EVENT)."""


@dataclass(frozen=True, slots=True)
class Screened:
    event: dict[str, Any] | None
    """What goes on to destinations; None when the event is blocked."""
    verdict: Verdict | None
    """None when no plan governs the source."""
    plan: str | None
    blocked: str | None = None
    """`unplanned_event` or `violation` when blocked."""
    forward_to: str | None = None
    """The source a blocked event is appended to (the plan's `forward_to`), if any."""
    changed: bool = False
    """`event` differs from the input (omitted keys, transformations)."""
    transformed: tuple[str, ...] = ()
    """Names of the transformations that matched."""


def _decide(plan: CompiledPlan, verdict: Verdict) -> tuple[str | None, str | None]:
    settings = plan.settings
    if verdict.unplanned_event and settings.unplanned_events != "allow":
        forward = settings.forward_to if settings.unplanned_events == "forward" else None
        return UNPLANNED_EVENT, forward
    if verdict.broken and settings.violations != "allow":
        return VIOLATION, settings.forward_to if settings.violations == "forward" else None
    return None, None


def _omitted(plan: CompiledPlan, event: dict[str, Any], verdict: Verdict) -> dict[str, Any]:
    settings = plan.settings
    omit = {
        "properties": settings.unplanned_properties == "omit",
        "traits": settings.unplanned_traits == "omit",
    }
    paths = [path for path in verdict.unplanned if omit.get(str(path[0]))]
    if not paths:
        return event
    copy: dict[str, Any] = orjson.loads(orjson.dumps(event))
    for path in paths:
        holder: Any = copy
        for step in path[:-1]:
            holder = holder[step]
        del holder[path[-1]]
    return copy


def screen(
    plan: CompiledPlan | None,
    transformations: Sequence[CompiledTransformation],
    event: dict[str, Any],
) -> Screened:
    """Never raises for a JSON object; never changes `event` (a changed copy is returned)."""
    verdict = None if plan is None else plan.check(event)
    current = event
    if plan is not None and verdict is not None:
        blocked, forward = _decide(plan, verdict)
        if blocked is not None:
            return Screened(None, verdict, plan.name, blocked, forward)
        current = _omitted(plan, event, verdict)
    applied: list[str] = []
    for transformation in transformations:
        result = transformation.apply(current)
        if result is not None:
            current = result
            applied.append(transformation.name)
    name = None if plan is None else plan.name
    changed = current is not event
    return Screened(current, verdict, name, changed=changed, transformed=tuple(applied))
