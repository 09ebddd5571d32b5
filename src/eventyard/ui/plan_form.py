"""The tracking plan's form editor: add or remove a track event, add (or replace) or remove a
top-level property of an event's or the traits' JSON Schema.

The plan's JSON stays the source of truth: each change is applied to a copy of the stored
`tracking_plans` entry and saved whole, checked like any other edit. Nested properties,
`$ref`s and the rest of JSON Schema are edited as JSON; the form leaves them as they are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import orjson

from eventyard.errors import ConfigError
from eventyard.ui.formdata import Submitted

__all__ = [
    "MAX_ENUM",
    "PARTS",
    "TYPES",
    "PropertyForm",
    "add_event",
    "add_property",
    "remove_event",
    "remove_property",
]

TYPES = ("string", "number", "integer", "boolean", "object", "array", "null", "any")
"""JSON Schema types the form offers; `any` writes no `type`."""
PARTS = ("events", "identify_traits", "group_traits")
"""Schemas the form edits: a track event's (`events`, named by `event`) or the traits'."""
MAX_ENUM = 100
_MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class PropertyForm:
    """One property as the "Add property" form sends it."""

    name: str
    type: str = "string"
    required: bool = False
    enum: str = ""
    """Allowed values, separated by commas (numbers for number and integer types)."""
    pattern: str = ""
    description: str = ""

    @classmethod
    def of(cls, form: Submitted) -> PropertyForm:
        return cls(
            name=form.get("property").strip(),
            type=form.get("type") or "string",
            required=bool(form.get("required")),
            enum=form.get("enum").strip(),
            pattern=form.get("pattern").strip(),
            description=form.get("description").strip(),
        )


def _copy(doc: dict[str, Any]) -> dict[str, Any]:
    copied: dict[str, Any] = orjson.loads(orjson.dumps(doc))
    return copied


def _name(text: str, what: str) -> str:
    name = text.strip()
    if not name:
        raise ConfigError(f"enter the {what}")
    if len(name) > _MAX_NAME:
        raise ConfigError(f"a {what} has at most {_MAX_NAME} characters")
    return name


def add_event(doc: dict[str, Any], name: str, description: str = "") -> dict[str, Any]:
    """The plan with a new track event that has no properties planned yet."""
    event = _name(name, "event name")
    plan = _copy(doc)
    events = plan.setdefault("events", {})
    if event in events:
        raise ConfigError(f"the plan already has an event named {event!r}")
    schema: dict[str, Any] = {"type": "object", "properties": {}}
    if description.strip():
        schema["description"] = description.strip()
    events[event] = schema
    return plan


def remove_event(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """The plan without the event (and its `event_context` schema)."""
    plan = _copy(doc)
    if name not in plan.get("events", {}):
        raise ConfigError(f"the plan has no event named {name!r}")
    del plan["events"][name]
    plan.get("event_context", {}).pop(name, None)
    return plan


def _schema(plan: dict[str, Any], part: str, event: str, create: bool) -> dict[str, Any]:
    """The JSON Schema the form edits, in `plan` (made when `create` and missing)."""
    if part not in PARTS:
        raise ConfigError(f"choose what to edit: one of {', '.join(PARTS)}")
    holder = plan.setdefault("events", {}) if part == "events" else plan
    key = event if part == "events" else part
    if part == "events" and key not in holder:
        raise ConfigError(f"the plan has no event named {key!r}: add the event first")
    if holder.get(key) is None and create:
        holder[key] = {"type": "object", "properties": {}}
    schema = holder.get(key)
    if not isinstance(schema, dict) or not isinstance(schema.setdefault("properties", {}), dict):
        raise ConfigError("this schema is not an object with properties: edit it as JSON")
    return schema


def _value(text: str, kind: str) -> Any:
    if kind in ("number", "integer"):
        try:
            if kind == "integer":
                return int(text)
            number = float(text)
            if not math.isfinite(number):
                raise ValueError(text)
        except ValueError:
            raise ConfigError(f"allowed value {text!r} is not a {kind}") from None
        return int(number) if number.is_integer() else number
    if kind == "boolean":
        if text not in ("true", "false"):
            raise ConfigError(f"allowed value {text!r} is not true or false")
        return text == "true"
    return text


def _enum(text: str, kind: str) -> list[Any]:
    if kind in ("object", "array", "null", "any"):
        raise ConfigError(f"allowed values apply to strings, numbers and booleans, not {kind}")
    values = [item.strip() for item in text.split(",") if item.strip()]
    if len(values) > MAX_ENUM:
        raise ConfigError(f"list at most {MAX_ENUM} allowed values")
    return list(dict.fromkeys(_value(item, kind) for item in values))


def _property_schema(prop: PropertyForm) -> dict[str, Any]:
    if prop.type not in TYPES:
        raise ConfigError(f"choose a type: one of {', '.join(TYPES)}")
    schema: dict[str, Any] = {} if prop.type == "any" else {"type": prop.type}
    if prop.description:
        schema["description"] = prop.description
    if prop.enum:
        schema["enum"] = _enum(prop.enum, prop.type)
    if prop.pattern:
        if prop.type != "string":
            raise ConfigError("a pattern applies to strings: choose the type string")
        schema["pattern"] = prop.pattern
    return schema


def _require(schema: dict[str, Any], name: str, required: bool) -> None:
    """Put `name` in or out of the schema's `required` list (left out when empty)."""
    listed = schema.get("required")
    names = [key for key in listed if key != name] if isinstance(listed, list) else []
    if required:
        names.append(name)
    if names:
        schema["required"] = names
    else:
        schema.pop("required", None)


def add_property(doc: dict[str, Any], part: str, event: str, prop: PropertyForm) -> dict[str, Any]:
    """The plan with `prop` in the schema's `properties` (replacing one of that name) and in
    or out of its `required` list."""
    name = _name(prop.name, "property name")
    plan = _copy(doc)
    schema = _schema(plan, part, event, create=True)
    schema["properties"][name] = _property_schema(prop)
    _require(schema, name, prop.required)
    return plan


def remove_property(doc: dict[str, Any], part: str, event: str, name: str) -> dict[str, Any]:
    """The plan without the property in the schema (nor in its `required` list)."""
    plan = _copy(doc)
    schema = _schema(plan, part, event, create=False)
    if name not in schema["properties"]:
        raise ConfigError(f"no property named {name!r} is planned there")
    del schema["properties"][name]
    _require(schema, name, False)
    return plan
