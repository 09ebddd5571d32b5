"""JSON Schema for tracking plans, compiled with `jsonschema-rs` (Rust; about 1 µs to check a
typical ecommerce event, and every violation at once with its path and keyword).

A plan's schemas run on every event, so they are bounded before they are compiled:
- at most MAX_SCHEMA_BYTES of JSON and MAX_DEPTH levels of nesting;
- `$ref` only inside the same schema (`#/definitions/product`): nothing is ever fetched,
  and reference cycles are fine (the validator follows each reference lazily);
- `pattern` / `patternProperties` run on Rust's linear-time regex engine: no lookaround, no
  backreferences (Segment says the same of negative lookaheads: write `not` instead), at
  most MAX_PATTERN characters and a bounded compiled size, so no pattern can take
  exponential time on a hostile string.
Schemas are draft-07 (Segment's) unless they name another draft in `$schema`; `format` is
checked (`email`, `date-time`, ...; unknown formats pass).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
import orjson

__all__ = [
    "MAX_DEPTH",
    "MAX_PATTERN",
    "MAX_SCHEMA_BYTES",
    "CompiledSchema",
    "SchemaProblem",
    "compile_schema",
    "resolve_ref",
]

MAX_SCHEMA_BYTES = 100_000
MAX_DEPTH = 32
MAX_PATTERN = 1_000
_REGEX = jsonschema_rs.RegexOptions(size_limit=1_000_000, dfa_size_limit=2_000_000)
_DATA_KEYS = frozenset({"enum", "const", "default", "examples"})
"""Keywords whose values are instances, not schemas: never read as schema."""
_NOT_REGEX = 'is not a "regex"'


class SchemaProblem(Exception):
    """A schema eventyard will not run; `steps` lead to the place inside the schema."""

    def __init__(self, steps: tuple[str | int, ...], message: str) -> None:
        where = _dotted(steps)
        super().__init__(f"{where}: {message}" if where else message)
        self.steps = steps
        self.message = message


@dataclass(frozen=True, slots=True)
class CompiledSchema:
    raw: dict[str, Any]
    validator: Any
    """A jsonschema_rs validator (the package ships no type information)."""

    def is_valid(self, instance: Any) -> bool:
        valid: bool = self.validator.is_valid(instance)
        return valid

    def errors(self, instance: Any) -> Iterator[Any]:
        """jsonschema_rs.ValidationError for each problem, in schema order."""
        errors: Iterator[Any] = self.validator.iter_errors(instance)
        return errors


def _dotted(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path).lstrip(".")


def _walk(schema: Any) -> None:
    """Depth, references and pattern lengths, before the compiler sees the schema."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(schema, ())]
    while stack:
        node, path = stack.pop()
        if len(path) > MAX_DEPTH:
            raise SchemaProblem(path, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, list):
            stack.extend((item, (*path, i)) for i, item in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        ref = node.get("$ref")
        if ref is not None and (not isinstance(ref, str) or not ref.startswith("#")):
            raise SchemaProblem(
                (*path, "$ref"),
                f"{str(ref)[:80]!r}: only references inside the same schema (#/...) are "
                "supported; eventyard never fetches schemas",
            )
        patterns = [node.get("pattern")]
        if isinstance(node.get("patternProperties"), dict):
            patterns += list(node["patternProperties"])
        for pattern in patterns:
            if isinstance(pattern, str) and len(pattern) > MAX_PATTERN:
                raise SchemaProblem(path, f"a pattern longer than {MAX_PATTERN} characters")
        stack.extend((v, (*path, k)) for k, v in node.items() if k not in _DATA_KEYS)


def _explain(error: Any) -> str:
    message = str(error.message).split("\n", 1)[0]
    if message.endswith(_NOT_REGEX):
        return (
            f"{message.removesuffix(_NOT_REGEX).strip()} is not a pattern eventyard runs: "
            "patterns run in linear time, so lookaround and backreferences are not "
            "supported (write `not` instead of a negative lookahead), and a pattern "
            "must compile to a bounded size"
        )
    return message


def resolve_ref(schema: Any, root: Any, seen: frozenset[str]) -> tuple[Any, frozenset[str]]:
    """Follow local `$ref`s from `schema` inside `root`: (the schema reached, the refs
    followed so far); (None, seen) on a cycle or a reference that leads nowhere."""
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        ref = schema["$ref"]
        if ref in seen or not ref.startswith("#"):
            return None, seen
        seen = seen | {ref}
        target: Any = root
        for step in ref[1:].split("/")[1:]:
            step = step.replace("~1", "/").replace("~0", "~")
            target = target.get(step) if isinstance(target, dict) else None
        schema = target
    return schema, seen


def compile_schema(schema: Any) -> CompiledSchema:
    """Check and compile one schema; SchemaProblem names the place and what to change."""
    if not isinstance(schema, dict):
        raise SchemaProblem((), "a JSON Schema must be an object, e.g. {type: object}")
    try:
        size = len(orjson.dumps(schema))
    except TypeError:
        raise SchemaProblem((), "not JSON data (nested too deeply, or a huge number)") from None
    if size > MAX_SCHEMA_BYTES:
        raise SchemaProblem((), f"the schema is {size} bytes; at most {MAX_SCHEMA_BYTES}")
    _walk(schema)
    try:
        kind = jsonschema_rs.validator_cls_for(schema) if "$schema" in schema else None
        cls = kind or jsonschema_rs.Draft7Validator
        validator = cls(schema, validate_formats=True, pattern_options=_REGEX, offline=True)
    except jsonschema_rs.ValidationError as error:
        raise SchemaProblem(tuple(error.instance_path), _explain(error)) from None
    except (jsonschema_rs.ReferencingError, ValueError) as error:
        raise SchemaProblem((), str(error).split("\n", 1)[0]) from None
    return CompiledSchema(schema, validator)
