"""One destination's compiled routing plan: its consent and conversion rules (applied first,
by `pipeline.conversions`), filters, then every enabled action's subscription, mapping and
payload check. Compiled once per configuration (also at load time, so that a bad FQL,
mapping or conversion event is a config error with a line number); `route(event)` runs per
event.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from eventyard.control.config import Config, ConversionsSettings, DestinationConfig
from eventyard.destinations.base import DestinationDefinition
from eventyard.destinations.registry import get_definition
from eventyard.fql import FQLSyntaxError
from eventyard.mapping import MappingError
from eventyard.pipeline.actions import CompiledAction, compile_action
from eventyard.pipeline.conversions import Rules, compile_rules
from eventyard.pipeline.destination_filter import (
    DestinationFilter,
    Dropped,
    PlanError,
    compile_filters,
)
from eventyard.pipeline.fanout import type_keys

__all__ = ["DestinationPlan", "Note", "PlanError", "Routed", "compile_plan", "compile_plans"]


@dataclass(frozen=True, slots=True)
class Note:
    """A decision to trace: step (a `trace.STEPS` name), action or None, reason, detail."""

    step: str
    action: str | None
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class Routed:
    """What one event makes for one destination: (action, payload JSON) jobs, and notes."""

    jobs: list[tuple[str, bytes]]
    notes: list[Note]


@dataclass(frozen=True, slots=True)
class DestinationPlan:
    name: str
    filter: DestinationFilter | None
    actions: tuple[CompiledAction, ...]
    rules: Rules
    type_keys: Mapping[str, str]
    """The `integrations` keys that address this destination's type (`fanout.type_keys`)."""

    def route(self, event: dict[str, Any]) -> Routed:
        """Filter, match subscriptions, map and check; never raises on a JSON event."""
        if self.filter is not None:
            kept = self.filter.apply(event)
            if isinstance(kept, Dropped):
                return Routed([], [Note("filtered", None, kept.reason, kept.detail)])
            event = kept
        jobs: list[tuple[str, bytes]] = []
        notes: list[Note] = []
        subscribed = False
        for action in self.actions:
            if not action.subscribed(event):
                continue
            subscribed = True
            outcome = action.build(event)
            if outcome.payload is None:
                problems = "; ".join(outcome.problems)
                notes.append(Note("invalid_payload", action.key, problems, problems))
                continue
            try:
                jobs.append((action.key, orjson.dumps(outcome.payload)))
            except TypeError as error:  # e.g. an integer beyond 64 bits from a directive
                detail = f"the payload is not JSON: {error}"
                notes.append(Note("invalid_payload", action.key, "not JSON", detail))
        if not subscribed:
            wanted = "; ".join(f"{a.key}: {a.subscription.text}" for a in self.actions)
            notes.append(Note("not_subscribed", None, "", wanted or "no action is enabled"))
        return Routed(jobs, notes)


_PLAIN_KEY = re.compile(r"[A-Za-z_][\w-]*")


def _key_path(loc: tuple[str | int, ...]) -> str:
    """`("data", "@path")` -> ".data.`@path`", the path form config errors find lines by."""
    return "".join(
        f"[{k}]" if isinstance(k, int) else f".{k}" if _PLAIN_KEY.fullmatch(k) else f".`{k}`"
        for k in loc
    )


def _compile_action(
    key: str, dest: DestinationConfig, definition: DestinationDefinition
) -> CompiledAction | None:
    override = dest.actions.get(key)
    if override is not None and not override.enabled:
        return None
    presets = definition.presets
    if override is None and presets is not None and (dest.actions or key not in presets):
        return None
    at = f".actions{_key_path((key,))}"
    action = definition.actions[key]
    if not action.default_subscription and (override is None or not override.subscription):
        reason = f"{definition.slug}'s {key!r} has no default subscription; write one"
        raise PlanError(f"{at}.subscription", reason)
    try:
        return compile_action(
            key,
            action,
            None if override is None else override.subscription,
            None if override is None else override.mapping,
        )
    except FQLSyntaxError as error:
        raise PlanError(f"{at}.subscription", str(error)) from None
    except MappingError as error:
        raise PlanError(f"{at}.mapping{_key_path(error.path)}", error.reason) from None


def compile_plan(
    dest: DestinationConfig,
    definition: DestinationDefinition,
    conversions: ConversionsSettings | None = None,
) -> DestinationPlan:
    """Compile a destination's rules, filters and enabled actions; raises PlanError naming
    the key. `conversions` (aliases, limited regions, dedup window) defaults to the defaults."""
    unknown = sorted(set(dest.actions) - set(definition.actions))
    if unknown:
        known = ", ".join(sorted(definition.actions)) or "none"
        raise PlanError(
            f".actions{_key_path((unknown[0],))}",
            f"{definition.slug} has no action {unknown[0]!r}; its actions: {known}",
        )
    compiled = (_compile_action(key, dest, definition) for key in definition.actions)
    return DestinationPlan(
        name=dest.name,
        filter=compile_filters(dest.filter, dest.filters),
        actions=tuple(action for action in compiled if action is not None),
        rules=compile_rules(dest, definition, conversions or ConversionsSettings()),
        type_keys=type_keys(definition.name, definition.catalog_names),
    )


def compile_plans(config: Config) -> dict[str, DestinationPlan]:
    """Every enabled destination's plan, by name (what the router routes with)."""
    return {
        dest.name: compile_plan(dest, get_definition(dest.type), config.conversions)
        for dest in config.destinations
        if dest.enabled
    }
