"""A compiled tracking plan: which schema checks which part of an event, and what is
unplanned.

- track: `events[<event>]` checks `properties` (a missing `properties` is `{}`), and
  `event_context[<event>]` checks `context`; a name not in `events` is unplanned.
- identify / group: `identify_traits` / `group_traits` check `traits`.
- every type: `common` checks the whole event.
Unplanned properties (traits) are keys the schema does not plan (`protocols.shape`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eventyard.control.protocols_config import PlanSettings
from eventyard.protocols.schema import CompiledSchema
from eventyard.protocols.shape import Shape, shape_of, unplanned_paths
from eventyard.protocols.violations import (
    MAX_VIOLATIONS,
    UNPLANNED_EVENT,
    UNPLANNED_PROPERTY,
    Violation,
    describe_value,
    from_errors,
    join_path,
)

__all__ = ["CompiledPlan", "Part", "Verdict"]

Steps = tuple[str | int, ...]
_EMPTY: dict[str, Any] = {}


@dataclass(frozen=True, slots=True)
class Verdict:
    violations: list[Violation]
    """Every violation found (unplanned events and properties included), at most 50."""
    unplanned_event: bool
    broken: bool
    """Some schema rule failed (what the `violations` setting decides about)."""
    unplanned: list[Steps]
    """Paths of unplanned properties/traits, from the event's top."""


@dataclass(frozen=True, slots=True)
class Part:
    """One schema of a plan and the keys it plans."""

    schema: CompiledSchema
    shape: Shape | None

    @classmethod
    def of(cls, schema: CompiledSchema) -> Part:
        return cls(schema, shape_of(schema.raw))


@dataclass(frozen=True, slots=True)
class CompiledPlan:
    name: str
    settings: PlanSettings
    events: Mapping[str, Part]
    event_context: Mapping[str, CompiledSchema]
    identify_traits: Part | None
    group_traits: Part | None
    common: CompiledSchema | None

    def _target(self, event: dict[str, Any]) -> tuple[Part | None, str, bool]:
        """(schema, the part it checks, whether the event is unplanned)."""
        kind = event.get("type")
        if kind == "track":
            name = event.get("event")
            schema = self.events.get(name) if isinstance(name, str) else None
            return schema, "properties", schema is None
        if kind == "identify":
            return self.identify_traits, "traits", False
        if kind == "group":
            return self.group_traits, "traits", False
        return None, "", False

    def check(self, event: dict[str, Any]) -> Verdict:
        """Validate one event; never raises for a JSON object."""
        found: list[Violation] = []
        target, part, unplanned_event = self._target(event)
        if unplanned_event:
            name = event.get("event")
            found.append(
                Violation(
                    "event",
                    UNPLANNED_EVENT,
                    "a planned event",
                    describe_value(name),
                    f"{name!r} is not an event of tracking plan {self.name!r}",
                )
            )
        unplanned: list[Steps] = []
        checks: list[tuple[CompiledSchema, Any, str]] = []
        if target is not None:
            value = event.get(part)
            value = _EMPTY if value is None else value
            checks.append((target.schema, value, part))
            unplanned = unplanned_paths(target.shape, value, (part,))
        name = event.get("event")
        context = self.event_context.get(name) if isinstance(name, str) else None
        if context is not None and part == "properties":
            value = event.get("context")
            checks.append((context, _EMPTY if value is None else value, "context"))
        if self.common is not None:
            checks.append((self.common, event, ""))
        broken = False
        for compiled, value, prefix in checks:
            if not compiled.is_valid(value):
                broken = True
                room = MAX_VIOLATIONS - len(found)
                found += from_errors(compiled.errors(value), prefix, room)
        for steps in unplanned[: MAX_VIOLATIONS - len(found)]:
            found.append(
                Violation(
                    join_path("", steps),
                    UNPLANNED_PROPERTY,
                    "not in the plan",
                    describe_value(_at(event, steps)),
                    f"{steps[-1]!r} is not planned for this event",
                )
            )
        return Verdict(found, unplanned_event, broken, unplanned)


def _at(event: Any, steps: Steps) -> Any:
    for step in steps:
        event = event[step]
    return event
