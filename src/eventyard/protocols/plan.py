"""A compiled tracking plan: which schema checks which part of an event, and what is
unplanned.

- track: `events[<event>]` checks `properties` (a missing `properties` is `{}`), and
  `event_context[<event>]` checks `context`; a name not in `events` is unplanned.
- identify / group: `identify_traits` / `group_traits` check `traits`.
- every type: `common` checks the whole event.
Unplanned properties (traits) are keys the schema does not declare where it lists
`properties` and leaves `additionalProperties` open; nested objects and array items are
followed through `properties` and `items` (not through `$ref` or `anyOf`/`oneOf`/`allOf`,
where "declared" has no single answer, and not where `patternProperties` applies).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eventyard.control.protocols_config import PlanSettings
from eventyard.protocols.schema import MAX_DEPTH, CompiledSchema
from eventyard.protocols.violations import (
    MAX_VIOLATIONS,
    UNPLANNED_EVENT,
    UNPLANNED_PROPERTY,
    Violation,
    describe_value,
    from_errors,
    join_path,
)

__all__ = ["CompiledPlan", "Verdict", "unplanned_paths"]

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


def _walk(schema: Any, value: Any, steps: Steps, out: list[Steps]) -> None:
    if len(steps) > MAX_DEPTH or not isinstance(schema, dict) or "$ref" in schema:
        return
    if isinstance(value, dict):
        declared = schema.get("properties")
        if not isinstance(declared, dict):
            return
        open_ = schema.get("additionalProperties", True) is True
        if open_ and "patternProperties" not in schema:
            out.extend((*steps, key) for key in value if key not in declared)
        for key, sub in declared.items():
            if key in value:
                _walk(sub, value[key], (*steps, key), out)
    elif isinstance(value, list):
        items = schema.get("items")
        for i, item in enumerate(value):
            _walk(items, item, (*steps, i), out)


def unplanned_paths(schema: dict[str, Any], value: Any, steps: Steps) -> list[Steps]:
    """Paths (from the event's top, starting with `steps`) of keys `schema` does not plan."""
    out: list[Steps] = []
    _walk(schema, value, steps, out)
    return out


@dataclass(frozen=True, slots=True)
class CompiledPlan:
    name: str
    settings: PlanSettings
    events: Mapping[str, CompiledSchema]
    event_context: Mapping[str, CompiledSchema]
    identify_traits: CompiledSchema | None
    group_traits: CompiledSchema | None
    common: CompiledSchema | None

    def _target(self, event: dict[str, Any]) -> tuple[CompiledSchema | None, str, bool]:
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
        schema, part, unplanned_event = self._target(event)
        if unplanned_event:
            name = event.get("event")
            found.append(
                Violation(
                    "event",
                    UNPLANNED_EVENT,
                    "an event of the plan",
                    describe_value(name),
                    f"{name!r} is not an event of tracking plan {self.name!r}",
                )
            )
        unplanned: list[Steps] = []
        checks: list[tuple[CompiledSchema, Any, str]] = []
        if schema is not None:
            value = event.get(part)
            value = _EMPTY if value is None else value
            checks.append((schema, value, part))
            unplanned = unplanned_paths(schema.raw, value, (part,))
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
                    "not sent (the plan does not list it)",
                    describe_value(_at(event, steps)),
                    f"{steps[-1]!r} is not planned for this event",
                )
            )
        return Verdict(found, unplanned_event, broken, unplanned)


def _at(event: Any, steps: Steps) -> Any:
    for step in steps:
        event = event[step]
    return event
