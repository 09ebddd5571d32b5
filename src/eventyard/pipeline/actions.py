"""One action of one configured destination: when it fires and what it sends.

The subscription (FQL) decides whether an event triggers the action; the mapping (the
fields' defaults, with the user's per-field overrides from eventyard.yaml) builds the
payload, which is cleaned and checked against the fields before any job is queued, so a
payload that the destination could only reject never takes a place in its queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eventyard.destinations.base import ActionDefinition
from eventyard.fql import Filter, compile_fql
from eventyard.mapping import (
    Mapping as CompiledMapping,
)
from eventyard.mapping import (
    check_payload,
    coerce_arrays,
    compile_mapping,
    default_mapping,
    remove_empty,
    validate_against_fields,
)
from eventyard.mapping.fields import FieldSpec

__all__ = ["CompiledAction", "Outcome", "compile_action"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an action makes of one event: a payload, or the reason it is not sent."""

    payload: dict[str, Any] | None
    problems: tuple[str, ...] = ()
    """Why the mapped payload is invalid (e.g. "missing the required field 'order_id'")."""


@dataclass(frozen=True, slots=True)
class CompiledAction:
    key: str
    definition: ActionDefinition
    subscription: Filter
    mapping: CompiledMapping

    def subscribed(self, event: dict[str, Any]) -> bool:
        return self.subscription(event)

    def build(self, event: dict[str, Any]) -> Outcome:
        """Map, drop empty values, validate; never raises on a JSON event."""
        fields: dict[str, FieldSpec] = dict(self.definition.fields)
        mapped = self.mapping(event)
        if not isinstance(mapped, dict):
            return Outcome(None, ("the mapping did not produce an object",))
        payload = coerce_arrays(remove_empty(mapped, fields), fields)
        problems = check_payload(payload, fields)
        return Outcome(None, tuple(problems)) if problems else Outcome(payload)


def compile_action(
    key: str,
    definition: ActionDefinition,
    subscription: str | None = None,
    mapping: Mapping[str, Any] | None = None,
    where: str = "",
) -> CompiledAction:
    """Compile an action with optional overrides; raises ConfigError naming `where`.

    A user's `mapping` replaces the defaults field by field; fields it does not name keep
    their default mapping.
    """
    fields = dict(definition.fields)
    overrides = dict(mapping or {})
    if overrides:
        validate_against_fields(overrides, fields, f"{where}.mapping" if where else "mapping")
    merged = {**default_mapping(fields), **overrides}
    return CompiledAction(
        key=key,
        definition=definition,
        subscription=compile_fql(subscription or definition.default_subscription),
        mapping=compile_mapping(merged, f"{where}.mapping" if where else "mapping"),
    )
