"""A compiled tracking plan: which schema checks which part of an event, and what is
unplanned.

- track: `events[<event>]` checks `properties` (a missing `properties` is `{}`), and
  `event_context[<event>]` checks `context`; a name not in `events` is unplanned, except
  Segment's consent event (`spec.messages.CONSENT_EVENT`), which every plan accepts.
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
from eventyard.spec.messages import CONSENT_EVENT

__all__ = ["CompiledPlan", "Part", "Verdict"]

Steps = tuple[str | int, ...]
_EMPTY: dict[str, Any] = {}


@dataclass(frozen=True, slots=True)
class Verdict:
    violations: list[Violation]
    """Every violation found (unplanned events and properties included), at most 50."""
    unplanned_event: bool
    broken: bool
    """A rule of the event's own schemas failed (what the `violations` setting decides)."""
    unplanned: list[Steps]
    """Paths of unplanned properties/traits, from the event's top."""
    common_broken: bool = False
    """A rule of the plan's common schema failed (`common_violations` decides)."""


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
            return schema, "properties", schema is None and name != CONSENT_EVENT
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
            words = f"{name!r} is not an event of tracking plan {self.name!r}"
            found.append(
                Violation("event", UNPLANNED_EVENT, "a planned event", describe_value(name), words)
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
        broken = self._failed(checks, found, common=False)
        common_broken = self.common is not None and self._failed(
            [(self.common, event, "")], found, common=True
        )
        for steps in unplanned[: MAX_VIOLATIONS - len(found)]:
            where, words = join_path("", steps), f"{steps[-1]!r} is not planned for this event"
            shown = describe_value(_at(event, steps))
            found.append(
                Violation(where, UNPLANNED_PROPERTY, "not in the plan", shown, words, steps)
            )
        return Verdict(found, unplanned_event, broken, unplanned, common_broken)

    @staticmethod
    def _failed(
        checks: list[tuple[CompiledSchema, Any, str]], found: list[Violation], common: bool
    ) -> bool:
        """Run the checks, adding their violations to `found`; whether any failed."""
        failed = False
        for compiled, value, prefix in checks:
            if not compiled.is_valid(value):
                failed = True
                room = MAX_VIOLATIONS - len(found)
                found += from_errors(compiled.errors(value), prefix, room, common)
        return failed


def _at(event: Any, steps: Steps) -> Any:
    for step in steps:
        event = event[step]
    return event
