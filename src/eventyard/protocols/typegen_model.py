"""The types a tracking plan's JSON Schemas describe, for `eventyard typegen`.

JSON Schema is richer than a type system; this keeps what both Python and TypeScript can
say and checks the rest at run time (the plan itself still validates every event):
`string`, `number`, `integer`, `boolean`, `null`, arrays of a type, objects with declared
properties (a named record type), other objects (a string-keyed map), `enum`/`const` of
scalars (literal types), `anyOf`/`oneOf` and type lists (unions), and local `$ref`s
(followed; a reference cycle becomes a map). Anything else is "any value".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eventyard.protocols.schema import resolve_ref

__all__ = [
    "AnyType",
    "Field",
    "ListType",
    "LiteralType",
    "MapType",
    "Named",
    "Prim",
    "RecordType",
    "Type",
    "TypeBuilder",
    "UnionType",
    "words",
]

_SCALARS = (str, int, float, bool, type(None))
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+[a-z]*")


def words(text: str) -> list[str]:
    """`"Order Completed"` -> ["Order", "Completed"], `"orderId"` -> ["order", "Id"]: the
    pieces generated names are built from (anything but ASCII letters and digits splits)."""
    return _WORD.findall(text)


@dataclass(frozen=True, slots=True)
class Prim:
    name: str
    """string | number | integer | boolean | null"""


@dataclass(frozen=True, slots=True)
class AnyType:
    pass


@dataclass(frozen=True, slots=True)
class MapType:
    pass


@dataclass(frozen=True, slots=True)
class ListType:
    item: Type


@dataclass(frozen=True, slots=True)
class LiteralType:
    values: tuple[str | int | float | bool | None, ...]


@dataclass(frozen=True, slots=True)
class UnionType:
    options: tuple[Type, ...]


@dataclass(frozen=True, slots=True)
class Named:
    """A reference to a record type by its (unique) name."""

    name: str


Type = Prim | AnyType | MapType | ListType | LiteralType | UnionType | Named


@dataclass(frozen=True, slots=True)
class Field:
    key: str
    """The property's name as sent."""
    type: Type
    required: bool
    description: str


@dataclass(frozen=True, slots=True)
class RecordType:
    name: str
    fields: tuple[Field, ...]
    description: str


@dataclass
class TypeBuilder:
    """Turns schemas into types; `records` collects the named record types, in the order a
    reader needs them (dependencies first)."""

    style: Callable[[list[str]], str]
    """How record names are written (e.g. PascalCase)."""
    records: list[RecordType] = field(default_factory=list)
    _taken: set[str] = field(default_factory=set)
    _by_ref: dict[str, Type] = field(default_factory=dict)

    def record_name(self, hint: list[str]) -> str:
        base = self.style(hint) or "Record"
        name, n = base, 2
        while name in self._taken:
            name, n = f"{base}{n}", n + 1
        self._taken.add(name)
        return name

    def fields(
        self, schema: Any, hint: list[str], root: Any, seen: frozenset[str] = frozenset()
    ) -> tuple[Field, ...] | None:
        """The declared properties of an object schema, or None when it declares none."""
        schema, seen = resolve_ref(schema, root, seen)
        declared = schema.get("properties") if isinstance(schema, dict) else None
        if not isinstance(declared, dict) or not declared:
            return None
        required = schema.get("required", [])
        found = []
        for key, sub in declared.items():
            kind = self.type_of(sub, [*hint, *words(key)], root, seen)
            text = sub.get("description", "") if isinstance(sub, dict) else ""
            found.append(Field(key, kind, key in required, str(text)))
        return tuple(found)

    def type_of(self, schema: Any, hint: list[str], root: Any, seen: frozenset[str]) -> Type:
        """The type of `schema`; a `$ref`'d definition becomes one type however often it is
        referenced, named after the definition."""
        ref = schema.get("$ref") if isinstance(schema, dict) else None
        if not isinstance(ref, str):
            return self._type_of(schema, hint, root, seen)
        if ref in self._by_ref:
            return self._by_ref[ref]
        resolved, inner = resolve_ref(schema, root, seen)
        kind = self._type_of(resolved, words(ref.rsplit("/", 1)[-1]) or hint, root, inner)
        if resolved is not None:
            self._by_ref[ref] = kind
        return kind

    def _type_of(self, schema: Any, hint: list[str], root: Any, seen: frozenset[str]) -> Type:
        if schema is None:
            return MapType()
        if not isinstance(schema, dict):
            return AnyType()
        if "const" in schema:
            return _literal([schema["const"]])
        if isinstance(schema.get("enum"), list):
            return _literal(schema["enum"])
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list):
                options = [self.type_of(s, hint, root, seen) for s in schema[key]]
                return _union(options)
        kind = schema.get("type")
        if isinstance(kind, list):
            return _union([self._typed(schema, str(k), hint, root, seen) for k in kind])
        if kind is None and "properties" in schema:
            kind = "object"
        return self._typed(schema, str(kind), hint, root, seen)

    def _typed(
        self, schema: dict[str, Any], kind: str, hint: list[str], root: Any, seen: frozenset[str]
    ) -> Type:
        if kind in ("string", "number", "integer", "boolean", "null"):
            return Prim(kind)
        if kind == "array":
            items = schema.get("items")
            item = self.type_of(items, [*hint, "Item"], root, seen) if items else AnyType()
            return ListType(item)
        if kind == "object":
            fields = self.fields(schema, hint, root, seen)
            if fields is None:
                return MapType()
            name = self.record_name(hint)
            self.records.append(RecordType(name, fields, str(schema.get("description", ""))))
            return Named(name)
        return AnyType()


def _literal(values: list[Any]) -> Type:
    if values and all(isinstance(v, _SCALARS) for v in values):
        return LiteralType(tuple(dict.fromkeys(values)))
    return AnyType()


def _union(options: list[Type]) -> Type:
    unique = tuple(dict.fromkeys(options))
    if any(isinstance(option, AnyType) for option in unique):
        return AnyType()
    return unique[0] if len(unique) == 1 else UnionType(unique)
