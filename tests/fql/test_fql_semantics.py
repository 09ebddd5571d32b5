"""Table-driven FQL semantics: Segment's documented examples first, then our own rows."""

from typing import Any

import pytest

from eventyard.fql import compile_fql, evaluate

# The example event and table from https://segment.com/docs/api/public-api/fql/ ("Examples").
DOC_EVENT: dict[str, Any] = {
    "event": "Button Clicked",
    "type": "track",
    "context": {"library": {"name": "analytics.js", "version": "1.0"}},
    "properties": {"features": ["discounts", "dark-mode"]},
}

DOC_EXAMPLES = [
    ("event = 'Button Clicked'", True),
    ("event = 'Screen Tapped'", False),
    ("context.path.path = '/login'", False),
    ("type = 'identify' or type = 'track'", True),
    ("event = 'Button Clicked' and type = 'track'", True),
    ("match( context.library.version, '1.*' )", True),
    ("match( context.library.version, '2.*' )", False),
    ("type = 'track' and ( event = 'Click' or match( event, 'Button *' ) )", True),
    ("!contains( context.library.name, 'js' )", False),
    ("'dark-mode' in properties.features", True),
    ("'blink' in properties.features", False),
    # "Subexpressions" section of the same page.
    ("!( type in ['track', 'identify'] )", False),
    ("( type = 'track' or type = 'identify' ) and ( properties.enabled or true )", True),
]


@pytest.mark.parametrize(("expression", "expected"), DOC_EXAMPLES)
def test_documented_examples(expression: str, expected: bool) -> None:
    assert compile_fql(expression)(DOC_EVENT) is expected


# The "match( string, pattern )" table on the same page, plus Go path.Match cases that
# tsub-js's matchers test ports (segmentio/tsub-js src/__tests__/matchers.test.ts).
GLOBS = [
    ("abcd", "a*d", True),
    ("", "*", True),
    ("abc", "ab", False),
    ("abcd", "a??d", True),
    ("abcd", "*d", True),
    ("ab*d", "ab\\*d", True),
    ("abxd", "ab\\*d", False),
    ("abCd", "ab[cC]d", True),
    ("abcd", "ab[a-z]d", True),
    ("abcd", "ab[A-Z]d", False),
    ("abc", "*b", False),
    ("ab/c", "a*", True),
    ("axbxcxdxexxx/f", "a*b*c*d*e*/f", True),
    ("axbxcxdxexxx/fff", "a*b*c*d*e*/f", False),
    ("abxbbxdbxebxczzx", "a*b?c*x", True),
    ("abxbbxdbxebxczzy", "a*b?c*x", False),
    ("abcabcabc", "*a*b*c*", True),
    ("abc", "ab[^c]", False),
    ("abc", "ab[^e-g]", True),
    ("a☺b", "a?b", True),
    ("a☺b", "a???b", False),
    ("\u03b1", "[a-\u03b6]*", True),  # alpha within a-zeta
    ("]", "[\\]a]", True),
    ("-", "[x\\-]", True),
    ("]", "[]a]", False),
    ("x", "[x-]", False),
    ("a", "[a-b-c]", False),
    ("a", "[", False),
    ("a", "a[", False),
    ("a", "\\", False),
    ("xxx", "*x", True),
    ("line1\nline2", "line1*", True),
]


@pytest.mark.parametrize(("subject", "pattern", "expected"), GLOBS)
def test_match_globs(subject: str, pattern: str, expected: bool) -> None:
    event = {"s": subject, "p": pattern}
    assert evaluate("match(s, p)", event) is expected  # dynamic pattern
    literal = pattern.replace("\\", "\\\\").replace('"', '\\"')
    assert evaluate(f'match(s, "{literal}")', event) is expected  # precompiled pattern


def test_match_is_linear_on_hostile_patterns() -> None:
    assert not evaluate('match(s, "*a*a*a*a*a*a*a*a*a*a*b")', {"s": "a" * 20_000})


EVENT: dict[str, Any] = {
    "type": "track",
    "event": "Order Completed",
    "userId": "u1",
    "properties": {
        "revenue": 120.5,
        "count": 3,
        "zero": 0,
        "flag": True,
        "off": False,
        "nothing": None,
        "name": "Ünïcode Ā",
        "order id": "o-1",
        "product 1": {"price": "19.99"},
        "a.b": 7,
        "tags": ["a", "b"],
        "products": [{"sku": "s1"}, {"sku": "s2"}],
        "obj": {"x": 1, "y": 2},
        "0": "zero-key",
    },
    "context": {"page": {"url": "https://shop.example/checkout?x=1"}},
}

ROWS = [
    # Subscription forms used by action-destinations' defaultSubscription.
    ('type = "track" and event = "Order Completed"', True),
    ('type = "identify" or type = "track"', True),
    ('!contains(event, "Order")', False),
    ('match(event, "Order*")', True),
    ('match(event, "*Completed")', True),
    ("properties.nothing = null", True),
    ("properties.missing = null", True),
    ("properties.count = null", False),
    ("properties.count != null", True),
    ("properties.missing != null", False),
    ("properties.flag = true", True),
    ("properties.off = false", True),
    ("properties.zero = false", False),
    # Type-strict equality.
    ("properties.count = 3", True),
    ("properties.count = 3.0", True),
    ('properties.count = "3"', False),
    ("properties.flag = 1", False),
    ('properties.tags = ["a", "b"]', True),
    ('properties.tags = ["b", "a"]', False),
    ("properties.obj = properties.obj", True),
    ("properties.count != 4", True),
    ('properties.count != "3"', True),
    # Numeric-only comparisons.
    ("properties.revenue > 100", True),
    ("properties.revenue >= 120.5", True),
    ("properties.revenue < 100", False),
    ("100 < properties.revenue", True),
    ("properties.count <= -1", False),
    ('properties.revenue > "100"', False),
    ("properties.flag > 0", False),
    ("properties.missing < 1", False),
    ('properties."product 1".price > 1', False),
    # in.
    ('type in ["track", "page"]', True),
    ("properties.count in [1, 2, 3]", True),
    ("properties.flag in [1, 2]", False),
    ('properties.count in ["3"]', False),
    ("properties.nothing in [null]", True),
    ('"a" in properties.tags', True),
    ('"a" in properties.name', False),
    # Paths.
    ('properties."order id" = "o-1"', True),
    ("properties.'order id' = 'o-1'", True),
    ('properties.product\\ 1.price = "19.99"', True),
    ("properties.a\\.b = 7", True),
    ('properties.products.1.sku = "s2"', True),
    ("properties.products.5.sku = null", True),
    ('properties.0 = "zero-key"', True),
    ("properties.tags.x = null", True),
    # Boolean structure and precedence.
    ("properties.flag", True),
    ("properties.off", False),
    ("properties.count", False),
    ("!properties.missing", True),
    ('not type = "page"', True),
    ('type = "page" or type = "track" and event = "nope"', False),
    ('(type = "page" or type = "track") and event = "Order Completed"', True),
    ('type = "track" and !(event = "x" or event = "y")', True),
    ("!!properties.flag", True),
    ("true and null", False),
    ("false or null", False),
    # Functions.
    ('contains(context.page.url, "checkout")', True),
    ("contains(properties.missing, 'a')", False),
    ("contains(properties.count, '3')", False),
    ("length(properties.tags) = 2", True),
    ("length(properties.name) = 12", True),
    ("length(properties.missing) = 0", True),
    ("length(properties.count) = null", True),
    ("length(userId) > 0", True),
    ('lowercase(event) = "order completed"', True),
    ("lowercase(properties.missing) = null", True),
    ('uppercase(type) = "TRACK"', True),
    ('snakecase("test string") = "test_string"', True),
    ('kebabcase("test string") = "test-string"', True),
    ('titlecase("test string") = "Test String"', True),
    ('typeof(properties.count) = "number"', True),
    ('typeof(properties.flag) = "bool"', True),
    ('typeof(properties.tags) = "list"', True),
    ('typeof(properties.missing) = "null"', True),
    ('typeof(properties.obj) = "object"', True),
    ('typeof(event) = "string"', True),
    ("bool(properties.count)", True),
    ("bool(properties.zero)", False),
    ('bool("true")', True),
    ('bool("nope") = null', True),
    ('string(properties.count) = "3"', True),
    ('string(3.0) = "3"', True),
    ('string(properties.tags) = "[\\"a\\",\\"b\\"]"', True),
    ('number(properties."product 1".price) > 19', True),
    ('number("12") = 12', True),
    ('number("abc") = null', True),
    ("'test' = lowercase('TEST')", True),
    # Literals.
    ("-1 < 0", True),
    ("1.5e1 = 15", True),
    ('"tab\\tquote\\"" = "tab\tquote\\""', True),
    ('"\\u00e9" = "é"', True),
    ("[1, [2]] = [1, [2]]", True),
    ("all", True),
]


@pytest.mark.parametrize(("expression", "expected"), ROWS)
def test_semantics(expression: str, expected: bool) -> None:
    assert compile_fql(expression)(EVENT) is expected


@pytest.mark.parametrize("event", [None, [], "track", 3, True, {"properties": [1, 2]}])
def test_non_object_events_are_simply_false(event: Any) -> None:
    f = compile_fql('type = "track" and properties.revenue > 1 and contains(context.x, "a")')
    assert f(event) is False


def test_filter_metadata() -> None:
    f = compile_fql('type = "track" and length(properties.tags) > 1 or context.ip = "x"')
    assert f.paths == {"type", "properties", "context"}
    assert f.text.startswith("type")
    assert repr(f) == f"Filter({f.text!r})"
