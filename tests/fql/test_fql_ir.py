"""tsub wire IR (segmentio/tsub-js src/matchers.ts): export, import and round trips."""

import json
from typing import Any

import pytest

from eventyard.fql import FQLIRError, compile_fql, from_ir, to_ir

EXPORTS = [
    ('event = "Test"', ["=", "event", {"value": "Test"}]),
    ('contains(email, ".com")', ["contains", "email", {"value": ".com"}]),
    ("!properties.flag", ["!", "properties.flag"]),
    ("a = 1 and b = 2 and c", ["and", ["=", "a", {"value": 1}], ["=", "b", {"value": 2}], "c"]),
    (
        'event in ["Clicked", "Viewed"]',
        ["in", "event", {"value": [{"value": "Clicked"}, {"value": "Viewed"}]}],
    ),
    ('"test" = lowercase("TEST")', ["=", {"value": "test"}, ["lowercase", {"value": "TEST"}]]),
    ("true", {"value": True}),
    ("properties.a\\.b = null", ["=", "properties.a\\.b", {"value": None}]),
]


@pytest.mark.parametrize(("text", "ir"), EXPORTS)
def test_to_ir(text: str, ir: Any) -> None:
    assert to_ir(compile_fql(text)) == ir
    assert to_ir(from_ir(ir)) == ir


# IR documents and outcomes from tsub-js's matchers tests.
TSUB = [
    (["and", ["or", {"value": False}, {"value": True}], {"value": True}], {}, True),
    (["or", {"value": False}, {"value": False}, {"value": False}], {}, False),
    (
        ["=", {"value": [{"value": 1}, {"value": 2}]}, {"value": [{"value": 2}, {"value": 1}]}],
        {},
        False,
    ),
    (["<=", {"value": 6}, {"value": 6}], {}, True),
    (["match", {"value": "test@test.com"}, {"value": "*.com"}], {}, True),
    (["=", {"value": 4}, ["length", {"value": "TEST"}]], {}, True),
    (
        ["in", "event", {"value": [{"value": "Clicked"}, {"value": "Viewed"}]}],
        {"event": "Clicked"},
        True,
    ),
    ("trueValue", {"trueValue": True}, True),
    ("stringValue", {"stringValue": "true"}, False),
    (["and"], {}, True),
    (["or"], {}, False),
]


@pytest.mark.parametrize(("ir", "event", "expected"), TSUB)
def test_from_ir_evaluates_like_tsub(ir: Any, event: dict[str, Any], expected: bool) -> None:
    f = from_ir(json.loads(json.dumps(ir)))
    assert f(event) is expected
    assert compile_fql(f.text)(event) is expected  # the regenerated text means the same


ROUND_TRIPS = [
    'type = "track" and (event = "Order Completed" or event = "Checkout Started")',
    '(a or b) and !(c and d) or not e = "x"',
    "(a and b) and c",
    'properties."order id" != null and properties.product\\ 1.price > -1.5e3',
    "match(context.page.url, '*/checkout/[0-9]*') and length(properties.items) >= 1",
    '!contains(lowercase(traits.email), "@example.com")',
    "typeof(properties.x) = 'list' and properties.x = [1, \"two\", [true, null]]",
    "\\true = 1 and \\3d = 2 and \\-1 = 3",
    'properties.""."" = 1',
    "snakecase(kebabcase(titlecase(uppercase(number(string(bool(x))))))) = null",
]


@pytest.mark.parametrize("text", ROUND_TRIPS)
def test_round_trip(text: str) -> None:
    original = compile_fql(text)
    restored = from_ir(json.loads(json.dumps(to_ir(original))))
    assert restored.node == original.node
    assert compile_fql(restored.text).node == original.node
    assert restored.paths == original.paths


BAD_IR = [
    ["frobnicate", "a"],
    ["=", "a"],
    ["!", "a", "b"],
    [],
    [1, 2],
    {"value": 1, "extra": 2},
    {"value": {"nested": "object"}},
    {"value": [1, 2]},
    {"value": float("nan")},
    "",
    ".a",
    42,
    None,
]


@pytest.mark.parametrize("ir", BAD_IR)
def test_bad_ir_is_rejected(ir: Any) -> None:
    with pytest.raises(FQLIRError):
        from_ir(ir)


def test_deep_ir_is_rejected_not_crashing() -> None:
    ir: Any = {"value": True}
    for _ in range(5000):
        ir = ["!", ir]
    with pytest.raises(FQLIRError):
        from_ir(ir)
