"""What a source's tracking plan and transformations make of one event: the pure decision
that the router's stage and the warehouse loader both apply.

Order (Segment's): validate against the plan -> block (unplanned event, then violations of
the event's own schemas, then of the common schema, per the plan's settings) -> omit
unplanned properties/traits and, with `omit`, the properties at fault, each listed in
`context.violations` -> the source's transformations, in configuration order, each seeing
the previous one's result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from eventyard.protocols.plan import CompiledPlan, Steps, Verdict
from eventyard.protocols.transform import CompiledTransformation
from eventyard.protocols.violations import (
    BLOCKING,
    UNPLANNED_EVENT,
    UNPLANNED_PROPERTY,
    Violation,
)

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


def _choices(plan: CompiledPlan) -> tuple[str, str]:
    """(the `violations` choice, the common schema's: its own, else the same)."""
    settings = plan.settings
    return settings.violations, settings.common_violations or settings.violations


def _decide(plan: CompiledPlan, verdict: Verdict) -> tuple[str | None, str | None]:
    settings = plan.settings
    if verdict.unplanned_event and settings.unplanned_events != "allow":
        forward = settings.forward_to if settings.unplanned_events == "forward" else None
        return UNPLANNED_EVENT, forward
    standard, common = _choices(plan)
    for broken, choice in ((verdict.broken, standard), (verdict.common_broken, common)):
        if broken and choice in ("block", "forward"):
            return VIOLATION, settings.forward_to if choice == "forward" else None
    return None, None


def _omittable(steps: Steps) -> Steps:
    """The key to remove for a violation at `steps`: an array item's whole array (removing
    an item would shift the others); () when nothing below the event's top is at fault."""
    while steps and isinstance(steps[-1], int):
        steps = steps[:-1]
    return steps if len(steps) >= 2 else ()


def _to_omit(plan: CompiledPlan, verdict: Verdict) -> list[tuple[Steps, Violation | None]]:
    """(path to remove, the violation listed for it in `context.violations`), in order."""
    settings = plan.settings
    omit_unplanned = {
        "properties": settings.unplanned_properties == "omit",
        "traits": settings.unplanned_traits == "omit",
    }
    standard, common = _choices(plan)
    listed = {v.steps: v for v in verdict.violations if v.rule == UNPLANNED_PROPERTY}
    found: list[tuple[Steps, Violation | None]] = [
        (path, listed.get(path)) for path in verdict.unplanned if omit_unplanned.get(str(path[0]))
    ]
    for violation in verdict.violations:
        choice = common if violation.common else standard
        path = _omittable(violation.steps)
        if choice == "omit" and violation.rule not in BLOCKING and path:
            found.append((path, violation))
    return found


def _omitted(plan: CompiledPlan, event: dict[str, Any], verdict: Verdict) -> dict[str, Any]:
    """The event without the keys the settings omit, each listed in `context.violations`
    (as Segment lists them), or the event itself when nothing is omitted."""
    paths = _to_omit(plan, verdict)
    if not paths:
        return event
    copy: dict[str, Any] = orjson.loads(orjson.dumps(event))
    listed: list[dict[str, str]] = []
    for path, violation in paths:
        holder: Any = copy
        for step in path[:-1]:
            if isinstance(holder, dict):
                holder = holder.get(step)
            elif isinstance(holder, list) and isinstance(step, int) and step < len(holder):
                holder = holder[step]
            else:
                holder = None
        if not isinstance(holder, dict) or path[-1] not in holder:
            continue  # already gone (with its parent, or listed twice)
        del holder[path[-1]]
        if violation is not None:
            listed.append(violation.as_segment())
    context = copy.get("context")
    if listed and isinstance(context, dict | None):
        copy["context"] = context = context or {}
        earlier = context.get("violations")
        context["violations"] = (earlier if isinstance(earlier, list) else []) + listed
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
