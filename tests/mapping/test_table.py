"""Examples from Segment's mapping-kit, as (mapping, event, expected) rows.

Sources (segmentio/action-destinations, packages/core/src/mapping-kit/):
  README.md, __tests__/index.iso.test.ts, schema-fixtures/directives/@*.json,
  __tests__/placeholders.test.ts. Each block names its file.
"""

from __future__ import annotations

from typing import Any

import pytest

from eventyard.mapping import compile_mapping, map_event

IF_EVENT = {"a": 1, "b": True, "c": False, "d": None, "e": ""}
PRODUCTS = {"products": [{"productId": "123", "price": 0.5}, {"productId": "456", "price": 0.99}]}
SHAPE = {"product_id": {"@path": "$.productId"}, "monies": {"@path": "$.price"}}
NULLS = {"foo": {"bar": None, "aces": {"a": 1, "b": 2}}}

ROWS: list[tuple[str, Any, Any, Any]] = [
    # README.md
    (
        "readme-intro",
        {
            "name": "Mr. Rogers",
            "neighborhood": {"@path": "$.properties.neighborhood"},
            "greeting": {"@template": "Won't you be my {{properties.noun}}?"},
        },
        {"type": "track", "properties": {"neighborhood": "Latrobe", "noun": "neighbor"}},
        {"name": "Mr. Rogers", "neighborhood": "Latrobe", "greeting": "Won't you be my neighbor?"},
    ),
    (
        "readme-undefined-removed",
        {"foo": {"@path": "$.a"}, "bar": {"@path": "$.b"}, "baz": None},
        {"a": 1},
        {"foo": 1, "baz": None},
    ),
    (
        "readme-if-missing-then",
        {"foo-exists": {"@if": {"exists": {"@path": "$.foo"}, "then": True}}},
        {"a": "cool"},
        {},
    ),
    (
        "readme-path-index",
        {"@path": "$.foo.baz[0].num"},
        {"foo": {"baz": [{"num": 1}, {"num": 2}]}},
        1,
    ),
    (
        "readme-template-missing",
        {"@template": "Hello, {{traits.fullName}}!"},
        {"traits": {}},
        "Hello, !",
    ),
    ("readme-literal", {"@literal": True}, {}, True),
    # __tests__/index.iso.test.ts
    ("iso-empty-mapping", {}, {"cool": False}, {}),
    (
        "iso-literal-nested",
        {"nested": {"@literal": {"a": {"@path": "$.a"}, "b": {"@path": "$.b"}}}},
        {"a": "some value"},
        {"nested": {"a": "some value"}},
    ),
    (
        "iso-if-exists-empty-string",
        {"@if": {"exists": {"@path": "$.e"}, "then": 1, "else": 2}},
        IF_EVENT,
        1,
    ),
    (
        "iso-if-exists-null",
        {"@if": {"exists": {"@path": "$.d"}, "then": 1, "else": 2}},
        IF_EVENT,
        2,
    ),
    (
        "iso-if-blank-number",
        {"@if": {"blank": {"@path": "$.a"}, "then": 1, "else": 2}},
        IF_EVENT,
        1,
    ),
    ("iso-if-blank-empty", {"@if": {"blank": {"@path": "$.e"}, "then": 1, "else": 2}}, IF_EVENT, 2),
    (
        "iso-if-blank-missing",
        {"@if": {"blank": {"@path": "$.x"}, "then": 1, "else": 2}},
        IF_EVENT,
        2,
    ),
    (
        "iso-case-lower",
        {"@case": {"operator": "lower", "value": {"@path": "$.b"}}},
        {"b": "MAKE ME LOWER"},
        "make me lower",
    ),
    (
        "iso-case-upper",
        {"@case": {"operator": "upper", "value": {"@path": "$.c"}}},
        {"c": "mixed W/ 190wdB"},
        "MIXED W/ 190WDB",
    ),
    ("iso-case-number", {"@case": {"operator": "lower", "value": {"@path": "$.a"}}}, {"a": 1}, 1),
    (
        "iso-case-object",
        {"@case": {"operator": "lower", "value": {"@path": "$.h"}}},
        {"h": {"k": ["hi", True, None]}},
        {"k": ["hi", True, None]},
    ),
    (
        "iso-arraypath-simple",
        {"neat": {"@arrayPath": ["$.products"]}},
        PRODUCTS,
        {"neat": PRODUCTS["products"]},
    ),
    (
        "iso-arraypath-shape",
        {"neat": {"@arrayPath": ["$.products", SHAPE]}},
        PRODUCTS,
        {"neat": [{"product_id": "123", "monies": 0.5}, {"product_id": "456", "monies": 0.99}]},
    ),
    (
        "iso-arraypath-directive-root",
        {
            "neat": {
                "@arrayPath": [
                    {
                        "@if": {
                            "exists": {"@path": "$.products"},
                            "then": {"@path": "$.products"},
                            "else": [],
                        }
                    },
                    SHAPE,
                ]
            }
        },
        PRODUCTS,
        {"neat": [{"product_id": "123", "monies": 0.5}, {"product_id": "456", "monies": 0.99}]},
    ),
    (
        "iso-arraypath-not-array",
        {"neat": {"@arrayPath": ["$.products", SHAPE]}},
        {"products": {"notAnArray": True}},
        {"neat": [{}]},
    ),
    (
        "iso-arraypath-single-object",
        {"neat": {"@arrayPath": ["$.properties", SHAPE]}},
        {"properties": {"productId": "123", "price": 0.5}},
        {"neat": [{"product_id": "123", "monies": 0.5}]},
    ),
    ("iso-path-root-empty", {"@path": ""}, {"foo": "bar"}, {"foo": "bar"}),
    ("iso-path-root-dollar", {"@path": "$."}, {"foo": "bar"}, {"foo": "bar"}),
    (
        "iso-path-nested-directive",
        {"@path": {"@path": "$.foo"}},
        {"foo": "bar", "bar": "baz"},
        "baz",
    ),
    ("iso-path-missing", {"neat": {"@path": "$.oops"}}, {"foo": "bar"}, {}),
    (
        "iso-path-spaces",
        {"neat": {"@path": "$.integrations.Actions Amplitude.session_id"}},
        {"integrations": {"Actions Amplitude": {"session_id": "bar"}}},
        {"neat": "bar"},
    ),
    ("iso-path-through-string", {"neat": {"@path": "$.foo.bar.baz"}}, {"foo": "bar"}, {}),
    (
        "iso-merge-right",
        {
            "@merge": {
                "direction": "right",
                "objects": [{"cool": True, "hey": "there"}, {"@path": "foo"}],
            }
        },
        {"foo": {"bar": "baz", "hey": "you"}},
        {"cool": True, "bar": "baz", "hey": "you"},
    ),
    (
        "iso-merge-left",
        {
            "@merge": {
                "direction": "left",
                "objects": [{"cool": True, "hey": "there"}, {"@path": "foo"}],
            }
        },
        {"foo": {"bar": "baz", "hey": "you"}},
        {"cool": True, "bar": "baz", "hey": "there"},
    ),
    ("iso-merge-empty", {"@merge": {"direction": "left", "objects": []}}, {}, {}),
    (
        "iso-transform-simple",
        {
            "@transform": {
                "apply": {"foo": {"@path": "$.a"}},
                "mapping": {"cool": {"@path": "$.foo"}},
            }
        },
        {"a": 1, "b": 2},
        {"cool": 1},
    ),
    (
        "iso-transform-flatten",
        {
            "@transform": {
                "apply": {
                    "properties": {
                        "@flatten": {"value": {"@path": "$.properties"}, "separator": "_"}
                    }
                },
                "mapping": {
                    "properties": {"@path": "$.properties"},
                    "topLevel": {"@path": "$.properties.nested_a"},
                },
            }
        },
        {"properties": {"test": "value", "nested": {"a": "special", "b": 2}}, "otherStuff": "foo"},
        {
            "properties": {"test": "value", "nested_a": "special", "nested_b": 2},
            "topLevel": "special",
        },
    ),
    (
        "iso-exclude-when-null",
        {"x": {"@excludeWhenNull": {"@path": "$.foo.bar"}}, "y": {"@path": "$.foo.aces.a"}},
        NULLS,
        {"y": 1},
    ),
    (
        "iso-exclude-keeps-nested-nulls",
        {"neat": {"@excludeWhenNull": {"@path": "$.foo"}}},
        NULLS,
        {"neat": NULLS["foo"]},
    ),
    (
        "iso-exclude-composed",
        {
            "pathNull": {"@excludeWhenNull": {"@path": "$.foo.bar"}},
            "templateEmpty": {"@excludeWhenNull": {"@template": "{{foo.bar}}"}},
            "literalNull": {"@excludeWhenNull": {"@literal": None}},
            "ifNull": {
                "@excludeWhenNull": {
                    "@if": {"exists": {"@path": "$.foo.foobar"}, "then": 1, "else": None}
                }
            },
            "caseNull": {
                "@excludeWhenNull": {
                    "@case": {"operator": "upper", "value": {"@path": "$.foo.bar"}}
                }
            },
            "replaceNull": {
                "@excludeWhenNull": {
                    "@replace": {
                        "pattern": "-",
                        "replacement": "nice",
                        "value": {"@path": "$.foo.bar"},
                    }
                }
            },
            "jsonNull": {
                "@excludeWhenNull": {"@json": {"mode": "decode", "value": {"@path": "$.foo.bar"}}}
            },
            "jsonNullEncode": {
                "@excludeWhenNull": {"@json": {"mode": "encode", "value": {"@path": "$.foo.bar"}}}
            },
        },
        NULLS,
        {"templateEmpty": "", "replaceNull": "", "jsonNullEncode": "null"},
    ),
    # schema-fixtures/directives/@template.json and __tests__/placeholders.test.ts
    (
        "tpl-no-escaping",
        {"@template": "<blink>{{a}} {{{a}}}</blink>"},
        {"a": "<b>Hi</b>"},
        "<blink><b>Hi</b> <b>Hi</b></blink>",
    ),
    ("tpl-boolean", {"@template": "{{foo}}"}, {"foo": True}, "true"),
    ("tpl-number", {"@template": "{{foo}}"}, {"foo": 1}, "1"),
    ("tpl-object", {"@template": "{{foo}}"}, {"foo": {"bar": "baz"}}, "[object Object]"),
    ("tpl-null", {"@template": "{{foo}}"}, {"foo": None}, ""),
    ("tpl-trailing-brace", {"@template": "{{foo}}}"}, {"foo": "hello"}, "hello}"),
    ("tpl-square-brackets", {"@template": "{{[unknown]}}"}, {"type": "identify"}, ""),
    ("tpl-quotes", {"@template": 'Hello, "{{name}}"!'}, {"name": "World"}, 'Hello, "World"!'),
    # schema-fixtures/directives/@replace.json
    (
        "replace-null",
        {"@replace": {"pattern": "_", "replacement": "rrrrr", "value": {"@path": "$.a"}}},
        {"a": None},
        "",
    ),
    (
        "replace-case-sensitive",
        {
            "@replace": {
                "pattern": "WW",
                "replacement": "oo",
                "value": {"@path": "$.a"},
                "ignorecase": False,
            }
        },
        {"a": "cWWl-story-ww"},
        "cool-story-ww",
    ),
    (
        "replace-ignorecase",
        {
            "@replace": {
                "pattern": "AaB",
                "replacement": "nice",
                "value": {"@path": "$.a"},
                "ignorecase": True,
            }
        },
        {"a": "aab-----AaB---aab"},
        "nice-----nice---nice",
    ),
    (
        "replace-first-only",
        {
            "@replace": {
                "pattern": "+",
                "replacement": "_",
                "value": {"@path": "$.a"},
                "global": False,
            }
        },
        {"a": "many+different+things"},
        "many_different+things",
    ),
    (
        "replace-no-replacement",
        {"@replace": {"pattern": "many+", "value": {"@path": "$.a"}}},
        {"a": "many+different+things"},
        "different+things",
    ),
    (
        "replace-boolean",
        {"@replace": {"pattern": "true", "replacement": "granted", "value": {"@path": "$.a"}}},
        {"a": True},
        "granted",
    ),
    (
        "replace-number",
        {"@replace": {"pattern": "1", "replacement": "granted", "value": {"@path": "$.a"}}},
        {"a": 1},
        "granted",
    ),
    (
        "replace-two",
        {
            "@replace": {
                "pattern": "-",
                "replacement": " ",
                "pattern2": "great",
                "replacement2": "awesome",
                "value": {"@path": "$.a"},
            }
        },
        {"a": "something-great!"},
        "something awesome!",
    ),
    (
        "replace-only-second",
        {
            "@replace": {
                "pattern": "true",
                "replacement": "granted",
                "pattern2": "false",
                "replacement2": "denied",
                "value": {"@path": "$.a"},
            }
        },
        {"a": False},
        "denied",
    ),
    (
        "replace-empty-pattern2",
        {
            "@replace": {
                "pattern": "_",
                "replacement": "+",
                "pattern2": "",
                "replacement2": "",
                "value": {"@path": "$.a"},
            }
        },
        {"a": "abc_defgh"},
        "abc+defgh",
    ),
    (
        "replace-missing-value",
        {"neat": {"@replace": {"pattern": "_", "replacement": "+", "value": {"@path": "$.a"}}}},
        {"b": "x"},
        {"neat": ""},
    ),
    (
        "replace-regex-ignored",
        {
            "@replace": {
                "pattern": '"',
                "pattern2": "\\",
                "replacement": "",
                "replacement2": "",
                "value": {"@path": "$.a"},
            }
        },
        {"a": 'abc"def\\gh'},
        "abcdefgh",
    ),
    # schema-fixtures/directives/@flatten.json
    (
        "flatten-simple",
        {"@flatten": {"value": {"@path": "$.foo"}, "separator": "."}},
        {"foo": {"bar": "baz", "aces": {"a": 1, "b": 2}}},
        {"bar": "baz", "aces.a": 1, "aces.b": 2},
    ),
    (
        "flatten-array-first",
        {"@flatten": {"value": {"@path": "$.foo"}, "separator": "."}},
        {"foo": [{"fazz": "bar", "fizz": "baz"}]},
        {"0.fazz": "bar", "0.fizz": "baz"},
    ),
    (
        "flatten-omit-arrays",
        {"@flatten": {"value": {"@path": "$.foo"}, "separator": ".", "omitArrays": True}},
        {"foo": {"a": {"b": {"c": [{"d": 1}]}}}},
        {"a.b.c": [{"d": 1}]},
    ),
    (
        "flatten-separator",
        {"@flatten": {"value": {"@path": "$.foo"}, "separator": "/"}},
        {"foo": {"a": {"b": {"c": 1}, "d": 2}}},
        {"a/b/c": 1, "a/d": 2},
    ),
    (
        "flatten-nested-arrays",
        {"@flatten": {"value": {"@path": "$.foo"}, "separator": "."}},
        {"foo": {"a": [{"b": 1}, {"c": 2}]}},
        {"a.0.b": 1, "a.1.c": 2},
    ),
    (
        "flatten-missing",
        {"neat": {"@flatten": {"value": {"@path": "$.foo"}, "separator": ","}}},
        {"bar": 1},
        {"neat": {}},
    ),
    # schema-fixtures/directives/@json.json
    (
        "json-encode",
        {"@json": {"mode": "encode", "value": {"@path": "$.foo"}}},
        {"foo": "bar"},
        '"bar"',
    ),
    (
        "json-encode-object",
        {"@json": {"mode": "encode", "value": {"@path": "$.foo"}}},
        {"foo": {"bar": "baz"}},
        '{"bar":"baz"}',
    ),
    (
        "json-encode-array",
        {"@json": {"mode": "encode", "value": {"@path": "$.foo"}}},
        {"foo": ["bar", "baz"]},
        '["bar","baz"]',
    ),
    (
        "json-decode-object",
        {"@json": {"mode": "decode", "value": {"@path": "$.foo"}}},
        {"foo": '{"bar":"baz"}'},
        {"bar": "baz"},
    ),
    (
        "json-encode-missing",
        {"neat": {"@json": {"mode": "encode", "value": {"@path": "$.bad"}}}},
        {"foo": 1},
        {},
    ),
    (
        "json-decode-non-string",
        {"@json": {"mode": "decode", "value": {"@path": "$.foo"}}},
        {"foo": 123},
        123,
    ),
    # Brief / reference §3.1: invalid JSON decodes to the input unchanged.
    (
        "json-decode-invalid",
        {"@json": {"mode": "decode", "value": {"@path": "$.foo"}}},
        {"foo": "{nope"},
        "{nope",
    ),
]


@pytest.mark.parametrize(
    ("mapping", "event", "expected"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS]
)
def test_mapping_kit_examples(mapping: Any, event: dict[str, Any], expected: Any) -> None:
    assert compile_mapping(mapping)(event) == expected


def test_map_event_caches_compiled_mappings() -> None:
    mapping = {"id": {"@path": "$.userId"}}
    assert map_event(mapping, {"userId": "u1"}) == {"id": "u1"}
    assert map_event(mapping, {"userId": "u2"}) == {"id": "u2"}


def test_compiled_mapping_is_reusable_and_does_not_share_output() -> None:
    mapping = compile_mapping({"fixed": {"a": [1, 2]}, "who": {"@path": "$.userId"}})
    first = mapping({"userId": "a"})
    first["fixed"]["a"].append(3)
    assert mapping({"userId": "b"}) == {"fixed": {"a": [1, 2]}, "who": "b"}


def test_js_semantics_choices() -> None:
    # `blank` is JS `value != ''`: 0 and false are blank, "0" and " " are not.
    blank = {"@if": {"blank": {"@path": "$.v"}, "then": "yes", "else": "no"}}
    for value, expected in [
        (0, "no"),
        (False, "no"),
        ([], "no"),
        ("0", "yes"),
        (" ", "yes"),
        ({}, "yes"),
    ]:
        assert compile_mapping(blank)({"v": value}) == expected, value
    # mapping-kit only takes `else` when it is JS-truthy: a literal false omits the key.
    falsy_else = {"k": {"@if": {"exists": {"@path": "$.nope"}, "then": 1, "else": False}}}
    assert compile_mapping(falsy_else)({}) == {}
    # Templates print numbers the way JS does.
    assert (
        compile_mapping({"@template": "{{a}}|{{b}}|{{c}}"})(
            {"a": 2.0, "b": 1e-7, "c": [1, None, "x"]}
        )
        == "2|1e-7|1,,x"
    )
    # Arrays keep their length: undefined items become null, as JSON.stringify writes them.
    assert compile_mapping([{"@path": "$.nope"}, 1])({}) == [None, 1]
    # A top-level undefined result is None.
    assert compile_mapping({"@path": "$.nope"})({}) is None
    # JS replacement patterns: `$&` is the match.
    assert (
        compile_mapping({"@replace": {"pattern": "b", "replacement": "[$&]", "value": "abc"}})({})
        == "a[b]c"
    )


def test_liquid_renders_with_restrictions() -> None:
    mapping = compile_mapping({"greeting": {"@liquid": "Hi {{ traits.name | upcase }}"}})
    assert mapping({"traits": {"name": "ann"}}) == {"greeting": "Hi ANN"}
