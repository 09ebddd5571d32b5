"""Compile the configuration's tracking plans and transformations, per source.

`compile_protocols(config)` runs once per configuration change; `Protocols.screen` per
event. The same compilers are the config checks, so every bad schema, FQL or mapping is a
ConfigProblem naming its key (`$.tracking_plans[0].events.`Order Completed`.required`)
when the configuration is written, never a surprise at run time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eventyard.control.config import Config
from eventyard.control.problem import ConfigProblem
from eventyard.control.protocols_config import TrackingPlanConfig, TransformationConfig
from eventyard.fql import FQLSyntaxError, compile_fql
from eventyard.mapping import MappingError, compile_mapping
from eventyard.protocols.plan import CompiledPlan, Part
from eventyard.protocols.schema import CompiledSchema, SchemaProblem, compile_schema
from eventyard.protocols.screen import Screened, screen
from eventyard.protocols.transform import CompiledTransformation, PathError, parse_path

__all__ = [
    "MAX_EVENT_NAME",
    "Protocols",
    "SourceRules",
    "check_plan",
    "check_references",
    "check_transformation",
    "compile_plan",
    "compile_protocols",
    "compile_transformation",
    "key_path",
]

MAX_EVENT_NAME = 200
_PLAIN_KEY = re.compile(r"[A-Za-z_][\w-]*")


def key_path(steps: Sequence[str | int]) -> str:
    """`("events", "Order Completed", 0)` -> ".events.`Order Completed`[0]", the path form
    config errors find lines by."""
    return "".join(
        f"[{k}]" if isinstance(k, int) else f".{k}" if _PLAIN_KEY.fullmatch(k) else f".`{k}`"
        for k in steps
    )


def _schema(value: Any, at: str) -> CompiledSchema:
    try:
        return compile_schema(value)
    except SchemaProblem as problem:
        raise ConfigProblem(at + key_path(problem.steps), problem.message) from None


def _named(name: str, at: str) -> None:
    if not name or len(name) > MAX_EVENT_NAME:
        raise ConfigProblem(at, f"an event name must have 1 to {MAX_EVENT_NAME} characters")


def compile_plan(plan: TrackingPlanConfig, at: str = "$") -> CompiledPlan:
    """Every schema compiled; ConfigProblem (path under `at`) for the first that is not."""
    events = {}
    for name, value in plan.events.items():
        _named(name, f"{at}.events{key_path((name,))}")
        events[name] = Part.of(_schema(value, f"{at}.events{key_path((name,))}"))
    context = {}
    for name, value in plan.event_context.items():
        where = f"{at}.event_context{key_path((name,))}"
        if name not in plan.events:
            raise ConfigProblem(where, f"{name!r} is not one of the plan's events")
        context[name] = _schema(value, where)
    traits = {
        key: None if value is None else Part.of(_schema(value, f"{at}.{key}"))
        for key, value in (
            ("identify_traits", plan.identify_traits),
            ("group_traits", plan.group_traits),
        )
    }
    common = None if plan.common is None else _schema(plan.common, f"{at}.common")
    settings = plan.settings
    choices = (settings.violations, settings.common_violations, settings.unplanned_events)
    if "forward" in choices and not settings.forward_to:
        raise ConfigProblem(
            f"{at}.settings.forward_to",
            "name the quarantine source: violations, common_violations or unplanned_events "
            "is `forward`",
        )
    return CompiledPlan(plan.name, settings, events, context, common=common, **traits)


def compile_transformation(item: TransformationConfig, at: str = "$") -> CompiledTransformation:
    """The compiled transformation; ConfigProblem (path under `at`) when it cannot run."""
    try:
        condition = compile_fql(item.if_)
    except FQLSyntaxError as error:
        raise ConfigProblem(f"{at}.if", str(error)) from None
    if item.rename_event is not None:
        _named(item.rename_event, f"{at}.rename_event")
    if item.rename_event is None and not item.rename_properties and not item.set:
        raise ConfigProblem(at, "does nothing: give rename_event, rename_properties or set")
    renames = []
    for old, new in item.rename_properties.items():
        where = f"{at}.rename_properties{key_path((old,))}"
        renames.append((_path(old, where), _path(new, where)))
    sets = []
    for target, mapping in item.set.items():
        where = f"{at}.set{key_path((target,))}"
        try:
            sets.append((_path(target, where), compile_mapping(mapping)))
        except MappingError as error:
            raise ConfigProblem(where + key_path(error.path), error.reason) from None
    return CompiledTransformation(
        item.name, condition, item.rename_event, tuple(renames), tuple(sets), item.warehouse
    )


def _path(text: str, where: str) -> tuple[str, ...]:
    try:
        return parse_path(text)
    except PathError as error:
        raise ConfigProblem(where, str(error)) from None


def check_plan(plan: TrackingPlanConfig, at: str = "$") -> None:
    compile_plan(plan, at)


def check_transformation(item: TransformationConfig, at: str = "$") -> None:
    compile_transformation(item, at)


Label = Callable[[str, int], str]
"""(section, index) -> the path of that item: `$.tracking_plans[0]` in a file, or
`$.tracking_plans.shop` in the config store."""


def _indexed(section: str, index: int) -> str:
    return f"$.{section}[{index}]"


def check_references(
    plans: Sequence[TrackingPlanConfig],
    transformations: Sequence[TransformationConfig],
    sources: Sequence[str],
    label: Label = _indexed,
) -> None:
    """Sources named exist; a source follows one plan; forwarding goes to another source."""
    known = ", ".join(sources) or "none"
    owner: dict[str, str] = {}
    for i, plan in enumerate(plans):
        at = label("tracking_plans", i)
        for j, source in enumerate(plan.sources):
            if source not in sources:
                raise ConfigProblem(
                    f"{at}.sources[{j}]", f"no source named {source!r}; known sources: {known}"
                )
            if source in owner:
                raise ConfigProblem(
                    f"{at}.sources[{j}]",
                    f"source {source!r} already follows plan {owner[source]!r}; a source "
                    "follows one tracking plan",
                )
            owner[source] = plan.name
        for key in ("forward_to", "forward_violations_to"):
            target = getattr(plan.settings, key)
            if target is None:
                continue
            if target not in sources:
                raise ConfigProblem(
                    f"{at}.settings.{key}", f"no source named {target!r}; known sources: {known}"
                )
            if target in plan.sources:
                raise ConfigProblem(
                    f"{at}.settings.{key}",
                    f"{target!r} follows this plan itself; forward to another source",
                )
    for i, item in enumerate(transformations):
        for j, source in enumerate(item.sources):
            if source not in sources:
                raise ConfigProblem(
                    f"{label('transformations', i)}.sources[{j}]",
                    f"no source named {source!r}; known sources: {known}",
                )


@dataclass(frozen=True, slots=True)
class SourceRules:
    plan: CompiledPlan | None
    transformations: tuple[CompiledTransformation, ...]
    warehouse: tuple[CompiledTransformation, ...]
    """The transformations marked `warehouse: true`."""


class Protocols:
    """Every source's compiled plan and transformations."""

    def __init__(self, rules: dict[str, SourceRules]) -> None:
        self._rules = rules
        self.sources = frozenset(rules)
        """Sources that have a plan or a transformation."""

    def screen(self, source: str, event: dict[str, Any]) -> Screened | None:
        """What the source's plan and transformations make of the event (None: nothing
        applies to this source)."""
        rules = self._rules.get(source)
        if rules is None:
            return None
        return screen(rules.plan, rules.transformations, event)

    def screen_for_warehouse(self, source: str, event: dict[str, Any]) -> Screened | None:
        """The same, with only the transformations marked `warehouse: true`."""
        rules = self._rules.get(source)
        if rules is None or (rules.plan is None and not rules.warehouse):
            return None
        return screen(rules.plan, rules.warehouse, event)


def compile_protocols(config: Config) -> Protocols:
    """Per source, its plan and enabled transformations (in configuration order)."""
    plans = {}
    for plan in config.tracking_plans:
        compiled = compile_plan(plan)
        plans.update(dict.fromkeys(plan.sources, compiled))
    steps: dict[str, list[CompiledTransformation]] = {}
    for item in config.transformations:
        if item.enabled:
            compiled_item = compile_transformation(item)
            for source in item.sources:
                steps.setdefault(source, []).append(compiled_item)
    rules = {}
    for source in set(plans) | set(steps):
        mine = tuple(steps.get(source, ()))
        rules[source] = SourceRules(plans.get(source), mine, tuple(t for t in mine if t.warehouse))
    return Protocols(rules)
