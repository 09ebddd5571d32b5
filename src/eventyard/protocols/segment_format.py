"""Segment tracking plans in and out, and plain JSON Schema files in.

Segment keeps one JSON Schema per rule over the WHOLE event (`{properties: {context,
traits, properties}}`); eventyard keeps the schema of the part each rule checks. Import
reads the three shapes Segment's tools write:
- Public API / Terraform: `{"rules": [{"type": "TRACK", "key": "Order Completed",
  "version": 1, "jsonSchema": {...}}, {"type": "IDENTIFY", ...}, {"type": "GROUP"},
  {"type": "COMMON"}]}`, also wrapped in `{"trackingPlan": ...}` or `{"data": ...}`;
- Config API: `{"display_name", "rules": {"events": [{"name", "rules", "version"}],
  "identify": {...}, "group": {...}, "global": {...}}}`;
- Typewriter's: `{"events": [{"name", "rules"}], "identify_traits", "group_traits"}`.
Export writes the Public API shape, which imports back to the same plan. Where a plan
holds more than eventyard runs (several versions of an event, PAGE/SCREEN rules, track
rules on `traits`), import keeps what it can and says what it left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eventyard.errors import ConfigError

__all__ = [
    "DRAFT_07",
    "SCHEMA_PARTS",
    "ImportedPlan",
    "export_segment",
    "import_json_schema",
    "import_segment",
    "with_event",
    "with_import",
]

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
SCHEMA_PARTS = ("events", "event_context", "identify_traits", "group_traits", "common")
"""The keys of a plan that an import replaces (sources and settings stay as they are)."""


@dataclass
class ImportedPlan:
    """The plan's parts (keys of a `tracking_plans` entry) and what was left out."""

    name: str | None
    description: str
    parts: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{what} must be a JSON object")
    return value


def _part(schema: dict[str, Any], key: str) -> dict[str, Any] | None:
    """The sub-schema a whole-event rule gives `key` (`properties`, `context`, `traits`).

    It keeps the rule's draft: a Config API plan in draft-04 (boolean `exclusiveMinimum`)
    is checked as draft-04, not as eventyard's default draft-07."""
    properties = schema.get("properties")
    found = properties.get(key) if isinstance(properties, dict) else None
    if not isinstance(found, dict) or not found:
        return None
    draft = schema.get("$schema")
    if isinstance(draft, str) and draft != DRAFT_07 and "$schema" not in found:
        return {"$schema": draft, **found}
    return found


def _unwrap(document: Any) -> dict[str, Any]:
    found = _object(document, "a Segment tracking plan")
    for wrapper in ("data", "trackingPlan", "tracking_plan"):
        inner = found.get(wrapper)
        if isinstance(inner, dict):
            found = inner
    return found


def _track(plan: ImportedPlan, name: Any, schema: Any, version: Any, seen: dict[str, int]) -> None:
    if not isinstance(name, str) or not name:
        plan.warnings.append(f"a track rule without an event name was left out: {name!r}")
        return
    if not isinstance(schema, dict):
        raise ConfigError(f"the rule of {name!r} has no JSON Schema object")
    number = version if isinstance(version, int) else 1
    if name in seen:
        plan.warnings.append(
            f"{name!r} has several versions; kept version {max(number, seen[name])} "
            "(eventyard checks every event against one version)"
        )
        if number < seen[name]:
            return
    seen[name] = number
    plan.parts.setdefault("events", {})[name] = _part(schema, "properties") or {}
    context = _part(schema, "context")
    if context is not None:
        plan.parts.setdefault("event_context", {})[name] = context
    else:
        plan.parts.get("event_context", {}).pop(name, None)
    if _part(schema, "traits") is not None:
        plan.warnings.append(f"{name!r}: the rule on traits of a track event was left out")


_NOTHING = {"$schema": None, "$id": None, "title": None, "description": None}


def _checks_something(schema: dict[str, Any]) -> bool:
    """False for Segment's empty common rule (`{type: object, properties: {}}`)."""
    rest = {key: value for key, value in schema.items() if key not in _NOTHING}
    return rest not in ({}, {"type": "object"}, {"type": "object", "properties": {}})


def _traits(plan: ImportedPlan, key: str, schema: Any) -> None:
    if isinstance(schema, dict):
        traits = _part(schema, "traits")
        if traits is not None:
            plan.parts[key] = traits


def _rules_list(plan: ImportedPlan, rules: list[Any]) -> None:
    seen: dict[str, int] = {}
    for rule in rules:
        rule = _object(rule, "each rule")
        kind = str(rule.get("type", "")).upper()
        schema = rule.get("jsonSchema")
        if kind == "TRACK":
            _track(plan, rule.get("key"), schema, rule.get("version"), seen)
        elif kind in ("IDENTIFY", "GROUP"):
            _traits(plan, "identify_traits" if kind == "IDENTIFY" else "group_traits", schema)
        elif kind == "COMMON" and isinstance(schema, dict):
            if _checks_something(schema):
                plan.parts["common"] = schema
        else:
            plan.warnings.append(f"a {kind or 'typeless'} rule was left out (not supported)")


def _rules_object(plan: ImportedPlan, rules: dict[str, Any]) -> None:
    seen: dict[str, int] = {}
    events = rules.get("events", [])
    if not isinstance(events, list):
        raise ConfigError("rules.events must be a list")
    for event in events:
        event = _object(event, "each event")
        _track(plan, event.get("name"), event.get("rules"), event.get("version"), seen)
    _traits(plan, "identify_traits", rules.get("identify"))
    _traits(plan, "group_traits", rules.get("group"))
    common = rules.get("global")
    if isinstance(common, dict) and _checks_something(common):
        plan.parts["common"] = common
    for key in ("identify_traits", "group_traits"):
        direct = rules.get(key)
        if isinstance(direct, dict) and direct:
            plan.parts[key] = direct


def import_segment(document: Any) -> ImportedPlan:
    """A Segment tracking plan export as eventyard plan parts; ConfigError when unreadable."""
    document = _unwrap(document)
    name = document.get("display_name") or document.get("name")
    description = document.get("description")
    plan = ImportedPlan(
        name if isinstance(name, str) else None,
        description if isinstance(description, str) else "",
    )
    rules = document.get("rules", document)
    if isinstance(rules, list):
        _rules_list(plan, rules)
    elif isinstance(rules, dict):
        _rules_object(plan, rules)
    else:
        raise ConfigError("no rules found: expected `rules` as a list or an object")
    if not plan.parts:
        raise ConfigError("no rules found: this does not look like a Segment tracking plan")
    return plan


def _whole(parts: dict[str, Any]) -> dict[str, Any]:
    """One whole-event rule of the parts, under the draft they name (default draft-07)."""
    drafts = [part.get("$schema") for part in parts.values() if isinstance(part, dict)]
    draft = next((d for d in drafts if isinstance(d, str)), DRAFT_07)
    inner = {
        key: {k: v for k, v in (parts.get(key) or {}).items() if k != "$schema"}
        for key in ("context", "traits", "properties")
    }
    properties = inner["properties"]
    schema: dict[str, Any] = {"$schema": draft, "type": "object", "properties": inner}
    if properties.get("required"):
        schema["required"] = ["properties"]
    return schema


def export_segment(plan: dict[str, Any]) -> dict[str, Any]:
    """A `tracking_plans` entry (a document) in Segment's Public API shape."""
    rules: list[dict[str, Any]] = []
    context = plan.get("event_context", {})
    for name, properties in plan.get("events", {}).items():
        schema = _whole({"properties": properties, "context": context.get(name)})
        rules.append({"type": "TRACK", "key": name, "version": 1, "jsonSchema": schema})
    for kind, key in (("IDENTIFY", "identify_traits"), ("GROUP", "group_traits")):
        if plan.get(key) is not None:
            schema = _whole({"traits": plan[key]})
            rules.append({"type": kind, "key": None, "version": 1, "jsonSchema": schema})
    if plan.get("common") is not None:
        rules.append({"type": "COMMON", "key": None, "version": 1, "jsonSchema": plan["common"]})
    return {
        "name": plan.get("name"),
        "description": plan.get("description", ""),
        "type": "LIVE",
        "rules": rules,
    }


def import_json_schema(schema: Any, event: str | None = None) -> tuple[str, dict[str, Any]]:
    """(event name, schema of its properties) from one JSON Schema file; the name is
    `event`, else the schema's `title`."""
    schema = _object(schema, "a JSON Schema")
    title = schema.get("title")
    name = event or (title if isinstance(title, str) else None)
    if not name:
        raise ConfigError(
            "the schema has no title: say which event it describes (--event / ?event=)"
        )
    return name, schema


def with_import(
    existing: dict[str, Any] | None, name: str, imported: ImportedPlan
) -> dict[str, Any]:
    """The plan document `name` after a Segment import: its schemas replaced by the
    imported ones, its sources, settings (and description, unless the import has one) kept."""
    doc = {key: value for key, value in (existing or {}).items() if key not in SCHEMA_PARTS}
    doc["name"] = name
    if imported.description:
        doc["description"] = imported.description
    return doc | imported.parts


def with_event(
    existing: dict[str, Any] | None, name: str, event: str, schema: dict[str, Any]
) -> dict[str, Any]:
    """The plan document `name` with one event's properties schema added or replaced."""
    doc = dict(existing or {"name": name})
    doc["events"] = {**doc.get("events", {}), event: schema}
    return doc
