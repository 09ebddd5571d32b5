"""Violations: what exactly an event did wrong, in words a data team reads.

Each violation names the property path (`properties.products[0].price`), the rule (the
JSON Schema keyword that failed, or `unplanned_event` / `unplanned_property`), what the
plan expects and what the event had. At most MAX_VIOLATIONS are kept per event, so that one
event with a thousand bad array items cannot make a thousand rows or forwarded events.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = [
    "BLOCKING",
    "MAX_VIOLATIONS",
    "UNPLANNED_EVENT",
    "UNPLANNED_PROPERTY",
    "Violation",
    "describe_value",
    "from_errors",
    "join_path",
]

MAX_VIOLATIONS = 50
UNPLANNED_EVENT = "unplanned_event"
UNPLANNED_PROPERTY = "unplanned_property"
BLOCKING = frozenset({UNPLANNED_EVENT, UNPLANNED_PROPERTY})
"""Rules that the `unplanned_*` settings decide about, not `violations`."""
_SHOWN = 80
_SEGMENT_TYPES = {"required": "Required", "type": "Invalid Type"}
_JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"))
_SEGMENT_WORDS = {
    "pattern": "Does not match pattern '{pattern}'",
    "format": "Does not match format '{format}'",
    "minimum": "Must be greater than or equal to {limit}",
    "exclusiveMinimum": "Must be greater than {limit}",
    "maximum": "Must be less than or equal to {limit}",
    "exclusiveMaximum": "Must be less than {limit}",
    "multipleOf": "Must be a multiple of {multiple_of}",
    "minLength": "String length must be greater than or equal to {limit}",
    "maxLength": "String length must be less than or equal to {limit}",
    "minItems": "Array must have at least {limit} items",
    "maxItems": "Array must have at most {limit} items",
    "minProperties": "Must have at least {limit} properties",
    "maxProperties": "Must have at most {limit} properties",
    "anyOf": "Must validate at least one schema (anyOf)",
    "oneOf": "Must validate one and only one schema (oneOf)",
    "not": "Must not validate the schema (not)",
}
"""Segment's Protocols messages (those of the gojsonschema validator it runs), by keyword."""

_LIMITS = {
    "minimum": ">= {}",
    "maximum": "<= {}",
    "exclusiveMinimum": "> {}",
    "exclusiveMaximum": "< {}",
    "minLength": "at least {} characters",
    "maxLength": "at most {} characters",
    "minItems": "at least {} items",
    "maxItems": "at most {} items",
    "minProperties": "at least {} keys",
    "maxProperties": "at most {} keys",
}


Steps = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Violation:
    path: str
    """Where in the event, e.g. `properties.revenue`; `event` for an unplanned event."""
    rule: str
    expected: str
    actual: str
    description: str
    """One sentence for people (the validator's message)."""
    steps: Steps = ()
    """`path` as keys from the event's top: what `omit` removes; () for the whole event."""
    common: bool = False
    """Found by the plan's common schema, so `common_violations` decides about it."""
    segment_description: str = ""
    """Segment's wording (`properties.products is required`, `Invalid type. Expected:
    string, given: array`), for "Violation Generated" events and `context.violations`."""

    @property
    def segment_type(self) -> str:
        """Segment's `violationType`: `Required`, `Invalid Type`, else the rule in Title Case
        (`Min Length`, `Unplanned Property`)."""
        named = _SEGMENT_TYPES.get(self.rule)
        if named is not None:
            return named
        words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", self.rule).replace("_", " ").split()
        return " ".join(word[:1].upper() + word[1:] for word in words)

    def as_segment(self) -> dict[str, str]:
        """The violation under the property names of Segment's "Violation Generated"."""
        return {
            "violationField": self.path,
            "violationType": self.segment_type,
            "violationDescription": self.segment_description or self.description,
        }


def _short(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _json(value: Any) -> str:
    try:
        return _short(orjson.dumps(value).decode())
    except TypeError:
        return _short(repr(value))


def describe_value(value: Any) -> str:
    """`"99" (string)`, `12.5 (number)`, `null`: the value and its JSON type, shortened."""
    if value is None:
        return "null"
    kind = (
        "boolean"
        if isinstance(value, bool)
        else "integer"
        if isinstance(value, int)
        else "number"
        if isinstance(value, float)
        else "string"
        if isinstance(value, str)
        else "array"
        if isinstance(value, list)
        else "object"
    )
    return f"{_json(value)} ({kind})"


def join_path(prefix: str, steps: Iterable[str | int]) -> str:
    """`("products", 0, "price")` under `properties` -> `properties.products[0].price`."""
    path = prefix
    for step in steps:
        path += f"[{step}]" if isinstance(step, int) else (f".{step}" if path else str(step))
    return path


def _expected(name: str, details: dict[str, Any], message: str) -> str:
    if name == "type":
        return " or ".join(details.get("types", [])) or message
    if name == "enum":
        return f"one of {_json(details.get('options'))}"
    if name == "const":
        return _json(details.get("expected_value"))
    if name == "pattern":
        return f"matches {_short(str(details.get('pattern')))}"
    if name == "format":
        return f"format {details.get('format')}"
    if name == "multipleOf":
        return f"a multiple of {details.get('multiple_of')}"
    if name in _LIMITS:
        return _LIMITS[name].format(details.get("limit"))
    return _short(message)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    found = next((name for kind, name in _JSON_TYPES if isinstance(value, kind)), None)
    return found or ("array" if isinstance(value, list) else "object")


def _segment_words(name: str, details: dict[str, Any], instance: Any, path: str) -> str:
    if name == "type":
        expected = " or ".join(details.get("types", []))
        return f"Invalid type. Expected: {expected}, given: {_json_type(instance)}"
    if name == "enum":
        allowed = ", ".join(_json(option) for option in details.get("options") or [])
        return _short(f"{path} must be one of the following: {allowed}")
    if name == "const":
        return _short(f"{path} does not match: {_json(details.get('expected_value'))}")
    words = _SEGMENT_WORDS.get(name)
    return _short(words.format_map(details)) if words else ""


def _convert(error: Any, prefix: str, common: bool) -> Iterator[Violation]:
    name = str(error.kind.name)
    message = _short(str(error.message))
    steps: Steps = (*((prefix,) if prefix else ()), *error.instance_path)
    path = join_path(prefix, error.instance_path)
    if name == "required":
        missing = str(error.kind.property)
        where = join_path(path, [missing])
        words = f"{where} is required"
        yield Violation(where, name, "present", "missing", message, (), common, words)
    elif name == "additionalProperties":
        for key in error.kind.unexpected:
            value = error.instance.get(key) if isinstance(error.instance, dict) else None
            shown, words = describe_value(value), f"Additional property {key} is not allowed"
            where = join_path(path, [key])
            yield Violation(
                where, name, "not present", shown, message, (*steps, key), common, words
            )
    else:
        details = error.kind.as_dict()
        expected = _expected(name, details, message)
        words = _segment_words(name, details, error.instance, path)
        shown = describe_value(error.instance)
        yield Violation(path, name, expected, shown, message, steps, common, words)


def from_errors(
    errors: Iterable[Any], prefix: str, room: int, common: bool = False
) -> list[Violation]:
    """Violations for jsonschema_rs errors of the value at `prefix`, at most `room`
    (`common`: the errors are the plan's common schema's)."""
    found: list[Violation] = []
    for error in errors:
        for violation in _convert(error, prefix, common):
            if len(found) >= room:
                return found
            found.append(violation)
    return found
