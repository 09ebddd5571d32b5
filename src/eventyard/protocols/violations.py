"""Violations: what exactly an event did wrong, in words a data team reads.

Each violation names the property path (`properties.products[0].price`), the rule (the
JSON Schema keyword that failed, or `unplanned_event` / `unplanned_property`), what the
plan expects and what the event had. At most MAX_VIOLATIONS are kept per event, so that one
event with a thousand bad array items cannot make a thousand rows or forwarded events.
"""

from __future__ import annotations

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


@dataclass(frozen=True, slots=True)
class Violation:
    path: str
    """Where in the event, e.g. `properties.revenue`; `event` for an unplanned event."""
    rule: str
    expected: str
    actual: str
    description: str
    """One sentence for people (the validator's message)."""


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


def _convert(error: Any, prefix: str) -> Iterator[Violation]:
    name = str(error.kind.name)
    message = _short(str(error.message))
    path = join_path(prefix, error.instance_path)
    if name == "required":
        missing = str(error.kind.property)
        yield Violation(join_path(path, [missing]), name, "present", "missing", message)
    elif name == "additionalProperties":
        for key in error.kind.unexpected:
            value = error.instance.get(key) if isinstance(error.instance, dict) else None
            shown = describe_value(value)
            yield Violation(join_path(path, [key]), name, "not present", shown, message)
    else:
        expected = _expected(name, error.kind.as_dict(), message)
        yield Violation(path, name, expected, describe_value(error.instance), message)


def from_errors(errors: Iterable[Any], prefix: str, room: int) -> list[Violation]:
    """Violations for jsonschema_rs errors of the value at `prefix`, at most `room`."""
    found: list[Violation] = []
    for error in errors:
        for violation in _convert(error, prefix):
            if len(found) >= room:
                return found
            found.append(violation)
    return found
