"""Config-time errors: each names where in the mapping the problem is."""

from __future__ import annotations

from typing import Any

import pytest

from eventyard.errors import ConfigError
from eventyard.mapping import MappingError, compile_mapping

CASES: list[tuple[Any, tuple[str | int, ...], str]] = [
    ({"data": {"who": {"@template": 3}}}, ("data", "who"), "@template must be a string"),
    ({"a": 1, "@path": "$.b"}, (), "cannot have sibling keys: a"),
    ({"x": {"@path": "$.a", "@template": "{{b}}"}}, ("x",), "exactly one @-key"),
    ({"x": {"@field": "$.a"}}, ("x",), "unknown directive @field"),
    ({"x": {"@if": {"then": 1}}}, ("x",), '"exists" or a "blank"'),
    ({"x": {"@if": {"exists": 1}}}, ("x",), '"then" or an "else"'),
    (
        {"x": {"@if": {"exists": 1, "then": {"@template": False}}}},
        ("x", "@if", "then"),
        "@template must be a string",
    ),
    ({"x": {"@if": {"exists": 1, "then": 1, "els": 2}}}, ("x",), 'unknown key "els"'),
    (
        {"x": {"@case": {"operator": "snake", "value": "A"}}},
        ("x", "@case", "operator"),
        '"lower" or "upper"',
    ),
    ({"x": {"@case": {"value": "A"}}}, ("x",), '"operator"'),
    ({"x": {"@case": "not an object"}}, ("x",), "@case must be an object, got a string"),
    (
        {"x": {"@replace": {"pattern": 1, "value": "a"}}},
        ("x", "@replace", "pattern"),
        "pattern must be a string",
    ),
    ({"x": {"@replace": {"replacement": "g", "value": "a"}}}, ("x",), '"pattern"'),
    ({"x": {"@replace": {"pattern": "g"}}}, ("x",), '"value"'),
    (
        {"x": {"@replace": {"pattern": "+", "value": "a", "global": "abc"}}},
        ("x", "@replace", "global"),
        "must be a boolean",
    ),
    (
        {"x": {"@replace": {"pattern": "+", "value": "a", "ignorecase": "abc"}}},
        ("x", "@replace", "ignorecase"),
        "must be a boolean",
    ),
    ({"x": {"@arrayPath": "$.products"}}, ("x",), "@arrayPath must be"),
    (
        {"x": {"@arrayPath": ["$.p", "shape"]}},
        ("x", "@arrayPath", 1),
        "item shape must be an object",
    ),
    (
        {"x": {"@merge": {"direction": "up", "objects": []}}},
        ("x", "@merge", "direction"),
        '"left" or "right"',
    ),
    (
        {"x": {"@merge": {"direction": "left", "objects": [{}, 123]}}},
        ("x", "@merge", "objects", 1),
        "must be objects",
    ),
    (
        {"x": {"@merge": {"direction": "left", "objects": {"oops": True}}}},
        ("x", "@merge", "objects"),
        "must be an array",
    ),
    ({"x": {"@flatten": "abcdefgh"}}, ("x",), "@flatten must be an object"),
    ({"x": {"@flatten": {"value": 1}}}, ("x",), '"separator"'),
    (
        {"x": {"@flatten": {"value": 1, "separator": {"@path": "$.s"}}}},
        ("x", "@flatten", "separator"),
        "non-empty string",
    ),
    (
        {"x": {"@json": {"mode": "oops", "value": 1}}},
        ("x", "@json", "mode"),
        '"encode" or "decode"',
    ),
    ({"x": {"@json": {"mode": "encode"}}}, ("x",), '"value"'),
    (
        {"x": {"@transform": {"apply": 1, "mapping": {}}}},
        ("x", "@transform", "apply"),
        "must be an object",
    ),
    ({"x": {"@liquid": 5}}, ("x",), "@liquid must be a string"),
    ({"x": {"@liquid": "a" * 1001}}, ("x",), "1000 characters"),
    ({"list": [{"ok": 1}, {"@path": 7}]}, ("list", 1), "@path must be a string"),
    (
        {"x": {"@arrayPath": ["$.p", {"id": {"@nope": 1}}]}},
        ("x", "@arrayPath", 1, "id"),
        "unknown directive",
    ),
]


@pytest.mark.parametrize(
    ("mapping", "path", "message"), CASES, ids=[str(c[1]) + c[2] for c in CASES]
)
def test_compile_errors_name_the_location(
    mapping: Any, path: tuple[str | int, ...], message: str
) -> None:
    with pytest.raises(MappingError) as info:
        compile_mapping(mapping)
    assert info.value.path == path
    assert message in str(info.value)
    assert isinstance(info.value, ConfigError)


def test_message_starts_with_the_dotted_location() -> None:
    with pytest.raises(MappingError, match=r"^data\.who: @template must be a string"):
        compile_mapping({"data": {"who": {"@template": 1}}})
    with pytest.raises(MappingError, match=r"^items\[1\]: "):
        compile_mapping({"items": [1, {"@if": {}}]})


def test_where_prefixes_the_location() -> None:
    with pytest.raises(MappingError, match=r"^destinations\.hook\.mapping\.data\.who: "):
        compile_mapping({"data": {"who": {"@template": 1}}}, where="destinations.hook.mapping")


@pytest.mark.parametrize(
    "template",
    [
        "{% for a in b %}{{ a }}{% endfor %}",
        "{% case a %}{% when 1 %}x{% endcase %}",
        "{{ a | sort }}",
        "{% if %}",
    ],
)
def test_liquid_disabled_tags_and_bad_syntax_fail_at_config_time(template: str) -> None:
    with pytest.raises(MappingError, match=r"^x: @liquid: "):
        compile_mapping({"x": {"@liquid": template}})


def test_metadata_sibling_is_allowed() -> None:
    mapping = compile_mapping({"x": {"@path": "$.a", "_metadata": {"label": "A"}}})
    assert mapping({"a": 1}) == {"x": 1}
