"""Run-time checks of a mapped payload, after mapping and before a destination sees it."""

from __future__ import annotations

from typing import Any

from eventyard.mapping.fields import FieldSpec, type_problem

__all__ = ["check_payload", "coerce_arrays", "remove_empty"]


def remove_empty(
    payload: dict[str, Any], fields: dict[str, FieldSpec] | None = None
) -> dict[str, Any]:
    """mapping-kit's removeEmptyValues at field level, so that empties read as missing.

    A top-level '' is always dropped, null is dropped unless the field allows null, and in
    `multiple` fields null items (and '' items of non-string types) are dropped. Without
    field specs every top-level key counts as a typed field that does not allow null.
    Nested objects are left alone: their shape is not declared.
    """
    out: dict[str, Any] = {}
    for key, value in payload.items():
        spec = fields.get(key) if fields is not None else None
        if value == "" and isinstance(value, str):
            continue
        if value is None:
            if fields is None or (spec is not None and not spec.allow_null):
                continue
        elif spec is not None and spec.multiple and isinstance(value, list):
            stringy = spec.type in ("string", "text", "password", "datetime")
            value = [v for v in value if v is not None and (stringy or v != "")]
        out[key] = value
    return out


def coerce_arrays(payload: dict[str, Any], fields: dict[str, FieldSpec]) -> dict[str, Any]:
    """A single value of a `multiple` field becomes a one-item array, as actions-core's
    validator (Ajv, `coerceTypes: 'array'`) makes it before `perform` (TikTok's `email`
    mapped from one trait)."""
    out = dict(payload)
    for key, value in payload.items():
        spec = fields.get(key)
        if spec is not None and spec.multiple and value is not None and not isinstance(value, list):
            out[key] = [value]
    return out


def check_payload(payload: dict[str, Any], fields: dict[str, FieldSpec]) -> list[str]:
    """Problems with a mapped payload, in field order; empty when it is valid."""
    problems: list[str] = []
    for key, spec in fields.items():
        if key not in payload:
            if spec.required:
                problems.append(f"missing the required field '{key}'")
            continue
        problem = type_problem(key, payload[key], spec, allow_directives=False)
        if problem:
            problems.append(problem)
    return problems
