"""A JSON Schema as rows a person reads: one per property, nested ones indented.

    products[].price   number   required   >= 0

Only what the schema declares under `properties` / `items` is listed (local `$ref`s are
followed once, cycles shown as "see above"); the raw schema is on the page for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from eventyard.protocols.schema import resolve_ref

__all__ = ["MAX_ROWS", "SchemaRow", "schema_rows"]

MAX_ROWS = 500
_MAX_DEPTH = 8
_RULES = (
    ("minimum", ">= {}"),
    ("exclusiveMinimum", "> {}"),
    ("maximum", "<= {}"),
    ("exclusiveMaximum", "< {}"),
    ("minLength", "at least {} characters"),
    ("maxLength", "at most {} characters"),
    ("minItems", "at least {} items"),
    ("maxItems", "at most {} items"),
    ("pattern", "matches {}"),
    ("format", "format {}"),
)


@dataclass(frozen=True, slots=True)
class SchemaRow:
    path: str
    depth: int
    type: str
    required: bool
    rules: list[str]
    description: str


def _short(value: Any) -> str:
    text = orjson.dumps(value).decode()
    return text if len(text) <= 120 else text[:117] + "..."


def _type(schema: dict[str, Any]) -> str:
    if "const" in schema:
        return f"= {_short(schema['const'])}"
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    if kind is None:
        for key in ("anyOf", "oneOf", "allOf"):
            if isinstance(schema.get(key), list):
                return key
        return "object" if "properties" in schema else "any"
    if kind == "array" and isinstance(schema.get("items"), dict):
        item = schema["items"].get("type")
        return f"array of {item}" if isinstance(item, str) else "array"
    return str(kind)


def _rules(schema: dict[str, Any]) -> list[str]:
    found = [text.format(schema[key]) for key, text in _RULES if key in schema]
    if isinstance(schema.get("enum"), list):
        found.insert(0, f"one of {_short(schema['enum'])}")
    if schema.get("additionalProperties") is False:
        found.append("no other keys")
    return found


def _walk(
    schema: Any, root: Any, prefix: str, depth: int, seen: frozenset[str], rows: list[SchemaRow]
) -> None:
    schema, seen = resolve_ref(schema, root, seen)
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return
    if isinstance(schema.get("items"), dict):
        _walk(schema["items"], root, f"{prefix}[]", depth, seen, rows)
        return
    declared = schema.get("properties")
    if not isinstance(declared, dict):
        return
    listed = schema.get("required")
    required: list[Any] = listed if isinstance(listed, list) else []
    for key, sub in declared.items():
        if len(rows) >= MAX_ROWS:
            return
        path = f"{prefix}.{key}" if prefix else str(key)
        resolved, inner = resolve_ref(sub, root, seen)
        if not isinstance(resolved, dict):
            kind = "(see above)" if isinstance(sub, dict) and "$ref" in sub else "any"
            rows.append(SchemaRow(path, depth, kind, key in required, [], ""))
            continue
        description = resolved.get("description")
        rows.append(
            SchemaRow(
                path,
                depth,
                _type(resolved),
                key in required,
                _rules(resolved),
                description if isinstance(description, str) else "",
            )
        )
        _walk(resolved, root, path, depth + 1, inner, rows)


def schema_rows(schema: Any) -> list[SchemaRow]:
    """The declared properties of `schema`, in order, at most MAX_ROWS."""
    rows: list[SchemaRow] = []
    _walk(schema, schema, "", 0, frozenset(), rows)
    return rows
