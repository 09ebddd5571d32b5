"""Action fields (Segment's InputField): the single source of truth for what a payload holds.

At config time a user's mapping is checked against the fields: unknown keys and literal
values of the wrong type are errors; directives pass, since their type is only known
once an event arrives (`check_payload` checks that).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from eventyard.mapping._core import directive_key
from eventyard.mapping.compile import compile_mapping
from eventyard.mapping.errors import MappingError

__all__ = ["FieldSpec", "FieldType", "default_mapping", "type_problem", "validate_against_fields"]

FieldType = Literal[
    "string", "text", "number", "integer", "datetime", "boolean", "password", "object"
]

_NAMES = {
    "string": "a string",
    "text": "a string",
    "password": "a string",
    "datetime": "an ISO-8601 date-time string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "a boolean",
    "object": "an object",
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One action field; `default` is a raw value or a directive such as `{"@path": ...}`."""

    label: str
    type: FieldType
    required: bool = False
    multiple: bool = False
    allow_null: bool = False
    default: Any = None
    description: str = ""
    choices: tuple[Any, ...] | None = None
    format: str | None = None


def _is_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value)
    except ValueError:
        return False
    return True


def _scalar_ok(value: Any, kind: str) -> bool:
    if kind in ("string", "text", "password"):
        return isinstance(value, str)
    if kind == "datetime":
        return isinstance(value, str) and _is_datetime(value)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "integer":  # JSON has one number type: 25.0 is the integer 25, as in JS
        whole = isinstance(value, float) and value.is_integer()
        return whole or (isinstance(value, int) and not isinstance(value, bool))
    if kind == "boolean":
        return isinstance(value, bool)
    return isinstance(value, dict)


def _format_ok(value: Any, fmt: str) -> bool:
    if not isinstance(value, str):
        return True
    if fmt == "email":
        return bool(_EMAIL.match(value))
    if fmt in ("uri", "url"):
        parts = urlsplit(value)
        return bool(parts.scheme and (parts.netloc or parts.path))
    if fmt == "date-time":
        return _is_datetime(value)
    return True


def type_problem(key: str, value: Any, spec: FieldSpec, *, allow_directives: bool) -> str | None:
    """Why `value` does not fit the field, or None. Directives fit when allowed."""
    if allow_directives and directive_key(value) is not None:
        return None
    if value is None:
        return None if spec.allow_null else f"the field '{key}' must not be null"
    if spec.multiple:
        if not isinstance(value, list):
            return f"the field '{key}' must be an array of {spec.type}"
        for item in value:
            problem = type_problem(key, item, _single(spec), allow_directives=allow_directives)
            if problem:
                return problem
        return None
    if not _scalar_ok(value, spec.type):
        return f"the field '{key}' must be {_NAMES[spec.type]}"
    if spec.choices is not None:
        allowed = [c.get("value") if isinstance(c, dict) else c for c in spec.choices]
        if value not in allowed:
            return f"the field '{key}' must be one of {', '.join(map(repr, allowed))}"
    if spec.format and not _format_ok(value, spec.format):
        return f"the field '{key}' must be a valid {spec.format}"
    return None


def _single(spec: FieldSpec) -> FieldSpec:
    return FieldSpec(spec.label, spec.type, choices=spec.choices, format=spec.format)


def validate_against_fields(
    mapping: dict[str, Any], fields: dict[str, FieldSpec], where: str
) -> None:
    """Config-time check of a user's mapping for an action; raises MappingError."""
    if not isinstance(mapping, dict) or directive_key(mapping) is not None:
        raise MappingError((), "an action mapping must be an object of field names", where)
    for key, value in mapping.items():
        spec = fields.get(key)
        if spec is None:
            valid = ", ".join(sorted(fields)) or "(none)"
            raise MappingError((key,), f"unknown field '{key}'; valid fields: {valid}", where)
        problem = type_problem(key, value, spec, allow_directives=True)
        if problem:
            raise MappingError((key,), problem, where)
    compile_mapping(mapping, where)


def default_mapping(fields: dict[str, FieldSpec]) -> dict[str, Any]:
    """The fields' defaults as one mapping (Segment's `defaultValues(fields)`)."""
    return {key: spec.default for key, spec in fields.items() if spec.default is not None}
