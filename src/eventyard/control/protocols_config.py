"""The `tracking_plans:` and `transformations:` sections of `eventyard.yaml` (Protocols).

A tracking plan says which events a source may send and what their properties look like
(JSON Schema), and what happens to events that break it. A transformation renames or
changes events of a source before any destination (and, with `warehouse: true`, before the
warehouse) sees them. Checks raise `ConfigProblem(path, message)`; `config.py` turns it into
the usual `eventyard.yaml:<line>: <key>: <message>` error.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from eventyard.control.problem import ConfigProblem

__all__ = [
    "PlanSettings",
    "TrackingPlanConfig",
    "TransformationConfig",
    "check_protocols",
]

Schema = dict[str, Any]
"""A JSON Schema document (draft-07 unless it says otherwise with `$schema`)."""


class PlanSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What happens to events that do not follow the plan (Segment's Schema Configuration)."""

    unplanned_events: Literal["allow", "block", "forward"] = "allow"
    """A track event whose name is not in `events` (exact, case-sensitive)."""
    unplanned_properties: Literal["allow", "omit"] = "allow"
    """Properties the event's schema does not declare: keep them, or remove them."""
    unplanned_traits: Literal["allow", "omit"] = "allow"
    """The same for identify and group traits."""
    violations: Literal["allow", "block", "forward", "omit"] = "allow"
    """An event that breaks its schema (`events`, `event_context`, `identify_traits`,
    `group_traits`): keep it (the violation is still recorded), drop it, drop it here and
    append it to `forward_to`, or keep it without the offending properties (Segment's
    "Omit")."""
    common_violations: Literal["allow", "block", "forward", "omit"] | None = None
    """The same choice for violations of the `common` schema (Segment's Advanced Blocking
    Controls), applied after `violations`; unset: `violations` decides for them too."""
    forward_to: str | None = None
    """The quarantine source that blocked events go to (`forward` above)."""
    forward_violations_to: str | None = None
    """A source that gets one "Violation Generated" track event per violation."""


class TrackingPlanConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: str
    sources: list[str] = []
    """The sources this plan governs; a source follows at most one plan."""
    description: str = ""
    events: dict[str, Schema] = {}
    """Track event name -> JSON Schema of its `properties`."""
    event_context: dict[str, Schema] = {}
    """Track event name -> JSON Schema of its `context`, where wanted."""
    identify_traits: Schema | None = None
    """JSON Schema of identify calls' `traits`."""
    group_traits: Schema | None = None
    """JSON Schema of group calls' `traits`."""
    common: Schema | None = None
    """JSON Schema of every whole event, whatever its type (Segment's Common JSON Schema)."""
    settings: PlanSettings = msgspec.field(default_factory=PlanSettings)


class TransformationConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Rename an event, rename (move) properties, and set values with the mapping language,
    for the events of `sources` that match `if`; in that order."""

    name: str
    sources: list[str]
    if_: str = msgspec.field(default="all", name="if")
    """FQL over the event before this transformation; `all` matches every event."""
    rename_event: str | None = None
    """A new name for matching track events."""
    rename_properties: dict[str, str] = {}
    """Path -> new path, both under `properties.`, `traits.` or `context.` (`a\\.b` for a
    literal dot), at most 5 keys deep."""
    set: dict[str, Any] = {}
    """Path (as above) -> a mapping (`{"@path": "$.properties.total"}`, a literal, ...),
    evaluated against the event as it was before this transformation."""
    warehouse: bool = False
    """Also apply before the warehouse loads the event (the raw archive never changes)."""
    enabled: bool = True


def _unique(section: str, names: list[str]) -> None:
    for i, name in enumerate(names):
        if not name:
            raise ConfigProblem(f"$.{section}[{i}].name", "must not be empty")
        if name in names[:i]:
            raise ConfigProblem(f"$.{section}[{i}].name", f"duplicate {name!r}")


def check_protocols(
    plans: list[TrackingPlanConfig],
    transformations: list[TransformationConfig],
    sources: list[str],
) -> None:
    """Names are unique, sources exist, and every schema, FQL and mapping compiles."""
    # Imported here: the protocols package imports the config module that imports this one.
    from eventyard.protocols.compile import check_plan, check_references, check_transformation

    _unique("tracking_plans", [plan.name for plan in plans])
    _unique("transformations", [item.name for item in transformations])
    for i, plan in enumerate(plans):
        check_plan(plan, f"$.tracking_plans[{i}]")
    for i, item in enumerate(transformations):
        check_transformation(item, f"$.transformations[{i}]")
    check_references(plans, transformations, sources)
