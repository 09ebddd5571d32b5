"""JSON Schema compilation: bounded, local-only, linear-time patterns, clear errors."""

from __future__ import annotations

import time
from typing import Any

import pytest

from eventyard.protocols.schema import (
    MAX_DEPTH,
    MAX_PATTERN,
    MAX_SCHEMA_BYTES,
    SchemaProblem,
    compile_schema,
)
from protocols.ecommerce import ecommerce_plan


def problem(schema: Any) -> SchemaProblem:
    with pytest.raises(SchemaProblem) as caught:
        compile_schema(schema)
    return caught.value


def test_the_ecommerce_schemas_compile_and_check() -> None:
    for schema in ecommerce_plan()["events"].values():
        compile_schema(schema)
    order = compile_schema(ecommerce_plan()["events"]["Order Completed"])
    assert order.is_valid({"order_id": "o", "revenue": 1, "currency": "USD", "products": []})
    assert not order.is_valid({"order_id": "o", "revenue": "1", "currency": "USD"})


def test_draft_07_is_the_default_and_format_is_checked() -> None:
    email = compile_schema({"type": "string", "format": "email"})
    assert email.is_valid("ada@example.com")
    assert not email.is_valid("not an email")
    stamp = compile_schema({"type": "string", "format": "date-time"})
    assert stamp.is_valid("2024-05-01T12:00:00Z")
    assert not stamp.is_valid("yesterday")


def test_a_schema_naming_another_draft_uses_it() -> None:
    draft4 = "http://json-schema.org/draft-04/schema#"
    schema = compile_schema(
        {"$schema": draft4, "type": "number", "maximum": 5, "exclusiveMaximum": True}
    )
    assert schema.is_valid(4.9)
    assert not schema.is_valid(5)


@pytest.mark.parametrize(
    ("schema", "where", "words"),
    [
        ([], "", "must be an object"),
        ("string", "", "must be an object"),
        ({"type": "strin"}, "type", "not valid"),
        ({"properties": {"a": {"type": 5}}}, "properties.a.type", ""),
        ({"required": "order_id"}, "required", ""),
        ({"minimum": "0"}, "minimum", ""),
    ],
)
def test_invalid_schemas_name_the_place(schema: Any, where: str, words: str) -> None:
    found = problem(schema)
    assert found.message
    assert ".".join(str(step) for step in found.steps) == where
    assert words in found.message


def test_huge_schemas_are_refused() -> None:
    big = {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(5000)}}
    assert f"at most {MAX_SCHEMA_BYTES}" in problem(big).message


def test_deep_schemas_are_refused() -> None:
    schema: dict[str, Any] = {"type": "object"}
    for _ in range(MAX_DEPTH + 5):
        schema = {"type": "object", "properties": {"x": schema}}
    assert "levels deep" in problem(schema).message


def test_nesting_beyond_what_json_allows_is_refused() -> None:
    schema: Any = {}
    for _ in range(300):
        schema = {"not": schema}
    assert "not JSON data" in problem(schema).message


def test_remote_references_are_refused_before_anything_is_fetched() -> None:
    found = problem({"properties": {"a": {"$ref": "https://example.com/schema.json"}}})
    assert found.steps == ("properties", "a", "$ref")
    assert "never fetches" in found.message


def test_an_unknown_local_reference_is_refused() -> None:
    assert problem({"$ref": "#/definitions/missing"}).message


def test_reference_cycles_compile_and_validate_recursive_data() -> None:
    tree = compile_schema(
        {
            "$ref": "#/definitions/node",
            "definitions": {
                "node": {
                    "type": "object",
                    "properties": {
                        "value": {"type": "integer"},
                        "child": {"$ref": "#/definitions/node"},
                    },
                }
            },
        }
    )
    deep: dict[str, Any] = {"value": 1}
    for _ in range(50):
        deep = {"value": 1, "child": deep}
    assert tree.is_valid(deep)
    deep["child"]["child"]["value"] = "x"
    assert not tree.is_valid(deep)
    loop = compile_schema(
        {
            "$ref": "#/definitions/a",
            "definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}},
        }
    )
    started = time.monotonic()
    loop.is_valid({"any": "thing"})
    assert time.monotonic() - started < 1


def test_catastrophic_patterns_run_in_linear_time() -> None:
    schema = compile_schema({"type": "string", "pattern": "^(a+)+$"})
    hostile = "a" * 100_000 + "!"
    started = time.monotonic()
    assert not schema.is_valid(hostile)
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("pattern", ["(?=a)b", "(?!bot)", "(a)\\1", "(?<=x)y"])
def test_lookaround_and_backreferences_are_refused_with_what_to_do(pattern: str) -> None:
    found = problem({"type": "string", "pattern": pattern})
    assert found.steps == ("pattern",)
    assert "linear time" in found.message and "not" in found.message


def test_pattern_properties_are_checked_too() -> None:
    found = problem({"type": "object", "patternProperties": {"(?<=x)y": {}}})
    assert found.steps == ("patternProperties", "(?<=x)y")


def test_long_and_oversized_patterns_are_refused() -> None:
    assert "longer than" in problem({"pattern": "a" * (MAX_PATTERN + 1)}).message
    assert "bounded size" in problem({"pattern": "a{1000}{1000}"}).message


def test_patterns_inside_instance_values_are_data_not_schema() -> None:
    compile_schema({"enum": [{"pattern": "(?=a)", "$ref": "http://x"}], "default": {"$ref": 1}})
